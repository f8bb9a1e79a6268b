/**
 * gate-on-metrics: decides whether a canary slot may take more traffic (or be swapped in) from Azure
 * Monitor metrics, measured `count` times, with thresholds and a statistical comparison against
 * production, and a job summary of every number it decided on. This is the bundle's entry. main.ts is
 * the action's run(env, deps); inputs.ts and checks.ts parse the inputs, read.ts queries Azure Monitor,
 * series.ts and judge.ts turn the data into one result per check, gate.ts runs the measurements and
 * their limits, report.ts writes the outputs, the summary and the measurements file.
 */
import { run } from './main.js';

await run();
