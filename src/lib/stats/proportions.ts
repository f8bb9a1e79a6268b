// Tests and intervals for proportions: error counts out of request counts.

import type { Alternative } from './mann-whitney.js';
import { normalCdf, normalQuantile, normalSf } from './normal.js';

/** Successes (e.g. errors) out of trials (e.g. requests). */
export interface Count {
  successes: number;
  trials: number;
}

function checkCount({ successes, trials }: Count): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || trials < successes) {
    throw new RangeError(`a count needs integers 0 ≤ successes ≤ trials, not ${successes} of ${trials}`);
  }
}

function checkConfLevel(confLevel: number): void {
  if (!(confLevel > 0 && confLevel < 1))
    throw new RangeError(`confLevel must be in (0, 1), not ${confLevel}`);
}

export interface FisherResult {
  pValue: number;
  alternative: Alternative;
}

/**
 * Fisher's exact test of a 2×2 table: does the first group's proportion differ from the second's?
 * `greater` means the first group's proportion is larger. Matches R's fisher.test(matrix(c(a, c, b, d), 2))
 * with a = first.successes, b = first.failures, c = second.successes, d = second.failures.
 *
 * The hypergeometric probabilities are built in log space from the ratio of neighbouring terms, so
 * million-request windows neither overflow nor lose the tail. The two-sided p-value is R's: the sum of
 * the probabilities of every table no more likely than the observed one, with R's relative tolerance
 * 1 + 1e-7 so that tables of equal probability are not lost to rounding.
 */
export function fisherExact(
  first: Count,
  second: Count,
  alternative: Alternative = 'two-sided',
): FisherResult {
  checkCount(first);
  checkCount(second);
  // R's notation: x = a, m = first-column total (successes), n = failures, k = first-row total.
  const x = first.successes;
  const m = first.successes + second.successes;
  const n = first.trials - first.successes + (second.trials - second.successes);
  const k = first.trials;
  const lo = Math.max(0, k - n);
  const hi = Math.min(k, m);
  const logWeights = new Float64Array(hi - lo + 1);
  for (let i = lo; i < hi; i++) {
    // P(i + 1) / P(i) = (m − i)(k − i) / ((i + 1)(n − k + i + 1))
    logWeights[i - lo + 1] =
      logWeights[i - lo]! + Math.log(m - i) + Math.log(k - i) - Math.log(i + 1) - Math.log(n - k + i + 1);
  }
  let top = Number.NEGATIVE_INFINITY;
  for (const w of logWeights) top = Math.max(top, w);
  const weights = logWeights.map((w) => Math.exp(w - top));
  const total = weights.reduce((a, b) => a + b, 0);
  const probability = (i: number) => weights[i - lo]! / total;
  let pValue = 0;
  if (alternative === 'greater') for (let i = x; i <= hi; i++) pValue += probability(i);
  else if (alternative === 'less') for (let i = lo; i <= x; i++) pValue += probability(i);
  else {
    const observed = probability(x) * (1 + 1e-7);
    for (let i = lo; i <= hi; i++) if (probability(i) <= observed) pValue += probability(i);
  }
  return { pValue: Math.min(pValue, 1), alternative };
}

export interface TwoProportionResult {
  /** Pearson's X² statistic (with Yates' correction when `correct`), as prop.test reports it. */
  statistic: number;
  /** The signed z = sign(p1 − p2)·√X². */
  z: number;
  pValue: number;
  alternative: Alternative;
  estimates: [number, number];
  /** The Wald interval for p1 − p2 that prop.test prints (with its continuity correction when `correct`). */
  confInt: [number, number];
  confLevel: number;
}

/**
 * The pooled two-proportion z-test, as R's prop.test(c(x1, x2), c(n1, n2), correct = …): Pearson's
 * chi-square of the 2×2 table, with Yates' continuity correction capped at |p1 − p2| / (1/n1 + 1/n2).
 */
export function twoProportionTest(
  first: Count,
  second: Count,
  options: { alternative?: Alternative; correct?: boolean; confLevel?: number } = {},
): TwoProportionResult {
  checkCount(first);
  checkCount(second);
  const alternative = options.alternative ?? 'two-sided';
  const confLevel = options.confLevel ?? 0.95;
  checkConfLevel(confLevel);
  if (first.trials === 0 || second.trials === 0) throw new RangeError('each group needs at least one trial');
  const counts = [first, second];
  const p1 = first.successes / first.trials;
  const p2 = second.successes / second.trials;
  const delta = p1 - p2;
  const inverseSum = 1 / first.trials + 1 / second.trials;
  const yates = Math.min(options.correct === false ? 0 : 0.5, Math.abs(delta) / inverseSum);
  const pooled = (first.successes + second.successes) / (first.trials + second.trials);
  let statistic = 0;
  for (const { successes, trials } of counts) {
    for (const [observed, expected] of [
      [successes, trials * pooled],
      [trials - successes, trials * (1 - pooled)],
    ] as const) {
      if (expected > 0) statistic += (Math.abs(observed - expected) - yates) ** 2 / expected;
    }
  }
  const z = Math.sign(delta) * Math.sqrt(statistic);
  let pValue: number;
  if (alternative === 'greater') pValue = normalSf(z);
  else if (alternative === 'less') pValue = normalCdf(z);
  else pValue = 2 * normalSf(Math.abs(z));
  // When every trial succeeded or every one failed, nothing differs: R gives NaN, the gate wants 1.
  if (pooled === 0 || pooled === 1) pValue = 1;
  const spread = Math.sqrt((p1 * (1 - p1)) / first.trials + (p2 * (1 - p2)) / second.trials);
  let confInt: [number, number];
  if (alternative === 'two-sided') {
    const width = normalQuantile((1 + confLevel) / 2) * spread + yates * inverseSum;
    confInt = [Math.max(delta - width, -1), Math.min(delta + width, 1)];
  } else {
    const width = normalQuantile(confLevel) * spread + yates * inverseSum;
    confInt = alternative === 'greater' ? [Math.max(delta - width, -1), 1] : [-1, Math.min(delta + width, 1)];
  }
  return { statistic, z, pValue: Math.min(pValue, 1), alternative, estimates: [p1, p2], confInt, confLevel };
}

/** Wilson's score interval for one proportion (Newcombe 1998a, method 3; no continuity correction). */
export function wilsonInterval({ successes, trials }: Count, confLevel = 0.95): [number, number] {
  checkCount({ successes, trials });
  checkConfLevel(confLevel);
  if (trials === 0) return [0, 1];
  const z = normalQuantile(1 - (1 - confLevel) / 2);
  const z2 = z * z;
  const p = successes / trials;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  // At 0 or n successes the bound is exactly 0 or 1; the formula only gets there up to rounding.
  return [successes === 0 ? 0 : centre - half, successes === trials ? 1 : centre + half];
}

/**
 * Newcombe's hybrid score interval for p1 − p2 (Newcombe 1998b, method 10): the two Wilson intervals
 * combined. Unlike the Wald interval it never leaves [−1, 1] and has near-nominal coverage even with
 * zero counts, the usual case for errors in a healthy window.
 */
export function newcombeInterval(first: Count, second: Count, confLevel = 0.95): [number, number] {
  const [l1, u1] = wilsonInterval(first, confLevel);
  const [l2, u2] = wilsonInterval(second, confLevel);
  const p1 = first.trials === 0 ? 0 : first.successes / first.trials;
  const p2 = second.trials === 0 ? 0 : second.successes / second.trials;
  const delta = p1 - p2;
  return [delta - Math.hypot(p1 - l1, u2 - p2), delta + Math.hypot(u1 - p1, p2 - l2)];
}
