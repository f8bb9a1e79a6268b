import { expect, test } from '@jest/globals';
import { mannWhitney, normalQuantile, shiftedStatistic } from '../../src/lib/stats/index.js';

// R's own example (?wilcox.test, "Two-sample test", from Hollander & Wolfe (1973), p. 69f):
// permeability constants of the human chorioamnion at term (x) and at 12–26 weeks (y), with the
// alternative of interest "greater". R prints W = 35, p-value = 0.1272 for the exact one-sided test,
// and the H&W large-sample approximation (exact = FALSE, correct = FALSE) gives 0.1103.
const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const y = [1.15, 0.88, 0.9, 0.74, 1.21];

test('R ?wilcox.test, Hollander & Wolfe: exact one-sided W = 35, p = 0.1272', () => {
  const result = mannWhitney(x, y, { alternative: 'greater' });
  expect(result.method).toBe('exact');
  expect(result.statistic).toBe(35);
  expect(result.pValue).toBeCloseTo(0.1272, 4);
  // Exactly 382 of the C(15, 5) = 3003 equally likely arrangements have W ≥ 35; two-sided it doubles.
  expect(result.pValue).toBeCloseTo(382 / 3003, 13);
  expect(mannWhitney(x, y).pValue).toBeCloseTo(0.2544122544122544, 13);
  expect(mannWhitney(x, y, { alternative: 'less' }).pValue).toBeCloseTo(0.8967698967698967, 13);
});

test('R ?wilcox.test, Hollander & Wolfe large-sample approximation: p = 0.1103', () => {
  const result = mannWhitney(x, y, { alternative: 'greater', exact: false, correct: false });
  expect(result.method).toBe('normal');
  expect(result.pValue).toBeCloseTo(0.1103, 4);
  // With the continuity correction (R's default when exact = FALSE): 0.1223.
  expect(mannWhitney(x, y, { alternative: 'greater', exact: false }).pValue).toBeCloseTo(0.1223118, 6);
});

test('the Hodges-Lehmann shift and its exact interval for the H&W data (R: conf.int = TRUE)', () => {
  const result = mannWhitney(x, y, { alternative: 'greater' });
  // median of the 50 differences x_i − y_j; one-sided 95% interval [diffs[qwilcox(0.05, 10, 5)], Inf)
  expect(result.estimate).toBeCloseTo(0.305, 12);
  expect(result.confInt[0]).toBeCloseTo(-0.08, 12);
  expect(result.confInt[1]).toBe(Number.POSITIVE_INFINITY);
  const twoSided = mannWhitney(x, y);
  expect(twoSided.confInt[0]).toBeCloseTo(-0.15, 12);
  expect(twoSided.confInt[1]).toBeCloseTo(0.76, 12);
  // The discrete distribution cannot hit 95% exactly; R warns about the same achieved level.
  expect(twoSided.achievedConfLevel).toBeCloseTo(0.96004, 5);
});

test('exact one-sided results mirror each other: less(x, y) is greater(y, x) with the shift negated', () => {
  const less = mannWhitney(x, y, { alternative: 'less' });
  const greater = mannWhitney(y, x, { alternative: 'greater' });
  expect(less.pValue).toBeCloseTo(greater.pValue, 15);
  expect(less.confInt[0]).toBe(Number.NEGATIVE_INFINITY);
  expect(less.confInt[1]).toBeCloseTo(-greater.confInt[0], 12);
  // P(W ≥ 35) + P(W ≤ 35) = 1 + P(W = 35)
  const atW = mannWhitney(x, y, { alternative: 'greater' }).pValue + less.pValue - 1;
  expect(atW).toBeGreaterThan(0);
  expect(atW).toBeLessThan(0.05);
});

// R ?wilcox.test: wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in% c(5, 8))
// prints W = 127.5, p-value = 0.0001208 (with ties, so the normal approximation with continuity
// correction). Ozone in May and August 1973, NAs removed (R's datasets::airquality).
const may = [
  41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37,
];
const august = [
  39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85,
];

