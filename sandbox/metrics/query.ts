import { HttpProblem } from '../http.js';
import { parseDuration, parseTimespan } from '../iso8601.js';
import { AGGREGATIONS, type Aggregation, METRIC_CATALOG } from './catalog.js';
import type { MetricSample, MetricsSource } from './source.js';

/** Metrics_List over a MetricsSource: timespan, interval, aggregations, $filter, top and orderby, as Azure Monitor answers. */

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The timespan as other HTTP stacks send it. Some encode the value twice, so `%3A` is still there after
 * the query is parsed; and an offset's `+` sent unencoded arrives as a space (form encoding).
 */
function readTimespan(raw: string | null, nowMs: number): { start: number; end: number } {
  if (!raw) return { start: nowMs - 3_600_000, end: nowMs };
  let text = raw;
  for (let round = 0; round < 2 && /%[0-9a-f]{2}/i.test(text); round++) {
    try {
      text = decodeURIComponent(text);
    } catch {
      break;
    }
  }
  text = text.replace(/ (\d{2}:?\d{2})(?=\/|$)/g, '+$1');
  const span = parseTimespan(text, nowMs);
  if (!span) {
    throw new HttpProblem(
      400,
      'BadRequest',
      `Invalid timespan '${raw}': expected start/end (ISO 8601) or start/duration or a duration.`,
    );
  }
  return span;
}

function parseFilter(
  filter: string | null,
  allowed: string[],
): { split: string[]; only: Record<string, string[]> } {
  const result = { split: [] as string[], only: {} as Record<string, string[]> };
  if (!filter) return result;
  for (const clause of filter.split(/\s+and\s+/i)) {
    for (const term of clause.replace(/^\(|\)$/g, '').split(/\s+or\s+/i)) {
      const match = /^\s*([A-Za-z0-9_.]+)\s+eq\s+'([^']*)'\s*$/i.exec(term);
      const dimension = match ? allowed.find((a) => a.toLowerCase() === match[1]!.toLowerCase()) : undefined;
      if (!match || !dimension) {
        throw new HttpProblem(
          400,
          'BadRequest',
          `Invalid $filter '${filter}': the sandbox supports "<dimension> eq '<value>'" terms joined by and/or, with dimensions ${allowed.join(', ') || '(none)'}.`,
        );
      }
      if (match[2] === '*') result.split.push(dimension);
      else result.only[dimension] = [...(result.only[dimension] ?? []), match[2]!];
    }
  }
  return result;
}

export interface Bucket {
  timeStamp: string;
  average?: number;
  minimum?: number;
  maximum?: number;
  total?: number;
  count?: number;
}

/** One bucket of samples, as Metrics_List computes it (the metric-alert engine computes its windows with it too). */
export function aggregate(samples: MetricSample[], wanted: Aggregation[], timeStamp: string): Bucket {
  const bucket: Bucket = { timeStamp };
  // An empty bucket carries only its timestamp, as Azure Monitor returns it.
  if (samples.length === 0) return bucket;
  let count = 0;
  let total = 0;
  let minimum = Number.POSITIVE_INFINITY;
  let maximum = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    count += s.count ?? 1;
    total += s.total ?? s.value;
    minimum = Math.min(minimum, s.minimum ?? s.value);
    maximum = Math.max(maximum, s.maximum ?? s.value);
  }
  for (const a of wanted) {
    if (a === 'Average') bucket.average = total / count;
    if (a === 'Minimum') bucket.minimum = minimum;
    if (a === 'Maximum') bucket.maximum = maximum;
    if (a === 'Total') bucket.total = total;
    if (a === 'Count') bucket.count = count;
  }
  return bucket;
}

/** `top`: a whole number from 1 (Azure's default is 10). */
function readTop(raw: string | null): number {
  if (raw === null) return 10;
  const top = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(top) || top < 1)
    throw new HttpProblem(400, 'BadRequest', `Invalid top '${raw}': expected a whole number of 1 or more.`);
  return top;
}

const ORDER_AGGREGATIONS: Record<string, Aggregation> = {
  average: 'Average',
  avg: 'Average',
  mean: 'Average',
  minimum: 'Minimum',
  min: 'Minimum',
  maximum: 'Maximum',
  max: 'Maximum',
  total: 'Total',
  sum: 'Total',
  count: 'Count',
};

/** `orderby`: one aggregation and an optional direction (`average asc`, `sum desc`, `Total`). */
function readOrderby(raw: string | null): { by: Aggregation; direction: 'asc' | 'desc' } | undefined {
  if (raw === null || raw.trim() === '') return undefined;
  const [name = '', direction = 'desc', ...rest] = raw.trim().toLowerCase().split(/\s+/);
  const by = ORDER_AGGREGATIONS[name];
  if (!by || (direction !== 'asc' && direction !== 'desc') || rest.length > 0) {
    throw new HttpProblem(
      400,
      'BadRequest',
      `Invalid orderby '${raw}': expected one aggregation (average, minimum, maximum, total or sum, count) and asc or desc.`,
    );
  }
  return { by, direction };
}

/** A series' rank: the aggregation over all its samples in the timespan; undefined without data. */
function rankOf(samples: MetricSample[], by: Aggregation): number | undefined {
  const whole = aggregate(samples, [by], '');
  const key = by.toLowerCase() as keyof Omit<Bucket, 'timeStamp'>;
  return whole[key];
}

