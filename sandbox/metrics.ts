import { HttpProblem } from './http.js';

/** One observation of a metric, as the data plane records it. */
export interface MetricSample {
  timestamp: number;
  value: number;
  dimensions?: Record<string, string>;
  /**
   * A sample may stand for several observations already combined (the data plane keeps one per second
   * per series): then count, total, minimum and maximum describe them and `value` is their average.
   */
  count?: number;
  total?: number;
  minimum?: number;
  maximum?: number;
}

/**
 * Where metric values come from. The control plane only aggregates; part 2 (slots running containers,
 * autoscale) supplies a source fed by real traffic. Resource ids are compared case-insensitively.
 */
export interface MetricsSource {
  samples(resourceId: string, metricName: string, startMs: number, endMs: number): MetricSample[];
}

/** Samples pushed through the admin endpoint (or by an in-process data plane). */
export class InMemoryMetricsSource implements MetricsSource {
  private readonly series = new Map<string, MetricSample[]>();

  record(resourceId: string, metricName: string, samples: MetricSample[]): void {
    const key = `${resourceId.toLowerCase()}|${metricName.toLowerCase()}`;
    const list = this.series.get(key) ?? [];
    list.push(...samples);
    list.sort((a, b) => a.timestamp - b.timestamp);
    this.series.set(key, list);
  }

  samples(resourceId: string, metricName: string, startMs: number, endMs: number): MetricSample[] {
    const list = this.series.get(`${resourceId.toLowerCase()}|${metricName.toLowerCase()}`) ?? [];
    return list.filter((s) => s.timestamp >= startMs && s.timestamp < endMs);
  }
}

export type Aggregation = 'Average' | 'Minimum' | 'Maximum' | 'Total' | 'Count';
const AGGREGATIONS: Aggregation[] = ['Average', 'Minimum', 'Maximum', 'Total', 'Count'];

export interface MetricDefinition {
  name: string;
  localizedName: string;
  unit: string;
  primary: Aggregation;
  description: string;
  dimensions: string[];
}

const m = (
  name: string,
  localizedName: string,
  unit: string,
  primary: Aggregation,
  description: string,
  dimensions = ['Instance'],
): MetricDefinition => ({
  name,
  localizedName,
  unit,
  primary,
  description,
  dimensions,
});

const SITE_METRICS: MetricDefinition[] = [
  m('CpuTime', 'CPU Time', 'Seconds', 'Total', 'The amount of CPU consumed by the app, in seconds.'),
  m(
    'Requests',
    'Requests',
    'Count',
    'Total',
    'The total number of requests regardless of their resulting HTTP status code.',
  ),
  m(
    'BytesReceived',
    'Data In',
    'Bytes',
    'Total',
    'The amount of incoming bandwidth consumed by the app, in MiB.',
  ),
  m(
    'BytesSent',
    'Data Out',
    'Bytes',
    'Total',
    'The amount of outgoing bandwidth consumed by the app, in MiB.',
  ),
  m('Http101', 'Http 101', 'Count', 'Total', 'The count of requests resulting in an HTTP status code 101.'),
  m(
    'Http2xx',
    'Http 2xx',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 200 but < 300.',
  ),
  m(
    'Http3xx',
    'Http 3xx',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 300 but < 400.',
  ),
  m('Http401', 'Http 401', 'Count', 'Total', 'The count of requests resulting in HTTP 401 status code.'),
  m('Http403', 'Http 403', 'Count', 'Total', 'The count of requests resulting in HTTP 403 status code.'),
  m('Http404', 'Http 404', 'Count', 'Total', 'The count of requests resulting in HTTP 404 status code.'),
  m('Http406', 'Http 406', 'Count', 'Total', 'The count of requests resulting in HTTP 406 status code.'),
  m(
    'Http4xx',
    'Http 4xx',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 400 but < 500.',
  ),
  m(
    'Http5xx',
    'Http Server Errors',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 500 but < 600.',
  ),
  m(
    'MemoryWorkingSet',
    'Memory working set',
    'Bytes',
    'Average',
    'The current amount of memory used by the app, in MiB.',
  ),
  m(
    'AverageMemoryWorkingSet',
    'Average memory working set',
    'Bytes',
    'Average',
    'The average amount of memory used by the app, in MiB.',
  ),
  m(
    'AverageResponseTime',
    'Average Response Time (deprecated)',
    'Seconds',
    'Average',
    'The average time taken for the app to serve requests, in seconds.',
  ),
  m(
    'HttpResponseTime',
    'Response Time',
    'Seconds',
    'Average',
    'The time taken for the app to serve requests, in seconds.',
  ),
  m('HealthCheckStatus', 'Health check status', 'Count', 'Average', 'Health check status.'),
  m(
    'Threads',
    'Thread Count',
    'Count',
    'Average',
    'The number of threads currently active in the app process.',
  ),
];

