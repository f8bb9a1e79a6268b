import { HttpProblem, isObject, sendJson } from '../../../http.js';
import type { StoredResource } from '../../../store.js';
import { type Call, notFound } from '../../context.js';
import { WebBase } from './base.js';
import { newSite, pickWritable, SITE_TYPE, SLOT_TYPE } from './resources.js';

/** Sites and slots: create, update, delete, site config, app settings, slot setting names, state and instances. */
export class Sites extends WebBase {
  listSites(c: Call): void {
    const includeSlots = c.url.searchParams.get('includeSlots') === 'true';
    const prefix = this.groupPrefix(c.m);
    const sites = this.store.list(SITE_TYPE, prefix);
    const all = includeSlots
      ? sites.flatMap((s) => [s, ...this.store.list(SLOT_TYPE, `${s.id}/slots/`)])
      : sites;
    sendJson(c.res, 200, { value: all.map((s) => this.siteBody(s)), nextLink: null });
  }

  async putSite(c: Call): Promise<void> {
    const group = this.requireGroup(c.m);
    const siteId = `${group.id}/providers/Microsoft.Web/sites/${c.m[3]}`;
    const slot = c.m[4];
    const parent = slot ? this.store.get(siteId) : undefined;
    if (slot && !parent) throw notFound(SITE_TYPE, c.m[3]!, c.m[2]!);
    const id = slot ? `${parent!.id}/slots/${slot}` : siteId;
    const existing = this.store.get(id);
    if (existing || parent) this.assertUnlocked(existing ?? parent!);
    const body = await this.objectBody(c, 'a Site object');
    const properties = isObject(body['properties']) ? body['properties'] : {};
    const location = this.requireLocation(body, existing);
    const serverFarmId =
      (properties['serverFarmId'] as string | undefined) ??
      existing?.properties['serverFarmId'] ??
      parent?.properties['serverFarmId'];
    if (typeof serverFarmId !== 'string')
      throw new HttpProblem(
        400,
        'BadRequest',
        "The parameter 'properties.serverFarmId' is required to create a site.",
      );
    const plan = this.store.get(serverFarmId);
    if (!plan)
      throw new HttpProblem(
        404,
        'NotFound',
        `Cannot find ServerFarm with name ${serverFarmId.split('/').pop()}.`,
      );
    if (
      !slot &&
      !existing &&
      this.store.list(SITE_TYPE).some((s) => s.name.toLowerCase() === c.m[3]!.toLowerCase())
    ) {
      throw new HttpProblem(409, 'Conflict', `Website with given name ${c.m[3]} already exists.`);
    }
    const siteName = slot ? parent!.name : c.m[3]!;
    const record =
      existing ??
      newSite({
        id,
        siteName,
        slot,
        resourceGroup: group.name,
        location,
        plan,
        hostName: this.hooks.hostNameFor(siteName, slot),
        now: new Date(this.clock.now()).toISOString(),
      });
    const { siteConfig: siteConfigIn, ...writable } = properties;
    const updated: StoredResource = {
      ...record,
      ...(body['tags'] ? { tags: body['tags'] as Record<string, string> } : {}),
      ...(typeof body['kind'] === 'string' ? { kind: body['kind'] } : {}),
      properties: {
        ...record.properties,
        ...pickWritable(writable),
        serverFarmId: plan.id,
        lastModifiedTimeUtc: new Date(this.clock.now()).toISOString(),
      },
      internal: {
        ...record.internal,
        ...(body['identity'] !== undefined ? { identity: this.managedIdentity(body['identity']) } : {}),
      },
    };
    if (isObject(siteConfigIn)) this.applySiteConfig(updated, siteConfigIn);
    const before = existing ? structuredClone(existing) : undefined;
    const stored = this.store.put(updated);
    this.startOperation(c, {
      name: existing ? 'UpdateSite' : 'CreateSite',
      site: this.parentSite(stored),
      asyncHeader: true,
      complete: () => {},
      rollback: () => (before ? this.store.put(before) : this.store.delete(stored.id)),
      result: () => {
        const current = this.store.get(stored.id);
        return current ? this.siteBody(current) : undefined;
      },
    });
    sendJson(c.res, 202, this.siteBody(stored));
  }

