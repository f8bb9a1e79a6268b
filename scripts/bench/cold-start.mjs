// Cold start of every action bundle on this Node: a run with no inputs, which must fail on a missing
// required input (or finish) without doing any work. Compared with a bare `node -e 0`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionNames, repoRoot } from '../actions.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
// Actions without a required input get one malformed input instead, so every run stops at input
// validation (an action that started working would measure its work, not its start-up).
const FAIL_FAST = { 'security-scan': { 'INPUT_FAIL-ON': 'bogus' } };
const dir = mkdtempSync(join(tmpdir(), 'slotline-bench-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_')));
env.GITHUB_OUTPUT = join(dir, 'out');
env.GITHUB_STEP_SUMMARY = join(dir, 'sum');

function medianMs(args, extraEnv = {}) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    writeFileSync(env.GITHUB_OUTPUT, '');
    writeFileSync(env.GITHUB_STEP_SUMMARY, '');
    const started = process.hrtime.bigint();
    spawnSync(process.execPath, args, { env: { ...env, ...extraEnv }, stdio: 'ignore', timeout: 10_000 });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)] };
}

const baseline = medianMs(['-e', '0']);
console.log(`cold start on Node ${process.version}, median of ${RUNS} runs (p90 in brackets)`);
console.log(`  node -e 0                     ${baseline.median.toFixed(1)} ms (${baseline.p90.toFixed(1)})`);
for (const name of actionNames()) {
  const t = medianMs([join(repoRoot, 'dist', name, 'index.js')], FAIL_FAST[name]);
  console.log(
    `  ${name.padEnd(29)} ${t.median.toFixed(1)} ms (${t.p90.toFixed(1)})  = node + ${(t.median - baseline.median).toFixed(1)} ms`,
  );
}
rmSync(dir, { recursive: true, force: true });
