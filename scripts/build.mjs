// npm run build [-- --out DIR]: type-check and compile src/ with tsc (TypeScript 7 cannot run inside
// ncc), then bundle each action's compiled entry with ncc into DIR/<name>/index.js, and regenerate
// action-docs/. check-dist passes a temporary DIR and compares.
// No source maps: the runner never enables them, ncc's maps pointed at the compiled lib/*.js rather than
// src/*.ts, they were over half of dist/, and their register script loaded on every start.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeActionDocs } from './action-docs.mjs';
import { actionNames, repoRoot } from './actions.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' }, docs: { type: 'string' } } });
const outDir = values.out ?? join(repoRoot, 'dist');
const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
const run = (cmd, args) =>
  execFileSync(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });

rmSync(join(repoRoot, 'lib'), { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.json']);
rmSync(outDir, { recursive: true, force: true });
for (const name of actionNames()) {
  run(bin('ncc'), [
    'build',
    join('lib', name, 'index.js'),
    '-o',
    join(outDir, name),
    '--license',
    'licenses.txt',
    '-q',
  ]);
}
writeActionDocs(values.docs ?? join(repoRoot, 'action-docs'));
console.log(`built ${actionNames().join(', ')} into ${outDir}`);
