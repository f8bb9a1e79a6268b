/*
 * Observe mode's judge: pure functions from what was observed (capacity, the rules' values, the Activity
 * Log's events) to findings AS050..AS058, saying why the plan did not scale when it did not.
 */
import { formatDuration, parseDuration } from '../lib/duration.js';
import {
  type AutoscaleProfile,
  type AutoscaleSetting,
  endProfileFor,
  FINDINGS,
  type Finding,
  type FindingId,
  profileLabel,
  type ScaleRule,
} from './findings.js';
import { crosses, type ScaleEvent } from './timeline.js';

/**
 * The profile the engine runs at `nowMs`: the one the latest Activity Log event names, else a fixed-date
 * profile that covers now, else the default (no schedule). Recurrence profiles are not evaluated here:
 * without an event naming one, the default is assumed (the report says which profile was used).
 */
export function activeProfile(
  setting: AutoscaleSetting,
  nowMs: number,
  events: readonly ScaleEvent[],
): AutoscaleProfile | undefined {
  const named = [...events].reverse().find((e) => e.profile !== undefined)?.profile;
  const byName = named === undefined ? undefined : setting.profiles.find((p) => p.name === named);
  if (byName) return byName;
  const fixed = setting.profiles.find(
    (p) => p.fixedDate && Date.parse(p.fixedDate.start) <= nowMs && nowMs <= Date.parse(p.fixedDate.end),
  );
  if (fixed) return fixed;
  return (
    setting.profiles.find((p) => !p.fixedDate && !p.recurrence) ??
    setting.profiles.find((p) => p.recurrence && endProfileFor(p) !== undefined)
  );
}

/** A scale-out rule's values over the observation, as read and computed by ruleValues. */
export interface RuleReading {
  index: number;
  rule: ScaleRule;
  values: { t: number; value: number }[];
  /** The grain the values were read at, ms. */
  grainMs: number;
  /**
   * The rule's timeAggregation over its timeWindow at each grain (windowValues): what the engine compares.
   * Absent: only the per-grain values are known, and a crossing of those may or may not have fired.
   */
  windowed?: { t: number; value: number }[];
}

export interface Observed {
  setting: AutoscaleSetting | undefined;
  profile: AutoscaleProfile | undefined;
  /** Capacity before the load. */
  startCapacity: number | undefined;
  maxCapacity: number | undefined;
  expectCapacity: number;
  minimum: number | undefined;
  scaleOutWithinMs: number;
  scaleInWithinMs?: number;
  /** When the load started and stopped (or, external, was declared to). */
  startMs: number;
  loadEndMs: number;
  scaleOutAtMs?: number;
  scaleInAtMs?: number;
  /** The last capacity seen. */
  endCapacity: number | undefined;
  events: readonly ScaleEvent[];
  /** The scale-out rules of the active profile, with their values; empty when scaled out in time. */
  rules: readonly RuleReading[];
  /** The built-in load's totals. */
  client?: { requests: number; errors: number; errorsByKind: Record<string, number> };
}

const SYMBOL: Record<string, string> = {
  GreaterThan: '>',
  GreaterThanOrEqual: '>=',
  LessThan: '<',
  LessThanOrEqual: '<=',
  Equals: '=',
  NotEquals: '!=',
};

function finding(
  id: FindingId,
  o: Observed,
  message: string,
  fix: string,
  rule?: { index: number; rule: ScaleRule },
): Finding {
  return {
    id,
    severity: FINDINGS[id].severity,
    ...(o.setting ? { setting: o.setting.name } : {}),
    ...(o.profile ? { profile: o.profile.name } : {}),
    ...(rule ? { rule: { index: rule.index, metric: rule.rule.metricTrigger.metricName } } : {}),
    message,
    fix,
  };
}

const ruleText = (r: RuleReading) =>
  `rules[${r.index}] ${r.rule.metricTrigger.metricName} ${r.rule.metricTrigger.statistic} ${SYMBOL[r.rule.metricTrigger.operator] ?? r.rule.metricTrigger.operator} ${r.rule.metricTrigger.threshold}`;

