import type { ArmClient } from '../lib/azure/arm.js';
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
  swapSlots,
  updateAppSettings,
  updateSiteConfig,
  updateSiteTags,
  updateSlotConfigNames,
} from '../lib/azure/web.js';

/**
 * What the phases need from App Service, by slot name (`production` is the site itself). main.ts builds
 * it over the shared ARM client; `timed` adds up the time spent waiting on Azure, for the benchmark.
 */
export interface Platform {
  site(slot: string): Promise<Site>;
  config(slot: string): Promise<SiteConfig>;
  updateConfig(slot: string, config: SiteConfig): Promise<void>;
  appSettings(slot: string): Promise<Record<string, string>>;
  updateAppSettings(slot: string, settings: Record<string, string>): Promise<void>;
  stickyNames(): Promise<string[]>;
  updateStickyNames(names: string[]): Promise<void>;
  /** Replace the site's (production's) tags. */
  updateTags(tags: Record<string, string>): Promise<void>;
  instances(slot: string): Promise<{ name: string; state?: string }[]>;
  swap(slot: string, target: string): Promise<void>;
  applySlotConfig(slot: string, target: string): Promise<void>;
  resetSlotConfig(slot: string): Promise<void>;
}

export function armPlatform(client: ArmClient, resourceGroup: string, site: string): Platform {
  const ref = (slot: string): SiteRef => ({ resourceGroup, site, slot });
  return {
    site: (slot) => getSite(client, ref(slot)),
    config: (slot) => getSiteConfig(client, ref(slot)),
    updateConfig: async (slot, config) => {
      await updateSiteConfig(client, ref(slot), config);
    },
    appSettings: (slot) => listAppSettings(client, ref(slot)),
    updateAppSettings: async (slot, settings) => {
      await updateAppSettings(client, ref(slot), settings);
    },
    stickyNames: async () => (await getSlotConfigNames(client, ref('production'))).appSettingNames ?? [],
    updateStickyNames: async (names) => {
      const current = await getSlotConfigNames(client, ref('production'));
      await updateSlotConfigNames(client, ref('production'), { ...current, appSettingNames: names });
    },
    updateTags: async (tags) => {
      await updateSiteTags(client, ref('production'), tags);
    },
    instances: async (slot) =>
      (await listInstances(client, ref(slot))).map((i) => ({
        name: i.name,
        ...(i.properties?.state ? { state: i.properties.state } : {}),
      })),
    swap: (slot, target) => swapSlots(client, ref(slot), target),
    applySlotConfig: (slot, target) => applySlotConfig(client, ref(slot), target),
    resetSlotConfig: (slot) => resetSlotConfig(client, ref(slot)),
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
