import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  bucketValue,
  grainValues,
  type MetricsResponse,
  readResponse,
  windowTotal,
  windowValue,
} from '../../src/gate-on-metrics/series.js';
import { averages, counts, MINUTE, metricsResponse, resource, T0 } from '../helpers/gate-metrics.js';
import { repoRoot } from '../helpers/runner.js';

const SLOT =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-shop/providers/Microsoft.Web/sites/shop/slots/staging';

function example(name: string): MetricsResponse {
  const file = join(repoRoot, '__tests__/fixtures/azure-rest-examples/metrics', name);
  return (JSON.parse(readFileSync(file, 'utf8')) as { responses: { 200: { body: MetricsResponse } } })
    .responses[200].body;
}

describe('readResponse', () => {
  test('a Metrics_List body for a slot: one series per instance, timestamps as epoch ms, keys lowercased', () => {
    const body = metricsResponse(SLOT, '2026-12-07T10:00:00Z/2026-12-07T10:03:00Z', 'PT1M', {
      Requests: {
        unit: 'Count',
        series: [counts([120, 80, 0], 'lw0sdlwk0001'), counts([60, 40, 0], 'lw0sdlwk0002')],
      },
      HttpResponseTime: { unit: 'Seconds', series: [averages([0.2, 0.25], 100, 'lw0sdlwk0001')] },
    });
    // The timestamps Azure sends are strings; the SDK turns them into Dates. Both are read.
    const asDates = structuredClone(body);
    for (const m of asDates.value)
      for (const ts of m.timeseries ?? []) for (const p of ts.data ?? []) p.timeStamp = new Date(p.timeStamp);
    for (const response of [body, asDates]) {
      const data = readResponse(response);
      expect([...data.keys()]).toEqual(['requests', 'httpresponsetime']);
      expect(data.get('requests')!.map((s) => s.instance)).toEqual(['lw0sdlwk0001', 'lw0sdlwk0002']);
      expect(data.get('requests')![0]!.buckets[1]).toEqual({ time: T0 + MINUTE, total: 80, count: 1 });
      expect(data.get('httpresponsetime')![0]!.buckets[0]).toEqual({
        time: T0,
        total: 20,
        count: 100,
        average: 0.2,
        minimum: 0.1,
        maximum: 0.4,
      });
      expect(windowTotal(data, 'Requests')).toBe(300);
    }
  });

  test('Azure examples: a metric with an errorCode is left out; a non-instance dimension reads as ""', () => {
    const withError = readResponse(example('GetMetricError.json'));
    expect([...withError.keys()]).toEqual(['mongorequests']);
    const tiers = readResponse(example('GetMetric.json'));
    expect(tiers.get('blobcount')).toHaveLength(5);
    expect(tiers.get('blobcount')![0]!.instance).toBe('');
    expect(tiers.get('blobcount')![0]!.buckets[0]).toEqual({
      time: Date.parse('2021-04-20T09:00:00Z'),
      average: 7,
      minimum: 7,
      maximum: 7,
    });
  });

  test('non-finite numbers are dropped, not read as values', () => {
    const data = readResponse({
      value: [
        {
          name: { value: 'Requests' },
          timeseries: [{ data: [{ timeStamp: '2026-12-07T10:00:00Z', total: Number.NaN, count: 3 }] }],
        },
      ],
    });
    expect(data.get('requests')![0]!.buckets[0]).toEqual({ time: T0, count: 3 });
  });
});

