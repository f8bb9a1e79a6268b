import { HttpProblem, sendJson } from '../../../http.js';
import type { StoredResource } from '../../../store.js';
import {
  type ArmContext,
  type Call,
  ProviderBase,
  RG,
  RG_TYPE,
  type Routes,
  SUB,
  trackedResourceBody,
} from '../../context.js';
import { applyTagsPatch, readOperation, readTagsBody, TAGS_PATH, tagsResourceBody } from './tags.js';

/**
 * Microsoft.Resources: subscriptions (the list every login makes), the resource-provider registry,
 * resource groups, and the Tags API on any resource.
 */
export function registerResources(routes: Routes, ctx: ArmContext): void {
  const p = new Resources(ctx);
  routes.add('GET', '/subscriptions', (c) => p.listSubscriptions(c), { anyCaller: true });
  routes.add('GET', SUB, (c) => sendJson(c.res, 200, p.subscriptionBody()));
  routes.add('GET', `${SUB}/providers`, (c) =>
    sendJson(c.res, 200, { value: ctx.providers.map((info) => p.providerBody(info.namespace)) }),
  );
  routes.add('GET', `${SUB}/providers/([^/]+)`, (c) => sendJson(c.res, 200, p.providerBody(c.m[2]!)));
  routes.add('GET', `${SUB}/resourcegroups`, (c) =>
    sendJson(c.res, 200, { value: ctx.store.list(RG_TYPE, `/subscriptions/${c.m[1]}/`).map(rgBody) }),
  );
  routes.add('GET', RG, (c) => sendJson(c.res, 200, rgBody(ctx.requireGroup(c.m))));
  routes.add('GET', `(/subscriptions/.+)${TAGS_PATH}`, (c) => p.getTags(c));
  routes.add('PUT', `(/subscriptions/.+)${TAGS_PATH}`, (c) => p.writeTags(c, 'Replace'));
  routes.add('PATCH', `(/subscriptions/.+)${TAGS_PATH}`, (c) => p.writeTags(c, undefined));
  routes.add('DELETE', `(/subscriptions/.+)${TAGS_PATH}`, (c) => p.writeTags(c, 'Delete all'));
  ctx.providers.push({
    namespace: 'Microsoft.Resources',
    resourceTypes: [
      {
        resourceType: 'subscriptions',
        locations: [],
        apiVersions: ['2022-12-01', '2021-01-01', '2020-01-01'],
      },
      {
        resourceType: 'resourceGroups',
        locations: [],
        apiVersions: ['2025-04-01', '2024-11-01', '2021-04-01'],
      },
      { resourceType: 'tags', locations: [], apiVersions: ['2025-04-01', '2024-11-01', '2021-04-01'] },
    ],
  });
}

class Resources extends ProviderBase {
  /** Subscriptions the caller holds a role in: the sandbox's one, or none. */
  listSubscriptions(c: Call): void {
    const prefix = `/subscriptions/${this.store.state.subscriptionId}`.toLowerCase();
    const visible = this.store.state.roleAssignments.some(
      (a) =>
        a.principalObjectId === c.caller.oid &&
        (a.scope.toLowerCase() === prefix || a.scope.toLowerCase().startsWith(`${prefix}/`)),
    );
    const value = visible ? [this.subscriptionBody()] : [];
    sendJson(c.res, 200, { value, count: { type: 'Total', value: value.length } });
  }

  subscriptionBody(): Record<string, unknown> {
    const id = this.store.state.subscriptionId;
    return {
      id: `/subscriptions/${id}`,
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      subscriptionId: id,
      tenantId: this.store.state.tenantId,
      displayName: 'slotline sandbox',
      state: 'Enabled',
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'PayAsYouGo_2014-09-01',
        spendingLimit: 'Off',
      },
    };
  }

  /** A provider the sandbox serves, registered; the namespace matches case-insensitively, as in ARM. */
  providerBody(namespace: string): Record<string, unknown> {
    const info = this.ctx.providers.find((p) => p.namespace.toLowerCase() === namespace.toLowerCase());
    if (!info) {
      throw new HttpProblem(
        404,
        'InvalidResourceNamespace',
        `The resource namespace '${namespace}' is invalid.`,
      );
    }
    return {
      id: `/subscriptions/${this.store.state.subscriptionId}/providers/${info.namespace}`,
      namespace: info.namespace,
      registrationState: 'Registered',
      registrationPolicy: 'RegistrationRequired',
      resourceTypes: info.resourceTypes,
    };
  }

  tagScope(c: Call): StoredResource {
    const scope = c.m[1]!;
    const resource = this.store.get(scope);
    if (!resource) throw new HttpProblem(404, 'ResourceNotFound', `The resource '${scope}' was not found.`);
    return resource;
  }

  getTags(c: Call): void {
    const resource = this.tagScope(c);
    sendJson(c.res, 200, tagsResourceBody(resource.id, resource.tags ?? {}));
  }

  /** PUT replaces the map, PATCH merges, replaces or deletes (`operation`), DELETE removes every tag. */
  async writeTags(c: Call, fixed: 'Replace' | 'Delete all' | undefined): Promise<void> {
    const resource = this.tagScope(c);
    const body = fixed === 'Delete all' ? undefined : await c.body();
    const next =
      fixed === 'Delete all'
        ? {}
        : applyTagsPatch(resource.tags ?? {}, fixed ?? readOperation(body), readTagsBody(body));
    if (this.faults.takeIgnoredWrite(c.req.method!, c.url.pathname)) {
      // Injected: the write answers as if it had been applied, and is lost.
      sendJson(c.res, 200, tagsResourceBody(resource.id, next));
      return;
    }
    const stored = this.store.put({ ...resource, tags: next });
    if (fixed === 'Delete all') c.res.writeHead(200).end();
    else sendJson(c.res, 200, tagsResourceBody(stored.id, stored.tags ?? {}));
  }
}

function rgBody(group: StoredResource): Record<string, unknown> {
  return trackedResourceBody(group, { provisioningState: 'Succeeded' });
}
