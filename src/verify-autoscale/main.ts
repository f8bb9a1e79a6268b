import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { ActionError, CheckFailedError } from '../lib/errors.js';
import type { Env } from '../lib/inputs.js';
import { runAction } from '../lib/runner/action.js';
import { cancelOnSignals, type SignalSource } from '../lib/runner/cancellation.js';
import { logInfo, logWarning } from '../lib/runner/log.js';
import { writeSummary } from '../lib/runner/summary.js';
import { type AutoscaleSetting, errorsIn, judgeSettings, settingsFor } from './findings.js';
import { parseInputs, type VerifyAutoscaleInputs } from './inputs.js';
import type { MonitorAccess, ObserveResult, StartLoad } from './observe.js';
import { failureMessage, findingLine, type PolicyResult, reportDocument, summaryMarkdown } from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';

/** The app as verify-autoscale needs it: its own id, its plan's and its host name. */
export interface AppIds {
  siteId: string;
  /** The site's serverFarmId; undefined when ARM reports none. */
  planId: string | undefined;
  /** Production's `defaultHostName`: observe mode's default target. */
  defaultHostName?: string;
}

/** Azure, as verify-autoscale uses it: the site (ARM), the autoscale settings, metrics and the Activity Log (Azure Monitor). */
export interface AutoscaleAccess extends MonitorAccess {
  readApp(signal?: AbortSignal): Promise<AppIds>;
  /** Every autoscale setting in a resource group (Monitor's AutoscaleSettings_ListByResourceGroup). */
  listSettings(resourceGroup: string, signal?: AbortSignal): Promise<AutoscaleSetting[]>;
}

/** What verify-autoscale needs from the world, injected so tests can script it (see default-deps.ts). */
export interface VerifyAutoscaleDeps {
  connect(inputs: VerifyAutoscaleInputs, env: Env): Promise<AutoscaleAccess>;
  signals: SignalSource;
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** The built-in load generator, loaded when observe mode drives load. */
  loadGenerator(): Promise<StartLoad>;
}

export async function run(env: Env = process.env, deps?: VerifyAutoscaleDeps): Promise<void> {
  // The Azure SDK loads in connect(), after the inputs are valid: a bad input fails fast.
  const resolved = deps ?? (await import('./default-deps.js')).defaultDeps();
  const cancellation = cancelOnSignals(resolved.signals, (signal, first) => {
    if (first) core.info(`Received ${signal}: stopping.`);
  });
  try {
    await runAction('verify-autoscale', SECRET_INPUTS, (e) => main(e, resolved, cancellation.signal), env);
  } finally {
    cancellation.dispose();
  }
}

const resourceGroupOf = (id: string) => /\/resourceGroups\/([^/]+)\//i.exec(id)?.[1];

async function main(env: Env, deps: VerifyAutoscaleDeps, signal: AbortSignal): Promise<void> {
  const inputs = await parseInputs(env);
  const azure = await deps.connect(inputs, env);
  const { siteId, planId, defaultHostName } = await azure.readApp(signal);
  if (!planId)
    throw new ActionError(
      `app ${inputs.appName} reports no App Service plan (serverFarmId), so its autoscale setting cannot be found`,
    );
  // A setting usually lives in its plan's resource group (the portal puts it there); the app's is read too.
  const groups = [...new Set([resourceGroupOf(planId) ?? inputs.resourceGroup, inputs.resourceGroup])];
  const found: AutoscaleSetting[] = [];
  for (const group of groups) found.push(...(await azure.listSettings(group, signal)));
  const settings = settingsFor(found, planId);
  logInfo(
    `Plan ${planId}: ${settings.length ? `autoscale setting ${settings.map((s) => s.name).join(', ')}` : 'no autoscale setting'} (${found.length} in resource group ${groups.join(', ')}).`,
  );
  const policyFindings =
    inputs.mode === 'observe' ? [] : judgeSettings(settings, { policy: inputs.policy, planId, siteId });
  let observed: ObserveResult | undefined;
  if (inputs.mode !== 'policy') {
    const target =
      inputs.observe.targetUrl?.href ?? (defaultHostName ? `https://${defaultHostName}/` : undefined);
    if (!target)
      throw new ActionError(
        `app ${inputs.appName} reports no defaultHostName: set target-url to the address the load should go to`,
      );
    const { observe } = await import('./observe.js');
    observed = await observe(
      {
        options: inputs.observe,
        setting: settings.find((s) => s.enabled) ?? settings[0],
        planId,
        siteId,
        targetUrl: target,
      },
      {
        now: deps.now,
        sleep: deps.sleep,
        monitor: azure,
        loadGenerator: deps.loadGenerator,
        log: logInfo,
        warn: logWarning,
      },
      signal,
    );
  }
  const findings = [...policyFindings, ...(observed?.findings ?? [])];
  const result: PolicyResult = {
    appName: inputs.appName,
    resourceGroup: inputs.resourceGroup,
    siteId,
    planId,
    settings,
    findings,
    passed: errorsIn(findings).length === 0,
  };
  await report(result, inputs, env, observed);
}

async function report(
  result: PolicyResult,
  inputs: VerifyAutoscaleInputs,
  env: Env,
  observed: ObserveResult | undefined,
): Promise<void> {
  // Under RUNNER_TEMP, which the runner empties after the job; an upload-artifact step can keep it.
  const dir = mkdtempSync(join(env['RUNNER_TEMP'] || tmpdir(), 'verify-autoscale-'));
  const path = join(dir, 'autoscale-report.json');
  writeFileSync(path, `${JSON.stringify(reportDocument(result, inputs, observed), null, 2)}\n`);
  for (const f of result.findings) {
    if (f.severity === 'warning') logWarning(findingLine(f));
    else logInfo(findingLine(f));
  }
  core.setOutput('passed', String(result.passed));
  core.setOutput('findings', JSON.stringify(result.findings));
  // Observe mode's figures: empty in policy mode, and when they did not happen.
  core.setOutput('max-capacity', observed?.maxCapacity === undefined ? '' : String(observed.maxCapacity));
  core.setOutput(
    'scale-out-seconds',
    observed?.scaleOutSeconds === undefined ? '' : String(observed.scaleOutSeconds),
  );
  core.setOutput(
    'scale-in-seconds',
    observed?.scaleInSeconds === undefined ? '' : String(observed.scaleInSeconds),
  );
  core.setOutput('report', path);
  await writeSummary(summaryMarkdown(result, inputs, path, observed));
  if (!result.passed) throw new CheckFailedError(failureMessage(result, inputs.mode));
  logInfo(
    `${inputs.mode === 'observe' ? 'The plan scaled as expected' : inputs.mode === 'both' ? 'The autoscale setting meets the policy and the plan scaled as expected' : 'The autoscale setting meets the policy'}${result.findings.length ? ` (${result.findings.length} warning(s))` : ''}.`,
  );
}
