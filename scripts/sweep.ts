// npm run sweep: the bad-input sweep. Every input of every actions/*/action.yml gets bad values for its
// kind (scripts/lib/bad-input-sweep/kinds.ts); each trial runs the committed bundle as the runner would,
// two at a time, with a 15 s kill and no network, and is judged (scripts/lib/bad-input-sweep/judge.ts).
//
//   npm run sweep                        every trial; exit 1 when any fails
//   npm run sweep -- --quick             the fixed quick subset the contract test runs
//   npm run sweep -- --action smoke-test --input url   only these (both may repeat)
//   npm run sweep -- --report out.json   where the JSON report goes (default .tmp/bad-input-sweep.json)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { judge } from './lib/bad-input-sweep/judge.js';
import { planTrials, quickSubset, readManifests } from './lib/bad-input-sweep/plan.js';
import { formatReport, summarize, toResult } from './lib/bad-input-sweep/report.js';
import {
  killRunningSteps,
  node24,
  runTrials,
  scratchDir,
  verifyIsolation,
} from './lib/bad-input-sweep/runner.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    action: { type: 'string', multiple: true },
    input: { type: 'string', multiple: true },
    label: { type: 'string', multiple: true },
    report: { type: 'string', default: join(repoRoot, '.tmp', 'bad-input-sweep.json') },
    parallel: { type: 'string', default: '2' },
  },
});

const manifests = readManifests(repoRoot);
let trials = planTrials(manifests);
if (values.quick) trials = quickSubset(trials);
if (values.action) trials = trials.filter((t) => values.action!.includes(t.action));
if (values.input) trials = trials.filter((t) => values.input!.includes(t.input));
if (values.label) trials = trials.filter((t) => values.label!.includes(t.label));

const node = node24(repoRoot);
verifyIsolation(node);
const scratch = scratchDir();
// Each step runs in its own process group, which a terminal's Ctrl-C does not reach: end them here.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    killRunningSteps();
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  });
const started = Date.now();
let done = 0;
try {
  const results = await runTrials(
    trials,
    manifests,
    { repoRoot, node, scratch, parallel: Number(values.parallel) },
    (trial, run) => {
      const manifest = manifests.find((m) => m.name === trial.action)!;
      const verdict = judge({ ...trial, outputs: manifest.outputs }, run);
      done++;
      if (verdict.outcome === 'failed')
        process.stdout.write(`FAIL ${trial.id}: ${verdict.problems.map((p) => p.cause).join(', ')}\n`);
      else if (done % 100 === 0) process.stdout.write(`... ${done}/${trials.length}\n`);
      return toResult(trial, verdict, run.main.exitCode, run.main.durationMs + (run.post?.durationMs ?? 0));
    },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(formatReport(results));
  console.log(`in ${seconds} s`);
  mkdirSync(dirname(values.report!), { recursive: true });
  writeFileSync(
    values.report!,
    `${JSON.stringify({ seconds, summary: summarize(results), results }, null, 2)}\n`,
  );
  console.log(`JSON report: ${values.report}`);
  if (results.some((r) => r.outcome === 'failed')) process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
