import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';

/**
 * The sandbox's boundaries (issue 11):
 * - it imports nothing from src/: it is the oracle the tests trust, so it must not share parsing or
 *   validation code with what it checks;
 * - each ARM resource provider (sandbox/arm/providers/<name>/) imports only from its own folder and the
 *   shared modules, never from another provider, so a new provider is a new folder.
 * Each rule is also fed an example it must reject, so a rule that stops checking fails here too.
 */

const SANDBOX = join(repoRoot, 'sandbox');
const PROVIDERS = join(SANDBOX, 'arm', 'providers');

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/g))
    found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

function resolved(file: string, specifier: string): string | undefined {
  return specifier.startsWith('.') ? resolve(dirname(file), specifier) : undefined;
}

const inside = (path: string, folder: string) => path === folder || path.startsWith(`${folder}${sep}`);

/** Imports that reach into src/. */
function srcImports(file: string, text: string): string[] {
  return specifiers(text).filter((s) => {
    const target = resolved(file, s);
    return target !== undefined && inside(target, join(repoRoot, 'src'));
  });
}

/** Imports from a provider file into another provider's folder. */
function crossProviderImports(file: string, text: string): string[] {
  if (!inside(file, PROVIDERS)) return [];
  const own = join(PROVIDERS, relative(PROVIDERS, file).split(sep)[0]!);
  return specifiers(text).filter((s) => {
    const target = resolved(file, s);
    return target !== undefined && inside(target, PROVIDERS) && !inside(target, own);
  });
}

function sandboxFiles(dir = SANDBOX): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sandboxFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('the rules reject what they must', () => {
  test('an import from src/ is found, static, re-exported or dynamic', () => {
    const file = join(SANDBOX, 'arm', 'x.ts');
    expect(srcImports(file, "import { parseDuration } from '../../src/lib/duration.js';")).toHaveLength(1);
    expect(srcImports(file, "export { x } from '../../src/lib/schema.js';")).toHaveLength(1);
    expect(srcImports(file, "const m = await import('../../src/lib/stats.js');")).toHaveLength(1);
    expect(srcImports(file, "import type {\n  A,\n  B,\n} from '../../src/lib/schema.js';")).toHaveLength(1);
    expect(srcImports(file, "import { x } from '../http.js';\nimport { y } from 'ajv';")).toEqual([]);
  });

  test("a provider's import from another provider is found; its own folder and shared modules are not", () => {
    const file = join(PROVIDERS, 'insights', 'autoscale.ts');
    expect(crossProviderImports(file, "import { SITE_TYPE } from '../web/resources.js';")).toEqual([
      '../web/resources.js',
    ]);
    expect(
      crossProviderImports(
        file,
        "import { Metrics } from './metrics.js';\nimport { ProviderBase } from '../../context.js';\nimport { sendJson } from '../../../http.js';",
      ),
    ).toEqual([]);
    // Shared modules may import providers (the service composes them).
    expect(
      crossProviderImports(
        join(SANDBOX, 'arm', 'service.ts'),
        "import { registerWeb } from './providers/web/index.js';",
      ),
    ).toEqual([]);
  });
});

describe('the sandbox as it is', () => {
  const files = sandboxFiles();

  test('finds the sandbox and its providers', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files.filter((f) => inside(f, PROVIDERS)).length).toBeGreaterThan(5);
  });

  test('imports nothing from src/', () => {
    const offenders = files.flatMap((f) =>
      srcImports(f, readFileSync(f, 'utf8')).map((s) => `${relative(repoRoot, f)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  test('each provider imports only from its own folder and the shared modules', () => {
    const offenders = files.flatMap((f) =>
      crossProviderImports(f, readFileSync(f, 'utf8')).map((s) => `${relative(repoRoot, f)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
