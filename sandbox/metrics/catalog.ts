/** Azure Monitor's metric catalog per resource type: definitions, namespaces, units and dimensions. */
export type Aggregation = 'Average' | 'Minimum' | 'Maximum' | 'Total' | 'Count';
export const AGGREGATIONS: Aggregation[] = ['Average', 'Minimum', 'Maximum', 'Total', 'Count'];

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
