import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Agent, request } from 'undici';
import { defaultConfig } from '../../sandbox/config.js';
import type { MetricSample, MetricsSource } from '../../sandbox/metrics/source.js';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.js';
import type { ResourceAction, StoreChange } from '../../sandbox/store.js';
import { removeDir, tempDir } from './helpers.js';

// The seams part 2 (slots running containers, autoscale) plugs into, used in-process: an injected clock
// drives long-running operations, an injected metrics source feeds Metrics_List, a host-name hook names
// the slots, and the store reports every change and action.

class ManualClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

const clock = new ManualClock(Date.parse('2026-11-26T12:00:00Z'));
const samples: { resourceId: string; metric: string; sample: MetricSample }[] = [];
const metrics: MetricsSource = {
  samples: (resourceId, metricName, start, end) =>
    samples
      .filter((s) => s.resourceId.toLowerCase() === resourceId.toLowerCase() && s.metric === metricName)
      .map((s) => s.sample)
      .filter((s) => s.timestamp >= start && s.timestamp < end),
};
const changes: StoreChange[] = [];
const actions: ResourceAction[] = [];
let sb: Sandbox;
let agent: Agent;
let token: string;
const dir = tempDir('embedded');

async function send(
  method: string,
  url: string,
  body?: unknown,
  form?: string,
): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  else if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(url, {
    method: method as 'GET',
    headers,
    body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
    dispatcher: agent,
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

beforeAll(async () => {
  sb = await startSandbox({
    stateDir: dir,
    config: { ...defaultConfig(), operationDurationMs: 60_000 },
    clock,
    metrics,
    hooks: { hostNameFor: (site, slot) => `${slot ?? 'production'}.${site}.sandbox.test` },
  });
  sb.store.on('change', (c) => changes.push(c));
  sb.store.on('action', (a) => actions.push(a));
  agent = new Agent({ connect: { ca: readFileSync(sb.connection.caCertPath, 'utf8') } });
  const { connection: c } = sb;
  const reply = await send(
    'POST',
    `${c.authorityHost}/${c.tenantId}/oauth2/v2.0/token`,
    undefined,
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
      scope: 'https://management.azure.com/.default',
    }).toString(),
  );
  token = (reply.body as { access_token: string }).access_token;
}, 30_000);

afterAll(async () => {
  await agent?.close();
  await sb?.stop();
  removeDir(dir);
});

const siteUrl = (slot?: string) => {
  const c = sb.connection;
  return `${c.armEndpoint}/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Web/sites/${c.siteName}${slot ? `/slots/${slot}` : ''}`;
};

test('the host-name hook names every site and slot', async () => {
  const site = await send('GET', `${siteUrl()}?api-version=2025-05-01`);
  expect((site.body as { properties: { defaultHostName: string } }).properties.defaultHostName).toBe(
    'production.slotline-demo-web.sandbox.test',
  );
  const slot = await send('GET', `${siteUrl('staging')}?api-version=2025-05-01`);
  expect((slot.body as { properties: { defaultHostName: string } }).properties.defaultHostName).toBe(
    'staging.slotline-demo-web.sandbox.test',
  );
});

test('the injected clock decides when a swap completes, and the store reports it', async () => {
  changes.length = 0;
  actions.length = 0;
  const swap = await send('POST', `${siteUrl()}/slotsswap?api-version=2025-05-01`, { targetSlot: 'staging' });
  expect(swap.status).toBe(202);
  const location = String(swap.headers['location']);
  expect((await send('GET', location)).status).toBe(202);
  expect(actions).toEqual([]);
  clock.ms += 60_000;
  expect((await send('GET', location)).status).toBe(200);
  expect(actions).toEqual([
    {
      action: 'swap',
      id: sb.store.get(siteUrl().replace(sb.connection.armEndpoint, ''))!.id,
      detail: { source: 'production', target: 'staging' },
    },
  ]);
  expect(changes.filter((c) => c.kind === 'put').map((c) => c.type)).toEqual([
    'Microsoft.Web/sites',
    'Microsoft.Web/sites/slots',
  ]);
});

test('Metrics_List aggregates what the injected source returns, per bucket, with only the requested aggregations', async () => {
  const resourceId = siteUrl().replace(sb.connection.armEndpoint, '');
  const t0 = Date.parse('2026-11-26T11:00:00Z');
  for (const [minute, value] of [
    [0, 10],
    [0, 20],
    [1, 5],
    [3, 7],
  ] as const) {
    samples.push({
      resourceId,
      metric: 'Requests',
      sample: { timestamp: t0 + minute * 60_000 + 1000, value },
    });
  }
  const reply = await send(
    'GET',
    `${siteUrl()}/providers/Microsoft.Insights/metrics?api-version=2024-02-01&metricnames=Requests&timespan=2026-11-26T11:00:00Z/2026-11-26T11:04:00Z&interval=PT1M&aggregation=total,count`,
  );
  expect(reply.status).toBe(200);
  const body = reply.body as {
    timespan: string;
    interval: string;
    value: { timeseries: { data: unknown[] }[] }[];
  };
  expect(body.timespan).toBe('2026-11-26T11:00:00Z/2026-11-26T11:04:00Z');
  expect(body.interval).toBe('PT1M');
  expect(body.value[0]!.timeseries[0]!.data).toEqual([
    { timeStamp: '2026-11-26T11:00:00Z', total: 30, count: 2 },
    { timeStamp: '2026-11-26T11:01:00Z', total: 5, count: 1 },
    // An empty bucket carries only its timestamp.
    { timeStamp: '2026-11-26T11:02:00Z' },
    { timeStamp: '2026-11-26T11:03:00Z', total: 7, count: 1 },
  ]);
  const relative = await send(
    'GET',
    `${siteUrl()}/providers/Microsoft.Insights/metrics?api-version=2024-02-01&metricnames=Requests&timespan=PT1H&interval=FULL&aggregation=maximum`,
  );
  const full = relative.body as { interval: string; value: { timeseries: { data: unknown[] }[] }[] };
  expect(full.interval).toBe('FULL');
  // PT1H back from the injected clock (12:01 after the swap test moved it): the 11:00 samples fall outside.
  expect(full.value[0]!.timeseries[0]!.data).toEqual([{ timeStamp: '2026-11-26T11:01:00Z', maximum: 7 }]);
  const unknown = await send(
    'GET',
    `${siteUrl()}/providers/Microsoft.Insights/metrics?api-version=2024-02-01&metricnames=Nope`,
  );
  expect(unknown.status).toBe(400);
  expect((unknown.body as { error: { message: string } }).error.message).toContain(
    'Valid metrics: CpuTime,Requests',
  );
});
