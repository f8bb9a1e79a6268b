import { formatDuration } from '../lib/duration.js';
import { markdownTable, mermaidLineChart } from '../lib/markdown.js';
import {
  type AutoscaleProfile,
  type AutoscaleSetting,
  errorsIn,
  FINDINGS,
  type Finding,
  profileLabel,
  type ScaleRule,
} from './findings.js';
import type { Mode, VerifyAutoscaleInputs } from './inputs.js';
import type { ObserveResult } from './observe.js';
import type { Policy } from './policy.js';
import type { TimelineEntry } from './timeline.js';

/** What policy mode learned: the app, its plan, the settings that target the plan, and the findings. */
export interface PolicyResult {
  appName: string;
  resourceGroup: string;
  siteId: string;
  planId: string;
  settings: AutoscaleSetting[];
  findings: Finding[];
  passed: boolean;
}

const ICON: Record<Finding['severity'], string> = { error: '❌', warning: '⚠️' };

const lastSegment = (id: string) => id.split('/').pop() ?? id;

function where(f: Finding): string {
  const parts = [f.profile === undefined ? undefined : profileLabel(f.profile)];
  if (f.rule) parts.push(`rules[${f.rule.index}] ${f.rule.metric}`);
  return parts.filter(Boolean).join(' · ') || '–';
}

/** The step's failure line: the error findings' ids, where they are, and how many warnings came with them. */
export function failureMessage(result: PolicyResult, mode: Mode = 'policy'): string {
  const errors = errorsIn(result.findings);
  const warnings = result.findings.length - errors.length;
  const ids = errors.map((f) => `${f.id}${f.profile === undefined ? '' : ` (${where(f)})`}`);
  const what =
    mode === 'policy'
      ? 'breaks the policy'
      : mode === 'observe'
        ? 'did not scale as expected'
        : 'breaks the policy or did not scale as expected';
  return `the autoscale setting of plan ${lastSegment(result.planId)} ${what}: ${errors.length} error finding(s): ${ids.join(', ')}${warnings ? `; ${warnings} warning(s)` : ''}. The job summary and the findings output say ${mode === 'policy' ? 'how to fix each' : 'why and how to fix each'}.`;
}

/** One log line per finding. */
export function findingLine(f: Finding): string {
  return `${f.id} ${f.severity}${f.setting ? ` ${f.setting}` : ''}${f.profile === undefined ? '' : ` · ${where(f)}`}: ${f.message}. Fix: ${f.fix}`;
}

