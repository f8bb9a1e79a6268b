import type { ArmClient } from './arm.js';

/** The Web api-version slotline sends (the newest stable; ARM keeps older ones working). */
export const WEB_API_VERSION = '2025-05-01';

export interface SiteRef {
  resourceGroup: string;
  site: string;
  /** A slot name; undefined or "production" means the site itself. */
  slot?: string;
}

/** The request's abortSignal, when there is one (every call takes one, so cancellation reaches the socket). */
function aborts(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

export function sitePath(subscriptionId: string, ref: SiteRef): string {
  const base = `/subscriptions/${subscriptionId}/resourceGroups/${encodeURIComponent(ref.resourceGroup)}/providers/Microsoft.Web/sites/${encodeURIComponent(ref.site)}`;
  return ref.slot && ref.slot.toLowerCase() !== 'production'
    ? `${base}/slots/${encodeURIComponent(ref.slot)}`
    : base;
}

export interface Site {
  id: string;
  name: string;
  tags?: Record<string, string>;
  properties: {
    state?: string;
    defaultHostName?: string;
    hostNames?: string[];
    serverFarmId?: string;
    slotSwapStatus?: { timestampUtc: string; sourceSlotName: string; destinationSlotName: string } | null;
    targetSwapSlot?: string | null;
    siteConfig?: SiteConfig;
  };
}

export interface SiteConfig {
  linuxFxVersion?: string;
  healthCheckPath?: string | null;
  experiments?: { rampUpRules?: RampUpRule[] };
  [key: string]: unknown;
}

export interface RampUpRule {
  name: string;
  actionHostName: string;
  reroutePercentage: number;
  changeStep?: number;
  changeIntervalInMinutes?: number;
  minReroutePercentage?: number;
  maxReroutePercentage?: number;
  changeDecisionCallbackUrl?: string;
}

export async function getSite(client: ArmClient, ref: SiteRef, signal?: AbortSignal): Promise<Site> {
  return (
    await client.request<Site>('GET', sitePath(client.subscriptionId, ref), {
      apiVersion: WEB_API_VERSION,
      ...aborts(signal),
    })
  ).body;
}

export async function getSiteConfig(
  client: ArmClient,
  ref: SiteRef,
  signal?: AbortSignal,
): Promise<SiteConfig> {
  const path = `${sitePath(client.subscriptionId, ref)}/config/web`;
  return (
    await client.request<{ properties: SiteConfig }>('GET', path, {
      apiVersion: WEB_API_VERSION,
      ...aborts(signal),
    })
  ).body.properties;
}

export async function updateSiteConfig(
  client: ArmClient,
  ref: SiteRef,
  config: SiteConfig,
  signal?: AbortSignal,
): Promise<SiteConfig> {
  const path = `${sitePath(client.subscriptionId, ref)}/config/web`;
  return (
    await client.request<{ properties: SiteConfig }>('PATCH', path, {
      apiVersion: WEB_API_VERSION,
      body: { properties: config },
      ...aborts(signal),
    })
  ).body.properties;
}

export async function listAppSettings(
  client: ArmClient,
  ref: SiteRef,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const path = `${sitePath(client.subscriptionId, ref)}/config/appsettings/list`;
  return (
    await client.request<{ properties: Record<string, string> }>('POST', path, {
      apiVersion: WEB_API_VERSION,
      ...aborts(signal),
    })
  ).body.properties;
}

export async function updateAppSettings(
  client: ArmClient,
  ref: SiteRef,
  settings: Record<string, string>,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const path = `${sitePath(client.subscriptionId, ref)}/config/appsettings`;
  return (
    await client.request<{ properties: Record<string, string> }>('PUT', path, {
      apiVersion: WEB_API_VERSION,
      body: { properties: settings },
      ...aborts(signal),
    })
  ).body.properties;
}

/**
 * Swap `source` (a slot, or production) with `targetSlot` and wait until App Service reports it done.
 * A 202 + Location answer is polled by core-lro, honouring Retry-After.
 */
export async function swapSlots(
  client: ArmClient,
  source: SiteRef,
  targetSlot: string,
  opts: { preserveVnet?: boolean; signal?: AbortSignal } = {},
): Promise<void> {
  const path = `${sitePath(client.subscriptionId, source)}/slotsswap`;
  await client.longRunning('POST', path, {
    apiVersion: WEB_API_VERSION,
    body: { targetSlot, preserveVnet: opts.preserveVnet ?? true },
    finalState: 'location',
    skipFinalGet: true,
    ...aborts(opts.signal),
  });
}

/** Phase 1 of swap with preview: apply the target slot's sticky settings to `source` and restart it. */
export async function applySlotConfig(
  client: ArmClient,
  source: SiteRef,
  targetSlot: string,
  signal?: AbortSignal,
): Promise<void> {
  const path = `${sitePath(client.subscriptionId, source)}/applySlotConfig`;
  await client.request('POST', path, {
    apiVersion: WEB_API_VERSION,
    body: { targetSlot, preserveVnet: true },
    ...aborts(signal),
  });
}

/** Cancel a swap with preview: restore `source`'s own settings. */
export async function resetSlotConfig(
  client: ArmClient,
  source: SiteRef,
  signal?: AbortSignal,
): Promise<void> {
  await client.request('POST', `${sitePath(client.subscriptionId, source)}/resetSlotConfig`, {
    apiVersion: WEB_API_VERSION,
    ...aborts(signal),
  });
}

export interface SiteInstanceInfo {
  name: string;
  properties: { state?: string; healthCheckUrl?: string };
}

/** The instances (workers) a site or slot runs on, with their state. */
export async function listInstances(
  client: ArmClient,
  ref: SiteRef,
  signal?: AbortSignal,
): Promise<SiteInstanceInfo[]> {
  const path = `${sitePath(client.subscriptionId, ref)}/instances`;
  return (
    (
      await client.request<{ value?: SiteInstanceInfo[] }>('GET', path, {
        apiVersion: WEB_API_VERSION,
        ...aborts(signal),
      })
    ).body.value ?? []
  );
}

export interface SlotConfigNames {
  appSettingNames?: string[] | null;
  connectionStringNames?: string[] | null;
  azureStorageConfigNames?: string[] | null;
}

/** The names of settings that stay with their slot on a swap ("deployment slot settings"); site level only. */
export async function getSlotConfigNames(
  client: ArmClient,
  ref: SiteRef,
  signal?: AbortSignal,
): Promise<SlotConfigNames> {
  const path = `${sitePath(client.subscriptionId, { ...ref, slot: undefined })}/config/slotConfigNames`;
  return (
    await client.request<{ properties: SlotConfigNames }>('GET', path, {
      apiVersion: WEB_API_VERSION,
      ...aborts(signal),
    })
  ).body.properties;
}

export async function updateSlotConfigNames(
  client: ArmClient,
  ref: SiteRef,
  names: SlotConfigNames,
  signal?: AbortSignal,
): Promise<SlotConfigNames> {
  const path = `${sitePath(client.subscriptionId, { ...ref, slot: undefined })}/config/slotConfigNames`;
  return (
    await client.request<{ properties: SlotConfigNames }>('PUT', path, {
      apiVersion: WEB_API_VERSION,
      body: { properties: names },
      ...aborts(signal),
    })
  ).body.properties;
}
