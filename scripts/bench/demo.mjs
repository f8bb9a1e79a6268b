// npm run bench -- demo: how long `npm run demo` takes on this machine, beside the issue's target
// (120 s once the base image is cached), and the failed requests to production during the release
// (target 0). Runs the good scenario and the bad-release one, each as a user would; the first run of the
// bench also warms the caches (base image, pulled layers) and is reported as such.
// Usage: node scripts/bench/demo.mjs [--runs=1]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TARGET_S = 120;
const runs = Number(/^--runs=(\d+)$/.exec(process.argv[2] ?? '')?.[1] ?? 1);

function demo(scenario) {
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'demo', 'cli.ts'), '--scenario', scenario],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 15 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const wallS = (Date.now() - started) / 1000;
  const out = `${result.stdout}\n${result.stderr}`;
  const pick = (re) => re.exec(out)?.slice(1);
  const [behaved, inAll] =
    pick(/scenario \S+: (behaved as it should|did NOT behave as it should) \(([\d.]+) s in all\)/) ?? [];
  const [requests, failed] =
    pick(/traffic on production during 2\.0\.0: (\d+) requests .*?, (\d+) failed/) ?? [];
  const stages = (version) =>
    pick(new RegExp(`release ${version.replace('.', '\\.')}: \\w+ in ([\\d.]+) s: (.*)`)) ?? [];
  return {
    scenario,
    code: result.status,
    behaved: behaved === 'behaved as it should',
    inAllS: Number(inAll),
    wallS,
    requests: Number(requests),
    failed: Number(failed),
    v1: stages('1.0.0'),
    v2: stages('2.0.0'),
    base: /base image \S+ \((cached|built)\)/.exec(out)?.[1] ?? '?',
  };
}

const rows = [];
// The first run fills the caches when they are empty: reported, never judged.
rows.push({ ...demo('good'), label: 'first run (warms the caches)' });
for (let i = 0; i < runs; i++) {
  rows.push({ ...demo('good'), label: `good, cached #${i + 1}` });
  rows.push({ ...demo('bad-release'), label: `bad-release, cached #${i + 1}` });
}

let regression = false;
console.log(
  `\n| run | base image | exit | behaved | demo (s) | wall incl. cleanup (s) | 1.0.0 pipeline (s) | 2.0.0 pipeline (s) | requests during 2.0.0 | failed | target |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const judged = !r.label.startsWith('first');
  const over = judged && (!(r.inAllS <= TARGET_S) || !r.behaved || (r.scenario === 'good' && r.failed !== 0));
  regression ||= over;
  console.log(
    `| ${r.label} | ${r.base} | ${r.code} | ${r.behaved} | ${r.inAllS.toFixed(1)} | ${r.wallS.toFixed(1)} | ${r.v1[0] ?? '-'} | ${r.v2[0] ?? '-'} | ${r.requests} | ${r.failed} | ${judged ? `≤ ${TARGET_S} s${r.scenario === 'good' ? ', 0 failed' : ''}: ${over ? 'REGRESSION' : 'met'}` : 'not judged'} |`,
  );
}
for (const r of rows) console.log(`\n${r.label}, stages of 2.0.0: ${r.v2[1] ?? '-'}`);
process.exit(regression ? 1 : 0);
