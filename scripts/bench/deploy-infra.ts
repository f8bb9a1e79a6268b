// deploy-infra: infra/main.json with infra/parameters/dev.json deployed to the sandbox (with containers)
// through deploy-infra's bundle, as the end-to-end test runs it (__tests__/helpers/infra-sandbox.ts).
// Cold: the first deployment into an empty group, until deploy-infra's step ends (the deployment has
// succeeded; the site's container may still be starting). Warm: the same
// deployment again (validate, what-if, every resource PUT again, nothing changes). Needs a built dist/.
import { type InfraSandbox, startInfraSandbox } from '../../__tests__/helpers/infra-sandbox.js';

const WARM_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function timed(env: InfraSandbox, name: string): Promise<number> {
  const started = performance.now();
  const result = await env.deployInfra({ 'parameter-overrides': env.overrides(), 'deployment-name': name });
  const seconds = (performance.now() - started) / 1000;
  if (result.exitCode !== 0) throw new Error(`deploy-infra failed:\n${result.log.slice(-2000)}`);
  return seconds;
}

const env = await startInfraSandbox();
try {
  const cold = await timed(env, 'bench-cold');
  const warm: number[] = [];
  for (let i = 0; i < WARM_ROUNDS; i++) warm.push(await timed(env, `bench-warm-${i}`));
  warm.sort((a, b) => a - b);
  console.log(`deploy-infra dev to the sandbox: cold ${cold.toFixed(1)} s (first deployment, 48 resources)`);
  console.log(
    `deploy-infra dev to the sandbox: warm median ${warm[Math.floor(warm.length / 2)]!.toFixed(1)} s over ${warm.length} redeploys (min ${warm[0]!.toFixed(1)} s, max ${warm[warm.length - 1]!.toFixed(1)} s)`,
  );
} finally {
  await env.stop();
}
