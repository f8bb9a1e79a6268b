import type { Result } from 'sarif';

/** slotline's severity scale, the labels GitHub code scanning derives from `security-severity`. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse: for sorting and "at or above" comparisons. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1 };

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}

/**
 * The score written to `security-severity` when a tool gives a label but no score. Same values as
 * trivy's SARIF writer, so a merged file reads alike whichever tool found what.
 */
export const SEVERITY_SCORE: Readonly<Record<Severity, number>> = {
  critical: 9.5,
  high: 8.0,
  medium: 5.5,
  low: 2.0,
};

/**
 * GitHub's bands, made half-open so no score falls between them (its wording leaves 9.0 and 8.95 in no
 * band): >= 9.0 critical, >= 7.0 high, >= 4.0 medium, anything above 0 low.
 */
export function severityFromScore(score: number): Severity | undefined {
  if (!Number.isFinite(score) || score <= 0 || score > 10) return undefined;
  if (score >= 9.0) return 'critical';
  if (score >= 7.0) return 'high';
  if (score >= 4.0) return 'medium';
  return 'low';
}

/** SARIF `level`: GitHub filters on it; error for what should block, warning for medium, note for low. */
export function levelFor(severity: Severity): Result.level {
  return severity === 'critical' || severity === 'high'
    ? 'error'
    : severity === 'medium'
      ? 'warning'
      : 'note';
}

/** A native label from any tool (CRITICAL, moderate, error...) onto the scale; undefined if unknown. */
export function severityFromLabel(label: string | undefined): Severity | undefined {
  switch (label?.trim().toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
      return 'high';
    case 'medium':
    case 'moderate':
      return 'medium';
    case 'low':
    case 'info':
    case 'informational':
    case 'negligible':
    case 'unknown':
      return 'low';
    default:
      return undefined;
  }
}
