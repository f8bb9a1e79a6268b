import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Exec, execFile } from '../../src/lib/exec.js';
import { whichOnPath } from '../../src/lib/which.js';
import type { ScannerName } from '../../src/security-scan/findings.js';
import { type ScanOptions, type ScanReport, securityScan } from '../../src/security-scan/scan.js';
import { repoRoot } from '../helpers/runner.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';
import {
  lineOf,
  type PlantedApp,
  plantSecurityApp,
  SCAN_PATH,
  shiftLines,
} from '../helpers/security-fixture.js';
import { startServer } from '../helpers/servers.js';

const which = whichOnPath(SCAN_PATH);

function deps(exec: Exec = execFile) {
  return { exec, which, today: '2026-11-26', now: () => performance.now(), log: () => {} };
}

function options(dir: string, scanners: ScanOptions['scanners']): ScanOptions {
  return {
    root: dir,
    repoRoot: dir,
    scanners,
    failOn: 'high',
    reportOn: 'low',
    allowlist: [],
    categoryPrefix: 'slotline-security',
  };
}

// The real scanners are part of the test environment (scripts/install-system-deps.sh, npm devDependencies).
// Missing ones fail here, loudly, instead of skipping.
beforeAll(async () => {
  const missing: string[] = [];
  for (const tool of ['bandit', 'shellcheck', 'secretlint', 'npm'])
    if (!(await which(tool))) missing.push(tool);
  if (missing.length > 0)
    throw new Error(
      `security-scan real-run tests need ${missing.join(', ')} on PATH: run scripts/install-system-deps.sh (bandit, shellcheck) and npm ci (secretlint)`,
    );
});

describe('real bandit, shellcheck and secretlint on the fixture app with planted problems', () => {
  let app: PlantedApp;
  let report: ScanReport;
  const find = (r: ScanReport, tool: ScannerName, ruleId: string) =>
    r.findings.filter((f) => f.tool === tool && (f.ruleId === ruleId || f.ruleId.endsWith(ruleId)));

  beforeAll(async () => {
    app = plantSecurityApp();
    report = await securityScan(options(app.dir, ['bandit', 'shellcheck', 'secretlint']), deps());
  });
  afterAll(() => app.cleanup());

  test('all three ran without failures', () => {
    expect(report.failures).toEqual([]);
    expect(report.scanners.map((s) => s.name)).toEqual(['bandit', 'shellcheck', 'secretlint']);
    expect(report.scanners.every((s) => s.version && /^\d+\.\d+/.test(s.version))).toBe(true);
  });

  test('SQL built by string formatting: bandit B608, medium, on both queries', () => {
    const db = join(app.dir, 'app', 'db.py');
    const found = find(report, 'bandit', 'B608');
    expect(found.map((f) => [f.location.path, f.location.startLine, f.severity])).toEqual([
      ['app/db.py', lineOf(db, "WHERE name = '%s'"), 'medium'],
      ['app/db.py', lineOf(db, 'WHERE id = {}'), 'medium'],
    ]);
  });

  test('subprocess with shell=True: bandit B602, high', () => {
    const found = find(report, 'bandit', 'B602');
    expect(found.map((f) => [f.location.path, f.location.startLine, f.severity])).toEqual([
      ['app/jobs.py', lineOf(join(app.dir, 'app', 'jobs.py'), 'shell=True'), 'high'],
    ]);
  });

  test('unquoted shell variable: shellcheck SC2086, low', () => {
    const found = find(report, 'shellcheck', 'SC2086');
    expect(found.map((f) => [f.location.path, f.location.startLine, f.severity])).toEqual([
      ['scripts/deploy.sh', lineOf(join(app.dir, 'scripts', 'deploy.sh'), 'rm -rf $target_dir'), 'low'],
    ]);
  });

  test('fake but well-formed cloud key: secretlint AWS rule, critical, and the key itself never copied', () => {
    const found = report.findings.filter((f) => f.tool === 'secretlint');
    expect(found.map((f) => [f.ruleId, f.location.path, f.location.startLine, f.severity])).toEqual([
      ['@secretlint/secretlint-rule-aws', 'config/settings.ini', 3, 'critical'],
    ]);
    expect(JSON.stringify(report)).not.toContain(app.secret);
  });

  test('the clean module has no findings', () => {
    expect(report.findings.filter((f) => f.location.path === 'app/views.py')).toEqual([]);
  });

  test('the policy fails on the high and critical findings', () => {
    expect(report.policy.passed).toBe(false);
    expect(report.policy.failure).toMatch(/^2 finding\(s\) at or above fail-on high \(1 critical, 1 high\)/);
  });

  test('the merged SARIF validates and has one run per tool with distinct categories', () => {
    expect(sarifSchemaErrors(report.sarif.log)).toEqual([]);
    expect(report.sarif.log.runs.map((r) => [r.tool.driver.name, r.automationDetails?.id])).toEqual([
      ['Bandit', 'slotline-security/bandit/'],
      ['ShellCheck', 'slotline-security/shellcheck/'],
      ['secretlint', 'slotline-security/secretlint/'],
    ]);
  });

  test('fingerprints stay the same when every file gains lines at the top', async () => {
    const shifted = plantSecurityApp();
    try {
      // Same content, different key: copy the first app's planted settings so the secret line is identical.
      cpSync(join(app.dir, 'config'), join(shifted.dir, 'config'), { recursive: true });
      shiftLines(join(shifted.dir, 'app', 'db.py'), 5);
      shiftLines(join(shifted.dir, 'app', 'jobs.py'), 2);
      shiftLines(join(shifted.dir, 'scripts', 'deploy.sh'), 3);
      shiftLines(join(shifted.dir, 'config', 'settings.ini'), 4);
      const again = await securityScan(options(shifted.dir, ['bandit', 'shellcheck', 'secretlint']), deps());
      const key = (r: ScanReport) =>
        r.findings.map((f) => `${f.tool} ${f.ruleId} ${f.location.path} ${f.fingerprint}`).sort();
      expect(key(again)).toEqual(key(report));
      const lines = (r: ScanReport) => r.findings.map((f) => f.location.startLine).sort((a, b) => a - b);
      expect(lines(again)).not.toEqual(lines(report));
    } finally {
      shifted.cleanup();
    }
  });
});

