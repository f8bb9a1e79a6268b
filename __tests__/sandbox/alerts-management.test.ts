import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Agent, request } from 'undici';
import type { AlertInstance } from '../../sandbox/alerts/book.js';
import { defaultConfig } from '../../sandbox/config.js';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.js';
import { removeDir, tempDir } from './helpers.js';

// The Alerts Management API in-process, over alerts put straight into the sandbox's AlertBook (the engine's
// own path is metric-alerts.test.ts and metric-alert-fires.test.ts): filters, timeRange, the caller's
// visibility by role, GET by id, changestate.

const NOW = Date.parse('2026-12-07T12:00:00Z');
const SUBSCRIPTION = '5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const STAGING_READER = {
  clientId: 'b2c3d4e5-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
  clientSecret: 'stg8Q~alerts-management-reader-secret-for-tests-only',
};
let sb: Sandbox;
let agent: Agent;
const dir = tempDir('alerts-management');
const tokens: Record<string, string> = {};

async function send(method: string, path: string, as = 'owner') {
  const res = await request(`${sb.connection.armEndpoint}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${tokens[as]}` },
    dispatcher: agent,
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

async function token(clientId: string, clientSecret: string): Promise<string> {
  const c = sb.connection;
  const res = await request(`${c.authorityHost}/${c.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'https://management.azure.com/.default',
    }).toString(),
    dispatcher: agent,
  });
  return ((await res.body.json()) as { access_token: string }).access_token;
}

let site: string;
let slot: string;
const alert = (over: Partial<AlertInstance>): AlertInstance => ({
  id: '00000000-0000-4000-8000-000000000001',
  subscriptionId: sb.connection.subscriptionId,
  ruleId: `/subscriptions/${sb.connection.subscriptionId}/resourceGroups/slotline-demo/providers/Microsoft.Insights/metricAlerts/http5xx`,
  ruleName: 'http5xx',
  severity: 1,
  description: '',
  targetResource: site,
  targetResourceType: 'Microsoft.Web/sites',
  monitorCondition: 'Fired',
  alertState: 'New',
  startMs: NOW - 60_000,
  lastModifiedMs: NOW - 60_000,
  evaluation: {
    windowStartMs: NOW - 360_000,
    windowEndMs: NOW - 60_000,
    windowSize: 'PT5M',
    conditions: [],
    met: true,
  },
  ...over,
});

beforeAll(async () => {
  const config = defaultConfig();
  sb = await startSandbox({
    stateDir: dir,
    config: {
      ...config,
      subscriptionId: SUBSCRIPTION,
      principals: [
        ...(config.principals ?? []),
        {
          name: 'staging-reader',
          role: 'Reader',
          scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/slotline-demo/providers/Microsoft.Web/sites/slotline-demo-web/slots/staging`,
          ...STAGING_READER,
        },
      ],
    },
    clock: { now: () => NOW },
  });
  agent = new Agent({ connect: { ca: readFileSync(sb.connection.caCertPath, 'utf8') } });
  const c = sb.connection;
  site = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Web/sites/${c.siteName}`;
  slot = `${site}/slots/staging`;
  tokens['owner'] = await token(c.clientId, c.clientSecret);
  tokens['staging'] = await token(STAGING_READER.clientId, STAGING_READER.clientSecret);
  sb.alerts.add(alert({}));
  sb.alerts.add(
    alert({
      id: '00000000-0000-4000-8000-000000000002',
      severity: 3,
      targetResource: slot,
      targetResourceType: 'Microsoft.Web/sites/slots',
      monitorCondition: 'Resolved',
      resolvedMs: NOW - 10_000,
      lastModifiedMs: NOW - 10_000,
    }),
  );
  sb.alerts.add(alert({ id: '00000000-0000-4000-8000-000000000003', lastModifiedMs: NOW - 2 * 86_400_000 }));
}, 30_000);

afterAll(async () => {
  await agent?.close();
  await sb?.stop();
  removeDir(dir);
});

const alerts = (query = '') =>
  `/subscriptions/${sb.connection.subscriptionId}/providers/Microsoft.AlertsManagement/alerts?api-version=2019-05-05-preview${query}`;
const ids = (body: Record<string, unknown>) => (body['value'] as { id: string }[]).map((a) => a.id.slice(-1));

describe('Alerts Management API', () => {
  test('lists the last day newest first, with Azure essentials; filters compare case-insensitively', async () => {
    const all = await send('GET', alerts());
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(['2', '1']);
    expect((all.body['value'] as Record<string, Record<string, unknown>>[])[0]).toMatchObject({
      type: 'Microsoft.AlertsManagement/alerts',
      name: 'http5xx',
      properties: {
        essentials: {
          severity: 'Sev3',
          signalType: 'Metric',
          alertState: 'New',
          monitorCondition: 'Resolved',
          monitorService: 'Platform',
          targetResource: slot,
          targetResourceName: 'staging',
          targetResourceGroup: 'slotline-demo',
          startDateTime: new Date(NOW - 60_000).toISOString(),
          monitorConditionResolvedDateTime: new Date(NOW - 10_000).toISOString(),
          lastModifiedDateTime: new Date(NOW - 10_000).toISOString(),
        },
      },
    });
    expect(ids((await send('GET', alerts('&monitorCondition=fired'))).body)).toEqual(['1']);
    expect(ids((await send('GET', alerts('&severity=Sev3'))).body)).toEqual(['2']);
    expect(
      ids((await send('GET', alerts(`&targetResource=${encodeURIComponent(site.toUpperCase())}`))).body),
    ).toEqual(['1']);
    expect(ids((await send('GET', alerts('&timeRange=7d'))).body)).toEqual(['2', '1', '3']);
    const bad = await send('GET', alerts('&timeRange=2d'));
    expect([bad.status, (bad.body['error'] as { message: string }).message]).toEqual([
      400,
      expect.stringMatching(/timeRange '2d'/),
    ]);
  });

  test('a caller sees only alerts on resources it may read', async () => {
    expect(ids((await send('GET', alerts(), 'staging')).body)).toEqual(['2']);
    const other = await send(
      'GET',
      `${alerts().replace('?', '/00000000-0000-4000-8000-000000000001?')}`,
      'staging',
    );
    expect(other.status).toBe(404);
    const own = await send(
      'GET',
      `${alerts().replace('?', '/00000000-0000-4000-8000-000000000002?')}`,
      'staging',
    );
    expect(own.status).toBe(200);
    expect(own.body['properties']).toHaveProperty('context');
  });

  test('changestate sets alertState; a Reader may not, and an unknown state is refused', async () => {
    const path = (state: string) =>
      alerts(`&newState=${state}`).replace(
        '/alerts?',
        '/alerts/00000000-0000-4000-8000-000000000002/changestate?',
      );
    expect((await send('POST', path('Acknowledged'), 'staging')).status).toBe(403);
    expect((await send('POST', path('Snoozed'))).status).toBe(400);
    const done = await send('POST', path('acknowledged'));
    expect(done.status).toBe(200);
    expect((done.body['properties'] as { essentials: { alertState: string } }).essentials.alertState).toBe(
      'Acknowledged',
    );
    expect(sb.alerts.get('00000000-0000-4000-8000-000000000002')?.alertState).toBe('Acknowledged');
  });
});
