import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import type { GateCheck } from '../../src/gate-on-metrics/checks.js';
import type { Measurement } from '../../src/gate-on-metrics/gate.js';
import { type CheckData, judgeCheck } from '../../src/gate-on-metrics/judge.js';
import { type GateActionDeps, run } from '../../src/gate-on-metrics/main.js';
import type { MetricsQuery } from '../../src/gate-on-metrics/read.js';
import type { Bucket } from '../../src/gate-on-metrics/series.js';
import { ArmError } from '../../src/lib/azure/errors.js';
import { virtualClock } from '../helpers/clock.js';
import { metricsResponse, seeded, T0 } from '../helpers/gate-metrics.js';
import { runInProcess, type StepResult } from '../helpers/runner.js';

const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
const SITE = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-shop/providers/Microsoft.Web/sites/shop`;
const PLAN = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-shop/providers/Microsoft.Web/serverfarms/plan-shop`;
const INSTANCES = ['lw0sdlwk0001', 'lw0sdlwk0002'];
const UNITS: Record<string, string> = {
  Requests: 'Count',
  Http5xx: 'Count',
  HttpResponseTime: 'Seconds',
  CpuPercentage: 'Percent',
};

type Role = 'canary' | 'baseline' | 'plan';
/** One instance's bucket for a metric and grain, or undefined for an empty one (Azure: total 0, count 0). */
type Profile = (
  role: Role,
  metric: string,
  time: number,
  instance: string,
) => Omit<Bucket, 'time'> | undefined;

/** A healthy app: 30 requests a minute per instance, no 5xx, ~200 ms; the canary `slower` seconds slower. */
function app({ slower = 0, requests = 30 } = {}): Profile {
  return (role, metric, time, instance) => {
    const random = seeded(time / 1000 + instance.length + (role === 'canary' ? 7 : 0));
    const perGrain = role === 'canary' ? requests : 30;
    switch (metric) {
      case 'Requests':
        return { total: perGrain, count: 1 };
      case 'Http5xx':
        return { total: 0, count: 1 };
      case 'HttpResponseTime': {
        const average = 0.2 + (role === 'canary' ? slower : 0) + (random() - 0.5) * 0.02;
        return {
          total: average * perGrain,
          count: perGrain,
          average,
          minimum: average / 2,
          maximum: average * 2,
        };
      }
      case 'CpuPercentage':
        return { total: 50, count: 1, average: 50, minimum: 40, maximum: 60 };
      default:
        return undefined;
    }
  };
}

/** Azure Monitor's Metrics_List as a script: answers every grain of the asked timespan for each instance. */
function monitor(profile: Profile, opts: { fail?: (call: number) => unknown } = {}) {
  const calls: { resourceId: string; query: MetricsQuery }[] = [];
  let connects = 0;
  let planReads = 0;
  const clock = virtualClock(T0);
  const deps: GateActionDeps = {
    now: clock.now,
    sleep: clock.sleep,
    signals: new EventEmitter(),
    connect: async () => {
      connects += 1;
      return {
        isFatal: (error) => error instanceof ArmError,
        planId: async () => {
          planReads += 1;
          return PLAN;
        },
        list: async (resourceId, query) => {
          calls.push({ resourceId, query });
          const failure = opts.fail?.(calls.length);
          if (failure) throw failure;
          const role: Role = resourceId.includes('/slots/')
            ? 'canary'
            : resourceId === PLAN
              ? 'plan'
              : 'baseline';
          const [from, to] = query.timespan.split('/').map((t) => Date.parse(t)) as [number, number];
          const grainMs = 60_000;
          const times = Array.from({ length: (to - from) / grainMs }, (_, i) => from + i * grainMs);
          return metricsResponse(
            resourceId,
            query.timespan,
            query.interval,
            Object.fromEntries(
              query.metricnames.split(',').map((name) => [
                name,
                {
                  unit: UNITS[name] ?? 'Count',
                  series: (role === 'plan' ? ['plan'] : INSTANCES).map((instance) => ({
                    instance,
                    buckets: times.map((time) => ({
                      time,
                      ...(profile(role, name, time, instance) ?? { total: 0, count: 0 }),
                    })),
                  })),
                },
              ]),
            ),
          );
        },
      };
    },
  };
  return { deps, calls, connects: () => connects, planReads: () => planReads };
}

