import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile, whichOnPath } from '../../src/security-scan/exec.js';
import { type ScanReport, securityScan } from '../../src/security-scan/scan.js';
import { repoRoot } from '../helpers/runner.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';

/*
 * trivy, gitleaks and pip-audit are not installed on the development machine or in CI (no GitHub or PyPI
 * downloads), so these stand-ins are real executables that log their arguments and print the scanners'
 * recorded real output. They check the command lines and report handling; the parsers are checked
 * against the same recordings in unit/security-scan-parsers.test.ts.
 */
const outputs = join(repoRoot, '__tests__', 'fixtures', 'scanner-outputs');
let bin: string;
let repo: string;
let argsLog: string;
let report: ScanReport;

function standIn(name: string, body: string): void {
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${argsLog}'\n${body}\n`);
  chmodSync(file, 0o755);
}

beforeAll(async () => {
  bin = mkdtempSync(join(tmpdir(), 'slotline-standins-'));
  repo = mkdtempSync(join(tmpdir(), 'slotline-wiring-'));
  argsLog = join(bin, 'args.log');
  writeFileSync(join(repo, 'requirements.txt'), 'flask==0.5\n');
  standIn(
    'trivy',
    [
      'case "$1" in',
      '  --version) echo "Version: 0.58.1" ;;',
      `  fs) cat '${join(outputs, 'trivy', 'pnpm.json.golden')}' ;;`,
      `  image) cat '${join(outputs, 'trivy', 'alpine-39.json.golden')}' ;;`,
      'esac',
    ].join('\n'),
  );
  standIn(
    'gitleaks',
    [
      'if [ "$1" = version ]; then echo 8.21.2; exit 0; fi',
      `while [ $# -gt 0 ]; do if [ "$1" = --report-path ]; then cp '${join(outputs, 'gitleaks', 'json_simple.json')}' "$2"; fi; shift; done`,
    ].join('\n'),
  );
  standIn(
    'pip-audit',
    [
      'if [ "$1" = --version ]; then echo "pip-audit 2.7.3"; exit 0; fi',
      `cat '${join(repoRoot, '__tests__', 'fixtures', 'pip-audit', 'requirements-audit.json')}'`,
      'exit 1',
    ].join('\n'),
  );
  report = await securityScan(
    {
      root: repo,
      repoRoot: repo,
      scanners: ['trivy', 'trivy-image', 'gitleaks', 'pip-audit'],
      image: 'registry.example/app:1',
      failOn: 'critical',
      reportOn: 'low',
      allowlist: [],
      categoryPrefix: 'ci/security',
    },
    {
      exec: execFile,
      which: whichOnPath(bin),
      today: '2026-11-26',
      now: () => performance.now(),
      log: () => {},
    },
  );
});
afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(repo, { recursive: true, force: true });
});

test('each scanner is called with the command line the action documents', () => {
  const calls = readFileSync(argsLog, 'utf8').split('\n');
  expect(calls).toEqual(
    expect.arrayContaining([
      'trivy fs --format json --quiet --exit-code 0 --scanners vuln,secret,misconfig .',
      'trivy image --format json --quiet --exit-code 0 registry.example/app:1',
      expect.stringMatching(
        new RegExp(
          `^gitleaks detect --no-git --source ${repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --report-format json --report-path \\S+/gitleaks\\.json --redact --no-banner --exit-code 0 --log-level error$`,
        ),
      ),
      'pip-audit -r requirements.txt -f json --progress-spinner off',
    ]),
  );
});

test('their reports become findings per tool, with versions', () => {
  expect(report.failures).toEqual([]);
  expect(report.scanners.map((s) => [s.name, s.version, s.findings])).toEqual([
    ['trivy', '0.58.1', 2],
    ['trivy-image', '0.58.1', 6],
    ['gitleaks', '8.21.2', 1],
    ['pip-audit', '2.7.3', 2],
  ]);
});

test('trivy fs and trivy image share a driver name but not a category; the file is valid SARIF', () => {
  expect(sarifSchemaErrors(report.sarif.log)).toEqual([]);
  expect(report.sarif.log.runs.map((r) => [r.tool.driver.name, r.automationDetails?.id])).toEqual([
    ['Trivy', 'ci/security/trivy/'],
    ['Trivy', 'ci/security/trivy-image/'],
    ['gitleaks', 'ci/security/gitleaks/'],
    ['pip-audit', 'ci/security/pip-audit/'],
  ]);
});

test('fail-on critical fails on trivy and gitleaks criticals', () => {
  expect(report.policy.passed).toBe(false);
  expect(report.policy.failure).toMatch(/^4 finding\(s\) at or above fail-on critical \(4 critical\)/);
});
