import { describe, expect, test } from '@jest/globals';
import { ActivityLog } from '../../sandbox/activity-log.js';
import {
  type AutoscaleProfile,
  activeProfile,
  evaluateAutoscale,
  type MetricTrigger,
  nextCapacity,
  type ScaleRule,
  timeAggregate,
  triggerValue,
} from '../../sandbox/dataplane/autoscale.js';
import { AutoscaleEngine, type AutoscaleEngineDeps } from '../../sandbox/dataplane/autoscale-engine.js';
import { MetricStore } from '../../sandbox/dataplane/metric-store.js';
import { resolveTimeZone, wallClock, zonedTimeToUtc } from '../../sandbox/dataplane/timezones.js';

const PLAN = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/serverfarms/plan';
const trigger = (
  metricName: string,
  operator: MetricTrigger['operator'],
  threshold: number,
): MetricTrigger => ({
  metricName,
  metricResourceUri: PLAN,
  timeGrain: 'PT1M',
  statistic: 'Average',
  timeWindow: 'PT5M',
  timeAggregation: 'Average',
  operator,
  threshold,
});
const rule = (
  t: MetricTrigger,
  direction: 'Increase' | 'Decrease',
  value = '1',
  cooldown = 'PT5M',
): ScaleRule => ({ metricTrigger: t, scaleAction: { direction, type: 'ChangeCount', value, cooldown } });

const rules = [
  rule(trigger('CpuPercentage', 'GreaterThan', 70), 'Increase'),
  rule(trigger('HttpQueueLength', 'GreaterThan', 100), 'Increase', '2'),
  rule(trigger('CpuPercentage', 'LessThan', 30), 'Decrease'),
];
const defaultProfile: AutoscaleProfile = {
  name: 'default',
  capacity: { minimum: '2', maximum: '10', default: '2' },
  rules,
};
const business: AutoscaleProfile = {
  name: 'business hours',
  capacity: { minimum: '4', maximum: '10', default: '4' },
  rules,
  recurrence: {
    frequency: 'Week',
    schedule: {
      timeZone: 'AUS Eastern Standard Time',
      days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
      hours: [8],
      minutes: [0],
    },
  },
};
const offHours: AutoscaleProfile = {
  ...defaultProfile,
  name: '{"name":"default","for":"business hours"}',
  recurrence: {
    frequency: 'Week',
    schedule: {
      timeZone: 'AUS Eastern Standard Time',
      days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
      hours: [18],
      minutes: [0],
    },
  },
};