/** The scale actions the engine initiated, from the Activity Log. */
const initiated = (events: readonly ScaleEvent[]) => events.filter((e) => e.phase === 'initiated');

/** Why capacity did not reach expect-capacity: every reason the data shows. */
function whyNotScaledOut(o: Observed): Finding[] {
  const out: Finding[] = [];
  if (!o.setting)
    return [
      finding(
        'AS054',
        o,
        'no autoscale setting targets the plan: nothing scales it',
        'Create an autoscale setting on the plan with a scale-out rule (run mode: policy for the details).',
      ),
    ];
  if (!o.setting.enabled)
    return [
      finding(
        'AS054',
        o,
        `the autoscale setting ${o.setting.name} is disabled`,
        `Enable it: az monitor autoscale update --ids ${o.setting.id} --enabled true.`,
      ),
    ];
  if (!o.profile)
    return [
      finding(
        'AS054',
        o,
        'no profile of the setting was active',
        'Add a default profile (no schedule) with scale-out rules.',
      ),
    ];
  const profileMax = Number(o.profile.capacity.maximum);
  if (profileMax < o.expectCapacity || (o.maxCapacity !== undefined && o.maxCapacity >= profileMax))
    out.push(
      finding(
        'AS053',
        o,
        `profile ${profileLabel(o.profile.name)} allows at most ${profileMax} instance(s)${o.maxCapacity === undefined ? '' : ` and the plan reached ${o.maxCapacity}`}; expect-capacity is ${o.expectCapacity}`,
        `Raise capacity.maximum of "${profileLabel(o.profile.name)}" to ${o.expectCapacity} or more, or lower expect-capacity.`,
      ),
    );
  if (o.rules.length === 0) {
    out.push(
      finding(
        'AS054',
        o,
        `the active profile ${profileLabel(o.profile.name)} has no scale-out rule`,
        `Add a scale-out rule (Increase) to "${profileLabel(o.profile.name)}".`,
      ),
    );
    return out;
  }
  const failures = o.events.filter((e) => e.name === 'Metric Failure');
  for (const e of failures.slice(0, 3))
    out.push(
      finding(
        'AS057',
        o,
        `the Activity Log reports Metric Failure at ${new Date(e.t).toISOString()}${e.description ? `: ${e.description}` : ''}`,
        'Read the rule from the resource that defines the metric, with its metricNamespace (run mode: policy).',
      ),
    );
  const crossed = o.rules.filter((r) => r.values.some((v) => crosses(r.rule, v.value)));
  for (const r of o.rules) {
    if (crossed.includes(r)) continue;
    const values = r.values.map((v) => v.value);
    const highest = values.length ? Math.max(...values) : undefined;
    const grain = formatDuration(r.grainMs);
    out.push(
      finding(
        'AS051',
        o,
        highest === undefined
          ? `${ruleText(r)} never crossed its threshold: no value of ${r.rule.metricTrigger.metricName} was read during the test`
          : `${ruleText(r)} never crossed its threshold ${r.rule.metricTrigger.threshold}: the highest value seen was ${highest} (${r.rule.metricTrigger.statistic} of the instances per ${grain} grain)`,
        `Drive more load (users, think-time, duration) or lower the threshold of rules[${r.index}] below ${highest ?? 'the values the app reaches'}.`,
        r,
      ),
    );
  }
  if (crossed.length > 0) {
    // The metric crossed: a cooldown from an earlier action, or the window's aggregate stayed below.
    const actions = initiated(o.events);
    let blamed = false;
    for (const r of crossed) {
      const cooldownMs = parseDuration(r.rule.scaleAction.cooldown) ?? 0;
      // The engine acts on the window's aggregate: its crossings, where known, are the ones a cooldown hid.
      const judged = r.windowed?.length ? r.windowed : r.values;
      const crossings = judged.filter((v) => crosses(r.rule, v.value)).map((v) => v.t);
      const inCooldown = (t: number) => actions.some((a) => a.t <= t && t < a.t + cooldownMs);
      if (actions.length > 0 && crossings.length > 0 && crossings.every(inCooldown)) {
        const last = actions.filter((a) => a.t <= crossings[crossings.length - 1]!).pop()!;
        out.push(
          finding(
            'AS052',
            o,
            `${ruleText(r)} crossed its threshold only within the cooldown ${r.rule.scaleAction.cooldown} (${formatDuration(cooldownMs)}) of the scale action at ${new Date(last.t).toISOString()} (${last.from ?? '?'} → ${last.to ?? '?'})`,
            `Shorten the cooldown of rules[${r.index}], or raise scale-out-within past ${formatDuration(cooldownMs)} after the first action.`,
            r,
          ),
        );
        blamed = true;
      }
    }
    if (!blamed && !out.some((f) => f.id === 'AS053' || f.id === 'AS057')) {
      const r = crossed[0]!;
      const highest = Math.max(...r.values.map((v) => v.value));
      const t = r.rule.metricTrigger;
      const windowed = r.windowed?.length ? r.windowed : undefined;
      const windowCrossed = windowed?.some((v) => crosses(r.rule, v.value));
      // With the window's aggregate known, say what it was: below the threshold is the reason itself.
      const why =
        windowed === undefined
          ? `its ${t.timeAggregation} over ${t.timeWindow} likely stayed below, or the load ended too soon`
          : windowCrossed
            ? `its ${t.timeAggregation} over ${t.timeWindow} crossed too (at ${new Date(windowed.find((v) => crosses(r.rule, v.value))!.t).toISOString()}), so the engine had not evaluated it yet or did not act on it`
            : `its ${t.timeAggregation} over ${t.timeWindow}, which the engine compares, peaked at ${Math.max(...windowed.map((v) => v.value))} and never crossed`;
      out.push(
        finding(
          'AS058',
          o,
          `${ruleText(r)} crossed its threshold (highest ${highest} per ${formatDuration(r.grainMs)} grain) but the engine did not scale out: ${why}`,
          windowCrossed
            ? `Give the engine longer to act (scale-out-within), and check the Activity Log for the setting's evaluations.`
            : `Run the load longer than the rule's timeWindow ${t.timeWindow} (duration), or shorten the window.`,
          r,
        ),
      );
    }
  }
  return out;
}

