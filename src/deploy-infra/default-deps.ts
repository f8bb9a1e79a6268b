import { ArmClient } from '../lib/azure/arm.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { ArmError } from '../lib/azure/errors.js';
import { ActionError } from '../lib/errors.js';
import type { DeployInfraDeps, DeploymentSpec, DeploymentsApi } from './main.js';
import type { ArmErrorInfo, DeploymentResult, FailedOperation, TemplateOutput } from './report.js';
import { errorLine } from './report.js';
import { shortResource, type WhatIfChange } from './what-if.js';

/**
 * ARM's deployments API (Microsoft.Resources, api-version 2024-03-01) through slotline's ArmClient, which
 * bounds every attempt and call and polls long-running operations with @azure/core-lro. Not through
 * @azure/arm-resources: from 7.0.0 its ResourceManagementClient has no deployments (they moved to
 * @azure/arm-resourcesdeployment, which slotline does not depend on).
 */
export const DEPLOYMENTS_API_VERSION = '2024-03-01';

/** How many pages of deployment operations are read (ARM pages them; a template with thousands is rare). */
const MAX_OPERATION_PAGES = 20;

interface RawError {
  code?: string;
  message?: string;
  details?: RawError[];
}

export function toErrorInfo(e: RawError | undefined): ArmErrorInfo | undefined {
  if (!e) return undefined;
  const details = (e.details ?? []).map(toErrorInfo).filter((d): d is ArmErrorInfo => d !== undefined);
  return {
    code: e.code ?? 'Unknown',
    message: e.message ?? '',
    ...(details.length ? { details } : {}),
  };
}

/** An ArmError's ARM message without ArmClient's `POST /path failed: 400 Code: ` prefix. */
function armErrorInfo(error: ArmError): ArmErrorInfo {
  const message = error.message.replace(/^\S+ \S+ (?:failed: \d+|ended Failed:) [^:\s]+: /, '');
  const details = (error.details ?? []).map(toErrorInfo).filter((d): d is ArmErrorInfo => d !== undefined);
  return { code: error.code, message, ...(details.length ? { details } : {}) };
}