test('R ?wilcox.test, airquality May vs August: W = 127.5, p = 0.0001208 (ties → normal, corrected)', () => {
  const result = mannWhitney(may, august);
  expect(result.method).toBe('normal');
  expect(result.statistic).toBe(127.5);
  expect(result.pValue).toBeCloseTo(0.0001208, 7);
  expect(Math.abs(result.pValue - 0.0001208) / 0.0001208).toBeLessThan(5e-4);
});

test('the asymptotic interval bounds are where R’s wdiff changes sign (what uniroot converges to)', () => {
  const result = mannWhitney(may, august);
  const [low, high] = result.confInt;
  const z = normalQuantile(0.975);
  expect(low).toBeLessThan(result.estimate);
  expect(high).toBeGreaterThan(result.estimate);
  const eps = 1e-6;
  expect(shiftedStatistic(may, august, low - eps, z)).toBeGreaterThan(0);
  expect(shiftedStatistic(may, august, low + eps, z)).toBeLessThan(0);
  expect(shiftedStatistic(may, august, high - eps, -z)).toBeGreaterThan(0);
  expect(shiftedStatistic(may, august, high + eps, -z)).toBeLessThan(0);
  expect(result.confInt).toEqual([-53, -15]);
  expect(result.estimate).toBe(-32);
});

// Kayenta's own test (kayenta-mannwhitney MannWhitneySuite.scala, "Mann-Whitney Confidence Interval &
// Estimate", spinnaker/kayenta a69573b): experiment 10..40 against control 1..4 gives the interval
// [6, 39], the estimate 22.5 and (its R port, MannWhitneyRSuite) p = 0.02857142857142857.
test('Kayenta’s test case: CI [6, 39], estimate 22.5, p = 2/70', () => {
  const result = mannWhitney([10, 20, 30, 40], [1, 2, 3, 4]);
  expect(result.method).toBe('exact');
  expect(result.confInt).toEqual([6, 39]);
  expect(result.estimate).toBe(22.5);
  expect(result.pValue).toBeCloseTo(0.02857142857142857, 15);
  expect(result.commonLanguage).toBe(1);
  expect(result.rankBiserial).toBe(1);
});

