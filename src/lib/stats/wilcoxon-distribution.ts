// The exact null distribution of the Mann-Whitney U statistic (R's dwilcox/pwilcox/qwilcox).
//
// The number of arrangements with U = k is the coefficient of q^k in the Gaussian binomial
// [m+n choose m]_q = Π_{i=1..m} (1 − q^(n+i)) / (1 − q^i) (Harding 1984, Applied Statistics 33:1–6).
// Dividing by (1 − q^i) is a running sum with stride i and multiplying by (1 − q^(n+i)) a shifted
// difference, so the whole distribution costs O(m²n) additions. Only the lower half is computed (the
// distribution is symmetric): there the running sums stay close to the final counts, so the low counts
// that make up small p-values are exact integers and the rest lose at most a few bits.

const cache = new Map<string, Float64Array>();

/** P(U = k) for k = 0..m·n, for samples of sizes m and n with no ties. */
export function wilcoxonDistribution(m: number, n: number): Float64Array {
  if (!Number.isInteger(m) || !Number.isInteger(n) || m < 0 || n < 0) {
    throw new RangeError(`sample sizes must be non-negative integers, not ${m} and ${n}`);
  }
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const key = `${small},${large}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const top = small * large;
  const half = Math.floor(top / 2);
  const counts = new Float64Array(top + 1);
  counts[0] = 1;
  let total = 1;
  for (let i = 1; i <= small; i++) {
    for (let k = i; k <= half; k++) counts[k] += counts[k - i]!;
    for (let k = half; k >= large + i; k--) counts[k] -= counts[k - large - i]!;
    total = (total * (large + i)) / i; // C(large + i, i)
  }
  for (let k = 0; k <= half; k++) counts[k] /= total;
  for (let k = half + 1; k <= top; k++) counts[k] = counts[top - k]!;
  cache.set(key, counts);
  return counts;
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
