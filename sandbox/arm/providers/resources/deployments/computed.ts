import { createHmac } from 'node:crypto';

/**
 * The read-only properties Azure's resource providers fill in, for the resource types the sandbox keeps as
 * generic documents (a managed identity's ids, a Key Vault secret's URI, a cache's host name…), and the keys
 * their `list*` actions return. One table, keyed by resource type (lower case).
 *
 * Every value is derived from the resource id (and the sandbox's tenant, which is random per state dir), never
 * from a clock or a random source: a redeploy computes the same values, so what-if shows NoChange and
 * `reference()` gives the next deployment what it gave the last. Formats follow Azure's public cloud
 * (`<vault>.vault.azure.net`, `<server>.postgres.database.azure.com`, `<name>.azurecr.io`…). The values
 * name endpoints that do not exist: nothing in the sandbox serves them.
 */

/** What a computation sees: the resource's id, name, location and the sandbox's tenant. */
export interface ComputeInput {
  id: string;
  name: string;
  location: string | undefined;
  tenantId: string;
}

type Computed = (r: ComputeInput) => Record<string, unknown>;

/** A hex digest of `parts` keyed by the tenant: stable per resource, different per sandbox. */
function digest(r: ComputeInput, ...parts: string[]): string {
  return createHmac('sha256', `slotline-sandbox:${r.tenantId}`)
    .update([r.id.toLowerCase(), ...parts].join('\n'))
    .digest('hex');
}

/** A GUID (version 4 layout) derived from the resource id and a purpose. */
function derivedGuid(r: ComputeInput, purpose: string): string {
  const h = digest(r, purpose);
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `bytes` bytes of key material, base64 as Azure shows access keys. */
function derivedKey(r: ComputeInput, purpose: string, bytes: number): string {
  let out = Buffer.alloc(0);
  for (let i = 0; out.length < bytes; i++)
    out = Buffer.concat([out, Buffer.from(digest(r, purpose, String(i)), 'hex')]);
  return out.subarray(0, bytes).toString('base64');
}

/** A name segment of the id: `segment(id, 'vaults')` is the vault's name. */
function segment(id: string, type: string): string {
  const parts = id.split('/');
  const i = parts.findIndex((p) => p.toLowerCase() === type.toLowerCase());
  return parts[i + 1] ?? '';
}

/** `australiaeast` from `Australia East`, as Azure writes a location in a host name. */
const region = (location: string | undefined) => (location ?? 'westeurope').toLowerCase().replace(/\s+/g, '');

const COMPUTED: Record<string, Computed> = {
  'microsoft.managedidentity/userassignedidentities': (r) => ({
    tenantId: r.tenantId,
    principalId: derivedGuid(r, 'principalId'),
    clientId: derivedGuid(r, 'clientId'),
  }),
  // The scope Azure reports is the id the assignment hangs off.
  'microsoft.authorization/roleassignments': (r) => ({
    scope: r.id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/i, ''),
  }),
  'microsoft.keyvault/vaults': (r) => ({ vaultUri: `https://${r.name}.vault.azure.net/` }),
  'microsoft.keyvault/vaults/secrets': (r) => {
    const base = `https://${segment(r.id, 'vaults')}.vault.azure.net/secrets/${segment(r.id, 'secrets')}`;
    return { secretUri: base, secretUriWithVersion: `${base}/${digest(r, 'version').slice(0, 32)}` };
  },
  'microsoft.insights/components': (r) => {
    const key = derivedGuid(r, 'instrumentationKey');
    const appId = derivedGuid(r, 'appId');
    const loc = region(r.location);
    return {
      ApplicationId: r.name,
      AppId: appId,
      InstrumentationKey: key,
      ConnectionString: `InstrumentationKey=${key};IngestionEndpoint=https://${loc}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://${loc}.livediagnostics.monitor.azure.com/;ApplicationId=${appId}`,
      // Application Insights calls the subscription id `TenantId`.
      TenantId: r.id.split('/')[2],
    };
  },
  'microsoft.operationalinsights/workspaces': (r) => ({ customerId: derivedGuid(r, 'customerId') }),
  'microsoft.dbforpostgresql/flexibleservers': (r) => ({
    fullyQualifiedDomainName: `${r.name}.postgres.database.azure.com`,
    state: 'Ready',
  }),
  'microsoft.cache/redis': (r) => ({
    hostName: `${r.name}.redis.cache.windows.net`,
    port: 6379,
    sslPort: 6380,
  }),
  // A registry a template deploys is a document with Azure's login server name. The sandbox's working
  // registries (config `containerRegistries`, sandbox/acr.ts) have their own login servers on 127.0.0.1.
  'microsoft.containerregistry/registries': (r) => ({ loginServer: `${r.name.toLowerCase()}.azurecr.io` }),
  'microsoft.cdn/profiles/afdendpoints': (r) => ({
    hostName: `${r.name.toLowerCase()}-${BigInt(`0x${digest(r, 'host')}`)
      .toString(36)
      .slice(0, 16)}.z01.azurefd.net`,
  }),
  'microsoft.storage/storageaccounts': (r) => {
    const n = r.name.toLowerCase();
    return {
      primaryEndpoints: {
        blob: `https://${n}.blob.core.windows.net/`,
        dfs: `https://${n}.dfs.core.windows.net/`,
        file: `https://${n}.file.core.windows.net/`,
        queue: `https://${n}.queue.core.windows.net/`,
        table: `https://${n}.table.core.windows.net/`,
        web: `https://${n}.z6.web.core.windows.net/`,
      },
      primaryLocation: region(r.location),
      statusOfPrimary: 'available',
    };
  },
};

