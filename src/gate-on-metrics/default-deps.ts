import { ArmClient } from '../lib/azure/arm.js';
import { AzureOriginError } from '../lib/azure/bounds.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { ArmError, AzureAuthError, translateAzureError } from '../lib/azure/errors.js';
import { createMonitorClient } from '../lib/azure/monitor.js';
import { getSite } from '../lib/azure/web.js';
import { cancellableSleep } from '../lib/cancellation.js';
import { ActionError } from '../lib/errors.js';
import type { GateActionDeps } from './main.js';

/** Statuses no retry mends: a bad query, a refused token or role, a resource that does not exist. */
const FINAL_STATUSES = new Set([400, 401, 403, 404]);

/**
 * Each Metrics_List call gets a short deadline: one that hangs must not hold a 1-minute gate for the
 * default two minutes. Retries (429 with Retry-After, 5xx) stay the client's, bounded.
 */
const GATE_BOUNDS = { attemptTimeoutMs: 15_000, callDeadlineMs: 45_000, maxRetryAfterMs: 30_000 };

/** The real world: Entra ID and Azure Monitor through Microsoft's clients, the system clock, process signals. */
export function defaultDeps(): GateActionDeps {
  return {
    signals: process,
    now: () => Date.now(),
    sleep: cancellableSleep,
    connect: async (inputs, env) => {
      const credential = await createAzureCredential(inputs.azure, { env, bounds: GATE_BOUNDS });
      const monitor = await createMonitorClient(credential, inputs.azure, { bounds: GATE_BOUNDS });
      const final = (error: unknown): Error | undefined => {
        if (error instanceof AzureAuthError || error instanceof AzureOriginError) return error;
        const status = (error as { statusCode?: number } | null)?.statusCode;
        if (status !== undefined && FINAL_STATUSES.has(status)) {
          const code = (error as { code?: string }).code ?? `HTTP ${status}`;
          const message = (error as Error).message.split('\n')[0] ?? '';
          return translateAzureError(
            new ArmError(
              status,
              code,
              `Azure Monitor refused the metrics query (${status} ${code}): ${message}`,
            ),
            inputs.azure,
          );
        }
        return undefined;
      };
      return {
        list: async (resourceId, query, signal) => {
          try {
            // The client's path template is `/{+resourceUri}/providers/…`: a leading slash would make it
            // `//subscriptions/…`, which a URL parser reads as a host named `subscriptions`.
            return await monitor.metrics.list(resourceId.replace(/^\/+/, ''), {
              ...query,
              ...(signal ? { abortSignal: signal } : {}),
            });
          } catch (error) {
            throw final(error) ?? error;
          }
        },
        // Only what `list` threw as final: a network failure or a deadline is one more error measurement.
        isFatal: (error) =>
          error instanceof ArmError || error instanceof AzureAuthError || error instanceof AzureOriginError,
        planId: async (signal) => {
          const client = await ArmClient.create({ credential, inputs: inputs.azure, bounds: GATE_BOUNDS });
          const site = await getSite(
            client,
            { resourceGroup: inputs.resourceGroup, site: inputs.appName },
            signal,
          );
          const id = site.properties.serverFarmId;
          if (!id)
            throw new ActionError(
              `app ${inputs.appName} reports no App Service plan (serverFarmId), so plan checks cannot be read`,
            );
          return id;
        },
      };
    },
  };
}