const PLAN_METRICS: MetricDefinition[] = [
  m(
    'CpuPercentage',
    'CPU Percentage',
    'Percent',
    'Average',
    'The average CPU used across all instances of the plan.',
  ),
  m(
    'MemoryPercentage',
    'Memory Percentage',
    'Percent',
    'Average',
    'The average memory used across all instances of the plan.',
  ),
  m(
    'HttpQueueLength',
    'Http Queue Length',
    'Count',
    'Average',
    'The average number of HTTP requests that had to sit on the queue before being fulfilled.',
  ),
  m(
    'DiskQueueLength',
    'Disk Queue Length',
    'Count',
    'Average',
    'The average number of both read and write requests that were queued on storage.',
  ),
  m(
    'BytesReceived',
    'Data In',
    'Bytes',
    'Total',
    'The average incoming bandwidth used across all instances of the plan.',
  ),
  m(
    'BytesSent',
    'Data Out',
    'Bytes',
    'Total',
    'The average outgoing bandwidth used across all instances of the plan.',
  ),
];

const AUTOSCALE_METRICS: MetricDefinition[] = [
  m(
    'ObservedMetricValue',
    'Observed Metric Value',
    'Count',
    'Average',
    'The value computed by autoscale when executed.',
    ['MetricTriggerSource'],
  ),
  m(
    'MetricThreshold',
    'Metric Threshold',
    'Count',
    'Average',
    'The configured autoscale threshold when autoscale ran.',
    ['MetricTriggerRule'],
  ),
  m(
    'ObservedCapacity',
    'Observed Capacity',
    'Count',
    'Average',
    'The capacity reported to autoscale when it executed.',
    [],
  ),
  m(
    'ScaleActionsInitiated',
    'Scale Actions Initiated',
    'Count',
    'Total',
    'The direction of the scale operation.',
    ['ScaleDirection'],
  ),
];

/** Metric catalogs per resource type (lowercase), in the namespace ARM reports them under. */
export const METRIC_CATALOG: Record<string, { namespace: string; metrics: MetricDefinition[] }> = {
  'microsoft.web/sites': { namespace: 'Microsoft.Web/sites', metrics: SITE_METRICS },
  'microsoft.web/sites/slots': { namespace: 'Microsoft.Web/sites/slots', metrics: SITE_METRICS },
  'microsoft.web/serverfarms': { namespace: 'Microsoft.Web/serverFarms', metrics: PLAN_METRICS },
  'microsoft.insights/autoscalesettings': {
    namespace: 'microsoft.insights/autoscalesettings',
    metrics: AUTOSCALE_METRICS,
  },
};

