import { CancelledError, throwIfCancelled } from '../lib/cancellation.js';
import { errorMessage } from '../lib/errors.js';
import { NAMESPACES } from './catalog.js';
import type { GateCheck } from './checks.js';
import type { QueryRecord, Reading, Window } from './gate.js';
import { type InstanceSeries, type MetricsResponse, readResponse } from './series.js';

/** Metrics_List's parameters, as MonitorClient's `metrics.list` takes them. */
export interface MetricsQuery {
  timespan: string;
  interval: string;
  metricnames: string;
  aggregation: string;
  filter: string;
  top: number;
  metricnamespace: string;
}

/** Azure Monitor's Metrics_List for one resource (MonitorClient in the action, a script in tests). */
export type ListMetrics = (
  resourceId: string,
  query: MetricsQuery,
  signal?: AbortSignal,
) => Promise<MetricsResponse>;

/** What to read: resource ids derived from the inputs, and which metrics each role needs. */
export interface ReadPlan {
  canary: { resourceId: string; namespace: string; metrics: string[] };
  baseline?: { resourceId: string; namespace: string; metrics: string[] };
  plan?: { resourceId: string; namespace: string; metrics: string[] };
  /** ISO 8601 grain, e.g. PT1M (or the sandbox's PT1S). */
  grain: string;
}

/** Every aggregation at once: a check's value is computed from Total and Count, never from averages. */
const AGGREGATION = 'Total,Count,Average,Maximum,Minimum';
/** An instance per series: `top` defaults to 10 with a $filter, which would drop instances 11..30. */
const TOP = 100;
/** Azure Monitor accepts at most 20 metric names per call. */
const MAX_METRICS_PER_CALL = 20;

function unique(names: string[]): string[] {
  const seen = new Map<string, string>();
  for (const name of names) if (!seen.has(name.toLowerCase())) seen.set(name.toLowerCase(), name);
  return [...seen.values()];
}

export function readPlan(
  checks: readonly GateCheck[],
  ids: { canary: string; canaryIsSlot: boolean; baseline?: string; plan?: string },
  grain: string,
): ReadPlan {
  const app = checks.filter((c) => c.resource === 'app');
  const metricsOf = (list: readonly GateCheck[]) =>
    list.flatMap((c) => [c.metric, ...(c.per ? [c.per] : [])]);
  const needsRequests = checks.some((c) => c.minRequests > 0);
  const plan: ReadPlan = {
    canary: {
      resourceId: ids.canary,
      namespace: ids.canaryIsSlot ? NAMESPACES.slot : NAMESPACES.site,
      metrics: unique([...metricsOf(app), ...(needsRequests ? ['Requests'] : [])]),
    },
    grain,
  };
  const compared = checks.filter((c) => c.compare);
  if (compared.length > 0 && ids.baseline)
    plan.baseline = {
      resourceId: ids.baseline,
      namespace: NAMESPACES.site,
      metrics: unique([
        ...metricsOf(compared),
        ...(compared.some((c) => c.minRequests > 0) ? ['Requests'] : []),
      ]),
    };
  const onPlan = checks.filter((c) => c.resource === 'plan');
  if (onPlan.length > 0 && ids.plan)
    plan.plan = { resourceId: ids.plan, namespace: NAMESPACES.plan, metrics: unique(metricsOf(onPlan)) };
  return plan;
}

export function timespan(window: Window): string {
  return `${new Date(window.fromMs).toISOString()}/${new Date(window.toMs).toISOString()}`;
}

/** Whether an error is one no retry mends: a bad request, no permission, no such resource. */
export type IsFatal = (error: unknown) => boolean;

/**
 * Read one window for every role in the plan, in parallel. A failed call (after the client's bounded
 * retries, which honour Retry-After) leaves that role out and names the failure in its query record;
 * `isFatal` errors and cancellation are thrown.
 */
export async function readWindow(
  list: ListMetrics,
  plan: ReadPlan,
  window: Window,
  isFatal: IsFatal,
  signal?: AbortSignal,
): Promise<Reading> {
  const reading: Reading = { queries: [] };
  const roles = (['canary', 'baseline', 'plan'] as const).filter(
    (role) => plan[role] && plan[role].metrics.length > 0,
  );
  await Promise.all(
    roles.map(async (role) => {
      const target = plan[role]!;
      const merged = new Map<string, readonly InstanceSeries[]>();
      for (let i = 0; i < target.metrics.length; i += MAX_METRICS_PER_CALL) {
        const query: MetricsQuery = {
          timespan: timespan(window),
          interval: plan.grain,
          metricnames: target.metrics.slice(i, i + MAX_METRICS_PER_CALL).join(','),
          aggregation: AGGREGATION,
          filter: "Instance eq '*'",
          top: TOP,
          metricnamespace: target.namespace,
        };
        const record: QueryRecord = { role, resourceId: target.resourceId, ...query };
        reading.queries.push(record);
        try {
          for (const [name, series] of readResponse(await list(target.resourceId, query, signal)))
            merged.set(name, series);
        } catch (error) {
          throwIfCancelled(signal);
          if (error instanceof CancelledError || isFatal(error)) throw error;
          record.error = errorMessage(error).split('\n')[0]!;
          return;
        }
      }
      reading[role] = merged;
    }),
  );
  return reading;
}