describe('time zones', () => {
  test('Windows names map to IANA zones; unknown names are refused', () => {
    expect(resolveTimeZone('AUS Eastern Standard Time')).toBe('Australia/Sydney');
    expect(resolveTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(resolveTimeZone(undefined)).toBe('UTC');
    expect(resolveTimeZone('Mars Standard Time')).toBeUndefined();
  });
  test('local wall-clock time converts to UTC across daylight saving', () => {
    // Sydney is UTC+11 in November (daylight time) and UTC+10 in June.
    expect(new Date(zonedTimeToUtc(2026, 11, 26, 8, 0, 'Australia/Sydney')).toISOString()).toBe(
      '2026-11-25T21:00:00.000Z',
    );
    expect(new Date(zonedTimeToUtc(2026, 6, 15, 8, 0, 'Australia/Sydney')).toISOString()).toBe(
      '2026-06-14T22:00:00.000Z',
    );
    expect(wallClock(Date.UTC(2026, 10, 25, 21, 0), 'Australia/Sydney')).toEqual({
      year: 2026,
      month: 11,
      day: 26,
      weekday: 4,
      hour: 8,
      minute: 0,
    });
  });
});

describe('profile selection by time of day in the profile time zone (injected clock)', () => {
  const profiles = [offHours, business, defaultProfile];
  test.each([
    ['Thursday 08:30 Sydney', '2026-11-25T21:30:00Z', 'business hours'],
    ['Thursday 07:59 Sydney', '2026-11-25T20:59:00Z', offHours.name],
    ['Thursday 17:59 Sydney', '2026-11-26T06:59:00Z', 'business hours'],
    ['Thursday 18:00 Sydney', '2026-11-26T07:00:00Z', offHours.name],
    ['Saturday 11:00 Sydney', '2026-11-28T00:00:00Z', offHours.name],
    ['Monday 08:00 Sydney (winter, UTC+10)', '2026-06-14T22:00:00Z', 'business hours'],
  ])('%s → %s', (_label, iso, expected) => {
    expect(activeProfile(profiles, Date.parse(iso))?.name).toBe(expected);
  });
  test('without recurrence profiles the default applies', () => {
    expect(activeProfile([defaultProfile], Date.parse('2026-11-25T21:30:00Z'))?.name).toBe('default');
  });
  test('a fixed-date profile wins inside its window', () => {
    const sale: AutoscaleProfile = {
      ...defaultProfile,
      name: 'sale',
      fixedDate: { timeZone: 'UTC', start: '2026-11-27T00:00:00', end: '2026-11-28T00:00:00' },
    };
    expect(activeProfile([sale, ...profiles], Date.parse('2026-11-27T12:00:00Z'))?.name).toBe('sale');
    expect(activeProfile([sale, ...profiles], Date.parse('2026-11-28T12:00:00Z'))?.name).toBe(offHours.name);
  });
});

describe('rule evaluation', () => {
  const values = (v: Record<string, number | undefined>) => (t: MetricTrigger) => v[t.metricName];
  const now = Date.parse('2026-11-28T00:00:00Z');
  test('any scale-out rule scales out; the largest increase wins', () => {
    const d = evaluateAutoscale([defaultProfile], {
      nowMs: now,
      capacity: 3,
      value: values({ CpuPercentage: 85, HttpQueueLength: 150 }),
    });
    expect(d).toEqual(
      expect.objectContaining({
        direction: 'Increase',
        target: 5,
        reason: 'HttpQueueLength 150 GreaterThan 100',
        cooldownMs: 300_000,
      }),
    );
  });
  test('never above the maximum', () => {
    const d = evaluateAutoscale([defaultProfile], {
      nowMs: now,
      capacity: 10,
      value: values({ CpuPercentage: 99 }),
    });
    expect(d).toEqual(
      expect.objectContaining({
        direction: 'None',
        target: 10,
        reason: 'CpuPercentage 99 GreaterThan 70, but already at maximum 10',
      }),
    );
  });
  test('scale-in needs every scale-in rule, and never goes below the minimum', () => {
    expect(
      evaluateAutoscale([defaultProfile], {
        nowMs: now,
        capacity: 4,
        value: values({ CpuPercentage: 10, HttpQueueLength: 0 }),
      }).target,
    ).toBe(3);
    expect(
      evaluateAutoscale([defaultProfile], { nowMs: now, capacity: 2, value: values({ CpuPercentage: 10 }) })
        .direction,
    ).toBe('None');
  });
  test('scale-out is preferred when rules conflict', () => {
    const conflicting: AutoscaleProfile = {
      ...defaultProfile,
      rules: [
        rule(trigger('HttpQueueLength', 'GreaterThan', 10), 'Increase'),
        rule(trigger('CpuPercentage', 'LessThan', 30), 'Decrease'),
      ],
    };
    expect(
      evaluateAutoscale([conflicting], {
        nowMs: now,
        capacity: 4,
        value: values({ CpuPercentage: 5, HttpQueueLength: 50 }),
      }).direction,
    ).toBe('Increase');
  });
  test('the flapping guard holds a scale-in that would trigger a scale-out', () => {
    const d = evaluateAutoscale([defaultProfile], {
      nowMs: now,
      capacity: 3,
      value: values({ CpuPercentage: 25, HttpQueueLength: 0 }),
    });
    // 25% on 3 instances is about 37.5% on 2: fine. At 29% on 3 → 43.5% on 2, still fine; the guard needs > 70.
    expect(d.direction).toBe('Decrease');
    const tight: AutoscaleProfile = {
      ...defaultProfile,
      rules: [
        rule(trigger('CpuPercentage', 'GreaterThan', 35), 'Increase'),
        rule(trigger('CpuPercentage', 'LessThan', 30), 'Decrease'),
      ],
    };
    expect(
      evaluateAutoscale([tight], { nowMs: now, capacity: 3, value: values({ CpuPercentage: 25 }) }).reason,
    ).toMatch(/^scale-in held/);
  });
  test('cooldown blocks any action', () => {
    const d = evaluateAutoscale([defaultProfile], {
      nowMs: now,
      capacity: 3,
      cooldownUntilMs: now + 1,
      value: values({ CpuPercentage: 99 }),
    });
    expect(d).toEqual(expect.objectContaining({ direction: 'None', reason: 'in cooldown' }));
  });
  test('capacity outside a newly active profile is brought within bounds', () => {
    const monday = Date.parse('2026-11-23T00:00:00Z'); // Monday 11:00 in Sydney: business hours, minimum 4
    expect(
      evaluateAutoscale([offHours, business, defaultProfile], {
        nowMs: monday,
        capacity: 2,
        value: values({}),
      }),
    ).toEqual(expect.objectContaining({ profile: 'business hours', target: 4, direction: 'Increase' }));
  });
  test('no data fires no rule', () => {
    expect(evaluateAutoscale([defaultProfile], { nowMs: now, capacity: 3, value: values({}) }).reason).toBe(
      'no rule fired',
    );
  });
});

test.each([
  [4, 'ChangeCount', 'Increase', '2', 6],
  [4, 'ChangeCount', 'Decrease', '1', 3],
  [4, 'PercentChangeCount', 'Increase', '50', 6],
  [3, 'PercentChangeCount', 'Increase', '10', 4],
  [4, 'ExactCount', 'Increase', '7', 7],
])('nextCapacity(%p, %s %s %s) = %p', (current, type, direction, value, expected) => {
  expect(
    nextCapacity(current, {
      type: type as 'ChangeCount',
      direction: direction as 'Increase',
      value,
      cooldown: 'PT1M',
    }),
  ).toBe(expected);
});

test.each([
  [[1, 5, 3], 'Average', 3],
  [[1, 5, 3], 'Maximum', 5],
  [[1, 5, 3], 'Minimum', 1],
  [[1, 5, 3], 'Total', 9],
  [[1, 5, 3], 'Count', 3],
  [[1, 5, 3], 'Last', 3],
  [[], 'Average', undefined],
  [[], 'Total', 0],
])('timeAggregate(%p, %s) = %p', (values, aggregation, expected) => {
  expect(timeAggregate(values, aggregation as 'Average')).toBe(expected);
});

test('trigger values come from recorded samples over the time-scaled window', () => {
  const now = Date.UTC(2026, 10, 26, 0, 10, 0);
  const store = new MetricStore(() => now);
  // With time scale 60, PT5M is a 5 s window and PT1M a 1 s grain. Two instances, per-second CPU samples.
  for (let s = 1; s <= 5; s++) {
    store.record(
      { resourceId: PLAN, metric: 'CpuPercentage', dimensions: { Instance: 'a' } },
      80,
      now - s * 1000,
    );
    store.record(
      { resourceId: PLAN, metric: 'CpuPercentage', dimensions: { Instance: 'b' } },
      60,
      now - s * 1000,
    );
  }
  store.record({ resourceId: PLAN, metric: 'CpuPercentage', dimensions: { Instance: 'a' } }, 0, now - 60_000); // outside the window
  expect(triggerValue(store, trigger('CpuPercentage', 'GreaterThan', 70), now, 2, 60)).toBe(70);
  expect(
    triggerValue(
      store,
      { ...trigger('CpuPercentage', 'GreaterThan', 70), statistic: 'Max', timeAggregation: 'Maximum' },
      now,
      2,
      60,
    ),
  ).toBe(80);
  // Requests is a site metric: on the plan it is Azure's UnsupportedMetric, never a value.
  expect(triggerValue(store, { ...trigger('Requests', 'GreaterThan', 70) }, now, 2, 60)).toBeUndefined();
});

describe('the statistic combines per-instance values (time scale 60: PT1M grain = 1 s, PT5M window = 5 s)', () => {
  const SITE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web';
  const now = Date.UTC(2026, 10, 26, 0, 10, 0);
  /** `perSecond[instance]` requests in each of the 5 seconds of the window. */
  const requests = (perSecond: Record<string, number>, seconds = 5) => {
    const store = new MetricStore(() => now);
    for (let s = 1; s <= seconds; s++)
      for (const [instance, n] of Object.entries(perSecond))
        for (let i = 0; i < n; i++)
          store.record(
            { resourceId: SITE, metric: 'Requests', dimensions: { Instance: instance } },
            1,
            now - s * 1000,
          );
    return store;
  };
  const requestsRule = (over: Partial<MetricTrigger>): MetricTrigger => ({
    ...trigger('Requests', 'GreaterThan', 20),
    metricResourceUri: SITE,
    ...over,
  });

  test("Average of Requests is the mean of the instances' request counts per grain, not 1", () => {
    const store = requests({ a: 30, b: 20, c: 10 });
    expect(triggerValue(store, requestsRule({}), now, 3, 60)).toBe(20);
    expect(triggerValue(store, requestsRule({ timeAggregation: 'Total' }), now, 3, 60)).toBe(100);
    expect(
      triggerValue(store, requestsRule({ timeAggregation: 'Maximum', statistic: 'Max' }), now, 3, 60),
    ).toBe(30);
    expect(triggerValue(store, requestsRule({ statistic: 'Min' }), now, 3, 60)).toBe(10);
    expect(triggerValue(store, requestsRule({ statistic: 'Sum' }), now, 3, 60)).toBe(60);
    expect(triggerValue(store, requestsRule({ statistic: 'Count' }), now, 3, 60)).toBe(3);
  });

  test('an instance that served nothing counts as 0, and an idle app reads 0 rather than no data', () => {
    // Two instances, only one of them busy: the average per instance is half its count.
    expect(triggerValue(requests({ a: 30 }), requestsRule({}), now, 2, 60)).toBe(15);
    expect(triggerValue(requests({ a: 30 }), requestsRule({ statistic: 'Min' }), now, 2, 60)).toBe(0);
    // No traffic at all: a scale-in rule "Requests < 5" must be able to fire.
    expect(triggerValue(requests({}), requestsRule({}), now, 2, 60)).toBe(0);
  });

  test("Max of CpuPercentage is the busiest instance's average, not the highest raw sample", () => {
    const store = new MetricStore(() => now);
    for (let s = 1; s <= 5; s++) {
      const at = now - s * 1000;
      const cpu = (instance: string, value: number, ms = 0) =>
        store.record(
          { resourceId: PLAN, metric: 'CpuPercentage', dimensions: { Instance: instance } },
          value,
          at + ms,
        );
      cpu('a', 80);
      cpu('a', 100, 500);
      cpu('b', 30);
    }
    const cpuRule = (statistic: MetricTrigger['statistic']) => ({
      ...trigger('CpuPercentage', 'GreaterThan', 70),
      statistic,
      timeAggregation: 'Average' as const,
    });
    expect(triggerValue(store, cpuRule('Max'), now, 2, 60)).toBe(90);
    expect(triggerValue(store, cpuRule('Min'), now, 2, 60)).toBe(30);
    expect(triggerValue(store, cpuRule('Average'), now, 2, 60)).toBe(60);
    // An average metric is not padded: an instance without samples is not an instance at 0 %.
    expect(triggerValue(store, cpuRule('Average'), now, 4, 60)).toBe(60);
    expect(triggerValue(new MetricStore(() => now), cpuRule('Average'), now, 2, 60)).toBeUndefined();
  });

  test("Sum with dividePerInstance is the load per instance (the default setting's rule)", () => {
    const store = requests({ a: 30, b: 10 });
    const sum = requestsRule({ statistic: 'Sum', timeAggregation: 'Total', dividePerInstance: true });
    // 40 requests a grain, 200 over the window, shared by 2 instances.
    expect(triggerValue(store, sum, now, 2, 60)).toBe(100);
    expect(triggerValue(store, { ...sum, timeAggregation: 'Average' }, now, 2, 60)).toBe(20);
    // Dividing by the current capacity: the same load on 4 instances is half as much each.
    expect(triggerValue(store, sum, now, 4, 60)).toBe(50);
    expect(triggerValue(store, { ...sum, dividePerInstance: false }, now, 2, 60)).toBe(200);
  });

  test('a plan metric recorded without an Instance dimension counts as one instance', () => {
    const store = new MetricStore(() => now);
    for (let s = 1; s <= 5; s++)
      store.record({ resourceId: PLAN, metric: 'HttpQueueLength' }, s * 10, now - s * 1000);
    expect(triggerValue(store, trigger('HttpQueueLength', 'GreaterThan', 100), now, 3, 60)).toBe(30);
  });

  test('an Average-of-Requests setting scales out under load spread over the instances', async () => {
    let t = now;
    const store = new MetricStore(() => t);
    let capacity = 2;
    const SETTING = '/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/autoscalesettings/as';
    const profile: AutoscaleProfile = {
      name: 'default',
      capacity: { minimum: '2', maximum: '10', default: '2' },
      rules: [
        rule(requestsRule({ threshold: 20 }), 'Increase'),
        rule(requestsRule({ operator: 'LessThan', threshold: 5 }), 'Decrease'),
      ],
    };
    const engine = new AutoscaleEngine({
      metrics: store,
      now: () => t,
      timeScale: 60,
      settings: () => [
        { id: SETTING, properties: { enabled: true, targetResourceUri: PLAN, profiles: [profile] } },
      ],
      capacity: () => capacity,
      setCapacity: async (_plan, n) => {
        capacity = n;
      },
    });
    // 50 requests a second round-robin over the current instances: 25 each on 2, about 16 each on 3.
    for (let s = 0; s < 12; s++) {
      for (let i = 0; i < 50; i++)
        store.record(
          { resourceId: SITE, metric: 'Requests', dimensions: { Instance: `i${i % capacity}` } },
          1,
          t,
        );
      t += 1_000;
      await engine.tick();
    }
    expect(engine.actions(SETTING).map((a) => `${a.direction} ${a.from}->${a.to}`)).toEqual([
      'Increase 2->3',
    ]);
    expect(capacity).toBe(3);
  });
});

describe('the engine over recorded traffic (injected clock, time scale 60)', () => {
  const SITE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web';
  const SETTING = '/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/autoscalesettings/as';
  const requestsRule = (
    operator: MetricTrigger['operator'],
    threshold: number,
    direction: 'Increase' | 'Decrease',
  ): ScaleRule => ({
    metricTrigger: {
      ...trigger('Requests', operator, threshold),
      metricResourceUri: SITE,
      statistic: 'Sum',
      timeAggregation: 'Total',
    },
    scaleAction: { direction, type: 'ChangeCount', value: '1', cooldown: 'PT5M' },
  });
  const profile: AutoscaleProfile = {
    name: 'default',
    capacity: { minimum: '2', maximum: '4', default: '2' },
    rules: [requestsRule('GreaterThan', 100, 'Increase'), requestsRule('LessThan', 20, 'Decrease')],
  };

  test('scales out under load, never above the maximum, honours cooldown, then scales back in to the minimum', async () => {
    let now = Date.parse('2026-11-26T01:00:00Z');
    const store = new MetricStore(() => now);
    let capacity = 2;
    const log = new ActivityLog(() => now);
    const engine = new AutoscaleEngine({
      metrics: store,
      now: () => now,
      timeScale: 60,
      settings: () => [
        { id: SETTING, properties: { enabled: true, targetResourceUri: PLAN, profiles: [profile] } },
      ],
      capacity: () => capacity,
      setCapacity: async (_plan, n) => {
        capacity = n;
      },
      activityLog: log,
    });
    const second = async (requests: number) => {
      for (let i = 0; i < requests; i++)
        store.record({ resourceId: SITE, metric: 'Requests', dimensions: { Instance: 'a' } }, 1, now);
      now += 1_000;
      await engine.tick();
    };
    const capacities: number[] = [];
    // Load: 50 requests a second; the 5-second window (PT5M / 60) holds 250 > 100.
    for (let s = 0; s < 30; s++) {
      await second(50);
      capacities.push(capacity);
    }
    // Idle: the window empties, total 0 < 20.
    for (let s = 0; s < 40; s++) {
      await second(0);
      capacities.push(capacity);
    }
    expect(Math.max(...capacities)).toBe(4);
    expect(capacities.at(-1)).toBe(2);
    expect(Math.min(...capacities)).toBe(2);
    // Cooldown PT5M / 60 = 5 s between actions.
    const actions = engine.actions(SETTING);
    expect(actions.map((a) => `${a.direction} ${a.from}->${a.to}`)).toEqual([
      'Increase 2->3',
      'Increase 3->4',
      'Decrease 4->3',
      'Decrease 3->2',
    ]);
    for (let i = 1; i < actions.length; i++)
      expect(actions[i]!.timeMs - actions[i - 1]!.timeMs).toBeGreaterThanOrEqual(5_000);
    const observed = store.query({
      resourceId: SETTING,
      metric: 'ObservedCapacity',
      fromMs: now - 70_000,
      toMs: now,
      grainMs: 70_000,
    })[0]!.points[0]!.bucket!;
    expect([observed.minimum, observed.maximum]).toEqual([2, 4]);
    const scaleOuts = store.query({
      resourceId: SETTING,
      metric: 'ScaleActionsInitiated',
      fromMs: now - 70_000,
      toMs: now,
      grainMs: 70_000,
      filter: { ScaleDirection: 'Increase' },
    })[0]!;
    expect(scaleOuts.points[0]!.bucket!.total).toBe(2);
    // Azure's activity log: each action initiated, then completed, with its counts and one correlation id.
    await engine.settled();
    const events = log.list();
    expect(
      events.map(
        (e) =>
          `${e.operationName.localizedValue} ${e.properties['OldInstancesCount']}->${e.properties['NewInstancesCount']}`,
      ),
    ).toEqual([
      'Autoscale scale up initiated 2->3',
      'Autoscale scale up completed 2->3',
      'Autoscale scale up initiated 3->4',
      'Autoscale scale up completed 3->4',
      'Autoscale scale down initiated 4->3',
      'Autoscale scale down completed 4->3',
      'Autoscale scale down initiated 3->2',
      'Autoscale scale down completed 3->2',
    ]);
    expect(events.every((e) => e.resourceId === SETTING && e.properties['ResourceName'] === PLAN)).toBe(true);
    expect(events.every((e) => e.status.value === 'Succeeded')).toBe(true);
    expect(events[0]!.correlationId).toBe(events[1]!.correlationId);
    expect(events[0]!.correlationId).not.toBe(events[2]!.correlationId);
    expect(events.map((e) => Date.parse(e.eventTimestamp))).toEqual(
      actions.flatMap((a) => [a.timeMs, a.timeMs]),
    );
    expect(JSON.parse(events[0]!.properties['ActiveAutoscaleProfile']!).name).toBe('default');
    expect(events[0]!.properties['LastScaleActionTime']).toBeUndefined();
    expect(events[2]!.properties['LastScaleActionTime']).toBe(new Date(actions[0]!.timeMs).toUTCString());
  });
});

describe('activity log events from the engine (injected clock, time scale 60)', () => {
  const SETTING = '/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/autoscalesettings/as';
  const SITE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web';
  const start = Date.parse('2026-11-26T01:00:00Z');

  function harness(profiles: () => AutoscaleProfile[], over: Partial<AutoscaleEngineDeps> = {}) {
    const h = {
      now: start,
      capacity: 3,
      store: undefined as unknown as MetricStore,
      log: undefined as unknown as ActivityLog,
      engine: undefined as unknown as AutoscaleEngine,
    };
    h.store = new MetricStore(() => h.now);
    h.log = new ActivityLog(() => h.now);
    h.engine = new AutoscaleEngine({
      metrics: h.store,
      now: () => h.now,
      timeScale: 60,
      settings: () => [
        { id: SETTING, properties: { enabled: true, targetResourceUri: PLAN, profiles: profiles() } },
      ],
      capacity: () => h.capacity,
      setCapacity: async (_plan, n) => {
        h.capacity = n;
      },
      activityLog: h.log,
      ...over,
    });
    return h;
  }
  const cpu = (h: { store: MetricStore; now: number }, percent: number) => {
    for (const instance of ['a', 'b', 'c'])
      h.store.record(
        { resourceId: PLAN, metric: 'CpuPercentage', dimensions: { Instance: instance } },
        percent,
        h.now,
      );
  };
  const names = (log: ActivityLog) => log.list().map((e) => e.operationName.localizedValue);

  test('"completed" comes when the plan runs the new count; a failed scale is a Failed "completed"', async () => {
    let finish: (() => void) | undefined;
    let fail = false;
    const h = harness(
      () => [{ ...defaultProfile, rules: [rule(trigger('CpuPercentage', 'GreaterThan', 70), 'Increase')] }],
      {
        setCapacity: (_plan, n) =>
          new Promise<void>((resolve, reject) => {
            finish = () => {
              h.capacity = n;
              if (fail) reject(new Error('no room for more containers'));
              else resolve();
            };
          }),
      },
    );
    cpu(h, 90);
    h.now += 1_000;
    await h.engine.tick();
    expect(names(h.log)).toEqual(['Autoscale scale up initiated']);
    h.now += 2_000;
    finish!();
    await h.engine.settled();
    expect(names(h.log)).toEqual(['Autoscale scale up initiated', 'Autoscale scale up completed']);
    expect(h.log.list()[1]!.eventTimestamp).toBe(new Date(start + 3_000).toISOString());
    // After the cooldown (5 s), the next scale-out fails.
    fail = true;
    for (let s = 0; s < 6; s++) {
      h.now += 1_000;
      cpu(h, 90);
      await h.engine.tick();
    }
    finish!();
    await h.engine.settled();
    const last = h.log.list().at(-1)!;
    expect([last.operationName.localizedValue, last.status.value, last.level]).toEqual([
      'Autoscale scale up completed',
      'Failed',
      'Error',
    ]);
    expect(last.properties).toEqual(
      expect.objectContaining({ OldInstancesCount: '4', NewInstancesCount: '5' }),
    );
  });

  test('a scale-in held by the flapping guard logs one Flapping event per episode', async () => {
    const tight: AutoscaleProfile = {
      ...defaultProfile,
      rules: [
        rule(trigger('CpuPercentage', 'GreaterThan', 35), 'Increase'),
        rule(trigger('CpuPercentage', 'LessThan', 30), 'Decrease'),
      ],
    };
    const h = harness(() => [tight]);
    for (let s = 0; s < 8; s++) {
      cpu(h, 25); // 25 % on 3 instances would be 37.5 % on 2: over 35, so the scale-in is held
      h.now += 1_000;
      await h.engine.tick();
    }
    expect(h.capacity).toBe(3);
    expect(names(h.log)).toEqual(['Flapping']);
    const flapping = h.log.list()[0]!;
    expect(flapping.eventName.value).toBe('Flapping');
    expect(flapping.properties).toEqual(
      expect.objectContaining({ OldInstancesCount: '3', NewInstancesCount: '3' }),
    );
    expect(flapping.description).toMatch(/Intended new instance count '2'/);
    // Load drops further: 10 % on 3 is 15 % on 2, so the scale-in happens; a later hold is a new episode.
    for (let s = 0; s < 6; s++) {
      cpu(h, 10);
      h.now += 1_000;
      await h.engine.tick();
    }
    await h.engine.settled();
    expect(h.capacity).toBe(2);
    expect(names(h.log)).toEqual([
      'Flapping',
      'Autoscale scale down initiated',
      'Autoscale scale down completed',
    ]);
  });

  test('a rule on a metric its resource lacks (Requests on the plan) logs Metric Failure once, then Metric Recovery', async () => {
    let target = PLAN;
    const requestsOn = (): AutoscaleProfile[] => [
      {
        ...defaultProfile,
        rules: [rule({ ...trigger('Requests', 'GreaterThan', 100), metricResourceUri: target }, 'Increase')],
      },
    ];
    const h = harness(requestsOn);
    for (let s = 0; s < 5; s++) {
      h.now += 1_000;
      await h.engine.tick();
    }
    expect(names(h.log)).toEqual(['Metric Failure']);
    const failure = h.log.list()[0]!;
    expect([failure.eventName.value, failure.status.value]).toEqual(['MetricFailure', 'Failed']);
    expect(failure.description).toMatch(/UnsupportedMetric: the metric 'Requests' is not defined/);
    target = SITE;
    h.now += 1_000;
    await h.engine.tick();
    expect(names(h.log)).toEqual(['Metric Failure', 'Metric Recovery']);
  });
});
