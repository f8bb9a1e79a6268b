import { throwIfCancelled } from '../lib/cancellation.js';
import { errorMessage } from '../lib/errors.js';
import type { GateCheck } from './checks.js';
import { type CheckData, type CheckMeasurement, judgeCheck } from './judge.js';
import type { InstanceSeries, ResourceData } from './series.js';

export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface GateSettings {
  checks: GateCheck[];
  count: number;
  intervalMs: number;
  initialDelayMs: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  ingestionDelayMs: number;
  grainMs: number;
  /** How much data each measurement reads, ending ingestion-delay before now. */
  windowMs: number;
}

export interface Window {
  fromMs: number;
  toMs: number;
}

/** What one Metrics_List call asked, so a measurement can be replayed. */
export interface QueryRecord {
  role: 'canary' | 'baseline' | 'plan';
  resourceId: string;
  metricnames: string;
  metricnamespace: string;
  aggregation: string;
  interval: string;
  timespan: string;
  filter: string;
  top: number;
  /** Why it failed (after the client's bounded retries), when it did. */
  error?: string;
}

/** One read of every resource the checks need, for one window. A failed read leaves its data out. */
export interface Reading {
  canary?: ResourceData;
  baseline?: ResourceData;
  plan?: ResourceData;
  queries: QueryRecord[];
}

export interface GateDeps {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Read the window's data. Throws only for what no retry mends (a missing app, no permission). */
  read(window: Window, signal?: AbortSignal): Promise<Reading>;
  onMeasurement?(measurement: Measurement): void;
  signal?: AbortSignal;
}

/** One measurement: every check still running, judged over one window. */
export interface Measurement {
  index: number;
  /** When it was taken (epoch ms). */
  at: number;
  window: Window;
  queries: QueryRecord[];
  checks: Record<string, CheckMeasurement>;
  /** The numbers the checks were judged on, per role: metric → instance series. */
  data: Partial<Record<'canary' | 'baseline' | 'plan', Record<string, readonly InstanceSeries[]>>>;
}

export type CheckPhase = 'running' | Verdict;

export interface CheckOutcome {
  name: string;
  phase: CheckPhase;
  /** Why the phase: the limit that was exceeded, or the measurements that passed. */
  reason: string;
  counts: { pass: number; fail: number; inconclusive: number; error: number; consecutiveErrors: number };
}

export interface GateResult {
  verdict: Verdict;
  checks: CheckOutcome[];
  measurements: Measurement[];
  /** Why the gate stopped before every check had `count` measurements, if it did. */
  stoppedEarly?: string;
  startedAt: number;
  finishedAt: number;
}

/** Worst first: a failed check outranks an error, an error outranks inconclusive (Argo Rollouts' order). */
const SEVERITY: Record<CheckPhase, number> = { fail: 4, error: 3, inconclusive: 2, running: 1, pass: 0 };

/** The window a measurement taken at `now` reads: whole grains, ending ingestion-delay ago. */
export function windowAt(
  now: number,
  settings: Pick<GateSettings, 'ingestionDelayMs' | 'grainMs' | 'windowMs'>,
): Window {
  const toMs = Math.floor((now - settings.ingestionDelayMs) / settings.grainMs) * settings.grainMs;
  const span = Math.max(settings.grainMs, Math.ceil(settings.windowMs / settings.grainMs) * settings.grainMs);
  return { fromMs: toMs - span, toMs };
}

function needs(check: GateCheck, reading: Reading): string | undefined {
  if (check.resource === 'plan' && !reading.plan) return 'plan';
  if ((check.resource === 'app' || check.minRequests > 0) && !reading.canary) return 'canary';
  if (check.compare && !reading.baseline) return 'baseline';
  return undefined;
}

function errorOf(reading: Reading, role: string): string {
  return reading.queries.find((q) => q.role === role && q.error)?.error ?? 'the query failed';
}

/**
 * Take measurements until every check has `count` of them, or a limit decides the gate earlier.
 * The phase rules are Argo Rollouts' (analysis.go): an error measurement does not count toward
 * `count`; more than `failure-limit` failures fail the check, more than `inconclusive-limit`
 * inconclusive ones make it inconclusive, more than `consecutive-error-limit` errors in a row make it
 * an error; a critical check fails at its first failure. No check passes without data: a window
 * without it is inconclusive. The gate stops as soon as its verdict can no longer be pass.
 */
