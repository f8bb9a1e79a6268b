import { formatDuration, parseDuration } from '../lib/duration.js';
import type { BusinessHours, Policy } from './policy.js';

/*
 * The policy judge: pure functions from autoscale settings (as Azure Monitor returns them, in the shape of
 * @azure/arm-monitor's AutoscaleSettingResource, dates as ISO text) to findings. Every finding has a stable
 * id; FINDINGS is the catalog, and the README of examples/verify-autoscale lists it.
 *
 * How the engine behaves (docs: autoscale-understanding-settings, autoscale-flapping): a profile is chosen
 * fixedDate first, then recurrence, then the default; a recurrence profile holds until another recurrence
 * profile starts; any triggered scale-out rule scales out, but scale-in needs every scale-in rule; the
 * cooldown of the rule that fired blocks both directions.
 */

export interface MetricTrigger {
  metricName: string;
  metricNamespace?: string;
  metricResourceUri: string;
  timeGrain: string;
  statistic: string;
  timeWindow: string;
  timeAggregation: string;
  operator: string;
  threshold: number;
  dividePerInstance?: boolean;
}

export interface ScaleAction {
  direction: string;
  type: string;
  value?: string;
  cooldown: string;
}

export interface ScaleRule {
  metricTrigger: MetricTrigger;
  scaleAction: ScaleAction;
}

export interface RecurrentSchedule {
  timeZone: string;
  days: string[];
  hours: number[];
  minutes: number[];
}

export interface AutoscaleProfile {
  name: string;
  capacity: { minimum: string; maximum: string; default: string };
  rules: ScaleRule[];
  fixedDate?: { timeZone?: string; start: string; end: string };
  recurrence?: { frequency: string; schedule: RecurrentSchedule };
}

export interface AutoscaleSetting {
  id: string;
  name: string;
  enabled: boolean;
  targetResourceUri: string;
  profiles: AutoscaleProfile[];
}

export type Severity = 'error' | 'warning';

export interface Finding {
  id: FindingId;
  severity: Severity;
  /** The setting's name; absent when there is none. */
  setting?: string;
  /** The profile's name as Azure stores it (the portal's end profiles have a JSON name). */
  profile?: string;
  /** The rule's index in its profile's `rules` and its metric. */
  rule?: { index: number; metric: string };
  message: string;
  /** What to change, on one line. */
  fix: string;
}

