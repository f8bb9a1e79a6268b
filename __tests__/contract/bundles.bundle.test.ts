// The committed bundles (dist/) as the runner sees them: every action.yml entry exists, nothing ships
// that slows every start or carries a shell script (source maps, their register, open's xdg-open), and
// every bundle starts and stops at input validation with one error line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot, runBundle } from '../helpers/runner.js';

const actionNames = readdirSync(join(repoRoot, 'actions')).filter((name) => {
  try {
    return statSync(join(repoRoot, 'actions', name, 'action.yml')).isFile();
  } catch {
    return false;
  }
});
const distDir = join(repoRoot, 'dist');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => join(dir, file))
    .filter((path) => statSync(path).isFile());
}

test('there are actions to check', () => {
  expect(actionNames).toEqual(
    expect.arrayContaining([
      'build-image',
      'deploy-infra',
      'deploy-slot',
      'gate-on-metrics',
      'security-scan',
      'smoke-test',
      'verify-autoscale',
    ]),
  );
});

describe.each(actionNames)('%s', (name) => {
  const action = parse(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')) as {
    runs: { using: string; main: string; post?: string; pre?: string };
  };

  test("action.yml's entry points exist in dist/, on node24", () => {
    expect(action.runs.using).toBe('node24');
    for (const entry of [action.runs.main, action.runs.post, action.runs.pre].filter(Boolean) as string[]) {
      const path = resolve(repoRoot, 'actions', name, entry);
      expect(relative(distDir, path).startsWith('..')).toBe(false);
      expect(statSync(path, { throwIfNoEntry: false })?.isFile()).toBe(true);
    }
  });

  test('no source maps, no source-map register, no xdg-open', () => {
    const files = filesUnder(join(distDir, name));
    expect(files.length).toBeGreaterThan(0);
    const names = files.map((file) => relative(distDir, file));
    expect(names.filter((file) => /\.map$|sourcemap-register|xdg-open/.test(file))).toEqual([]);
    for (const file of files.filter((f) => f.endsWith('.js') || f.endsWith('.cjs'))) {
      const text = readFileSync(file, 'utf8');
      expect({
        file: relative(distDir, file),
        sourceMappingURL: /\/\/# sourceMappingURL=/.test(text),
      }).toEqual({
        file: relative(distDir, file),
        sourceMappingURL: false,
      });
      expect({ file: relative(distDir, file), register: text.includes('sourcemap-register') }).toEqual({
        file: relative(distDir, file),
        register: false,
      });
      expect({ file: relative(distDir, file), xdgOpen: text.includes('xdg-open') }).toEqual({
        file: relative(distDir, file),
        xdgOpen: false,
      });
    }
  });

  test('starts like the runner runs it and stops at input validation with one input error', async () => {
    // security-scan has no required input (it would scan the working directory): one malformed input.
    const inputs: Record<string, string> = name === 'security-scan' ? { 'fail-on': 'bogus' } : {};
    const result = await runBundle(name, inputs, {}, 30_000);
    const errors = result.log.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^::error::${name}: Input "[a-z-]+" `))]);
    expect(result.exitCode).toBe(1);
    expect(result.log).not.toMatch(/unexpected error|Cannot find module|ERR_MODULE_NOT_FOUND/);
  });
});
