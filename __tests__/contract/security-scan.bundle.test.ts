import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { runBundle } from '../helpers/runner.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';
import { type PlantedApp, plantSecurityApp, SCAN_PATH } from '../helpers/security-fixture.js';

let app: PlantedApp;
beforeAll(() => {
  app = plantSecurityApp();
});
afterAll(() => app.cleanup());

test('the bundle, run as the runner runs it, scans with scanners: auto, writes outputs, SARIF and summary', async () => {
  const sarif = join(app.dir, 'slotline-security.sarif');
  // runBundle starts the child in this process's working directory, so paths are given absolute.
  const absolute = await runBundle(
    'security-scan',
    { path: app.dir, 'sarif-file': sarif, 'fail-on': 'critical', 'report-on': 'medium' },
    { GITHUB_WORKSPACE: app.dir, PATH: SCAN_PATH },
  );
  expect(absolute.log.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
    expect.stringMatching(
      /^::error::security-scan: 1 finding\(s\) at or above fail-on critical \(1 critical\): secretlint /,
    ),
  ]);
  expect(absolute.exitCode).toBe(1);
  expect(absolute.outputs['passed']).toBe('false');
  expect(absolute.outputs['sarif-file']).toBe(sarif);
  expect(JSON.parse(absolute.outputs['counts']!)).toMatchObject({ critical: 1, high: 1 });
  expect(absolute.summary).toContain('## Security scan: failed');
  expect(absolute.log).toMatch(/Skipping npm-audit: no package-lock.json at the root/);
  expect(existsSync(sarif)).toBe(true);
  expect(sarifSchemaErrors(JSON.parse(readFileSync(sarif, 'utf8')))).toEqual([]);
  for (const text of [
    absolute.log,
    absolute.summary,
    JSON.stringify(absolute.outputs),
    readFileSync(sarif, 'utf8'),
  ])
    expect(text).not.toContain(app.secret);
});

test('the bundle rejects a bad input with one line and exit code 1', async () => {
  const result = await runBundle('security-scan', { 'fail-on': 'severe' }, { PATH: SCAN_PATH });
  expect(result.exitCode).toBe(1);
  // The stack goes to the debug log only (failAction); the visible log is one error line.
  expect(
    result.log
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('::debug::')),
  ).toEqual([
    '::error::security-scan: Input "fail-on" must be one of critical, high, medium, low, none, got "severe".',
  ]);
});
