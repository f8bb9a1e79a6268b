import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { runBundle } from '../helpers/runner.js';
import { admin, FAST, type SandboxProcess, signInInputs, startSandbox } from '../sandbox/helpers.js';

// A gate outlives its access token: the sandbox issues tokens that last 2 s, and a 6-measurement gate
// takes about 5 s. The gate must keep deciding on fresh tokens (the SDK's bearer policy asks the
// credential again before expiry) instead of failing with 401s. Metric samples are pushed through the
// admin API, so this needs no containers.

let sb: SandboxProcess;

beforeAll(async () => {
  sb = await startSandbox({ config: { ...FAST, tokenLifetimeSeconds: 2 } });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

function site(slot?: string): string {
  const base = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}/providers/Microsoft.Web/sites/${sb.conn.siteName}`;
  return slot ? `${base}/slots/${slot}` : base;
}

/** 20 requests a second per instance, no errors, ~50 ms, from 30 s ago to 60 s ahead. */
async function pushHealthyTraffic(resourceId: string): Promise<void> {
  const now = Date.now();
  const requests = [];
  const latency = [];
  for (let s = -30; s < 60; s++)
    for (const instance of ['a', 'b'])
      for (let k = 0; k < 20; k++) {
        const timestamp = now + s * 1000 + k * 40;
        requests.push({ timestamp, value: 1, dimensions: { Instance: instance } });
        latency.push({ timestamp, value: 0.05 + (k % 5) / 1000, dimensions: { Instance: instance } });
      }
  for (const [metric, samples] of [
    ['Requests', requests],
    ['HttpResponseTime', latency],
  ] as const)
    expect((await admin(sb, 'POST', '/metrics', { resourceId, metric, samples })).status).toBe(204);
}

test('a gate longer than its token lifetime keeps deciding on refreshed tokens', async () => {
  await pushHealthyTraffic(site());
  await pushHealthyTraffic(site('staging'));
  const tokensBefore = (sb.output().match(/POST \S*\/oauth2\/v2\.0\/token 200/g) ?? []).length;
  const step = await runBundle(
    'gate-on-metrics',
    {
      ...signInInputs(sb.conn),
      'resource-group': sb.conn.resourceGroup,
      'app-name': sb.conn.siteName,
      grain: 'PT1S',
      interval: '1s',
      count: '6',
      'ingestion-delay': '1s',
      window: '4s',
    },
    { NODE_EXTRA_CA_CERTS: sb.conn.caCertPath },
    60_000,
  );
  expect(step.log).not.toMatch(/::error::/);
  expect(step.outputs['verdict']).toBe('pass');
  const tokens = (sb.output().match(/POST \S*\/oauth2\/v2\.0\/token 200/g) ?? []).length - tokensBefore;
  // More than one token: the first expired during the gate and was replaced, never sent expired.
  expect(tokens).toBeGreaterThan(1);
  expect(sb.output()).not.toMatch(/GET \S*microsoft\.insights\/metrics 401/i);
}, 90_000);
