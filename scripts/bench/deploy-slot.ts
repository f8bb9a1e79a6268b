// deploy-slot's own overhead: the wall time of a `release` run of the committed bundle (node start-up
// included) minus the time it spent waiting on the sandbox (ARM calls, sign-in, LRO polling), on the app's
// health endpoint and in deliberate pauses (probe intervals, the lease's settle time). The bundle reports
// those in its debug log. Also the bundle's cold start (no inputs: fails on the first required one).
// Control-plane sandbox in this process, with a stand-in app at each slot's host (as the tests use).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDeploySandbox } from '../../__tests__/helpers/deploy-sandbox.js';
import { inputEnv, repoRoot } from '../../__tests__/helpers/runner.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const bundle = join(repoRoot, 'dist', 'deploy-slot', 'index.js');
const dir = mkdtempSync(join(tmpdir(), 'slotline-bench-deploy-slot-'));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_')));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Fresh output and summary files and the env of one run. */
function stepEnv(inputs: Record<string, string>, extra: Record<string, string> = {}) {
  const output = join(dir, 'out');
  const summary = join(dir, 'sum');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const started = process.hrtime.bigint();
  return {
    started,
    output,
    summary,
    env: { ...baseEnv, ...inputEnv(inputs), ...extra, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary },
  };
}

async function timedRun(inputs: Record<string, string>, extra: Record<string, string>) {
  const { spawn } = await import('node:child_process');
  // Spawned asynchronously: the sandbox serving the run lives in this process's event loop.
  const { started, env } = stepEnv(inputs, extra);
  const child = spawn(process.execPath, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => {
    log += d;
  });
  child.stderr.on('data', (d) => {
    log += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const timing = /timing: run (\d+) ms, azure (\d+) ms, probes (\d+) ms, waits (\d+) ms/.exec(log);
  if (code !== 0 || !timing) throw new Error(`release failed (exit ${code}):\n${log.slice(-2000)}`);
  const [run, azure, probes, waits] = timing.slice(1).map(Number) as [number, number, number, number];
  return { wallMs, run, azure, probes, waits, overhead: wallMs - azure - probes - waits };
}

const ds = await startDeploySandbox();
try {
  const results: Awaited<ReturnType<typeof timedRun>>[] = [];
  for (let i = 0; i < RUNS; i++) {
    ds.reset();
    results.push(await timedRun(ds.inputs({ image: `ghcr.io/slotline-demo/web:bench-${i}` }), ds.env()));
  }
  const cold: number[] = [];
  for (let i = 0; i < 15; i++) {
    const started = process.hrtime.bigint();
    spawnSync(process.execPath, [bundle], {
      env: { ...baseEnv, GITHUB_OUTPUT: join(dir, 'o'), GITHUB_STEP_SUMMARY: join(dir, 's') },
      stdio: 'ignore',
    });
    cold.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const m = (key: keyof (typeof results)[number]) => median(results.map((r) => r[key])).toFixed(0);
  console.log(
    `deploy-slot release against the control-plane sandbox (operations ${ds.sb.store.state.settings.operationDurationMs} ms), median of ${RUNS} runs`,
  );
  console.log(`  wall time (node start to exit)       ${m('wallMs')} ms`);
  console.log(`  waiting on Azure (ARM, sign-in, LRO) ${m('azure')} ms`);
  console.log(`  waiting on health probes             ${m('probes')} ms`);
  console.log(`  deliberate pauses (intervals, lease) ${m('waits')} ms`);
  console.log(`  action's own overhead                ${m('overhead')} ms  (aim: < 1000 ms)`);
  console.log(`  per run: ${results.map((r) => r.overhead.toFixed(0)).join(', ')} ms overhead`);
  console.log(`bundle cold start (missing input), median of ${cold.length}: ${median(cold).toFixed(1)} ms`);
} finally {
  await ds.stop();
  rmSync(dir, { recursive: true, force: true });
}