/** Every finding, with its severity and what it is about. Ids never change meaning. */
export const FINDINGS = {
  AS001: { severity: 'error', title: 'no autoscale setting targets the plan' },
  AS002: { severity: 'error', title: 'the autoscale setting is disabled' },
  AS010: { severity: 'error', title: 'profile minimum below the policy minimum' },
  AS011: { severity: 'error', title: 'profile maximum below the policy maximum' },
  AS012: { severity: 'error', title: 'profile maximum above the policy maximum' },
  AS013: { severity: 'error', title: 'default capacity outside the profile minimum..maximum' },
  AS020: { severity: 'error', title: 'no scale-out rule on CPU' },
  AS021: { severity: 'error', title: 'no scale-out rule on requests' },
  AS022: { severity: 'error', title: 'no business-hours profile' },
  AS023: { severity: 'error', title: 'business-hours minimum below the policy' },
  AS024: { severity: 'error', title: 'recurrence profile without an end profile' },
  AS025: { severity: 'error', title: 'business hours end at another time than the policy' },
  AS026: { severity: 'error', title: 'recurrence profile without a time zone' },
  AS027: { severity: 'warning', title: 'business hours in another time zone than the policy' },
  AS030: { severity: 'error', title: 'site metric read from the plan (UnsupportedMetric)' },
  AS031: { severity: 'error', title: 'plan metric read from a site' },
  AS032: { severity: 'error', title: 'rule without metricNamespace' },
  AS033: { severity: 'warning', title: "metricNamespace does not match the resource's type" },
  AS034: { severity: 'warning', title: 'rule reads a deployment slot' },
  AS040: { severity: 'error', title: 'scale-out rules without any scale-in rule' },
  AS041: { severity: 'warning', title: 'scale-out without a scale-in on the same metric' },
  AS042: { severity: 'error', title: 'scale-out and scale-in thresholds too close (flapping)' },
  AS043: { severity: 'error', title: 'cooldown below the policy minimum' },
  AS044: { severity: 'error', title: 'scale step above the policy maximum' },
  // Observe mode: what happened under load, and why it did not scale.
  AS050: { severity: 'error', title: 'capacity did not reach expect-capacity within scale-out-within' },
  AS051: { severity: 'error', title: 'the scale-out metric never crossed its threshold' },
  AS052: { severity: 'error', title: 'a cooldown was running when the metric crossed' },
  AS053: { severity: 'error', title: 'the plan was at its maximum' },
  AS054: { severity: 'error', title: 'no active rule could scale out' },
  AS055: { severity: 'error', title: 'capacity did not return to the minimum within scale-in-within' },
  AS056: { severity: 'warning', title: 'the load saw errors' },
  AS057: { severity: 'error', title: 'the autoscale engine could not read a metric (Metric Failure)' },
  AS058: { severity: 'error', title: 'the metric crossed its threshold but the engine did not scale' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type FindingId = keyof typeof FINDINGS;

/** App Service site metrics: an autoscale rule on the plan cannot read them (azure-cli#8564). */
const SITE_METRICS = new Set(
  [
    'Requests',
    'Http2xx',
    'Http3xx',
    'Http4xx',
    'Http5xx',
    'Http101',
    'Http401',
    'Http403',
    'Http404',
    'Http406',
    'HttpResponseTime',
    'AverageResponseTime',
    'CpuTime',
    'MemoryWorkingSet',
    'AverageMemoryWorkingSet',
    'HealthCheckStatus',
    'AppConnections',
    'Handles',
    'Threads',
  ].map((m) => m.toLowerCase()),
);
/** App Service plan metrics: a site has none of them. */
const PLAN_METRICS = new Set(
  ['CpuPercentage', 'MemoryPercentage', 'HttpQueueLength', 'DiskQueueLength'].map((m) => m.toLowerCase()),
);
/** Metrics in percent, where a gap in percentage points means what the policy says. */
const PERCENT_METRICS = new Set(['cpupercentage', 'memorypercentage']);

type ResourceKind = 'plan' | 'site' | 'slot' | 'other';

function resourceKind(uri: string): ResourceKind {
  const id = uri.toLowerCase();
  if (/\/providers\/microsoft\.web\/serverfarms\/[^/]+$/.test(id)) return 'plan';
  if (/\/providers\/microsoft\.web\/sites\/[^/]+\/slots\/[^/]+$/.test(id)) return 'slot';
  if (/\/providers\/microsoft\.web\/sites\/[^/]+$/.test(id)) return 'site';
  return 'other';
}

const NAMESPACE_OF: Partial<Record<ResourceKind, string>> = {
  plan: 'microsoft.web/serverfarms',
  site: 'microsoft.web/sites',
  slot: 'microsoft.web/sites/slots',
};

const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const isOut = (r: ScaleRule) => r.scaleAction.direction === 'Increase';
const isIn = (r: ScaleRule) => r.scaleAction.direction === 'Decrease';
const metricIs = (r: ScaleRule, name: string) => r.metricTrigger.metricName.toLowerCase() === name;
const sameMetric = (a: ScaleRule, b: ScaleRule) =>
  a.metricTrigger.metricName.toLowerCase() === b.metricTrigger.metricName.toLowerCase() &&
  sameId(a.metricTrigger.metricResourceUri, b.metricTrigger.metricResourceUri);
const isAbove = (op: string) => op === 'GreaterThan' || op === 'GreaterThanOrEqual';
const isBelow = (op: string) => op === 'LessThan' || op === 'LessThanOrEqual';
const SYMBOL: Record<string, string> = {
  GreaterThan: '>',
  GreaterThanOrEqual: '>=',
  LessThan: '<',
  LessThanOrEqual: '<=',
  Equals: '=',
  NotEquals: '!=',
};

/** The portal ends a recurrence profile with a copy of the default named `{"name":"…","for":"<profile>"}`. */
export function endProfileFor(profile: AutoscaleProfile): string | undefined {
  if (!profile.name.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(profile.name) as { for?: unknown };
    return typeof parsed.for === 'string' ? parsed.for : undefined;
  } catch {
    return undefined;
  }
}

/** A profile's name as people read it: the portal's end profiles by what they end. */
export function profileLabel(name: string): string {
  if (!name.startsWith('{')) return name;
  try {
    const parsed = JSON.parse(name) as { name?: unknown; for?: unknown };
    if (typeof parsed.for === 'string')
      return `${typeof parsed.name === 'string' ? parsed.name : 'end'} (ends ${parsed.for})`;
  } catch {
    // Not the portal's form: the name as it is.
  }
  return name;
}

const pad = (n: number) => String(n).padStart(2, '0');
const clock = (minute: number) => `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;

/** The times of day a recurrence profile starts at, in minutes after midnight. */
function startMinutes(schedule: RecurrentSchedule): number[] {
  const hours = schedule.hours.length ? schedule.hours : [0];
  const minutes = schedule.minutes.length ? schedule.minutes : [0];
  return hours.flatMap((h) => minutes.map((m) => h * 60 + m));
}

const dayIn = (days: readonly string[], day: string) =>
  days.some((d) => d.toLowerCase() === day.toLowerCase());
const coversDays = (schedule: RecurrentSchedule, days: readonly string[]) =>
  days.every((d) => dayIn(schedule.days, d));
const overlapsDays = (a: RecurrentSchedule, b: RecurrentSchedule) => a.days.some((d) => dayIn(b.days, d));

function describeSchedule(schedule: RecurrentSchedule): string {
  const zone = schedule.timeZone?.trim() ? ` ${schedule.timeZone}` : ' (no time zone)';
  return `${schedule.days.join(', ')} at ${startMinutes(schedule).map(clock).join(', ')}${zone}`;
}

/** Instances one scale action can add or remove, at worst, within the profile's bounds. */
function largestStep(rule: ScaleRule, min: number, max: number): number | undefined {
  const value = Number(rule.scaleAction.value ?? '1');
  if (!Number.isFinite(value)) return undefined;
  const span = Math.max(0, max - min);
  switch (rule.scaleAction.type) {
    case 'ChangeCount':
      return Math.min(value, span);
    case 'PercentChangeCount':
      // Azure rounds a percentage change up; the biggest step comes from the largest count.
      return Math.min(Math.ceil((max * value) / 100), span);
    case 'ExactCount':
      return Math.max(Math.abs(value - min), Math.abs(max - value));
    default:
      return undefined; // ServiceAllowedNextValue: the service picks the next size.
  }
}

export interface JudgeContext {
  policy: Policy;
  /** The App Service plan's resource id: the target every setting must have. */
  planId: string;
  /** The app's resource id: where a Requests rule should read. */
  siteId: string;
}

class Collector {
  readonly list: Finding[] = [];
  constructor(readonly setting?: string) {}
  add(
    id: FindingId,
    where: { profile?: AutoscaleProfile; rule?: { index: number; rule: ScaleRule } },
    message: string,
    fix: string,
  ): void {
    this.list.push({
      id,
      severity: FINDINGS[id].severity,
      ...(this.setting === undefined ? {} : { setting: this.setting }),
      ...(where.profile ? { profile: where.profile.name } : {}),
      ...(where.rule
        ? { rule: { index: where.rule.index, metric: where.rule.rule.metricTrigger.metricName } }
        : {}),
      message,
      fix,
    });
  }
}

function ruleText(index: number, rule: ScaleRule): string {
  const t = rule.metricTrigger;
  return `rules[${index}] (${t.metricName} ${SYMBOL[t.operator] ?? t.operator} ${t.threshold}, ${rule.scaleAction.direction === 'Increase' ? 'out' : rule.scaleAction.direction === 'Decrease' ? 'in' : 'no change'})`;
}

function checkCapacity(c: Collector, profile: AutoscaleProfile, policy: Policy): void {
  const min = Number(profile.capacity.minimum);
  const max = Number(profile.capacity.maximum);
  const def = Number(profile.capacity.default);
  const where = { profile };
  if (min < policy.minInstances)
    c.add(
      'AS010',
      where,
      `capacity minimum ${min} is below the policy's min-instances ${policy.minInstances}: one instance failing or restarting leaves too few`,
      `Set capacity.minimum to ${policy.minInstances} or more.`,
    );
  if (max < policy.maxInstances)
    c.add(
      'AS011',
      where,
      `capacity maximum ${max} is below the policy's max-instances ${policy.maxInstances}: under load it stops scaling early`,
      `Set capacity.maximum to ${policy.maxInstances}.`,
    );
  if (max > policy.maxInstances)
    c.add(
      'AS012',
      where,
      `capacity maximum ${max} is above the policy's max-instances ${policy.maxInstances}: a runaway scale-out costs more than agreed`,
      `Set capacity.maximum to ${policy.maxInstances}.`,
    );
  if (!(min <= def && def <= max))
    c.add(
      'AS013',
      where,
      `capacity default ${def} is outside minimum ${min}..maximum ${max}; the default is what Azure applies when it cannot read the metrics`,
      `Set capacity.default between ${min} and ${max}.`,
    );
}

