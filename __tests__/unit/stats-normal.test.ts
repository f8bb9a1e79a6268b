import { expect, test } from '@jest/globals';
import { probit } from 'simple-statistics';
import { erfc, normalCdf, normalQuantile, normalSf } from '../../src/lib/stats/index.js';

// Reference values: R's pnorm/qnorm (which use Cody's erfc and Wichura's AS 241), reproduced here with
// mpmath at 40 digits; the classical ones also appear in Abramowitz & Stegun, Table 26.1.
test.each([
  [0, 0.5],
  [1, 0.8413447460685429],
  [-1, 0.15865525393145705],
  [1.96, 0.9750021048517795],
  [-1.96, 0.024997895148220435],
  [-3, 0.0013498980316300946],
  [-5, 2.866515718791939e-7],
  [-8, 6.220960574271784e-16],
  [-10, 7.619853024160525e-24],
  [-20, 2.7536241186062337e-89],
])('pnorm(%p) = %p to 1e-13 relative', (z, expected) => {
  expect(Math.abs(normalCdf(z) - expected) / expected).toBeLessThan(1e-13);
});

test('the upper tail keeps its relative precision far out (pnorm(10, lower.tail = FALSE))', () => {
  expect(Math.abs(normalSf(10) - 7.619853024160525e-24) / 7.619853024160525e-24).toBeLessThan(1e-13);
  expect(normalCdf(-40)).toBe(0);
  expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
});

test('erfc matches its known values (A&S 7.1) and its symmetry erfc(−x) = 2 − erfc(x)', () => {
  expect(erfc(0)).toBe(1);
  expect(Math.abs(erfc(1) - 0.15729920705028513) / 0.15729920705028513).toBeLessThan(1e-14);
  expect(Math.abs(erfc(3) - 2.209049699858544e-5) / 2.209049699858544e-5).toBeLessThan(1e-14);
  expect(erfc(-1)).toBeCloseTo(2 - 0.15729920705028513, 15);
  expect(erfc(Number.NaN)).toBeNaN();
});

test.each([
  [0.975, 1.9599639845400538],
  [0.025, -1.9599639845400538],
  [0.995, 2.5758293035489004],
  [0.99, 2.3263478740408408],
  [0.95, 1.6448536269514722],
  [0.5, 0],
  [0.001, -3.0902323061678136],
  [1e-10, -6.361340902404057],
  [1e-20, -9.262340089798407],
  [1e-300, -37.0470962993612],
])('qnorm(%p) = %p to 1e-15 relative (AS 241)', (p, expected) => {
  expect(Math.abs(normalQuantile(p) - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-15);
});

test('qnorm(0.975) is 1.959964, where simple-statistics probit gives 1.9572: why we do not use it', () => {
  expect(probit(0.975)).toBeCloseTo(1.9572, 4);
  expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
});

test('qnorm inverts pnorm across the range (lower tail, where p carries full precision)', () => {
  for (const z of [-30, -12, -6, -2.5, -0.7, 0.3, 1.5]) {
    const p = normalCdf(z);
    expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-12 * Math.max(1, Math.abs(z)));
  }
});

test('qnorm at the edges: ±Infinity at 0 and 1, NaN outside [0, 1]', () => {
  expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
  expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
  expect(normalQuantile(-0.1)).toBeNaN();
  expect(normalQuantile(1.1)).toBeNaN();
});
