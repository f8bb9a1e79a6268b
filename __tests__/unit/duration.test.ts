import { expect, test } from '@jest/globals';
import { formatDuration, parseDuration } from '../../src/lib/duration.js';

test.each([
  ['30s', 30_000],
  ['5m', 300_000],
  ['1h30m', 5_400_000],
  ['1h', 3_600_000],
  ['250ms', 250],
  ['1.5s', 1_500],
  ['2d', 172_800_000],
  ['1m30s', 90_000],
  ['PT5M', 300_000],
  ['pt5m', 300_000],
  ['PT1H30M', 5_400_000],
  ['PT0.5S', 500],
  ['P1D', 86_400_000],
  ['P1DT2H', 93_600_000],
  [' 10s ', 10_000],
  ['0s', 0],
])('parseDuration(%p) = %p ms', (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
});

test.each(['', '5', 'abc', '5 m', '-5s', 's', '5x', 'PT', 'P', 'PT5', '1h30', 'P1H', '5m s'])(
  'parseDuration(%p) is not a duration',
  (text) => {
    expect(parseDuration(text)).toBeUndefined();
  },
);

test.each([
  [250, '250ms'],
  [1_500, '1.5s'],
  [90_000, '1m30s'],
  [5_400_000, '1h30m'],
  [60_000, '1m'],
])('formatDuration(%p) = %p', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});
