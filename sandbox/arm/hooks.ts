import { createHash } from 'node:crypto';
import { ActivityLog } from '../activity-log.js';
import { AlertBook } from '../alerts/book.js';
import type { MetricsSource } from '../metrics/source.js';
import type { StoredResource } from '../store.js';

/** One instance of a site or slot, as `instances` lists it. Part 2 supplies real ones (containers). */
export interface SiteInstance {
  name: string;
  state: 'READY' | 'STOPPED' | 'UNKNOWN';
}

/** Where the data plane plugs in: host names per site/slot, instances, metrics. */
export interface ArmHooks {
  /** The host name a site (slot undefined) or slot answers on. Default `<site>[-<slot>].azurewebsites.net`. */
  hostNameFor(site: string, slot: string | undefined): string;
  /** The instances a site or slot runs on. Default: one per plan worker, with stable ids. */
  instancesFor(resource: StoredResource, plan: StoredResource | undefined): SiteInstance[];
  metrics: MetricsSource;
  /** The Activity Log `eventtypes/management/values` reads (the autoscale engine writes it). */
  activityLog: ActivityLog;
  /** The alerts the metric-alert engine raised (the Alerts Management API reads them). */
  alerts: AlertBook;
  /**
   * Runs while a swap's operation is in progress, before the documents are exchanged: the data plane
   * restarts and warms the source here. A rejection fails the operation and leaves both slots as they were.
   */
  beforeSwap?: (
    source: StoredResource,
    target: StoredResource,
    stickyAppSettingNames: string[],
  ) => Promise<void>;
}

/** Stand-ins for the control plane alone (no containers): computed host names and stable instance ids. */
export const defaultHooks = (
  metrics: MetricsSource,
  activityLog = new ActivityLog(),
  alerts = new AlertBook(),
): ArmHooks => ({
  hostNameFor: (site, slot) => `${slot ? `${site}-${slot}` : site}.azurewebsites.net`.toLowerCase(),
  instancesFor: (resource, plan) => {
    const count = Number((plan?.sku as { capacity?: number } | undefined)?.capacity ?? 1);
    const stopped = resource.properties['state'] === 'Stopped';
    return Array.from({ length: count }, (_, i) => ({
      name: createHash('sha256').update(`${resource.id.toLowerCase()}#${i}`).digest('hex'),
      state: stopped ? 'STOPPED' : 'READY',
    }));
  },
  metrics,
  activityLog,
  alerts,
});
