import { HttpProblem, isObject } from '../../../http.js';
import type { StoredResource } from '../../../store.js';
import { type Call, notFound, ProviderBase } from '../../context.js';
import type { Operation } from '../../operations.js';
import { PLAN_TYPE, SITE_TYPE, SLOT_TYPE } from './resources.js';

/** What the Web provider's parts share: finding sites, slots and plans, their bodies, and App Service's operations. */
export abstract class WebBase extends ProviderBase {
  siteId(m: string[]): string {
    return `${this.requireGroup(m).id}/providers/Microsoft.Web/sites/${m[3]}`;
  }

  /** The site (m[4] undefined) or slot the path names. "production" as a slot name means the site. */
  requireSite(m: string[]): StoredResource {
    const site = this.store.get(this.siteId(m));
    if (!site) throw notFound(SITE_TYPE, m[3]!, m[2]!);
    const slot = m[4];
    if (!slot || slot.toLowerCase() === 'production') return site;
    const found = this.store.get(`${site.id}/slots/${slot}`);
    if (!found) throw notFound(SLOT_TYPE, `${m[3]}/${slot}`, m[2]!);
    return found;
  }

  requirePlan(m: string[]): StoredResource {
    const plan = this.store.get(`${this.requireGroup(m).id}/providers/Microsoft.Web/serverfarms/${m[3]}`);
    if (!plan) throw notFound(PLAN_TYPE, m[3]!, m[2]!);
    return plan;
  }

  parentSite(resource: StoredResource): StoredResource {
    return resource.type === SLOT_TYPE
      ? this.store.get(resource.id.replace(/\/slots\/[^/]+$/i, ''))!
      : resource;
  }

  slotName(resource: StoredResource): string {
    return resource.type === SLOT_TYPE ? resource.name.split('/')[1]! : 'production';
  }

  /** The other side of a swap: `targetSlot` names a slot of the same site, or production. */
  requireTarget(source: StoredResource, body: unknown): StoredResource {
    const target = isObject(body) ? body['targetSlot'] : undefined;
    if (typeof target !== 'string' || target === '') {
      throw new HttpProblem(
        400,
        'BadRequest',
        "The parameter 'targetSlot' is required: name the slot to swap with (or 'production').",
      );
    }
    const site = this.parentSite(source);
    const resolved =
      target.toLowerCase() === 'production' ? site : this.store.get(`${site.id}/slots/${target}`);
    if (!resolved)
      throw new HttpProblem(404, 'ResourceNotFound', `Cannot find slot '${target}' of site '${site.name}'.`);
    if (resolved.id.toLowerCase() === source.id.toLowerCase()) {
      throw new HttpProblem(400, 'BadRequest', `Cannot swap slot '${target}' with itself.`);
    }
    return resolved;
  }

  /** The body's location, or the existing resource's; a new resource without one is LocationRequired. */
  protected requireLocation(body: Record<string, unknown>, existing: StoredResource | undefined): string {
    const location = (body['location'] as string | undefined) ?? existing?.location;
    if (!location)
      throw new HttpProblem(
        400,
        'LocationRequired',
        'The location property is required for this definition.',
      );
    return location;
  }

  /** A write to a site or slot waits for no one: while an operation on the site runs, it is a 409. */
  protected assertUnlocked(resource: StoredResource): void {
    this.ctx.operations.assertUnlocked(this.parentSite(resource).id);
  }

  /** Start an App Service long-running operation; its status URLs are under Microsoft.Web. */
  protected startOperation(
    c: Call,
    args: {
      name: string;
      site: StoredResource;
      complete: () => void;
      rollback?: () => void;
      result?: () => unknown;
      asyncHeader: boolean;
      work?: () => Promise<void>;
    },
  ): Operation {
    const apiVersion = c.url.searchParams.get('api-version')!;
    const base = `${this.ctx.armEndpoint}/subscriptions/${this.store.state.subscriptionId}/providers/Microsoft.Web`;
    const location = (args.site.location ?? 'westeurope').toLowerCase().replace(/\s+/g, '');
    const site = args.site.name;
    return this.ctx.operations.start(c, {
      name: args.name,
      lockId: args.site.id,
      complete: args.complete,
      ...(args.rollback ? { rollback: args.rollback } : {}),
      ...(args.result ? { result: args.result } : {}),
      ...(args.work ? { work: args.work } : {}),
      location: (id) => `${base}/locations/${location}/operationResults/${id}?api-version=${apiVersion}`,
      ...(args.asyncHeader
        ? {
            asyncOperation: (id: string) =>
              `${base}/sites/${site}/operationResults/${id}?api-version=${apiVersion}`,
          }
        : {}),
    });
  }

  siteBody(resource: StoredResource): Record<string, unknown> {
    const siteConfig = { ...(resource.internal?.['siteConfig'] as Record<string, unknown>) };
    return {
      id: resource.id,
      name: resource.name,
      type: resource.type,
      kind: resource.kind ?? 'app,linux,container',
      location: resource.location,
      ...(resource.tags ? { tags: resource.tags } : {}),
      ...(resource.internal?.['identity'] ? { identity: resource.internal['identity'] } : {}),
      properties: { ...resource.properties, siteConfig },
    };
  }

  planBody(plan: StoredResource): Record<string, unknown> {
    const sku = plan.sku as { capacity: number };
    const sites = this.store
      .list(SITE_TYPE)
      .filter((s) => String(s.properties['serverFarmId']).toLowerCase() === plan.id.toLowerCase());
    return {
      id: plan.id,
      name: plan.name,
      type: plan.type,
      kind: plan.kind,
      location: plan.location,
      ...(plan.tags ? { tags: plan.tags } : {}),
      sku,
      properties: {
        ...plan.properties,
        numberOfWorkers: sku.capacity,
        currentNumberOfWorkers: sku.capacity,
        numberOfSites: sites.length,
      },
    };
  }

  configWebBody(resource: StoredResource): Record<string, unknown> {
    return this.configBody(resource, 'web', resource.internal?.['siteConfig']);
  }

  appSettingsBody(resource: StoredResource): Record<string, unknown> {
    return this.configBody(resource, 'appsettings', resource.internal?.['appSettings']);
  }

  /** A `{site}/config/{name}` resource around a copy of the stored properties. */
  private configBody(resource: StoredResource, name: string, properties: unknown): Record<string, unknown> {
    return {
      id: `${resource.id}/config/${name}`,
      name,
      type: `${resource.type}/config`,
      kind: resource.kind ?? 'app,linux,container',
      location: resource.location,
      properties: { ...(properties as Record<string, unknown>) },
    };
  }

  slotConfigNames(site: StoredResource): {
    appSettingNames: string[];
    connectionStringNames: string[];
    azureStorageConfigNames: string[];
  } {
    const names = (site.internal?.['slotConfigNames'] ?? {}) as Record<string, string[]>;
    return {
      appSettingNames: names['appSettingNames'] ?? [],
      connectionStringNames: names['connectionStringNames'] ?? [],
      azureStorageConfigNames: names['azureStorageConfigNames'] ?? [],
    };
  }

  slotConfigNamesBody(site: StoredResource): Record<string, unknown> {
    return {
      id: `${site.id}/config/slotconfignames`,
      name: 'slotconfignames',
      type: 'Microsoft.Web/sites/config',
      properties: this.slotConfigNames(site),
    };
  }

  stickyNames(site: StoredResource): Set<string> {
    return new Set(this.slotConfigNames(site).appSettingNames);
  }
}