/** Observe mode's findings: pass needs capacity at expect-capacity in time (and back to the minimum, if asked). */
export function diagnose(o: Observed): Finding[] {
  const findings: Finding[] = [];
  const outDeadline = o.startMs + o.scaleOutWithinMs;
  const scaledOut = o.scaleOutAtMs !== undefined && o.scaleOutAtMs <= outDeadline;
  if (!scaledOut) {
    findings.push(
      finding(
        'AS050',
        o,
        `capacity reached ${o.maxCapacity ?? 'no reading'} (from ${o.startCapacity ?? '?'}), not expect-capacity ${o.expectCapacity}, within scale-out-within ${formatDuration(o.scaleOutWithinMs)} of the load's start`,
        'See the findings that follow for why; the timeline in the report shows capacity, CPU and requests per interval.',
      ),
      ...whyNotScaledOut(o),
    );
  } else if (o.scaleInWithinMs !== undefined && o.minimum !== undefined) {
    const inDeadline = o.loadEndMs + o.scaleInWithinMs;
    if (o.scaleInAtMs === undefined || o.scaleInAtMs > inDeadline)
      findings.push(
        finding(
          'AS055',
          o,
          `capacity was ${o.endCapacity ?? '?'} at the end, not back to the minimum ${o.minimum}, ${formatDuration(o.scaleInWithinMs)} after the load stopped${o.events.some((e) => e.name === 'Flapping') ? ' (the Activity Log reports Flapping: the engine held the scale-in)' : ''}`,
          'Check the scale-in rules: every one must fire (their thresholds, windows and cooldowns), and the flapping guard must allow it; or raise scale-in-within.',
        ),
      );
  }
  if (o.client && o.client.errors > 0) {
    const kinds = Object.entries(o.client.errorsByKind)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
    findings.push(
      finding(
        'AS056',
        o,
        `${o.client.errors} of ${o.client.requests} load requests failed (${kinds})`,
        'Look at the app under this load: errors while scaling mean the app is short of instances or warms up slowly.',
      ),
    );
  }
  return findings;
}
