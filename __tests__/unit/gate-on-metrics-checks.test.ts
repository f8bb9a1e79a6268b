import { describe, expect, test } from '@jest/globals';
import { type CheckSpec, normalizeChecks } from '../../src/gate-on-metrics/checks.js';
import { InputError } from '../../src/lib/errors.js';

function errorOf(specs: CheckSpec[], hasBaseline = true): string {
  try {
    normalizeChecks(specs, { hasBaseline });
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('built-in checks', () => {
  test('by name, with a baseline: error-rate compares proportions, response-time compares shifts', () => {
    const [errorRate, responseTime] = normalizeChecks(['error-rate', 'response-time'], { hasBaseline: true });
    expect(errorRate).toEqual({
      name: 'error-rate',
      metric: 'Http5xx',
      unit: 'Count',
      resource: 'app',
      aggregation: 'Total',
      per: 'Requests',
      threshold: { operator: '<', value: 0.01, text: '< 1%' },
      compare: {
        allowance: { kind: 'absolute', value: 0.005, text: '0.5pp' },
        direction: 'increase',
        alpha: 0.05,
      },
      minRequests: 20,
      critical: false,
      builtIn: true,
    });
    expect(responseTime).toEqual({
      name: 'response-time',
      metric: 'HttpResponseTime',
      unit: 'Seconds',
      resource: 'app',
      aggregation: 'Average',
      compare: {
        allowance: { kind: 'absolute', value: 0.1, text: '100ms' },
        direction: 'increase',
        alpha: 0.05,
      },
      minRequests: 20,
      critical: false,
      builtIn: true,
    });
  });

  test('without a baseline: thresholds only (error-rate < 1%, response-time < 1 s)', () => {
    const [errorRate, responseTime] = normalizeChecks(['error-rate', 'response-time'], {
      hasBaseline: false,
    });
    expect(errorRate!.compare).toBeUndefined();
    expect(errorRate!.threshold).toEqual({ operator: '<', value: 0.01, text: '< 1%' });
    expect(responseTime!.compare).toBeUndefined();
    expect(responseTime!.threshold).toEqual({ operator: '<', value: 1, text: '< 1s' });
  });

  test('an override keeps the rest of the built-in: {name: response-time, max-increase: 50ms}', () => {
    const [check] = normalizeChecks([{ name: 'response-time', 'max-increase': '50ms', critical: true }], {
      hasBaseline: true,
    });
    expect(check).toEqual(
      expect.objectContaining({
        metric: 'HttpResponseTime',
        aggregation: 'Average',
        minRequests: 20,
        critical: true,
        builtIn: true,
        compare: {
          allowance: { kind: 'absolute', value: 0.05, text: '50ms' },
          direction: 'increase',
          alpha: 0.05,
        },
      }),
    );
  });

  test('a built-in can be turned into a threshold-only check with compare: none', () => {
    const [check] = normalizeChecks([{ name: 'error-rate', compare: 'none' }], { hasBaseline: true });
    expect(check!.compare).toBeUndefined();
    expect(check!.threshold!.value).toBe(0.01);
  });

  test('a mapping with a metric is a check of its own even under a built-in name', () => {
    const [check] = normalizeChecks(
      [{ name: 'error-rate', metric: 'Http4xx', aggregation: 'total', threshold: '< 50' }],
      {
        hasBaseline: true,
      },
    );
    expect(check).toEqual(
      expect.objectContaining({ metric: 'Http4xx', aggregation: 'Total', builtIn: false, minRequests: 1 }),
    );
    expect(check!.compare).toBeUndefined();
  });
});

describe('units', () => {
  test('% in a threshold of a ratio is a fraction; of a Percent metric it is the metric itself', () => {
    const [ratio, cpu] = normalizeChecks(
      [
        { name: 'r', metric: 'Http4xx', per: 'Requests', aggregation: 'Total', threshold: '<= 2.5%' },
        { name: 'cpu', metric: 'CpuPercentage', resource: 'plan', threshold: '< 80%' },
      ],
      { hasBaseline: true },
    );
    expect(ratio!.threshold).toEqual({ operator: '<=', value: 0.025, text: '<= 2.5%' });
    expect(cpu!.threshold).toEqual({ operator: '<', value: 80, text: '< 80%' });
    expect(cpu!.minRequests).toBe(0);
  });

  test('% in max-increase is relative to the baseline; pp is absolute percentage points', () => {
    const [relative, absolute, seconds] = normalizeChecks(
      [
        {
          name: 'a',
          metric: 'Http5xx',
          per: 'Requests',
          aggregation: 'Total',
          compare: 'baseline',
          'max-increase': '50%',
        },
        {
          name: 'b',
          metric: 'Http5xx',
          per: 'Requests',
          aggregation: 'Total',
          compare: 'baseline',
          'max-increase': '0.5pp',
        },
        { name: 'c', metric: 'HttpResponseTime', compare: 'baseline', 'max-increase': '20%' },
      ],
      { hasBaseline: true },
    );
    expect(relative!.compare!.allowance).toEqual({ kind: 'relative', fraction: 0.5, text: '50%' });
    expect(absolute!.compare!.allowance).toEqual({ kind: 'absolute', value: 0.005, text: '0.5pp' });
    // On a Seconds metric % is still a share of the baseline: 20% slower.
    expect(seconds!.compare!.allowance).toEqual({ kind: 'relative', fraction: 0.2, text: '20%' });
  });

  test('ms, s and MiB convert to the metric unit; a plain number is the metric unit', () => {
    const [ms, mib, plain] = normalizeChecks(
      [
        { name: 'ms', metric: 'HttpResponseTime', threshold: '<= 800ms' },
        { name: 'mib', metric: 'MemoryWorkingSet', threshold: '< 1.5MiB' },
        { name: 'plain', metric: 'Http5xx', aggregation: 'Total', threshold: '< 3' },
      ],
      { hasBaseline: false },
    );
    expect(ms!.threshold!.value).toBeCloseTo(0.8, 12);
    expect(mib!.threshold!.value).toBe(1.5 * 1024 * 1024);
    expect(plain!.threshold!.value).toBe(3);
  });
});

describe('every error is one line naming Input "checks" and the item', () => {
  const cases: [string, CheckSpec[], boolean, string][] = [
    [
      'unknown metric',
      [{ name: 'x', metric: 'Http6xx', threshold: '< 1' }],
      true,
      'item [0] (x) metric "Http6xx" is not',
    ],
    [
      'plan metric on the app',
      [{ name: 'cpu', metric: 'CpuPercentage', threshold: '< 80' }],
      true,
      'item [0] (cpu) metric "CpuPercentage"',
    ],
    [
      'unknown aggregation',
      [{ name: 'p', metric: 'HttpResponseTime', aggregation: 'P95', threshold: '< 1s' }],
      true,
      'item [0] (p) aggregation must be one of Total, Average, Maximum, Minimum, Count, got "P95"',
    ],
    [
      'threshold without an operator',
      [{ name: 't', metric: 'Http5xx', aggregation: 'Total', threshold: '5' }],
      true,
      'item [0] (t) threshold must start with a comparison',
    ],
    [
      'numeric threshold',
      [{ name: 't', metric: 'Http5xx', aggregation: 'Total', threshold: 5 }],
      true,
      'item [0] (t) threshold must start with a comparison',
    ],
    [
      'ms on a Count metric',
      [{ name: 'c', metric: 'Requests', aggregation: 'Total', threshold: '< 5ms' }],
      true,
      'item [0] (c) threshold uses ms, which does not fit a Count metric',
    ],
    [
      '% on a Count metric',
      [{ name: 'c', metric: 'Requests', aggregation: 'Total', threshold: '< 5%' }],
      true,
      'item [0] (c) threshold uses %, but Count metrics are not percentages',
    ],
    [
      'pp on a Seconds max-increase',
      [{ name: 'r', metric: 'HttpResponseTime', compare: 'baseline', 'max-increase': '0.5pp' }],
      true,
      'item [0] (r) max-increase uses pp, but Seconds metrics',
    ],
    [
      'ms on a ratio',
      [{ name: 'r', metric: 'Http5xx', per: 'Requests', aggregation: 'Total', threshold: '< 5ms' }],
      true,
      'item [0] (r) threshold uses ms, which does not fit a ratio',
    ],
    [
      'a number that is not one',
      [{ name: 'r', metric: 'HttpResponseTime', threshold: '< fast' }],
      true,
      'item [0] (r) threshold must be a number with an optional unit',
    ],
    [
      'negative max-increase',
      [{ name: 'r', metric: 'HttpResponseTime', compare: 'baseline', 'max-increase': '-5ms' }],
      true,
      'item [0] (r) max-increase must not be negative',
    ],
    [
      'per with Average',
      [{ name: 'r', metric: 'HttpResponseTime', per: 'Requests', aggregation: 'Average', threshold: '< 1' }],
      true,
      'item [0] (r) with per needs aggregation Total or Count',
    ],
    [
      'per unknown',
      [{ name: 'r', metric: 'Http5xx', per: 'Hits', aggregation: 'Total', threshold: '< 1%' }],
      true,
      'item [0] (r) per "Hits" is not',
    ],
    [
      'compare with baseline none',
      [{ name: 'c', metric: 'HttpResponseTime', compare: 'baseline' }],
      false,
      'item [0] (c) compares with the baseline, but input "baseline" is none',
    ],
    [
      'compare on a plan metric',
      [{ name: 'cpu', metric: 'CpuPercentage', resource: 'plan', compare: 'baseline' }],
      true,
      'item [0] (cpu) compares a plan metric with the baseline',
    ],
    [
      'duplicate names',
      ['error-rate', { name: 'error-rate', 'max-increase': '1pp' }],
      true,
      'item [1] (error-rate): the name is used twice',
    ],
    [
      'a string that is not a built-in',
      ['error-rate', 'latency'],
      true,
      'item [1] (latency) is not a built-in check (error-rate, response-time)',
    ],
    [
      'max-increase without compare',
      [{ name: 'r', metric: 'HttpResponseTime', threshold: '< 1s', 'max-increase': '10ms' }],
      true,
      'item [0] (r) sets max-increase, direction or alpha without compare: baseline',
    ],
    [
      'alpha without compare (it would be ignored)',
      [{ name: 'r', metric: 'HttpResponseTime', threshold: '< 1s', alpha: 0.01 }],
      true,
      'item [0] (r) sets max-increase, direction or alpha without compare: baseline',
    ],
    [
      "a built-in's comparison turned off, with alpha",
      [{ name: 'response-time', compare: 'none', threshold: '< 1s', alpha: 0.01 }],
      true,
      'item [0] (response-time) sets max-increase, direction or alpha',
    ],
    [
      'direction without compare',
      [{ name: 'r', metric: 'HttpResponseTime', threshold: '< 1s', direction: 'either' }],
      true,
      'item [0] (r) sets max-increase, direction or alpha',
    ],
    [
      'built-in max-increase without a baseline',
      [{ name: 'response-time', 'max-increase': '50ms' }],
      false,
      'item [0] (response-time) sets max-increase',
    ],
    [
      'neither threshold nor compare',
      [{ name: 'n', metric: 'Requests', aggregation: 'Total' }],
      true,
      'item [0] (n) needs a threshold',
    ],
    [
      'threshold none and no compare',
      [{ name: 'n', metric: 'Requests', aggregation: 'Total', threshold: 'none' }],
      true,
      'item [0] (n) needs a threshold',
    ],
    ['no metric', [{ name: 'n', threshold: '< 1' }], true, 'item [0] (n) needs a metric'],
  ];
  test.each(cases)('%s', (_, specs, hasBaseline, fragment) => {
    const message = errorOf(specs, hasBaseline);
    expect(message).toMatch(/^Input "checks" item \[\d+\]/);
    expect(message).toContain(fragment);
    expect(message).not.toContain('\n');
  });

  test('a control character in a name is refused without echoing it', () => {
    const message = errorOf([{ name: 'a\u001b[31mb', metric: 'Requests', threshold: '< 1' }]);
    expect(message).toMatch(/^Input "checks" item \[0\] name must not contain control characters/);
    expect(message).not.toContain('\u001b');
  });
});
