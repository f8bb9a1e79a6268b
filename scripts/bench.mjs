// npm run bench: every benchmark under scripts/bench/, one after the other, each printing its numbers.
// `npm run bench -- bundles` runs only the named ones.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './actions.mjs';

const only = process.argv.slice(2);
const benches = readdirSync(join(repoRoot, 'scripts', 'bench'))
  .filter((f) => f.endsWith('.mjs') || f.endsWith('.ts'))
  .filter((file) => only.length === 0 || only.includes(file.replace(/\.(mjs|ts)$/, '')))
  .sort((a, b) => (a.startsWith('bundles') ? -1 : b.startsWith('bundles') ? 1 : a.localeCompare(b)));

let failed = 0;
for (const file of benches) {
  console.log(`\n=== bench: ${file} ===`);
  // TypeScript benches import the sandbox's sources directly, through tsx.
  const path = join(repoRoot, 'scripts', 'bench', file);
  const args = file.endsWith('.ts') ? ['--import', 'tsx', path] : [path];
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
