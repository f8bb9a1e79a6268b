/**
 * The Azure Monitor metrics a gate may read, by resource: App Service sites and slots (the same names),
 * and App Service plans. From Microsoft's "Supported metrics" reference for Microsoft.Web/sites and
 * Microsoft.Web/serverfarms. A name outside this list is a typo caught before any query, not an
 * empty series hours into a release. Units decide which threshold units make sense.
 */
export type MetricUnit = 'Count' | 'Seconds' | 'Bytes' | 'BytesPerSecond' | 'CountPerSecond' | 'Percent';

export const APP_METRICS: Readonly<Record<string, MetricUnit>> = {
  AppConnections: 'Count',
  AverageMemoryWorkingSet: 'Bytes',
  AverageResponseTime: 'Seconds',
  BytesReceived: 'Bytes',
  BytesSent: 'Bytes',
  CpuTime: 'Seconds',
  CurrentAssemblies: 'Count',
  FileSystemUsage: 'Bytes',
  Gen0Collections: 'Count',
  Gen1Collections: 'Count',
  Gen2Collections: 'Count',
  Handles: 'Count',
  HealthCheckStatus: 'Count',
  Http101: 'Count',
  Http2xx: 'Count',
  Http3xx: 'Count',
  Http401: 'Count',
  Http403: 'Count',
  Http404: 'Count',
  Http406: 'Count',
  Http4xx: 'Count',
  Http5xx: 'Count',
  HttpResponseTime: 'Seconds',
  IoOtherBytesPerSecond: 'BytesPerSecond',
  IoOtherOperationsPerSecond: 'CountPerSecond',
  IoReadBytesPerSecond: 'BytesPerSecond',
  IoReadOperationsPerSecond: 'CountPerSecond',
  IoWriteBytesPerSecond: 'BytesPerSecond',
  IoWriteOperationsPerSecond: 'CountPerSecond',
  MemoryWorkingSet: 'Bytes',
  PrivateBytes: 'Bytes',
  Requests: 'Count',
  RequestsInApplicationQueue: 'Count',
  Threads: 'Count',
  TotalAppDomains: 'Count',
  TotalAppDomainsUnloaded: 'Count',
};

export const PLAN_METRICS: Readonly<Record<string, MetricUnit>> = {
  BytesReceived: 'Bytes',
  BytesSent: 'Bytes',
  CpuPercentage: 'Percent',
  DiskQueueLength: 'Count',
  HttpQueueLength: 'Count',
  MemoryPercentage: 'Percent',
  SocketInboundAll: 'Count',
  SocketLoopback: 'Count',
  SocketOutboundAll: 'Count',
  SocketOutboundEstablished: 'Count',
  SocketOutboundTimeWait: 'Count',
  TcpCloseWait: 'Count',
  TcpClosing: 'Count',
  TcpEstablished: 'Count',
  TcpFinWait1: 'Count',
  TcpFinWait2: 'Count',
  TcpLastAck: 'Count',
  TcpSynReceived: 'Count',
  TcpSynSent: 'Count',
  TcpTimeWait: 'Count',
};

export type MetricResource = 'app' | 'plan';

/** The catalog of a resource; names are matched case-insensitively, as Azure Monitor does. */
export function findMetric(
  resource: MetricResource,
  name: string,
): { name: string; unit: MetricUnit } | undefined {
  const catalog = resource === 'app' ? APP_METRICS : PLAN_METRICS;
  const found = Object.keys(catalog).find((known) => known.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : { name: found, unit: catalog[found]! };
}

/** Azure Monitor's metric namespaces: a slot's metrics live under sites/slots, not sites. */
export const NAMESPACES = {
  site: 'Microsoft.Web/sites',
  slot: 'Microsoft.Web/sites/slots',
  plan: 'Microsoft.Web/serverFarms',
} as const;
