import * as core from '@actions/core';
import { CancelledError } from '../lib/cancellation.js';
import { formatDuration } from '../lib/duration.js';
import { ActionError, CheckFailedError, TimeoutError } from '../lib/errors.js';
import type { Env } from '../lib/inputs.js';
import { runAction } from '../lib/runner/action.js';
import { cancelOnSignals, type SignalSource } from '../lib/runner/cancellation.js';
import { logInfo, logWarning } from '../lib/runner/log.js';
import { maskValue } from '../lib/runner/secrets.js';
import { writeSummary } from '../lib/runner/summary.js';
import { type DeployInfraInputs, parseInputs } from './inputs.js';
import {
  type ArmErrorInfo,
  countsText,
  type DeploymentResult,
  type DeployReport,
  deploymentFailure,
  errorLine,
  type FailedOperation,
  outputValues,
  summaryMarkdown,
} from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';
import type { Json, ParameterValue } from './template.js';
import { countChanges, forbiddenChanges, redact, shortResource, type WhatIfChange } from './what-if.js';

/** One deployment at resource-group scope: the template and its parameters, sent as they are. */
export interface DeploymentSpec {
  resourceGroup: string;
  name: string;
  template: Record<string, Json>;
  parameters: Record<string, ParameterValue>;
}

/** ARM's deployments API as deploy-infra uses it (api-version 2024-03-01); default-deps.ts is the real one. */
export interface DeploymentsApi {
  /** Deployments - Validate: undefined when the template is valid, else ARM's error. */
  validate(spec: DeploymentSpec, signal: AbortSignal): Promise<ArmErrorInfo | undefined>;
  /** Deployments - What If: the predicted changes. */
  whatIf(spec: DeploymentSpec, signal: AbortSignal): Promise<WhatIfChange[]>;
  /** Deployments - Create Or Update, polled to its end: Succeeded, Failed or Canceled. */
  create(spec: DeploymentSpec, signal: AbortSignal): Promise<DeploymentResult>;
  /** Deployment Operations - List, the failed ones. */
  failedOperations(resourceGroup: string, name: string, signal: AbortSignal): Promise<FailedOperation[]>;
  /** Deployments - Cancel (only a running deployment can be cancelled). */
  cancel(resourceGroup: string, name: string, signal: AbortSignal): Promise<void>;
}

/** What deploy-infra needs from the world, injected so tests can script it (see default-deps.ts). */
export interface DeployInfraDeps {
  connect(inputs: DeployInfraInputs, env: Env): Promise<DeploymentsApi>;
  signals: SignalSource;
}

/** How long the cancel request may take inside the runner's grace period after its first signal. */
export const CANCEL_TIMEOUT_MS = 5_000;

/** The `timeout` input ran out. */
export class DeploymentTimeoutError extends TimeoutError {}

export async function run(env: Env = process.env, deps?: DeployInfraDeps): Promise<void> {
  // The Azure SDK loads in connect(), after the inputs are valid: a bad input fails fast.
  const resolved = deps ?? (await import('./default-deps.js')).defaultDeps();
  const cancellation = cancelOnSignals(resolved.signals, (signal, first) => {
    if (first) core.info(`Received ${signal}: stopping.`);
  });
  try {
    await runAction('deploy-infra', SECRET_INPUTS, (e) => main(e, resolved, cancellation.signal), env);
  } finally {
    cancellation.dispose();
  }
}

function setOutputs(report: DeployReport): void {
  core.setOutput('deployment-id', report.result?.id ?? '');
  core.setOutput('provisioning-state', report.result?.provisioningState ?? '');
  core.setOutput('outputs', JSON.stringify(report.result ? outputValues(report.result.outputs) : {}));
  core.setOutput('changes', JSON.stringify(report.changes ? countChanges(report.changes) : {}));
}

async function finish(report: DeployReport): Promise<void> {
  setOutputs(report);
  await writeSummary(summaryMarkdown(report));
}

