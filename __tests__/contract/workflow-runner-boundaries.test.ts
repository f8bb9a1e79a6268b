import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';

/**
 * The local workflow runner's boundary (issue 14): it imports nothing from src/. It runs the actions the way
 * GitHub does, from their action.yml and bundles, so it must not share code with what it runs (as the
 * sandbox must not, sandbox-boundaries.test.ts). The rule is also fed examples it must reject.
 */

const RUNNER = join(repoRoot, 'workflow-runner');

function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/g))
    found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}${sep}`);

function srcImports(file: string, text: string): string[] {
  return specifiers(text).filter(
    (s) => s.startsWith('.') && inside(resolve(dirname(file), s), join(repoRoot, 'src')),
  );
}

function runnerFiles(dir = RUNNER): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return runnerFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('the workflow runner imports nothing from src/', () => {
  test('the rule finds static, re-exported, type-only and dynamic imports from src/', () => {
    const file = join(RUNNER, 'runner.ts');
    expect(srcImports(file, "import { parseDuration } from '../src/lib/duration.js';")).toHaveLength(1);
    expect(srcImports(file, "export { x } from '../src/lib/schema.js';")).toHaveLength(1);
    expect(srcImports(file, "import type {\n  A,\n} from '../src/lib/schema.js';")).toHaveLength(1);
    expect(srcImports(file, "const m = await import('../src/lib/stats.js');")).toHaveLength(1);
    expect(srcImports(file, "import { x } from './commands.js';\nimport { y } from 'yaml';")).toEqual([]);
  });

  test('holds for every file of workflow-runner/', () => {
    const files = runnerFiles();
    expect(files.length).toBeGreaterThan(4);
    const offenders = files.flatMap((f) =>
      srcImports(f, readFileSync(f, 'utf8')).map((s) => `${relative(repoRoot, f)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
