import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AutoscaleSettingResource } from '@azure/arm-monitor';
import { expect, test } from '@jest/globals';
import { toSetting } from '../../src/verify-autoscale/default-deps.js';
import type { AutoscaleSetting } from '../../src/verify-autoscale/findings.js';
import { type AppIds, run, type VerifyAutoscaleDeps } from '../../src/verify-autoscale/main.js';
import { virtualClock } from '../helpers/clock.js';
import { runInProcess, type StepResult } from '../helpers/runner.js';

// verify-autoscale's run() in this process with Azure scripted: where it looks for the setting, what it
// does when the app has no plan, and that a bad input never reaches Azure.

const SUB = '/subscriptions/00000000-0000-4000-8000-000000000000';
const PLAN = `${SUB}/resourceGroups/plans-rg/providers/Microsoft.Web/serverfarms/shared-plan`;
const SITE = `${SUB}/resourceGroups/web-rg/providers/Microsoft.Web/sites/web`;

const INPUTS = {
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  'resource-group': 'web-rg',
  'app-name': 'web',
};

function setting(name: string, target: string): AutoscaleSetting {
  return {
    id: `${SUB}/resourceGroups/plans-rg/providers/microsoft.insights/autoscalesettings/${name}`,
    name,
    enabled: true,
    targetResourceUri: target,
    profiles: [{ name: 'Default', capacity: { minimum: '1', maximum: '1', default: '1' }, rules: [] }],
  };
}

function scripted(app: AppIds, byGroup: Record<string, AutoscaleSetting[]>) {
  const calls: string[] = [];
  const deps: VerifyAutoscaleDeps = {
    signals: new EventEmitter() as unknown as VerifyAutoscaleDeps['signals'],
    now: () => 0,
    sleep: async () => {},
    loadGenerator: async () => {
      throw new Error('policy mode drives no load');
    },
    connect: async () => {
      calls.push('connect');
      return {
        readApp: async () => {
          calls.push('readApp');
          return app;
        },
        listSettings: async (group) => {
          calls.push(`list ${group}`);
          return byGroup[group] ?? [];
        },
        metrics: async () => {
          throw new Error('policy mode reads no metrics');
        },
        events: async () => {
          throw new Error('policy mode reads no Activity Log');
        },
      };
    },
  };
  return { deps, calls };
}

const errorLines = (step: StepResult) => step.log.split('\n').filter((l) => l.startsWith('::error::'));

test("the setting is looked for in the plan's resource group and the app's, and only the plan's target counts", async () => {
  const { deps, calls } = scripted(
    { siteId: SITE, planId: PLAN },
    {
      'plans-rg': [
        setting('other', PLAN.replace('shared-plan', 'other-plan')),
        setting('mine', PLAN.toLowerCase()),
      ],
      'web-rg': [],
    },
  );
  const step = await runInProcess(() => run(undefined, deps), INPUTS);
  expect(calls).toEqual(['connect', 'readApp', 'list plans-rg', 'list web-rg']);
  const findings = JSON.parse(step.outputs['findings']!) as { id: string; setting: string }[];
  // Its one profile holds 1 instance: AS010 and AS011 against the default policy, AS022 for the schedule
  // (a fixed-count profile is not asked for rules).
  expect([...new Set(findings.map((f) => f.id))].sort()).toEqual(['AS010', 'AS011', 'AS022']);
  expect(new Set(findings.map((f) => f.setting))).toEqual(new Set(['mine']));
  expect(step.exitCode).toBe(1);
  expect(errorLines(step)).toEqual([
    '::error::verify-autoscale: the autoscale setting of plan shared-plan breaks the policy: 3 error finding(s): AS010 (Default), AS011 (Default), AS022. The job summary and the findings output say how to fix each.',
  ]);
});

test('an app without a plan fails with one line, before any setting is listed', async () => {
  const { deps, calls } = scripted({ siteId: SITE, planId: undefined }, {});
  const step = await runInProcess(() => run(undefined, deps), INPUTS);
  expect(calls).toEqual(['connect', 'readApp']);
  expect(step.exitCode).toBe(1);
  expect(errorLines(step)).toEqual([
    '::error::verify-autoscale: app web reports no App Service plan (serverFarmId), so its autoscale setting cannot be found',
  ]);
});

