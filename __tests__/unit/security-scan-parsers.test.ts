import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { Finding } from '../../src/security-scan/findings.js';
import { fingerprintFindings } from '../../src/security-scan/fingerprint.js';
import { parseBanditJson } from '../../src/security-scan/parsers/bandit.js';
import { ScannerOutputError } from '../../src/security-scan/parsers/common.js';
import { parseGitleaksJson } from '../../src/security-scan/parsers/gitleaks.js';
import { parseNpmAuditJson } from '../../src/security-scan/parsers/npm-audit.js';
import { parsePipAuditJson } from '../../src/security-scan/parsers/pip-audit.js';
import { parseToolSarif } from '../../src/security-scan/parsers/sarif-input.js';
import { parseSecretlintJson } from '../../src/security-scan/parsers/secretlint.js';
import { parseShellcheckJson1 } from '../../src/security-scan/parsers/shellcheck.js';
import { parseTrivyJson } from '../../src/security-scan/parsers/trivy.js';
import { repoRoot } from '../helpers/runner.js';

const outputs = join(repoRoot, '__tests__', 'fixtures', 'scanner-outputs');
const read = (path: string): string => readFileSync(join(outputs, path), 'utf8');

function bySeverity(findings: readonly Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}

/** Fingerprints are well formed and tell every finding of a recorded output apart. */
function expectDistinctFingerprints(findings: readonly Finding[]): void {
  const fingerprinted = fingerprintFindings(findings, () => undefined);
  for (const f of fingerprinted) expect(f.fingerprint).toMatch(/^[0-9a-f]{16}:\d+$/);
  expect(new Set(fingerprinted.map((f) => f.fingerprint)).size).toBe(findings.length);
}

describe('trivy', () => {
  test('image scan JSON (alpine 3.9): 6 OS-package vulnerabilities, 4 medium and 2 critical', () => {
    const findings = parseTrivyJson(read('trivy/alpine-39.json.golden'), { tool: 'trivy-image' });
    expect(bySeverity(findings)).toEqual({ medium: 4, critical: 2 });
    expect(findings.map((f) => f.ruleId).sort()).toEqual([
      'CVE-2019-14697',
      'CVE-2019-14697',
      'CVE-2019-1549',
      'CVE-2019-1549',
      'CVE-2019-1551',
      'CVE-2019-1551',
    ]);
    expect(findings.every((f) => f.tool === 'trivy-image' && f.location.path.startsWith('testdata/'))).toBe(
      true,
    );
    expect(findings.find((f) => f.ruleId === 'CVE-2019-14697')!.score).toBe(9.5);
    expectDistinctFingerprints(findings);
  });

  test('repository scan JSON (pnpm): a medium and a critical in pnpm-lock.yaml', () => {
    const findings = parseTrivyJson(read('trivy/pnpm.json.golden'));
    expect(findings.map((f) => [f.ruleId, f.severity, f.location.path])).toEqual([
      ['CVE-2019-11358', 'medium', 'pnpm-lock.yaml'],
      ['CVE-2019-10744', 'critical', 'pnpm-lock.yaml'],
    ]);
    expect(findings[0]!.message).toContain('jquery@3.3.9');
    expectDistinctFingerprints(findings);
  });

  test('secret scan JSON: critical AWS key id on line 3 and high custom secret on line 7', () => {
    const findings = parseTrivyJson(read('trivy/secrets.json.golden'));
    expect(findings.map((f) => [f.ruleId, f.severity, f.location.path, f.location.startLine])).toEqual([
      ['aws-access-key-id', 'critical', 'deploy.sh', 3],
      ['mysecret', 'high', 'deploy.sh', 7],
    ]);
    // The recorded file holds a fake GitHub token; it must not travel into findings.
    expect(JSON.stringify(findings)).not.toMatch(/ghp_|\*{8}/);
  });

  test('config scan JSON (helm chart): only FAIL results, 1 high, 3 medium, 2 low', () => {
    const findings = parseTrivyJson(read('trivy/helm_testchart.json.golden'));
    expect(bySeverity(findings)).toEqual({ high: 1, medium: 3, low: 2 });
    expect(findings.map((f) => f.ruleId)).toEqual([
      'KSV-0001',
      'KSV-0030',
      'KSV-0104',
      'KSV-0110',
      'KSV-0117',
      'KSV-0118',
    ]);
    expect(findings.find((f) => f.ruleId === 'KSV-0118')!.location).toMatchObject({
      path: 'templates/deployment.yaml',
      startLine: 23,
    });
    expectDistinctFingerprints(findings);
  });

  test('image scan SARIF: severity from the rule security-severity, 4 medium', () => {
    const findings = parseToolSarif(read('trivy/alpine-310.sarif.golden'), 'trivy-image');
    expect(bySeverity(findings)).toEqual({ medium: 4 });
    expect(new Set(findings.map((f) => f.ruleId))).toEqual(new Set(['CVE-2019-1549', 'CVE-2019-1551']));
    expect(findings.every((f) => f.score === 5.3 && f.toolName === 'Trivy')).toBe(true);
    expectDistinctFingerprints(findings);
  });
});

