import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { Finding, ScannerName } from '../../src/security-scan/findings.js';
import { fingerprintFindings } from '../../src/security-scan/fingerprint.js';
import { parseGitleaksJson } from '../../src/security-scan/parsers/gitleaks.js';
import { parseNpmAuditJson } from '../../src/security-scan/parsers/npm-audit.js';
import { parsePipAuditJson } from '../../src/security-scan/parsers/pip-audit.js';
import { parseToolSarif } from '../../src/security-scan/parsers/sarif-input.js';
import { parseSecretlintJson } from '../../src/security-scan/parsers/secretlint.js';
import { parseShellcheckJson1 } from '../../src/security-scan/parsers/shellcheck.js';
import { parseTrivyJson } from '../../src/security-scan/parsers/trivy.js';
import { applyPolicy } from '../../src/security-scan/policy.js';
import { mergeSarif, SARIF_LIMITS, uploadSizeProblem } from '../../src/security-scan/sarif.js';
import { severityFromScore } from '../../src/security-scan/severity.js';
import { repoRoot } from '../helpers/runner.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';

const fixtures = join(repoRoot, '__tests__', 'fixtures');
const read = (path: string): string => readFileSync(join(fixtures, path), 'utf8');

/** Every recorded output, parsed: eight tools' worth of findings. */
function recordedFindings(): Finding[] {
  return [
    ...parseToolSarif(read('scanner-outputs/bandit/sarif.py.docstring-example.sarif'), 'bandit'),
    ...parseShellcheckJson1(
      JSON.stringify({
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
          },
        ],
      }),
    ),
    ...parseSecretlintJson(read('scanner-outputs/secretlint/output.json.txt')),
    ...parseGitleaksJson(read('scanner-outputs/gitleaks/json_simple.json')),
    ...parseTrivyJson(read('scanner-outputs/trivy/pnpm.json.golden')),
    ...parseTrivyJson(read('scanner-outputs/trivy/helm_testchart.json.golden')),
    ...parseTrivyJson(read('scanner-outputs/trivy/alpine-39.json.golden'), { tool: 'trivy-image' }),
    ...parseNpmAuditJson(
      read('scanner-outputs/npm-audit/audit-report.js.test.cjs--all-severity-levels.json'),
    ),
    ...parsePipAuditJson(read('pip-audit/requirements-audit.json')),
  ];
}

const TOOLS: ScannerName[] = [
  'bandit',
  'shellcheck',
  'secretlint',
  'gitleaks',
  'trivy',
  'trivy-image',
  'npm-audit',
  'pip-audit',
];

function merged(findings: Finding[], readLine = (_p: string, _l: number): string | undefined => undefined) {
  const fingerprinted = fingerprintFindings(findings, readLine);
  const policy = applyPolicy(fingerprinted, [], { failOn: 'high', reportOn: 'low', today: '2026-11-26' });
  return mergeSarif({
    scanners: TOOLS.map((tool) => ({
      tool,
      toolName: findings.find((f) => f.tool === tool)?.toolName ?? tool,
    })),
    findings: policy.reported,
    suppressed: policy.suppressed,
    categoryPrefix: 'slotline-security',
  });
}

describe('merged SARIF from every recorded output', () => {
  const findings = recordedFindings();
  const { log, truncated } = merged(findings);

  test('validates against the official SARIF 2.1.0 schema', () => {
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(truncated).toEqual({});
  });

  test('the schema check can fail: bandit raw SARIF (startColumn 0) is invalid, as PROVENANCE.md says', () => {
    const raw = JSON.parse(read('scanner-outputs/bandit/sarif.py.docstring-example.sarif')) as unknown;
    expect(sarifSchemaErrors(raw).join('\n')).toMatch(/startColumn must be >= 1/);
  });

  test('one run per tool, each with its own automationDetails.id category', () => {
    expect(log.runs).toHaveLength(TOOLS.length);
    expect(log.runs.length).toBeLessThanOrEqual(SARIF_LIMITS.runsPerFile);
    const ids = log.runs.map((r) => r.automationDetails?.id);
    expect(ids).toEqual(TOOLS.map((t) => `slotline-security/${t}/`));
    expect(new Set(ids).size).toBe(ids.length);
    // trivy fs and trivy image share the driver name; the category keeps them apart.
    expect(log.runs.filter((r) => r.tool.driver.name === 'Trivy')).toHaveLength(2);
  });

  test('every result carries level, security-severity on its rule and a primaryLocationLineHash', () => {
    let results = 0;
    for (const run of log.runs) {
      for (const result of run.results ?? []) {
        results++;
        const rule = run.tool.driver.rules![result.ruleIndex!]!;
        expect(rule.id).toBe(result.ruleId);
        const ruleScore = Number(rule.properties!['security-severity']);
        expect(severityFromScore(ruleScore)).toBeDefined();
        expect(ruleScore).toBeGreaterThanOrEqual(Number(result.properties!['security-severity']));
        expect(result.partialFingerprints!['primaryLocationLineHash']).toMatch(/^[0-9a-f]{16}:\d+$/);
        expect(['error', 'warning', 'note']).toContain(result.level);
        expect(result.locations).toHaveLength(1);
      }
    }
    expect(results).toBe(findings.length);
  });

  test('levels follow severity: critical/high error, medium warning, low note', () => {
    const trivy = log.runs.find((r) => r.automationDetails?.id === 'slotline-security/trivy/')!;
    const levels = (trivy.results ?? []).map((r) => [r.properties!['severity'], r.level]);
    expect(levels).toEqual(
      expect.arrayContaining([
        ['critical', 'error'],
        ['high', 'error'],
        ['medium', 'warning'],
        ['low', 'note'],
      ]),
    );
  });

  test('no secret text from the recorded outputs reaches the SARIF file', () => {
    const text = JSON.stringify(log);
    expect(text).not.toMatch(/a secret|line containing secret|THIS IS SECRET|johndoe/);
  });
});

