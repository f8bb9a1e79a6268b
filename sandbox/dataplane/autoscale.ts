import { parseDuration } from '../iso8601.js';
import { METRIC_CATALOG, type MetricDefinition } from '../metrics/catalog.js';
import { aggregationValue, type MetricStore } from './metric-store.js';
import { resolveTimeZone, wallClock, zonedTimeToUtc } from './timezones.js';

/** The parts of an autoscale setting (Microsoft.Insights/autoscalesettings, 2022-10-01) the engine uses. */
export interface MetricTrigger {
  metricName: string;
  metricResourceUri: string;
  timeGrain: string;
  statistic: 'Average' | 'Min' | 'Max' | 'Sum' | 'Count';
  timeWindow: string;
  timeAggregation: 'Average' | 'Minimum' | 'Maximum' | 'Total' | 'Count' | 'Last';
  operator: 'Equals' | 'NotEquals' | 'GreaterThan' | 'GreaterThanOrEqual' | 'LessThan' | 'LessThanOrEqual';
  threshold: number;
  dividePerInstance?: boolean;
  dimensions?: { DimensionName: string; Operator: 'Equals' | 'NotEquals'; Values: string[] }[];
}

export interface ScaleAction {
  direction: 'None' | 'Increase' | 'Decrease';
  type: 'ChangeCount' | 'PercentChangeCount' | 'ExactCount' | 'ServiceAllowedNextValue';
  value?: string;
  cooldown: string;
}

export interface ScaleRule {
  metricTrigger: MetricTrigger;
  scaleAction: ScaleAction;
}

export interface AutoscaleProfile {
  name: string;
  capacity: { minimum: string; maximum: string; default: string };
  rules: ScaleRule[];
  fixedDate?: { timeZone?: string; start: string; end: string };
  recurrence?: {
    frequency: string;
    schedule: { timeZone: string; days: string[]; hours: number[]; minutes: number[] };
  };
}

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Sunday = 0. Azure documents day names; its own example sends "1", read here as a weekday number. */
export function parseDay(day: string): number | undefined {
  const lower = day.trim().toLowerCase();
  if (/^[0-6]$/.test(lower)) return Number(lower);
  const index = DAY_NAMES.indexOf(lower);
  return index < 0 ? undefined : index;
}

/** A fixed-date bound: with an offset it is absolute; without one it is wall-clock time in `zone`. */
function fixedInstant(text: string, zone: string): number {
  if (/(Z|[+-]\d\d:?\d\d)$/i.test(text)) return Date.parse(text);
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text);
  if (!m) return Number.NaN;
  return zonedTimeToUtc(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), zone);
}

/** The latest start of a weekly recurrence at or before `nowMs`, or undefined when it never starts. */
export function lastRecurrenceStart(
  recurrence: NonNullable<AutoscaleProfile['recurrence']>,
  nowMs: number,
): number | undefined {
  const zone = resolveTimeZone(recurrence.schedule.timeZone);
  if (!zone) return undefined;
  const days = new Set(recurrence.schedule.days.map(parseDay));
  let latest: number | undefined;
  for (let back = 0; back <= 7; back++) {
    const local = wallClock(nowMs - back * 86_400_000, zone);
    if (!days.has(local.weekday)) continue;
    for (const hour of recurrence.schedule.hours) {
      for (const minute of recurrence.schedule.minutes) {
        const start = zonedTimeToUtc(local.year, local.month, local.day, hour, minute, zone);
        if (start <= nowMs && (latest === undefined || start > latest)) latest = start;
      }
    }
  }
  return latest;
}

/**
 * The profile in force at `nowMs`, as Azure picks it: a fixed-date profile whose window holds now;
 * else the recurrence profile that started most recently; else the default (plain) profile.
 */
