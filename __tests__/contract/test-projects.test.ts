import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';

// Through a variable: jest.config.js is plain JavaScript with no type declarations.
const jestConfig = '../../jest.config.js';
const { unitFolders } = (await import(jestConfig)) as { unitFolders: string[] };

// The jest projects split by folder and name (jest.config.js). These rules keep the split honest: the
// unit project stays in-process, and a test's name tells its cost.

const testsDir = join(repoRoot, '__tests__');

function testFiles(dir = testsDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(testsDir, path)] : [];
  });
}

/** What starts a committed bundle as a child process. */
const runsBundle = [
  /\brunBundle\(/,
  /\bstartBundle\(/,
  /helpers\/bundle-process\.js/,
  /['"]dist['"]\s*,[^)]*['"]index\.js['"]/,
];

/** What a unit test must not start: a bundle, a sandbox process, containers or the container tools. */
const outOfProcess = [
  ...runsBundle,
  /from '\.\.\/sandbox\/helpers\.js'/,
  /from '\.\.\/helpers\/containers\.js'/,
  /from '\.\.\/helpers\/deploy-sandbox\.js'/,
  /(spawn|execFile)(Sync)?\(\s*['"](podman|buildah|skopeo|docker)['"]/,
];

function matches(source: string, patterns: RegExp[]): string[] {
  return patterns.filter((pattern) => pattern.test(source)).map(String);
}

describe('jest projects', () => {
  // This file holds the patterns as examples, so it is left out.
  const files = testFiles().filter((file) => file !== 'contract/test-projects.test.ts');

  test('the rules see the tests: both projects have files', () => {
    expect(files.filter((f) => unitFolders.includes(f.split('/')[0]!)).length).toBeGreaterThan(10);
    expect(files.filter((f) => f.endsWith('.bundle.test.ts')).length).toBeGreaterThan(5);
  });

  test('a test that runs a bundle is named *.bundle.test.ts', () => {
    const misnamed = files.filter(
      (file) =>
        !file.endsWith('.bundle.test.ts') &&
        matches(readFileSync(join(testsDir, file), 'utf8'), runsBundle).length > 0,
    );
    expect(misnamed).toEqual([]);
  });

  test('unit tests run in-process: no bundle, sandbox process or container', () => {
    const offenders = files
      .filter((file) => unitFolders.includes(file.split('/')[0]!) && !file.endsWith('.bundle.test.ts'))
      .map((file) => ({ file, uses: matches(readFileSync(join(testsDir, file), 'utf8'), outOfProcess) }))
      .filter(({ uses }) => uses.length > 0);
    expect(offenders).toEqual([]);
  });

  test('the patterns catch what they are for', () => {
    expect(matches("await runBundle('smoke-test', {})", runsBundle)).not.toEqual([]);
    expect(
      matches("spawn(process.execPath, [join(repoRoot, 'dist', 'build-image', 'index.js')])", runsBundle),
    ).not.toEqual([]);
    expect(matches("import { startSandbox } from '../sandbox/helpers.js';", outOfProcess)).not.toEqual([]);
    expect(matches("execFileSync('podman', ['ps'])", outOfProcess)).not.toEqual([]);
    expect(matches("spawnSync('podman', ['ps'])", outOfProcess)).not.toEqual([]);
    expect(matches('await runInProcess(run, { url })', outOfProcess)).toEqual([]);
  });
});
