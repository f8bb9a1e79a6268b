import type { Finding } from '../findings.js';
import { SEVERITY_SCORE, type Severity } from '../severity.js';
import { asNumber, asString, expectShape, isRecord, parseJson, repoPath } from './common.js';

/**
 * shellcheck's levels onto the scale. shellcheck finds bugs rather than vulnerabilities, so its worst
 * (a script that will not parse or run as written) is high, and its advice is low: an unquoted variable
 * (SC2086, level info) is reported, but only gates a run that fails on low.
 */
const LEVELS: Record<string, Severity> = { error: 'high', warning: 'medium', info: 'low', style: 'low' };

/** `shellcheck -f json1`: `{"comments":[{file, line, endLine, column, endColumn, level, code, message}]}`. */
export function parseShellcheckJson1(text: string, root = ''): Finding[] {
  const doc = parseJson('shellcheck', text);
  expectShape('shellcheck', isRecord(doc) && Array.isArray(doc['comments']), 'no "comments" array');
  return (doc['comments'] as unknown[]).map((item) => {
    expectShape('shellcheck', isRecord(item), 'a comment is not an object');
    const level = asString(item['level']) ?? 'warning';
    const severity = LEVELS[level] ?? 'medium';
    const code = asNumber(item['code']);
    const ruleId = code === undefined ? 'shellcheck' : `SC${code}`;
    return {
      tool: 'shellcheck',
      toolName: 'ShellCheck',
      ruleId,
      ruleDescription: asString(item['message']),
      helpUri: code === undefined ? undefined : `https://www.shellcheck.net/wiki/${ruleId}`,
      message: asString(item['message']) ?? ruleId,
      severity,
      score: SEVERITY_SCORE[severity],
      nativeSeverity: level,
      location: {
        path: repoPath(asString(item['file']) ?? '', root),
        startLine: asNumber(item['line']) ?? 1,
        startColumn: asNumber(item['column']),
        endLine: asNumber(item['endLine']),
        endColumn: asNumber(item['endColumn']),
      },
      tags: ['shell', 'correctness'],
    } satisfies Finding;
  });
}