export function activeProfile(
  profiles: readonly AutoscaleProfile[],
  nowMs: number,
): AutoscaleProfile | undefined {
  for (const p of profiles) {
    if (!p.fixedDate) continue;
    const zone = resolveTimeZone(p.fixedDate.timeZone) ?? 'UTC';
    if (fixedInstant(p.fixedDate.start, zone) <= nowMs && nowMs <= fixedInstant(p.fixedDate.end, zone))
      return p;
  }
  let best: { profile: AutoscaleProfile; start: number } | undefined;
  for (const p of profiles) {
    if (!p.recurrence) continue;
    const start = lastRecurrenceStart(p.recurrence, nowMs);
    if (start !== undefined && (!best || start > best.start)) best = { profile: p, start };
  }
  return best?.profile ?? profiles.find((p) => !p.fixedDate && !p.recurrence);
}

export function compare(value: number, operator: MetricTrigger['operator'], threshold: number): boolean {
  switch (operator) {
    case 'Equals':
      return value === threshold;
    case 'NotEquals':
      return value !== threshold;
    case 'GreaterThan':
      return value > threshold;
    case 'GreaterThanOrEqual':
      return value >= threshold;
    case 'LessThan':
      return value < threshold;
    case 'LessThanOrEqual':
      return value <= threshold;
  }
}

/** Combine the per-instance values of one time grain, by the rule's statistic. */
export function combineInstances(
  values: readonly number[],
  statistic: MetricTrigger['statistic'],
): number | undefined {
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Min':
      return Math.min(...values);
    case 'Max':
      return Math.max(...values);
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Count':
      return values.length;
  }
}

/** The resource type of an ARM id (`…/providers/Microsoft.Web/sites/x/slots/y` → `microsoft.web/sites/slots`). */
function resourceTypeOf(resourceId: string): string | undefined {
  const tail = resourceId.split(/\/providers\//i).pop();
  if (!tail || tail === resourceId) return undefined;
  const parts = tail.split('/');
  const types = [parts[0]];
  for (let i = 1; i < parts.length; i += 2) types.push(parts[i]);
  return types.join('/').toLowerCase();
}

/**
 * The metric's definition for the rule's resource: `undefined` when the resource type has a catalog that
 * lacks the metric (Azure's UnsupportedMetric, e.g. `Requests` on a plan); `null` when the sandbox has no
 * catalog for the type at all (then the metric is read as an average).
 */
export function metricDefinitionFor(
  resourceUri: string,
  metricName: string,
): MetricDefinition | undefined | null {
  const catalog = METRIC_CATALOG[resourceTypeOf(resourceUri) ?? ''];
  if (!catalog) return null;
  return catalog.metrics.find((d) => d.name.toLowerCase() === metricName.toLowerCase());
}

/** Combine per-grain values over the window, by the trigger's time aggregation. */
export function timeAggregate(
  values: readonly number[],
  aggregation: MetricTrigger['timeAggregation'],
): number | undefined {
  if (values.length === 0) return aggregation === 'Total' || aggregation === 'Count' ? 0 : undefined;
  switch (aggregation) {
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'Total':
      return values.reduce((a, b) => a + b, 0);
    case 'Count':
      return values.length;
    case 'Last':
      return values.at(-1);
  }
}

/** Milliseconds the engine waits for an ISO 8601 duration, compressed by the sandbox's time scale. */
export function scaledMs(duration: string, timeScale: number): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new Error(`not an ISO 8601 duration: ${duration}`);
  return Math.max(1_000, Math.round(ms / timeScale));
}

/**
 * The trigger's metric over its time window ending at `nowMs`, as Azure documents it:
 * 1. per time grain and instance, the metric's own (primary) aggregation: for `Requests` (Total) the
 *    instance's request count in the grain, for `CpuPercentage` (Average) the instance's average;
 * 2. per time grain, the rule's `statistic` combines those per-instance values (Average, Min, Max, Sum,
 *    Count = instances reporting);
 * 3. `timeAggregation` combines the grains over the window;
 * 4. `dividePerInstance` divides the result by the current instance count.
 * For Total/Count metrics an instance without samples in a grain served nothing: it counts as 0, and the
 * instances of a grain are padded with zeros up to `capacity` (so an idle app reads 0, not "no data").
 * A series without an `Instance` dimension counts as one instance. Undefined when there is no value at
 * all, or when the metric is not defined for the resource (see `metricDefinitionFor`).
 */
