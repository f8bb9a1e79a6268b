/*
 * Observe mode's pure parts: metric points into a timeline per sample interval, the capacity the plan
 * reached and when, and a rule's value as the autoscale engine computes it (per instance, then combined
 * by `statistic`). No I/O and no clock: observe.ts reads, this file computes, diagnose.ts explains.
 */
import type { ScaleRule } from './findings.js';

/** One time grain of one series, as Metrics_List returns it; `t` is the grain's start, ms since the epoch. */
export interface Point {
  t: number;
  average?: number | null;
  total?: number | null;
  maximum?: number | null;
  minimum?: number | null;
  count?: number | null;
}

/** One series of one metric; `dimension` is the split value (an instance, a scale direction), if split. */
export interface Series {
  metric: string;
  dimension?: string;
  points: Point[];
}

/** An autoscale event of the Activity Log (or the sandbox's), as observe mode keeps it. */
export interface ScaleEvent {
  t: number;
  /** Azure's localized name: `Autoscale scale up completed`, `Flapping`, `Metric Failure`, … */
  name: string;
  direction: 'Increase' | 'Decrease' | 'None';
  /** `initiated`, `completed`, or `other` (flapping, metric failure or recovery). */
  phase: 'initiated' | 'completed' | 'other';
  from?: number;
  to?: number;
  status?: string;
  profile?: string;
  description?: string;
}

/** The client's figures of one interval (the built-in load generator's LoadInterval, the part used). */
export interface ClientInterval {
  startMs: number;
  requests: number;
  errors: number;
  latency: { p95Ms: number | null };
}

/** One sample interval of the scaling test result. */
export interface TimelineEntry {
  /** Seconds from the start of the observation (the load's start) to the start of this interval. */
  atSeconds: number;
  /** True while the load ran (built-in load) or was declared to run (external). */
  load: boolean;
  /** The capacity at the end of the interval: its last reading (ObservedCapacity, a completed scale event); null without one. */
  capacity: number | null;
  /** The plan's CpuPercentage, average over the interval. */
  cpuPercent: number | null;
  /** The app's Requests (server side) in the interval. */
  requests: number | null;
  /** ScaleActionsInitiated in the interval, by direction. */
  scaleOut: number;
  scaleIn: number;
  /** The built-in load generator's figures; null with external load. */
  clientRequests: number | null;
  clientErrors: number | null;
  clientP95Ms: number | null;
}