test('a bad input fails before Azure is reached', async () => {
  const { deps, calls } = scripted({ siteId: SITE, planId: PLAN }, {});
  const step = await runInProcess(() => run(undefined, deps), { ...INPUTS, policy: 'max-scale-step: 0' });
  expect(calls).toEqual([]);
  expect(errorLines(step)).toEqual([
    expect.stringMatching(
      /^::error::verify-autoscale: Input "policy" must be .*max-scale-step must be >= 1\.$/,
    ),
  ]);
});

test("toSetting: Azure Monitor's resource as plain JSON, fixed dates as ISO text, enabled unless false", () => {
  const resource = {
    id: `${SUB}/resourceGroups/plans-rg/providers/microsoft.insights/autoscalesettings/as`,
    name: 'as',
    location: 'westeurope',
    targetResourceUri: PLAN,
    profiles: [
      {
        name: 'Launch',
        capacity: { minimum: '5', maximum: '10', default: '5' },
        rules: [],
        fixedDate: {
          timeZone: 'UTC',
          start: new Date('2026-12-24T08:00:00Z'),
          end: new Date('2026-12-26T20:00:00Z'),
        },
      },
    ],
  } as AutoscaleSettingResource;
  expect(toSetting(resource)).toEqual({
    id: resource.id,
    name: 'as',
    enabled: true,
    targetResourceUri: PLAN,
    profiles: [
      {
        name: 'Launch',
        capacity: { minimum: '5', maximum: '10', default: '5' },
        rules: [],
        fixedDate: { timeZone: 'UTC', start: '2026-12-24T08:00:00.000Z', end: '2026-12-26T20:00:00.000Z' },
      },
    ],
  });
  expect(toSetting({ ...resource, enabled: false }).enabled).toBe(false);
});

test('observe mode: outputs, the report file and a summary with the chart and the scale actions', async () => {
  const clock = virtualClock(1_000_000);
  const start = clock.now();
  const scaled: AutoscaleSetting = {
    ...setting('mine', PLAN),
    profiles: [
      {
        name: 'Default',
        capacity: { minimum: '2', maximum: '10', default: '2' },
        rules: [
          {
            metricTrigger: {
              metricName: 'Requests',
              metricNamespace: 'microsoft.web/sites',
              metricResourceUri: SITE,
              timeGrain: 'PT1M',
              statistic: 'Average',
              timeWindow: 'PT5M',
              timeAggregation: 'Average',
              operator: 'GreaterThan',
              threshold: 20,
            },
            scaleAction: { direction: 'Increase', type: 'ChangeCount', value: '1', cooldown: 'PT5M' },
          },
        ],
      },
    ],
  };
  const { deps } = scripted(
    { siteId: SITE, planId: PLAN, defaultHostName: 'web.example.test' },
    { 'plans-rg': [scaled] },
  );
  const loads: string[] = [];
  const capacity = (t: number) => (t - start >= 2000 ? 3 : 2);
  const observeDeps: VerifyAutoscaleDeps = {
    ...deps,
    now: clock.now,
    sleep: clock.sleep,
    loadGenerator: async () => (o) => {
      loads.push(o.url);
      const report = {
        durationMs: o.durationMs,
        stoppedBy: 'duration',
        requests: 40,
        errors: 0,
        errorsByKind: {},
        requestsPerSecond: 10,
        latency: { p50Ms: 1, p95Ms: 2, p99Ms: 3 },
        intervals: [{ startMs: 0, requests: 10, errors: 0, latency: { p95Ms: 2 } }],
      };
      const done = clock.sleep(o.durationMs).then(() => report);
      return { done, stop: () => done };
    },
    connect: async (inputs, env) => ({
      ...(await deps.connect(inputs, env)),
      metrics: async (read) => {
        const points = [];
        for (let t = Math.floor(read.fromMs / 1000) * 1000; t <= Math.min(read.toMs, clock.now()); t += 1000)
          points.push({ t, maximum: capacity(t), average: capacity(t), total: 5 });
        return { grainMs: 1000, series: [{ metric: read.metrics[0]!, points }] };
      },
      events: async () => [
        {
          t: start + 2000,
          name: 'Autoscale scale up completed',
          direction: 'Increase',
          phase: 'completed',
          from: 2,
          to: 3,
          status: 'Succeeded',
          profile: 'Default',
        },
      ],
    }),
  };
  const step = await runInProcess(() => run(undefined, observeDeps), {
    ...INPUTS,
    mode: 'observe',
    duration: '4s',
    'sample-interval': '1s',
    users: '5',
  });
  expect(errorLines(step)).toEqual([]);
  expect(loads).toEqual(['https://web.example.test/']);
  expect(step.outputs).toEqual({
    passed: 'true',
    findings: '[]',
    'max-capacity': '3',
    'scale-out-seconds': '2',
    'scale-in-seconds': '',
    report: expect.stringMatching(/autoscale-report\.json$/),
  });
  const report = JSON.parse(readFileSync(step.outputs['report']!, 'utf8'));
  expect(report).toMatchObject({
    mode: 'observe',
    passed: true,
    scalingTest: { expectCapacity: 3, maxCapacity: 3 },
  });
  expect(report.policy).toBeUndefined();
  expect(report.scalingTest.timeline).toHaveLength(4);
  expect(report.scalingTest.scaleActions[0]).toMatchObject({
    name: 'Autoscale scale up completed',
    from: 2,
    to: 3,
  });
  expect(step.summary).toContain('xychart-beta');
  expect(step.summary).toContain('### Scale actions');
  expect(step.summary).toContain('| Autoscale scale up completed | 2 | 3 | Succeeded | Default |');
  expect(step.summary).toMatch(/\*\*Pass\.\*\* web \(plan shared-plan\) scaled as expected/);
});