export function triggerValue(
  store: MetricStore,
  trigger: MetricTrigger,
  nowMs: number,
  capacity: number,
  timeScale = 1,
): number | undefined {
  const definition = metricDefinitionFor(trigger.metricResourceUri, trigger.metricName);
  if (definition === undefined) return undefined;
  const primary = definition?.primary ?? 'Average';
  const additive = primary === 'Total' || primary === 'Count';
  const grainMs = scaledMs(trigger.timeGrain, timeScale);
  const windowMs = scaledMs(trigger.timeWindow, timeScale);
  const filter: Record<string, string> = {};
  for (const d of trigger.dimensions ?? [])
    if (d.Operator === 'Equals' && d.Values.length === 1) filter[d.DimensionName] = d.Values[0]!;
  const perInstance = store.query({
    resourceId: trigger.metricResourceUri,
    metric: trigger.metricName,
    fromMs: nowMs - windowMs,
    toMs: nowMs,
    grainMs,
    filter,
    splitBy: 'Instance',
  });
  const grains = Math.max(0, ...perInstance.map((s) => s.points.length));
  const values: number[] = [];
  for (let i = 0; i < grains; i++) {
    const instances: number[] = [];
    for (const series of perInstance) {
      const bucket = series.points[i]?.bucket;
      if (bucket) instances.push(aggregationValue(bucket, AGGREGATION_NAME[primary]));
    }
    if (additive) while (instances.length < capacity) instances.push(0);
    const combined = combineInstances(instances, trigger.statistic);
    if (combined !== undefined) values.push(combined);
  }
  const value = timeAggregate(values, trigger.timeAggregation);
  if (value === undefined) return undefined;
  return trigger.dividePerInstance ? value / Math.max(1, capacity) : value;
}

const AGGREGATION_NAME = {
  Average: 'average',
  Minimum: 'minimum',
  Maximum: 'maximum',
  Total: 'total',
  Count: 'count',
} as const;

export function nextCapacity(current: number, action: ScaleAction): number {
  const value = Number(action.value ?? '1');
  const sign = action.direction === 'Decrease' ? -1 : 1;
  switch (action.type) {
    case 'ChangeCount':
      return current + sign * value;
    case 'PercentChangeCount':
      return current + sign * Math.max(1, Math.ceil((current * value) / 100));
    case 'ExactCount':
      return value;
    case 'ServiceAllowedNextValue':
      return current + sign;
  }
}

export interface RuleEvaluation {
  metricName: string;
  direction: ScaleAction['direction'];
  value?: number;
  threshold: number;
  operator: MetricTrigger['operator'];
  triggered: boolean;
}

export interface ScaleDecision {
  profile?: string;
  minimum: number;
  maximum: number;
  current: number;
  target: number;
  direction: 'Increase' | 'Decrease' | 'None';
  reason: string;
  /** The cooldown of the rule that acted, in engine milliseconds. */
  cooldownMs?: number;
  /** The scale-in target the flapping guard held back (Azure logs a Flapping event). */
  heldTarget?: number;
  rules: RuleEvaluation[];
}

export interface EvaluationContext {
  nowMs: number;
  capacity: number;
  /** When the cooldown of the last scale action ends. */
  cooldownUntilMs?: number;
  timeScale?: number;
  value: (trigger: MetricTrigger) => number | undefined;
}

/**
 * One autoscale evaluation, as Azure documents it: keep capacity within the active profile's bounds;
 * respect the cooldown; scale out when ANY scale-out rule fires (the largest increase wins); scale in
 * only when ALL scale-in rules fire and the estimated metric after scaling in would not immediately
 * trigger a scale-out (Azure's flapping guard).
 */
