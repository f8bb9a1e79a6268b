/*
 * Observe mode: drive load at the app (or let something else do it) and follow the plan's capacity until it
 * reaches expect-capacity, then, when asked, until it is back at the minimum after the load. Every wait has
 * a deadline: the load stops by itself after `duration`, scale-out is judged at `scale-out-within` from the
 * load's start, scale-in at `scale-in-within` from its end. Azure, the clock and the load generator are
 * injected (ObserveDeps): default-deps.ts gives the real ones, tests script them.
 */
import { throwIfCancelled } from '../lib/cancellation.js';
import { parseDuration } from '../lib/duration.js';
import { errorMessage } from '../lib/errors.js';
import { redactUrl } from '../lib/redact.js';
import { activeProfile, diagnose, type Observed, type RuleReading } from './diagnose.js';
import type { AutoscaleProfile, AutoscaleSetting, Finding } from './findings.js';
import type { ObserveOptions } from './inputs.js';
import {
  buildTimeline,
  type ClientInterval,
  capacityAtFn,
  capacityReadings,
  firstReading,
  type Point,
  ruleValues,
  type ScaleEvent,
  type Series,
  type TimelineEntry,
  windowValues,
} from './timeline.js';

/** What the built-in load generator is started with (src/lib/load's LoadOptions, the part used). */
export interface LoadStartOptions {
  url: string;
  users: number;
  thinkTimeMs: number;
  rampUpMs: number;
  durationMs: number;
  intervalMs: number;
  signal?: AbortSignal;
}

