import { describe, expect, test } from '@jest/globals';
import { metricsReader, toScaleEvent } from '../../src/verify-autoscale/default-deps.js';
import { activeProfile, diagnose, type Observed } from '../../src/verify-autoscale/diagnose.js';
import type { AutoscaleProfile, AutoscaleSetting, ScaleRule } from '../../src/verify-autoscale/findings.js';
import type { ObserveOptions } from '../../src/verify-autoscale/inputs.js';
import {
  type LoadStartOptions,
  type LoadSummary,
  type MetricsRead,
  observe,
} from '../../src/verify-autoscale/observe.js';
import { condensed } from '../../src/verify-autoscale/report.js';
import {
  buildTimeline,
  capacityAtFn,
  capacityReadings,
  ruleValues,
  type ScaleEvent,
  type Series,
  windowValues,
} from '../../src/verify-autoscale/timeline.js';
import { virtualClock } from '../helpers/clock.js';

// Observe mode's pure parts (timeline, rule values, the "why not scaled" diagnosis) and its loop with a
// virtual clock, a scripted Azure Monitor and a scripted load generator.

const SUB = '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers';
const PLAN = `${SUB}/Microsoft.Web/serverfarms/plan`;
const SITE = `${SUB}/Microsoft.Web/sites/web`;
const SETTING_ID = `${SUB}/microsoft.insights/autoscalesettings/web-autoscale`;

function rule(
  metric: string,
  direction: 'Increase' | 'Decrease',
  operator: string,
  threshold: number,
  extra: { statistic?: string; dividePerInstance?: boolean; cooldown?: string } = {},
): ScaleRule {
  return {
    metricTrigger: {
      metricName: metric,
      metricNamespace: metric === 'Requests' ? 'microsoft.web/sites' : 'microsoft.web/serverfarms',
      metricResourceUri: metric === 'Requests' ? SITE : PLAN,
      timeGrain: 'PT1M',
      statistic: extra.statistic ?? 'Average',
      timeWindow: 'PT5M',
      timeAggregation: 'Average',
      operator,
      threshold,
      ...(extra.dividePerInstance ? { dividePerInstance: true } : {}),
    },
    scaleAction: { direction, type: 'ChangeCount', value: '1', cooldown: extra.cooldown ?? 'PT5M' },
  };
}

const OUT = rule('Requests', 'Increase', 'GreaterThan', 20);
const IN = rule('Requests', 'Decrease', 'LessThan', 5);

function profile(rules: ScaleRule[] = [OUT, IN], min = 2, max = 10): AutoscaleProfile {
  return {
    name: 'Default',
    capacity: { minimum: String(min), maximum: String(max), default: String(min) },
    rules,
  };
}

function setting(p: AutoscaleProfile = profile(), enabled = true): AutoscaleSetting {
  return { id: SETTING_ID, name: 'web-autoscale', enabled, targetResourceUri: PLAN, profiles: [p] };
}