function checkRules(c: Collector, profile: AutoscaleProfile, ctx: JudgeContext): void {
  const { policy } = ctx;
  const min = Number(profile.capacity.minimum);
  const max = Number(profile.capacity.maximum);
  profile.rules.forEach((rule, index) => {
    const t = rule.metricTrigger;
    const where = { profile, rule: { index, rule } };
    const name = t.metricName.toLowerCase();
    const kind = resourceKind(t.metricResourceUri);
    if (SITE_METRICS.has(name) && kind === 'plan')
      c.add(
        'AS030',
        where,
        `${ruleText(index, rule)} reads ${t.metricName} from the plan, which has no such metric: Azure fails the rule with UnsupportedMetric`,
        `Set metricResourceUri to the app (${ctx.siteId}) and metricNamespace to microsoft.web/sites.`,
      );
    if (PLAN_METRICS.has(name) && (kind === 'site' || kind === 'slot'))
      c.add(
        'AS031',
        where,
        `${ruleText(index, rule)} reads ${t.metricName} from a site, which has no such metric (it is the plan's)`,
        `Set metricResourceUri to the plan (${ctx.planId}) and metricNamespace to microsoft.web/serverfarms.`,
      );
    const namespace = t.metricNamespace?.trim() ?? '';
    const expected = NAMESPACE_OF[kind];
    if (namespace === '')
      c.add(
        'AS032',
        where,
        `${ruleText(index, rule)} has no metricNamespace: Azure accepts it, then reports MetricFailure hours later and falls back to the default capacity`,
        `Set metricNamespace to ${expected ?? "the metric's namespace"}.`,
      );
    else if (expected && namespace.toLowerCase() !== expected)
      c.add(
        'AS033',
        where,
        `${ruleText(index, rule)} has metricNamespace ${namespace}, but its metricResourceUri is a ${kind}`,
        `Set metricNamespace to ${expected}.`,
      );
    if (kind === 'slot')
      c.add(
        'AS034',
        where,
        `${ruleText(index, rule)} reads a deployment slot (${t.metricResourceUri}), not the production app: production's load does not count`,
        `Set metricResourceUri to the app (${ctx.siteId}).`,
      );
    if (isOut(rule) && !profile.rules.some((other) => isIn(other) && sameMetric(rule, other)))
      c.add(
        'AS041',
        where,
        `${ruleText(index, rule)} scales out on ${t.metricName} with no scale-in rule on it: after scaling out, the scale-in rules may remove instances this metric still needs, and the two flap`,
        `Add a scale-in rule on ${t.metricName} with a threshold well below ${t.threshold}.`,
      );
    const cooldownMs = parseDuration(rule.scaleAction.cooldown);
    if (cooldownMs !== undefined && cooldownMs < policy.minCooldownMs)
      c.add(
        'AS043',
        where,
        `${ruleText(index, rule)} has cooldown ${rule.scaleAction.cooldown}, below the policy's min-cooldown ${formatDuration(policy.minCooldownMs)}: new instances have no time to warm up before the next decision`,
        `Set scaleAction.cooldown to PT${Math.ceil(policy.minCooldownMs / 60_000)}M or more.`,
      );
    const step = largestStep(rule, min, max);
    if (step !== undefined && step > policy.maxScaleStep && rule.scaleAction.direction !== 'None')
      c.add(
        'AS044',
        where,
        `${ruleText(index, rule)} can change the count by ${step} instances at once (${rule.scaleAction.type} ${rule.scaleAction.value ?? ''}), above the policy's max-scale-step ${policy.maxScaleStep}`,
        `Use scaleAction.type ChangeCount with a value of at most ${policy.maxScaleStep}.`,
      );
  });
  // Flapping: out and in on the same percentage metric, thresholds too close (or crossed).
  profile.rules.forEach((out, o) => {
    if (!isOut(out) || !isAbove(out.metricTrigger.operator)) return;
    if (!PERCENT_METRICS.has(out.metricTrigger.metricName.toLowerCase())) return;
    profile.rules.forEach((inRule, i) => {
      if (!isIn(inRule) || !isBelow(inRule.metricTrigger.operator) || !sameMetric(out, inRule)) return;
      const gap = out.metricTrigger.threshold - inRule.metricTrigger.threshold;
      if (gap >= policy.minThresholdGap) return;
      c.add(
        'AS042',
        { profile, rule: { index: i, rule: inRule } },
        `${ruleText(i, inRule)} and ${ruleText(o, out)} are ${gap} points apart, less than the policy's min-threshold-gap ${policy.minThresholdGap}: removing an instance pushes the others past the scale-out threshold, and the engine flaps`,
        `Lower the scale-in threshold to ${out.metricTrigger.threshold - policy.minThresholdGap} or less (or raise the scale-out one).`,
      );
    });
  });
  const fixed = min === max;
  if (fixed) return; // A fixed-count profile cannot scale: its rules are not asked for.
  const outs = profile.rules.filter(isOut);
  if (outs.length > 0 && !profile.rules.some(isIn))
    c.add(
      'AS040',
      { profile },
      `it has scale-out rules but no scale-in rule: once scaled out, it stays at the higher count until the profile ends`,
      'Add a scale-in rule for each scale-out rule (for CPU: Decrease by 1 when the average is below 30%).',
    );
  if (policy.require.includes('cpu') && !outs.some((r) => metricIs(r, 'cpupercentage')))
    c.add(
      'AS020',
      { profile },
      'it has no scale-out rule on CpuPercentage: CPU load never adds instances',
      `Add a rule: CpuPercentage of the plan, Average over PT10M, GreaterThan 70, Increase by 1, cooldown PT5M.`,
    );
  if (policy.require.includes('requests') && !outs.some((r) => metricIs(r, 'requests')))
    c.add(
      'AS021',
      { profile },
      'it has no scale-out rule on Requests: a traffic spike adds instances only once CPU rises',
      `Add a rule: Requests of the app (${ctx.siteId}), namespace microsoft.web/sites, Sum per instance over PT5M, GreaterThan a per-instance rate, Increase by 1.`,
    );
}