describe('gitleaks', () => {
  test('JSON: one critical finding, the secret and match never copied', () => {
    const findings = parseGitleaksJson(read('gitleaks/json_simple.json'));
    expect(
      findings.map((f) => [f.ruleId, f.severity, f.location.path, f.location.startLine, f.location.endLine]),
    ).toEqual([['test-rule', 'critical', 'auth.py', 1, 2]]);
    expect(JSON.stringify(findings)).not.toMatch(/a secret|line containing secret/);
  });

  test('JSON with no findings', () => {
    expect(parseGitleaksJson(read('gitleaks/empty.json'))).toEqual([]);
  });

  test('SARIF: no level still means critical; git-metadata fingerprints and snippet dropped', () => {
    const findings = parseToolSarif(read('gitleaks/sarif_simple.sarif'), 'gitleaks');
    expect(findings.map((f) => [f.ruleId, f.severity, f.location.path, f.location.startLine])).toEqual([
      ['test-rule', 'critical', 'auth.py', 1],
    ]);
    expect(JSON.stringify(findings)).not.toMatch(/a secret|johndoe/);
    expectDistinctFingerprints(findings);
  });
});

describe('secretlint', () => {
  test('JSON: error is critical, warning high; 0-based columns made 1-based; matched text masked', () => {
    const findings = parseSecretlintJson(read('secretlint/output.json.txt'));
    expect(
      findings.map((f) => [
        f.ruleId,
        f.severity,
        f.location.path,
        f.location.startLine,
        f.location.startColumn,
      ]),
    ).toEqual([
      ['example', 'high', '[SNAPSHOT]/input.txt', 1, 9],
      ['example', 'critical', '[SNAPSHOT]/input.txt', 1, 9],
      ['example', 'critical', '[SNAPSHOT]/input.txt', 1, 9],
    ]);
    expect(findings[0]!.message).toBe('warning found secret: ***');
    expect(findings[2]!.tags).toContain('parent');
    expectDistinctFingerprints(findings);
  });

  test('SARIF: nested rule ids kept, levels mapped', () => {
    const findings = parseToolSarif(read('secretlint/output.sarif'), 'secretlint');
    expect(findings.map((f) => [f.ruleId, f.severity, f.location.startColumn])).toEqual([
      ['example', 'high', 9],
      ['example', 'critical', 9],
      ['parent > example', 'critical', 9],
    ]);
    expectDistinctFingerprints(findings);
  });
});

describe('bandit', () => {
  test('SARIF (docstring example): B101 low from issue_severity; column 0 becomes 1', () => {
    const findings = parseToolSarif(read('bandit/sarif.py.docstring-example.sarif'), 'bandit');
    expect(
      findings.map((f) => [
        f.ruleId,
        f.severity,
        f.location.path,
        f.location.startLine,
        f.location.startColumn,
      ]),
    ).toEqual([['B101', 'low', 'examples/assert.py', 1, 1]]);
    expect(findings[0]!.nativeSeverity).toBe('LOW');
  });

  test('the JSON docstring example is not JSON (PROVENANCE.md): rejected with a clear error', () => {
    expect(() => parseBanditJson(read('bandit/json.py.docstring-example.json.txt'))).toThrow(
      ScannerOutputError,
    );
    expect(() => parseBanditJson(read('bandit/json.py.docstring-example.json.txt'))).toThrow(
      /bandit printed a malformed or truncated JSON report/,
    );
  });

  test('JSON shape: severity, confidence, CWE and path normalised', () => {
    const text = JSON.stringify({
      errors: [],
      results: [
        {
          filename: './app/db.py',
          issue_confidence: 'LOW',
          issue_severity: 'MEDIUM',
          issue_cwe: { id: 89 },
          issue_text: 'Possible SQL injection vector through string-based query construction.',
          line_number: 6,
          line_range: [6],
          test_id: 'B608',
          test_name: 'hardcoded_sql_expressions',
        },
      ],
    });
    const [finding] = parseBanditJson(text);
    expect(finding).toMatchObject({
      ruleId: 'B608',
      severity: 'medium',
      location: { path: 'app/db.py', startLine: 6 },
    });
    expect(finding!.tags).toEqual(expect.arrayContaining(['confidence:low', 'external/cwe/cwe-89']));
  });
});