describe('buildTimeline', () => {
  test('one entry per sample interval: the last capacity, mean CPU, summed requests, scale actions, client figures', () => {
    const t0 = 1_000_000;
    const timeline = buildTimeline({
      startMs: t0,
      endMs: t0 + 30_000,
      intervalMs: 10_000,
      loadEndMs: t0 + 20_000,
      // A grain that starts before the observation counts in the first interval.
      // The last reading of each interval (a scale event's reading included) is its capacity.
      capacity: capacityReadings(
        [
          { t: t0 - 1000, maximum: 2 },
          { t: t0 + 5000, maximum: 2 },
          { t: t0 + 11_000, maximum: 2 },
          { t: t0 + 22_000, maximum: 3 },
        ],
        [
          {
            t: t0 + 15_000,
            name: 'Autoscale scale up completed',
            direction: 'Increase',
            phase: 'completed',
            from: 2,
            to: 3,
          },
          {
            t: t0 + 25_000,
            name: 'Autoscale scale down completed',
            direction: 'Decrease',
            phase: 'completed',
            from: 3,
            to: 2,
          },
        ],
      ),
      scaleActions: [
        { metric: 'ScaleActionsInitiated', dimension: 'Increase', points: [{ t: t0 + 11_000, total: 1 }] },
        { metric: 'ScaleActionsInitiated', dimension: 'Decrease', points: [{ t: t0 + 21_000, total: 1 }] },
      ],
      cpu: [
        { t: t0, average: 10 },
        { t: t0 + 5000, average: 20 },
        { t: t0 + 11_000, average: 50 },
      ],
      requests: [
        { t: t0, total: 100 },
        { t: t0 + 9000, total: 50 },
        { t: t0 + 29_000, total: 0 },
      ],
      client: [
        { startMs: 0, requests: 140, errors: 1, latency: { p95Ms: 12.34 } },
        { startMs: 10_000, requests: 200, errors: 0, latency: { p95Ms: 30 } },
      ],
    });
    expect(timeline).toEqual([
      {
        atSeconds: 0,
        load: true,
        capacity: 2,
        cpuPercent: 15,
        requests: 150,
        scaleOut: 0,
        scaleIn: 0,
        clientRequests: 140,
        clientErrors: 1,
        clientP95Ms: 12.3,
      },
      {
        atSeconds: 10,
        load: true,
        capacity: 3,
        cpuPercent: 50,
        requests: null,
        scaleOut: 1,
        scaleIn: 0,
        clientRequests: 200,
        clientErrors: 0,
        clientP95Ms: 30,
      },
      {
        atSeconds: 20,
        load: false,
        capacity: 2,
        cpuPercent: null,
        requests: 0,
        scaleOut: 0,
        scaleIn: 1,
        clientRequests: 0,
        clientErrors: 0,
        clientP95Ms: null,
      },
    ]);
  });

  test('external load: the client columns are null', () => {
    const [entry] = buildTimeline({
      startMs: 0,
      endMs: 1000,
      intervalMs: 1000,
      loadEndMs: 1000,
      capacity: [],
      scaleActions: [],
      cpu: [],
      requests: [],
    });
    expect(entry).toMatchObject({
      clientRequests: null,
      clientErrors: null,
      clientP95Ms: null,
      capacity: null,
    });
  });
});

describe('ruleValues: per instance, then combined by statistic', () => {
  const perInstance: Series[] = [
    {
      metric: 'Requests',
      dimension: 'i0',
      points: [
        { t: 0, total: 30 },
        { t: 1000, total: 10 },
      ],
    },
    { metric: 'Requests', dimension: 'i1', points: [{ t: 0, total: 10 }] },
  ];
  const capacity = capacityAtFn([
    { t: 0, value: 2 },
    { t: 1000, value: 3 },
  ]);

  test('Average of Requests: the mean count per instance, idle instances counting 0', () => {
    expect(ruleValues(OUT, perInstance, capacity)).toEqual([
      { t: 0, value: 20 },
      { t: 1000, value: 3.33 },
    ]);
  });

  test('Sum with dividePerInstance, Max, Min and Count', () => {
    const sum = rule('Requests', 'Increase', 'GreaterThan', 1, { statistic: 'Sum', dividePerInstance: true });
    expect(ruleValues(sum, perInstance, capacity).map((v) => v.value)).toEqual([20, 3.33]);
    const max = rule('Requests', 'Increase', 'GreaterThan', 1, { statistic: 'Max' });
    expect(ruleValues(max, perInstance, capacity).map((v) => v.value)).toEqual([30, 10]);
    const min = rule('Requests', 'Increase', 'GreaterThan', 1, { statistic: 'Min' });
    expect(ruleValues(min, perInstance, capacity).map((v) => v.value)).toEqual([10, 0]);
    const count = rule('Requests', 'Increase', 'GreaterThan', 1, { statistic: 'Count' });
    expect(ruleValues(count, perInstance, capacity).map((v) => v.value)).toEqual([2, 3]);
  });

  test('Max of CpuPercentage: the busiest instance average; an average metric is not padded', () => {
    const cpu = rule('CpuPercentage', 'Increase', 'GreaterThan', 70, { statistic: 'Max' });
    const series: Series[] = [
      { metric: 'CpuPercentage', dimension: 'i0', points: [{ t: 0, average: 80 }] },
      {
        metric: 'CpuPercentage',
        dimension: 'i1',
        points: [
          { t: 0, average: 20 },
          { t: 1000, average: null },
        ],
      },
    ];
    expect(ruleValues(cpu, series, capacity)).toEqual([{ t: 0, value: 80 }]);
    const avg = rule('CpuPercentage', 'Increase', 'GreaterThan', 70);
    expect(ruleValues(avg, series, capacity)).toEqual([{ t: 0, value: 50 }]);
  });
});