describe('window values', () => {
  // Two instances: one busy and fast, one idle and slow.
  const data = resource({
    HttpResponseTime: [averages([0.1, 0.1], 100, 'busy'), averages([1.0, 1.0], 5, 'idle')],
  });

  test('an Average is Σtotal / Σcount over every instance, not the average of averages', () => {
    const value = windowValue(data, 'HttpResponseTime', 'Average')!;
    // (0.1·100·2 + 1.0·5·2) / (100·2 + 5·2) = 30 / 210
    expect(value).toBeCloseTo(30 / 210, 12);
    const averageOfAverages = (0.1 + 0.1 + 1 + 1) / 4;
    expect(averageOfAverages).toBeCloseTo(0.55, 12);
    expect(Math.abs(value - averageOfAverages)).toBeGreaterThan(0.4);
  });

  test('Total, Count, Maximum and Minimum over the window; metric names are case-insensitive', () => {
    expect(windowValue(data, 'httpresponsetime', 'Total')).toBeCloseTo(30, 12);
    expect(windowValue(data, 'HttpResponseTime', 'Count')).toBe(210);
    expect(windowValue(data, 'HttpResponseTime', 'Maximum')).toBe(2);
    expect(windowValue(data, 'HttpResponseTime', 'Minimum')).toBe(0.05);
    expect(windowValue(data, 'Requests', 'Total')).toBeUndefined();
  });

  test('empty buckets (Azure fills Total with 0, Count 0, no Average) are not data', () => {
    const empty = resource({
      Http5xx: {
        instance: 'i0',
        buckets: [
          { time: T0, total: 0, count: 0 },
          { time: T0 + MINUTE, total: 0 },
        ],
      },
    });
    expect(windowValue(empty, 'Http5xx', 'Total')).toBeUndefined();
    expect(windowValue(empty, 'Http5xx', 'Average')).toBeUndefined();
    expect(bucketValue({ time: T0, total: 0, count: 0 }, 'Total')).toBeUndefined();
    expect(bucketValue({ time: T0, total: 0 }, 'Total')).toBeUndefined();
    // A sample that says 0 errors is data: 0.
    expect(bucketValue({ time: T0, total: 0, count: 2 }, 'Total')).toBe(0);
    expect(bucketValue({ time: T0, average: 0.3 }, 'Average')).toBe(0.3);
    expect(bucketValue({ time: T0, total: 6, count: 3 }, 'Average')).toBe(2);
    // The mean of a window with empty buckets is the mean of the full ones.
    const partly = resource({
      HttpResponseTime: {
        instance: 'i0',
        buckets: [
          { time: T0, total: 0, count: 0 },
          { time: T0 + MINUTE, total: 10, count: 20, average: 0.5 },
        ],
      },
    });
    expect(windowValue(partly, 'HttpResponseTime', 'Average')).toBe(0.5);
    expect(grainValues(partly, 'HttpResponseTime', 'Average')).toEqual([0.5]);
  });
});

describe('grainValues', () => {
  test('one value per bucket with data, per instance', () => {
    const data = resource({
      HttpResponseTime: [
        averages([0.1, 0.2], 10, 'a'),
        {
          instance: 'b',
          buckets: [
            { time: T0, total: 0, count: 0 },
            { time: T0 + MINUTE, average: 0.4, count: 2, total: 0.8 },
          ],
        },
      ],
    });
    expect(grainValues(data, 'HttpResponseTime', 'Average')).toEqual([0.1, 0.2, 0.4]);
    expect(grainValues(data, 'HttpResponseTime', 'Maximum')).toEqual([0.2, 0.4]);
  });

  test('a ratio is each bucket’s numerator over the same instance’s and grain’s denominator', () => {
    const data = resource({
      Requests: [counts([100, 0, 50], 'a'), counts([10, 20, 40], 'b')],
      Http5xx: [counts([5, 0, 0], 'a'), counts([1, 0, 4], 'b')],
    });
    // Instance a's second grain served nothing: no ratio, not 0.
    expect(grainValues(data, 'Http5xx', 'Total', 'Requests')).toEqual([0.05, 0, 0.1, 0, 0.1]);
    // The window's ratio is Σerrors / Σrequests, not a mean of the grain ratios.
    const ratio = windowTotal(data, 'Http5xx') / windowTotal(data, 'Requests');
    expect(ratio).toBeCloseTo(10 / 220, 12);
  });
});
