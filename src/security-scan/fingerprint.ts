import { createHash } from 'node:crypto';
import type { Finding, FingerprintedFinding } from './findings.js';

/** Reads line `line` (1-based) of a file under the scanned folder; undefined when it cannot. */
export type LineReader = (path: string, line: number) => string | undefined;

/**
 * `partialFingerprints.primaryLocationLineHash`, the only key GitHub matches alerts on. It hashes what
 * the finding is, not where: tool, rule, file and the flagged line's text with whitespace squeezed (or
 * the finding's own identity, such as a package and version). Lines added above a finding leave it
 * unchanged; the `:n` suffix counts identical findings in one file so twins stay apart, in line order.
 */
export function fingerprintFindings(
  findings: readonly Finding[],
  readLine: LineReader,
): FingerprintedFinding[] {
  const ordered = findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        a.finding.location.path.localeCompare(b.finding.location.path) ||
        a.finding.location.startLine - b.finding.location.startLine ||
        (a.finding.location.startColumn ?? 0) - (b.finding.location.startColumn ?? 0) ||
        a.index - b.index,
    );
  const seen = new Map<string, number>();
  const result: FingerprintedFinding[] = new Array(findings.length);
  for (const { finding, index } of ordered) {
    const content =
      finding.identity ??
      readLine(finding.location.path, finding.location.startLine)?.replace(/\s+/g, ' ').trim() ??
      // No readable source (a deleted file, an image layer): the message is the next most stable thing.
      finding.message;
    const hash = createHash('sha256')
      .update([finding.tool, finding.ruleId, finding.location.path, content].join('\0'))
      .digest('hex')
      .slice(0, 16);
    const occurrence = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, occurrence);
    result[index] = { ...finding, fingerprint: `${hash}:${occurrence}` };
  }
  return result;
}
