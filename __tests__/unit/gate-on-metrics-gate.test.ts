import { describe, expect, test } from '@jest/globals';
import {
  type GateResult,
  type GateSettings,
  type Reading,
  runGate,
  type Window,
  windowAt,
} from '../../src/gate-on-metrics/gate.js';
import { CancelledError } from '../../src/lib/cancellation.js';
import { fakeClock, virtualClock } from '../helpers/clock.js';
import { averages, counts, MINUTE, oneCheck, resource, T0 } from '../helpers/gate-metrics.js';

const errors = oneCheck(
  {
    name: 'errors',
    metric: 'Http5xx',
    per: 'Requests',
    aggregation: 'Total',
    threshold: '< 1%',
    'min-requests': 20,
  },
  false,
);
const latency = oneCheck({ name: 'latency', metric: 'HttpResponseTime', threshold: '< 1s' }, false);

const SETTINGS: GateSettings = {
  checks: [errors],
  count: 3,
  intervalMs: MINUTE,
  initialDelayMs: 0,
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 4,
  ingestionDelayMs: 3 * MINUTE,
  grainMs: MINUTE,
  windowMs: 5 * MINUTE,
};

/** What one read returns for the `errors` check: P pass, F fail, I inconclusive, E a failed query. */
function reading(kind: string): Reading {
  const canary = (requests: number, errors5xx: number) =>
    resource({
      Requests: counts([requests]),
      Http5xx: counts([errors5xx]),
      HttpResponseTime: averages([0.2], requests),
    });
  switch (kind) {
    case 'P':
      return { canary: canary(100, 0), queries: [] };
    case 'F':
      return { canary: canary(100, 10), queries: [] };
    case 'I':
      return { canary: canary(5, 0), queries: [] };
    case 'E':
      return {
        queries: [
          {
            role: 'canary',
            resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/shop/slots/staging',
            metricnames: 'Http5xx,Requests',
            metricnamespace: 'Microsoft.Web/sites/slots',
            aggregation: 'Total,Count,Average,Maximum,Minimum',
            interval: 'PT1M',
            timespan: '',
            filter: "Instance eq '*'",
            top: 100,
            error: 'Azure Monitor answered 503 ServiceUnavailable',
          },
        ],
      };
    default:
      throw new Error(`unknown reading ${kind}`);
  }
}

/** A gate whose reads follow `script` (one letter per read); reading past its end fails the test. */
async function gate(script: string | ((i: number) => string), settings: Partial<GateSettings> = {}) {
  const clock = fakeClock(T0);
  const windows: Window[] = [];
  const next = typeof script === 'string' ? (i: number) => script[i] : script;
  const result = await runGate(
    { ...SETTINGS, ...settings },
    {
      ...clock,
      read: async (window) => {
        const kind = next(windows.length);
        windows.push(window);
        if (kind === undefined) throw new Error(`read ${windows.length} is past the script`);
        return reading(kind);
      },
    },
  );
  return { result, reads: windows.length, clock };
}

const phaseOf = (result: GateResult, name = 'errors') => result.checks.find((c) => c.name === name)!;