describe('npm audit', () => {
  test('json audit: one high finding for test-dep-a, rule from its GHSA advisory', () => {
    const lockfile =
      '{\n  "packages": {\n    "": {},\n    "node_modules/test-dep-a": {\n      "version": "1.0.0"\n    }\n  }\n}\n';
    const findings = parseNpmAuditJson(read('npm-audit/audit.js.test.cjs--json-audit.json'), {
      lockfileText: lockfile,
    });
    expect(findings.map((f) => [f.ruleId, f.severity, f.location.path, f.location.startLine])).toEqual([
      ['GHSA-100', 'high', 'package-lock.json', 4],
    ]);
  });

  test('all severity levels: counts match npm metadata (8 low, 1 moderate, 5 high, 2 critical)', () => {
    const text = read('npm-audit/audit-report.js.test.cjs--all-severity-levels.json');
    const findings = parseNpmAuditJson(text);
    expect(findings).toHaveLength(16);
    expect(bySeverity(findings)).toEqual({ low: 8, medium: 1, high: 5, critical: 2 });
    const byName = new Map(findings.map((f) => [f.message.split(' ')[0], f]));
    expect(byName.get('handlebars')).toMatchObject({ ruleId: 'npm-755', severity: 'critical' });
    expect(byName.get('mkdirp')).toMatchObject({ ruleId: 'vulnerable-dependency', severity: 'low' });
    expect(byName.get('mkdirp')!.message).toContain('through minimist');
    expectDistinctFingerprints(findings);
  });

  test('an npm error report (no registry) is an error, not zero findings', () => {
    const text = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry/-/npm/v1/security/advisories/bulk',
      error: { summary: '', detail: '' },
    });
    expect(() => parseNpmAuditJson(text)).toThrow(
      /npm audit could not get an audit report: 405 Method Not Allowed/,
    );
  });
});

describe('pip-audit (hand-built sample, see fixtures/pip-audit/README.md)', () => {
  const text = readFileSync(
    join(repoRoot, '__tests__', 'fixtures', 'pip-audit', 'requirements-audit.json'),
    'utf8',
  );

  test('one high finding per vulnerability; skipped and clean dependencies ignored', () => {
    const findings = parsePipAuditJson(text, { requirementsPath: 'requirements.txt' });
    expect(findings.map((f) => [f.ruleId, f.severity, f.location.path])).toEqual([
      ['PYSEC-2019-179', 'high', 'requirements.txt'],
      ['PYSEC-2018-66', 'high', 'requirements.txt'],
    ]);
    expect(findings[0]!.message).toBe('flask@0.5: PYSEC-2019-179 (CVE-2019-1010083); fixed in 1.0');
    expectDistinctFingerprints(findings);
  });

  test('the legacy top-level array form', () => {
    const legacy = JSON.stringify((JSON.parse(text) as { dependencies: unknown[] }).dependencies);
    expect(parsePipAuditJson(legacy)).toHaveLength(2);
  });
});

describe('shellcheck json1 (no recorded file exists; the real-run test covers live output)', () => {
  test('levels map onto the scale and codes become SC rule ids', () => {
    const text = JSON.stringify({
      comments: [
        {
          file: 'deploy.sh',
          line: 4,
          endLine: 4,
          column: 8,
          endColumn: 19,
          level: 'info',
          code: 2086,
          message: 'Double quote to prevent globbing and word splitting.',
          fix: null,
        },
        {
          file: 'deploy.sh',
          line: 2,
          endLine: 2,
          column: 1,
          endColumn: 5,
          level: 'error',
          code: 1072,
          message: 'Unexpected.',
          fix: null,
        },
      ],
    });
    expect(parseShellcheckJson1(text).map((f) => [f.ruleId, f.severity, f.location.startLine])).toEqual([
      ['SC2086', 'low', 4],
      ['SC1072', 'high', 2],
    ]);
  });
});

test('output that is not the documented shape is an error for every parser', () => {
  expect(() => parseTrivyJson('{"Results": 3}')).toThrow(/trivy output is not in the expected shape/);
  expect(() => parseGitleaksJson('{}')).toThrow(/gitleaks output is not in the expected shape/);
  expect(() => parseSecretlintJson('{}')).toThrow(/secretlint output is not in the expected shape/);
  expect(() => parseShellcheckJson1('[]')).toThrow(/shellcheck output is not in the expected shape/);
  expect(() => parseBanditJson('{}')).toThrow(/bandit output is not in the expected shape/);
  expect(() => parseNpmAuditJson('{}')).toThrow(/npm audit output is not in the expected shape/);
  expect(() => parsePipAuditJson('{}')).toThrow(/pip-audit output is not in the expected shape/);
  expect(() => parseToolSarif('{"runs": 1}', 'trivy')).toThrow(/trivy output is not in the expected shape/);
  expect(() => parseTrivyJson('Segmentation fault')).toThrow(/trivy did not print JSON/);
});

test('a truncated report is an error that quotes none of it (it may hold file contents)', () => {
  const cut = '[{"filePath":"/a","sourceContent":"aws_secret_access_key = abcdefghij';
  expect(() => parseSecretlintJson(cut)).toThrow(
    `secretlint printed a malformed or truncated JSON report of ${cut.length} bytes`,
  );
});