/** Text outside a table on one line, without Markdown or HTML that could change the page. */
function plain(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[<>`|*_[\]]/g, (c) => `\\${c}`);
}

function schedule(profile: AutoscaleProfile): string {
  if (profile.recurrence) {
    const s = profile.recurrence.schedule;
    const times = s.hours.flatMap((h) =>
      (s.minutes.length ? s.minutes : [0]).map(
        (m) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
      ),
    );
    return `weekly ${s.days.map((d) => d.slice(0, 3)).join(' ')} from ${times.join(', ')} (${s.timeZone || 'no time zone'})`;
  }
  if (profile.fixedDate)
    return `${profile.fixedDate.start} to ${profile.fixedDate.end} (${profile.fixedDate.timeZone || 'UTC'})`;
  return 'default (when no other profile applies)';
}

const SYMBOL: Record<string, string> = {
  GreaterThan: '>',
  GreaterThanOrEqual: '≥',
  LessThan: '<',
  LessThanOrEqual: '≤',
  Equals: '=',
  NotEquals: '≠',
};

function source(uri: string, result: PolicyResult): string {
  if (uri.toLowerCase() === result.planId.toLowerCase()) return 'plan';
  if (uri.toLowerCase() === result.siteId.toLowerCase()) return 'app';
  return lastSegment(uri);
}

function ruleRow(profile: AutoscaleProfile, rule: ScaleRule, index: number, result: PolicyResult): unknown[] {
  const t = rule.metricTrigger;
  const a = rule.scaleAction;
  const sign = a.direction === 'Increase' ? '+' : a.direction === 'Decrease' ? '−' : '';
  const amount =
    a.type === 'ChangeCount'
      ? `${sign}${a.value ?? 1}`
      : a.type === 'PercentChangeCount'
        ? `${sign}${a.value ?? 0}%`
        : a.type === 'ExactCount'
          ? `= ${a.value ?? '?'}`
          : a.type;
  return [
    profileLabel(profile.name),
    index,
    `${t.metricName} (${source(t.metricResourceUri, result)}${t.metricNamespace ? `, ${t.metricNamespace}` : ', no namespace'})`,
    `${t.timeAggregation} over ${t.timeWindow} (${t.statistic}${t.dividePerInstance ? ' per instance' : ''}, grain ${t.timeGrain}) ${SYMBOL[t.operator] ?? t.operator} ${t.threshold}`,
    `${amount}, cooldown ${a.cooldown}`,
  ];
}

function policyLine(p: Policy): string {
  const h = p.businessHours;
  return `Policy: ${p.minInstances} to ${p.maxInstances} instances; requires ${p.require.join(', ') || 'nothing'}; business hours ${h.days.map((d) => d.slice(0, 3)).join(' ')} ${h.start}–${h.end}${h.timeZone ? ` ${h.timeZone}` : ''} with at least ${h.minInstances}; thresholds ${p.minThresholdGap} points apart; cooldown at least ${formatDuration(p.minCooldownMs)}; at most ${p.maxScaleStep} instance(s) per step.`;
}

export function summaryMarkdown(
  result: PolicyResult,
  inputs: Pick<VerifyAutoscaleInputs, 'mode' | 'policy'>,
  reportPath: string,
  observed?: ObserveResult,
): string {
  const { policy, mode } = inputs;
  const errors = errorsIn(result.findings).length;
  const warnings = result.findings.length - errors;
  const app = `${plain(result.appName)} (plan ${plain(lastSegment(result.planId))})`;
  const out = [
    `## ${result.passed ? '✅' : '❌'} verify-autoscale: ${result.passed ? 'pass' : 'fail'}`,
    '',
    result.passed
      ? `**Pass.** ${mode === 'observe' ? `${app} scaled as expected` : mode === 'both' ? `The autoscale setting of ${app} meets the policy and the plan scaled as expected` : `The autoscale setting of ${app} meets the policy`}${warnings ? `, with ${warnings} warning(s)` : ''}.`
      : `**Fail.** ${mode === 'observe' ? `${app} did not scale as expected` : mode === 'both' ? `The autoscale setting of ${app} breaks the policy or did not scale as expected` : `The autoscale setting of ${app} breaks the policy`}: ${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}.`,
    '',
    ...(mode === 'observe' ? [] : [plain(policyLine(policy)), '']),
    '### Findings',
    '',
    result.findings.length === 0
      ? 'None.\n'
      : markdownTable(
          ['', 'id', 'finding', 'setting', 'where', 'what', 'fix'],
          result.findings.map((f) => [
            ICON[f.severity],
            f.id,
            FINDINGS[f.id].title,
            f.setting ?? '–',
            where(f),
            f.message,
            f.fix,
          ]),
        ),
  ];
  for (const setting of result.settings) {
    out.push(
      `### Setting ${plain(setting.name)}${setting.enabled ? '' : ' (disabled)'}`,
      '',
      markdownTable(
        ['profile', 'schedule', 'minimum', 'default', 'maximum', 'rules'],
        setting.profiles.map((p) => [
          profileLabel(p.name),
          schedule(p),
          p.capacity.minimum,
          p.capacity.default,
          p.capacity.maximum,
          p.rules.length,
        ]),
      ),
      markdownTable(
        ['profile', '#', 'metric (from)', 'when', 'action'],
        setting.profiles.flatMap((p) => p.rules.map((r, i) => ruleRow(p, r, i, result))),
      ),
    );
  }
  if (observed) out.push(...observeMarkdown(observed));
  out.push(
    `${observed ? 'The scaling test result (timeline, scale actions, findings)' : 'The setting(s) and the findings'}: \`${reportPath}\` (the \`report\` output).`,
  );
  return `${out.join('\n')}\n`;
}

const MAX_ROWS = 60;

const sum = (values: (number | null)[]) =>
  values.every((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0);
const most = (values: (number | null)[]) =>
  values.every((v) => v === null) ? null : Math.max(...values.map((v) => v ?? 0));

/** At most `max` entries: consecutive intervals merged (capacity and p95 their highest, counts summed, CPU averaged). */
export function condensed(timeline: readonly TimelineEntry[], max: number): TimelineEntry[] {
  if (timeline.length <= max) return [...timeline];
  const size = Math.ceil(timeline.length / max);
  const out: TimelineEntry[] = [];
  for (let i = 0; i < timeline.length; i += size) {
    const group = timeline.slice(i, i + size);
    const cpu = group.map((e) => e.cpuPercent).filter((v): v is number => v !== null);
    out.push({
      atSeconds: group[0]!.atSeconds,
      load: group.some((e) => e.load),
      capacity: most(group.map((e) => e.capacity)),
      cpuPercent: cpu.length ? Number((cpu.reduce((a, b) => a + b, 0) / cpu.length).toFixed(1)) : null,
      requests: sum(group.map((e) => e.requests)),
      scaleOut: group.reduce((a, e) => a + e.scaleOut, 0),
      scaleIn: group.reduce((a, e) => a + e.scaleIn, 0),
      clientRequests: sum(group.map((e) => e.clientRequests)),
      clientErrors: sum(group.map((e) => e.clientErrors)),
      clientP95Ms: most(group.map((e) => e.clientP95Ms)),
    });
  }
  return out;
}

function carried(values: readonly (number | null)[]): number[] {
  let last = values.find((v) => v !== null) ?? 0;
  return values.map((v) => {
    if (v !== null) last = v;
    return last;
  });
}

const cell = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v);

