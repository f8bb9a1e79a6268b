import { HttpProblem, sendJson } from '../../../http.js';
import { metricDefinitionsBody, metricNamespacesBody } from '../../../metrics/catalog.js';
import { queryMetrics } from '../../../metrics/query.js';
import { type Call, ProviderBase } from '../../context.js';

/** Azure Monitor's Metrics_List, metric definitions and namespaces, on any resource the store holds. */
export class Metrics extends ProviderBase {
  answer(c: Call, kind: 'metrics' | 'definitions' | 'namespaces'): void {
    const resourceUri = c.m[1]!;
    const resource = this.store.get(resourceUri);
    if (!resource) {
      const type =
        /\/providers\/(.+)\/[^/]+$/i.exec(resourceUri)?.[1]?.replace(/\/[^/]+\//g, '/') ?? 'resource';
      throw new HttpProblem(
        404,
        'ResourceNotFound',
        `The Resource '${type}/${resourceUri.split('/').pop()}' was not found.`,
      );
    }
    if (kind === 'definitions') sendJson(c.res, 200, metricDefinitionsBody(resource.id, resource.type));
    else if (kind === 'namespaces') sendJson(c.res, 200, metricNamespacesBody(resource.id, resource.type));
    else
      sendJson(
        c.res,
        200,
        queryMetrics(
          resource.id,
          resource.type,
          resource.location ?? '',
          c.url.searchParams,
          this.hooks.metrics,
          this.clock.now(),
        ),
      );
  }
}
