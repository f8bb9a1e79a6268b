import { formatDuration } from '../lib/duration.js';
import { markdownTable, mermaidLineChart } from '../lib/markdown.js';
import type { GateCheck } from './checks.js';
import type { CheckOutcome, GateResult, Measurement, Verdict } from './gate.js';
import type { GateInputs } from './inputs.js';
import { type CheckMeasurement, checkUnit, formatP, formatValue } from './judge.js';

const ICON: Record<Verdict | 'running', string> = {
  pass: '✅',
  fail: '❌',
  inconclusive: '⚠️',
  error: '🛑',
  running: '⏸️',
};

function target(inputs: Pick<GateInputs, 'appName' | 'slot'>): string {
  return inputs.slot === 'production'
    ? `${inputs.appName} (production)`
    : `slot ${inputs.slot} of ${inputs.appName}`;
}

function checkLine(o: CheckOutcome): string {
  return o.phase === 'running'
    ? `${o.name} not finished`
    : `${o.name} ${o.phase}${o.phase === 'pass' ? '' : ` (${o.reason})`}`;
}

/** The `report` output: the verdict and every check's outcome, on one line. */
export function oneLineReport(result: GateResult): string {
  return `${result.verdict}: ${result.checks.map(checkLine).join('; ')}`.replace(/\s*\n\s*/g, ' ');
}

/** The one `::error::` line of a gate that did not pass: which checks, and by how much. */
export function failureMessage(result: GateResult, inputs: Pick<GateInputs, 'appName' | 'slot'>): string {
  const bad = result.checks.filter((c) => c.phase === result.verdict);
  const what =
    result.verdict === 'fail'
      ? 'failed'
      : result.verdict === 'error'
        ? 'could not read its metrics'
        : 'was inconclusive';
  // One line: the runner's error annotation (failAction) keeps only the first.
  return `the gate on ${target(inputs)} ${what}: ${bad.map((c) => `${c.name}: ${c.reason}`).join('; ')}`.replace(
    /\s*\n\s*/g,
    ' ',
  );
}

export function failedChecks(result: GateResult): string[] {
  return result.checks.filter((c) => c.phase === 'fail').map((c) => c.name);
}

function words(result: GateResult, inputs: GateInputs): string {
  const n = result.measurements.length;
  const against = inputs.baseline === 'production' ? ' against production' : '';
  switch (result.verdict) {
    case 'pass':
      return `**Pass.** ${target(inputs)} met all ${inputs.checks.length} checks over ${n} measurement(s)${against}: it may take more traffic.`;
    case 'fail':
      return `**Fail.** ${target(inputs)} failed ${failedChecks(result).join(', ')}${against}. Do not send it more traffic; roll it back.`;
    case 'inconclusive':
      return `**Inconclusive.** There was not enough data to judge ${target(inputs)}${against}: ${result.checks
        .filter((c) => c.phase === 'inconclusive')
        .map((c) => c.name)
        .join(', ')}. No check is called a pass without data.`;
    case 'error':
      return `**Error.** Azure Monitor could not be read often enough to judge ${target(inputs)}: ${result.checks
        .filter((c) => c.phase === 'error')
        .map((c) => c.name)
        .join(', ')}.`;
  }
}

