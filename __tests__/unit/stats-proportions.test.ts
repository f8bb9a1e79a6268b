import { expect, test } from '@jest/globals';
import {
  fisherExact,
  mannWhitney,
  newcombeInterval,
  twoProportionTest,
  wilsonInterval,
} from '../../src/lib/stats/index.js';

// R ?fisher.test, "Agresti (1990, p. 61f; 2002, p. 91) Fisher's Tea Drinker": TeaTasting =
// matrix(c(3, 1, 1, 3)): the lady guessed 3 of the 4 milk-first cups right. R prints p-value = 0.2429
// for alternative = "greater" and 0.4857 two-sided (output also in PSU STAT 504, lesson 4, TeaLady.out).
test('R ?fisher.test, tea tasting: p = 0.2429 one-sided "greater", 0.4857 two-sided', () => {
  const milkFirst = { successes: 3, trials: 4 };
  const teaFirst = { successes: 1, trials: 4 };
  expect(fisherExact(milkFirst, teaFirst, 'greater').pValue).toBeCloseTo(0.2429, 4);
  expect(fisherExact(milkFirst, teaFirst).pValue).toBeCloseTo(0.4857, 4);
  // Exactly (16 + 1)/70 and 2·17/70: the tables (3,1) and (4,0) and their mirror images.
  expect(fisherExact(milkFirst, teaFirst, 'greater').pValue).toBeCloseTo(17 / 70, 15);
  expect(fisherExact(milkFirst, teaFirst).pValue).toBeCloseTo(34 / 70, 15);
  expect(fisherExact(milkFirst, teaFirst, 'less').pValue).toBeCloseTo(69 / 70, 15);
});

// R ?fisher.test, "Fisher (1962, 1970), Criminal convictions of like-sex twins": Convictions =
// matrix(c(2, 10, 15, 3), nrow = 2): dizygotic 2 convicted of 17, monozygotic 10 of 13.
// R prints p-value = 0.0004652 for alternative = "less".
test('R ?fisher.test, convictions of like-sex twins: p = 0.0004652 one-sided "less"', () => {
  const dizygotic = { successes: 2, trials: 17 };
  const monozygotic = { successes: 10, trials: 13 };
  expect(fisherExact(dizygotic, monozygotic, 'less').pValue).toBeCloseTo(0.0004652, 7);
  // Two-sided (scipy.stats.fisher_exact agrees): 0.0005367241.
  expect(fisherExact(dizygotic, monozygotic).pValue).toBeCloseTo(0.0005367241191434358, 12);
});

test('Fisher at million-request scale stays finite and precise (scipy.stats.fisher_exact: 0.0555995)', () => {
  const result = fisherExact({ successes: 130, trials: 1_000_000 }, { successes: 100, trials: 1_000_000 });
  expect(result.pValue).toBeCloseTo(0.05559953381789442, 9);
});

test('Fisher with no successes at all: p = 1', () => {
  expect(fisherExact({ successes: 0, trials: 500 }, { successes: 0, trials: 800 }).pValue).toBe(1);
  expect(fisherExact({ successes: 0, trials: 500 }, { successes: 0, trials: 800 }, 'greater').pValue).toBe(1);
});

// prop.test(c(56, 48), c(70, 80)) is Pearson's chi-square of the 2×2 table; with correct = TRUE it is
// chisq.test's Yates-corrected statistic. Values cross-checked with scipy.stats.chi2_contingency.
test('prop.test(c(56, 48), c(70, 80)): X² = 6.1143, p = 0.01341 with Yates; 7.0234, 0.008045 without', () => {
  const corrected = twoProportionTest({ successes: 56, trials: 70 }, { successes: 48, trials: 80 });
  expect(corrected.statistic).toBeCloseTo(6.114270410296224, 10);
  expect(corrected.pValue).toBeCloseTo(0.013409475178668966, 12);
  expect(corrected.estimates).toEqual([0.8, 0.6]);
  const plain = twoProportionTest(
    { successes: 56, trials: 70 },
    { successes: 48, trials: 80 },
    { correct: false },
  );
  expect(plain.statistic).toBeCloseTo(7.023411371237456, 10);
  expect(plain.pValue).toBeCloseTo(0.008045081368196585, 12);
  // prop.test's interval: delta ± (z·√(Σ p(1−p)/n) + ½·Σ 1/n)
  const width = 1.959963984540054 * Math.sqrt((0.8 * 0.2) / 70 + (0.6 * 0.4) / 80) + 0.5 * (1 / 70 + 1 / 80);
  expect(corrected.confInt[0]).toBeCloseTo(0.2 - width, 12);
  expect(corrected.confInt[1]).toBeCloseTo(0.2 + width, 12);
});

test('prop.test one-sided: z = sign(p1 − p2)·√X², and the two one-sided p-values add to 1', () => {
  const first = { successes: 56, trials: 70 };
  const second = { successes: 48, trials: 80 };
  const greater = twoProportionTest(first, second, { alternative: 'greater' });
  const less = twoProportionTest(first, second, { alternative: 'less' });
  expect(greater.z).toBeCloseTo(Math.sqrt(6.114270410296224), 10);
  expect(greater.pValue).toBeCloseTo(0.013409475178668966 / 2, 12);
  expect(greater.pValue + less.pValue).toBeCloseTo(1, 12);
  expect(greater.confInt[1]).toBe(1);
  expect(less.confInt[0]).toBe(-1);
});

