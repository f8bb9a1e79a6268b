// npm run bench: every benchmark under scripts/bench/, one after the other, each printing its numbers.
// `npm run bench -- cold-start` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './actions.mjs';

const only = process.argv.slice(2);
const benches = readdirSync(join(repoRoot, 'scripts', 'bench'))
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.replace(/\.mjs$/, ''))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort((a, b) => (a === 'cold-start' ? -1 : b === 'cold-start' ? 1 : a.localeCompare(b)));

let failed = 0;
for (const name of benches) {
  console.log(`\n=== bench: ${name} ===`);
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', `${name}.mjs`)], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