export function evaluateAutoscale(
  profiles: readonly AutoscaleProfile[],
  ctx: EvaluationContext,
): ScaleDecision {
  const profile = activeProfile(profiles, ctx.nowMs);
  const base = { current: ctx.capacity, rules: [] as RuleEvaluation[] };
  if (!profile)
    return {
      ...base,
      minimum: ctx.capacity,
      maximum: ctx.capacity,
      target: ctx.capacity,
      direction: 'None',
      reason: 'no profile applies',
    };
  const minimum = Number(profile.capacity.minimum);
  const maximum = Number(profile.capacity.maximum);
  const clamp = (n: number) => Math.min(maximum, Math.max(minimum, n));
  const decision = (
    target: number,
    reason: string,
    cooldownMs?: number,
    rules: RuleEvaluation[] = [],
  ): ScaleDecision => ({
    profile: profile.name,
    minimum,
    maximum,
    current: ctx.capacity,
    target,
    direction: target > ctx.capacity ? 'Increase' : target < ctx.capacity ? 'Decrease' : 'None',
    reason,
    cooldownMs,
    rules,
  });
  if (ctx.capacity < minimum || ctx.capacity > maximum) {
    return decision(
      clamp(ctx.capacity),
      `capacity ${ctx.capacity} is outside profile "${profile.name}" bounds ${minimum}..${maximum}`,
    );
  }
  const rules = profile.rules.map((rule): RuleEvaluation => {
    const value = ctx.value(rule.metricTrigger);
    return {
      metricName: rule.metricTrigger.metricName,
      direction: rule.scaleAction.direction,
      value,
      threshold: rule.metricTrigger.threshold,
      operator: rule.metricTrigger.operator,
      triggered:
        value !== undefined && compare(value, rule.metricTrigger.operator, rule.metricTrigger.threshold),
    };
  });
  if (ctx.cooldownUntilMs !== undefined && ctx.nowMs < ctx.cooldownUntilMs)
    return decision(ctx.capacity, 'in cooldown', undefined, rules);
  const timeScale = ctx.timeScale ?? 1;
  const outs = profile.rules
    .map((r, i) => ({ rule: r, ev: rules[i]! }))
    .filter((x) => x.rule.scaleAction.direction === 'Increase');
  const ins = profile.rules
    .map((r, i) => ({ rule: r, ev: rules[i]! }))
    .filter((x) => x.rule.scaleAction.direction === 'Decrease');
  const firingOut = outs.filter((x) => x.ev.triggered);
  if (firingOut.length > 0) {
    const best = firingOut
      .map((x) => ({ x, target: clamp(nextCapacity(ctx.capacity, x.rule.scaleAction)) }))
      .sort((a, b) => b.target - a.target)[0]!;
    const why = `${best.x.ev.metricName} ${fmt(best.x.ev.value)} ${best.x.ev.operator} ${best.x.ev.threshold}`;
    return decision(
      best.target,
      best.target === ctx.capacity ? `${why}, but already at maximum ${maximum}` : why,
      scaledMs(best.x.rule.scaleAction.cooldown, timeScale),
      rules,
    );
  }
  if (ins.length > 0 && ins.every((x) => x.ev.triggered)) {
    const target = Math.max(...ins.map((x) => clamp(nextCapacity(ctx.capacity, x.rule.scaleAction))));
    if (target < ctx.capacity) {
      // Flapping guard: per-instance values (an Average across instances, or a value divided per
      // instance) rise by current/target after scaling in.
      const projectedOut = outs.find((x) => {
        const t = x.rule.metricTrigger;
        if (x.ev.value === undefined || (t.statistic !== 'Average' && !t.dividePerInstance)) return false;
        return compare(
          (x.ev.value * ctx.capacity) / target,
          x.rule.metricTrigger.operator,
          x.rule.metricTrigger.threshold,
        );
      });
      if (projectedOut)
        return {
          ...decision(
            ctx.capacity,
            `scale-in held: ${projectedOut.ev.metricName} would trigger scale-out at ${target} instances`,
            undefined,
            rules,
          ),
          heldTarget: target,
        };
    }
    const first = ins[0]!;
    return decision(
      target,
      target === ctx.capacity
        ? `all scale-in rules met, but already at minimum ${minimum}`
        : `all scale-in rules met (${first.ev.metricName} ${fmt(first.ev.value)} ${first.ev.operator} ${first.ev.threshold})`,
      scaledMs(first.rule.scaleAction.cooldown, timeScale),
      rules,
    );
  }
  return decision(ctx.capacity, 'no rule fired', undefined, rules);
}

function fmt(value: number | undefined): string {
  return value === undefined ? 'no data' : String(Number(value.toFixed(2)));
}
