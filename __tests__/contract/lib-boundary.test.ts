import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parseSync } from '@swc/core';
import { repoRoot } from '../helpers/runner.js';

// src/lib has two kinds of modules (src/lib/README.md). Runner-facing code, which talks to the Actions
// runner through @actions/* (log commands, outputs, masking, state, the job summary, failing the step),
// lives in src/lib/runner/. Everything else is pure: it takes what it needs as arguments, so a test or a
// sandbox can use it without a runner. This contract keeps it that way.

const LIB = join(repoRoot, 'src', 'lib');
const RUNNER = join(LIB, 'runner');

/**
 * Pure modules that import @actions/* all the same, each with why. Every entry is checked as still
 * needed: when the import goes, the entry must go too.
 */
const EXCEPTIONS: readonly { file: string; module: string; reason: string }[] = [
  {
    file: 'src/lib/azure/credential.ts',
    module: '@actions/core',
    reason:
      'masks the GitHub OIDC ID token the moment it arrives (before anything can log it); a lazy import() so @actions/core loads only on the OIDC path',
  },
];

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

interface Node {
  type?: string;
  [key: string]: unknown;
}

/**
 * Every module specifier a file loads, parsed with swc (not a regex, so comments and strings do not
 * count): `import … from`, `import '…'`, `export … from`, `import type`, and `import('…')` with a
 * literal argument.
 */
function importedModules(source: string): string[] {
  const module = parseSync(source, { syntax: 'typescript', target: 'es2022' }) as unknown as Node;
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as Node;
    if (
      (n.type === 'ImportDeclaration' ||
        n.type === 'ExportAllDeclaration' ||
        n.type === 'ExportNamedDeclaration') &&
      n['source']
    )
      found.push(String((n['source'] as { value: unknown }).value));
    if (n.type === 'CallExpression' && (n['callee'] as Node | undefined)?.type === 'Import') {
      const first = (n['arguments'] as { expression: Node }[])[0]?.expression;
      if (first?.type === 'StringLiteral') found.push(String(first['value']));
      else if (first?.type === 'TemplateLiteral') found.push('<template import()>');
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'span') visit(value);
  };
  visit(module);
  return found;
}

const pureFiles = typeScriptFiles(LIB).filter((file) => !file.startsWith(`${RUNNER}/`));
const imports = new Map(
  pureFiles.map((file) => [relative(repoRoot, file), importedModules(readFileSync(file, 'utf8'))]),
);

describe('the src/lib boundary: pure modules import no @actions/*', () => {
  test('the import scanner sees every form of import', () => {
    const sample = [
      "import * as core from '@actions/core';",
      "import type { X } from '@actions/github';",
      "import '@actions/exec';",
      "export { y } from '@actions/io';",
      "export * from '@actions/cache';",
      "const m = await import('@actions/glob');",
      "// import x from '@actions/comment';",
      'const s = "import x from \'@actions/string\'";',
    ].join('\n');
    expect(importedModules(sample)).toEqual([
      '@actions/core',
      '@actions/github',
      '@actions/exec',
      '@actions/io',
      '@actions/cache',
      '@actions/glob',
    ]);
  });

  test('the scan covers the pure modules', () => {
    expect(imports.size).toBeGreaterThan(10);
    expect([...imports.keys()]).toContain('src/lib/errors.ts');
  });

  test('no pure module imports @actions/* (outside the listed exceptions) or a runner-facing module', () => {
    const problems: string[] = [];
    for (const [file, modules] of imports) {
      for (const module of modules) {
        const excepted = EXCEPTIONS.some((e) => e.file === file && e.module === module);
        if (module.startsWith('@actions/') && !excepted)
          problems.push(`${file} imports ${module}: runner-facing code belongs in src/lib/runner/`);
        if (/(^|\/)runner\//.test(module))
          problems.push(`${file} imports ${module}: a pure module cannot depend on src/lib/runner/`);
        if (module === '<template import()>') problems.push(`${file} has an import() the scan cannot read`);
      }
    }
    expect(problems).toEqual([]);
  });

  test.each(EXCEPTIONS)('the exception for $module in $file is still needed', ({ file, module, reason }) => {
    expect(reason.length).toBeGreaterThan(20);
    expect(imports.get(file) ?? []).toContain(module);
  });
});
