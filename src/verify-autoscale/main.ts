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
import { failureMessage, findingLine, type PolicyResult, reportDocument, summaryMarkdown } from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';

/** The app as policy mode needs it: its own id and its plan's. */
export interface AppIds {
  siteId: string;
  /** The site's serverFarmId; undefined when ARM reports none. */
  planId: string | undefined;
}

/** Azure, as verify-autoscale uses it: the site (ARM) and the autoscale settings (Azure Monitor). */
export interface AutoscaleAccess {
  readApp(signal?: AbortSignal): Promise<AppIds>;
  /** Every autoscale setting in a resource group (Monitor's AutoscaleSettings_ListByResourceGroup). */
  listSettings(resourceGroup: string, signal?: AbortSignal): Promise<AutoscaleSetting[]>;
}

/** What verify-autoscale needs from the world, injected so tests can script it (see default-deps.ts). */
export interface VerifyAutoscaleDeps {
  connect(inputs: VerifyAutoscaleInputs, env: Env): Promise<AutoscaleAccess>;
  signals: SignalSource;
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
  const { siteId, planId } = await azure.readApp(signal);
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
  const findings = judgeSettings(settings, { policy: inputs.policy, planId, siteId });
  const result: PolicyResult = {
    appName: inputs.appName,
    resourceGroup: inputs.resourceGroup,
    siteId,
    planId,
    settings,
    findings,
    passed: errorsIn(findings).length === 0,
  };
  await report(result, inputs, env);
}

async function report(result: PolicyResult, inputs: VerifyAutoscaleInputs, env: Env): Promise<void> {
  // Under RUNNER_TEMP, which the runner empties after the job; an upload-artifact step can keep it.
  const dir = mkdtempSync(join(env['RUNNER_TEMP'] || tmpdir(), 'verify-autoscale-'));
  const path = join(dir, 'autoscale-report.json');
  writeFileSync(path, `${JSON.stringify(reportDocument(result, inputs.policy), null, 2)}\n`);
  for (const f of result.findings) {
    if (f.severity === 'warning') logWarning(findingLine(f));
    else logInfo(findingLine(f));
  }
  core.setOutput('passed', String(result.passed));
  core.setOutput('findings', JSON.stringify(result.findings));
  // Observe mode's outputs: empty until it is built.
  core.setOutput('max-capacity', '');
  core.setOutput('scale-out-seconds', '');
  core.setOutput('scale-in-seconds', '');
  core.setOutput('report', path);
  await writeSummary(summaryMarkdown(result, inputs.policy, path));
  if (!result.passed) throw new CheckFailedError(failureMessage(result));
  logInfo(
    `The autoscale setting meets the policy${result.findings.length ? ` (${result.findings.length} warning(s))` : ''}.`,
  );
}