describe('capacityReadings', () => {
  test('ObservedCapacity and the completed scale events, in time order; a failed scale does not count', () => {
    const events: ScaleEvent[] = [
      {
        t: 5,
        name: 'Autoscale scale up completed',
        direction: 'Increase',
        phase: 'completed',
        from: 2,
        to: 3,
        status: 'Succeeded',
      },
      {
        t: 7,
        name: 'Autoscale scale up completed',
        direction: 'Increase',
        phase: 'completed',
        from: 3,
        to: 4,
        status: 'Failed',
      },
      {
        t: 4,
        name: 'Autoscale scale up initiated',
        direction: 'Increase',
        phase: 'initiated',
        from: 2,
        to: 3,
      },
    ];
    expect(
      capacityReadings(
        [
          { t: 0, maximum: 2 },
          { t: 10, average: 3 },
        ],
        events,
      ),
    ).toEqual([
      { t: 0, value: 2 },
      { t: 5, value: 3 },
      { t: 10, value: 3 },
    ]);
  });
});

describe('activeProfile', () => {
  const business: AutoscaleProfile = {
    ...profile(),
    name: 'Business hours',
    recurrence: {
      frequency: 'Week',
      schedule: { timeZone: 'UTC', days: ['Monday'], hours: [8], minutes: [0] },
    },
  };
  const launch: AutoscaleProfile = {
    ...profile(),
    name: 'Launch',
    fixedDate: { start: '2026-12-01T00:00:00Z', end: '2026-12-31T00:00:00Z' },
  };
  const s: AutoscaleSetting = { ...setting(), profiles: [business, launch, profile()] };

  test('the profile the latest event names, else a fixed date that covers now, else the default', () => {
    const named: ScaleEvent = {
      t: 0,
      name: 'Autoscale scale up initiated',
      direction: 'Increase',
      phase: 'initiated',
      profile: 'Business hours',
    };
    expect(activeProfile(s, Date.parse('2026-12-07T12:00:00Z'), [named])?.name).toBe('Business hours');
    expect(activeProfile(s, Date.parse('2026-12-07T12:00:00Z'), [])?.name).toBe('Launch');
    expect(activeProfile(s, Date.parse('2027-01-07T12:00:00Z'), [])?.name).toBe('Default');
  });
});

