import type { Finding } from '../findings.js';
import { SEVERITY_SCORE } from '../severity.js';
import { asNumber, asString, expectShape, isRecord, parseJson, repoPath } from './common.js';

/**
 * `gitleaks --report-format json`: a top-level array of findings. gitleaks gives no severity; every
 * finding is a credential in the tree, so it is critical. `Secret` and `Match` hold the credential and
 * are never copied.
 */
export function parseGitleaksJson(text: string, root = ''): Finding[] {
  const doc = parseJson('gitleaks', text);
  expectShape('gitleaks', Array.isArray(doc), 'not an array of findings');
  return (doc as unknown[]).map((item) => {
    expectShape('gitleaks', isRecord(item), 'a finding is not an object');
    const ruleId = asString(item['RuleID']) ?? 'gitleaks';
    const file = repoPath(asString(item['File']) ?? '', root);
    const commit = asString(item['Commit']);
    return {
      tool: 'gitleaks',
      toolName: 'gitleaks',
      ruleId,
      ruleDescription: asString(item['Description']) ?? `gitleaks rule ${ruleId}`,
      message: `${asString(item['Description']) ?? ruleId} detected in ${file}${commit ? ` at commit ${commit}` : ''}.`,
      severity: 'critical',
      score: SEVERITY_SCORE.critical,
      nativeSeverity: 'secret',
      location: {
        path: file,
        startLine: asNumber(item['StartLine']) ?? 1,
        startColumn: asNumber(item['StartColumn']),
        endLine: asNumber(item['EndLine']),
        endColumn: asNumber(item['EndColumn']),
      },
      tags: ['security', 'secret', ...(Array.isArray(item['Tags']) ? (item['Tags'] as string[]) : [])],
    } satisfies Finding;
  });
}
