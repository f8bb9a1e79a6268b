import type { Finding } from '../findings.js';
import { SEVERITY_SCORE, type Severity } from '../severity.js';
import { asNumber, asString, expectShape, isRecord, parseJson, repoPath } from './common.js';

/** A leaked credential is an incident whatever the rule: secretlint's error is critical. */
const LEVELS: Record<string, Severity> = { error: 'critical', warning: 'high', info: 'medium' };

/**
 * `secretlint --format json`: `[{filePath, sourceContent, messages[{ruleId, ruleParentId, severity, message,
 * range, loc}]}]`. `sourceContent` holds the whole file, secret included, so nothing of it is kept; the
 * matched text is cut out of the message too, in case masking was turned off in the user's config.
 */
export function parseSecretlintJson(text: string, root = ''): Finding[] {
  return secretlintFindings(parseJson('secretlint', text), root);
}

/** The same results as objects: what `@secretlint/core`'s lintSource returns, one per file. */
export function secretlintFindings(doc: unknown, root = ''): Finding[] {
  expectShape('secretlint', Array.isArray(doc), 'not an array of file results');
  const findings: Finding[] = [];
  for (const file of doc as unknown[]) {
    expectShape(
      'secretlint',
      isRecord(file) && Array.isArray(file['messages']),
      'a file result has no messages',
    );
    const source = asString(file['sourceContent']) ?? '';
    for (const item of file['messages'] as unknown[]) {
      expectShape('secretlint', isRecord(item), 'a message is not an object');
      const level = asString(item['severity']) ?? 'error';
      const severity = LEVELS[level] ?? 'critical';
      const range = Array.isArray(item['range']) ? (item['range'] as number[]) : [];
      const secret = range.length === 2 ? source.slice(range[0], range[1]) : '';
      let message = asString(item['message']) ?? 'secret found';
      if (secret.length >= 4) message = message.split(secret).join('***');
      const loc = isRecord(item['loc']) ? item['loc'] : {};
      const start = isRecord(loc['start']) ? loc['start'] : {};
      const end = isRecord(loc['end']) ? loc['end'] : {};
      const ruleId = asString(item['ruleId']) ?? 'secretlint';
      const messageId = asString(item['messageId']);
      findings.push({
        tool: 'secretlint',
        toolName: 'secretlint',
        ruleId,
        ruleName: messageId,
        ruleDescription: `secretlint rule ${ruleId}${messageId ? ` (${messageId})` : ''}`,
        helpUri: asString(item['docsUrl']),
        message,
        severity,
        score: SEVERITY_SCORE[severity],
        nativeSeverity: level,
        location: {
          path: repoPath(asString(file['filePath']) ?? '', root),
          // secretlint lines count from 1, columns from 0.
          startLine: asNumber(start['line']) ?? 1,
          startColumn: (asNumber(start['column']) ?? 0) + 1,
          endLine: asNumber(end['line']),
          endColumn: asNumber(end['column']) === undefined ? undefined : asNumber(end['column'])! + 1,
        },
        tags: [
          'security',
          'secret',
          ...(asString(item['ruleParentId']) ? [asString(item['ruleParentId'])!] : []),
        ],
      });
    }
  }
  return findings;
}