export async function runGate(settings: GateSettings, deps: GateDeps): Promise<GateResult> {
  const startedAt = deps.now();
  const outcomes = new Map<string, CheckOutcome>(
    settings.checks.map((c) => [
      c.name,
      {
        name: c.name,
        phase: 'running',
        reason: '',
        counts: { pass: 0, fail: 0, inconclusive: 0, error: 0, consecutiveErrors: 0 },
      },
    ]),
  );
  const measurements: Measurement[] = [];
  // The limits already end every check within count × (consecutive-error-limit + 1) reads (each counted
  // measurement follows at most that many errors); the bound states it, so the loop visibly ends.
  const maxTicks = settings.count * (settings.consecutiveErrorLimit + 1) + settings.consecutiveErrorLimit + 1;
  let stoppedEarly: string | undefined;
  const firstAt = startedAt + settings.initialDelayMs;
  for (let tick = 0; tick < maxTicks; tick++) {
    // Scheduled from the start, so slow queries do not push every later measurement back.
    const due = firstAt + tick * settings.intervalMs;
    const wait = due - deps.now();
    if (wait > 0) await deps.sleep(wait, deps.signal);
    throwIfCancelled(deps.signal);
    const at = deps.now();
    const window = windowAt(at, settings);
    const reading = await deps.read(window, deps.signal);
    const running = settings.checks.filter((c) => outcomes.get(c.name)!.phase === 'running');
    const measurement: Measurement = {
      index: tick,
      at,
      window,
      queries: reading.queries,
      checks: {},
      data: {},
    };
    for (const role of ['canary', 'baseline', 'plan'] as const) {
      const data = reading[role];
      if (data) measurement.data[role] = Object.fromEntries(data);
    }
    for (const check of running) {
      const missing = needs(check, reading);
      const judged: CheckMeasurement = missing
        ? { result: 'error', reason: `reading the ${missing}'s metrics failed: ${errorOf(reading, missing)}` }
        : safeJudge(check, reading as CheckData);
      measurement.checks[check.name] = judged;
      advance(outcomes.get(check.name)!, check, judged, settings);
    }
    measurements.push(measurement);
    deps.onMeasurement?.(measurement);
    const decided = [...outcomes.values()].filter((o) => o.phase !== 'running' && o.phase !== 'pass');
    if (decided.length > 0) {
      if ([...outcomes.values()].some((o) => o.phase === 'running'))
        stoppedEarly = decided.map((o) => `${o.name}: ${o.reason}`).join('; ');
      break;
    }
    if ([...outcomes.values()].every((o) => o.phase !== 'running')) break;
  }
  const worst = [...outcomes.values()].reduce<CheckPhase>(
    (acc, o) => (SEVERITY[o.phase] > SEVERITY[acc] ? o.phase : acc),
    'pass',
  );
  return {
    verdict: worst === 'running' ? 'error' : worst,
    checks: [...outcomes.values()],
    measurements,
    ...(stoppedEarly ? { stoppedEarly } : {}),
    startedAt,
    finishedAt: deps.now(),
  };
}

function safeJudge(check: GateCheck, data: CheckData): CheckMeasurement {
  try {
    return judgeCheck(check, data);
  } catch (error) {
    // The statistics refuse impossible input (a negative count); that is an error measurement, not a crash.
    return { result: 'error', reason: `the numbers could not be judged: ${errorMessage(error)}` };
  }
}

function advance(outcome: CheckOutcome, check: GateCheck, m: CheckMeasurement, settings: GateSettings): void {
  const counts = outcome.counts;
  counts[m.result] += 1;
  counts.consecutiveErrors = m.result === 'error' ? counts.consecutiveErrors + 1 : 0;
  if (m.result === 'fail' && check.critical) {
    outcome.phase = 'fail';
    outcome.reason = `critical check failed: ${m.reason}`;
  } else if (counts.fail > settings.failureLimit) {
    outcome.phase = 'fail';
    outcome.reason = `${counts.fail} failed measurement(s), more than failure-limit ${settings.failureLimit}: ${m.result === 'fail' ? m.reason : 'see the table'}`;
  } else if (counts.consecutiveErrors > settings.consecutiveErrorLimit) {
    outcome.phase = 'error';
    outcome.reason = `${counts.consecutiveErrors} errors in a row, more than consecutive-error-limit ${settings.consecutiveErrorLimit}: ${m.reason}`;
  } else if (counts.inconclusive > settings.inconclusiveLimit) {
    outcome.phase = 'inconclusive';
    outcome.reason = `${counts.inconclusive} inconclusive measurement(s), more than inconclusive-limit ${settings.inconclusiveLimit}: ${m.result === 'inconclusive' ? m.reason : 'see the table'}`;
  } else if (counts.pass + counts.fail + counts.inconclusive >= settings.count) {
    // Limits as high as count must not turn a check that never passed into a pass (Argo #4479).
    if (counts.pass === 0) {
      outcome.phase = counts.fail > 0 ? 'fail' : 'inconclusive';
      outcome.reason = `none of ${settings.count} measurements passed (${counts.fail} failed, ${counts.inconclusive} inconclusive)`;
    } else {
      outcome.phase = 'pass';
      outcome.reason = `${counts.pass} of ${settings.count} measurements passed`;
    }
  }
}