function checkRecurrences(c: Collector, setting: AutoscaleSetting): void {
  const recurring = setting.profiles.filter((p) => p.recurrence);
  for (const profile of recurring) {
    const schedule = profile.recurrence!.schedule;
    if (!schedule.timeZone?.trim())
      c.add(
        'AS026',
        { profile },
        `its recurrence (${describeSchedule(schedule)}) has no time zone: the schedule runs in UTC, hours off local business hours`,
        'Set recurrence.schedule.timeZone, for example "W. Europe Standard Time".',
      );
    if (endProfileFor(profile) !== undefined) continue; // An end profile ends another; nothing ends it.
    const ended = recurring.some(
      (other) =>
        other !== profile &&
        (endProfileFor(other) === profile.name || overlapsDays(other.recurrence!.schedule, schedule)),
    );
    if (!ended)
      c.add(
        'AS024',
        { profile },
        `it recurs on ${describeSchedule(schedule)} with no profile that ends it: a recurrence profile holds until another one starts, so it never ends`,
        `Add an end profile: a copy of the default profile named {"name":"Default","for":"${profile.name}"} with a recurrence at the end time on the same days.`,
      );
  }
}

function checkBusinessHours(c: Collector, setting: AutoscaleSetting, hours: BusinessHours): void {
  const recurring = setting.profiles.filter((p) => p.recurrence && endProfileFor(p) === undefined);
  const business = recurring.find(
    (p) =>
      coversDays(p.recurrence!.schedule, hours.days) &&
      startMinutes(p.recurrence!.schedule).includes(hours.startMinute),
  );
  const wanted = `${hours.days.join(', ')} from ${hours.start} to ${hours.end}`;
  if (!business) {
    const found = recurring.map((p) => `${p.name}: ${describeSchedule(p.recurrence!.schedule)}`).join('; ');
    c.add(
      'AS022',
      {},
      `no profile starts business hours (${wanted}): ${found ? `the recurrence profiles are ${found}` : 'there is no recurrence profile'}`,
      `Add a recurrence profile on ${hours.days.join(', ')} at ${hours.start} with minimum ${hours.minInstances}, and its end profile at ${hours.end}.`,
    );
    return;
  }
  const schedule = business.recurrence!.schedule;
  if (Number(business.capacity.minimum) < hours.minInstances)
    c.add(
      'AS023',
      { profile: business },
      `the business-hours profile's minimum is ${business.capacity.minimum}, below the policy's business-hours min-instances ${hours.minInstances}: the morning peak starts on too few instances`,
      `Set capacity.minimum of "${business.name}" to ${hours.minInstances} or more.`,
    );
  const enders = setting.profiles.filter(
    (p) =>
      p !== business &&
      p.recurrence &&
      (endProfileFor(p) === business.name || overlapsDays(p.recurrence.schedule, schedule)),
  );
  const endsOnTime = enders.some(
    (p) =>
      coversDays(p.recurrence!.schedule, hours.days) &&
      startMinutes(p.recurrence!.schedule).includes(hours.endMinute),
  );
  // No ender at all is AS024, found for every recurrence profile.
  if (enders.length > 0 && !endsOnTime)
    c.add(
      'AS025',
      { profile: business },
      `business hours end at ${enders.map((p) => `${describeSchedule(p.recurrence!.schedule)} (${profileLabel(p.name)})`).join('; ')}, not at ${hours.end} on ${hours.days.join(', ')}`,
      `Set the end profile's recurrence to ${hours.days.join(', ')} at ${hours.end}.`,
    );
  if (hours.timeZone)
    for (const p of [business, ...enders]) {
      const zone = p.recurrence!.schedule.timeZone?.trim();
      if (zone && zone.toLowerCase() !== hours.timeZone.toLowerCase())
        c.add(
          'AS027',
          { profile: p },
          `its recurrence runs in ${zone}, the policy's business hours in ${hours.timeZone}`,
          `Set recurrence.schedule.timeZone to the Windows name of ${hours.timeZone}, or the policy's time-zone to ${zone} if they are the same zone.`,
        );
    }
}