function deploymentPath(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourcegroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.Resources/deployments/${encodeURIComponent(name)}`;
}

function body(spec: DeploymentSpec, extra: Record<string, unknown> = {}) {
  return {
    properties: { template: spec.template, parameters: spec.parameters, mode: 'Incremental', ...extra },
  };
}

interface RawDeployment {
  id?: string;
  properties?: { provisioningState?: string; outputs?: Record<string, TemplateOutput>; error?: RawError };
}

function toResult(d: RawDeployment | undefined, fallbackId: string): DeploymentResult {
  const error = toErrorInfo(d?.properties?.error);
  return {
    id: d?.id ?? fallbackId,
    provisioningState: d?.properties?.provisioningState ?? 'Unknown',
    outputs: d?.properties?.outputs ?? {},
    ...(error ? { error } : {}),
  };
}

interface RawOperation {
  operationId?: string;
  properties?: {
    provisioningState?: string;
    statusCode?: string;
    statusMessage?: unknown;
    targetResource?: { id?: string; resourceType?: string; resourceName?: string };
  };
}

/** A failed operation's error: statusMessage is `{ status, error }`, `{ error }`, an error, or text. */
export function toFailedOperation(op: RawOperation): FailedOperation {
  const p = op.properties ?? {};
  const target = p.targetResource;
  const resource = target?.id
    ? shortResource(target.id)
    : target?.resourceType
      ? `${target.resourceType}/${target.resourceName ?? ''}`
      : (op.operationId ?? 'operation');
  const sm = p.statusMessage as { error?: RawError; code?: string; message?: string } | string | undefined;
  const raw: RawError | undefined =
    typeof sm === 'string' ? { code: 'Error', message: sm } : (sm?.error ?? (sm?.code ? sm : undefined));
  const info = toErrorInfo(raw);
  return {
    resource,
    ...(p.statusCode ? { statusCode: p.statusCode } : {}),
    code: info?.code ?? 'Failed',
    message: info ? errorLine(info).replace(/^[^:]+: /, '') : 'no message',
  };
}

/** ARM's deployments API over an ArmClient (its bounds, retries and core-lro polling). */
export function deploymentsApi(arm: ArmClient): DeploymentsApi {
  const path = (spec: Pick<DeploymentSpec, 'resourceGroup' | 'name'>) =>
    deploymentPath(arm.subscriptionId, spec.resourceGroup, spec.name);
  const apiVersion = DEPLOYMENTS_API_VERSION;
  const api: DeploymentsApi = {
    validate: async (spec, signal) => {
      try {
        const result = await arm.longRunning<{ error?: RawError }>('POST', `${path(spec)}/validate`, {
          apiVersion,
          body: body(spec),
          abortSignal: signal,
          finalState: 'location',
        });
        return toErrorInfo(result?.error);
      } catch (error) {
        // A template ARM refuses: 400 with the reason, or a validation that ended Failed.
        if (error instanceof ArmError && (error.status === 400 || error.status === 0))
          return armErrorInfo(error);
        throw error;
      }
    },
    whatIf: async (spec, signal) => {
      const result = await arm.longRunning<{
        status?: string;
        error?: RawError;
        properties?: { changes?: WhatIfChange[] };
      }>('POST', `${path(spec)}/whatIf`, {
        apiVersion,
        body: body(spec, { whatIfSettings: { resultFormat: 'FullResourcePayloads' } }),
        abortSignal: signal,
        finalState: 'location',
      });
      const error = toErrorInfo(result?.error);
      if (error) throw new ActionError(`what-if of deployment ${spec.name} failed: ${errorLine(error)}`);
      return result?.properties?.changes ?? [];
    },
    create: async (spec, signal) => {
      try {
        const d = await arm.longRunning<RawDeployment>('PUT', path(spec), {
          apiVersion,
          body: body(spec),
          abortSignal: signal,
          finalState: 'azure-async-operation',
        });
        return toResult(d, path(spec));
      } catch (error) {
        // Ended Failed or Canceled (core-lro's failure): the deployment itself says how and why.
        if (!(error instanceof ArmError) || error.status !== 0) throw error;
        const read = await arm.request<RawDeployment>('GET', path(spec), {
          apiVersion,
          abortSignal: signal,
        });
        const result = toResult(read.body, path(spec));
        return result.error ? result : { ...result, error: armErrorInfo(error) };
      }
    },
    failedOperations: async (resourceGroup, name, signal) => {
      const failed: FailedOperation[] = [];
      let next: string | undefined = `${path({ resourceGroup, name })}/operations`;
      for (let page = 0; next && page < MAX_OPERATION_PAGES; page++) {
        const response: { body: { value?: RawOperation[]; nextLink?: string } } = await arm.request(
          'GET',
          next,
          { apiVersion, abortSignal: signal },
        );
        for (const op of response.body?.value ?? [])
          if (op.properties?.provisioningState === 'Failed') failed.push(toFailedOperation(op));
        next = response.body?.nextLink;
      }
      return failed;
    },
    cancel: async (resourceGroup, name, signal) => {
      await arm.request('POST', `${path({ resourceGroup, name })}/cancel`, {
        apiVersion,
        abortSignal: signal,
      });
    },
  };
  return api;
}

/** The real world: Entra ID and ARM through slotline's Azure library, process signals. */
export function defaultDeps(): DeployInfraDeps {
  return {
    signals: process,
    connect: async (inputs, env) => {
      const credential = await createAzureCredential(inputs.azure, { env });
      // The timeout input is the deadline (main.ts); the operation bound only backs it up.
      const arm = await ArmClient.create({
        credential,
        inputs: inputs.azure,
        bounds: { operationDeadlineMs: inputs.timeoutMs + 60_000 },
      });
      return deploymentsApi(arm);
    },
  };
}