/** The load generator's report (src/lib/load's LoadReport, the part used). */
export interface LoadSummary {
  durationMs: number;
  stoppedBy: string;
  requests: number;
  errors: number;
  errorsByKind: Record<string, number>;
  requestsPerSecond: number;
  latency: { p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
  intervals: readonly ClientInterval[];
}

export interface LoadHandle {
  done: Promise<LoadSummary>;
  stop(): Promise<LoadSummary>;
}

export type StartLoad = (options: LoadStartOptions) => LoadHandle;

/** One Metrics_List read: metrics of a resource over [fromMs, toMs] at a grain, optionally split by a dimension. */
export interface MetricsRead {
  resourceId: string;
  namespace: string;
  metrics: string[];
  aggregation: string;
  fromMs: number;
  toMs: number;
  grainMs: number;
  splitBy?: string;
}

/** Azure Monitor as observe mode reads it. */
export interface MonitorAccess {
  /** The series read; `grainMs` is the grain Azure answered at (it may be coarser than asked). */
  metrics(read: MetricsRead, signal?: AbortSignal): Promise<{ grainMs: number; series: Series[] }>;
  /** The Activity Log's autoscale events of a setting between two times, oldest first. */
  events(settingId: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<ScaleEvent[]>;
}

export interface ObserveDeps {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  monitor: MonitorAccess;
  /** Loads the built-in load generator (only with load: builtin). */
  loadGenerator(): Promise<StartLoad>;
  log(line: string): void;
  warn(line: string): void;
}

export interface ObserveContext {
  options: ObserveOptions;
  /** The setting that targets the plan (the first enabled one), if any. */
  setting: AutoscaleSetting | undefined;
  planId: string;
  siteId: string;
  targetUrl: string;
}

export interface ObserveResult {
  passed: boolean;
  findings: Finding[];
  targetUrl: string;
  load: 'builtin' | 'external';
  startedAt: string;
  profile: string | undefined;
  expectCapacity: number;
  minimum: number | undefined;
  startCapacity: number | undefined;
  maxCapacity: number | undefined;
  endCapacity: number | undefined;
  scaleOutSeconds: number | undefined;
  scaleInSeconds: number | undefined;
  sampleIntervalMs: number;
  grainMs: number;
  timeline: TimelineEntry[];
  scaleActions: ScaleEvent[];
  rules: { index: number; metric: string; threshold: number; operator: string; highest: number | null }[];
  client?: LoadSummary;
}

const NS = {
  setting: 'microsoft.insights/autoscalesettings',
  plan: 'microsoft.web/serverfarms',
  site: 'microsoft.web/sites',
};

/** The metric namespace of a resource id, when a rule names none. */
function namespaceOf(resourceId: string): string {
  const id = resourceId.toLowerCase();
  if (/\/sites\/[^/]+\/slots\/[^/]+$/.test(id)) return 'microsoft.web/sites/slots';
  if (/\/sites\/[^/]+$/.test(id)) return NS.site;
  return NS.plan;
}

interface Data {
  capacity: Point[];
  scaleActions: Series[];
  cpu: Point[];
  requests: Point[];
  events: ScaleEvent[];
  grainMs: number;
}

const pointsOf = (series: readonly Series[], metric: string) =>
  series.filter((s) => s.metric.toLowerCase() === metric.toLowerCase()).flatMap((s) => s.points);

/** Run observe mode: load, watch, judge. Rejects only on cancellation or when Azure keeps refusing. */
export async function observe(
  ctx: ObserveContext,
  deps: ObserveDeps,
  signal?: AbortSignal,
): Promise<ObserveResult> {
  const o = ctx.options;
  // A target-url may carry a token in its query: logs, the summary and the report show it redacted.
  const shownUrl = redactUrl(ctx.targetUrl);
  const askedGrainMs = Math.min(o.sampleIntervalMs, 60_000);
  const { setting } = ctx;
  let failuresInARow = 0;
  const data: Data = {
    capacity: [],
    scaleActions: [],
    cpu: [],
    requests: [],
    events: [],
    grainMs: askedGrainMs,
  };

  const read = async (fromMs: number, toMs: number): Promise<void> => {
    try {
      const reads = await Promise.all([
        setting
          ? deps.monitor.metrics(
              {
                resourceId: setting.id,
                namespace: NS.setting,
                metrics: ['ObservedCapacity'],
                aggregation: 'Maximum,Average',
                fromMs,
                toMs,
                grainMs: askedGrainMs,
              },
              signal,
            )
          : undefined,
        setting
          ? deps.monitor.metrics(
              {
                resourceId: setting.id,
                namespace: NS.setting,
                metrics: ['ScaleActionsInitiated'],
                aggregation: 'Total,Count',
                fromMs,
                toMs,
                grainMs: askedGrainMs,
                splitBy: 'ScaleDirection',
              },
              signal,
            )
          : undefined,
        deps.monitor.metrics(
          {
            resourceId: ctx.planId,
            namespace: NS.plan,
            metrics: ['CpuPercentage'],
            aggregation: 'Average,Maximum',
            fromMs,
            toMs,
            grainMs: askedGrainMs,
          },
          signal,
        ),
        deps.monitor.metrics(
          {
            resourceId: ctx.siteId,
            namespace: NS.site,
            metrics: ['Requests'],
            aggregation: 'Total',
            fromMs,
            toMs,
            grainMs: askedGrainMs,
          },
          signal,
        ),
        setting ? deps.monitor.events(setting.id, fromMs, toMs, signal) : [],
      ]);
      const [capacity, actions, cpu, requests, events] = reads;
      data.capacity = capacity ? pointsOf(capacity.series, 'ObservedCapacity') : [];
      data.scaleActions = actions?.series ?? [];
      data.cpu = pointsOf(cpu.series, 'CpuPercentage');
      data.requests = pointsOf(requests.series, 'Requests');
      data.events = events;
      data.grainMs = Math.max(capacity?.grainMs ?? 0, cpu.grainMs, requests.grainMs);
      failuresInARow = 0;
    } catch (error) {
      throwIfCancelled(signal);
      failuresInARow++;
      deps.warn(`Reading Azure Monitor failed (${failuresInARow} in a row): ${errorMessage(error)}`);
      if (failuresInARow >= 3) throw error;
    }
  };

  // Before the load: the capacity, the active profile and the bounds it sets.
  const before = deps.now();
  const lookBackMs = Math.max(o.sampleIntervalMs, askedGrainMs) * 3;
  await read(before - lookBackMs, before);
  const readings0 = capacityReadings(data.capacity, data.events);
  let startCapacity = readings0.at(-1)?.value;
  const profile: AutoscaleProfile | undefined = setting
    ? activeProfile(setting, before, data.events)
    : undefined;
  const minimum = profile ? Number(profile.capacity.minimum) : undefined;
  const expectCapacity = o.expectCapacity ?? (minimum ?? startCapacity ?? 1) + 1;

  const t0 = deps.now();
  let loadEndMs = t0 + o.durationMs;
  const outDeadline = t0 + o.scaleOutWithinMs;
  let load: LoadHandle | undefined;
  if (o.load === 'builtin') {
    const startLoad = await deps.loadGenerator();
    deps.log(
      `Load: ${o.users} user(s), think time ${o.thinkTimeMs} ms, ramp-up ${o.rampUpMs} ms, for ${o.durationMs} ms at ${shownUrl}; expecting ${expectCapacity} instance(s) within ${o.scaleOutWithinMs} ms.`,
    );
    load = startLoad({
      url: ctx.targetUrl,
      users: o.users,
      thinkTimeMs: o.thinkTimeMs,
      rampUpMs: o.rampUpMs,
      durationMs: o.durationMs,
      intervalMs: o.sampleIntervalMs,
      ...(signal ? { signal } : {}),
    });
  } else {
    deps.log(
      `Watching (external load) for ${o.durationMs} ms; expecting ${expectCapacity} instance(s) within ${o.scaleOutWithinMs} ms.`,
    );
  }

  let scaleOutAt: number | undefined;
  let scaleInAt: number | undefined;
  const readings = () => capacityReadings(data.capacity, data.events);
  try {
    // Phase 1: until capacity reaches expect-capacity (or the deadline), and the load has ended.
    for (let tick = 1; ; tick++) {
      const now = deps.now();
      const done = now >= loadEndMs && (scaleOutAt !== undefined || now >= outDeadline);
      if (done) break;
      if (scaleOutAt === undefined && now >= outDeadline) {
        // The verdict is in: no need to load (or watch) any longer.
        deps.log(
          `scale-out-within has passed without reaching expect-capacity: ${load ? 'stopping the load' : 'done watching'}.`,
        );
        if (load) await load.stop();
        loadEndMs = Math.min(loadEndMs, now);
        continue;
      }
      const next = Math.min(t0 + tick * o.sampleIntervalMs, Math.max(loadEndMs, outDeadline));
      if (next > now) await deps.sleep(next - now, signal);
      const at = deps.now();
      await read(t0 - lookBackMs, at);
      if (scaleOutAt === undefined) {
        scaleOutAt = firstReading(readings(), t0, (c) => c >= expectCapacity);
        if (scaleOutAt !== undefined && scaleOutAt <= outDeadline)
          deps.log(`Capacity reached ${expectCapacity} after ${((scaleOutAt - t0) / 1000).toFixed(1)} s.`);
      }
      const latest = readings().at(-1);
      deps.log(
        `t+${((at - t0) / 1000).toFixed(0)} s: capacity ${latest?.value ?? '?'}${load ? '' : ' (external load)'}.`,
      );
    }
    const client = load ? await load.done : undefined;
    const loadEnd = client ? t0 + client.durationMs : loadEndMs;
    // Phase 2: back to the minimum after the load, when asked.
    if (
      o.scaleInWithinMs !== undefined &&
      scaleOutAt !== undefined &&
      scaleOutAt <= outDeadline &&
      minimum !== undefined
    ) {
      const inDeadline = loadEnd + o.scaleInWithinMs;
      const from = () => Math.max(loadEnd, scaleOutAt!);
      scaleInAt = firstReading(readings(), from(), (c) => c <= minimum);
      for (let tick = 1; scaleInAt === undefined && deps.now() < inDeadline; tick++) {
        const next = Math.min(loadEnd + tick * o.sampleIntervalMs, inDeadline);
        const now = deps.now();
        if (next > now) await deps.sleep(next - now, signal);
        await read(t0 - lookBackMs, deps.now());
        scaleInAt = firstReading(readings(), from(), (c) => c <= minimum);
        deps.log(
          `after the load +${((deps.now() - loadEnd) / 1000).toFixed(0)} s: capacity ${readings().at(-1)?.value ?? '?'}.`,
        );
      }
    }
    const end = deps.now();
    await read(t0 - lookBackMs, end);
    const all = readings();
    // The capacity before the load, when the first read had none yet (a point not ingested then): the
    // last reading up to the load's start, else the first of the run.
    startCapacity ??= all.filter((r) => r.t <= t0).at(-1)?.value ?? all[0]?.value;
    if (scaleOutAt === undefined) scaleOutAt = firstReading(all, t0, (c) => c >= expectCapacity);
    const during = all.filter((r) => r.t >= t0 - data.grainMs);
    const maxCapacity = during.length ? Math.max(...during.map((r) => r.value)) : startCapacity;
    const scaledOut = scaleOutAt !== undefined && scaleOutAt <= outDeadline;
    // Why it did not scale: each scale-out rule's value over the test, read per instance.
    const rules: RuleReading[] = [];
    if (!scaledOut && profile) {
      const capacityAt = capacityAtFn(all);
      for (const [index, rule] of profile.rules.entries()) {
        if (rule.scaleAction.direction !== 'Increase') continue;
        const t = rule.metricTrigger;
        const windowMs = parseDuration(t.timeWindow);
        try {
          const answer = await deps.monitor.metrics(
            {
              resourceId: t.metricResourceUri,
              namespace: t.metricNamespace?.trim() || namespaceOf(t.metricResourceUri),
              metrics: [t.metricName],
              aggregation: 'Average,Total,Count',
              // From one window before the load: the engine's first windows hold the minutes before it too.
              fromMs: t0 - (windowMs ?? 0),
              toMs: end,
              grainMs: askedGrainMs,
              splitBy: 'Instance',
            },
            signal,
          );
          // The minutes before the load feed the first windows only: findings judge the test's own values.
          const read = ruleValues(rule, answer.series, capacityAt);
          const during = (v: { t: number }) => v.t >= t0;
          rules.push({
            index,
            rule,
            values: read.filter(during),
            grainMs: answer.grainMs,
            ...(windowMs ? { windowed: windowValues(rule, read, windowMs).filter(during) } : {}),
          });
        } catch (error) {
          throwIfCancelled(signal);
          deps.warn(`Reading rules[${index}] ${t.metricName} failed: ${errorMessage(error)}`);
          rules.push({ index, rule, values: [], grainMs: askedGrainMs });
        }
      }
    }
    const observed: Observed = {
      setting,
      profile,
      startCapacity,
      maxCapacity,
      expectCapacity,
      minimum,
      scaleOutWithinMs: o.scaleOutWithinMs,
      ...(o.scaleInWithinMs === undefined ? {} : { scaleInWithinMs: o.scaleInWithinMs }),
      startMs: t0,
      loadEndMs: loadEnd,
      ...(scaleOutAt === undefined ? {} : { scaleOutAtMs: scaleOutAt }),
      ...(scaleInAt === undefined ? {} : { scaleInAtMs: scaleInAt }),
      endCapacity: all.at(-1)?.value,
      events: data.events,
      rules,
      ...(client
        ? { client: { requests: client.requests, errors: client.errors, errorsByKind: client.errorsByKind } }
        : {}),
    };
    const findings = diagnose(observed);
    const timeline = buildTimeline({
      startMs: t0,
      endMs: end,
      intervalMs: o.sampleIntervalMs,
      loadEndMs: loadEnd,
      capacity: all,
      scaleActions: data.scaleActions,
      cpu: data.cpu,
      requests: data.requests,
      ...(client ? { client: client.intervals } : {}),
    });
    const seconds = (ms: number) => Number((ms / 1000).toFixed(1));
    return {
      passed: !findings.some((f) => f.severity === 'error'),
      findings,
      targetUrl: shownUrl,
      load: o.load,
      startedAt: new Date(t0).toISOString(),
      profile: profile?.name,
      expectCapacity,
      minimum,
      startCapacity,
      maxCapacity,
      endCapacity: observed.endCapacity,
      scaleOutSeconds: scaledOut ? seconds(scaleOutAt! - t0) : undefined,
      scaleInSeconds: scaleInAt === undefined ? undefined : seconds(Math.max(0, scaleInAt - loadEnd)),
      sampleIntervalMs: o.sampleIntervalMs,
      grainMs: data.grainMs,
      timeline,
      scaleActions: data.events.filter((e) => e.t >= t0 - lookBackMs),
      rules: rules.map((r) => ({
        index: r.index,
        metric: r.rule.metricTrigger.metricName,
        threshold: r.rule.metricTrigger.threshold,
        operator: r.rule.metricTrigger.operator,
        highest: r.values.length ? Math.max(...r.values.map((v) => v.value)) : null,
      })),
      ...(client ? { client } : {}),
    };
  } finally {
    // On cancellation or an Azure failure, the load must not outlive the step.
    if (load) await load.stop().catch(() => undefined);
  }
}
