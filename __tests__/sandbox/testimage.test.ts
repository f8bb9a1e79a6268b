import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { podmanArgs } from '../../sandbox/container-storage.js';
import { GATE_IMAGE, GATE_STORE, type GateSandbox, startGateSandbox } from '../helpers/gate-sandbox.js';

// The busybox test image's ERROR_RATE and LATENCY_MS, seen the way gate-on-metrics sees them: real
// containers behind the sandbox's front door (through __tests__/helpers/gate-sandbox.ts), load from
// sandbox/dataplane/load.ts, and Metrics_List at a PT1S grain split by instance.

const run = promisify(execFile);

let gate: GateSandbox;

beforeAll(async () => {
  gate = await startGateSandbox();
}, 120_000);

afterAll(async () => {
  await gate?.stop();
});

interface Series {
  metadatavalues: { name: { value: string }; value: string }[];
  data: { timeStamp: string; total?: number; average?: number; count?: number }[];
}
interface MetricsBody {
  interval: string;
  value: { name: { value: string }; timeseries: Series[] }[];
}

/** Metrics_List over [fromMs, now + 2 s] at PT1S; the body, after checking the status. */
async function metrics(
  resourceId: string,
  fromMs: number,
  query: Record<string, string>,
): Promise<MetricsBody> {
  const timespan = `${new Date(fromMs - 1_000).toISOString()}/${new Date(Date.now() + 2_000).toISOString()}`;
  const reply = await gate.metrics(resourceId, { timespan, interval: 'PT1S', ...query });
  expect({ status: reply.status, text: reply.status === 200 ? '' : reply.text }).toEqual({
    status: 200,
    text: '',
  });
  return reply.body as MetricsBody;
}

const instanceOf = (s: Series) =>
  s.metadatavalues.find((m) => m.name.value.toLowerCase() === 'instance')?.value ?? '';
const sum = (s: Series, key: 'total' | 'count') => s.data.reduce((n, d) => n + (d[key] ?? 0), 0);

test('ERROR_RATE 0.05 on staging: 200 requests through its front door give exactly 10 answers of 500, and Metrics_List per instance agrees', async () => {
  await gate.setSlotSettings('staging', { ERROR_RATE: '0.05' });
  const from = Date.now();
  const report = await gate.load(gate.hosts.staging, { concurrency: 4, durationMs: 30_000, requests: 200 })
    .done;
  expect(report.total).toBe(200);
  expect(report.failures).toEqual({ 'status 500': 10 });
  // Round robin over the two instances: 100 requests each, so each container counts 100 in a row.
  expect(Object.values(report.instances).sort()).toEqual([100, 100]);

  const body = await metrics(gate.ids.staging, from, {
    metricnames: 'Http5xx,Requests',
    aggregation: 'Total',
    $filter: "Instance eq '*'",
  });
  expect(body.interval).toBe('PT1S');
  const [errors, requests] = body.value;
  expect([errors!.name.value, requests!.name.value]).toEqual(['Http5xx', 'Requests']);
  // One series per instance, named like the X-Instance header the container answered with.
  const perInstance = (series: Series[]) =>
    Object.fromEntries(series.map((s) => [instanceOf(s), sum(s, 'total')]));
  const served = Object.keys(report.instances).sort();
  expect(requests!.timeseries.map(instanceOf).sort()).toEqual(served);
  expect(requests!.timeseries.every((s) => s.metadatavalues.length === 1)).toBe(true);
  expect(perInstance(requests!.timeseries)).toEqual(report.instances);
  expect(perInstance(errors!.timeseries)).toEqual(Object.fromEntries(served.map((id) => [id, 5])));

  // Production was not touched: no 5xx there in the same span.
  const production = await metrics(gate.ids.production, from, {
    metricnames: 'Http5xx',
    aggregation: 'Total',
  });
  expect(production.value[0]!.timeseries.map((s) => sum(s, 'total'))).toEqual([0]);
}, 60_000);

