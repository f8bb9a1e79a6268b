import { newPlan, newSite } from './arm/service.js';
import type { SandboxClock } from './clock.js';
import {
  AZURE_AD_TOKEN_EXCHANGE,
  generateClientSecret,
  PLAN_PLACEHOLDER,
  randomUUID,
  type SandboxConfig,
  SITE_PLACEHOLDER,
} from './config.js';
import type { PersistedState, StoredResource } from './store.js';

/**
 * Seeding: a fresh state dir gets its ids, secrets, role assignments and resources from the config. A
 * state dir that already holds state.json is resumed instead and never reseeded.
 */

/** Turn the config into a fresh state: ids, secrets, role assignments and the seeded resources. */
export async function seedState(
  config: SandboxConfig,
  clock: SandboxClock,
): Promise<{ state: PersistedState; resources: StoredResource[] }> {
  const tenantId = config.tenantId ?? randomUUID();
  const subscriptionId = config.subscriptionId ?? randomUUID();
  const subScope = `/subscriptions/${subscriptionId}`;
  const principals = config.principals.map((p) => ({
    name: p.name,
    clientId: p.clientId ?? randomUUID(),
    objectId: randomUUID(),
    clientSecret: p.clientSecret === null ? null : (p.clientSecret ?? generateClientSecret()),
    federatedCredentials: (p.federatedCredentials ?? []).map((f) => ({
      ...f,
      audiences: f.audiences ?? [AZURE_AD_TOKEN_EXCHANGE],
    })),
  }));
  const roleAssignments = config.principals.flatMap((p, i) =>
    [{ role: p.role, scope: p.scope ?? subScope }, ...(p.additionalRoles ?? [])].map((a) => ({
      principalObjectId: principals[i]!.objectId,
      role: a.role,
      scope: a.scope.replace(/\{subscription\}/g, subscriptionId),
    })),
  );
  const state: PersistedState = {
    version: 1,
    tenantId,
    subscriptionId,
    location: config.location,
    principals,
    roleAssignments,
    resources: [],
    githubRequestTokens: {},
    settings: {
      tokenLifetimeSeconds: config.tokenLifetimeSeconds,
      operationDurationMs: config.operationDurationMs,
      retryAfterSeconds: config.retryAfterSeconds,
    },
    defaults: config.defaults,
  };
  const now = new Date(clock.now()).toISOString();
  const resources: StoredResource[] = [];
  for (const group of config.resourceGroups) {
    const location = group.location ?? config.location;
    const groupId = `${subScope}/resourceGroups/${group.name}`;
    resources.push({
      id: groupId,
      name: group.name,
      type: 'Microsoft.Resources/resourceGroups',
      location,
      properties: {},
    });
    const plans = new Map<string, StoredResource>();
    for (const p of group.plans ?? []) {
      const plan = newPlan(
        `${groupId}/providers/Microsoft.Web/serverfarms/${p.name}`,
        p.name,
        group.name,
        location,
        p.sku ?? { name: 'P1v3', tier: 'PremiumV3', capacity: 1 },
        {},
      );
      plans.set(p.name.toLowerCase(), plan);
      resources.push(plan);
    }
    const sites = new Map<string, StoredResource>();
    for (const s of group.sites ?? []) {
      const plan = plans.get(s.plan.toLowerCase());
      if (!plan)
        throw new Error(
          `config: site ${s.name} names plan ${s.plan}, which resource group ${group.name} does not declare`,
        );
      for (const slot of [undefined, ...(s.slots ?? [])]) {
        const spec = slot ?? s;
        const id = `${groupId}/providers/Microsoft.Web/sites/${s.name}${slot ? `/slots/${slot.name}` : ''}`;
        const resource = newSite({
          id,
          siteName: s.name,
          slot: slot?.name,
          resourceGroup: group.name,
          location,
          plan,
          hostName: '',
          now,
        });
        const siteConfig = resource.internal!['siteConfig'] as Record<string, unknown>;
        if (spec.linuxFxVersion !== undefined) siteConfig['linuxFxVersion'] = spec.linuxFxVersion;
        if (spec.healthCheckPath !== undefined) siteConfig['healthCheckPath'] = spec.healthCheckPath;
        resource.internal!['appSettings'] = { ...spec.appSettings };
        if (!slot)
          resource.internal!['slotConfigNames'] = {
            appSettingNames: s.stickyAppSettings ?? [],
            connectionStringNames: [],
            azureStorageConfigNames: [],
          };
        if (!slot) sites.set(s.name.toLowerCase(), resource);
        resources.push(resource);
      }
    }
    for (const a of group.autoscaleSettings ?? []) {
      const plan = plans.get(a.targetPlan.toLowerCase());
      if (!plan)
        throw new Error(
          `config: autoscale setting ${a.name} targets plan ${a.targetPlan}, which resource group ${group.name} does not declare`,
        );
      const firstSite = [...sites.values()].find((s) => String(s.properties['serverFarmId']) === plan.id);
      const profiles = JSON.parse(
        JSON.stringify(a.profiles)
          .replaceAll(`"${PLAN_PLACEHOLDER}"`, JSON.stringify(plan.id))
          .replaceAll(`"${SITE_PLACEHOLDER}"`, JSON.stringify(firstSite?.id ?? plan.id)),
      );
      resources.push({
        id: `${groupId}/providers/microsoft.insights/autoscalesettings/${a.name}`,
        name: a.name,
        type: 'Microsoft.Insights/autoscaleSettings',
        location,
        tags: {},
        properties: {
          profiles,
          enabled: a.enabled ?? true,
          notifications: a.notifications ?? [],
          predictiveAutoscalePolicy: { scaleMode: 'Disabled', scaleLookAheadTime: null },
          name: a.name,
          targetResourceUri: plan.id,
          targetResourceLocation: location,
        },
      });
    }
  }
  return { state, resources };
}

/**
 * Give seeded sites and slots their host names, once the listeners (or the data plane's front doors) know
 * them: `hostNameFor(site, slot)` is `127.0.0.1:<port>` with a data plane.
 */
export function assignHostNames(
  resources: readonly StoredResource[],
  hostNameFor: (site: string, slot?: string) => string,
): void {
  for (const resource of resources) {
    if (!resource.type.startsWith('Microsoft.Web/sites')) continue;
    const [site, slot] = resource.name.split('/');
    const host = hostNameFor(site!, slot);
    const scm = host.replace(/^([^.]+)\./, '$1.scm.');
    Object.assign(resource.properties, {
      defaultHostName: host,
      hostNames: [host],
      enabledHostNames: [host, scm],
      hostNameSslStates: [
        { name: host, hostType: 'Standard', sslState: 'Disabled' },
        { name: scm, hostType: 'Repository', sslState: 'Disabled' },
      ],
    });
  }
}
