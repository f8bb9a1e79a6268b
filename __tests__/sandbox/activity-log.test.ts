import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  admin,
  call,
  FAST,
  type Reply,
  runClient,
  type SandboxProcess,
  startSandbox,
  tokenFor,
} from './helpers.js';

// Azure Monitor's Activity Log (ActivityLogs_List) through the sandbox's ARM front door. The autoscale
// engine writes these events when containers run; here they come in through the admin API's
// `POST /activity-log`, which builds them with the engine's own builder (sandbox/activity-log.ts).

const OUTSIDER = {
  clientId: '6b0c5c0e-7a7e-4d8a-9b59-000000000042',
  clientSecret: 'out8Q~outsider-secret-for-tests-only-0000',
};

let sb: SandboxProcess;
let token: string;
let setting: string;
let plan: string;
const T0 = Date.parse('2026-12-07T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

interface Event {
  eventName: { value: string; localizedValue: string };
  operationName: { value: string; localizedValue: string };
  category: { value: string };
  status: { value: string };
  eventTimestamp: string;
  resourceId: string;
  resourceGroupName: string;
  correlationId: string;
  id: string;
  level: string;
  caller: string;
  properties: Record<string, string>;
}

const values = (path: string, filter?: string, extra = '', bearer = token): Promise<Reply> =>
  call(
    sb,
    'GET',
    `${sb.conn.armEndpoint}${path}?api-version=2015-04-01${filter === undefined ? '' : `&$filter=${encodeURIComponent(filter)}`}${extra}`,
    { token: bearer },
  );
const logPath = () =>
  `/subscriptions/${sb.conn.subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values`;
const window = (from: number, to: number) =>
  `eventTimestamp ge '${at(from)}' and eventTimestamp le '${at(to)}'`;
const events = (reply: Reply) => (reply.body as { value: Event[] }).value;
const ops = (reply: Reply) => events(reply).map((e) => e.operationName.localizedValue);

beforeAll(async () => {
  sb = await startSandbox({
    config: {
      ...FAST,
      principals: [
        { name: 'slotline-deployer', role: 'Contributor' },
        {
          name: 'outsider',
          role: 'Reader',
          scope: '/subscriptions/{subscription}/resourceGroups/elsewhere',
          ...OUTSIDER,
        },
      ],
    },
  });
  token = await tokenFor(sb);
  const group = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}`;
  setting = `${group}/providers/microsoft.insights/autoscalesettings/${sb.conn.autoscaleSettingName}`;
  plan = `${group}/providers/Microsoft.Web/serverfarms/${sb.conn.planName}`;
  const action = (minutes: number, up: boolean, from: number, to: number, correlationId: string) => [
    {
      event: `Autoscale scale ${up ? 'up' : 'down'} initiated`,
      settingId: setting,
      targetResourceUri: plan,
      oldInstancesCount: from,
      newInstancesCount: to,
      correlationId,
      timestamp: at(minutes),
    },
    {
      event: `Autoscale scale ${up ? 'up' : 'down'} completed`,
      settingId: setting,
      targetResourceUri: plan,
      oldInstancesCount: from,
      newInstancesCount: to,
      correlationId,
      timestamp: at(minutes + 1),
    },
  ];
  const added = await admin(sb, 'POST', '/activity-log', [
    ...action(0, true, 2, 3, '11111111-1111-4111-8111-111111111111'),
    ...action(10, false, 3, 2, '22222222-2222-4222-8222-222222222222'),
    {
      event: 'Flapping',
      settingId: setting,
      targetResourceUri: plan,
      oldInstancesCount: 2,
      newInstancesCount: 2,
      timestamp: at(20),
    },
    { event: 'Metric Failure', settingId: setting, targetResourceUri: plan, timestamp: at(30) },
  ]);
  expect(added.status).toBe(201);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

describe('ActivityLogs_List: GET /subscriptions/{id}/providers/Microsoft.Insights/eventtypes/management/values', () => {
  test("autoscale events in Azure's EventData shape, newest first, with old and new instance counts", async () => {
    const reply = await values(logPath(), `${window(0, 60)} and resourceUri eq '${setting}'`);
    expect(reply.status).toBe(200);
    expect(ops(reply)).toEqual([
      'Metric Failure',
      'Flapping',
      'Autoscale scale down completed',
      'Autoscale scale down initiated',
      'Autoscale scale up completed',
      'Autoscale scale up initiated',
    ]);
    const [upInitiated, upCompleted] = events(reply).slice(-2).reverse() as [Event, Event];
    expect(upCompleted).toEqual(
      expect.objectContaining({
        eventName: { value: 'GetOperationStatusResult', localizedValue: 'GetOperationStatusResult' },
        operationName: {
          value: 'Microsoft.Insights/AutoscaleSettings/ScaleupResult/Action',
          localizedValue: 'Autoscale scale up completed',
        },
        category: { value: 'Autoscale', localizedValue: 'Autoscale' },
        status: { value: 'Succeeded', localizedValue: 'Succeeded' },
        eventTimestamp: at(1),
        resourceId: setting,
        resourceGroupName: sb.conn.resourceGroup,
        caller: 'Microsoft.Insights/autoscaleSettings',
        level: 'Informational',
        correlationId: '11111111-1111-4111-8111-111111111111',
        subscriptionId: sb.conn.subscriptionId,
      }),
    );
    expect(upCompleted.properties).toEqual(
      expect.objectContaining({ OldInstancesCount: '2', NewInstancesCount: '3', ResourceName: plan }),
    );
    expect(upCompleted.id).toMatch(new RegExp(`^${setting}/events/[0-9a-f-]{36}/ticks/\\d+$`));
    expect(upInitiated.eventName.value).toBe('AutoscaleAction');
    expect(upInitiated.operationName.value).toBe('Microsoft.Insights/AutoscaleSettings/Scaleup/Action');
    expect(upInitiated.correlationId).toBe(upCompleted.correlationId);
    const failure = events(reply)[0]!;
    expect([failure.eventName.value, failure.status.value, failure.level]).toEqual([
      'MetricFailure',
      'Failed',
      'Error',
    ]);
  });

  test('the time range is inclusive and cuts the rest', async () => {
    expect(ops(await values(logPath(), `${window(1, 10)} and resourceUri eq '${setting}'`))).toEqual([
      'Autoscale scale down initiated',
      'Autoscale scale up completed',
    ]);
    expect(events(await values(logPath(), window(100, 200)))).toEqual([]);
  });

  test('resourceGroupName, resourceId and the scaled resource (the plan) select the same events; another resource none', async () => {
    const all = ops(await values(logPath(), `${window(0, 60)} and resourceUri eq '${setting}'`));
    expect(
      ops(
        await values(
          logPath(),
          `${window(0, 60)} and resourceGroupName eq '${sb.conn.resourceGroup.toUpperCase()}'`,
        ),
      ),
    ).toEqual(all);
    expect(
      ops(await values(logPath(), `${window(0, 60)} and resourceId eq '${setting.toLowerCase()}'`)),
    ).toEqual(all);
    expect(ops(await values(logPath(), `${window(0, 60)} and resourceUri eq '${plan}'`))).toEqual(all);
    expect(ops(await values(logPath(), `${window(0, 60)} and resourceUri eq '${plan}-other'`))).toEqual([]);
    expect(ops(await values(logPath(), `${window(0, 60)} and resourceGroupName eq 'elsewhere'`))).toEqual([]);
    expect(
      ops(
        await values(
          logPath(),
          `${window(0, 60)} and correlationId eq '22222222-2222-4222-8222-222222222222'`,
        ),
      ),
    ).toEqual(['Autoscale scale down completed', 'Autoscale scale down initiated']);
  });

  test('$select keeps only the named properties', async () => {
    const reply = await values(logPath(), window(0, 5), '&$select=eventTimestamp,operationName');
    expect(events(reply)[0]).toEqual({
      eventTimestamp: at(1),
      operationName: {
        value: 'Microsoft.Insights/AutoscaleSettings/ScaleupResult/Action',
        localizedValue: 'Autoscale scale up completed',
      },
    });
  });

  test('a filter outside the documented patterns is a 400; so is another api-version', async () => {
    const bad = await values(logPath(), `${window(0, 60)} and operationName eq 'x'`);
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe('BadRequest');
    expect((await values(logPath(), "eventTimestamp ge 'yesterday'")).status).toBe(400);
    const version = await call(sb, 'GET', `${sb.conn.armEndpoint}${logPath()}?api-version=2024-02-01`, {
      token,
    });
    expect(version.status).toBe(400);
  });

  test('a caller sees only events on resources where it holds a role', async () => {
    const outsider = await tokenFor(sb, OUTSIDER.clientId, OUTSIDER.clientSecret);
    const reply = await values(logPath(), window(0, 60), '', outsider);
    expect(reply.status).toBe(200);
    expect(events(reply)).toEqual([]);
  });

  test('the admin API refuses an event it does not know', async () => {
    const reply = await admin(sb, 'POST', '/activity-log', {
      event: 'Autoscale scale sideways',
      settingId: setting,
      targetResourceUri: plan,
    });
    expect(reply.status).toBe(400);
  });

  test('pages of 200 follow nextLink; @azure/arm-monitor reads every page', async () => {
    const later = Date.parse(at(120));
    const many = Array.from({ length: 250 }, (_, i) => ({
      event: 'Autoscale scale up completed',
      settingId: setting,
      targetResourceUri: plan,
      oldInstancesCount: 2,
      newInstancesCount: 3,
      timestamp: new Date(later + i * 1000).toISOString(),
    }));
    expect((await admin(sb, 'POST', '/activity-log', many)).status).toBe(201);
    const filter = `eventTimestamp ge '${at(120)}' and eventTimestamp le '${at(130)}' and resourceUri eq '${setting}'`;
    const first = await values(logPath(), filter);
    const page1 = first.body as { value: Event[]; nextLink?: string };
    expect(page1.value).toHaveLength(200);
    expect(page1.nextLink).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.+\$skiptoken=200/);
    const second = await call(sb, 'GET', page1.nextLink!, { token });
    const page2 = second.body as { value: Event[]; nextLink?: string };
    expect(page2.value).toHaveLength(50);
    expect(page2.nextLink).toBeUndefined();
    expect(page2.value.at(-1)!.eventTimestamp).toBe(at(120));

    const run = await runClient(sb, 'activity-log-client.ts', { ACTIVITY_LOG_FILTER: filter });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.result).toEqual({
      count: 250,
      operations: ['Autoscale scale up completed'],
      counts: ['2->3'],
    });
  });
});
