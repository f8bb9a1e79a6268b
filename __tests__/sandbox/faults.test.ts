import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import {
  admin,
  call,
  FAST,
  runClient,
  type SandboxProcess,
  siteId,
  startSandbox,
  tokenFor,
} from './helpers.js';

// Fault injection: each fault type is armed on the admin endpoint (never on ARM's port) and observed by a
// client through the Azure SDK pipeline: a throttled call is retried after Retry-After and succeeds, 5xx
// and dropped connections are retried or surface as errors, an LRO ends Failed, and latency is felt.

let sb: SandboxProcess;

beforeAll(async () => {
  sb = await startSandbox({ config: FAST });
}, 60_000);

afterEach(async () => {
  await admin(sb, 'DELETE', '/faults');
});

afterAll(async () => {
  await sb?.stop();
});

const inputs = () => ({
  'INPUT_SUBSCRIPTION-ID': sb.conn.subscriptionId,
  'INPUT_TENANT-ID': sb.conn.tenantId,
  'INPUT_CLIENT-ID': sb.conn.clientId,
  'INPUT_CLIENT-SECRET': sb.conn.clientSecret,
  'INPUT_ARM-ENDPOINT': sb.conn.armEndpoint,
  'INPUT_AUTHORITY-HOST': sb.conn.authorityHost,
});

async function arm(fault: Record<string, unknown>): Promise<string> {
  const reply = await admin(sb, 'POST', '/faults', fault);
  expect(reply.status).toBe(201);
  return (reply.body as { id: string }).id;
}

async function hits(id: string): Promise<number> {
  const list = (await admin(sb, 'GET', '/faults')).body as { value: { id: string; hits: number }[] };
  return list.value.find((f) => f.id === id)!.hits;
}

const sitePath = () => `${siteId(sb.conn)}$`;

test('429 with Retry-After: the SDK waits, retries, and the call succeeds', async () => {
  const id = await arm({ type: 'throttle', method: 'GET', path: sitePath(), count: 1, retryAfterSeconds: 1 });
  const run = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'get-site' });
  expect(run.result).toMatchObject({ ok: true, value: sb.conn.siteName });
  expect(run.result['elapsedMs']).toBeGreaterThanOrEqual(1000);
  expect(await hits(id)).toBe(1);
});

test("429 through Microsoft's MonitorClient: retried, then the autoscale setting arrives", async () => {
  const id = await arm({
    type: 'throttle',
    method: 'GET',
    path: 'autoscalesettings/',
    count: 2,
    retryAfterSeconds: 1,
  });
  const run = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'monitor-autoscale' });
  expect(run.result).toMatchObject({ ok: true, value: sb.conn.autoscaleSettingName });
  expect(run.result['elapsedMs']).toBeGreaterThanOrEqual(2000);
  expect(await hits(id)).toBe(2);
});

test('503 once: retried and succeeds; 500 for longer than the retries: an ArmError with the code', async () => {
  const once = await arm({ type: 'error', status: 503, method: 'GET', path: sitePath(), count: 1 });
  const recovered = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'get-site' });
  expect(recovered.result).toMatchObject({ ok: true });
  expect(await hits(once)).toBe(1);

  const persistent = await arm({ type: 'error', status: 500, method: 'GET', path: sitePath(), seconds: 30 });
  const failed = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'get-site', RETRIES: '2' });
  expect(failed.result).toMatchObject({
    ok: false,
    armError: true,
    status: 500,
    code: 'InternalServerError',
  });
  // The first try and two retries.
  expect(await hits(persistent)).toBe(3);
});

test('a dropped connection: the SDK retries it; dropped every time, the client sees a network error', async () => {
  const once = await arm({ type: 'drop', method: 'GET', path: sitePath(), count: 1 });
  const recovered = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'get-site' });
  expect(recovered.result).toMatchObject({ ok: true });
  expect(await hits(once)).toBe(1);

  const always = await arm({ type: 'drop', method: 'GET', path: sitePath(), count: 10 });
  const failed = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'get-site', RETRIES: '1' });
  expect(failed.result['ok']).toBe(false);
  expect(String(failed.result['error'])).toMatch(/socket hang up|ECONNRESET|other side closed|network/i);
  expect(await hits(always)).toBe(2);
});

test('an LRO that ends Failed: the swap poller raises the error and nothing was swapped', async () => {
  const token = await tokenFor(sb);
  const image = async (slot?: string) =>
    (
      (
        await call(
          sb,
          'GET',
          `${sb.conn.armEndpoint}${siteId(sb.conn, slot)}/config/web?api-version=2025-05-01`,
          { token },
        )
      ).body as {
        properties: { linuxFxVersion: string };
      }
    ).properties.linuxFxVersion;
  await call(
    sb,
    'PATCH',
    `${sb.conn.armEndpoint}${siteId(sb.conn, 'staging')}/config/web?api-version=2025-05-01`,
    {
      token,
      body: { properties: { linuxFxVersion: 'DOCKER|ghcr.io/slotline-demo/web:broken' } },
    },
  );
  const id = await arm({
    type: 'lro-failure',
    method: 'POST',
    path: '/slotsswap$',
    count: 1,
    code: 'SwapWarmupFailed',
    message: 'The staging slot did not respond to http ping.',
  });
  const run = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'swap' });
  expect(run.result).toMatchObject({ ok: false, armError: true, code: 'SwapWarmupFailed' });
  expect(String(run.result['error'])).toContain('did not respond to http ping');
  expect(await hits(id)).toBe(1);
  expect(await image()).toBe('DOCKER|ghcr.io/slotline-demo/web:1.0.0');
  expect(await image('staging')).toBe('DOCKER|ghcr.io/slotline-demo/web:broken');
});

test('a slot creation that ends Failed: Azure-AsyncOperation reports Failed, the SDK raises it, the slot is rolled back', async () => {
  const id = await arm({
    type: 'lro-failure',
    method: 'PUT',
    path: '/slots/doomed$',
    count: 1,
    code: 'InsufficientCapacity',
  });
  const run = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'create-slot' });
  expect(run.result).toMatchObject({ ok: false, armError: true, code: 'InsufficientCapacity' });
  expect(await hits(id)).toBe(1);
  const token = await tokenFor(sb);
  expect(
    (
      await call(sb, 'GET', `${sb.conn.armEndpoint}${siteId(sb.conn, 'doomed')}?api-version=2025-05-01`, {
        token,
      })
    ).status,
  ).toBe(404);
});

test('added latency is felt by the client, and the call still succeeds', async () => {
  const id = await arm({ type: 'latency', latencyMs: 1200, method: 'GET', path: '/config/web$', count: 1 });
  const run = await runClient(sb, 'fault-client.ts', { ...inputs(), SCENARIO: 'get-config' });
  expect(run.result).toMatchObject({ ok: true });
  expect(run.result['elapsedMs']).toBeGreaterThanOrEqual(1200);
  expect(await hits(id)).toBe(1);
});

test('faults are refused on the ARM port and validated on the admin port', async () => {
  const token = await tokenFor(sb);
  const onArm = await call(sb, 'POST', `${sb.conn.armEndpoint}/faults?api-version=1`, {
    token,
    body: { type: 'throttle', path: '.*' },
  });
  expect(onArm.status).toBe(404);
  const invalid = await admin(sb, 'POST', '/faults', { type: 'explode', path: '.*' });
  expect(invalid.status).toBe(400);
  expect((invalid.body as { error: { message: string } }).error.message).toContain('type must be one of');
});