// Kayenta's 'Mann-Whitney Intermediate Values / Variables' test: mostly-zero per-interval error
// percentages (a sparse series, Kayenta #426), with the intermediate values R computed for them.
const sparseExperiment = [
  0, 0, 0, 0, 0, 0, 0, 0, 1.6666666666666572, 0, 0, 0, 0, 0, 0, 3.703703703703681, 0, 0, 0, 0, 0, 0,
  1.5625000000000142, 0, 0, 0, 0, 3.333333333333343, 0, 1.7543859649122737, 0, 1.8518518518518476, 0, 0,
  1.8518518518518476, 0, 0, 1.5151515151515156, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.7857142857142776,
  1.3333333333333286, 0, 3.125000000000014, 1.9607843137255117, 1.4492753623188293, 2.439024390243887,
  1.6393442622950687, 0, 0, 0, 0, 0, 0, 0, 1.6129032258064484, 1.9607843137255117, 1.5873015873015817, 0, 0,
  2.8169014084507182, 0, 0, 3.0303030303030454, 0, 0, 3.3898305084745743, 0, 0, 1.234567901234584, 0, 0, 0, 0,
  1.7241379310344769, 0, 0, 0, 0, 1.6949152542372872, 0, 0, 0, 0, 0, 0, 0, 1.470588235294116, 0, 0,
  1.3698630136986196, 3.225806451612911, 1.754385964912288, 3.4482758620689538, 0, 3.333333333333343, 0, 0, 0,
  1.818181818181813, 0, 0, 1.4285714285714448, 0, 0, 1.8867924528301927, 2.0000000000000284, 0, 0, 0,
  2.985074626865682, 0, 0, 1.6666666666666714, 0, 0, 1.5625, 1.9230769230769198, 0, 1.8518518518518619, 0,
  2.702702702702709, 0, 0, 0, 1.3513513513513544, 0, 1.818181818181813, 0, 1.6666666666666572, 0, 0, 0, 0, 0,
  0, 0, 1.818181818181813, 0, 1.4285714285714164, 0, 0, 4.1095890410959015, 0, 0, 0, 1.8518518518518619, 0, 0,
  1.8518518518518476, 1.3888888888888857, 0, 0, 0, 0, 1.8867924528301785, 1.4285714285714164, 0, 0, 1.5625,
  1.8867924528301927, 0, 0, 0, 0, 2.040816326530603, 1.818181818181813, 0, 0, 1.6393442622950687, 0,
  1.7241379310344769, 1.5151515151515156, 2.564102564102555, 0, 0, 0, 0, 5.555555555555557, 0, 0,
  4.081632653061206, 0, 0, 0, 0, 0, 0, 0, 0, 3.5714285714285836, 0, 2.040816326530603, 3.1746031746031633, 0,
  0, 0, 0, 0, 0, 0, 0, 0,
];
const sparseControl = [
  0, 0, 0, 0, 0, 0, 0, 0, 1.5625000000000142, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.3888888888888857, 0, 0, 0, 0, 0,
  0, 0, 1.5384615384615614, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.492537313432834, 0, 0, 0,
  1.6949152542373014, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.470588235294116, 0, 0, 0, 0, 1.754385964912288,
  0, 0, 0, 0, 0, 0, 1.8518518518518619, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.6393442622950687, 0,
  0, 0, 0, 0, 0, 1.7241379310344769, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.5873015873015817,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.492537313432834, 0, 0, 0, 3.124999999999986, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 1.492537313432834, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2.9850746268656536, 0, 2.5000000000000284, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.7857142857142776, 0, 0, 0,
];
// Kayenta's 'Tie out with R Version' test: heavily tied latencies on a 0.5 grid.
const tiedControl = [
  1.5, 6.0, 5.0, 2.5, 2.5, 2.0, 2.0, 3.5, 3.0, 3.0, 3.0, 2.0, 3.0, 8.0, 4.0, 2.5, 3.0, 2.5, 2.5, 2.0, 2.5,
  2.0, 2.0, 2.5, 3.5, 3.0, 1.5, 5.0, 2.5, 5.5, 2.0, 2.5, 3.5, 2.0, 2.5, 4.0, 2.0, 2.0, 2.0, 2.0, 5.5, 4.5,
  4.0, 3.0, 3.0, 3.5, 2.5, 3.0, 2.5, 4.0, 6.0, 2.0, 5.0, 6.0, 3.5, 3.0, 54.5, 3.0, 5.0, 6.0, 3.5, 4.5, 2.5,
  2.0, 6.0, 5.0, 2.5, 3.5, 2.0, 3.0, 2.5, 3.5, 3.5, 2.5, 3.0, 4.5, 3.0, 15.5, 5.0, 2.5, 3.0, 4.0, 3.5, 4.0,
  4.0, 2.0, 4.5, 2.5, 4.0, 3.0,
];
const tiedExperiment = [
  2.5, 2.5, 2.0, 2.5, 3.5, 2.0, 3.5, 1.5, 3.0, 3.0, 2.5, 3.5, 2.0, 2.5, 2.0, 2.0, 5.0, 3.0, 2.0, 1.5, 2.0,
  4.0, 3.0, 2.5, 3.0, 2.0, 2.0, 2.0, 2.5, 3.5, 1.5, 1.5, 3.5, 2.0, 2.5, 2.5, 3.0, 3.5, 2.5, 6.5, 2.5, 4.0,
  2.5, 3.0, 2.5, 6.5, 2.5, 3.0, 1.5, 2.0, 2.5, 3.0, 7.5, 1.5, 2.0, 4.0, 2.5, 2.0, 2.5, 3.5, 4.0, 2.5, 3.0,
  2.5, 2.0, 3.5, 3.0, 16.5, 3.0, 3.0, 7.0, 4.5, 5.0, 2.0, 3.5, 6.0, 1.5, 3.0, 2.5, 4.0, 3.0, 1.5, 5.0, 3.0,
  2.5, 5.5, 3.0, 1.5, 2.5, 6.0,
];
test('Kayenta’s R tie-out, sparse series: R’s mumin, mumax and wdiff at both ends match to 1e-9', () => {
  const z = normalQuantile(0.975);
  expect(z).toBeCloseTo(1.9599639845400536, 15);
  const low = Math.min(...sparseExperiment) - Math.max(...sparseControl);
  const high = Math.max(...sparseExperiment) - Math.min(...sparseControl);
  expect(low).toBeCloseTo(-3.124999999999986, 12);
  expect(high).toBeCloseTo(5.555555555555557, 12);
  expect(shiftedStatistic(sparseExperiment, sparseControl, low, z)).toBeCloseTo(17.090968923762254, 9);
  expect(shiftedStatistic(sparseExperiment, sparseControl, high, z)).toBeCloseTo(-20.997687930433106, 9);
  expect(shiftedStatistic(sparseExperiment, sparseControl, low, -z)).toBeCloseTo(21.01089689284236, 9);
  expect(shiftedStatistic(sparseExperiment, sparseControl, high, -z)).toBeCloseTo(-17.077759961353, 9);
});

