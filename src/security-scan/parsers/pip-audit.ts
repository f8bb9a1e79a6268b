import type { Finding } from '../findings.js';
import { SEVERITY_SCORE } from '../severity.js';
import { asString, expectShape, isRecord, parseJson } from './common.js';

/**
 * `pip-audit -f json`: `{"dependencies":[{name, version, vulns[{id, fix_versions, aliases, description}]}],
 * "fixes":[]}`, or a bare array of dependencies from versions before 2.5. pip-audit reports no severity,
 * so a known vulnerability counts as high: a gate must not wave through what it cannot grade.
 */
export function parsePipAuditJson(text: string, opts: { requirementsPath?: string } = {}): Finding[] {
  const doc = parseJson('pip-audit', text);
  const dependencies = Array.isArray(doc) ? doc : isRecord(doc) ? doc['dependencies'] : undefined;
  expectShape('pip-audit', Array.isArray(dependencies), 'no "dependencies" array');
  const path = opts.requirementsPath ?? 'requirements.txt';
  const findings: Finding[] = [];
  for (const dep of dependencies as unknown[]) {
    if (!isRecord(dep) || !Array.isArray(dep['vulns'])) continue;
    const pkg = `${asString(dep['name']) ?? '?'}@${asString(dep['version']) ?? '?'}`;
    for (const vuln of dep['vulns'] as unknown[]) {
      if (!isRecord(vuln)) continue;
      const id = asString(vuln['id']) ?? 'vulnerability';
      const aliases = Array.isArray(vuln['aliases']) ? (vuln['aliases'] as string[]) : [];
      const fixes = Array.isArray(vuln['fix_versions']) ? (vuln['fix_versions'] as string[]) : [];
      findings.push({
        tool: 'pip-audit',
        toolName: 'pip-audit',
        ruleId: id,
        ruleDescription: asString(vuln['description'])?.split('\n')[0] ?? `${id} in ${pkg}`,
        helpUri: id.startsWith('GHSA-')
          ? `https://github.com/advisories/${id}`
          : `https://osv.dev/vulnerability/${id}`,
        message: `${pkg}: ${id}${aliases.length ? ` (${aliases.join(', ')})` : ''}${fixes.length ? `; fixed in ${fixes.join(', ')}` : '; no fix yet'}`,
        severity: 'high',
        score: SEVERITY_SCORE.high,
        nativeSeverity: 'unrated',
        location: { path, startLine: 1 },
        identity: `${path}|${pkg}`,
        tags: ['security', 'vulnerability', 'python'],
      });
    }
  }
  return findings;
}