  /**
   * A site's `identity` as App Service stores it: user-assigned identities (ids as keys) with the principalId
   * and clientId of each identity resource, as Azure reports them. System-assigned identities are refused.
   */
  private managedIdentity(input: unknown): Record<string, unknown> | null {
    if (input === null) return null;
    const type = isObject(input) ? String(input['type'] ?? '') : '';
    if (!/^(none|userassigned)$/i.test(type))
      throw new HttpProblem(
        400,
        'BadRequest',
        `The identity type '${type}' is not supported in the slotline sandbox: use UserAssigned (or None).`,
      );
    if (type.toLowerCase() === 'none') return { type: 'None' };
    const assigned = isObject((input as Record<string, unknown>)['userAssignedIdentities'])
      ? ((input as Record<string, unknown>)['userAssignedIdentities'] as Record<string, unknown>)
      : {};
    const out: Record<string, unknown> = {};
    for (const id of Object.keys(assigned)) {
      const identity = this.store.get(id);
      if (identity?.type.toLowerCase() !== 'microsoft.managedidentity/userassignedidentities')
        throw new HttpProblem(
          400,
          'BadRequest',
          `The user-assigned identity '${id}' was not found. Create it before assigning it to the site.`,
        );
      out[id] = {
        principalId: identity.properties['principalId'],
        clientId: identity.properties['clientId'],
      };
    }
    return { type: 'UserAssigned', userAssignedIdentities: out };
  }

  async patchSite(c: Call): Promise<void> {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    const body = await c.body();
    const properties = isObject(body) && isObject(body['properties']) ? body['properties'] : {};
    const { siteConfig: siteConfigIn, ...writable } = properties;
    // App Service's SitePatchResource has no `tags`: a PATCH body's tags are ignored, as in Azure. Tags
    // change through the Tags API (or a site PUT).
    const updated: StoredResource = {
      ...resource,
      properties: {
        ...resource.properties,
        ...pickWritable(writable),
        lastModifiedTimeUtc: new Date(this.clock.now()).toISOString(),
      },
      internal: { ...resource.internal },
    };
    if (isObject(siteConfigIn)) this.applySiteConfig(updated, siteConfigIn);
    // Injected: the write answers as if it had been applied, and is lost.
    if (this.faults.takeIgnoredWrite(c.req.method!, c.url.pathname)) {
      sendJson(c.res, 200, this.siteBody(updated));
      return;
    }
    sendJson(c.res, 200, this.siteBody(this.store.put(updated)));
  }

  deleteSite(c: Call): void {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    this.store.delete(resource.id);
    sendJson(c.res, 200, undefined);
  }

  /** Merge a SiteConfig into a site or slot, validating the fields slotline relies on. `appSettings` replaces the app settings. */
  applySiteConfig(resource: StoredResource, input: Record<string, unknown>): void {
    const { appSettings, connectionStrings, ...rest } = input;
    for (const key of ['linuxFxVersion', 'appCommandLine', 'windowsFxVersion'] as const) {
      if (rest[key] !== undefined && rest[key] !== null && typeof rest[key] !== 'string') {
        throw new HttpProblem(400, 'BadRequest', `The parameter '${key}' must be a string.`);
      }
    }
    const health = rest['healthCheckPath'];
    if (
      health !== undefined &&
      health !== null &&
      health !== '' &&
      (typeof health !== 'string' || !health.startsWith('/'))
    ) {
      throw new HttpProblem(
        400,
        'BadRequest',
        `The parameter 'healthCheckPath' has an invalid value '${String(health)}': it must be a path starting with '/'.`,
      );
    }
    if (rest['experiments'] !== undefined && rest['experiments'] !== null) {
      const experiments = rest['experiments'];
      const rules = isObject(experiments) ? experiments['rampUpRules'] : undefined;
      if (!Array.isArray(rules ?? []))
        throw new HttpProblem(400, 'BadRequest', "The parameter 'experiments.rampUpRules' must be an array.");
      for (const [i, rule] of ((rules as unknown[] | undefined) ?? []).entries()) {
        const pct = isObject(rule) ? rule['reroutePercentage'] : undefined;
        if (
          !isObject(rule) ||
          typeof rule['actionHostName'] !== 'string' ||
          typeof pct !== 'number' ||
          pct < 0 ||
          pct > 100
        ) {
          throw new HttpProblem(
            400,
            'BadRequest',
            `experiments.rampUpRules[${i}] needs an actionHostName (string) and a reroutePercentage from 0 to 100.`,
          );
        }
      }
    }
    resource.internal = {
      ...resource.internal,
      siteConfig: { ...(resource.internal?.['siteConfig'] as Record<string, unknown>), ...rest },
    };
    if (Array.isArray(appSettings)) {
      resource.internal['appSettings'] = Object.fromEntries(
        appSettings.filter(isObject).map((s) => [String(s['name']), String(s['value'] ?? '')]),
      );
    }
    if (Array.isArray(connectionStrings)) resource.internal['connectionStrings'] = connectionStrings;
  }

