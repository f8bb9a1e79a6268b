import type { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import type { AzureInputs } from './inputs.js';
import { armScope } from './inputs.js';

/**
 * Microsoft's Monitor client pointed at the configured ARM endpoint. Loaded on demand: it is the largest
 * of the Azure packages.
 */
export async function createMonitorClient(
  credential: TokenCredential,
  inputs: Pick<AzureInputs, 'armEndpoint' | 'subscriptionId'>,
  opts: { maxRetries?: number; retryDelayInMs?: number } = {},
): Promise<MonitorClient> {
  const { MonitorClient } = await import('@azure/arm-monitor');
  return new MonitorClient(credential, inputs.subscriptionId, {
    endpoint: inputs.armEndpoint,
    credentials: { scopes: [armScope(inputs.armEndpoint)] },
    retryOptions: { maxRetries: opts.maxRetries ?? 4, retryDelayInMs: opts.retryDelayInMs ?? 800 },
    userAgentOptions: { userAgentPrefix: 'slotline' },
  });
}

/** arm-monitor puts the resource URI into the path as given; a leading slash would make `//subscriptions`. */
export function monitorResourceUri(resourceId: string): string {
  return resourceId.replace(/^\/+/, '');
}
