import type { ServedRequest } from './front-door.js';
import type { MetricStore } from './metric-store.js';

/** One request as the front door saw it. */
export type RequestRecord = ServedRequest;

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