describe('diagnose: why it did not scale, from the data', () => {
  const base: Observed = {
    setting: setting(),
    profile: profile(),
    startCapacity: 2,
    maxCapacity: 2,
    expectCapacity: 3,
    minimum: 2,
    scaleOutWithinMs: 60_000,
    startMs: 0,
    loadEndMs: 30_000,
    endCapacity: 2,
    events: [],
    rules: [
      {
        index: 0,
        rule: OUT,
        values: [
          { t: 0, value: 4 },
          { t: 1000, value: 12.5 },
        ],
        grainMs: 1000,
      },
    ],
  };
  const ids = (o: Observed) => diagnose(o).map((f) => f.id);

  test('scaled out in time: no finding; without scale-in-within, nothing is asked of the scale-in', () => {
    expect(diagnose({ ...base, maxCapacity: 3, scaleOutAtMs: 20_000, rules: [] })).toEqual([]);
  });

  test('the metric never crossed: AS050 and AS051 naming the rule, its threshold and the highest value seen', () => {
    const findings = diagnose(base);
    expect(findings.map((f) => f.id)).toEqual(['AS050', 'AS051']);
    expect(findings[1]).toMatchObject({
      severity: 'error',
      setting: 'web-autoscale',
      profile: 'Default',
      rule: { index: 0, metric: 'Requests' },
    });
    expect(findings[1]!.message).toBe(
      'rules[0] Requests Average > 20 never crossed its threshold 20: the highest value seen was 12.5 (Average of the instances per 1s grain)',
    );
    expect(findings[0]!.message).toMatch(
      /capacity reached 2 \(from 2\), not expect-capacity 3, within scale-out-within 1m/,
    );
  });

  test('no value at all is said so', () => {
    const [, f] = diagnose({ ...base, rules: [{ ...base.rules[0]!, values: [] }] });
    expect(f!.message).toMatch(/no value of Requests was read/);
  });

  test('scaled out too late counts as not scaled', () => {
    expect(ids({ ...base, maxCapacity: 3, scaleOutAtMs: 61_000 })).toEqual(['AS050', 'AS051']);
  });

  test('a cooldown was running: every crossing fell within the cooldown of an earlier action', () => {
    const events: ScaleEvent[] = [
      {
        t: 1000,
        name: 'Autoscale scale up initiated',
        direction: 'Increase',
        phase: 'initiated',
        from: 2,
        to: 3,
      },
    ];
    const crossing = {
      ...base.rules[0]!,
      values: [
        { t: 2000, value: 40 },
        { t: 100_000, value: 10 },
      ],
    };
    const findings = diagnose({ ...base, expectCapacity: 4, maxCapacity: 3, events, rules: [crossing] });
    expect(findings.map((f) => f.id)).toEqual(['AS050', 'AS052']);
    expect(findings[1]!.message).toMatch(
      /only within the cooldown PT5M \(5m\) of the scale action at 1970-01-01T00:00:01.000Z \(2 → 3\)/,
    );
  });

  test('a crossing after the cooldown with no action: AS058', () => {
    const crossing = { ...base.rules[0]!, values: [{ t: 2000, value: 40 }] };
    expect(ids({ ...base, rules: [crossing] })).toEqual(['AS050', 'AS058']);
  });

  test("a cooldown is blamed only for the window's crossings: a spike whose window stayed below is AS058", () => {
    const events: ScaleEvent[] = [
      {
        t: 1000,
        name: 'Autoscale scale up initiated',
        direction: 'Increase',
        phase: 'initiated',
        from: 2,
        to: 3,
      },
    ];
    const spike = {
      ...base.rules[0]!,
      values: [
        { t: 2000, value: 30 },
        { t: 62_000, value: 4 },
      ],
    };
    const o = { ...base, expectCapacity: 4, maxCapacity: 3, events };
    // Per grain alone, the spike fell in the cooldown: AS052, as before.
    expect(ids({ ...o, rules: [spike] })).toEqual(['AS050', 'AS052']);
    // The engine's window never crossed: no cooldown hid anything.
    expect(
      ids({
        ...o,
        rules: [
          {
            ...spike,
            windowed: [
              { t: 2000, value: 12 },
              { t: 62_000, value: 17 },
            ],
          },
        ],
      }),
    ).toEqual(['AS050', 'AS058']);
  });

  test("AS058 with the window's aggregate: below the threshold is the reason; past it, the engine had not acted", () => {
    const spike = {
      ...base.rules[0]!,
      values: [
        { t: 0, value: 4 },
        { t: 60_000, value: 30 },
        { t: 120_000, value: 4 },
      ],
    };
    const below = diagnose({
      ...base,
      rules: [{ ...spike, windowed: windowValues(OUT, spike.values, 300_000) }],
    });
    expect(below.map((f) => f.id)).toEqual(['AS050', 'AS058']);
    expect(below[1]!.message).toBe(
      'rules[0] Requests Average > 20 crossed its threshold (highest 30 per 1s grain) but the engine did not scale out: its Average over PT5M, which the engine compares, peaked at 17 and never crossed',
    );
    expect(below[1]!.message).not.toMatch(/likely/);
    const sustained = { ...spike, values: spike.values.map((v) => ({ ...v, value: 40 })) };
    const past = diagnose({
      ...base,
      rules: [{ ...sustained, windowed: windowValues(OUT, sustained.values, 300_000) }],
    });
    expect(past[1]!.message).toMatch(/its Average over PT5M crossed too \(at 1970-01-01T00:00:00.000Z\)/);
    expect(past[1]!.fix).toMatch(/scale-out-within/);
  });

  test('the plan was at its maximum', () => {
    const findings = diagnose({
      ...base,
      profile: profile([OUT, IN], 2, 2),
      rules: [{ ...base.rules[0]!, values: [{ t: 0, value: 50 }] }],
    });
    expect(findings.map((f) => f.id)).toEqual(['AS050', 'AS053']);
    expect(findings[1]!.message).toBe(
      'profile Default allows at most 2 instance(s) and the plan reached 2; expect-capacity is 3',
    );
  });

  test('no setting, a disabled one, no profile, no scale-out rule: AS054', () => {
    const { setting: _, ...noSetting } = base;
    expect(ids({ ...noSetting, setting: undefined })).toEqual(['AS050', 'AS054']);
    expect(diagnose({ ...base, setting: setting(profile(), false) })[1]!.message).toBe(
      'the autoscale setting web-autoscale is disabled',
    );
    expect(ids({ ...base, profile: undefined })).toEqual(['AS050', 'AS054']);
    expect(ids({ ...base, profile: profile([IN]), rules: [] })).toEqual(['AS050', 'AS054']);
  });

  test('a Metric Failure in the Activity Log: AS057', () => {
    const events: ScaleEvent[] = [
      { t: 0, name: 'Metric Failure', direction: 'None', phase: 'other', description: 'UnsupportedMetric' },
    ];
    const crossing = { ...base.rules[0]!, values: [] };
    expect(ids({ ...base, events, rules: [crossing] })).toEqual(['AS050', 'AS057', 'AS051']);
  });

  test('scale-in-within: not back at the minimum in time is AS055, naming Flapping when the engine held it', () => {
    const scaled = {
      ...base,
      maxCapacity: 3,
      scaleOutAtMs: 10_000,
      rules: [],
      scaleInWithinMs: 20_000,
      endCapacity: 3,
    };
    expect(diagnose({ ...scaled, scaleInAtMs: 45_000 })).toEqual([]);
    const flapping: ScaleEvent = { t: 40_000, name: 'Flapping', direction: 'None', phase: 'other' };
    const [f] = diagnose({ ...scaled, events: [flapping] });
    expect(f).toMatchObject({ id: 'AS055', severity: 'error' });
    expect(f!.message).toBe(
      'capacity was 3 at the end, not back to the minimum 2, 20s after the load stopped (the Activity Log reports Flapping: the engine held the scale-in)',
    );
    expect(ids({ ...scaled, scaleInAtMs: 51_000 })).toEqual(['AS055']);
  });

  test('client errors are a warning: AS056', () => {
    const findings = diagnose({
      ...base,
      maxCapacity: 3,
      scaleOutAtMs: 1000,
      rules: [],
      client: { requests: 100, errors: 3, errorsByKind: { 'status 503': 2, timeout: 1 } },
    });
    expect(findings).toEqual([
      expect.objectContaining({
        id: 'AS056',
        severity: 'warning',
        message: '3 of 100 load requests failed (status 503: 2, timeout: 1)',
      }),
    ]);
  });
});