/** Metrics_List: validate the query, group samples into buckets and series, shape the response as Azure Monitor does. */
export function queryMetrics(
  resourceId: string,
  type: string,
  location: string,
  query: URLSearchParams,
  source: MetricsSource,
  nowMs: number,
) {
  const get = (name: string) => {
    for (const [k, v] of query) if (k.toLowerCase() === name.toLowerCase()) return v;
    return null;
  };
  const catalog = METRIC_CATALOG[type.toLowerCase()];
  if (!catalog)
    throw new HttpProblem(400, 'BadRequest', `Metrics are not supported for resource type '${type}'.`);
  const namespace = get('metricnamespace');
  if (namespace && namespace.toLowerCase() !== catalog.namespace.toLowerCase()) {
    throw new HttpProblem(
      400,
      'BadRequest',
      `Metric namespace '${namespace}' is not valid for this resource; use '${catalog.namespace}'.`,
    );
  }
  const names = (get('metricnames') ?? get('metric') ?? catalog.metrics[0]!.name)
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const definitions = names.map((n) => {
    const d = catalog.metrics.find((x) => x.name.toLowerCase() === n.toLowerCase());
    if (!d) {
      throw new HttpProblem(
        400,
        'BadRequest',
        `Failed to find metric configuration for provider: ${type.split('/')[0]}, resource Type: ${type.split('/').slice(1).join('/')}, metric: ${n}, Valid metrics: ${catalog.metrics.map((x) => x.name).join(',')}`,
      );
    }
    return d;
  });
  const span = readTimespan(get('timespan'), nowMs);
  const intervalText = (get('interval') ?? 'PT1M').toUpperCase();
  const full = intervalText === 'FULL';
  const grain = full ? 60_000 : parseDuration(intervalText);
  // Azure Monitor aligns buckets to whole minutes, whatever the requested start. The sandbox's
  // seconds-level grains (PT1S..PT30S, an extension for fast tests) align to whole grains instead.
  const align = grain && grain < 60_000 ? grain : 60_000;
  const start = Math.floor(span.start / align) * align;
  const end = span.end;
  const interval = full ? end - start : grain;
  if (!interval)
    throw new HttpProblem(
      400,
      'BadRequest',
      `Invalid interval '${intervalText}': expected an ISO 8601 duration such as PT1M, or FULL.`,
    );
  if (!full && (end - start) / interval > 10_000) {
    throw new HttpProblem(
      400,
      'BadRequest',
      'The requested timespan and interval would return more than 10000 data points per series.',
    );
  }
  const aggregationText = get('aggregation');
  const metadataOnly = (get('resulttype') ?? '').toLowerCase() === 'metadata';
  const filterText = get('$filter') ?? get('filter');
  const top = readTop(get('top'));
  const orderby = readOrderby(get('orderby'));
  const displayInterval = full ? intervalText : intervalText;
  const value = definitions.map((d) => {
    const wanted: Aggregation[] = aggregationText
      ? aggregationText.split(',').map((a) => {
          const found = AGGREGATIONS.find((x) => x.toLowerCase() === a.trim().toLowerCase());
          if (!found)
            throw new HttpProblem(
              400,
              'BadRequest',
              `Invalid aggregation '${a}': expected ${AGGREGATIONS.join(', ')}.`,
            );
          return found;
        })
      : [d.primary];
    const filter = parseFilter(filterText, d.dimensions);
    const samples = source
      .samples(resourceId, d.name, start, end)
      .filter((s) =>
        Object.entries(filter.only).every(([dim, values]) => values.includes(s.dimensions?.[dim] ?? '')),
      );
    const groups = new Map<string, { key: Record<string, string>; samples: MetricSample[] }>();
    if (filter.split.length === 0) groups.set('', { key: {}, samples });
    for (const s of filter.split.length ? samples : []) {
      const key = Object.fromEntries(filter.split.map((dim) => [dim, s.dimensions?.[dim] ?? '']));
      const id = JSON.stringify(key);
      if (!groups.has(id)) groups.set(id, { key, samples: [] });
      groups.get(id)!.samples.push(s);
    }
    let series = [...groups.values()].map((g) => {
      const metadatavalues = Object.entries(g.key).map(([name, v]) => ({
        name: { value: name.toLowerCase(), localizedValue: name.toLowerCase() },
        value: v,
      }));
      if (metadataOnly)
        return { series: { metadatavalues }, rank: rankOf(g.samples, orderby?.by ?? wanted[0]!) };
      const data: Bucket[] = [];
      for (let t = start; t < end; t += interval) {
        const inGrain = g.samples.filter((s) => s.timestamp >= t && s.timestamp < t + interval);
        data.push(aggregate(inGrain, wanted, formatTime(t)));
      }
      return { series: { metadatavalues, data }, rank: rankOf(g.samples, orderby?.by ?? wanted[0]!) };
    });
    // Azure applies top (and orderby) only to a query with a $filter: at most `top` series per metric,
    // ranked over the whole timespan; series without data come last either way.
    if (filterText) {
      const direction = orderby?.direction === 'asc' ? 1 : -1;
      series.sort((a, b) => {
        if (a.rank === undefined || b.rank === undefined)
          return a.rank === b.rank ? 0 : a.rank === undefined ? 1 : -1;
        return direction * (a.rank - b.rank);
      });
      series = series.slice(0, top);
    }
    return {
      id: `${resourceId}/providers/Microsoft.Insights/metrics/${d.name}`,
      type: 'Microsoft.Insights/metrics',
      name: { value: d.name, localizedValue: d.localizedName },
      displayDescription: d.description,
      unit: d.unit,
      timeseries: series.map((s) => s.series),
      errorCode: 'Success',
    };
  });
  return {
    ...(metadataOnly ? {} : { cost: Math.max(1, Math.round((end - start) / interval)) * definitions.length }),
    timespan: `${formatTime(start)}/${formatTime(end)}`,
    interval: displayInterval,
    value,
    namespace: catalog.namespace.toLowerCase(),
    resourceregion: location.toLowerCase().replace(/\s+/g, ''),
  };
}
