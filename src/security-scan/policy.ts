import { type AllowlistEntry, describeEntry, isExpired, matcher } from './allowlist.js';
import type { FingerprintedFinding } from './findings.js';
import { atOrAbove, SEVERITIES, SEVERITY_RANK, type Severity } from './severity.js';

export type FailOn = Severity | 'none';

export interface SuppressedFinding {
  finding: FingerprintedFinding;
  entry: AllowlistEntry;
  entryIndex: number;
}

export interface PolicyResult {
  /** Not suppressed, worst first. */
  active: FingerprintedFinding[];
  /** Active findings at or above report-on: what goes into SARIF, annotations and the summary. */
  reported: FingerprintedFinding[];
  /** Active findings at or above fail-on. */
  failing: FingerprintedFinding[];
  suppressed: SuppressedFinding[];
  expired: { entry: AllowlistEntry; index: number }[];
  passed: boolean;
  /** One line, for the failure; undefined when passed. */
  failure?: string;
}

export function bySeverity(a: FingerprintedFinding, b: FingerprintedFinding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    b.score - a.score ||
    a.location.path.localeCompare(b.location.path) ||
    a.location.startLine - b.location.startLine
  );
}

function where(f: FingerprintedFinding): string {
  return `${f.tool} ${f.ruleId} at ${f.location.path}:${f.location.startLine}`;
}

/**
 * The one severity policy. Expired allowlist entries suppress nothing and fail the run on their own, so a
 * forgotten exception cannot outlive its date silently. `today` is YYYY-MM-DD (UTC), injected for tests.
 */
export function applyPolicy(
  findings: readonly FingerprintedFinding[],
  allowlist: readonly AllowlistEntry[],
  opts: { failOn: FailOn; reportOn: Severity; today: string },
): PolicyResult {
  const expired = allowlist.flatMap((entry, index) =>
    isExpired(entry, opts.today) ? [{ entry, index }] : [],
  );
  const live = allowlist
    .map((entry, index) => ({ entry, index, matches: matcher(entry) }))
    .filter(({ entry }) => !isExpired(entry, opts.today));
  const active: FingerprintedFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of findings) {
    const hit = live.find(({ matches }) => matches(finding));
    if (hit) suppressed.push({ finding, entry: hit.entry, entryIndex: hit.index });
    else active.push(finding);
  }
  active.sort(bySeverity);
  const reported = active.filter((f) => atOrAbove(f.severity, opts.reportOn));
  const failing =
    opts.failOn === 'none' ? [] : active.filter((f) => atOrAbove(f.severity, opts.failOn as Severity));
  const problems: string[] = [];
  if (failing.length > 0) {
    const counts = SEVERITIES.map((s) => [s, failing.filter((f) => f.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(', ');
    const examples = failing.slice(0, 3).map(where).join('; ');
    problems.push(
      `${failing.length} finding(s) at or above fail-on ${opts.failOn} (${counts}): ${examples}${failing.length > 3 ? '; ...' : ''}`,
    );
  }
  for (const { entry, index } of expired) {
    problems.push(
      `${describeEntry(entry, index)} expired on ${entry.expires}; renew it with a new date or remove it`,
    );
  }
  return {
    active,
    reported,
    failing,
    suppressed,
    expired,
    passed: problems.length === 0,
    failure: problems.length ? problems.join('. ') : undefined,
  };
}
