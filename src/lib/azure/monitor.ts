import type { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/core-auth';
import {
  type AzureBounds,
  boundedHttpClient,
  callDeadlinePolicy,
  type Endpoint,
  resolveBounds,
  sameOriginPolicy,
} from './bounds.js';
import type { AzureInputs } from './inputs.js';
import { armScope } from './inputs.js';

/**
 * Microsoft's Monitor client pointed at the configured ARM endpoint, with ArmClient's bounds: a timeout
 * per attempt, a deadline per call, capped bodies and Retry-After, and no request to another origin.
 * Loaded on demand: it is the largest of the Azure packages.
 */
export async function createMonitorClient(
  credential: TokenCredential,
  inputs: Pick<AzureInputs, 'armEndpoint' | 'subscriptionId'>,
  opts: { maxRetries?: number; retryDelayInMs?: number; bounds?: Partial<AzureBounds> } = {},
): Promise<MonitorClient> {
  const [{ MonitorClient }, sdk] = await Promise.all([
    import('@azure/arm-monitor'),
    import('@azure/core-rest-pipeline'),
  ]);
  const bounds = resolveBounds(opts.bounds);
  const endpoint: Endpoint = { input: 'arm-endpoint', origin: new URL(inputs.armEndpoint).origin };
  const client = new MonitorClient(credential, inputs.subscriptionId, {
    endpoint: inputs.armEndpoint,
    credentials: { scopes: [armScope(inputs.armEndpoint)] },
    retryOptions: { maxRetries: opts.maxRetries ?? 4, retryDelayInMs: opts.retryDelayInMs ?? 800 },
    userAgentOptions: { userAgentPrefix: 'slotline' },
    httpClient: boundedHttpClient(sdk.createDefaultHttpClient(), sdk, bounds),
  });
  // Before the bearer token policy, as in ArmClient.
  client.pipeline.addPolicy(callDeadlinePolicy(endpoint, bounds.callDeadlineMs), { phase: 'Serialize' });
  client.pipeline.addPolicy(sameOriginPolicy(endpoint), { phase: 'Serialize' });
  return client;
}