test('both: the policy findings, then the observe findings; the step fails on either', async () => {
  const clock = virtualClock(1_000_000);
  const { deps, calls } = scripted(
    { siteId: SITE, planId: PLAN, defaultHostName: 'web.example.test' },
    {
      'plans-rg': [setting('mine', PLAN)],
    },
  );
  const both: VerifyAutoscaleDeps = {
    ...deps,
    now: clock.now,
    sleep: clock.sleep,
    connect: async (inputs, env) => ({
      ...(await deps.connect(inputs, env)),
      metrics: async (read) => ({
        grainMs: 1000,
        series: [
          { metric: read.metrics[0]!, points: [{ t: read.fromMs, maximum: 1, average: 1, total: 0 }] },
        ],
      }),
      events: async () => [],
    }),
  };
  const step = await runInProcess(() => run(undefined, both), {
    ...INPUTS,
    mode: 'both',
    load: 'external',
    duration: '2s',
    'scale-out-within': '3s',
    'sample-interval': '1s',
  });
  expect(calls).toEqual(['connect', 'readApp', 'list plans-rg', 'list web-rg']);
  const ids = (JSON.parse(step.outputs['findings']!) as { id: string }[]).map((f) => f.id);
  // The one profile holds 1 instance and has no rule: the policy's AS010, AS011 and AS022; under load it
  // cannot reach 2, because of its maximum (AS053) and its missing scale-out rule (AS054).
  expect(ids).toEqual(['AS010', 'AS011', 'AS022', 'AS050', 'AS053', 'AS054']);
  expect(step.outputs['max-capacity']).toBe('1');
  expect(errorLines(step)).toEqual([
    '::error::verify-autoscale: the autoscale setting of plan shared-plan breaks the policy or did not scale as expected: 6 error finding(s): AS010 (Default), AS011 (Default), AS022, AS050 (Default), AS053 (Default), AS054 (Default). The job summary and the findings output say why and how to fix each.',
  ]);
  // It watched until scale-out-within, not longer.
  expect(clock.now() - 1_000_000).toBe(3000);
});
