import type { Finding } from '../findings.js';
import { SEVERITY_SCORE, severityFromLabel } from '../severity.js';
import { asNumber, asString, expectShape, isRecord, parseJson, repoPath } from './common.js';

/**
 * `bandit -f json`. Severity is bandit's issue_severity (HIGH/MEDIUM/LOW); confidence goes into the tags
 * and `precision`, not the gate: a low-confidence SQL injection is still worth a look.
 */
export function parseBanditJson(text: string, root = ''): Finding[] {
  const doc = parseJson('bandit', text);
  expectShape('bandit', isRecord(doc) && Array.isArray(doc['results']), 'no "results" array');
  return (doc['results'] as unknown[]).map((item) => {
    expectShape('bandit', isRecord(item), 'a result is not an object');
    const severity = severityFromLabel(asString(item['issue_severity'])) ?? 'low';
    const confidence = (asString(item['issue_confidence']) ?? 'UNDEFINED').toLowerCase();
    const cwe = isRecord(item['issue_cwe']) ? asNumber(item['issue_cwe']['id']) : undefined;
    const lineRange = Array.isArray(item['line_range']) ? (item['line_range'] as number[]) : [];
    const startLine = asNumber(item['line_number']) ?? 1;
    const colOffset = asNumber(item['col_offset']);
    return {
      tool: 'bandit',
      toolName: 'Bandit',
      ruleId: asString(item['test_id']) ?? 'bandit',
      ruleName: asString(item['test_name']),
      ruleDescription: asString(item['issue_text'])?.trim(),
      helpUri: asString(item['more_info']),
      message: (asString(item['issue_text']) ?? 'bandit finding').trim(),
      severity,
      score: SEVERITY_SCORE[severity],
      nativeSeverity: `${asString(item['issue_severity']) ?? 'UNDEFINED'} (confidence ${confidence.toUpperCase()})`,
      location: {
        path: repoPath(asString(item['filename']) ?? '', root),
        startLine,
        // bandit's col_offset counts from 0.
        startColumn: colOffset === undefined ? undefined : colOffset + 1,
        endLine: Math.max(
          startLine,
          ...lineRange.filter((n) => typeof n === 'number' && n <= startLine + 50),
        ),
      },
      tags: [
        'security',
        `confidence:${confidence}`,
        ...(cwe === undefined ? [] : [`external/cwe/cwe-${cwe}`]),
      ],
    } satisfies Finding;
  });
}
