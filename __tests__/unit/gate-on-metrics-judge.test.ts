import { describe, expect, test } from '@jest/globals';
import { type CheckData, formatP, formatValue, judgeCheck } from '../../src/gate-on-metrics/judge.js';
import { grainValues } from '../../src/gate-on-metrics/series.js';
import { fisherExact, mannWhitney } from '../../src/lib/stats/index.js';
import { averages, counts, oneCheck, resource, seeded } from '../helpers/gate-metrics.js';

const REQUESTS_PER_GRAIN = 50;
const requests = (grains: number, perGrain = REQUESTS_PER_GRAIN) => counts(Array(grains).fill(perGrain));

/** An app's window: response times (seconds) per grain, each grain serving `perGrain` requests. */
function app(times: readonly number[], perGrain = REQUESTS_PER_GRAIN) {
  return resource({
    Requests: requests(times.length, perGrain),
    HttpResponseTime: averages(times, perGrain),
  });
}

/** Response times around `level` with ±10 ms of deterministic noise. */
function noisy(level: number, grains: number, seed: number): number[] {
  const random = seeded(seed);
  return Array.from({ length: grains }, () => level + (random() - 0.5) * 0.02);
}

describe('thresholds', () => {
  const responseTime = oneCheck('response-time', false);
  const errorRate = oneCheck('error-rate', false);

  test('pass: the value is the reason', () => {
    const m = judgeCheck(responseTime, { canary: app([0.2, 0.3, 0.4]) });
    expect(m).toEqual(
      expect.objectContaining({
        result: 'pass',
        reason: '300 ms',
        threshold: { text: '< 1s', passed: true },
      }),
    );
    expect(m.canary).toBeCloseTo(0.3, 12);
    expect(m.canaryRequests).toBe(150);
  });

  test('fail: the value and the threshold are in the reason', () => {
    const m = judgeCheck(responseTime, { canary: app([1.1, 1.2, 1.3]) });
    expect(m.result).toBe('fail');
    expect(m.reason).toBe('1200 ms is not < 1s');
    const errors = resource({ Requests: counts([100, 100, 100]), Http5xx: counts([3, 3, 3]) });
    expect(judgeCheck(errorRate, { canary: errors })).toEqual(
      expect.objectContaining({ result: 'fail', reason: '3% is not < 1%', canary: 0.03 }),
    );
  });

  test('fewer requests than min-requests is inconclusive, never a pass, even when the value is fine', () => {
    const m = judgeCheck(responseTime, { canary: app([0.2, 0.2], 5) });
    expect(m.result).toBe('inconclusive');
    expect(m.reason).toBe('no data: the canary served 10 requests, fewer than min-requests 20');
    // ... and even when the value is bad: too little traffic says nothing either way.
    expect(judgeCheck(responseTime, { canary: app([5, 5], 5) }).result).toBe('inconclusive');
  });

  test('the baseline with too few requests makes a comparison inconclusive', () => {
    const m = judgeCheck(oneCheck('response-time'), {
      canary: app(noisy(0.2, 10, 1)),
      baseline: app([0.2], 10),
    });
    expect(m.result).toBe('inconclusive');
    expect(m.reason).toBe('no data: the baseline served 10 requests, fewer than min-requests 20');
  });

  test('no values for the metric is inconclusive with a reason', () => {
    const m = judgeCheck(responseTime, { canary: resource({ Requests: requests(5) }) });
    expect(m).toEqual(
      expect.objectContaining({
        result: 'inconclusive',
        reason: 'no data: HttpResponseTime has no values in the window',
      }),
    );
  });

  test('data a check needs but that was not read is an error, not a pass', () => {
    expect(judgeCheck(oneCheck('response-time'), { canary: app([0.2]) }).result).toBe('error');
    const cpu = oneCheck({ name: 'cpu', metric: 'CpuPercentage', resource: 'plan', threshold: '< 80%' });
    expect(judgeCheck(cpu, { canary: app([0.2]) }).result).toBe('error');
    const plan = resource({ CpuPercentage: averages([70, 95], 1) });
    expect(judgeCheck(cpu, { canary: app([0.2]), plan })).toEqual(
      expect.objectContaining({ result: 'fail', reason: '82.5% is not < 80%' }),
    );
  });
});

