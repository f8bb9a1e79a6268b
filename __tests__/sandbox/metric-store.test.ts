import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { aggregationValue, MetricStore } from '../../sandbox/dataplane/metric-store.js';
import { recordRequest } from '../../sandbox/dataplane/request-metrics.js';
import { _internal, detectRuntime } from '../../sandbox/dataplane/runtime.js';
import { queryMetrics } from '../../sandbox/metrics/query.js';

const SITE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web';
const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

test('known requests give exact counts per grain, empty grains stay empty', () => {
  const store = new MetricStore(() => T0 + 600_000);
  // 10 requests in the first minute (3 of them 5xx), none in the second, 4 in the third.
  for (let i = 0; i < 10; i++) {
    recordRequest(store, {
      resourceId: SITE,
      instance: i % 2 ? 'a' : 'b',
      status: i < 3 ? 503 : 200,
      latencyMs: 100 + i * 10,
      bytesReceived: 50,
      bytesSent: 1000,
      timeMs: T0 + i * 5_000,
    });
  }
  for (let i = 0; i < 4; i++)
    recordRequest(store, {
      resourceId: SITE.toUpperCase(),
      instance: 'a',
      status: 404,
      latencyMs: 20,
      bytesReceived: 10,
      bytesSent: 5,
      timeMs: T0 + 120_000 + i,
    });
  const q = (metric: string) =>
    store.query({ resourceId: SITE, metric, fromMs: T0, toMs: T0 + 180_000, grainMs: 60_000 })[0]!.points;
  expect(q('Requests').map((p) => p.bucket && aggregationValue(p.bucket, 'total'))).toEqual([
    10,
    undefined,
    4,
  ]);
  expect(q('Http5xx').map((p) => p.bucket?.total)).toEqual([3, undefined, undefined]);
  expect(q('Http2xx').map((p) => p.bucket?.total)).toEqual([7, undefined, undefined]);
  expect(q('http4xx').map((p) => p.bucket?.total)).toEqual([undefined, undefined, 4]);
  const rt = q('HttpResponseTime')[0]!.bucket!;
  expect(aggregationValue(rt, 'average')).toBeCloseTo(0.145);
  expect(aggregationValue(rt, 'minimum')).toBeCloseTo(0.1);
  expect(aggregationValue(rt, 'maximum')).toBeCloseTo(0.19);
  expect(aggregationValue(rt, 'count')).toBe(10);
  expect(q('BytesSent').map((p) => p.bucket?.total)).toEqual([10_000, undefined, 20]);
  expect(q('Requests').map((p) => p.timeMs)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
});

test('second-level grains, dimension filters and splitting', () => {
  const store = new MetricStore(() => T0);
  for (let i = 0; i < 6; i++)
    recordRequest(store, {
      resourceId: SITE,
      instance: i < 4 ? 'a' : 'b',
      status: 200,
      latencyMs: 1,
      bytesReceived: 0,
      bytesSent: 0,
      timeMs: T0 + i * 1000,
    });
  const perSecond = store.query({
    resourceId: SITE,
    metric: 'Requests',
    fromMs: T0,
    toMs: T0 + 6_000,
    grainMs: 2_000,
  })[0]!;
  expect(perSecond.points.map((p) => p.bucket?.total)).toEqual([2, 2, 2]);
  const onlyB = store.query({
    resourceId: SITE,
    metric: 'Requests',
    fromMs: T0,
    toMs: T0 + 6_000,
    grainMs: 6_000,
    filter: { instance: 'B' },
  })[0]!;
  expect(onlyB.points[0]!.bucket!.total).toBe(2);
  const split = store.query({
    resourceId: SITE,
    metric: 'Requests',
    fromMs: T0,
    toMs: T0 + 6_000,
    grainMs: 6_000,
    splitBy: 'Instance',
  });
  expect(split.map((s) => [s.dimensions, s.points[0]!.bucket!.total])).toEqual([
    [{ Instance: 'a' }, 4],
    [{ Instance: 'b' }, 2],
  ]);
});

test('a metric with no data yields one series of timestamp-only points', () => {
  const store = new MetricStore(() => T0);
  const [series] = store.query({
    resourceId: SITE,
    metric: 'Requests',
    fromMs: T0,
    toMs: T0 + 3_000,
    grainMs: 1_000,
  });
  expect(series!.points).toEqual([
    { timeMs: T0, bucket: undefined },
    { timeMs: T0 + 1_000, bucket: undefined },
    { timeMs: T0 + 2_000, bucket: undefined },
  ]);
});

describe('Metrics_List: $filter splits, top and orderby as Azure applies them', () => {
  // Requests from 12 instances: i-00 serves 1 request, i-01 2, … i-11 12; i-05's requests are all slow.
  const store = new MetricStore(() => T0 + 60_000);
  for (let i = 0; i < 12; i++)
    for (let r = 0; r <= i; r++)
      recordRequest(store, {
        resourceId: SITE,
        instance: `i-${String(i).padStart(2, '0')}`,
        status: 200,
        latencyMs: i === 5 ? 5_000 : 10,
        bytesReceived: 0,
        bytesSent: 0,
        timeMs: T0 + r * 1000,
      });
  type Body = {
    value: {
      name: { value: string };
      timeseries: {
        metadatavalues: { name: { value: string }; value: string }[];
        data: { total?: number }[];
      }[];
    }[];
  };
  const list = (params: Record<string, string>) =>
    queryMetrics(
      SITE,
      'Microsoft.Web/sites',
      'West Europe',
      new URLSearchParams({
        timespan: `${new Date(T0).toISOString()}/${new Date(T0 + 60_000).toISOString()}`,
        interval: 'PT1S',
        metricnames: 'Requests',
        aggregation: 'Total',
        ...params,
      }),
      store,
      T0 + 60_000,
    ) as unknown as Body;
  const instances = (body: Body, metric = 0) =>
    body.value[metric]!.timeseries.map((t) => t.metadatavalues.map((m) => m.value).join(','));

  test("Instance eq '*': one series per instance, named by metadatavalues, at most 10 by default, largest total first", () => {
    const body = list({ $filter: "Instance eq '*'" });
    const series = body.value[0]!.timeseries;
    expect(series).toHaveLength(10);
    // Azure names the dimension in lower case, as in its GetMetric example ("tier").
    expect(series[0]!.metadatavalues).toEqual([
      { name: { value: 'instance', localizedValue: 'instance' }, value: 'i-11' },
    ]);
    expect(instances(body)).toEqual([
      'i-11',
      'i-10',
      'i-09',
      'i-08',
      'i-07',
      'i-06',
      'i-05',
      'i-04',
      'i-03',
      'i-02',
    ]);
    const totals = series.map((t) => t.data.reduce((sum, d) => sum + (d.total ?? 0), 0));
    expect(totals).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
  });

  test('top and orderby (sum or an aggregation name, asc or desc); the default ranks by the first requested aggregation', () => {
    expect(instances(list({ $filter: "Instance eq '*'", top: '3', orderby: 'sum asc' }))).toEqual([
      'i-00',
      'i-01',
      'i-02',
    ]);
    expect(instances(list({ $filter: "Instance eq '*'", top: '2', orderby: 'Total desc' }))).toEqual([
      'i-11',
      'i-10',
    ]);
    expect(instances(list({ $filter: "Instance eq '*'", top: '20' }))).toHaveLength(12);
    // Ranked by average response time: the slow instance first, whatever its request count.
    const slow = list({
      metricnames: 'HttpResponseTime',
      aggregation: 'Average',
      $filter: "Instance eq '*'",
      top: '1',
    });
    expect(instances(slow)).toEqual(['i-05']);
    expect(
      instances(
        list({
          metricnames: 'Requests,HttpResponseTime',
          $filter: "Instance eq '*'",
          top: '1',
          orderby: 'average desc',
        }),
        1,
      ),
    ).toEqual(['i-05']);
  });

  test('without a $filter top is ignored (one series); invalid top or orderby is a 400', () => {
    const body = list({ top: '1' });
    expect(body.value[0]!.timeseries).toHaveLength(1);
    expect(body.value[0]!.timeseries[0]!.metadatavalues).toEqual([]);
    expect(body.value[0]!.timeseries[0]!.data.reduce((sum, d) => sum + (d.total ?? 0), 0)).toBe(78);
    expect(() => list({ $filter: "Instance eq '*'", top: '0' })).toThrow(/Invalid top '0'/);
    expect(() => list({ $filter: "Instance eq '*'", top: 'ten' })).toThrow(/Invalid top/);
    expect(() => list({ $filter: "Instance eq '*'", orderby: 'median asc' })).toThrow(/Invalid orderby/);
    expect(() => list({ $filter: "Instance eq '*'", orderby: 'sum up' })).toThrow(/Invalid orderby/);
  });
});

test.each([
  ['5.237111912s', 5.237111912],
  ['1m2.5s', 62.5],
  ['350ms', 0.35],
  ['1h0m1s', 3601],
])('podman cpu_time %p = %p s', (text, seconds) =>
  expect(_internal.parseDurationSeconds(text)).toBeCloseTo(seconds),
);

test.each([
  ['778.2kB', 778_200],
  ['25.33GB', 25_330_000_000],
  ['12MiB', 12_582_912],
  ['0B', 0],
])('podman memory %p = %p bytes', (text, bytes) => expect(_internal.parseBytes(text)).toBeCloseTo(bytes));

test('the runtime is detected: podman first, docker where an engine answers, else a clear error', async () => {
  const exec = (available: string[]) => async (file: string) => {
    if (!available.includes(file)) throw new Error(`spawn ${file} ENOENT`);
    return { stdout: '', stderr: '' };
  };
  const secretsDir = mkdtempSync(join(tmpdir(), 'slotline-runtime-'));
  try {
    expect((await detectRuntime({ secretsDir, exec: exec(['podman', 'docker']) })).kind).toBe('podman');
    expect((await detectRuntime({ secretsDir, exec: exec(['docker']) })).kind).toBe('docker');
    await expect(detectRuntime({ secretsDir, exec: exec([]) })).rejects.toThrow(
      /^No container runtime: install podman \(or run a Docker engine\) to run slot containers/,
    );
  } finally {
    rmSync(secretsDir, { recursive: true, force: true });
  }
});