test("toScaleEvent: Azure's EventData as a scale event", () => {
  const event = toScaleEvent({
    eventTimestamp: new Date('2026-12-07T10:00:00Z'),
    operationName: {
      value: 'Microsoft.Insights/AutoscaleSettings/ScaleupResult/Action',
      localizedValue: 'Autoscale scale up completed',
    },
    status: { value: 'Succeeded', localizedValue: 'Succeeded' },
    properties: {
      OldInstancesCount: '2',
      NewInstancesCount: '3',
      ActiveAutoscaleProfile: JSON.stringify({ name: 'Default' }),
      Description: 'up',
    },
  });
  expect(event).toEqual({
    t: Date.parse('2026-12-07T10:00:00Z'),
    name: 'Autoscale scale up completed',
    direction: 'Increase',
    phase: 'completed',
    from: 2,
    to: 3,
    status: 'Succeeded',
    profile: 'Default',
    description: 'up',
  });
  expect(
    toScaleEvent({ operationName: { value: 'x', localizedValue: 'Flapping' }, eventTimestamp: new Date(0) }),
  ).toMatchObject({ direction: 'None', phase: 'other' });
});

describe('observe: the loop with a virtual clock, a scripted Monitor and a scripted load', () => {
  const OPTIONS: ObserveOptions = {
    load: 'builtin',
    users: 10,
    thinkTimeMs: 0,
    rampUpMs: 0,
    durationMs: 20_000,
    scaleOutWithinMs: 30_000,
    sampleIntervalMs: 5000,
  };

  /** Capacity as a function of time since the start; Requests 30 per instance while the load runs. */
  function world(
    capacity: (sinceStartMs: number) => number,
    start = 1_000_000,
    firstCapacityReadEmpty = false,
  ) {
    const clock = virtualClock(start);
    let capacityReads = 0;
    const reads: MetricsRead[] = [];
    const loads: LoadStartOptions[] = [];
    let stopped = 0;
    const points = (from: number, to: number, value: (t: number) => number | null) => {
      const out: { t: number; maximum: number | null; average: number | null; total: number | null }[] = [];
      for (let t = Math.floor(from / 1000) * 1000; t <= to; t += 1000) {
        const v = value(t);
        out.push({ t, maximum: v, average: v, total: v });
      }
      return out;
    };
    const deps = {
      now: clock.now,
      sleep: clock.sleep,
      log: (_line: string) => {},
      warn: () => {},
      loadGenerator: async () => (o: LoadStartOptions) => {
        loads.push(o);
        const began = clock.now();
        const report = (durationMs: number): LoadSummary => ({
          durationMs,
          stoppedBy: 'duration',
          requests: 1000,
          errors: 0,
          errorsByKind: {},
          requestsPerSecond: 50,
          latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3 },
          intervals: [{ startMs: 0, requests: 250, errors: 0, latency: { p95Ms: 2 } }],
        });
        // As the real one: stop() ends the load now and resolves as done does.
        let end: (r: LoadSummary) => void = () => {};
        const done = new Promise<LoadSummary>((resolve) => {
          end = resolve;
        });
        void clock.sleep(o.durationMs).then(() => end(report(o.durationMs)));
        return {
          done,
          stop: async () => {
            stopped++;
            end(report(clock.now() - began));
            return done;
          },
        };
      },
      monitor: {
        metrics: async (read: MetricsRead) => {
          reads.push(read);
          const now = clock.now();
          const to = Math.min(read.toMs, now);
          if (read.metrics[0] === 'ObservedCapacity' && ++capacityReads === 1 && firstCapacityReadEmpty)
            return { grainMs: 1000, series: [] };
          if (read.metrics[0] === 'ObservedCapacity')
            return {
              grainMs: 1000,
              series: [
                { metric: 'ObservedCapacity', points: points(read.fromMs, to, (t) => capacity(t - start)) },
              ],
            };
          if (read.metrics[0] === 'Requests' && read.splitBy === 'Instance')
            return {
              grainMs: 1000,
              series: [
                {
                  metric: 'Requests',
                  dimension: 'i0',
                  points: points(read.fromMs, to, (t) => (t - start < OPTIONS.durationMs ? 12 : 0)),
                },
              ],
            };
          return {
            grainMs: 1000,
            series: [{ metric: read.metrics[0]!, points: points(read.fromMs, to, () => 1) }],
          };
        },
        events: async () => [],
      },
    };
    return { clock, deps, reads, loads, stopped: () => stopped, start };
  }

  const ctx = (options: Partial<ObserveOptions> = {}) => ({
    options: { ...OPTIONS, ...options },
    setting: setting(),
    planId: PLAN,
    siteId: SITE,
    targetUrl: 'https://app.example.test/',
  });

  test('scale-out at 12 s and back to 2 at 31 s: pass, the figures, the timeline and the load it started', async () => {
    const w = world((s) => (s >= 12_000 && s < 31_000 ? 3 : 2));
    const result = await observe(ctx({ scaleInWithinMs: 20_000 }), w.deps);
    expect(w.loads).toEqual([
      {
        url: 'https://app.example.test/',
        users: 10,
        thinkTimeMs: 0,
        rampUpMs: 0,
        durationMs: 20_000,
        intervalMs: 5000,
      },
    ]);
    expect(result).toMatchObject({
      passed: true,
      findings: [],
      expectCapacity: 3,
      minimum: 2,
      startCapacity: 2,
      maxCapacity: 3,
      endCapacity: 2,
      scaleOutSeconds: 12,
      scaleInSeconds: 11,
      profile: 'Default',
    });
    expect(result.timeline.map((e) => [e.atSeconds, e.load, e.capacity])).toEqual([
      [0, true, 2],
      [5, true, 2],
      [10, true, 3],
      [15, true, 3],
      [20, false, 3],
      [25, false, 3],
      // 30..35 s reads 3 (at 30 s), then 2 (from 31 s): the capacity at the interval's end.
      [30, false, 2],
    ]);
    expect(result.timeline[0]).toMatchObject({ clientRequests: 250, clientP95Ms: 2 });
    // Every read covers the observation from before the load; the metrics are the four.
    expect(new Set(w.reads.map((r) => r.metrics[0]))).toEqual(
      new Set(['ObservedCapacity', 'ScaleActionsInitiated', 'CpuPercentage', 'Requests']),
    );
    // It ended when capacity was back at the minimum, not at the scale-in deadline (40 s).
    expect(w.clock.now() - w.start).toBe(35_000);
  });

  test('no capacity reading before the load yet (not ingested): the start capacity comes from later reads', async () => {
    const w = world((s) => (s >= 12_000 ? 3 : 2), 1_000_000, true);
    const result = await observe(ctx(), w.deps);
    expect(result).toMatchObject({ passed: true, startCapacity: 2, maxCapacity: 3, scaleOutSeconds: 12 });
  });

  test('no scale-out: the load stops at scale-out-within, the rules are read per instance, AS051 says why', async () => {
    const w = world(() => 2);
    const result = await observe(
      ctx({ durationMs: 60_000, scaleOutWithinMs: 15_000, scaleInWithinMs: 10_000 }),
      w.deps,
    );
    expect(w.stopped()).toBeGreaterThan(0);
    expect(w.clock.now() - w.start).toBe(15_000);
    expect(result.passed).toBe(false);
    expect(result.findings.map((f) => f.id)).toEqual(['AS050', 'AS051']);
    expect(result.rules).toEqual([
      { index: 0, metric: 'Requests', threshold: 20, operator: 'GreaterThan', highest: 6 },
    ]);
    expect(result.scaleOutSeconds).toBeUndefined();
    expect(result.scaleInSeconds).toBeUndefined();
    expect(w.reads.some((r) => r.splitBy === 'Instance' && r.resourceId === SITE)).toBe(true);
  });

  test('a token in target-url reaches the load generator, never the log or the result', async () => {
    const w = world((s) => (s >= 4000 ? 3 : 2));
    const lines: string[] = [];
    w.deps.log = (line: string) => {
      lines.push(line);
    };
    const secretUrl = 'https://app.example.test/api?token=s3cret-value';
    const result = await observe({ ...ctx({ durationMs: 5000 }), targetUrl: secretUrl }, w.deps);
    expect(w.loads[0]!.url).toBe(secretUrl);
    expect(result.targetUrl).toBe('https://app.example.test/api?token=***');
    expect(JSON.stringify(result)).not.toContain('s3cret');
    expect(lines.join('\n')).not.toContain('s3cret');
    expect(lines.join('\n')).toContain('https://app.example.test/api?token=***');
  });

  test('external load: no load is started; expect-capacity as given', async () => {
    const w = world((s) => (s >= 4000 ? 5 : 2));
    const result = await observe(ctx({ load: 'external', expectCapacity: 5, durationMs: 10_000 }), w.deps);
    expect(w.loads).toEqual([]);
    expect(result).toMatchObject({ passed: true, expectCapacity: 5, scaleOutSeconds: 4, load: 'external' });
    expect(result.timeline[0]!.clientRequests).toBeNull();
    expect(w.clock.now() - w.start).toBe(10_000);
  });

  test('Azure failing three reads in a row ends the run with the error, and the load is stopped', async () => {
    const w = world(() => 2);
    let n = 0;
    w.deps.monitor.metrics = async () => {
      n++;
      throw new Error('Monitor is down');
    };
    await expect(observe(ctx(), w.deps)).rejects.toThrow('Monitor is down');
    expect(n).toBeGreaterThanOrEqual(3);
    expect(w.stopped()).toBe(1);
  });
});