describe('Argo Rollouts measurement semantics', () => {
  test('count passing measurements pass the gate', async () => {
    const { result, reads } = await gate('PPP');
    expect(reads).toBe(3);
    expect(result.verdict).toBe('pass');
    expect(phaseOf(result)).toEqual(
      expect.objectContaining({ phase: 'pass', reason: '3 of 3 measurements passed' }),
    );
    expect(result.stoppedEarly).toBeUndefined();
  });

  test('error measurements do not count toward count', async () => {
    const { result, reads } = await gate('EPEPEP');
    expect(reads).toBe(6);
    expect(result.verdict).toBe('pass');
    expect(phaseOf(result).counts).toEqual({
      pass: 3,
      fail: 0,
      inconclusive: 0,
      error: 3,
      consecutiveErrors: 0,
    });
    expect(result.measurements[0]!.checks['errors']).toEqual({
      result: 'error',
      reason: "reading the canary's metrics failed: Azure Monitor answered 503 ServiceUnavailable",
    });
  });

  test('more than consecutive-error-limit errors in a row: verdict error, and the gate stops there', async () => {
    const { result, reads } = await gate('PEEE', { consecutiveErrorLimit: 2 });
    expect(reads).toBe(4);
    expect(result.verdict).toBe('error');
    expect(phaseOf(result).reason).toBe(
      "3 errors in a row, more than consecutive-error-limit 2: reading the canary's metrics failed: Azure Monitor answered 503 ServiceUnavailable",
    );
  });

  test('a counted measurement resets the error streak', async () => {
    const { result, reads } = await gate('EEPEEPEEP', { consecutiveErrorLimit: 2 });
    expect(reads).toBe(9);
    expect(result.verdict).toBe('pass');
    expect(phaseOf(result).counts.error).toBe(6);
  });

  test('failure-limit 1 tolerates one failure, not two', async () => {
    const one = await gate('FPP', { failureLimit: 1 });
    expect(one.result.verdict).toBe('pass');
    expect(phaseOf(one.result).reason).toBe('2 of 3 measurements passed');
    const two = await gate('FPF', { failureLimit: 1 });
    expect(two.result.verdict).toBe('fail');
    expect(phaseOf(two.result).reason).toBe(
      '2 failed measurement(s), more than failure-limit 1: 10% is not < 1%',
    );
  });

  test('failure-limit 0: the first failure fails the gate at once', async () => {
    const { result, reads } = await gate('PF');
    expect(reads).toBe(2);
    expect(result.verdict).toBe('fail');
  });

  test('a critical check fails at its first failure, whatever failure-limit says', async () => {
    const critical = { ...errors, critical: true };
    const { result, reads } = await gate('F', { checks: [critical], failureLimit: 3 });
    expect(reads).toBe(1);
    expect(result.verdict).toBe('fail');
    expect(phaseOf(result).reason).toBe('critical check failed: 10% is not < 1%');
  });

  test('inconclusive-limit: one tolerated, the second makes the check inconclusive', async () => {
    expect((await gate('IPP', { inconclusiveLimit: 1 })).result.verdict).toBe('pass');
    const { result, reads } = await gate('IPI', { inconclusiveLimit: 1 });
    expect(reads).toBe(3);
    expect(result.verdict).toBe('inconclusive');
    expect(phaseOf(result).reason).toBe(
      '2 inconclusive measurement(s), more than inconclusive-limit 1: no data: the canary served 5 requests, fewer than min-requests 20',
    );
  });

  test('a check with no passing measurement never passes, whatever the limits allow', async () => {
    const inconclusive = await gate('III', { inconclusiveLimit: 5 });
    expect(inconclusive.result.verdict).toBe('inconclusive');
    expect(phaseOf(inconclusive.result).reason).toBe(
      'none of 3 measurements passed (0 failed, 3 inconclusive)',
    );
    const failed = await gate('FIF', { failureLimit: 5, inconclusiveLimit: 5 });
    expect(failed.result.verdict).toBe('fail');
    // One pass is enough for the limits to decide.
    expect((await gate('IPI', { inconclusiveLimit: 5 })).result.verdict).toBe('pass');
  });

  test('the gate stops as soon as a check is decided against: the other check is left running', async () => {
    const { result, reads } = await gate('F', { checks: [errors, latency], count: 5 });
    expect(reads).toBe(1);
    expect(result.verdict).toBe('fail');
    expect(phaseOf(result, 'latency').phase).toBe('running');
    expect(result.stoppedEarly).toBe(
      'errors: 1 failed measurement(s), more than failure-limit 0: 10% is not < 1%',
    );
  });

  test('the worst phase wins: fail over error over inconclusive', async () => {
    const plan = oneCheck({ name: 'cpu', metric: 'CpuPercentage', resource: 'plan', threshold: '< 80%' });
    // Every read lacks the plan's data: cpu errors on each one while errors passes.
    const { result, reads } = await gate('PPPPP', { checks: [errors, plan], consecutiveErrorLimit: 4 });
    expect(reads).toBe(5);
    expect(phaseOf(result).phase).toBe('pass');
    expect(phaseOf(result, 'cpu').phase).toBe('error');
    expect(result.verdict).toBe('error');
    expect(result.measurements[0]!.checks['cpu']!.reason).toBe(
      "reading the plan's metrics failed: the query failed",
    );
  });

  test('an endless alternation of errors and passes still ends: each pass counts, each error streak stays short', async () => {
    const limit = 3;
    const { result, reads } = await gate((i) => (i % (limit + 1) < limit ? 'E' : 'P'), {
      consecutiveErrorLimit: limit,
      count: 4,
    });
    expect(result.verdict).toBe('pass');
    // count · (consecutive-error-limit + 1): the most reads any gate takes before every check is decided.
    expect(reads).toBe(4 * (limit + 1));
    const endless = await gate(() => 'E', { consecutiveErrorLimit: limit, count: 4 });
    expect(endless.reads).toBe(limit + 1);
    expect(endless.result.verdict).toBe('error');
  });
});