const temp = mkdtempSync(join(tmpdir(), 'gate-on-metrics-main-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const INPUTS = {
  'subscription-id': SUBSCRIPTION,
  'resource-group': 'rg-shop',
  'app-name': 'shop',
  slot: 'staging',
  count: '3',
};

function step(deps: GateActionDeps, inputs: Record<string, string> = {}): Promise<StepResult> {
  return runInProcess(() => run(process.env, deps), { ...INPUTS, ...inputs }, { RUNNER_TEMP: temp });
}

const errorLines = (s: StepResult) => s.log.split('\n').filter((l) => l.startsWith('::error::'));

interface MeasurementsFile {
  verdict: string;
  settings: { checks: GateCheck[] };
  measurements: Measurement[];
}

/** Judge every recorded measurement again from the file alone; it must give what was recorded. */
function replay(path: string): number {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as MeasurementsFile;
  const map = (role: Record<string, unknown> | undefined) =>
    role ? (new Map(Object.entries(role)) as CheckData['canary']) : undefined;
  let judged = 0;
  for (const m of doc.measurements)
    for (const [name, recorded] of Object.entries(m.checks)) {
      const check = doc.settings.checks.find((c) => c.name === name)!;
      const data = { canary: map(m.data.canary)!, baseline: map(m.data.baseline), plan: map(m.data.plan) };
      const again = judgeCheck(check, data as CheckData);
      // Through JSON, as the file has it (an open interval's ∞ is written as null).
      expect(JSON.parse(JSON.stringify(again))).toEqual(recorded);
      judged += 1;
    }
  return judged;
}

describe('run(env, deps) in process', () => {
  test('a healthy canary passes: outputs, summary, and the queries Azure Monitor got', async () => {
    const azure = monitor(app());
    const s = await step(azure.deps);
    expect(errorLines(s)).toEqual([]);
    expect(s.exitCode).toBe(0);
    expect(s.outputs['verdict']).toBe('pass');
    expect(s.outputs['failed-checks']).toBe('');
    expect(s.outputs['report']).toBe('pass: error-rate pass; response-time pass');
    expect(s.outputs['measurements']!.startsWith(temp)).toBe(true);
    expect(existsSync(s.outputs['measurements']!)).toBe(true);
    expect(s.summary.startsWith('## ✅ gate-on-metrics: pass')).toBe(true);
    expect(s.log).toContain(
      `Gating ${SITE}/slots/staging against ${SITE}: error-rate, response-time; 3 measurement(s) every 1m.`,
    );
    expect(s.log).toMatch(/Measurement 1: error-rate 0% pass; response-time \d+ ms pass/);
    // Two reads (slot and production) per measurement, every aggregation, every instance.
    expect(azure.calls).toHaveLength(6);
    const canary = azure.calls.find((c) => c.resourceId.endsWith('/slots/staging'))!.query;
    expect(canary).toEqual({
      timespan: '2026-12-07T09:52:00.000Z/2026-12-07T09:57:00.000Z',
      interval: 'PT1M',
      metricnames: 'Http5xx,Requests,HttpResponseTime',
      aggregation: 'Total,Count,Average,Maximum,Minimum',
      filter: "Instance eq '*'",
      top: 100,
      metricnamespace: 'Microsoft.Web/sites/slots',
    });
    expect(azure.calls.find((c) => c.resourceId === SITE)!.query.metricnamespace).toBe('Microsoft.Web/sites');
    expect(azure.planReads()).toBe(0);
    expect(replay(s.outputs['measurements']!)).toBe(6);
  });

  test('a canary 300 ms slower fails: exit 1, one ::error:: line naming the check, the file replays', async () => {
    const s = await step(monitor(app({ slower: 0.3 })).deps);
    expect(s.exitCode).toBe(1);
    const errors = errorLines(s);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error::gate-on-metrics: the gate on slot staging of shop failed: response-time: 1 failed measurement\(s\), more than failure-limit 0: \+3\d\d ms vs the baseline/,
    );
    expect(s.outputs['verdict']).toBe('fail');
    expect(s.outputs['failed-checks']).toBe('response-time');
    expect(s.outputs['report']).toMatch(/^fail: error-rate not finished; response-time fail \(/);
    expect(s.summary.startsWith('## ❌ gate-on-metrics: fail')).toBe(true);
    const doc = JSON.parse(readFileSync(s.outputs['measurements']!, 'utf8')) as MeasurementsFile;
    expect(doc.verdict).toBe('fail');
    expect(doc.measurements).toHaveLength(1);
    expect(replay(s.outputs['measurements']!)).toBe(2);
  });

  test('a plan check reads the plan once and queries it in its namespace; plan data replays too', async () => {
    const azure = monitor(app());
    const s = await step(azure.deps, {
      checks: '- error-rate\n- name: cpu\n  metric: CpuPercentage\n  resource: plan\n  threshold: "< 80%"',
    });
    expect(errorLines(s)).toEqual([]);
    expect(s.outputs['verdict']).toBe('pass');
    expect(azure.planReads()).toBe(1);
    const plan = azure.calls.filter((c) => c.resourceId === PLAN);
    expect(plan).toHaveLength(3);
    expect(plan[0]!.query).toEqual(
      expect.objectContaining({ metricnames: 'CpuPercentage', metricnamespace: 'Microsoft.Web/serverFarms' }),
    );
    expect(replay(s.outputs['measurements']!)).toBe(6);
  });

  test('a bad input fails with one line before anything connects to Azure', async () => {
    const azure = monitor(app());
    const s = await step(azure.deps, { count: '-1' });
    expect(s.exitCode).toBe(1);
    expect(errorLines(s)).toEqual([
      '::error::gate-on-metrics: Input "count" must be a whole number from 1 to 100, got "-1".',
    ]);
    expect(azure.connects()).toBe(0);
    expect(azure.calls).toEqual([]);
    expect(s.outputs['verdict']).toBeUndefined();
  });

  test("a refused query (fatal) fails the step at once with Azure's reason", async () => {
    const refused = new ArmError(
      403,
      'AuthorizationFailed',
      'Azure Monitor refused the metrics query (403 AuthorizationFailed)',
    );
    const azure = monitor(app(), { fail: () => refused });
    const s = await step(azure.deps);
    expect(s.exitCode).toBe(1);
    expect(errorLines(s)).toHaveLength(1);
    expect(errorLines(s)[0]).toContain('AuthorizationFailed');
    // The first measurement's two reads (slot and production, in parallel), and no second measurement.
    expect(azure.calls).toHaveLength(2);
    // The workflow still gets a verdict to branch on.
    expect(s.outputs['verdict']).toBe('error');
    expect(s.outputs['report']).toMatch(/^error: .*AuthorizationFailed/);
  });

  test('transient query failures are error measurements: after consecutive-error-limit the verdict is error', async () => {
    const azure = monitor(app(), { fail: () => new Error('socket hang up') });
    const s = await step(azure.deps, { 'consecutive-error-limit': '1' });
    expect(s.exitCode).toBe(1);
    expect(s.outputs['verdict']).toBe('error');
    expect(errorLines(s)).toHaveLength(1);
    expect(errorLines(s)[0]).toContain(
      "could not read its metrics: error-rate: 2 errors in a row, more than consecutive-error-limit 1: reading the canary's metrics failed: socket hang up",
    );
    // Two measurements, each a canary and a baseline read.
    expect(azure.calls).toHaveLength(4);
  });

  describe('too little traffic is inconclusive; on-inconclusive decides the exit code', () => {
    const quiet = () => monitor(app({ requests: 1 })).deps;
    test('fail (default): exit 1', async () => {
      const s = await step(quiet());
      expect(s.exitCode).toBe(1);
      expect(s.outputs['verdict']).toBe('inconclusive');
      expect(errorLines(s)[0]).toMatch(
        /^::error::gate-on-metrics: the gate on slot staging of shop was inconclusive: error-rate: .*fewer than min-requests 20/,
      );
    });
    test('pass: exit 0 with a warning, verdict inconclusive', async () => {
      const s = await step(quiet(), { 'on-inconclusive': 'pass' });
      expect(s.exitCode).toBe(0);
      expect(errorLines(s)).toEqual([]);
      expect(s.outputs['verdict']).toBe('inconclusive');
      expect(s.log).toMatch(
        /^::warning::the gate on slot staging of shop was inconclusive: .*\(on-inconclusive: pass, so the step succeeds; the verdict output is inconclusive\)$/m,
      );
    });
    test('neutral: exit 0, no annotation', async () => {
      const s = await step(quiet(), { 'on-inconclusive': 'neutral' });
      expect(s.exitCode).toBe(0);
      expect(s.outputs['verdict']).toBe('inconclusive');
      expect(s.log).not.toMatch(/^::(error|warning)::/m);
      expect(s.log).toContain('(on-inconclusive: neutral, so the step succeeds');
    });
  });
});