/** Properties a PUT may carry that Azure never returns (a secret's value, a password): kept out of GET. */
const WRITE_ONLY: Record<string, string[]> = {
  'microsoft.keyvault/vaults/secrets': ['value'],
  'microsoft.dbforpostgresql/flexibleservers': ['administratorLoginPassword'],
};

/** The read-only properties of a generic resource (`provisioningState: Succeeded` for every type). */
export function computedProperties(type: string, r: ComputeInput): Record<string, unknown> {
  return { ...(COMPUTED[type.toLowerCase()]?.(r) ?? {}), provisioningState: 'Succeeded' };
}

/** The property names a type computes (read-only: what-if does not compare a template's value for them). */
export function computedPropertyNames(type: string): string[] {
  return Object.keys(computedProperties(type, { id: '/x/y', name: 'x', location: undefined, tenantId: '' }));
}

/** The write-only property names of a type (stored, never returned, not compared by what-if). */
export function writeOnlyProperties(type: string): string[] {
  return WRITE_ONLY[type.toLowerCase()] ?? [];
}

/** What `POST …/{action}` (and the template's `list*()`) returns per type and action (lower case). */
const LIST_ACTIONS: Record<string, Record<string, (r: ComputeInput) => Record<string, unknown>>> = {
  'microsoft.cache/redis': {
    listkeys: (r) => ({
      primaryKey: derivedKey(r, 'primaryKey', 32),
      secondaryKey: derivedKey(r, 'secondaryKey', 32),
    }),
  },
  'microsoft.storage/storageaccounts': {
    listkeys: (r) => ({
      keys: ['key1', 'key2'].map((keyName) => ({
        keyName,
        value: derivedKey(r, keyName, 64),
        permissions: 'FULL',
      })),
    }),
  },
};

/** The `list*` action a type answers, or undefined when it has none of that name. */
export function listAction(
  type: string,
  action: string,
): ((r: ComputeInput) => Record<string, unknown>) | undefined {
  return LIST_ACTIONS[type.toLowerCase()]?.[action.toLowerCase()];
}

/** The types (lower case) with a list action: the POST routes. */
export const LIST_ACTION_TYPES = Object.keys(LIST_ACTIONS);
