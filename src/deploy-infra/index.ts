/**
 * deploy-infra: deploys an ARM JSON template to a resource group: validate, then what-if (shown as a
 * table in the job summary, and optionally a guard that fails on change types such as Delete), then
 * create, with the failed operations' messages when the deployment fails. This is the bundle's entry.
 * main.ts is the action's run(env, deps); inputs.ts reads the inputs, the template and its parameters;
 * template.ts (parameter typing, naming) and what-if.ts (counting and tabling changes) are pure; report.ts
 * writes the outputs' values and the summary; default-deps.ts calls ARM's deployments API.
 */
import { run } from './main.js';

await run();