test('Kayenta’s R tie-out, sparse series: interval and estimate within R’s uniroot tolerance (1e-4)', () => {
  // R: ci = (3.521755e-5, 2.024565e-5), est = 2.627924e-5: uniroot's approximations of 0 on a step
  // function (note R's lower bound above its upper). The exact step is at 0.
  const result = mannWhitney(sparseExperiment, sparseControl);
  expect(Math.abs(result.confInt[0] - 3.521755377702165e-5)).toBeLessThan(1e-4);
  expect(Math.abs(result.confInt[1] - 2.02456461662334e-5)).toBeLessThan(1e-4);
  expect(Math.abs(result.estimate - 2.6279243045155653e-5)).toBeLessThan(1e-4);
  expect(result.confInt[0]).toBeLessThanOrEqual(result.confInt[1]);
});

test('Kayenta’s R tie-out, tied latencies: R’s interval (−0.500003, −3.5e-5) and estimate −0.49994', () => {
  const result = mannWhitney(tiedExperiment, tiedControl);
  expect(result.method).toBe('normal');
  expect(Math.abs(result.confInt[0] - -0.500002521696696)).toBeLessThan(1e-4);
  expect(Math.abs(result.confInt[1] - -3.486287505871302e-5)).toBeLessThan(1e-4);
  expect(Math.abs(result.estimate - -0.4999393907180323)).toBeLessThan(1e-4);
});

test('exact/approximate boundary: R’s rule is exact below 50 values per sample and no ties', () => {
  const small = Array.from({ length: 49 }, (_, i) => i * 2);
  const other = Array.from({ length: 10 }, (_, i) => i * 2 + 1);
  expect(mannWhitney(small, other).method).toBe('exact');
  expect(mannWhitney(other, small).method).toBe('exact');
  const fifty = Array.from({ length: 50 }, (_, i) => i * 2);
  expect(mannWhitney(fifty, other).method).toBe('normal');
  expect(mannWhitney(other, fifty).method).toBe('normal');
  // One tie anywhere (within or across samples) sends R to the normal approximation.
  expect(mannWhitney([1, 2, 3], [3, 4, 5]).method).toBe('normal');
  expect(mannWhitney([1, 1, 3], [4, 5, 6]).method).toBe('normal');
  // exact can be forced off, and forcing it on with ties still gives the approximation (as R does).
  expect(mannWhitney([1, 2, 3], [4, 5, 6], { exact: false }).method).toBe('normal');
  expect(mannWhitney([1, 2, 3], [3, 4, 5], { exact: true }).method).toBe('normal');
  expect(mannWhitney(fifty, other, { exact: true }).method).toBe('exact');
});

