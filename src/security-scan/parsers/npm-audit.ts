import type { Finding } from '../findings.js';
import { SEVERITY_RANK, SEVERITY_SCORE, type Severity, severityFromLabel } from '../severity.js';
import { asString, expectShape, isRecord, parseJson, ScannerOutputError } from './common.js';

interface Advisory {
  id: string;
  title: string;
  url?: string;
  severity: Severity;
}

/** GHSA-xxxx from a GitHub advisory URL, npm-<n> from the old npmjs.com advisories. */
function advisoryId(via: Record<string, unknown>): string {
  const url = asString(via['url']) ?? '';
  const ghsa = /GHSA-[\w-]+/i.exec(url);
  if (ghsa) return ghsa[0];
  const source = via['source'];
  return typeof source === 'number' || typeof source === 'string' ? `npm-${source}` : 'npm-advisory';
}

/** The line of `"node_modules/<name>": {` in package-lock.json, so the alert points somewhere useful. */
function lockfileLine(lockfile: string | undefined, node: string | undefined): number {
  if (!lockfile || !node) return 1;
  const index = lockfile.split('\n').findIndex((line) => line.includes(`"${node}":`));
  return index >= 0 ? index + 1 : 1;
}

/**
 * `npm audit --json` (auditReportVersion 2): one finding per vulnerable package, the unit npm's own
 * `metadata.vulnerabilities` counts. The rule is the package's worst advisory; a package that is only
 * vulnerable through another one gets the rule `vulnerable-dependency`.
 */
export function parseNpmAuditJson(
  text: string,
  opts: { lockfilePath?: string; lockfileText?: string } = {},
): Finding[] {
  const doc = parseJson('npm audit', text);
  expectShape('npm audit', isRecord(doc), 'not a JSON object');
  if (isRecord(doc['error'])) {
    const error = doc['error'];
    // The registry's answer is in `message` when `summary` is empty (e.g. a mirror without the audit API).
    const why = [
      asString(error['code']),
      asString(error['summary'])?.split('\n')[0],
      asString(doc['message']),
    ]
      .filter(Boolean)
      .join(': ');
    throw new ScannerOutputError(`npm audit could not get an audit report: ${why || 'unknown error'}`);
  }
  expectShape(
    'npm audit',
    isRecord(doc['vulnerabilities']),
    'no "vulnerabilities" object (auditReportVersion 2)',
  );
  const path = opts.lockfilePath ?? 'package-lock.json';
  const findings: Finding[] = [];
  for (const [name, entry] of Object.entries(doc['vulnerabilities'] as Record<string, unknown>)) {
    if (!isRecord(entry)) continue;
    const label = asString(entry['severity']) ?? 'low';
    const severity = severityFromLabel(label) ?? 'low';
    const via = Array.isArray(entry['via']) ? (entry['via'] as unknown[]) : [];
    const advisories: Advisory[] = via.filter(isRecord).map((v) => ({
      id: advisoryId(v),
      title: asString(v['title']) ?? 'advisory',
      url: asString(v['url']),
      severity: severityFromLabel(asString(v['severity'])) ?? 'low',
    }));
    const through = via.filter((v): v is string => typeof v === 'string');
    const worst = [...advisories].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])[0];
    const nodes = Array.isArray(entry['nodes']) ? (entry['nodes'] as string[]) : [];
    const range = asString(entry['range']) ?? '*';
    const parts = [
      ...advisories.map((a) => `${a.id} ${a.title}`),
      ...(through.length ? [`through ${through.join(', ')}`] : []),
    ];
    const fix = entry['fixAvailable'];
    findings.push({
      tool: 'npm-audit',
      toolName: 'npm audit',
      ruleId: worst?.id ?? 'vulnerable-dependency',
      ruleName: worst?.title,
      ruleDescription: worst ? worst.title : 'Depends on a vulnerable package',
      helpUri: worst?.url,
      message: `${name} ${range} is vulnerable: ${parts.join('; ')}${fix === false ? ' (no fix available)' : ''}`,
      severity,
      score: SEVERITY_SCORE[severity],
      nativeSeverity: label,
      location: { path, startLine: lockfileLine(opts.lockfileText, nodes[0]) },
      identity: `${name}|${range}|${nodes.join(',')}`,
      tags: [
        'security',
        'vulnerability',
        'npm',
        ...(entry['isDirect'] === true ? ['direct'] : ['transitive']),
      ],
    });
  }
  return findings;
}