function describeCheck(check: GateCheck): string {
  const parts = [
    `${check.resource === 'plan' ? 'plan ' : ''}${check.metric}${check.per ? ` per ${check.per}` : ''} (${check.aggregation})`,
  ];
  if (check.threshold) parts.push(`threshold ${check.threshold.text}`);
  if (check.compare)
    parts.push(
      `vs baseline: max ${check.compare.direction === 'decrease' ? 'decrease' : 'increase'} ${check.compare.allowance.text}${check.compare.direction === 'either' ? ' either way' : ''}, alpha ${check.compare.alpha}`,
    );
  if (check.minRequests > 0) parts.push(`min-requests ${check.minRequests}`);
  if (check.critical) parts.push('critical');
  return parts.join(' · ');
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function row(m: Measurement, check: GateCheck, c: CheckMeasurement): string[] {
  const unit = checkUnit(check);
  const value = (v: number | undefined) => (v === undefined ? '–' : formatValue(v, unit));
  const requests =
    c.canaryRequests === undefined
      ? '–'
      : `${c.canaryRequests}${c.baselineRequests === undefined ? '' : ` / ${c.baselineRequests}`}`;
  const cmp = c.comparison;
  const bound = (v: number, infinite: string) => (Number.isFinite(v) ? formatValue(v, unit, true) : infinite);
  const shift = cmp
    ? `${formatValue(cmp.shift, unit, true)} [${bound(cmp.interval[0], '−∞')}, ${bound(cmp.interval[1], '∞')}]`
    : '–';
  const effect = cmp
    ? `${cmp.effectSize.name === 'cohens-h' ? 'h' : 'CL'} ${cmp.effectSize.value.toFixed(2)}`
    : '–';
  const cells = [
    String(m.index + 1),
    `${time(m.window.fromMs)}–${time(m.window.toMs)}`,
    value(c.canary),
    value(c.baseline),
    requests,
    shift,
    cmp ? `${formatP(cmp.pValue)} (${cmp.method})` : '–',
    effect,
    `${ICON[c.result]} ${c.result === 'pass' ? 'pass' : `${c.result}: ${c.reason}`}`,
  ];
  return cells;
}

/** Canary (first line) against baseline (second) per measurement, in the unit people read. */
function chart(check: GateCheck, measurements: readonly Measurement[]): string | undefined {
  const points = measurements
    .map((m) => ({ m, c: m.checks[check.name] }))
    .filter((p): p is { m: Measurement; c: CheckMeasurement } => p.c?.canary !== undefined);
  if (points.length === 0) return undefined;
  const unit = checkUnit(check);
  const scale = unit === 'Ratio' ? 100 : unit === 'Seconds' ? 1000 : 1;
  const label = unit === 'Ratio' ? '%' : unit === 'Seconds' ? 'ms' : unit;
  const lines = [points.map((p) => (p.c.canary ?? 0) * scale)];
  if (check.compare && points.some((p) => p.c.baseline !== undefined))
    lines.push(points.map((p) => (p.c.baseline ?? 0) * scale));
  return mermaidLineChart({
    title: `${check.name}: canary${lines.length > 1 ? ' vs baseline' : ''}`,
    xLabel: 'measurement',
    yLabel: `${check.metric}${check.per ? ` per ${check.per}` : ''} (${label})`,
    x: points.map((p) => String(p.m.index + 1)),
    lines,
  });
}

/** Text outside a table on one line, without Markdown or HTML that could change the page. */
function plain(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[<>`|*_[\]]/g, (c) => `\\${c}`);
}

export function summaryMarkdown(result: GateResult, inputs: GateInputs, measurementsPath: string): string {
  const out = [
    `## ${ICON[result.verdict]} gate-on-metrics: ${result.verdict}`,
    '',
    words(result, inputs),
    '',
    `${inputs.count} measurement(s) every ${formatDuration(inputs.intervalMs)} after ${formatDuration(inputs.initialDelayMs)}; each reads ${formatDuration(inputs.windowMs)} at ${inputs.grain} ending ${formatDuration(inputs.ingestionDelayMs)} before it was taken. Limits: failure ${inputs.failureLimit}, inconclusive ${inputs.inconclusiveLimit}, consecutive errors ${inputs.consecutiveErrorLimit}. Took ${formatDuration(result.finishedAt - result.startedAt)}.`,
  ];
  if (result.stoppedEarly) out.push('', `Stopped early: ${plain(result.stoppedEarly)}.`);
  for (const check of inputs.checks) {
    const outcome = result.checks.find((o) => o.name === check.name)!;
    out.push(
      '',
      `### ${ICON[outcome.phase]} ${check.name}: ${outcome.phase === 'running' ? 'not finished' : outcome.phase}`,
      '',
      describeCheck(check),
      '',
      plain(outcome.reason || 'stopped before it finished'),
      '',
      markdownTable(
        [
          '#',
          'window (UTC)',
          'canary',
          'baseline',
          'requests (canary / baseline)',
          'shift [CI]',
          'p',
          'effect',
          'result',
        ],
        result.measurements.flatMap((m) => {
          const c = m.checks[check.name];
          return c ? [row(m, check, c)] : [];
        }),
      ),
    );
    const drawn = chart(check, result.measurements);
    if (drawn)
      out.push(drawn, check.compare ? 'First line: canary; second line: baseline (production).' : '');
  }
  out.push(
    '',
    `Every measurement, with its queries and numbers: \`${measurementsPath}\` (the \`measurements\` output).`,
  );
  return `${out.join('\n')}\n`;
}

/** The measurements file: enough to judge every measurement again (see judgeCheck). */
export function measurementsDocument(result: GateResult, inputs: GateInputs): unknown {
  const { azure: _azure, ...settings } = inputs;
  return {
    version: 1,
    verdict: result.verdict,
    settings,
    checks: result.checks,
    stoppedEarly: result.stoppedEarly ?? null,
    startedAt: new Date(result.startedAt).toISOString(),
    finishedAt: new Date(result.finishedAt).toISOString(),
    measurements: result.measurements,
  };
}