test('at the boundary the exact and corrected normal p-values agree closely (49 vs 10, no ties)', () => {
  const small = Array.from({ length: 49 }, (_, i) => i * 2);
  const other = Array.from({ length: 10 }, (_, i) => i * 6 + 1);
  const exact = mannWhitney(small, other);
  const normal = mannWhitney(small, other, { exact: false });
  expect(exact.statistic).toBe(normal.statistic);
  expect(Math.abs(exact.pValue - normal.pValue)).toBeLessThan(0.01);
});

test('ties: the variance uses R’s tie correction (hand-computed example)', () => {
  // x = (1, 2, 2), y = (2, 3): ranks 1, 3, 3 | 3, 5 → W = 7 − 6 = 1; one tie group of 3:
  // σ² = (3·2/12)·(6 − (27 − 3)/(5·4)) = 0.5·4.8 = 2.4; z = (1 − 3 + 0.5)/√2.4
  const result = mannWhitney([1, 2, 2], [2, 3]);
  expect(result.statistic).toBe(1);
  expect(result.z).toBeCloseTo(-1.5 / Math.sqrt(2.4), 14);
  expect(result.pValue).toBeCloseTo(0.3329216, 6); // scipy.stats.mannwhitneyu(asymptotic) agrees
});

test('all values tied: p = 1 and a zero-width interval, never a crash', () => {
  const result = mannWhitney([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]);
  expect(result.pValue).toBe(1);
  expect(result.estimate).toBe(0);
  expect(result.confInt).toEqual([0, 0]);
});

test('mu shifts the null hypothesis (R’s mu): x − mu is tested against y', () => {
  const shifted = mannWhitney(
    x.map((v) => v + 10),
    y,
    { alternative: 'greater', mu: 10 },
  );
  expect(shifted.statistic).toBe(35);
  expect(shifted.pValue).toBeCloseTo(0.1272061272061272, 13);
  expect(shifted.estimate).toBeCloseTo(10.305, 12);
});

test('effect sizes: common-language W/(m·n) and rank-biserial 2·CL − 1, with ties counting one half', () => {
  const result = mannWhitney(x, y);
  expect(result.commonLanguage).toBeCloseTo(0.7, 15);
  expect(result.rankBiserial).toBeCloseTo(0.4, 15);
  const reversed = mannWhitney(y, x);
  expect(reversed.statistic).toBe(15);
  expect(reversed.rankBiserial).toBeCloseTo(-0.4, 15);
  expect(mannWhitney([1, 2], [2, 3]).commonLanguage).toBeCloseTo(0.125, 15);
});

test('the interval and estimate turn with the samples: swapping x and y negates them', () => {
  const forward = mannWhitney(may, august);
  const backward = mannWhitney(august, may);
  expect(backward.estimate).toBe(-forward.estimate);
  expect(backward.confInt).toEqual([-forward.confInt[1], -forward.confInt[0]]);
  expect(backward.pValue).toBeCloseTo(forward.pValue, 15);
});

test('one-sided asymptotic intervals are open on one side', () => {
  const greater = mannWhitney(may, august, { alternative: 'greater' });
  expect(greater.confInt[1]).toBe(Number.POSITIVE_INFINITY);
  expect(greater.pValue).toBeGreaterThan(0.99);
  const less = mannWhitney(may, august, { alternative: 'less' });
  expect(less.confInt[0]).toBe(Number.NEGATIVE_INFINITY);
  expect(less.pValue).toBeCloseTo(0.0001208 / 2, 7);
  expect(less.confInt[1]).toBeLessThan(0);
});

test('bad input is refused with a RangeError', () => {
  expect(() => mannWhitney([], [1])).toThrow(RangeError);
  expect(() => mannWhitney([1], [Number.NaN])).toThrow(RangeError);
  expect(() => mannWhitney([1], [2], { confLevel: 1 })).toThrow(RangeError);
});