  async updateConfigWeb(c: Call): Promise<void> {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    const body = await c.body();
    if (!isObject(body) || !isObject(body['properties'])) {
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        "The request content was invalid: expected a SiteConfigResource with a 'properties' object.",
      );
    }
    const updated = { ...resource, internal: { ...resource.internal } };
    this.applySiteConfig(updated, body['properties']);
    sendJson(c.res, 200, this.configWebBody(this.store.put(updated)));
  }

  async putAppSettings(c: Call): Promise<void> {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    const body = await c.body();
    const properties = isObject(body) ? body['properties'] : undefined;
    if (!isObject(properties) || Object.values(properties).some((v) => typeof v !== 'string')) {
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        'The request content was invalid: expected {"properties": {"NAME": "value", ...}} with string values.',
      );
    }
    const updated = this.store.put({
      ...resource,
      internal: { ...resource.internal, appSettings: { ...properties } },
    });
    sendJson(c.res, 200, this.appSettingsBody(updated));
  }

  async putSlotConfigNames(c: Call): Promise<void> {
    const site = this.requireSite(c.m);
    this.assertUnlocked(site);
    const body = await c.body();
    const properties = isObject(body) && isObject(body['properties']) ? body['properties'] : undefined;
    if (!properties)
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        "The request content was invalid: expected a SlotConfigNamesResource with 'properties'.",
      );
    const names: Record<string, string[]> = {};
    for (const key of ['appSettingNames', 'connectionStringNames', 'azureStorageConfigNames']) {
      const value = properties[key];
      if (
        value !== undefined &&
        value !== null &&
        !(Array.isArray(value) && value.every((v) => typeof v === 'string'))
      ) {
        throw new HttpProblem(400, 'BadRequest', `The parameter '${key}' must be an array of strings.`);
      }
      names[key] = (value as string[] | undefined) ?? [];
    }
    const updated = this.store.put({ ...site, internal: { ...site.internal, slotConfigNames: names } });
    sendJson(c.res, 200, this.slotConfigNamesBody(updated));
  }

  restart(c: Call): void {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    this.store.put({
      ...resource,
      internal: { ...resource.internal, lastRestartTimeUtc: new Date(this.clock.now()).toISOString() },
    });
    this.store.recordAction({
      action: 'restart',
      id: resource.id,
      detail: {
        softRestart: c.url.searchParams.get('softRestart') === 'true',
        synchronous: c.url.searchParams.get('synchronous') === 'true',
      },
    });
    sendJson(c.res, 200, undefined);
  }

  setState(c: Call, state: 'Running' | 'Stopped'): void {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    this.store.put({ ...resource, properties: { ...resource.properties, state } });
    this.store.recordAction({ action: state === 'Running' ? 'start' : 'stop', id: resource.id });
    sendJson(c.res, 200, undefined);
  }

  instances(resource: StoredResource) {
    const plan = this.store.get(String(this.parentSite(resource).properties['serverFarmId']));
    const host = String(resource.properties['defaultHostName']).replace(/^([^.]+)\./, '$1.scm.');
    return this.hooks.instancesFor(resource, plan).map((i) => ({
      id: `${resource.id}/instances/${i.name}`,
      name: i.name,
      type: `${resource.type}/instances`,
      location: resource.location,
      properties: {
        state: i.state,
        statusUrl: `https://${host}/api/vfs/site/wwwroot/?instance=${i.name}`,
        detectorUrl: `https://${host}/detectors?type=tools&name=eventviewer&instance=${i.name}`,
        consoleUrl: `https://${host}/webssh/host?instance=${i.name}`,
        healthCheckUrl: `https://${host}/api/health?instance=${i.name}`,
        containers: {},
      },
    }));
  }

  listInstances(c: Call): void {
    sendJson(c.res, 200, { value: this.instances(this.requireSite(c.m)), nextLink: null });
  }

  getInstance(c: Call): void {
    const resource = this.requireSite(c.m);
    const instance = this.instances(resource).find((i) => i.name.toLowerCase() === c.m[5]!.toLowerCase());
    if (!instance) throw notFound(`${resource.type}/instances`, c.m[5]!, c.m[2]!);
    sendJson(c.res, 200, instance);
  }
}