test('scanners: auto on the fixture app runs bandit, shellcheck and a secret scanner, and says what it skipped', async () => {
  const app = plantSecurityApp();
  try {
    const report = await securityScan(options(app.dir, 'auto'), deps());
    expect(report.selection.run).toEqual(expect.arrayContaining(['bandit', 'shellcheck']));
    expect(report.selection.run.some((n) => n === 'secretlint' || n === 'gitleaks')).toBe(true);
    const skipped = Object.fromEntries(report.selection.skipped.map((s) => [s.name, s.reason]));
    expect(skipped['npm-audit']).toBe('no package-lock.json at the root');
    expect(skipped['trivy-image']).toBe('no image input');
    expect(report.selection.notRun).toEqual([]);
    expect(report.selection.run.length + report.selection.skipped.length).toBe(8);
  } finally {
    app.cleanup();
  }
});

describe('real npm audit against a local registry', () => {
  let dir: string;
  let registry: { url: string; close: () => Promise<void> };
  const bulkBodies: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slotline-npm-audit-'));
    cpSync(join(repoRoot, '__tests__', 'fixtures', 'npm-lock'), dir, { recursive: true });
    registry = await startServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url?.includes('/-/npm/v1/security/advisories/bulk')) {
          const raw = Buffer.concat(chunks);
          bulkBodies.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString());
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              'left-pad': [
                {
                  id: 1000001,
                  url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
                  title: 'Test advisory for the fixture',
                  severity: 'high',
                  vulnerable_versions: '<1.3.0',
                  cwe: ['CWE-400'],
                  cvss: { score: 7.5, vectorString: null },
                },
              ],
            }),
          );
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
    });
  });
  afterAll(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const withRegistry =
    (url: string): Exec =>
    (file, args, opts) =>
      execFile(file, args, {
        ...opts,
        // On top of the scrubbed environment the action builds, as a runner's npm settings would be.
        env: {
          ...opts?.env,
          npm_config_registry: url,
          npm_config_fetch_retries: '0',
          npm_config_audit: 'true',
        },
      });

  test('finds the advisory in package-lock.json at the expected severity', async () => {
    const report = await securityScan(options(dir, ['npm-audit']), deps(withRegistry(registry.url)));
    expect(report.failures).toEqual([]);
    expect(bulkBodies.at(-1)).toBe('{"left-pad":["1.1.0"]}');
    expect(report.findings.map((f) => [f.ruleId, f.severity, f.location.path, f.location.startLine])).toEqual(
      [
        [
          'GHSA-aaaa-bbbb-cccc',
          'high',
          'package-lock.json',
          lineOf(join(dir, 'package-lock.json'), '"node_modules/left-pad"'),
        ],
      ],
    );
  });

  test('an unreachable registry is a clear scanner error, not a pass', async () => {
    const report = await securityScan(options(dir, ['npm-audit']), deps(withRegistry('http://127.0.0.1:9/')));
    expect(report.failures.map((f) => f.error)).toEqual([
      expect.stringMatching(/^npm audit could not get an audit report/),
    ]);
    expect(report.sarif.log.runs).toEqual([]);
  });
});