describe('fingerprints', () => {
  const finding = (line: number, ruleId = 'B602'): Finding => ({
    tool: 'bandit',
    toolName: 'Bandit',
    ruleId,
    message: 'subprocess call with shell=True identified, security issue.',
    severity: 'high',
    score: 8,
    nativeSeverity: 'HIGH',
    location: { path: 'app.py', startLine: line },
  });
  const before = [
    'import subprocess',
    '',
    'subprocess.run(cmd, shell=True)',
    'subprocess.run(cmd, shell=True)',
  ];
  const after = ['"""Docstring added above."""', 'import os', '', ...before];
  const reader = (lines: string[]) => (_path: string, line: number) => lines[line - 1];

  test('stay the same when lines shift, and twins on identical lines stay apart', () => {
    const first = fingerprintFindings([finding(3), finding(4)], reader(before)).map((f) => f.fingerprint);
    const shifted = fingerprintFindings([finding(6), finding(7)], reader(after)).map((f) => f.fingerprint);
    expect(shifted).toEqual(first);
    expect(first[0]).not.toBe(first[1]);
    expect(first[0]!.split(':')[0]).toBe(first[1]!.split(':')[0]);
  });

  test('change when the flagged code or the rule changes', () => {
    const [base] = fingerprintFindings([finding(3)], reader(before));
    const [edited] = fingerprintFindings([finding(3)], reader(['', '', 'subprocess.run(other, shell=True)']));
    const [otherRule] = fingerprintFindings([finding(3, 'B604')], reader(before));
    expect(edited!.fingerprint).not.toBe(base!.fingerprint);
    expect(otherRule!.fingerprint).not.toBe(base!.fingerprint);
  });
});

describe('GitHub limits', () => {
  test('a run over 25,000 results keeps the worst 25,000 and says how many were left out', () => {
    const many: Finding[] = Array.from({ length: SARIF_LIMITS.resultsPerRun + 3 }, (_, i) => ({
      tool: 'shellcheck',
      toolName: 'ShellCheck',
      ruleId: i === 0 ? 'SC1000' : 'SC2086',
      message: `finding ${i}`,
      severity: i === 0 ? 'high' : 'low',
      score: i === 0 ? 8 : 2,
      nativeSeverity: 'info',
      location: { path: `s${i}.sh`, startLine: 1 },
    }));
    const fingerprinted = fingerprintFindings(many, () => undefined);
    const { log, truncated } = mergeSarif({
      scanners: [{ tool: 'shellcheck', toolName: 'ShellCheck' }],
      findings: fingerprinted,
      suppressed: [],
      categoryPrefix: 'p',
    });
    expect(log.runs[0]!.results).toHaveLength(SARIF_LIMITS.resultsPerRun);
    expect(log.runs[0]!.results![0]!.ruleId).toBe('SC1000');
    expect(truncated).toEqual({ shellcheck: 3 });
  });

  test('more than 20 runs is refused rather than written and rejected by GitHub', () => {
    const scanners = Array.from({ length: 21 }, () => ({ tool: 'bandit' as const, toolName: 'Bandit' }));
    expect(() => mergeSarif({ scanners, findings: [], suppressed: [], categoryPrefix: 'p' })).toThrow(
      /limit of 20/,
    );
  });
});

test('a SARIF file over the gzip upload limit is reported before upload-sarif rejects it', () => {
  const text = JSON.stringify({ noise: Array.from({ length: 2000 }, (_, i) => `${i}-${Math.sin(i)}`) });
  expect(uploadSizeProblem(text)).toBeUndefined();
  expect(uploadSizeProblem(text, 1024)).toMatch(
    /^the SARIF file is 0\.0\d MB gzip-compressed; GitHub rejects uploads over 0\.00 MB \(raise report-on/,
  );
});