const GRAINS = ['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'P1D'];

export function metricDefinitionsBody(resourceId: string, type: string) {
  const catalog = METRIC_CATALOG[type.toLowerCase()];
  if (!catalog) return { value: [] };
  return {
    value: catalog.metrics.map((d) => ({
      id: `${resourceId}/providers/microsoft.insights/metricdefinitions/${d.name}`,
      resourceId,
      namespace: catalog.namespace,
      name: { value: d.name, localizedValue: d.localizedName },
      displayDescription: d.description,
      isDimensionRequired: false,
      unit: d.unit,
      primaryAggregationType: d.primary,
      supportedAggregationTypes: ['None', ...AGGREGATIONS],
      metricAvailabilities: GRAINS.map((timeGrain) => ({ timeGrain, retention: 'P93D' })),
      dimensions: d.dimensions.map((value) => ({ value, localizedValue: value })),
    })),
  };
}

export function metricNamespacesBody(resourceId: string, type: string) {
  const catalog = METRIC_CATALOG[type.toLowerCase()];
  if (!catalog) return { value: [] };
  const name = catalog.namespace.toLowerCase().replace('/', '-');
  return {
    value: [
      {
        id: `${resourceId}/providers/microsoft.insights/metricNamespaces/${name}`,
        name,
        type: 'Microsoft.Insights/metricNamespaces',
        classification: 'Platform',
        properties: { metricNamespaceName: catalog.namespace },
      },
    ],
  };
}

/** ISO 8601 durations ARM uses for grains and windows: PnD, PTnHnMnS. */
export function parseIsoDuration(text: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text);
  if (!match || text.toUpperCase() === 'P' || text.toUpperCase().endsWith('T')) return undefined;
  const [, d, h, min, s] = match;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseTimespan(text: string | null, nowMs: number): { start: number; end: number } {
  if (!text) return { start: nowMs - 3_600_000, end: nowMs };
  const parts = text.split('/');
  const bad = () =>
    new HttpProblem(
      400,
      'BadRequest',
      `Invalid timespan '${text}': expected start/end (ISO 8601) or start/duration or a duration.`,
    );
  if (parts.length === 1) {
    const duration = parseIsoDuration(parts[0]!);
    if (duration === undefined) throw bad();
    return { start: nowMs - duration, end: nowMs };
  }
  if (parts.length !== 2) throw bad();
  const start = Date.parse(parts[0]!);
  const asDuration = parseIsoDuration(parts[1]!);
  const end = asDuration !== undefined ? start + asDuration : Date.parse(parts[1]!);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) throw bad();
  return { start, end };
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

interface Bucket {
  timeStamp: string;
  average?: number;
  minimum?: number;
  maximum?: number;
  total?: number;
  count?: number;
}

function aggregate(samples: MetricSample[], wanted: Aggregation[], timeStamp: string): Bucket {
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
  const span = parseTimespan(get('timespan'), nowMs);
  const intervalText = (get('interval') ?? 'PT1M').toUpperCase();
  const full = intervalText === 'FULL';
  const grain = full ? 60_000 : parseIsoDuration(intervalText);
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
  const top = Number(get('top') ?? 10);
  const orderby = (get('orderby') ?? '').toLowerCase().split(/\s+/);
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
    const filter = parseFilter(get('$filter') ?? get('filter'), d.dimensions);
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
      if (metadataOnly) return { series: { metadatavalues }, rank: 0 };
      const data: Bucket[] = [];
      for (let t = start; t < end; t += interval) {
        const inGrain = g.samples.filter((s) => s.timestamp >= t && s.timestamp < t + interval);
        data.push(aggregate(inGrain, wanted, formatTime(t)));
      }
      const rankKey = orderby[0] as keyof Bucket | undefined;
      const rank = rankKey
        ? data.reduce((sum, b) => sum + (typeof b[rankKey] === 'number' ? (b[rankKey] as number) : 0), 0)
        : 0;
      return { series: { metadatavalues, data }, rank };
    });
    if (filter.split.length) {
      series.sort((a, b) => (orderby[1] === 'asc' ? a.rank - b.rank : b.rank - a.rank));
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
