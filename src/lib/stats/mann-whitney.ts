// The Mann-Whitney U test (Wilcoxon rank-sum), as R's wilcox.test(x, y, conf.int = TRUE) computes it.
import { normalCdf, normalQuantile, normalSf } from './normal.js';
import { averageRanks, tieSum } from './ranks.js';
import { wilcoxonCdf, wilcoxonQuantile, wilcoxonSf } from './wilcoxon-distribution.js';

/** `greater`: x tends to be larger than y (shifted by mu); `less`: smaller; `two-sided`: either. */
export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyOptions {
  alternative?: Alternative;
  /** The shift x − y under the null hypothesis (R's mu). Default 0. */
  mu?: number;
  /** `auto` (default) is R's rule: exact when both samples have fewer than 50 values and no ties. */
  exact?: boolean | 'auto';
  /** Continuity correction of the normal approximation (R's correct). Default true. */
  correct?: boolean;
  /** Confidence level of the interval for the shift. Default 0.95. */
  confLevel?: number;
}

export interface MannWhitneyResult {
  /** W = U of the first sample: the number of pairs with x − mu > y, ties counting one half (R's W). */
  statistic: number;
  pValue: number;
  method: 'exact' | 'normal';
  alternative: Alternative;
  /** The standardised statistic of the normal approximation (after corrections); undefined when exact. */
  z: number | undefined;
  /** Hodges-Lehmann estimate of the shift x − y: the median of all pairwise differences. */
  estimate: number;
  /** Confidence interval for the shift; one side is infinite for a one-sided alternative. */
  confInt: [number, number];
  confLevel: number;
  /** The coverage the exact interval really has (the exact distribution is discrete); else confLevel. */
  achievedConfLevel: number;
  /** Common-language effect size: P(X > Y) + ½·P(X = Y), estimated as W / (m·n). */
  commonLanguage: number;
  /** Rank-biserial correlation: 2·commonLanguage − 1, from −1 (every y larger) to 1 (every x larger). */
  rankBiserial: number;
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function sortedDifferences(x: readonly number[], y: readonly number[]): Float64Array {
  const differences = new Float64Array(x.length * y.length);
  let k = 0;
  for (const xi of x) for (const yj of y) differences[k++] = xi - yj;
  return differences.sort();
}

function rankSumStatistic(x: readonly number[], y: readonly number[], shift: number): number {
  const ranks = averageRanks([...x.map((v) => v - shift), ...y]);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += ranks[i]!;
  return sum - (x.length * (x.length + 1)) / 2;
}

function rankSumSigma(m: number, n: number, ties: number): number {
  return Math.sqrt(((m * n) / 12) * (m + n + 1 - ties / ((m + n) * (m + n - 1))));
}

function continuityCorrection(alternative: Alternative, centred: number, correct: boolean): number {
  if (!correct) return 0;
  if (alternative === 'greater') return 0.5;
  if (alternative === 'less') return -0.5;
  return Math.sign(centred) * 0.5;
}

/**
 * R's wdiff(d, zq) in wilcox.test's asymptotic interval: the corrected, standardised rank-sum statistic
 * of (x − d, y), minus zq. It is non-increasing in d. Exported so tests can check it against R's values.
 */
export function shiftedStatistic(
  x: readonly number[],
  y: readonly number[],
  d: number,
  zq: number,
  alternative: Alternative = 'two-sided',
  correct = true,
): number {
  const m = x.length;
  const n = y.length;
  const shifted = [...x.map((v) => v - d), ...y];
  const centred = rankSumStatistic(x, y, d) - (m * n) / 2;
  const sigma = rankSumSigma(m, n, tieSum(shifted));
  if (sigma === 0)
    throw new RangeError('cannot compute a confidence interval when all observations are tied');
  return (centred - continuityCorrection(alternative, centred, correct)) / sigma - zq;
}

/**
 * The root in d of shiftedStatistic(d) = 0, found exactly rather than by R's uniroot (tol 1e-4): the
 * function is a step function that only changes at the pairwise differences, so the root is the
 * difference where it changes sign (or the middle of the range where it is exactly 0).
 */
function shiftRoot(
  x: readonly number[],
  y: readonly number[],
  differences: Float64Array,
  zq: number,
  alternative: Alternative,
  correct: boolean,
): number {
  const low = differences[0]!;
  const high = differences[differences.length - 1]!;
  // Both samples constant: every difference is the same, and so is the interval. (At that shift every
  // observation ties and the statistic is undefined; R stops with an error there.)
  if (low === high) return low;
  const f = (d: number) => shiftedStatistic(x, y, d, zq, alternative, correct);
  if (f(low) <= 0) return low;
  if (f(high) >= 0) return high;
  const distinct: number[] = [];
  for (const d of differences)
    if (distinct.length === 0 || distinct[distinct.length - 1] !== d) distinct.push(d);
  // Between consecutive distinct differences the value is constant; probe each gap at its middle.
  const gap = (k: number) => f((distinct[k]! + distinct[k + 1]!) / 2);
  const gaps = distinct.length - 1;
  // The first gap whose value is ≤ 0; if there is none, the sign changes at high itself.
  let lo = 0;
  let hi = gaps;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (gap(mid) <= 0) hi = mid;
    else lo = mid + 1;
  }
  if (lo === gaps || gap(lo) < 0) return distinct[lo]!;
  // A run of gaps where the statistic is exactly zero: every point of it is a root.
  let end = lo;
  while (end + 1 < gaps && gap(end + 1) === 0) end++;
  return (distinct[lo]! + distinct[end + 1]!) / 2;
}

