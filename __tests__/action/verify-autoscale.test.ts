import { EventEmitter } from 'node:events';
import type { AutoscaleSettingResource } from '@azure/arm-monitor';
import { expect, test } from '@jest/globals';
import { toSetting } from '../../src/verify-autoscale/default-deps.js';
import type { AutoscaleSetting } from '../../src/verify-autoscale/findings.js';
import { type AppIds, run, type VerifyAutoscaleDeps } from '../../src/verify-autoscale/main.js';
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
