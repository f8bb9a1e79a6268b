import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { sitePath } from '../lib/azure/web.js';
import { formatDuration } from '../lib/duration.js';
import { CheckFailedError, errorMessage } from '../lib/errors.js';
import type { Env } from '../lib/inputs.js';
import { runAction } from '../lib/runner/action.js';
import { cancelOnSignals, type SignalSource } from '../lib/runner/cancellation.js';
import { logInfo, logWarning } from '../lib/runner/log.js';
import { writeSummary } from '../lib/runner/summary.js';
import { type GateResult, type Measurement, runGate } from './gate.js';
import { type GateInputs, parseInputs } from './inputs.js';
import { checkUnit, formatValue } from './judge.js';
import { type IsFatal, type ListMetrics, readPlan, readWindow } from './read.js';
import {
  failedChecks,
  failureMessage,
  measurementsDocument,
  oneLineReport,
  summaryMarkdown,
} from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';

/** Azure, as the gate uses it: Metrics_List, the plan the app runs on, and which failures are final. */
export interface MonitorAccess {
  list: ListMetrics;
  /** The plan's resource id (the site's serverFarmId); read only when a check is on the plan. */
  planId(signal?: AbortSignal): Promise<string>;
  isFatal: IsFatal;
}

/** What gate-on-metrics needs from the world, injected so tests can script it (see default-deps.ts). */
export interface GateActionDeps {
  connect(inputs: GateInputs, env: Env): Promise<MonitorAccess>;
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Where SIGINT and SIGTERM come from; the process unless a test injects its own. */
  signals: SignalSource;
}

export async function run(env: Env = process.env, deps?: GateActionDeps): Promise<void> {
  const cancellation = cancelOnSignals(deps?.signals ?? process, (signal, first) => {
    if (first) core.info(`Received ${signal}: stopping the gate.`);
  });
  try {
    await runAction('gate-on-metrics', SECRET_INPUTS, (e) => main(e, deps, cancellation.signal), env);
  } finally {
    cancellation.dispose();
  }
}

function logMeasurement(m: Measurement, inputs: GateInputs): void {
  const parts = Object.entries(m.checks).map(([name, c]) => {
    const check = inputs.checks.find((x) => x.name === name)!;
    const value = c.canary === undefined ? '' : ` ${formatValue(c.canary, checkUnit(check))}`;
    return `${name}${value} ${c.result}${c.result === 'pass' ? '' : ` (${c.reason})`}`;
  });
  logInfo(`Measurement ${m.index + 1}: ${parts.join('; ')}`);
}

async function main(env: Env, injected: GateActionDeps | undefined, signal: AbortSignal): Promise<void> {
  const inputs = await parseInputs(env);
  // The Azure code loads after the inputs are valid: a bad input fails without paying for it.
  const deps = injected ?? (await import('./default-deps.js')).defaultDeps();
  const azure = await deps.connect(inputs, env);
  const subscription = inputs.azure.subscriptionId;
  const ref = { resourceGroup: inputs.resourceGroup, site: inputs.appName };
  const ids = {
    canary: sitePath(subscription, { ...ref, slot: inputs.slot }),
    canaryIsSlot: inputs.slot !== 'production',
    ...(inputs.baseline === 'production' ? { baseline: sitePath(subscription, ref) } : {}),
    ...(inputs.checks.some((c) => c.resource === 'plan') ? { plan: await azure.planId(signal) } : {}),
  };
  const plan = readPlan(inputs.checks, ids, inputs.grain);
  logInfo(
    `Gating ${ids.canary}${ids.baseline ? ` against ${ids.baseline}` : ''}: ${inputs.checks.map((c) => c.name).join(', ')}; ${inputs.count} measurement(s) every ${formatDuration(inputs.intervalMs)}.`,
  );
  let result: GateResult;
  try {
    result = await runGate(inputs, {
      now: deps.now,
      sleep: deps.sleep,
      read: (window, s) => readWindow(azure.list, plan, window, azure.isFatal, s),
      onMeasurement: (m) => logMeasurement(m, inputs),
      signal,
    });
  } catch (error) {
    // A refusal no retry mends (no role, no such app): the workflow still gets a verdict to branch on.
    if (!signal.aborted) {
      core.setOutput('verdict', 'error');
      core.setOutput('failed-checks', '');
      core.setOutput('report', `error: ${errorMessage(error).split('\n')[0]}`);
    }
    throw error;
  }
  await report(result, inputs, env);
}

async function report(result: GateResult, inputs: GateInputs, env: Env): Promise<void> {
  // Under RUNNER_TEMP, which the runner empties after the job; an upload-artifact step can keep it.
  const dir = mkdtempSync(join(env['RUNNER_TEMP'] || tmpdir(), 'gate-on-metrics-'));
  const path = join(dir, 'measurements.json');
  writeFileSync(path, `${JSON.stringify(measurementsDocument(result, inputs), null, 2)}\n`);
  core.setOutput('verdict', result.verdict);
  core.setOutput('failed-checks', failedChecks(result).join(','));
  core.setOutput('measurements', path);
  core.setOutput('report', oneLineReport(result));
  await writeSummary(summaryMarkdown(result, inputs, path));
  logInfo(`Verdict: ${oneLineReport(result)}`);
  if (result.verdict === 'pass') return;
  if (result.verdict === 'inconclusive' && inputs.onInconclusive !== 'fail') {
    const message = `${failureMessage(result, inputs)} (on-inconclusive: ${inputs.onInconclusive}, so the step succeeds; the verdict output is inconclusive)`;
    if (inputs.onInconclusive === 'pass') logWarning(message);
    else logInfo(message);
    return;
  }
  throw new CheckFailedError(failureMessage(result, inputs));
}