/** Judge one setting against the policy. */
export function judgeSetting(setting: AutoscaleSetting, ctx: JudgeContext): Finding[] {
  const c = new Collector(setting.name);
  if (!setting.enabled)
    c.add(
      'AS002',
      {},
      'the setting is disabled: the plan stays at its current instance count whatever the load',
      `Enable it: az monitor autoscale update --ids ${setting.id} --enabled true.`,
    );
  for (const profile of setting.profiles) {
    checkCapacity(c, profile, ctx.policy);
    checkRules(c, profile, ctx);
  }
  checkRecurrences(c, setting);
  if (ctx.policy.require.includes('business-hours')) checkBusinessHours(c, setting, ctx.policy.businessHours);
  return c.list;
}

/** The settings that target the plan, and what is wrong with them; none at all is AS001. */
export function judgeSettings(settings: readonly AutoscaleSetting[], ctx: JudgeContext): Finding[] {
  const targeting = settingsFor(settings, ctx.planId);
  if (targeting.length === 0) {
    const c = new Collector();
    c.add(
      'AS001',
      {},
      `no autoscale setting targets the plan ${ctx.planId}: it runs a fixed number of instances`,
      `Create one: az monitor autoscale create --resource ${ctx.planId} --min-count ${ctx.policy.minInstances} --max-count ${ctx.policy.maxInstances} --count ${ctx.policy.minInstances}, then add the rules.`,
    );
    return c.list;
  }
  const findings = targeting.flatMap((s) => judgeSetting(s, ctx));
  // Errors first; within a severity, in the order of the settings, profiles and rules.
  return [...errorsIn(findings), ...findings.filter((f) => f.severity !== 'error')];
}

/** The settings among `settings` that target the plan (Azure compares resource ids without case). */
export function settingsFor(settings: readonly AutoscaleSetting[], planId: string): AutoscaleSetting[] {
  return settings.filter((s) => sameId(s.targetResourceUri, planId));
}

export const errorsIn = (findings: readonly Finding[]) => findings.filter((f) => f.severity === 'error');