const num = (v: number | null | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

export interface TimelineInput {
  startMs: number;
  endMs: number;
  intervalMs: number;
  loadEndMs: number;
  /** Capacity readings in time order (capacityReadings). */
  capacity: readonly { t: number; value: number }[];
  /** ScaleActionsInitiated split by ScaleDirection (dimension Increase / Decrease). */
  scaleActions: readonly Series[];
  cpu: readonly Point[];
  requests: readonly Point[];
  /** Built-in load only, intervals of `intervalMs` from the load's start. */
  client?: readonly ClientInterval[];
}

/** The scaling test's timeline: one entry per sample interval from the start to the end of the observation. */
export function buildTimeline(input: TimelineInput): TimelineEntry[] {
  const { startMs, intervalMs } = input;
  const count = Math.max(1, Math.ceil((input.endMs - startMs) / intervalMs));
  const entries: TimelineEntry[] = Array.from({ length: count }, (_, i) => ({
    atSeconds: round((i * intervalMs) / 1000),
    load: startMs + i * intervalMs < input.loadEndMs,
    capacity: null,
    cpuPercent: null,
    requests: null,
    scaleOut: 0,
    scaleIn: 0,
    clientRequests: input.client ? 0 : null,
    clientErrors: input.client ? 0 : null,
    clientP95Ms: null,
  }));
  // A grain that starts before the observation (metrics align to whole grains) counts in the first interval.
  const at = (t: number) => {
    const i = Math.floor((t - startMs) / intervalMs);
    return i >= count ? undefined : entries[Math.max(0, i)];
  };
  for (const r of input.capacity) {
    const e = at(r.t);
    if (e) e.capacity = r.value;
  }
  const cpu = new Map<TimelineEntry, number[]>();
  for (const p of input.cpu) {
    const v = num(p.average);
    const e = at(p.t);
    if (e && v !== undefined) cpu.set(e, [...(cpu.get(e) ?? []), v]);
  }
  for (const [e, values] of cpu) e.cpuPercent = round(values.reduce((a, b) => a + b, 0) / values.length);
  for (const p of input.requests) {
    const v = num(p.total);
    const e = at(p.t);
    if (e && v !== undefined) e.requests = (e.requests ?? 0) + v;
  }
  for (const s of input.scaleActions) {
    const key = s.dimension?.toLowerCase() === 'decrease' ? 'scaleIn' : 'scaleOut';
    for (const p of s.points) {
      const v = num(p.total) ?? num(p.count);
      const e = at(p.t);
      if (e && v) e[key] += v;
    }
  }
  for (const c of input.client ?? []) {
    const e = at(startMs + c.startMs);
    if (!e) continue;
    e.clientRequests = (e.clientRequests ?? 0) + c.requests;
    e.clientErrors = (e.clientErrors ?? 0) + c.errors;
    if (c.latency.p95Ms !== null) e.clientP95Ms = round(Math.max(e.clientP95Ms ?? 0, c.latency.p95Ms));
  }
  return entries;
}

/** Capacity over time from both signals: ObservedCapacity points and the completed scale events. */
export function capacityReadings(
  capacity: readonly Point[],
  events: readonly ScaleEvent[],
): { t: number; value: number }[] {
  const readings: { t: number; value: number }[] = [];
  for (const p of capacity) {
    const v = num(p.maximum) ?? num(p.average);
    if (v !== undefined) readings.push({ t: p.t, value: v });
  }
  for (const e of events)
    if (e.phase === 'completed' && e.to !== undefined && (e.status ?? 'Succeeded') === 'Succeeded')
      readings.push({ t: e.t, value: e.to });
  return readings.sort((a, b) => a.t - b.t);
}

/** The first time at or after `fromMs` that capacity met `test`, or undefined. */
export function firstReading(
  readings: readonly { t: number; value: number }[],
  fromMs: number,
  test: (capacity: number) => boolean,
): number | undefined {
  return readings.find((r) => r.t >= fromMs && test(r.value))?.t;
}

/** The aggregation an instance's value per grain uses: the metric's primary one in Azure's catalog. */
export function primaryAggregation(metric: string): 'total' | 'average' {
  return /^(requests|http\d\w*|http101|bytes(received|sent)|cputime|requestsinapplicationqueue)$/i.test(
    metric,
  )
    ? 'total'
    : 'average';
}

const OPS: Record<string, (v: number, t: number) => boolean> = {
  GreaterThan: (v, t) => v > t,
  GreaterThanOrEqual: (v, t) => v >= t,
  LessThan: (v, t) => v < t,
  LessThanOrEqual: (v, t) => v <= t,
  Equals: (v, t) => v === t,
  NotEquals: (v, t) => v !== t,
};

/** Whether a value fires the rule's trigger (operator against threshold). */
export function crosses(rule: ScaleRule, value: number): boolean {
  return (OPS[rule.metricTrigger.operator] ?? (() => false))(value, rule.metricTrigger.threshold);
}

/**
 * Combine values as autoscale names it: a rule's `statistic` across instances (Average, Sum, Max, Min,
 * Count) or its `timeAggregation` over the window (Average, Total, Maximum, Minimum, Count, Last). `values`
 * is never empty.
 */
function combine(values: readonly number[], how: string): number {
  switch (how.toLowerCase()) {
    case 'sum':
    case 'total':
      return values.reduce((a, b) => a + b, 0);
    case 'max':
    case 'maximum':
      return Math.max(...values);
    case 'min':
    case 'minimum':
      return Math.min(...values);
    case 'count':
      return values.length;
    case 'last':
      return values[values.length - 1]!;
    default:
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

/**
 * What the engine compares with the threshold: the rule's `timeAggregation` (Average, Minimum, Maximum,
 * Total, Count, Last) of its per-grain values over the `timeWindow` ending at each grain. A per-grain value
 * past the threshold does not scale anything while this stays below it. `values` must be sorted by time;
 * a window holds the values in (t - window, t].
 */
export function windowValues(
  rule: ScaleRule,
  values: readonly { t: number; value: number }[],
  windowMs: number,
): { t: number; value: number }[] {
  const aggregation = rule.metricTrigger.timeAggregation;
  const out: { t: number; value: number }[] = [];
  let start = 0;
  for (let end = 0; end < values.length; end++) {
    const t = values[end]!.t;
    while (values[start]!.t <= t - windowMs) start++;
    const window = values.slice(start, end + 1).map((v) => v.value);
    const value = combine(window, aggregation);
    out.push({ t, value: round(value, 2) });
  }
  return out;
}

/**
 * A rule's value per grain, as the engine computes it (Azure: "statistic: how the metrics from multiple
 * instances are combined"): per instance the metric's primary aggregation; for count metrics an instance
 * without data served nothing (0), up to the capacity then; combined by `statistic`; divided by the
 * capacity with `dividePerInstance`. `series` is the metric split by Instance (one series when unsplit).
 */
export function ruleValues(
  rule: ScaleRule,
  series: readonly Series[],
  capacityAt: (t: number) => number | undefined,
): { t: number; value: number }[] {
  const t = rule.metricTrigger;
  const primary = primaryAggregation(t.metricName);
  const byGrain = new Map<number, number[]>();
  for (const s of series)
    for (const p of s.points) {
      const v =
        primary === 'total' ? (num(p.total) ?? (num(p.count) === undefined ? undefined : 0)) : num(p.average);
      if (v === undefined) continue;
      byGrain.set(p.t, [...(byGrain.get(p.t) ?? []), v]);
    }
  const out: { t: number; value: number }[] = [];
  for (const [time, values] of [...byGrain].sort((a, b) => a[0] - b[0])) {
    const capacity = capacityAt(time);
    const all = [...values];
    if (primary === 'total' && capacity !== undefined) while (all.length < capacity) all.push(0);
    let value = combine(all, t.statistic);
    if (t.dividePerInstance && capacity) value /= capacity;
    out.push({ t: time, value: round(value, 2) });
  }
  return out;
}

/** The capacity at a time: the last reading at or before it (else the first one). */
export function capacityAtFn(
  readings: readonly { t: number; value: number }[],
): (t: number) => number | undefined {
  return (t) => {
    let found: number | undefined = readings[0]?.value;
    for (const r of readings) {
      if (r.t > t) break;
      found = r.value;
    }
    return found;
  };
}
