import { createHash } from 'node:crypto';
import type { StoredResource } from '../../../store.js';
import { RG } from '../../context.js';
import { defaultSiteConfig, defaultSiteProperties } from './templates.js';

export const SITE_TYPE = 'Microsoft.Web/sites';
export const SLOT_TYPE = 'Microsoft.Web/sites/slots';
export const PLAN_TYPE = 'Microsoft.Web/serverfarms';

// Path patterns: m[3] is the site (or plan), m[4] the slot when there is one.
export const SITE = `${RG}/providers/microsoft\\.web/sites/([^/]+)`;
export const SLOT = '(?:/slots/([^/]+))?';
export const PLANS = `${RG}/providers/microsoft\\.web/serverfarms`;

/** Site properties a client may set; read-only ones (hostNames, slotSwapStatus, state…) are ignored as ARM does. */
export function pickWritable(input: Record<string, unknown>): Record<string, unknown> {
  const writable = [
    'enabled',
    'httpsOnly',
    'clientAffinityEnabled',
    'clientCertEnabled',
    'clientCertMode',
    'hostNamesDisabled',
    'keyVaultReferenceIdentity',
    'redundancyMode',
    'publicNetworkAccess',
    // VNet integration: stored and returned; the sandbox has no networks, so it changes nothing.
    'virtualNetworkSubnetId',
  ];
  return Object.fromEntries(Object.entries(input).filter(([k]) => writable.includes(k)));
}

export function newPlan(
  id: string,
  name: string,
  resourceGroup: string,
  location: string,
  sku: Record<string, unknown>,
  properties: Record<string, unknown>,
  tags?: Record<string, string>,
): StoredResource {
  const size = String(sku['name'] ?? 'P1v3');
  return {
    id,
    name,
    type: PLAN_TYPE,
    kind: 'linux',
    location,
    ...(tags ? { tags } : {}),
    sku: {
      name: size,
      tier: sku['tier'] ?? 'PremiumV3',
      size,
      family: sku['family'] ?? size.replace(/^([A-Z]+)\d+/, '$1'),
      capacity: sku['capacity'],
    },
    properties: {
      status: 'Ready',
      maximumNumberOfWorkers: 30,
      geoRegion: location,
      perSiteScaling: false,
      elasticScaleEnabled: false,
      maximumElasticWorkerCount: 1,
      isSpot: false,
      reserved: true,
      isXenon: false,
      hyperV: false,
      targetWorkerCount: 0,
      targetWorkerSizeId: 0,
      provisioningState: 'Succeeded',
      zoneRedundant: false,
      ...properties,
      resourceGroup,
      kind: 'linux',
    },
  };
}

export function newSite(args: {
  id: string;
  siteName: string;
  slot: string | undefined;
  resourceGroup: string;
  location: string;
  plan: StoredResource;
  hostName: string;
  now: string;
}): StoredResource {
  return {
    id: args.id,
    name: args.slot ? `${args.siteName}/${args.slot}` : args.siteName,
    type: args.slot ? SLOT_TYPE : SITE_TYPE,
    kind: 'app,linux,container',
    location: args.location,
    properties: defaultSiteProperties({
      name: args.siteName,
      hostName: args.hostName,
      resourceGroup: args.resourceGroup,
      serverFarmId: args.plan.id,
      sku: String((args.plan.sku as { tier?: string })?.tier ?? 'PremiumV3'),
      now: args.now,
      verificationId: createHash('sha256').update(args.id.toLowerCase()).digest('hex').toUpperCase(),
    }),
    internal: {
      siteConfig: defaultSiteConfig(),
      appSettings: {},
      ...(args.slot ? {} : { slotConfigNames: {} }),
    },
  };
}