describe('metricsReader', () => {
  const INPUTS = {
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    subscriptionId: '00000000-0000-4000-8000-000000000000',
  } as unknown as Parameters<typeof metricsReader>[1];
  const read: MetricsRead = {
    resourceId: `/${SITE.slice(1)}`,
    namespace: 'microsoft.web/sites',
    metrics: ['Requests'],
    aggregation: 'Total',
    fromMs: Date.parse('2026-12-07T10:00:00.500Z'),
    toMs: Date.parse('2026-12-07T10:00:10Z'),
    grainMs: 1000,
    splitBy: 'Instance',
  };

  test('whole grains, the split as a filter, series by instance; a refused sub-minute grain falls back to PT1M for good', async () => {
    const calls: Record<string, unknown>[] = [];
    const monitor = {
      metrics: {
        list: async (resource: string, options: Record<string, unknown>) => {
          calls.push({ resource, ...options });
          if (options['interval'] === 'PT1S')
            throw Object.assign(new Error('Invalid interval'), { statusCode: 400 });
          return {
            value: [
              {
                name: { value: 'Requests' },
                timeseries: [
                  {
                    metadatavalues: [{ name: { value: 'instance' }, value: 'i0' }],
                    data: [{ timeStamp: new Date('2026-12-07T10:00:00Z'), total: 7 }],
                  },
                ],
              },
            ],
          };
        },
      },
    } as unknown as Parameters<typeof metricsReader>[0];
    const readMetrics = metricsReader(monitor, INPUTS);
    const first = await readMetrics(read);
    expect(first).toEqual({
      grainMs: 60_000,
      series: [
        {
          metric: 'Requests',
          dimension: 'i0',
          points: [
            {
              t: Date.parse('2026-12-07T10:00:00Z'),
              total: 7,
              average: null,
              maximum: null,
              minimum: null,
              count: null,
            },
          ],
        },
      ],
    });
    expect(calls.map((c) => [c['resource'], c['interval'], c['timespan'], c['filter']])).toEqual([
      [SITE.slice(1), 'PT1S', '2026-12-07T10:00:00.000Z/2026-12-07T10:00:10.000Z', "Instance eq '*'"],
      [SITE.slice(1), 'PT1M', '2026-12-07T10:00:00.000Z/2026-12-07T10:01:00.000Z', "Instance eq '*'"],
    ]);
    await readMetrics(read);
    expect(calls.at(-1)!['interval']).toBe('PT1M');
    expect(calls).toHaveLength(3);
  });

  test('another refusal is not retried at another grain: a 403 is the role hint', async () => {
    const monitor = {
      metrics: {
        list: async () => {
          throw Object.assign(new Error('no'), { statusCode: 403, code: 'AuthorizationFailed' });
        },
      },
    } as unknown as Parameters<typeof metricsReader>[0];
    await expect(metricsReader(monitor, INPUTS)({ ...read, grainMs: 60_000 })).rejects.toThrow(
      /^ARM refused the call \(403 AuthorizationFailed\): .*no role that allows it/,
    );
  });
});

