import type { ArmClient } from '../lib/azure/arm.js';
import { getTags, patchTags } from '../lib/azure/tags.js';
import {
  applySlotConfig,
  getSite,
  getSiteConfig,
  getSlotConfigNames,
  listAppSettings,
  listInstances,
  resetSlotConfig,
  type Site,
  type SiteConfig,
  type SiteRef,
  sitePath,
  swapSlots,
  updateAppSettings,
  updateSiteConfig,
  updateSlotConfigNames,
} from '../lib/azure/web.js';

/**
 * What the modes and steps need from App Service, by slot name (`production` is the site itself).
 * default-deps.ts builds it over the shared ARM client; `timed` adds up the time spent waiting on Azure,
 * for the benchmark. The unit tests use an in-memory one (__tests__/helpers/memory-platform.ts).
 */
export interface Platform {
  site(slot: string): Promise<Site>;
  config(slot: string): Promise<SiteConfig>;
  updateConfig(slot: string, config: SiteConfig): Promise<void>;
  appSettings(slot: string): Promise<Record<string, string>>;
  updateAppSettings(slot: string, settings: Record<string, string>): Promise<void>;
  stickyNames(): Promise<string[]>;
  updateStickyNames(names: string[]): Promise<void>;
  /** The site's (production's) tags, through ARM's Tags API. */
  tags(): Promise<Record<string, string>>;
  /** Add or update these tags on the site; other tags stay. */
  mergeTags(tags: Record<string, string>): Promise<void>;
  /** Remove these tags from the site; a tag given with a value goes only while it still has that value. */
  deleteTags(tags: Record<string, string>): Promise<void>;
  instances(slot: string): Promise<{ name: string; state?: string }[]>;
  swap(slot: string, target: string): Promise<void>;
  applySlotConfig(slot: string, target: string): Promise<void>;
  resetSlotConfig(slot: string): Promise<void>;
}

/**
 * The platform over ARM. `signal` aborts every call it makes (requests and swap polls): the run's
 * cancellation signal, or a fresh bounded one for the recovery that follows a cancel.
 */
export function armPlatform(
  client: ArmClient,
  resourceGroup: string,
  site: string,
  signal?: AbortSignal,
): Platform {
  const ref = (slot: string): SiteRef => ({ resourceGroup, site, slot });
  const siteId = sitePath(client.subscriptionId, ref('production'));
  const aborts = signal ? { abortSignal: signal } : {};
  return {
    site: (slot) => getSite(client, ref(slot), signal),
    config: (slot) => getSiteConfig(client, ref(slot), signal),
    updateConfig: async (slot, config) => {
      await updateSiteConfig(client, ref(slot), config, signal);
    },
    appSettings: (slot) => listAppSettings(client, ref(slot), signal),
    updateAppSettings: async (slot, settings) => {
      await updateAppSettings(client, ref(slot), settings, signal);
    },
    stickyNames: async () =>
      (await getSlotConfigNames(client, ref('production'), signal)).appSettingNames ?? [],
    updateStickyNames: async (names) => {
      const current = await getSlotConfigNames(client, ref('production'), signal);
      await updateSlotConfigNames(client, ref('production'), { ...current, appSettingNames: names }, signal);
    },
    tags: () => getTags(client, siteId, aborts),
    mergeTags: async (tags) => {
      await patchTags(client, siteId, 'Merge', tags, aborts);
    },
    deleteTags: async (tags) => {
      await patchTags(client, siteId, 'Delete', tags, aborts);
    },
    instances: async (slot) =>
      (await listInstances(client, ref(slot), signal)).map((i) => ({
        name: i.name,
        ...(i.properties?.state ? { state: i.properties.state } : {}),
      })),
    swap: (slot, target) => swapSlots(client, ref(slot), target, signal ? { signal } : {}),
    applySlotConfig: (slot, target) => applySlotConfig(client, ref(slot), target, signal),
    resetSlotConfig: (slot) => resetSlotConfig(client, ref(slot), signal),
  };
}

/**
 * Wrap every call so the time spent waiting on the platform is added to `spent.ms`. Calls in parallel
 * count once: only the time during which at least one call is in flight is added.
 */
export function timed(platform: Platform, spent: { ms: number }): Platform {
  let inFlight = 0;
  let busySince = 0;
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(platform) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = async (...args: unknown[]) => {
      if (inFlight++ === 0) busySince = performance.now();
      try {
        return await fn(...args);
      } finally {
        if (--inFlight === 0) spent.ms += performance.now() - busySince;
      }
    };
  }
  return wrapped as unknown as Platform;
}
