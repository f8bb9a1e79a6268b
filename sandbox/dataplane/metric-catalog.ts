import type { AggregationName, MetricStore } from './metric-store.js';

/** The metrics the sandbox emits, with the units and aggregations Azure Monitor documents for them. */
export interface MetricDefinition {
  name: string;
  displayDescription: string;
  unit: 'Count' | 'Bytes' | 'Seconds' | 'Percent';
  primaryAggregationType: 'Average' | 'Total' | 'Count' | 'Minimum' | 'Maximum';
  supportedAggregationTypes: readonly string[];
  dimensions: readonly string[];
}

const ALL = ['None', 'Average', 'Minimum', 'Maximum', 'Total', 'Count'] as const;
const def = (
  name: string,
  unit: MetricDefinition['unit'],
  primary: MetricDefinition['primaryAggregationType'],
  displayDescription: string,
  dimensions: readonly string[] = ['Instance'],
): MetricDefinition => ({
  name,
  unit,
  primaryAggregationType: primary,
  supportedAggregationTypes: ALL,
  displayDescription,
  dimensions,
});

export const SITE_METRICS: readonly MetricDefinition[] = [
  def(
    'Requests',
    'Count',
    'Total',
    'The total number of requests regardless of their resulting HTTP status code.',
  ),
  def(
    'Http2xx',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 200 but < 300.',
  ),
  def(
    'Http3xx',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 300 but < 400.',
  ),
  def(
    'Http4xx',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 400 but < 500.',
  ),
  def(
    'Http5xx',
    'Count',
    'Total',
    'The count of requests resulting in an HTTP status code >= 500 but < 600.',
  ),
  def('HttpResponseTime', 'Seconds', 'Average', 'The time taken for the app to serve requests, in seconds.'),
  def(
    'AverageResponseTime',
    'Seconds',
    'Average',
    'The average time taken for the app to serve requests, in seconds.',
  ),
  def('BytesReceived', 'Bytes', 'Total', 'The amount of incoming bandwidth consumed by the app, in bytes.'),
  def('BytesSent', 'Bytes', 'Total', 'The amount of outgoing bandwidth consumed by the app, in bytes.'),
];

export const PLAN_METRICS: readonly MetricDefinition[] = [
  def('CpuPercentage', 'Percent', 'Average', 'The average CPU used across all instances of the plan.'),
  def('MemoryPercentage', 'Percent', 'Average', 'The average memory used across all instances of the plan.'),
  def(
    'HttpQueueLength',
    'Count',
    'Average',
    'The average number of HTTP requests waiting in the queue before being fulfilled.',
  ),
];

export const AUTOSCALE_METRICS: readonly MetricDefinition[] = [
  def('ObservedCapacity', 'Count', 'Average', 'The capacity reported to autoscale when it executed.', []),
  def('ScaleActionsInitiated', 'Count', 'Total', 'The direction of the scale operation.', ['ScaleDirection']),
];

export function metricsFor(resourceType: 'site' | 'plan' | 'autoscale'): readonly MetricDefinition[] {
  return resourceType === 'site' ? SITE_METRICS : resourceType === 'plan' ? PLAN_METRICS : AUTOSCALE_METRICS;
}

export function parseAggregation(name: string): AggregationName | undefined {
  const lower = name.trim().toLowerCase();
  return (['average', 'total', 'count', 'minimum', 'maximum'] as const).find((a) => a === lower);
}

/** One request as the front door saw it. */
export interface RequestRecord {
  /** The site or slot resource id that served it. */
  resourceId: string;
  instance: string;
  status: number;
  latencyMs: number;
  bytesReceived: number;
  bytesSent: number;
  timeMs: number;
}

/** Turn a served request into the samples App Service would emit for it. */
export function recordRequest(store: MetricStore, r: RequestRecord): void {
  const dims = { Instance: r.instance };
  const key = (metric: string) => ({ resourceId: r.resourceId, metric, dimensions: dims });
  store.record(key('Requests'), 1, r.timeMs);
  const klass = Math.floor(r.status / 100);
  if (klass >= 2 && klass <= 5) store.record(key(`Http${klass}xx`), 1, r.timeMs);
  store.record(key('HttpResponseTime'), r.latencyMs / 1000, r.timeMs);
  store.record(key('AverageResponseTime'), r.latencyMs / 1000, r.timeMs);
  store.record(key('BytesReceived'), r.bytesReceived, r.timeMs);
  store.record(key('BytesSent'), r.bytesSent, r.timeMs);
}