/** Two-sample Mann-Whitney U test of x against y, with the Hodges-Lehmann shift and its interval. */
export function mannWhitney(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  const alternative = options.alternative ?? 'two-sided';
  const mu = options.mu ?? 0;
  const correct = options.correct ?? true;
  const confLevel = options.confLevel ?? 0.95;
  if (x.length === 0 || y.length === 0) throw new RangeError('both samples need at least one value');
  if (![...x, ...y, mu].every(Number.isFinite)) throw new RangeError('every value must be a finite number');
  if (!(confLevel > 0 && confLevel < 1))
    throw new RangeError(`confLevel must be in (0, 1), not ${confLevel}`);
  const m = x.length;
  const n = y.length;
  const statistic = rankSumStatistic(x, y, mu);
  const hasTies = tieSum([...x.map((v) => v - mu), ...y]) > 0;
  const wantExact =
    options.exact === undefined || options.exact === 'auto' ? m < 50 && n < 50 : options.exact;
  const differences = sortedDifferences(x, y);
  const estimate = median(Array.from(differences));
  const commonLanguage = statistic / (m * n);
  const effects = { commonLanguage, rankBiserial: 2 * commonLanguage - 1 };
  const alpha = 1 - confLevel;

  if (wantExact && !hasTies) {
    let pValue: number;
    if (alternative === 'greater') pValue = wilcoxonSf(statistic - 1, m, n);
    else if (alternative === 'less') pValue = wilcoxonCdf(statistic, m, n);
    else {
      const tail = statistic > (m * n) / 2 ? wilcoxonSf(statistic - 1, m, n) : wilcoxonCdf(statistic, m, n);
      pValue = Math.min(2 * tail, 1);
    }
    // R's exact interval: order statistics of the pairwise differences at qwilcox's critical value.
    const at = (k: number) => differences[k - 1]!;
    let confInt: [number, number];
    let achievedAlpha: number;
    if (alternative === 'two-sided') {
      const qu = Math.max(wilcoxonQuantile(alpha / 2, m, n), 1);
      confInt = [at(qu), at(m * n - qu + 1)];
      achievedAlpha = 2 * wilcoxonCdf(qu - 1, m, n);
    } else {
      const qu = Math.max(wilcoxonQuantile(alpha, m, n), 1);
      confInt =
        alternative === 'greater'
          ? [at(qu), Number.POSITIVE_INFINITY]
          : [Number.NEGATIVE_INFINITY, at(m * n - qu + 1)];
      achievedAlpha = wilcoxonCdf(qu - 1, m, n);
    }
    return {
      statistic,
      pValue,
      method: 'exact',
      alternative,
      z: undefined,
      estimate,
      confInt,
      confLevel,
      achievedConfLevel: 1 - achievedAlpha,
      ...effects,
    };
  }

  const centred = statistic - (m * n) / 2;
  const sigma = rankSumSigma(m, n, tieSum([...x.map((v) => v - mu), ...y]));
  let z: number;
  let pValue: number;
  if (sigma === 0) {
    // Every value tied: no evidence either way (R returns NaN here).
    z = 0;
    pValue = 1;
  } else {
    z = (centred - continuityCorrection(alternative, centred, correct)) / sigma;
    if (alternative === 'greater') pValue = normalSf(z);
    else if (alternative === 'less') pValue = normalCdf(z);
    else pValue = Math.min(2 * Math.min(normalCdf(z), normalSf(z)), 1);
  }
  let confInt: [number, number];
  if (sigma === 0) confInt = [differences[0]!, differences[0]!];
  else if (alternative === 'two-sided') {
    confInt = [
      shiftRoot(x, y, differences, normalQuantile(1 - alpha / 2), alternative, correct),
      shiftRoot(x, y, differences, normalQuantile(alpha / 2), alternative, correct),
    ];
  } else if (alternative === 'greater') {
    confInt = [
      shiftRoot(x, y, differences, normalQuantile(1 - alpha), alternative, correct),
      Number.POSITIVE_INFINITY,
    ];
  } else {
    confInt = [
      Number.NEGATIVE_INFINITY,
      shiftRoot(x, y, differences, normalQuantile(alpha), alternative, correct),
    ];
  }
  return {
    statistic,
    pValue,
    method: 'normal',
    alternative,
    z,
    estimate,
    confInt,
    confLevel,
    achievedConfLevel: confLevel,
    ...effects,
  };
}
