import type { Aggregation } from './checks.js';

/**
 * Metric data as the gate reads it: per metric, one series per instance (Metrics_List with
 * `Instance eq '*'`), each a list of time-grain buckets with every aggregation Azure returned.
 */
export interface Bucket {
  /** Start of the grain, epoch ms. */
  time: number;
  total?: number;
  count?: number;
  average?: number;
  minimum?: number;
  maximum?: number;
}

export interface InstanceSeries {
  instance: string;
  buckets: Bucket[];
}

/** One resource's data for one window: metric name (lowercase) → instance series. */
export type ResourceData = ReadonlyMap<string, readonly InstanceSeries[]>;

/** The part of Azure Monitor's Metrics_List answer the gate reads (MonitorClient's `Response`). */
export interface MetricsResponse {
  value: {
    name: { value: string };
    errorCode?: string;
    errorMessage?: string;
    timeseries?: {
      metadatavalues?: { name?: { value?: string }; value?: string }[];
      data?: {
        timeStamp: Date | string;
        total?: number;
        count?: number;
        average?: number;
        minimum?: number;
        maximum?: number;
      }[];
    }[];
  }[];
}

const finite = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Metrics_List's answer as instance series; a metric Azure reports an error for is left out. */
export function readResponse(response: MetricsResponse): ResourceData {
  const data = new Map<string, InstanceSeries[]>();
  for (const metric of response.value ?? []) {
    if (metric.errorCode && metric.errorCode !== 'Success') continue;
    const series: InstanceSeries[] = (metric.timeseries ?? []).map((ts) => ({
      instance: ts.metadatavalues?.find((m) => m.name?.value?.toLowerCase() === 'instance')?.value ?? '',
      buckets: (ts.data ?? []).map((point) => {
        const bucket: Bucket = { time: new Date(point.timeStamp).getTime() };
        for (const key of ['total', 'count', 'average', 'minimum', 'maximum'] as const) {
          const value = finite(point[key]);
          if (value !== undefined) bucket[key] = value;
        }
        return bucket;
      }),
    }));
    data.set(metric.name.value.toLowerCase(), series);
  }
  return data;
}

/** Whether a bucket holds any observation: Azure fills empty Total buckets with 0 and leaves Average out. */
function hasData(bucket: Bucket): boolean {
  if (bucket.count !== undefined) return bucket.count > 0;
  return bucket.average !== undefined || bucket.maximum !== undefined || (bucket.total ?? 0) > 0;
}

/** One bucket's value under an aggregation, or undefined when it holds no observation. */
export function bucketValue(bucket: Bucket, aggregation: Aggregation): number | undefined {
  if (!hasData(bucket)) return undefined;
  switch (aggregation) {
    case 'Total':
      return bucket.total ?? 0;
    case 'Count':
      return bucket.count;
    case 'Average':
      return (
        bucket.average ??
        (bucket.total !== undefined && bucket.count ? bucket.total / bucket.count : undefined)
      );
    case 'Maximum':
      return bucket.maximum;
    case 'Minimum':
      return bucket.minimum;
  }
}

function seriesOf(data: ResourceData, metric: string): readonly InstanceSeries[] {
  return data.get(metric.toLowerCase()) ?? [];
}

/**
 * The metric over the whole window and every instance, computed from the parts Azure returns: a Total
 * is the sum, an Average is Σtotal / Σcount (never an average of averages), Maximum and Minimum the
 * extremes. Undefined when no bucket holds an observation.
 */
export function windowValue(
  data: ResourceData,
  metric: string,
  aggregation: Aggregation,
): number | undefined {
  let total = 0;
  let count = 0;
  let seen = false;
  let extreme: number | undefined;
  for (const series of seriesOf(data, metric))
    for (const bucket of series.buckets) {
      if (!hasData(bucket)) continue;
      seen = true;
      total += bucket.total ?? (bucket.average ?? 0) * (bucket.count ?? 1);
      count += bucket.count ?? 1;
      if (aggregation === 'Maximum' && bucket.maximum !== undefined)
        extreme = extreme === undefined ? bucket.maximum : Math.max(extreme, bucket.maximum);
      if (aggregation === 'Minimum' && bucket.minimum !== undefined)
        extreme = extreme === undefined ? bucket.minimum : Math.min(extreme, bucket.minimum);
    }
  if (!seen) return undefined;
  switch (aggregation) {
    case 'Total':
      return total;
    case 'Count':
      return count;
    case 'Average':
      return count > 0 ? total / count : undefined;
    default:
      return extreme;
  }
}

/** A metric's Total over the window (0 when Azure returned nothing): request and error counts. */
export function windowTotal(data: ResourceData, metric: string): number {
  let total = 0;
  for (const series of seriesOf(data, metric))
    for (const bucket of series.buckets) total += bucket.total ?? 0;
  return total;
}

/**
 * The per-grain, per-instance values a rank test compares: one value per bucket with data. For a
 * ratio, each bucket's numerator over its denominator (buckets with no denominator are left out).
 */
export function grainValues(
  data: ResourceData,
  metric: string,
  aggregation: Aggregation,
  per?: string,
): number[] {
  const values: number[] = [];
  if (per === undefined) {
    for (const series of seriesOf(data, metric))
      for (const bucket of series.buckets) {
        const value = bucketValue(bucket, aggregation);
        if (value !== undefined) values.push(value);
      }
    return values;
  }
  const denominators = new Map<string, number>();
  for (const series of seriesOf(data, per))
    for (const bucket of series.buckets)
      denominators.set(`${series.instance}|${bucket.time}`, bucket.total ?? 0);
  for (const series of seriesOf(data, metric))
    for (const bucket of series.buckets) {
      const denominator = denominators.get(`${series.instance}|${bucket.time}`) ?? 0;
      if (denominator > 0)
        values.push((aggregation === 'Count' ? (bucket.count ?? 0) : (bucket.total ?? 0)) / denominator);
    }
  return values;
}