test('prop.test caps Yates’ correction at |p1 − p2| / (1/n1 + 1/n2): equal proportions give X² = 0', () => {
  const result = twoProportionTest({ successes: 5, trials: 50 }, { successes: 10, trials: 100 });
  expect(result.statistic).toBe(0);
  expect(result.pValue).toBe(1);
  expect(twoProportionTest({ successes: 0, trials: 50 }, { successes: 0, trials: 70 }).pValue).toBe(1);
});

// Newcombe RG (1998a), "Two-sided confidence intervals for the single proportion: comparison of seven
// methods", Stat Med 17:857–872, Table I, method 3 (score, no continuity correction).
test.each([
  [81, 263, 0.2553, 0.3662],
  [15, 148, 0.0624, 0.1605],
  [0, 20, 0, 0.1611],
  [1, 29, 0.0061, 0.1718],
])('Wilson interval for %p/%p is (%p, %p) (Newcombe 1998a, Table I)', (successes, trials, low, high) => {
  const [l, u] = wilsonInterval({ successes, trials });
  expect(l).toBeCloseTo(low, 4);
  expect(u).toBeCloseTo(high, 4);
});

test('Wilson at the edges: exactly 0 and 1, and no trials gives [0, 1]', () => {
  expect(wilsonInterval({ successes: 0, trials: 10 })[0]).toBe(0);
  expect(wilsonInterval({ successes: 10, trials: 10 })[1]).toBe(1);
  expect(wilsonInterval({ successes: 0, trials: 0 })).toEqual([0, 1]);
});

// Newcombe RG (1998b), "Interval estimation for the difference between independent proportions:
// comparison of eleven methods", Stat Med 17:873–890, Table II, method 10 (hybrid score), examples a–h.
test.each([
  [56, 70, 48, 80, 0.0524, 0.3339],
  [9, 10, 3, 10, 0.1705, 0.809],
  [6, 7, 2, 7, 0.0582, 0.8062],
  [5, 56, 0, 29, -0.0381, 0.1926],
  [0, 10, 0, 20, -0.1611, 0.2775],
  [0, 10, 0, 10, -0.2775, 0.2775],
  [10, 10, 0, 20, 0.6791, 1],
  [10, 10, 0, 10, 0.6075, 1],
])('Newcombe interval for %p/%p − %p/%p is (%p, %p) (Newcombe 1998b, Table II)', (a, m, b, n, low, high) => {
  const [l, u] = newcombeInterval({ successes: a, trials: m }, { successes: b, trials: n });
  expect(l).toBeCloseTo(low, 4);
  expect(u).toBeCloseTo(high, 4);
});

test('counts must be integers with 0 ≤ successes ≤ trials', () => {
  expect(() => fisherExact({ successes: 5, trials: 4 }, { successes: 0, trials: 1 })).toThrow(RangeError);
  expect(() => twoProportionTest({ successes: 1.5, trials: 4 }, { successes: 0, trials: 1 })).toThrow(
    RangeError,
  );
  expect(() => twoProportionTest({ successes: 0, trials: 0 }, { successes: 0, trials: 1 })).toThrow(
    RangeError,
  );
  expect(() => wilsonInterval({ successes: -1, trials: 4 })).toThrow(RangeError);
  expect(() => wilsonInterval({ successes: 1, trials: 4 }, 0)).toThrow(RangeError);
});

// Kayenta #426: a canary whose errors all land in one window passes a rank test, because four of its
// five per-window error rates tie with the baseline's zeros. Counted as errors out of requests, the same
// data is overwhelming evidence. This is why the gate judges error counts with a proportion test.
test('the sparse-error case: 50 errors in one of 5 windows passes Mann-Whitney but fails Fisher', () => {
  const requestsPerWindow = 10_000;
  const canaryErrors = [50, 0, 0, 0, 0];
  const baselineErrors = [0, 0, 0, 0, 0];
  const rate = (errors: number) => errors / requestsPerWindow;
  const rank = mannWhitney(canaryErrors.map(rate), baselineErrors.map(rate), { alternative: 'greater' });
  expect(rank.pValue).toBeGreaterThan(0.05);
  expect(rank.pValue).toBeCloseTo(0.2118553985833967, 12); // scipy.stats.mannwhitneyu agrees
  const canary = { successes: 50, trials: 5 * requestsPerWindow };
  const baseline = { successes: 0, trials: 5 * requestsPerWindow };
  const fisher = fisherExact(canary, baseline, 'greater');
  expect(fisher.pValue).toBeLessThan(1e-12);
  expect(fisher.pValue).toBeCloseTo(8.773592807317191e-16, 25);
  expect(twoProportionTest(canary, baseline, { alternative: 'greater' }).pValue).toBeLessThan(1e-11);
  const [low] = newcombeInterval(canary, baseline);
  expect(low).toBeGreaterThan(0);
});
