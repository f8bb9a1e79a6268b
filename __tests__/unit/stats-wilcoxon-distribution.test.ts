import { expect, test } from '@jest/globals';
import {
  wilcoxonCdf,
  wilcoxonDistribution,
  wilcoxonQuantile,
  wilcoxonSf,
} from '../../src/lib/stats/index.js';

/** Counts of U for every (m, n) with m + n = total, by listing all 2^total ways to split the ranks. */
function enumerate(total: number): number[][] {
  const byM = Array.from({ length: total + 1 }, (_, m) => new Array<number>(m * (total - m) + 1).fill(0));
  for (let mask = 0; mask < 1 << total; mask++) {
    let m = 0;
    let rankSum = 0;
    for (let r = 0; r < total; r++) {
      if (mask & (1 << r)) {
        m++;
        rankSum += r + 1;
      }
    }
    byM[m]![rankSum - (m * (m + 1)) / 2]!++;
  }
  return byM;
}

function choose(n: number, k: number): number {
  let value = 1;
  for (let i = 1; i <= k; i++) value = (value * (n - k + i)) / i;
  return value;
}

test('the exact distribution equals brute-force enumeration for every m, n ≥ 1 with m + n ≤ 12', () => {
  const mismatches: string[] = [];
  let checked = 0;
  for (let total = 2; total <= 12; total++) {
    const counts = enumerate(total);
    for (let m = 1; m < total; m++) {
      const n = total - m;
      const distribution = wilcoxonDistribution(m, n);
      const arrangements = choose(total, m);
      if (distribution.length !== counts[m]!.length) mismatches.push(`${m},${n}: length`);
      counts[m]!.forEach((count, k) => {
        if (Math.abs(distribution[k]! * arrangements - count) > 1e-9) mismatches.push(`${m},${n}: U = ${k}`);
      });
      checked++;
    }
  }
  expect(mismatches).toEqual([]);
  expect(checked).toBe(66);
});

test('the distribution sums to 1 and is symmetric, even at the largest exact size (49 × 49)', () => {
  const distribution = wilcoxonDistribution(49, 49);
  let sum = 0;
  for (const p of distribution) sum += p;
  expect(sum).toBeCloseTo(1, 12);
  for (const k of [0, 1, 100, 600, 1200]) {
    expect(distribution[k]).toBeCloseTo(distribution[49 * 49 - k]!, 15);
  }
  // P(U = 0) = 1 / C(98, 49)
  expect(distribution[0]! * choose(98, 49)).toBeCloseTo(1, 9);
});

// Critical values of U, two-tailed α = 0.05 (one tail 0.025), equal sample sizes: the standard
// textbook table (e.g. Zar, Biostatistical Analysis, Table B.11; Siegel & Castellan, Table J).
// The critical value is the largest u with P(U ≤ u) ≤ 0.025.
test.each([
  [5, 2],
  [6, 5],
  [7, 8],
  [8, 13],
  [9, 17],
  [10, 23],
  [11, 30],
  [12, 37],
  [13, 45],
  [14, 55],
  [15, 64],
  [20, 127],
])('critical U for n1 = n2 = %p at two-tailed 0.05 is %p', (n, critical) => {
  expect(wilcoxonCdf(critical, n, n)).toBeLessThanOrEqual(0.025);
  expect(wilcoxonCdf(critical + 1, n, n)).toBeGreaterThan(0.025);
});

test.each([
  [3, 10, 3],
  [4, 8, 4],
  [5, 10, 8],
  [6, 10, 11],
  [8, 12, 22],
  [10, 20, 55],
  [12, 20, 69],
])(
  'critical U for n1 = %p, n2 = %p at two-tailed 0.05 is %p (same table, unequal sizes)',
  (m, n, critical) => {
    expect(wilcoxonCdf(critical, m, n)).toBeLessThanOrEqual(0.025);
    expect(wilcoxonCdf(critical + 1, m, n)).toBeGreaterThan(0.025);
    // U's distribution does not depend on which sample is called first.
    expect(wilcoxonCdf(critical, n, m)).toBeCloseTo(wilcoxonCdf(critical, m, n), 15);
  },
);

test('pwilcox at small sizes: P(U ≤ 0 | 4, 4) = 1/70 and P(U ≤ 1 | 4, 4) = 2/70 (R: pwilcox(0:1, 4, 4))', () => {
  expect(wilcoxonCdf(0, 4, 4)).toBeCloseTo(1 / 70, 15);
  expect(wilcoxonCdf(1, 4, 4)).toBeCloseTo(2 / 70, 15);
  expect(wilcoxonSf(14, 4, 4)).toBeCloseTo(2 / 70, 15);
  expect(wilcoxonCdf(-1, 4, 4)).toBe(0);
  expect(wilcoxonCdf(16, 4, 4)).toBe(1);
  expect(wilcoxonSf(16, 4, 4)).toBe(0);
  expect(wilcoxonSf(-1, 4, 4)).toBe(1);
});

test('the lower and upper tails add to 1 and a tiny tail keeps its relative precision', () => {
  for (const q of [0, 100, 1200, 2000]) {
    expect(wilcoxonCdf(q, 49, 49) + wilcoxonSf(q, 49, 49)).toBeCloseTo(1, 12);
  }
  expect(wilcoxonSf(49 * 49 - 1, 49, 49) * choose(98, 49)).toBeCloseTo(1, 9);
});

test('qwilcox is the smallest q with P(U ≤ q) ≥ p (R: qwilcox(0.025, 4, 4) = 1, qwilcox(0.975, 4, 4) = 15)', () => {
  expect(wilcoxonQuantile(0.025, 4, 4)).toBe(1);
  expect(wilcoxonQuantile(0.975, 4, 4)).toBe(15);
  expect(wilcoxonQuantile(0.5, 4, 4)).toBe(8);
  expect(wilcoxonQuantile(0, 4, 4)).toBe(0);
  expect(wilcoxonQuantile(1, 4, 4)).toBe(16);
  expect(wilcoxonQuantile(1.5, 4, 4)).toBeNaN();
  for (const p of [0.01, 0.05, 0.2, 0.7, 0.99]) {
    const q = wilcoxonQuantile(p, 10, 7);
    expect(wilcoxonCdf(q, 10, 7)).toBeGreaterThanOrEqual(p - 1e-12);
    expect(wilcoxonCdf(q - 1, 10, 7)).toBeLessThan(p);
  }
});

test('sample sizes must be non-negative integers', () => {
  expect(() => wilcoxonDistribution(-1, 3)).toThrow(RangeError);
  expect(() => wilcoxonDistribution(2.5, 3)).toThrow(RangeError);
});
