import type { Finding } from '../findings.js';
import { SEVERITY_SCORE, severityFromLabel } from '../severity.js';
import { asNumber, asString, expectShape, isRecord, parseJson, repoPath } from './common.js';

/**
 * `trivy fs|repo|image|config --format json`: `Results[]` per target with Vulnerabilities, Secrets and
 * Misconfigurations (only `Status: FAIL` ones are findings). Severity is trivy's label (UNKNOWN counts
 * as low so it is not lost); the score is the label's, as trivy's own SARIF does for non-CVSS findings.
 */
export function parseTrivyJson(
  text: string,
  opts: { root?: string; tool?: 'trivy' | 'trivy-image' } = {},
): Finding[] {
  const tool = opts.tool ?? 'trivy';
  const doc = parseJson('trivy', text);
  expectShape('trivy', isRecord(doc), 'not a JSON object');
  const results = doc['Results'] ?? [];
  expectShape('trivy', Array.isArray(results), '"Results" is not an array');
  const findings: Finding[] = [];
  const base = { tool, toolName: 'Trivy' } as const;
  for (const result of results as unknown[]) {
    expectShape('trivy', isRecord(result), 'a result is not an object');
    const target = repoPath(
      asString(result['Target']) ?? asString(doc['ArtifactName']) ?? '',
      opts.root ?? '',
    );
    for (const vuln of (result['Vulnerabilities'] as unknown[] | undefined) ?? []) {
      if (!isRecord(vuln)) continue;
      const label = asString(vuln['Severity']) ?? 'UNKNOWN';
      const severity = severityFromLabel(label) ?? 'low';
      const id = asString(vuln['VulnerabilityID']) ?? 'vulnerability';
      const pkg = `${asString(vuln['PkgName']) ?? '?'}@${asString(vuln['InstalledVersion']) ?? '?'}`;
      const fixed = asString(vuln['FixedVersion']);
      findings.push({
        ...base,
        ruleId: id,
        ruleName: asString(vuln['Title']),
        ruleDescription: asString(vuln['Title']) ?? asString(vuln['Description']) ?? id,
        helpUri: asString(vuln['PrimaryURL']),
        message: `${pkg}: ${id}${asString(vuln['Title']) ? ` (${asString(vuln['Title'])})` : ''}${fixed ? `; fixed in ${fixed}` : '; no fix yet'}`,
        severity,
        score: SEVERITY_SCORE[severity],
        nativeSeverity: label,
        location: { path: target, startLine: 1 },
        identity: `${target}|${pkg}`,
        tags: ['security', 'vulnerability', asString(result['Class']) ?? 'dependency'],
      });
    }
    for (const secret of (result['Secrets'] as unknown[] | undefined) ?? []) {
      if (!isRecord(secret)) continue;
      const label = asString(secret['Severity']) ?? 'UNKNOWN';
      const severity = severityFromLabel(label) ?? 'low';
      const id = asString(secret['RuleID']) ?? 'secret';
      findings.push({
        ...base,
        ruleId: id,
        ruleDescription: asString(secret['Title']) ?? id,
        message: `${asString(secret['Title']) ?? id} found in ${target}.`,
        severity,
        score: SEVERITY_SCORE[severity],
        nativeSeverity: label,
        location: {
          path: target,
          startLine: asNumber(secret['StartLine']) ?? 1,
          endLine: asNumber(secret['EndLine']),
        },
        tags: ['security', 'secret'],
      });
    }
    for (const misconfig of (result['Misconfigurations'] as unknown[] | undefined) ?? []) {
      if (!isRecord(misconfig) || asString(misconfig['Status']) !== 'FAIL') continue;
      const label = asString(misconfig['Severity']) ?? 'UNKNOWN';
      const severity = severityFromLabel(label) ?? 'low';
      const id = asString(misconfig['ID']) ?? asString(misconfig['AVDID']) ?? 'misconfiguration';
      const cause = isRecord(misconfig['CauseMetadata']) ? misconfig['CauseMetadata'] : {};
      findings.push({
        ...base,
        ruleId: id,
        ruleName: asString(misconfig['Title']),
        ruleDescription: asString(misconfig['Description']) ?? asString(misconfig['Title']) ?? id,
        helpUri: asString(misconfig['PrimaryURL']),
        message: asString(misconfig['Message']) ?? asString(misconfig['Title']) ?? id,
        severity,
        score: SEVERITY_SCORE[severity],
        nativeSeverity: label,
        location: {
          path: target,
          startLine: asNumber(cause['StartLine']) ?? 1,
          endLine: asNumber(cause['EndLine']),
        },
        tags: ['security', 'misconfiguration', asString(result['Type']) ?? 'config'],
      });
    }
  }
  return findings;
}