describe('schedule and windows', () => {
  test('measurements are at start + initial-delay + k·interval even when each read takes 25 s', async () => {
    const clock = virtualClock(T0 + 17_000);
    const at: number[] = [];
    const result = await runGate(
      { ...SETTINGS, initialDelayMs: 30_000 },
      {
        now: clock.now,
        sleep: clock.sleep,
        read: async () => {
          at.push(clock.now());
          await clock.sleep(25_000);
          return reading('P');
        },
      },
    );
    const start = T0 + 17_000;
    expect(at).toEqual([start + 30_000, start + 90_000, start + 150_000]);
    expect(result.measurements.map((m) => m.at)).toEqual(at);
    expect(result.startedAt).toBe(start);
    expect(result.finishedAt).toBe(start + 175_000);
  });

  test('a read slower than the interval: the next measurement starts at once, no sleep', async () => {
    const clock = virtualClock(T0);
    const at: number[] = [];
    await runGate(SETTINGS, {
      now: clock.now,
      sleep: clock.sleep,
      read: async () => {
        at.push(clock.now() - T0);
        await clock.sleep(90_000);
        return reading('P');
      },
    });
    expect(at).toEqual([0, 90_000, 180_000]);
    expect(clock.slept).toEqual([90_000, 90_000, 90_000]);
  });

  test('windowAt: whole grains, ending ingestion-delay before now', () => {
    const now = Date.UTC(2026, 11, 7, 10, 7, 30, 500);
    expect(windowAt(now, SETTINGS)).toEqual({
      fromMs: Date.UTC(2026, 11, 7, 9, 59),
      toMs: Date.UTC(2026, 11, 7, 10, 4),
    });
    // A window that is not whole grains is rounded up to them.
    expect(windowAt(now, { ...SETTINGS, windowMs: 90_000 })).toEqual({
      fromMs: Date.UTC(2026, 11, 7, 10, 2),
      toMs: Date.UTC(2026, 11, 7, 10, 4),
    });
    // The sandbox's 1-second grain, no ingestion delay.
    expect(windowAt(T0 + 12_345, { ingestionDelayMs: 0, grainMs: 1000, windowMs: 5000 })).toEqual({
      fromMs: T0 + 7000,
      toMs: T0 + 12_000,
    });
  });

  test('each measurement reads the window of its own time', async () => {
    const { result } = await gate('PPP', { initialDelayMs: 45_000 });
    for (const m of result.measurements) expect(m.window).toEqual(windowAt(m.at, SETTINGS));
    expect(result.measurements.map((m) => m.window.toMs - T0)).toEqual([-3 * MINUTE, -2 * MINUTE, -MINUTE]);
  });

  test('measurements record the data they were judged on', async () => {
    const { result } = await gate('PPP');
    expect(Object.keys(result.measurements[0]!.data)).toEqual(['canary']);
    expect(result.measurements[0]!.data.canary!['http5xx']).toEqual([counts([0])]);
  });

  test('cancellation stops the wait between measurements', async () => {
    const clock = virtualClock(T0);
    const controller = new AbortController();
    let reads = 0;
    const run = runGate(SETTINGS, {
      now: clock.now,
      sleep: clock.sleep,
      signal: controller.signal,
      read: async () => {
        reads += 1;
        if (reads === 1) setImmediate(() => controller.abort(new CancelledError('SIGINT')));
        return reading('P');
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(reads).toBe(1);
  });
});