test('condensed: a long timeline as at most 60 rows, merging neighbours', () => {
  const entry = (i: number) => ({
    atSeconds: i,
    load: i < 100,
    capacity: i === 50 ? 4 : i % 2 ? null : 2,
    cpuPercent: i % 2 ? 10 : 20,
    requests: 5,
    scaleOut: i === 50 ? 1 : 0,
    scaleIn: 0,
    clientRequests: 3,
    clientErrors: i === 51 ? 1 : 0,
    clientP95Ms: i === 51 ? 900 : 10,
  });
  const long = Array.from({ length: 200 }, (_, i) => entry(i));
  const rows = condensed(long, 60);
  expect(rows).toHaveLength(50);
  expect(rows[12]).toEqual({
    atSeconds: 48,
    load: true,
    capacity: 4,
    cpuPercent: 15,
    requests: 20,
    scaleOut: 1,
    scaleIn: 0,
    clientRequests: 12,
    clientErrors: 1,
    clientP95Ms: 900,
  });
  expect(rows.at(-1)!.load).toBe(false);
  expect(condensed(long.slice(0, 60), 60)).toEqual(long.slice(0, 60));
});

describe("windowValues: the rule's timeAggregation over its timeWindow, what the engine compares", () => {
  const values = [
    { t: 0, value: 10 },
    { t: 60_000, value: 40 },
    { t: 120_000, value: 10 },
    { t: 180_000, value: 0 },
  ];
  const withAggregation = (timeAggregation: string): ScaleRule => ({
    ...OUT,
    metricTrigger: { ...OUT.metricTrigger, timeAggregation },
  });

  test('each window holds the values in (t - window, t]', () => {
    expect(windowValues(OUT, values, 120_000)).toEqual([
      { t: 0, value: 10 },
      { t: 60_000, value: 25 },
      { t: 120_000, value: 25 },
      { t: 180_000, value: 5 },
    ]);
  });

  test.each([
    ['Average', 15],
    ['Minimum', 0],
    ['Maximum', 40],
    ['Total', 60],
    ['Count', 4],
    ['Last', 0],
  ])('%s over a window covering everything', (aggregation, expected) => {
    expect(windowValues(withAggregation(aggregation), values, 600_000).at(-1)).toEqual({
      t: 180_000,
      value: expected,
    });
  });

  test('no values, no windows', () => {
    expect(windowValues(OUT, [], 300_000)).toEqual([]);
  });
});
