// The exact null distribution of the Mann-Whitney U statistic (R's dwilcox/pwilcox/qwilcox).
//
// P(U = k | m, n) = m/(m+n)·P(U = k − n | m−1, n) + n/(m+n)·P(U = k | m, n−1): the largest of the m+n
// values belongs to the first sample (it then beats all n of the second) or to the second. Working in
// probabilities keeps every term positive and bounded, so nothing overflows or cancels even at 49×49,
// where the counts reach C(98, 49) ≈ 2.5e28.

const cache = new Map<string, Float64Array>();

/** P(U = k) for k = 0..m·n, for samples of sizes m and n with no ties. */
export function wilcoxonDistribution(m: number, n: number): Float64Array {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || n < 0) {
    throw new RangeError(`sample sizes must be non-negative integers, not ${m} and ${n}`);
  }
  const key = `${m},${n}`;
  const cached = cache.get(key);
  if (cached) return cached;
  // previous[j] is the distribution for (i − 1, j); current[j] for (i, j).
  let previous: Float64Array[] = [];
  for (let j = 0; j <= n; j++) previous.push(Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const current: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const next = new Float64Array(i * j + 1);
      const fromFirst = previous[j]!;
      const fromSecond = current[j - 1]!;
      const pFirst = i / (i + j);
      const pSecond = j / (i + j);
      for (let k = 0; k < fromFirst.length; k++) next[k + j] += pFirst * fromFirst[k]!;
      for (let k = 0; k < fromSecond.length; k++) next[k] += pSecond * fromSecond[k]!;
      current.push(next);
    }
    previous = current;
  }
  const distribution = previous[n]!;
  cache.set(key, distribution);
  return distribution;
}

/** P(U ≤ q) (R's pwilcox(q, m, n)). */
export function wilcoxonCdf(q: number, m: number, n: number): number {
  const distribution = wilcoxonDistribution(m, n);
  const upTo = Math.floor(q + 1e-7);
  if (upTo < 0) return 0;
  if (upTo >= m * n) return 1;
  // Sum the smaller tail, so a p-value near 0 keeps its relative precision.
  if (upTo <= (m * n) / 2) {
    let sum = 0;
    for (let k = 0; k <= upTo; k++) sum += distribution[k]!;
    return sum;
  }
  return 1 - wilcoxonSf(q, m, n);
}

/** P(U > q) (R's pwilcox(q, m, n, lower.tail = FALSE)). */
export function wilcoxonSf(q: number, m: number, n: number): number {
  const distribution = wilcoxonDistribution(m, n);
  const from = Math.floor(q + 1e-7) + 1;
  if (from <= 0) return 1;
  if (from > m * n) return 0;
  if (from > (m * n) / 2) {
    let sum = 0;
    for (let k = from; k <= m * n; k++) sum += distribution[k]!;
    return sum;
  }
  return 1 - wilcoxonCdf(from - 1, m, n);
}

/** The smallest q with P(U ≤ q) ≥ p, with R's qwilcox fuzz of 10 machine epsilons. */
export function wilcoxonQuantile(p: number, m: number, n: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  const distribution = wilcoxonDistribution(m, n);
  let cumulative = 0;
  if (p <= 0.5) {
    const target = p - 10 * Number.EPSILON;
    for (let q = 0; ; q++) {
      cumulative += distribution[q]!;
      if (cumulative >= target) return q;
    }
  }
  // Count from the top, as R does, so the upper quantiles are exact too.
  const target = 1 - p + 10 * Number.EPSILON;
  for (let q = 0; ; q++) {
    cumulative += distribution[q]!;
    if (cumulative > target) return m * n - q;
  }
}
