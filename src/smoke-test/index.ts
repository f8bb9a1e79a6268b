/**
 * smoke-test: sends the checks a workflow lists (or one `GET /`) to a deployed app, waits for it to come
 * up, retries with backoff, and fails the step when a status, body, JSON value, latency or page check is
 * red, with a job summary of every check. This is the bundle's entry. main.ts is the action's
 * run(env, deps); inputs.ts and checks.ts parse the inputs, smoke.ts runs the checks, page.ts assesses
 * pages and their assets, report.ts writes outputs and the summary.
 */
import { run } from './main.js';

await run();
