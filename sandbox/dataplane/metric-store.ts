import type { MetricSample, MetricsSource } from '../metrics/source.js';

/**
 * Time series for the sandbox's Azure Monitor: every sample lands in a one-second bucket per series
 * (count, total, minimum, maximum), so a query at any grain of whole seconds is exact and memory stays
 * bounded by series × seconds retained, however many requests arrive.
 */

export interface Bucket {
  count: number;
  total: number;
  minimum: number;
  maximum: number;
  /** The last sample's value (autoscale's `Last` time aggregation). */
  last: number;
}

export interface SeriesKey {
  /** ARM resource id, compared case-insensitively. */
  resourceId: string;
  metric: string;
  /** Dimension values, e.g. { Instance: 'a1b2', ScaleDirection: 'Increase' }. */
  dimensions?: Readonly<Record<string, string>>;
}

export interface Point {
  /** Start of the grain, ms since the epoch. */
  timeMs: number;
  /** Undefined when no sample fell in the grain: Azure returns such points as timestamp-only. */
  bucket?: Bucket;
}

export interface SeriesQuery {
  resourceId: string;
  metric: string;
  fromMs: number;
  toMs: number;
  grainMs: number;
  /** Keep only series whose dimensions match every given value (case-insensitive). */
  filter?: Readonly<Record<string, string>>;
  /** Split the result per value of this dimension instead of merging all series. */
  splitBy?: string;
}

export interface SeriesResult {
  dimensions: Record<string, string>;
  points: Point[];
}

function dimensionsKey(dimensions: Readonly<Record<string, string>> | undefined): string {
  return JSON.stringify(Object.entries(dimensions ?? {}).sort(([a], [b]) => a.localeCompare(b)));
}

function merge(into: Bucket | undefined, add: Bucket): Bucket {
  if (!into) return { ...add };
  into.count += add.count;
  into.total += add.total;
  into.minimum = Math.min(into.minimum, add.minimum);
  into.maximum = Math.max(into.maximum, add.maximum);
  into.last = add.last;
  return into;
}

interface Series {
  dimensions: Record<string, string>;
  seconds: Map<number, Bucket>;
}

export class MetricStore implements MetricsSource {
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly retentionMs = 6 * 3_600_000,
  ) {}

  record(key: SeriesKey, value: number, timeMs = this.now()): void {
    const metricKey = `${key.resourceId.toLowerCase()}|${key.metric.toLowerCase()}`;
    let byDims = this.series.get(metricKey);
    if (!byDims) {
      byDims = new Map();
      this.series.set(metricKey, byDims);
    }
    const dk = dimensionsKey(key.dimensions);
    let series = byDims.get(dk);
    if (!series) {
      series = { dimensions: { ...(key.dimensions ?? {}) }, seconds: new Map() };
      byDims.set(dk, series);
    }
    const second = Math.floor(timeMs / 1000);
    const bucket = series.seconds.get(second);
    if (bucket) merge(bucket, { count: 1, total: value, minimum: value, maximum: value, last: value });
    else series.seconds.set(second, { count: 1, total: value, minimum: value, maximum: value, last: value });
    if (series.seconds.size % 600 === 0) this.prune(series);
  }

  private prune(series: Series): void {
    const oldest = Math.floor((this.now() - this.retentionMs) / 1000);
    for (const second of series.seconds.keys()) if (second < oldest) series.seconds.delete(second);
  }

  /** Series with at least one sample for this resource and metric. */
  hasData(resourceId: string, metric: string): boolean {
    return (this.series.get(`${resourceId.toLowerCase()}|${metric.toLowerCase()}`)?.size ?? 0) > 0;
  }

  /**
   * One pre-aggregated sample per series and second in [startMs, endMs): the shape the control plane's
   * metrics API combines exactly (count, total, minimum and maximum carried through).
   */
  samples(resourceId: string, metric: string, startMs: number, endMs: number): MetricSample[] {
    const byDims = this.series.get(`${resourceId.toLowerCase()}|${metric.toLowerCase()}`);
    const result: MetricSample[] = [];
    const first = Math.floor(startMs / 1000);
    const last = Math.ceil(endMs / 1000);
    for (const s of byDims?.values() ?? []) {
      for (const [second, b] of s.seconds) {
        if (second < first || second >= last) continue;
        result.push({
          timestamp: second * 1000,
          value: b.total / b.count,
          dimensions: s.dimensions,
          count: b.count,
          total: b.total,
          minimum: b.minimum,
          maximum: b.maximum,
        });
      }
    }
    return result.sort((a, b) => a.timestamp - b.timestamp);
  }

  query(q: SeriesQuery): SeriesResult[] {
    const byDims = this.series.get(`${q.resourceId.toLowerCase()}|${q.metric.toLowerCase()}`);
    const matching = [...(byDims?.values() ?? [])].filter((s) =>
      Object.entries(q.filter ?? {}).every(([name, value]) => {
        const own = Object.entries(s.dimensions).find(([n]) => n.toLowerCase() === name.toLowerCase());
        return own !== undefined && own[1].toLowerCase() === value.toLowerCase();
      }),
    );
    const groups = new Map<string, { dimensions: Record<string, string>; series: Series[] }>();
    for (const s of matching) {
      const value = q.splitBy
        ? (Object.entries(s.dimensions).find(([n]) => n.toLowerCase() === q.splitBy!.toLowerCase())?.[1] ??
          '')
        : '';
      const group = groups.get(value) ?? { dimensions: q.splitBy ? { [q.splitBy]: value } : {}, series: [] };
      group.series.push(s);
      groups.set(value, group);
    }
    if (groups.size === 0) groups.set('', { dimensions: {}, series: [] });
    return [...groups.values()].map((g) => ({ dimensions: g.dimensions, points: aggregate(g.series, q) }));
  }
}

function aggregate(series: readonly Series[], q: SeriesQuery): Point[] {
  const grainSeconds = Math.max(1, Math.round(q.grainMs / 1000));
  const points: Point[] = [];
  for (let start = q.fromMs; start < q.toMs; start += grainSeconds * 1000) {
    const firstSecond = Math.floor(start / 1000);
    const endSecond = Math.min(firstSecond + grainSeconds, Math.ceil(q.toMs / 1000));
    let bucket: Bucket | undefined;
    for (const s of series) {
      for (let second = firstSecond; second < endSecond; second++) {
        const b = s.seconds.get(second);
        if (b) bucket = merge(bucket, b);
      }
    }
    points.push({ timeMs: start, bucket });
  }
  return points;
}

export type AggregationName = 'average' | 'total' | 'count' | 'minimum' | 'maximum';

/** The value Azure reports for one aggregation of a bucket. */
export function aggregationValue(bucket: Bucket, aggregation: AggregationName): number {
  switch (aggregation) {
    case 'average':
      return bucket.count === 0 ? 0 : bucket.total / bucket.count;
    case 'total':
      return bucket.total;
    case 'count':
      return bucket.count;
    case 'minimum':
      return bucket.minimum;
    case 'maximum':
      return bucket.maximum;
  }
}
