import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { type GateSandbox, startGateSandbox } from '../helpers/gate-sandbox.js';
import { runBundle, type StepResult } from '../helpers/runner.js';
import { waitFor } from '../helpers/wait.js';

// verify-autoscale's committed bundle in observe mode against the sandbox with its data plane: real
// podman containers of the busybox test image behind the TLS front door, the autoscale engine at
// --time-scale 60 (a minute is a second: a PT5M window is 5 s, a PT1M cooldown 1 s). The bundle's own
// load generator drives the load; the bundle reads ObservedCapacity, ScaleActionsInitiated, CpuPercentage,
// Requests and the Activity Log through Azure Monitor's client, as against Azure.

let gate: GateSandbox;

const requestsRule = (direction: 'Increase' | 'Decrease', operator: string, threshold: number) => ({
  metricTrigger: {
    metricName: 'Requests',
    metricNamespace: 'microsoft.web/sites',
    metricResourceUri: '{site}',
    timeGrain: 'PT1M',
    statistic: 'Average',
    timeWindow: 'PT5M',
    timeAggregation: 'Average',
    operator,
    threshold,
  },
  scaleAction: { direction, type: 'ChangeCount', value: '1', cooldown: 'PT1M' },
});

/** 2..3 instances: out when an instance serves more than 10 requests a minute (a second here), in under 5. */
const PROFILES = [
  {
    name: 'Default',
    capacity: { minimum: '2', maximum: '3', default: '2' },
    rules: [requestsRule('Increase', 'GreaterThan', 10), requestsRule('Decrease', 'LessThan', 5)],
  },
];

beforeAll(async () => {
  gate = await startGateSandbox({ autoscaleProfiles: PROFILES });
}, 120_000);

afterAll(async () => {
  await gate?.stop();
});

function observe(extra: Record<string, string>): Promise<StepResult> {
  return runBundle(
    'verify-autoscale',
    gate.inputs({
      mode: 'observe',
      users: '8',
      'think-time': '0s',
      'sample-interval': '1s',
      ...extra,
    }),
    gate.env(),
    90_000,
  );
}

const errorLines = (step: StepResult) => step.log.split('\n').filter((l) => l.startsWith('::error::'));

interface Entry {
  atSeconds: number;
  load: boolean;
  capacity: number | null;
  requests: number | null;
  clientRequests: number | null;
  clientErrors: number | null;
  clientP95Ms: number | null;
}

test('the built-in load scales the plan from 2 to 3, the timeline shows it, and capacity returns to 2 after the load', async () => {
  const step = await observe({ duration: '8s', 'scale-out-within': '20s', 'scale-in-within': '25s' });
  expect({ exit: step.exitCode, errors: errorLines(step) }).toEqual({ exit: 0, errors: [] });
  expect(step.outputs).toEqual({
    passed: 'true',
    findings: '[]',
    'max-capacity': '3',
    'scale-out-seconds': expect.stringMatching(/^\d+(\.\d)?$/),
    'scale-in-seconds': expect.stringMatching(/^\d+(\.\d)?$/),
    report: expect.stringMatching(/autoscale-report\.json$/),
  });
  const report = JSON.parse(readFileSync(step.outputs['report']!, 'utf8'));
  const test = report.scalingTest;
  expect(test).toMatchObject({
    load: 'builtin',
    targetUrl: `https://${gate.hosts.production}/`,
    profile: 'Default',
    expectCapacity: 3,
    minimum: 2,
    startCapacity: 2,
    maxCapacity: 3,
    endCapacity: 2,
  });
  const timeline = test.timeline as Entry[];
  // While loading: client requests without errors, and the server counted requests too.
  const loaded = timeline.filter((e) => e.load);
  expect(loaded.length).toBeGreaterThanOrEqual(7);
  expect(loaded.some((e) => (e.clientRequests ?? 0) > 0 && e.clientP95Ms !== null)).toBe(true);
  expect(loaded.some((e) => (e.requests ?? 0) > 0)).toBe(true);
  expect(test.client.errors).toBe(0);
  // Capacity 2 at the start, 3 during the test, 2 at its end.
  expect(timeline[0]!.capacity).toBe(2);
  expect(timeline.some((e) => e.capacity === 3)).toBe(true);
  expect(timeline.filter((e) => e.capacity !== null).at(-1)!.capacity).toBe(2);
  // The Activity Log's scale actions: up 2 → 3 (initiated and completed), then down 3 → 2 (the run ends
  // when ObservedCapacity reads 2, which can be before the old containers have drained and the scale-down
  // is logged as completed).
  const actions = (test.scaleActions as { name: string; from?: number; to?: number }[]).map(
    (a) => `${a.name} ${a.from}→${a.to}`,
  );
  expect(actions).toEqual(
    expect.arrayContaining([
      'Autoscale scale up initiated 2→3',
      'Autoscale scale up completed 2→3',
      'Autoscale scale down initiated 3→2',
    ]),
  );
  expect(step.summary).toContain('xychart-beta');
  expect(step.summary).toContain('| Autoscale scale up completed | 2 | 3 | Succeeded | Default |');
}, 90_000);

test('a threshold the test load cannot reach fails with "metric never crossed", naming the rule and the highest value', async () => {
  const path = `${gate.ids.plan.replace(/serverfarms\/plan$/, '')}`.replace(
    /providers\/Microsoft\.Web\/$/,
    'providers/Microsoft.Insights/autoscalesettings/web-autoscale',
  );
  const current = (await gate.arm('GET', path)).body as {
    location: string;
    properties: { profiles: { rules: { metricTrigger: { threshold: number } }[] }[] };
  };
  current.properties.profiles[0]!.rules[0]!.metricTrigger.threshold = 1_000_000_000;
  const put = await gate.arm('PUT', path, { location: current.location, properties: current.properties });
  expect(put.status).toBeLessThan(300);
  // The first test ends when capacity reads 2 again, possibly before its scale-in has settled: start from a
  // plan at 2 whose capacity samples of the last seconds are all 2, so any 3 seen here is this test's.
  await waitFor(
    async () =>
      ((await gate.arm('GET', gate.ids.plan)).body as { sku: { capacity: number } }).sku.capacity === 2,
    { timeoutMs: 30_000, intervalMs: 250, what: 'the plan back at 2 instances' },
  );
  await new Promise((r) => setTimeout(r, 3000));
  const step = await observe({ duration: '4s', 'scale-out-within': '5s' });
  expect(step.exitCode).toBe(1);
  expect(step.outputs['passed']).toBe('false');
  expect(step.outputs['max-capacity']).toBe('2');
  expect(step.outputs['scale-out-seconds']).toBe('');
  const findings = JSON.parse(step.outputs['findings']!) as { id: string; message: string; rule?: unknown }[];
  expect(findings.map((f) => f.id)).toEqual(['AS050', 'AS051']);
  expect(findings[1]).toMatchObject({ rule: { index: 0, metric: 'Requests' } });
  expect(findings[1]!.message).toMatch(
    /^rules\[0\] Requests Average > 1000000000 never crossed its threshold 1000000000: the highest value seen was \d+(\.\d+)? \(Average of the instances per 1s grain\)$/,
  );
  // The highest value is what the load made: well above 0.
  expect(Number(/highest value seen was ([\d.]+)/.exec(findings[1]!.message)![1])).toBeGreaterThan(10);
  expect(errorLines(step)).toEqual([
    '::error::verify-autoscale: the autoscale setting of plan plan did not scale as expected: 2 error finding(s): AS050 (Default), AS051 (Default · rules[0] Requests). The job summary and the findings output say why and how to fix each.',
  ]);
}, 60_000);
