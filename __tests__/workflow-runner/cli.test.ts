import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';
import { FIXTURES } from './helpers.js';

// The command line (npm run workflow): exit 0 when the workflow succeeded, 1 otherwise or when refused;
// a --secret never reaches its output.
// Reports go to a folder of the test's own, removed at the end.
const reports = mkdtempSync(join(tmpdir(), 'slotline-wr-cli-'));
afterAll(() => rmSync(reports, { recursive: true, force: true }));
let runs = 0;
const cli = (...args: string[]) =>
  spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'tsx'),
    [join(repoRoot, 'workflow-runner', 'cli.ts'), ...args, '--report', join(reports, `${++runs}.md`)],
    {
      cwd: repoRoot,
      encoding: 'utf8',
    },
  );

describe('npm run workflow', () => {
  test('a succeeding workflow exits 0 and masks --secret values', () => {
    const r = cli(join(FIXTURES, 'masking.yml'), '--secret', 'API_KEY=cli-secret-789');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('secret is ***');
    expect(`${r.stdout}${r.stderr}`).not.toContain('cli-secret-789');
    expect(r.stdout).toMatch(/workflow succeeded/);
  });

  test('a failing workflow exits 1; a refused one exits 1 with a one-line reason', () => {
    expect(cli(join(FIXTURES, 'status.yml')).status).toBe(1);
    const refused = cli(join(FIXTURES, 'refused-unknown-action.yml'));
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim()).toMatch(
      /^refused: .*refused-unknown-action\.yml:7: unknown action someone\/unknown-action@v1/,
    );
  });
});