async function main(env: Env, deps: DeployInfraDeps, cancelled: AbortSignal): Promise<void> {
  const inputs = await parseInputs(env);
  // Before anything can log them: the values of securestring and secureobject parameters.
  const secrets = inputs.secrets;
  for (const s of secrets) maskValue(s);
  const api = await deps.connect(inputs, env);
  const spec: DeploymentSpec = {
    resourceGroup: inputs.resourceGroup,
    name: inputs.deploymentName,
    template: inputs.template.template,
    parameters: inputs.parameters,
  };
  const report: DeployReport = {
    operation: inputs.operation,
    templatePath: inputs.templatePath,
    resourceGroup: inputs.resourceGroup,
    deploymentName: inputs.deploymentName,
    secrets,
  };
  const where = `deployment ${inputs.deploymentName} in resource group ${inputs.resourceGroup}`;
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new DeploymentTimeoutError(`timeout ${formatDuration(inputs.timeoutMs)} reached`)),
    inputs.timeoutMs,
  );
  let stage: 'validate' | 'what-if' | 'create' = 'validate';
  const signal = AbortSignal.any([cancelled, deadline.signal]);
  try {
    logInfo(`Validating ${inputs.templatePath} for ${where}.`);
    const invalid = await api.validate(spec, signal);
    if (invalid) {
      report.validationError = invalid;
      await finish(report);
      throw new ActionError(
        `template ${inputs.templatePath} failed validation, nothing was deployed: ${errorLine(invalid, secrets)}`,
      );
    }
    if (inputs.operation === 'validate') {
      await finish(report);
      logInfo(`The template is valid for resource group ${inputs.resourceGroup}.`);
      return;
    }
    stage = 'what-if';
    const changes = await api.whatIf(spec, signal);
    report.changes = changes;
    logInfo(`What-if: ${countsText(countChanges(changes))}.`);
    for (const c of changes)
      if (c.changeType !== 'NoChange' && c.changeType !== 'Ignore')
        logInfo(`  ${c.changeType} ${redact(shortResource(c.resourceId), secrets)}`);
    const forbidden = forbiddenChanges(changes, inputs.failOnChangeTypes);
    if (forbidden.length > 0) {
      report.forbidden = forbidden;
      await finish(report);
      throw new CheckFailedError(
        `what-if predicts ${forbidden.length} change(s) of a type fail-on-change-types forbids (${forbidden
          .slice(0, 5)
          .map((c) => `${c.changeType} ${shortResource(c.resourceId)}`)
          .join(
            ', ',
          )}${forbidden.length > 5 ? ` and ${forbidden.length - 5} more` : ''}); nothing was deployed`,
      );
    }
    if (inputs.operation === 'what-if') {
      await finish(report);
      return;
    }
    stage = 'create';
    report.result = await deploy(api, spec, signal, cancelled, where);
    if (report.result.provisioningState !== 'Succeeded') {
      try {
        report.failedOperations = await api.failedOperations(
          inputs.resourceGroup,
          inputs.deploymentName,
          AbortSignal.any([cancelled, AbortSignal.timeout(60_000)]),
        );
      } catch (error) {
        logWarning(`Could not list the failed operations of ${where}: ${(error as Error).message}`);
      }
      await finish(report);
      throw new ActionError(deploymentFailure(report));
    }
    await finish(report);
    logInfo(`${where} succeeded: ${report.result.id}`);
  } catch (error) {
    // A deadline or a signal: the error that says so, not the one the aborted call ended with.
    const timedOut =
      error === deadline.signal.reason || error instanceof TimeoutError || !(error instanceof ActionError);
    if (deadline.signal.aborted && !cancelled.aborted && timedOut)
      throw new DeploymentTimeoutError(
        stage === 'create'
          ? `${where} did not finish within the timeout of ${formatDuration(inputs.timeoutMs)}; ARM may still be deploying it (see the resource group's Deployments: ${inputs.deploymentName})`
          : `${stage} of ${where} did not finish within the timeout of ${formatDuration(inputs.timeoutMs)}; nothing was deployed`,
      );
    if (cancelled.aborted && !(error instanceof ActionError)) throw cancelled.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Cancelled while ARM was deploying: what the cancel request achieved. */
class DeployCancelledError extends CancelledError {}

/**
 * Create the deployment. A signal while ARM deploys asks ARM to cancel it (Deployments - Cancel), within
 * CANCEL_TIMEOUT_MS: the poller stops, but ARM would otherwise go on deploying.
 */
async function deploy(
  api: DeploymentsApi,
  spec: DeploymentSpec,
  signal: AbortSignal,
  cancelled: AbortSignal,
  where: string,
): Promise<DeploymentResult> {
  logInfo(`Deploying ${where}.`);
  try {
    return await api.create(spec, signal);
  } catch (error) {
    if (!cancelled.aborted) throw error;
    const reason = cancelled.reason as CancelledError;
    let outcome: string;
    try {
      await api.cancel(spec.resourceGroup, spec.name, AbortSignal.timeout(CANCEL_TIMEOUT_MS));
      outcome = 'ARM accepted the request to cancel it, and may still be deploying until it stops';
    } catch (cancelError) {
      outcome = `the request to cancel it failed (${(cancelError as Error).message.split('\n')[0]}), so ARM may still be deploying it`;
    }
    const stopped = new DeployCancelledError(reason.signalName);
    stopped.message = `cancelled by ${reason.signalName} during ${where}: ${outcome}`;
    throw stopped;
  }
}