describe('comparison with the baseline (Mann-Whitney on per-grain values)', () => {
  const check = oneCheck('response-time');
  const baselineTimes = noisy(0.2, 10, 7);

  test('a clear +300 ms shift fails with p < 0.05; the reason names the shift and p', () => {
    const canaryTimes = baselineTimes.map((t) => t + 0.3);
    const m = judgeCheck(check, { canary: app(canaryTimes), baseline: app(baselineTimes) });
    expect(m.result).toBe('fail');
    expect(m.comparison).toEqual(
      expect.objectContaining({
        test: 'mann-whitney',
        method: 'exact',
        alternative: 'greater',
        passed: false,
      }),
    );
    expect(m.comparison!.pValue).toBeLessThan(0.05);
    // Every canary grain beats every baseline grain by more than 100 ms: the smallest p of 10 vs 10.
    expect(m.comparison!.pValue).toBeCloseTo(1 / 184_756, 12);
    expect(m.comparison!.shift).toBeCloseTo(0.3, 12);
    expect(m.comparison!.allowed).toBeCloseTo(0.1, 12);
    expect(m.reason).toMatch(
      /^\+300 ms vs the baseline \(\d+ ms vs \d+ ms, p < 0\.0001\), more than the allowed \+100 ms$/,
    );
  });

  test('a shift just past the allowance (+110 ms) fails too; its p is shown as a number', () => {
    const canaryTimes = noisy(0.31, 10, 8);
    const m = judgeCheck(check, { canary: app(canaryTimes), baseline: app(baselineTimes) });
    expect(m.result).toBe('fail');
    expect(m.comparison!.pValue).toBeGreaterThan(0.0001);
    expect(m.comparison!.pValue).toBeLessThan(0.05);
    expect(m.reason).toMatch(/^\+110 ms vs the baseline/);
    expect(m.reason).toContain(`p = ${formatP(m.comparison!.pValue)}), more than the allowed +100 ms`);
  });

  test('an equal canary passes, with the shift and p in the reason', () => {
    const m = judgeCheck(check, { canary: app(noisy(0.2, 10, 9)), baseline: app(baselineTimes) });
    expect(m.result).toBe('pass');
    expect(m.comparison!.pValue).toBeGreaterThan(0.5);
    expect(m.reason).toMatch(/^\d+ ms, [+-]?\d+ ms vs the baseline, p = [\d.]+$/);
  });

  test('a shift within max-increase passes: the test is against the allowance, not against 0', () => {
    const m = judgeCheck(check, {
      canary: app(baselineTimes.map((t) => t + 0.05)),
      baseline: app(baselineTimes),
    });
    expect(m.result).toBe('pass');
    expect(m.comparison!.shift).toBeCloseTo(0.05, 12);
  });

  test('a relative max-increase is a share of the baseline median', () => {
    const relative = oneCheck({ name: 'response-time', 'max-increase': '50%' });
    const m = judgeCheck(relative, {
      canary: app(baselineTimes.map((t) => t + 0.3)),
      baseline: app(baselineTimes),
    });
    expect(m.result).toBe('fail');
    expect(m.comparison!.allowed).toBeCloseTo(0.1, 2);
    expect(m.reason).toMatch(/more than the allowed \+100 ms$/);
  });

  test('direction decrease: a faster canary fails, a slower one passes', () => {
    const decrease = oneCheck({
      name: 'rt',
      metric: 'HttpResponseTime',
      compare: 'baseline',
      'max-increase': '100ms',
      direction: 'decrease',
    });
    const faster = judgeCheck(decrease, {
      canary: app(baselineTimes.map((t) => t - 0.15)),
      baseline: app(baselineTimes),
    });
    expect(faster.result).toBe('fail');
    expect(faster.comparison!.alternative).toBe('less');
    expect(faster.reason).toMatch(/^-150 ms vs the baseline .*, more than the allowed -100 ms$/);
    const slower = judgeCheck(decrease, {
      canary: app(baselineTimes.map((t) => t + 0.5)),
      baseline: app(baselineTimes),
    });
    expect(slower.result).toBe('pass');
  });

  test('direction either: both ways fail, an equal canary passes', () => {
    const either = oneCheck({
      name: 'rt',
      metric: 'HttpResponseTime',
      compare: 'baseline',
      'max-increase': '100ms',
      direction: 'either',
    });
    const judge = (shift: number) =>
      judgeCheck(either, { canary: app(baselineTimes.map((t) => t + shift)), baseline: app(baselineTimes) });
    expect(judge(0.3).result).toBe('fail');
    expect(judge(-0.3).result).toBe('fail');
    expect(judge(0).result).toBe('pass');
    expect(judge(0.3).comparison!.alternative).toBe('greater');
    expect(judge(-0.3).comparison!.alternative).toBe('less');
    // The interval shown is the two-sided one.
    const interval = judge(0.3).comparison!.interval;
    expect(Number.isFinite(interval[0]) && Number.isFinite(interval[1])).toBe(true);
  });

  test('too few grains is inconclusive, naming the smallest p-value those grains can give', () => {
    const m = judgeCheck(check, { canary: app([0.9, 0.95], 20), baseline: app([0.2, 0.21], 20) });
    expect(m.result).toBe('inconclusive');
    // 2 vs 2 values: at best 1 of C(4, 2) = 6 orderings, p = 0.17, which can never be below 0.05.
    expect(m.reason).toBe(
      'too few values to compare: 2 canary and 2 baseline grains cannot show a shift at alpha 0.05 (the smallest p-value they can give is 0.17)',
    );
    // 3 vs 3: 1/20 = 0.05 is not below 0.05 either; 4 vs 4 (1/70) can.
    expect(
      judgeCheck(check, { canary: app([0.9, 0.9, 0.9], 20), baseline: app([0.2, 0.2, 0.2], 20) }).result,
    ).toBe('inconclusive');
    expect(
      judgeCheck(check, {
        canary: app([0.9, 0.91, 0.92, 0.93], 20),
        baseline: app([0.2, 0.21, 0.22, 0.23], 20),
      }).result,
    ).toBe('fail');
  });

  test('a threshold and a comparison both fail: both reasons, one line', () => {
    const both = oneCheck({ name: 'response-time', threshold: '< 400ms' });
    const m = judgeCheck(both, {
      canary: app(baselineTimes.map((t) => t + 0.3)),
      baseline: app(baselineTimes),
    });
    expect(m.result).toBe('fail');
    expect(m.reason).toMatch(/^\d+ ms is not < 400ms; \+300 ms vs the baseline/);
    expect(m.reason).not.toContain('\n');
  });

  test('constant samples on both sides (a count that is 0 everywhere) are judged, not an error', () => {
    const fourxx = oneCheck({
      name: '4xx',
      metric: 'Http4xx',
      aggregation: 'Total',
      compare: 'baseline',
      'max-increase': 5,
    });
    const zeros = resource({ Requests: requests(10), Http4xx: counts(Array(10).fill(0)) });
    const m = judgeCheck(fourxx, { canary: zeros, baseline: zeros });
    expect(m.result).toBe('pass');
    expect(m.comparison!.shift).toBe(0);
    const tens = resource({ Requests: requests(10), Http4xx: counts(Array(10).fill(10)) });
    expect(judgeCheck(fourxx, { canary: tens, baseline: zeros }).result).toBe('fail');
    // The shift's interval for two constant samples is the one difference there is.
    const constant = mannWhitney([0.5, 0.5, 0.5, 0.5], [0.2, 0.2, 0.2, 0.2], { alternative: 'greater' });
    expect(constant.confInt[0]).toBeCloseTo(0.3, 12);
    expect(constant.pValue).toBeLessThan(0.05);
  });
});

