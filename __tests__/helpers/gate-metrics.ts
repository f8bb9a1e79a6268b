import type { GateCheck } from '../../src/gate-on-metrics/checks.js';
import { normalizeChecks } from '../../src/gate-on-metrics/checks.js';
import type {
  Bucket,
  InstanceSeries,
  MetricsResponse,
  ResourceData,
} from '../../src/gate-on-metrics/series.js';

/** 2026-12-07T10:00:00Z: every fixture's first grain. */
export const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
export const MINUTE = 60_000;

/** A Count metric's grains on one instance: a Total per grain (one sample each, so a 0 is a real 0). */
export function counts(
  totals: readonly number[],
  instance = 'i0',
  start = T0,
  grainMs = MINUTE,
): InstanceSeries {
  return {
    instance,
    buckets: totals.map((total, i) => ({ time: start + i * grainMs, total, count: 1 })),
  };
}

/**
 * An averaged metric's grains on one instance (seconds), each over `requests` observations, as Azure
 * returns it with every aggregation asked for: total = average · count.
 */
export function averages(
  values: readonly number[],
  requests = 50,
  instance = 'i0',
  start = T0,
  grainMs = MINUTE,
): InstanceSeries {
  return {
    instance,
    buckets: values.map(
      (average, i): Bucket => ({
        time: start + i * grainMs,
        total: average * requests,
        count: requests,
        average,
        minimum: average / 2,
        maximum: average * 2,
      }),
    ),
  };
}

/** One resource's data from metric name → series (names lowercased, as readResponse keys them). */
export function resource(metrics: Record<string, InstanceSeries | readonly InstanceSeries[]>): ResourceData {
  return new Map(
    Object.entries(metrics).map(([name, s]) => [
      name.toLowerCase(),
      (Array.isArray(s) ? s : [s]) as readonly InstanceSeries[],
    ]),
  );
}

/** The checks as normalizeChecks makes them, for a test that needs exactly one. */
export function oneCheck(spec: Parameters<typeof normalizeChecks>[0][number], hasBaseline = true): GateCheck {
  return normalizeChecks([spec], { hasBaseline })[0]!;
}

/** A deterministic pseudo-random stream (mulberry32), so the noisy fixtures are the same every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A realistic Metrics_List answer (api-version 2024-02-01) for App Service metrics, per instance. */
export function metricsResponse(
  resourceId: string,
  timespan: string,
  interval: string,
  metrics: Record<string, { unit: string; series: readonly InstanceSeries[] }>,
): MetricsResponse & Record<string, unknown> {
  return {
    cost: 0,
    timespan,
    interval,
    namespace: resourceId.includes('/slots/') ? 'Microsoft.Web/sites/slots' : 'Microsoft.Web/sites',
    resourceregion: 'westeurope',
    value: Object.entries(metrics).map(([name, { unit, series }]) => ({
      id: `${resourceId}/providers/Microsoft.Insights/metrics/${name}`,
      type: 'Microsoft.Insights/metrics',
      name: { value: name, localizedValue: name },
      displayDescription: '',
      unit,
      errorCode: 'Success',
      timeseries: series.map((s) => ({
        metadatavalues: [{ name: { value: 'instance', localizedValue: 'instance' }, value: s.instance }],
        data: s.buckets.map(({ time, ...values }) => ({
          timeStamp: new Date(time).toISOString().replace('.000Z', 'Z'),
          ...values,
        })),
      })),
    })),
  };
}
