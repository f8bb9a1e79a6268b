import { parseDuration } from '../iso8601.js';
import { type Aggregation, METRIC_CATALOG } from '../metrics/catalog.js';
import { aggregate } from '../metrics/query.js';
import type { MetricsSource } from '../metrics/source.js';
import type { EvaluatedCondition, Evaluation } from './book.js';

/**
 * Metric alert evaluation: static-threshold criteria of a `SingleResourceMultipleMetricCriteria` rule over
 * the metrics the sandbox serves, computed as Metrics_List computes a bucket (`aggregate` in
 * metrics/query.ts) over the rule's window. Pure: the clock and the metric source are arguments.
 */

export const METRIC_ALERT_TYPE = 'Microsoft.Insights/metricAlerts';
export const ACTION_GROUP_TYPE = 'Microsoft.Insights/actionGroups';
export const SINGLE_RESOURCE = 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria';

export interface MetricAlertProperties {
  severity: number;
  enabled: boolean;
  scopes: string[];
  evaluationFrequency: string;
  windowSize?: string;
  autoMitigate?: boolean;
  description?: string;
  criteria: { 'odata.type': string; allOf?: Record<string, unknown>[] };
  actions?: { actionGroupId: string; webHookProperties?: Record<string, string> }[];
}

/** A rule the engine can evaluate: its scope, window and frequency read, its criteria all static and known. */
export interface EvaluableRule {
  scope: string;
  resourceType: string;
  windowMs: number;
  frequencyMs: number;
  windowSize: string;
  criteria: StaticCriterion[];
}

interface StaticCriterion {
  name: string;
  metricName: string;
  metricNamespace: string;
  operator: string;
  threshold: number;
  timeAggregation: Aggregation;
  dimensions: { name: string; operator: string; values: string[] }[];
}

const OPERATORS: Record<string, (value: number, threshold: number) => boolean> = {
  Equals: (v, t) => v === t,
  GreaterThan: (v, t) => v > t,
  GreaterThanOrEqual: (v, t) => v >= t,
  LessThan: (v, t) => v < t,
  LessThanOrEqual: (v, t) => v <= t,
};

/**
 * The rule as the engine evaluates it, or why it is stored and not evaluated (dynamic thresholds, several
 * scopes, a resource or metric the sandbox has no metrics for).
 */
export function evaluable(
  properties: MetricAlertProperties,
  resourceTypeOf: (id: string) => string | undefined,
): EvaluableRule | { reason: string } {
  if (properties.criteria['odata.type'] !== SINGLE_RESOURCE)
    return { reason: `criteria of type '${properties.criteria['odata.type']}' are not evaluated` };
  if (properties.scopes.length !== 1) return { reason: 'a rule with several scopes is not evaluated' };
  const scope = properties.scopes[0]!;
  const resourceType = resourceTypeOf(scope);
  const catalog = resourceType ? METRIC_CATALOG[resourceType.toLowerCase()] : undefined;
  if (!resourceType || !catalog) return { reason: `the sandbox serves no metrics for '${scope}'` };
  const frequencyMs = parseDuration(properties.evaluationFrequency);
  const windowMs = properties.windowSize ? parseDuration(properties.windowSize) : undefined;
  if (!frequencyMs || !windowMs) return { reason: 'evaluationFrequency and windowSize are needed' };
  const criteria: StaticCriterion[] = [];
  for (const c of properties.criteria.allOf ?? []) {
    if (c['criterionType'] !== 'StaticThresholdCriterion')
      return { reason: `criterion '${String(c['name'])}' is not a static threshold` };
    const metric = catalog.metrics.find(
      (d) => d.name.toLowerCase() === String(c['metricName']).toLowerCase(),
    );
    if (!metric)
      return { reason: `the sandbox serves no metric '${String(c['metricName'])}' for ${resourceType}` };
    const dimensions = (
      (c['dimensions'] ?? []) as { name: string; operator: string; values: string[] }[]
    ).map((d) => ({
      ...d,
      name: metric.dimensions.find((x) => x.toLowerCase() === d.name.toLowerCase()) ?? '',
    }));
    if (dimensions.some((d) => d.name === ''))
      return { reason: `criterion '${String(c['name'])}' names a dimension ${metric.name} does not have` };
    criteria.push({
      name: String(c['name']),
      metricName: metric.name,
      metricNamespace: catalog.namespace,
      operator: String(c['operator']),
      threshold: Number(c['threshold']),
      timeAggregation: c['timeAggregation'] as Aggregation,
      dimensions,
    });
  }
  if (criteria.length === 0) return { reason: 'the rule has no criteria' };
  return { scope, resourceType, windowMs, frequencyMs, windowSize: properties.windowSize!, criteria };
}

/**
 * Evaluate every criterion over the window ending now (the window and frequency compressed by
 * `timeScale`). A count metric (Total or Count) without samples reads 0, as an idle app serves no
 * errors; another aggregation without samples has no value and its condition is not met.
 */
export function evaluate(
  rule: EvaluableRule,
  source: MetricsSource,
  nowMs: number,
  timeScale: number,
): Evaluation {
  const windowStartMs = nowMs - rule.windowMs / timeScale;
  const conditions = rule.criteria.map((c): EvaluatedCondition => {
    const samples = source.samples(rule.scope, c.metricName, windowStartMs, nowMs).filter((s) =>
      c.dimensions.every((d) => {
        if (d.values.includes('*')) return true;
        const inValues = d.values.includes(s.dimensions?.[d.name] ?? '');
        return d.operator.toLowerCase() === 'exclude' ? !inValues : inValues;
      }),
    );
    const bucket = aggregate(samples, [c.timeAggregation], '');
    const key = c.timeAggregation.toLowerCase() as 'average' | 'minimum' | 'maximum' | 'total' | 'count';
    const counted = c.timeAggregation === 'Total' || c.timeAggregation === 'Count';
    const metricValue = bucket[key] ?? (counted ? 0 : undefined);
    const test = OPERATORS[c.operator];
    return {
      name: c.name,
      metricName: c.metricName,
      metricNamespace: c.metricNamespace,
      operator: c.operator,
      threshold: c.threshold,
      timeAggregation: c.timeAggregation,
      dimensions: c.dimensions.flatMap((d) => d.values.map((value) => ({ name: d.name, value }))),
      metricValue,
      met: metricValue !== undefined && (test?.(metricValue, c.threshold) ?? false),
    };
  });
  return {
    windowStartMs,
    windowEndMs: nowMs,
    windowSize: rule.windowSize,
    conditions,
    met: conditions.every((c) => c.met),
  };
}
