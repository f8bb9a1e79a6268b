// npm run bench -- bundles: cold start of every action bundle, side by side with the anchors' published
// bundles (scripts/bench/anchors/, see PROVENANCE), and the JavaScript each bundle loads at start.
// Each run is a runner-style start that stops at input validation: INPUT_* from the action's point of
// view (none, or one malformed), GITHUB_OUTPUT/GITHUB_STATE/… files, Node 24, an empty workspace.
// Subjects are interleaved run by run, so a busy machine slows them all alike; the figure is the median.
// Over budget it prints REGRESSION and exits 1 (issue 11's targets):
//   - Azure actions ≤ 0.5× Azure/webapps-deploy; smoke-test and security-scan ≤ 1.0× url-health-check;
//   - every bundle ≤ 2 MiB of JavaScript loaded at start (its entry file and the chunks it imports
//     statically; what it loads with `import()` later is not start-up).
// Env: BENCH_RUNS (default 15); BENCH_COMPARE=label=dir,… adds other builds (e.g. an ncc one) to the same run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { actionNames, repoRoot } from '../actions.mjs';

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 15));
const MAX_START_BYTES = 2 * 1024 * 1024;
const anchorsDir = join(repoRoot, 'scripts', 'bench', 'anchors');

/** Each subject's anchor and budget (a ratio of the anchor's median). Unlisted actions talk to Azure. */
const QUICK_ACTIONS = new Set(['smoke-test', 'security-scan']);
const budgetOf = (name) =>
  QUICK_ACTIONS.has(name)
    ? { anchor: 'url-health-check', ratio: 1.0 }
    : { anchor: 'webapps-deploy', ratio: 0.5 };

// Actions without a required input get one malformed input instead, so every run stops at input
// validation (an action that started working would measure its work, not its start-up).
const FAIL_FAST = { 'security-scan': { 'INPUT_FAIL-ON': 'bogus' } };

const work = mkdtempSync(join(tmpdir(), 'slotline-bench-bundles-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_')));
Object.assign(env, {
  GITHUB_ACTIONS: 'true',
  GITHUB_WORKSPACE: work,
  RUNNER_TEMP: work,
  GITHUB_OUTPUT: join(work, 'output'),
  GITHUB_STATE: join(work, 'state'),
  GITHUB_ENV: join(work, 'env'),
  GITHUB_PATH: join(work, 'path'),
  GITHUB_STEP_SUMMARY: join(work, 'summary'),
  // Only Node on PATH: webapps-deploy without inputs looks for the az CLI before it reads its inputs,
  // and stops there ("No credentials found"); with az on PATH it would run it. url-health-check stops
  // at its missing required input "url".
  PATH: dirname(process.execPath),
});

/** The JavaScript a bundle loads at start: the entry and every file it imports statically, transitively. */
function startBytes(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // esbuild's output: `import{a as b}from"./chunk-X.js"` or `import"./chunk-X.js"`; `import("./x.js")` is lazy.
    for (const [, rel] of text.matchAll(/(?:\bfrom|\bimport)\s*["'](\.\.?\/[^"']+)["']/g)) {
      visit(join(dirname(file), rel));
    }
  };
  visit(entry);
  return [...seen].reduce((sum, file) => sum + statSync(file).size, 0);
}

const subjects = [{ label: 'node -e 0', args: ['-e', '0'] }];
for (const [anchor, label] of [
  ['webapps-deploy', 'Azure/webapps-deploy v3.0.8'],
  ['url-health-check', 'Jtalk/url-health-check v4'],
]) {
  const entry = join(anchorsDir, anchor, 'index.js');
  subjects.push({ label, anchor, args: [entry], start: statSync(entry).size });
}
const builds = [['', join(repoRoot, 'dist')]];
for (const pair of (process.env.BENCH_COMPARE ?? '').split(',').filter(Boolean)) {
  const [label, dir] = pair.split('=');
  builds.push([`${label}: `, dir]);
}
for (const [prefix, dist] of builds) {
  for (const name of actionNames()) {
    const entry = join(dist, name, 'index.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`);
    subjects.push({
      label: `${prefix}${name}`,
      name,
      checked: !prefix,
      args: [entry],
      extraEnv: FAIL_FAST[name],
      start: startBytes(entry),
    });
  }
}

function runOnce(subject) {
  for (const file of ['output', 'state', 'env', 'path', 'summary']) writeFileSync(join(work, file), '');
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, subject.args, {
    cwd: work,
    env: { ...env, ...subject.extraEnv },
    encoding: 'utf8',
    timeout: 30_000,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, result };
}

// One warm-up run each, which also proves that every subject starts and stops at validation.
for (const subject of subjects) {
  const { result } = runOnce(subject);
  const expectFailure = subject.args[0] !== '-e';
  if (expectFailure && (result.status !== 1 || !/::error::/.test(result.stdout))) {
    console.error(`bench: ${subject.label} did not stop at input validation (exit ${result.status}):`);
    console.error(`${result.stdout}${result.stderr}`.slice(0, 2000));
    process.exit(1);
  }
  subject.times = [];
}
for (let i = 0; i < RUNS; i++) for (const subject of subjects) subject.times.push(runOnce(subject).ms);

const median = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
for (const subject of subjects) subject.median = median(subject.times);
const anchorMedian = Object.fromEntries(subjects.filter((s) => s.anchor).map((s) => [s.anchor, s.median]));

console.log(`cold start on Node ${process.version}, median of ${RUNS} interleaved runs`);
console.log(
  `${'subject'.padEnd(34)} ${'median'.padStart(9)}  ${'ratio'.padStart(14)}  ${'budget'.padStart(6)}  JS at start`,
);
const regressions = [];
for (const subject of subjects) {
  let ratioText = '';
  let budgetText = '';
  if (subject.name) {
    const { name } = subject;
    const { anchor, ratio } = budgetOf(name);
    const r = subject.median / anchorMedian[anchor];
    ratioText = `${r.toFixed(2)}× ${anchor === 'webapps-deploy' ? 'w-d' : 'u-h-c'}`;
    budgetText = `${ratio.toFixed(1)}×`;
    if (subject.checked && r > ratio)
      regressions.push(
        `${subject.name} starts in ${r.toFixed(2)}× ${anchor}'s time, over its ${ratio}× budget`,
      );
    if (subject.checked && subject.start > MAX_START_BYTES)
      regressions.push(`${subject.name} loads ${(subject.start / 1024).toFixed(0)} KiB at start, over 2 MiB`);
  }
  const start = subject.start === undefined ? '' : `${(subject.start / 1024).toFixed(0)} KiB`;
  console.log(
    `${subject.label.padEnd(34)} ${`${subject.median.toFixed(1)} ms`.padStart(9)}  ${ratioText.padStart(14)}  ${budgetText.padStart(6)}  ${start}`,
  );
}
rmSync(work, { recursive: true, force: true });
if (regressions.length > 0) {
  for (const line of regressions) console.log(`REGRESSION: ${line}`);
  process.exit(1);
}
console.log('every bundle is within its budget');