test('LATENCY_MS 300 on staging: its HttpResponseTime average is at least 0.3 s, production stays well below', async () => {
  await gate.setSlotSettings('staging', { ERROR_RATE: null, LATENCY_MS: '300' });
  const from = Date.now();
  const [staging, production] = await Promise.all([
    gate.load(gate.hosts.staging, { concurrency: 4, durationMs: 30_000, requests: 24 }).done,
    gate.load(gate.hosts.production, { concurrency: 4, durationMs: 30_000, requests: 24 }).done,
  ]);
  expect([staging.total, staging.failed, production.total, production.failed]).toEqual([24, 0, 24, 0]);

  // Only the instances this load reached: staging's earlier containers served the test before.
  const average = async (resourceId: string, served: Record<string, number>) => {
    const body = await metrics(resourceId, from, {
      metricnames: 'HttpResponseTime',
      aggregation: 'Average,Count',
      $filter: "Instance eq '*'",
    });
    const data = body.value[0]!.timeseries.filter((s) => instanceOf(s) in served)
      .flatMap((s) => s.data)
      .filter((d) => d.count !== undefined);
    const count = data.reduce((n, d) => n + d.count!, 0);
    const weighted = data.reduce((n, d) => n + d.average! * d.count!, 0);
    return { count, average: weighted / count, buckets: data.map((d) => d.average!) };
  };
  const slow = await average(gate.ids.staging, staging.instances);
  const fast = await average(gate.ids.production, production.instances);
  expect([slow.count, fast.count]).toEqual([24, 24]);
  // Every second's average on staging holds the 300 ms the container waited.
  expect(Math.min(...slow.buckets)).toBeGreaterThanOrEqual(0.3);
  expect(fast.average).toBeLessThan(slow.average - 0.2);
}, 60_000);

test('a throttle fault on the metrics path answers 429 with Retry-After; an error fault answers 500; then Metrics_List answers again', async () => {
  const query = { metricnames: 'Requests', aggregation: 'Total', interval: 'PT1M' };
  const armed = await gate.admin('POST', '/faults', {
    type: 'throttle',
    path: 'providers/microsoft.insights/metrics',
    retryAfterSeconds: 7,
    count: 1,
  });
  expect(armed.status).toBeLessThan(300);
  const throttled = await gate.metrics(gate.ids.staging, query);
  expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '7']);
  expect(
    (
      await gate.admin('POST', '/faults', {
        type: 'error',
        status: 500,
        path: 'providers/microsoft.insights/metrics',
      })
    ).status,
  ).toBeLessThan(300);
  expect((await gate.metrics(gate.ids.production, query)).status).toBe(500);
  expect((await gate.metrics(gate.ids.production, query)).status).toBe(200);
  // The plan's metrics pass the same fault check.
  await gate.admin('POST', '/faults', { type: 'throttle', path: 'providers/microsoft.insights/metrics' });
  const plan = await gate.metrics(gate.ids.plan, { metricnames: 'CpuPercentage', aggregation: 'Average' });
  expect(plan.status).toBe(429);
  expect(
    (await gate.metrics(gate.ids.plan, { metricnames: 'CpuPercentage', aggregation: 'Average' })).status,
  ).toBe(200);
}, 30_000);

test('an ERROR_RATE or LATENCY_MS the image cannot read stops the container at start with a message', async () => {
  const start = async (env: Record<string, string>) => {
    // The flags the sandbox's runtime gives every container (runtime.ts): this host refuses podman's
    // default rlimits.
    const args = [...podmanArgs(GATE_STORE), 'run', '--rm', '--network', 'none'];
    args.push('--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1000:1000');
    for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
    try {
      await run('podman', [...args, GATE_IMAGE], { timeout: 20_000 });
      return { code: 0, stderr: '' };
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      return { code: e.code, stderr: (e.stderr ?? '').trim() };
    }
  };
  expect(await start({ ERROR_RATE: '1.5' })).toEqual({
    code: 2,
    stderr: "test app: ERROR_RATE '1.5' is not a decimal from 0 to 1 (at most 9 decimals, e.g. 0.05)",
  });
  expect(await start({ ERROR_RATE: '5%' })).toMatchObject({ code: 2 });
  expect(await start({ LATENCY_MS: '0.5' })).toEqual({
    code: 2,
    stderr: "test app: LATENCY_MS '0.5' is not a whole number of milliseconds (0 or more)",
  });
}, 60_000);