describe('error ratios: a proportions test, because per-grain ratios are mostly 0 (Kayenta #426)', () => {
  // 20 grains of 100 requests on each side; the canary's 5 errors fall in 2 grains, the baseline has none.
  const grains = 20;
  const canaryErrors = Array(grains).fill(0);
  canaryErrors[4] = 3;
  canaryErrors[13] = 2;
  const canary = resource({ Requests: requests(grains, 100), Http5xx: counts(canaryErrors) });
  const baseline = resource({ Requests: requests(grains, 100), Http5xx: counts(Array(grains).fill(0)) });
  const data: CheckData = { canary, baseline };
  const strict = oneCheck({
    name: 'errors',
    metric: 'Http5xx',
    per: 'Requests',
    aggregation: 'Total',
    compare: 'baseline',
    'max-increase': 0,
  });

  test('Fisher and Newcombe on the counts fail the canary: 5 of 2000 against 0 of 2000', () => {
    const m = judgeCheck(strict, data);
    expect(m.result).toBe('fail');
    expect(m.comparison).toEqual(
      expect.objectContaining({
        test: 'proportions',
        method: 'fisher',
        alternative: 'greater',
        passed: false,
      }),
    );
    expect(m.comparison!.pValue).toBeCloseTo(
      fisherExact({ successes: 5, trials: 2000 }, { successes: 0, trials: 2000 }, 'greater').pValue,
      15,
    );
    expect(m.comparison!.pValue).toBeLessThan(0.05);
    expect(m.comparison!.interval[0]).toBeGreaterThan(0);
    expect(m.comparison!.samples).toEqual({ canary: 2000, baseline: 2000 });
    expect(m.reason).toBe(
      `+0.25 pp vs the baseline (0.25% vs 0%, p = ${formatP(m.comparison!.pValue)}), more than the allowed +0 pp`,
    );
  });

  test('a rank test alone on the same per-grain ratios finds nothing: 18 of 20 grains tie at 0', () => {
    const canaryRatios = grainValues(canary, 'Http5xx', 'Total', 'Requests');
    const baselineRatios = grainValues(baseline, 'Http5xx', 'Total', 'Requests');
    expect(canaryRatios.filter((r) => r > 0)).toEqual([0.03, 0.02]);
    expect(baselineRatios.every((r) => r === 0)).toBe(true);
    const rank = mannWhitney(canaryRatios, baselineRatios, { alternative: 'greater' });
    expect(rank.method).toBe('normal');
    expect(rank.pValue).toBeGreaterThan(0.05);
    // Its Hodges-Lehmann shift is 0: the median grain is error-free on both sides.
    expect(rank.estimate).toBe(0);
  });

  test('the built-in error-rate allows 0.5 percentage points more, so the same canary passes it', () => {
    const m = judgeCheck(oneCheck('error-rate'), data);
    expect(m.result).toBe('pass');
    expect(m.reason).toBe(`0.25%, +0.25 pp vs the baseline, p = ${formatP(m.comparison!.pValue)}`);
  });

  test('direction either on proportions: fewer errors than the baseline also fails when significant', () => {
    const either = oneCheck({
      name: 'e',
      metric: 'Http5xx',
      per: 'Requests',
      aggregation: 'Total',
      compare: 'baseline',
      'max-increase': 0,
      direction: 'either',
    });
    const m = judgeCheck(either, {
      canary: baseline,
      baseline: resource({ Requests: requests(grains, 100), Http5xx: counts(Array(grains).fill(5)) }),
    });
    expect(m.result).toBe('fail');
    expect(m.comparison!.alternative).toBe('two-sided');
  });
});

test('formatValue and formatP', () => {
  expect(formatValue(0.0123, 'Ratio')).toBe('1.23%');
  expect(formatValue(0.3, 'Seconds', true)).toBe('+300 ms');
  expect(formatValue(12.5, 'Seconds')).toBe('12.5 s');
  expect(formatValue(1536, 'Bytes')).toBe('1.5 KiB');
  expect(formatValue(3 * 1024 ** 2, 'BytesPerSecond')).toBe('3 MiB/s');
  expect(formatP(0.04321)).toBe('0.043');
  expect(formatP(0.00001)).toBe('< 0.0001');
});
