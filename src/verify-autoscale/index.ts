/**
 * verify-autoscale: checks an App Service plan's autoscale setting against a policy (capacity bounds, the
 * rules it must have, and Azure's footguns: a Requests rule on the plan, a rule without a namespace,
 * thresholds that flap, a schedule that never ends), and fails the step on error findings. This is the
 * bundle's entry. main.ts is the action's run(env, deps); inputs.ts and policy.ts parse the inputs,
 * default-deps.ts reads Azure, findings.ts judges the settings, report.ts writes the outputs, the summary
 * and the report file. Observe mode (observe.ts) drives load at the app with the built-in load generator
 * and follows the plan's capacity; timeline.ts and diagnose.ts turn what it read into the scaling test
 * result and say why the plan did not scale.
 */
import { run } from './main.js';

await run();
