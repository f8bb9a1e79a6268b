import { describe, expect, test } from '@jest/globals';
import { backoffDelay, backoffSchedule, retryUntil } from '../../src/lib/backoff.js';
import { parseRetryAfter } from '../../src/lib/http.js';
import { fakeClock } from '../helpers/clock.js';

const policy = { initialMs: 500, maxMs: 8_000, factor: 2, jitter: 0.5 };

describe('backoffDelay', () => {
  test.each([
    [1, 0, 250],
    [1, 0.999999, 500],
    [2, 0, 500],
    [3, 0.5, 1_500],
    [5, 0, 4_000],
    [6, 0, 4_000],
    [20, 1, 8_000],
  ])('attempt %p with random %p → %p ms', (attempt, r, expected) => {
    expect(backoffDelay(attempt, policy, () => r)).toBe(expected);
  });
  test('no jitter is exactly exponential', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, { ...policy, jitter: 0 }, () => 0.7))).toEqual([
      500, 1000, 2000, 4000,
    ]);
  });
  test('full jitter spans zero to the cap', () => {
    expect(backoffDelay(3, { ...policy, jitter: 1 }, () => 0)).toBe(0);
    expect(backoffDelay(3, { ...policy, jitter: 1 }, () => 0.5)).toBe(1000);
  });
});

test('a schedule never exceeds its deadline', () => {
  const delays = backoffSchedule(10_000, { ...policy, jitter: 0 });
  expect(delays).toEqual([500, 1000, 2000, 4000]);
  expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
});

describe('retryUntil', () => {
  test('retries until done, with growing waits', async () => {
    const clock = fakeClock();
    const outcome = await retryUntil(
      async (n) => n,
      (n) => n === 4,
      { timeoutMs: 60_000, policy: { ...policy, jitter: 0 }, clock },
    );
    expect(outcome).toEqual({ value: 4, attempts: 4 });
    expect(clock.slept).toEqual([500, 1000, 2000]);
  });
  test('stops at the deadline and never sleeps past it', async () => {
    const clock = fakeClock();
    const outcome = await retryUntil(
      async () => 'red',
      () => false,
      { timeoutMs: 3_000, policy: { ...policy, jitter: 0 }, clock },
    );
    expect(outcome.value).toBe('red');
    expect(clock.slept).toEqual([500, 1000, 1500]);
    expect(clock.now()).toBe(3_000);
    expect(outcome.attempts).toBe(4);
  });
  test('a zero timeout makes exactly one attempt', async () => {
    const outcome = await retryUntil(
      async () => 1,
      () => false,
      { timeoutMs: 0, clock: fakeClock() },
    );
    expect(outcome.attempts).toBe(1);
  });
});

test.each([
  ['5', 0, 5_000],
  ['0', 0, 0],
  ['Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'), 10_000],
  [undefined, 0, undefined],
  ['soon', 0, undefined],
])('Retry-After %p → %p', (value, now, expected) => expect(parseRetryAfter(value, now)).toBe(expected));
