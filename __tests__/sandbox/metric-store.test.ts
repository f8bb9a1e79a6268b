import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { aggregationValue, MetricStore } from '../../sandbox/dataplane/metric-store.js';
import { recordRequest } from '../../sandbox/dataplane/request-metrics.js';
import { _internal, detectRuntime } from '../../sandbox/dataplane/runtime.js';

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