/** Observe mode's part of the summary: the figures, a chart of capacity and load, the scale actions. */
export function observeMarkdown(o: ObserveResult): string[] {
  const out = [
    '### Scaling test',
    '',
    plain(
      `${o.load === 'builtin' ? `Built-in load at ${o.targetUrl}` : 'External load'}; profile ${o.profile === undefined ? 'none' : profileLabel(o.profile)}; capacity ${o.startCapacity ?? '?'} at the start, at most ${o.maxCapacity ?? '?'}, ${o.endCapacity ?? '?'} at the end; expected ${o.expectCapacity}${o.scaleOutSeconds === undefined ? ' (not reached)' : ` after ${o.scaleOutSeconds} s`}${o.scaleInSeconds === undefined ? '' : `; back to ${o.minimum} ${o.scaleInSeconds} s after the load`}.`,
    ),
    '',
  ];
  if (o.client)
    out.push(
      plain(
        `Client: ${o.client.requests} requests (${o.client.requestsPerSecond}/s), ${o.client.errors} errors, p50 ${o.client.latency.p50Ms ?? '–'} ms, p95 ${o.client.latency.p95Ms ?? '–'} ms, p99 ${o.client.latency.p99Ms ?? '–'} ms.`,
      ),
      '',
    );
  // A long run at a short interval has thousands of intervals: the summary shows at most 60 rows.
  const timeline = condensed(o.timeline, MAX_ROWS);
  if (timeline.length > 1) {
    const scale = Math.max(1, ...timeline.map((e) => e.clientRequests ?? e.requests ?? 0));
    const top = Math.max(1, ...timeline.map((e) => e.capacity ?? 0));
    out.push(
      mermaidLineChart({
        title: `Capacity and load (load scaled to ${top} = ${scale} requests per interval)`,
        xLabel: 'seconds',
        yLabel: 'instances',
        x: timeline.map((e) => String(e.atSeconds)),
        lines: [
          // An interval without a reading keeps the last capacity read: the plan did not drop to 0.
          carried(timeline.map((e) => e.capacity)),
          timeline.map((e) => Number((((e.clientRequests ?? e.requests ?? 0) * top) / scale).toFixed(2))),
        ],
      }),
      '',
    );
  }
  if (timeline.length < o.timeline.length)
    out.push(
      `${o.timeline.length} intervals, shown as ${timeline.length} groups of ${Math.ceil(o.timeline.length / MAX_ROWS)}; the report has every interval.`,
      '',
    );
  out.push(
    markdownTable(
      [
        't (s)',
        'load',
        'capacity',
        'CPU %',
        'requests',
        'client requests',
        'client errors',
        'client p95 (ms)',
        'scale out',
        'scale in',
      ],
      timeline.map((e) => [
        e.atSeconds,
        e.load ? 'on' : 'off',
        cell(e.capacity),
        cell(e.cpuPercent),
        cell(e.requests),
        cell(e.clientRequests),
        cell(e.clientErrors),
        cell(e.clientP95Ms),
        e.scaleOut,
        e.scaleIn,
      ]),
    ),
    '### Scale actions',
    '',
    o.scaleActions.length === 0
      ? 'None in the Activity Log.\n'
      : markdownTable(
          ['time', 'event', 'from', 'to', 'status', 'profile'],
          o.scaleActions.map((e) => [
            new Date(e.t).toISOString(),
            e.name,
            cell(e.from),
            cell(e.to),
            e.status ?? '–',
            e.profile === undefined ? '–' : profileLabel(e.profile),
          ]),
        ),
  );
  return out;
}

/** The report file: in policy mode enough to judge the settings again; with observe, the scaling test result. */
export function reportDocument(
  result: PolicyResult,
  inputs: Pick<VerifyAutoscaleInputs, 'mode' | 'policy' | 'observe'>,
  observed?: ObserveResult,
): unknown {
  return {
    version: 1,
    mode: inputs.mode,
    passed: result.passed,
    app: {
      resourceGroup: result.resourceGroup,
      name: result.appName,
      id: result.siteId,
      planId: result.planId,
    },
    ...(inputs.mode === 'observe' ? {} : { policy: inputs.policy }),
    settings: result.settings,
    findings: result.findings,
    ...(observed
      ? {
          scalingTest: {
            ...observed,
            findings: undefined,
            options: { ...inputs.observe, targetUrl: observed.targetUrl },
            scaleActions: observed.scaleActions.map((e) => ({ ...e, time: new Date(e.t).toISOString() })),
          },
        }
      : {}),
  };
}
