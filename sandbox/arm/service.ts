import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateAgainstSchema } from '../../src/lib/schema.js';
import type { FaultInjector } from '../faults.js';
import { HttpProblem, isObject, parseJsonBody, readBody, sendArmError, sendJson } from '../http.js';
import {
  type AccessTokenClaims,
  armAudiences,
  type IdentityService,
  type SandboxClock,
  TokenProblem,
} from '../identity.js';
import {
  type MetricsSource,
  metricDefinitionsBody,
  metricNamespacesBody,
  parseIsoDuration,
  queryMetrics,
} from '../metrics.js';
import type { ResourceStore, StoredResource } from '../store.js';
import { AUTOSCALE_SETTING_SCHEMA } from './autoscale-schema.js';
import { applyTagsPatch, readOperation, readTagsBody, TAGS_PATH, tagsResourceBody } from './tags.js';
import { defaultSiteConfig, defaultSiteProperties, SLOT_BOUND_SITE_CONFIG } from './templates.js';

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

export const defaultHooks = (metrics: MetricsSource): ArmHooks => ({
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
});

interface Operation {
  id: string;
  name: string;
  /** The site the operation locks: other writes to it or its slots get 409 until it ends. */
  lockId: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  startTime: number;
  completeAt: number;
  endTime?: number;
  /** What the final Location poll returns on success; undefined means an empty 200. */
  result?: () => unknown;
  complete: () => void;
  rollback: () => void;
  failure?: { status: number; code: string; message: string };
  /** Work the operation waits for (the data plane's part of a swap), besides its minimum duration. */
  pending?: boolean;
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  m: string[];
  caller: AccessTokenClaims;
  body: () => Promise<unknown>;
}

type Handler = (call: Call) => Promise<void> | void;

const SUB = '/subscriptions/([^/]+)';
const RG = `${SUB}/resourcegroups/([^/]+)`;
const SITE = `${RG}/providers/microsoft\\.web/sites/([^/]+)`;
const SLOT = '(?:/slots/([^/]+))?';
const AUTOSCALE = `${RG}/providers/microsoft\\.insights/autoscalesettings`;
const PLANS = `${RG}/providers/microsoft\\.web/serverfarms`;

const SITE_TYPE = 'Microsoft.Web/sites';
const SLOT_TYPE = 'Microsoft.Web/sites/slots';
const PLAN_TYPE = 'Microsoft.Web/serverfarms';
const RG_TYPE = 'Microsoft.Resources/resourceGroups';
const AUTOSCALE_TYPE = 'Microsoft.Insights/autoscaleSettings';

const notFound = (type: string, name: string, rg: string) =>
  new HttpProblem(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

/**
 * Azure Resource Manager for the resource types slotline uses: bearer-token auth, role checks,
 * case-insensitive paths, ARM's error envelope, long-running operations with 202 + Location +
 * Azure-AsyncOperation, and the Web, autoscale and Monitor operations.
 */
export class ArmService {
  armEndpoint = '';
  private readonly operations = new Map<string, Operation>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly routes: { method: string; pattern: RegExp; handler: Handler }[] = [];

  constructor(
    private readonly store: ResourceStore,
    private readonly identity: IdentityService,
    private readonly faults: FaultInjector,
    private readonly clock: SandboxClock,
    readonly hooks: ArmHooks,
  ) {
    const r = (method: string, pattern: string, handler: Handler) =>
      this.routes.push({ method, pattern: new RegExp(`^${pattern}$`, 'i'), handler });
    r('GET', SUB, (c) => this.getSubscription(c));
    r('GET', `${SUB}/resourcegroups`, (c) =>
      sendJson(c.res, 200, { value: this.store.list(RG_TYPE, `/subscriptions/${c.m[1]}/`).map(rgBody) }),
    );
    r('GET', RG, (c) => sendJson(c.res, 200, rgBody(this.requireGroup(c.m))));
    r('GET', `${SUB}/providers/microsoft\\.web/serverfarms`, (c) =>
      this.list(c, PLAN_TYPE, `/subscriptions/${c.m[1]}/`, (p) => this.planBody(p)),
    );
    r('GET', PLANS, (c) => this.list(c, PLAN_TYPE, this.groupPrefix(c.m), (p) => this.planBody(p)));
    r('GET', `${PLANS}/([^/]+)`, (c) => sendJson(c.res, 200, this.planBody(this.requirePlan(c.m))));
    r('PUT', `${PLANS}/([^/]+)`, (c) => this.putPlan(c, false));
    r('PATCH', `${PLANS}/([^/]+)`, (c) => this.putPlan(c, true));
    r('DELETE', `${PLANS}/([^/]+)`, (c) => this.deletePlan(c));
    r('GET', `${SUB}/providers/microsoft\\.web/sites`, (c) =>
      this.list(c, SITE_TYPE, `/subscriptions/${c.m[1]}/`, (s) => this.siteBody(s)),
    );
    r('GET', `${RG}/providers/microsoft\\.web/sites`, (c) => this.listSites(c));
    r('GET', `${SITE}/slots`, (c) =>
      this.list(c, SLOT_TYPE, `${this.requireSite(c.m).id}/slots/`, (s) => this.siteBody(s)),
    );
    r('GET', `${SITE}${SLOT}`, (c) => sendJson(c.res, 200, this.siteBody(this.requireSite(c.m))));
    r('PUT', `${SITE}${SLOT}`, (c) => this.putSite(c));
    r('PATCH', `${SITE}${SLOT}`, (c) => this.patchSite(c));
    r('DELETE', `${SITE}${SLOT}`, (c) => this.deleteSite(c));
    r('GET', `${SITE}${SLOT}/config`, (c) =>
      sendJson(c.res, 200, { value: [this.configWebBody(this.requireSite(c.m))], nextLink: null }),
    );
    r('GET', `${SITE}${SLOT}/config/web`, (c) =>
      sendJson(c.res, 200, this.configWebBody(this.requireSite(c.m))),
    );
    r('PUT', `${SITE}${SLOT}/config/web`, (c) => this.updateConfigWeb(c));
    r('PATCH', `${SITE}${SLOT}/config/web`, (c) => this.updateConfigWeb(c));
    r('PUT', `${SITE}${SLOT}/config/appsettings`, (c) => this.putAppSettings(c));
    r('POST', `${SITE}${SLOT}/config/appsettings/list`, (c) =>
      sendJson(c.res, 200, this.appSettingsBody(this.requireSite(c.m))),
    );
    r('GET', `${SITE}/config/slotconfignames`, (c) =>
      sendJson(c.res, 200, this.slotConfigNamesBody(this.requireSite(c.m))),
    );
    r('PUT', `${SITE}/config/slotconfignames`, (c) => this.putSlotConfigNames(c));
    r('POST', `${SITE}${SLOT}/slotsswap`, (c) => this.swap(c));
    r('POST', `${SITE}${SLOT}/slotsdiffs`, (c) => this.slotsDiffs(c));
    r('POST', `${SITE}${SLOT}/applyslotconfig`, (c) => this.applySlotConfig(c));
    r('POST', `${SITE}${SLOT}/resetslotconfig`, (c) => this.resetSlotConfig(c));
    r('POST', `${SITE}${SLOT}/restart`, (c) => this.restart(c));
    r('POST', `${SITE}${SLOT}/start`, (c) => this.setState(c, 'Running'));
    r('POST', `${SITE}${SLOT}/stop`, (c) => this.setState(c, 'Stopped'));
    r('GET', `${SITE}${SLOT}/instances`, (c) => this.listInstances(c));
    r('GET', `${SITE}${SLOT}/instances/([^/]+)`, (c) => this.getInstance(c));
    r('GET', `${SUB}/providers/microsoft\\.web/sites/([^/]+)/operationresults/([^/]+)`, (c) =>
      this.asyncOperationStatus(c, c.m[3]!),
    );
    r('GET', `${SUB}/providers/microsoft\\.web/locations/([^/]+)/operationresults/([^/]+)`, (c) =>
      this.locationStatus(c, c.m[3]!),
    );
    r('GET', `${SUB}/providers/microsoft\\.insights/autoscalesettings`, (c) =>
      this.list(c, AUTOSCALE_TYPE, `/subscriptions/${c.m[1]}/`, (a) => this.autoscaleBody(a)),
    );
    r('GET', AUTOSCALE, (c) =>
      this.list(c, AUTOSCALE_TYPE, this.groupPrefix(c.m), (a) => this.autoscaleBody(a)),
    );
    r('GET', `${AUTOSCALE}/([^/]+)`, (c) =>
      sendJson(c.res, 200, this.autoscaleBody(this.requireAutoscale(c.m))),
    );
    r('PUT', `${AUTOSCALE}/([^/]+)`, (c) => this.putAutoscale(c, false));
    r('PATCH', `${AUTOSCALE}/([^/]+)`, (c) => this.putAutoscale(c, true));
    r('DELETE', `${AUTOSCALE}/([^/]+)`, (c) => this.deleteAutoscale(c));
    r('GET', `(/subscriptions/.+)${TAGS_PATH}`, (c) => this.getTags(c));
    r('PUT', `(/subscriptions/.+)${TAGS_PATH}`, (c) => this.writeTags(c, 'Replace'));
    r('PATCH', `(/subscriptions/.+)${TAGS_PATH}`, (c) => this.writeTags(c, undefined));
    r('DELETE', `(/subscriptions/.+)${TAGS_PATH}`, (c) => this.writeTags(c, 'Delete all'));
    r('GET', '(/subscriptions/.+)/providers/microsoft\\.insights/metrics', (c) => this.metrics(c, 'metrics'));
    r('GET', '(/subscriptions/.+)/providers/microsoft\\.insights/metricdefinitions', (c) =>
      this.metrics(c, 'definitions'),
    );
    r('GET', '(/subscriptions/.+)/providers/microsoft\\.insights/metricnamespaces', (c) =>
      this.metrics(c, 'namespaces'),
    );
  }

  /** Stop timers so the process can exit. Operations still running are abandoned. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    res.setHeader('x-ms-request-id', randomUUID());
    res.setHeader(
      'x-ms-correlation-request-id',
      req.headers['x-ms-correlation-request-id']?.toString() ?? randomUUID(),
    );
    try {
      this.settleOperations();
      const caller = await this.authenticate(req);
      if (!url.searchParams.has('api-version')) {
        throw new HttpProblem(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
      }
      // Paths are case-insensitive and tolerate a doubled or trailing slash, as ARM's front door does.
      const path = url.pathname.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
      const route = this.routes.find((r) => r.pattern.test(path) && r.method === req.method);
      if (!route) {
        const anyMethod = this.routes.some((r) => r.pattern.test(path));
        if (anyMethod)
          throw new HttpProblem(
            405,
            'MethodNotAllowed',
            `The requested resource does not support http method '${req.method}'.`,
          );
        throw new HttpProblem(
          404,
          'NoRegisteredProviderFound',
          `No registered resource provider found for path '${path}' and API version '${url.searchParams.get('api-version')}'.`,
        );
      }
      const m = route.pattern
        .exec(path)!
        .map((g) => (g === undefined ? g : decodeURIComponent(g))) as string[];
      this.checkSubscription(path);
      this.authorize(caller, req.method!, path);
      let parsed: { value: unknown } | undefined;
      const body = async () => {
        parsed ??= { value: parseJsonBody(await readBody(req), false) };
        return parsed.value;
      };
      await route.handler({ req, res, url, m, caller, body });
    } catch (error) {
      if (error instanceof HttpProblem) sendArmError(res, error);
      else {
        sendArmError(
          res,
          new HttpProblem(500, 'InternalServerError', 'The sandbox hit an unexpected error; see its log.'),
        );
        console.error(`sandbox: ARM ${req.method} ${url.pathname}: ${(error as Error).stack ?? error}`);
      }
    }
  }

  // ---- auth ----

  private async authenticate(req: IncomingMessage): Promise<AccessTokenClaims> {
    const header = req.headers.authorization;
    const challenge = (error: string, description: string) => ({
      'www-authenticate': `Bearer authorization_uri="${this.identity.authorityHost}/${this.identity.tenantId}", error="${error}", error_description="${description}"`,
    });
    if (!header) {
      throw new HttpProblem(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        challenge('invalid_token', "The authentication failed because of missing 'Authorization' header."),
      );
    }
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) {
      throw new HttpProblem(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        challenge('invalid_token', 'The access token is invalid.'),
      );
    }
    try {
      return await this.identity.verifyAccessToken(token, armAudiences(this.armEndpoint));
    } catch (error) {
      if (error instanceof TokenProblem)
        throw new HttpProblem(401, error.code, error.message, challenge('invalid_token', error.message));
      throw error;
    }
  }

  private checkSubscription(path: string): void {
    const sub = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];
    if (sub && sub.toLowerCase() !== this.store.state.subscriptionId.toLowerCase()) {
      throw new HttpProblem(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
    }
  }

  /** Reader may GET and nothing else; Contributor and Owner may do everything; no assignment, nothing. */
  private authorize(caller: AccessTokenClaims, method: string, path: string): void {
    const lowerPath = path.toLowerCase();
    const roles = this.store.state.roleAssignments
      .filter((a) => a.principalObjectId === caller.oid)
      .filter((a) => lowerPath === a.scope.toLowerCase() || lowerPath.startsWith(`${a.scope.toLowerCase()}/`))
      .map((a) => a.role);
    const write = method !== 'GET';
    if (roles.includes('Owner') || roles.includes('Contributor') || (!write && roles.includes('Reader')))
      return;
    throw new HttpProblem(
      403,
      'AuthorizationFailed',
      `The client '${caller.appid}' with object id '${caller.oid}' does not have authorization to perform action '${actionName(method, path)}' over scope '${scopeOf(path)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  // ---- lookups ----

  private groupPrefix(m: string[]): string {
    return `${this.requireGroup(m).id}/`;
  }

  private requireGroup(m: string[]): StoredResource {
    const id = `/subscriptions/${this.store.state.subscriptionId}/resourceGroups/${m[2]}`;
    const group = this.store.get(id);
    if (!group)
      throw new HttpProblem(404, 'ResourceGroupNotFound', `Resource group '${m[2]}' could not be found.`);
    return group;
  }

  private siteId(m: string[]): string {
    return `${this.requireGroup(m).id}/providers/Microsoft.Web/sites/${m[3]}`;
  }

  /** The site (m[4] undefined) or slot the path names. "production" as a slot name means the site. */
  private requireSite(m: string[]): StoredResource {
    const site = this.store.get(this.siteId(m));
    if (!site) throw notFound(SITE_TYPE, m[3]!, m[2]!);
    const slot = m[4];
    if (!slot || slot.toLowerCase() === 'production') return site;
    const found = this.store.get(`${site.id}/slots/${slot}`);
    if (!found) throw notFound(SLOT_TYPE, `${m[3]}/${slot}`, m[2]!);
    return found;
  }

  private requirePlan(m: string[]): StoredResource {
    const plan = this.store.get(`${this.requireGroup(m).id}/providers/Microsoft.Web/serverfarms/${m[3]}`);
    if (!plan) throw notFound(PLAN_TYPE, m[3]!, m[2]!);
    return plan;
  }

  private requireAutoscale(m: string[]): StoredResource {
    const setting = this.store.get(
      `${this.requireGroup(m).id}/providers/microsoft.insights/autoscalesettings/${m[3]}`,
    );
    if (!setting) throw notFound('microsoft.insights/autoscalesettings', m[3]!, m[2]!);
    return setting;
  }

  private parentSite(resource: StoredResource): StoredResource {
    return resource.type === SLOT_TYPE
      ? this.store.get(resource.id.replace(/\/slots\/[^/]+$/i, ''))!
      : resource;
  }

  private slotName(resource: StoredResource): string {
    return resource.type === SLOT_TYPE ? resource.name.split('/')[1]! : 'production';
  }

  /** The other side of a swap: `targetSlot` names a slot of the same site, or production. */
  private requireTarget(source: StoredResource, body: unknown): StoredResource {
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

  private list(c: Call, type: string, prefix: string, body: (r: StoredResource) => unknown): void {
    sendJson(c.res, 200, { value: this.store.list(type, prefix).map(body), nextLink: null });
  }

  private listSites(c: Call): void {
    const includeSlots = c.url.searchParams.get('includeSlots') === 'true';
    const prefix = this.groupPrefix(c.m);
    const sites = this.store.list(SITE_TYPE, prefix);
    const all = includeSlots
      ? sites.flatMap((s) => [s, ...this.store.list(SLOT_TYPE, `${s.id}/slots/`)])
      : sites;
    sendJson(c.res, 200, { value: all.map((s) => this.siteBody(s)), nextLink: null });
  }

  private getSubscription(c: Call): void {
    const id = this.store.state.subscriptionId;
    sendJson(c.res, 200, {
      id: `/subscriptions/${id}`,
      subscriptionId: id,
      tenantId: this.store.state.tenantId,
      displayName: 'slotline sandbox',
      state: 'Enabled',
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'PayAsYouGo_2014-09-01',
        spendingLimit: 'Off',
      },
      authorizationSource: 'RoleBased',
    });
  }

  // ---- operations (LRO) ----

  private lockedBy(siteId: string): Operation | undefined {
    this.settleOperations();
    const key = siteId.toLowerCase();
    return [...this.operations.values()].find(
      (o) => o.status === 'InProgress' && o.lockId.toLowerCase() === key,
    );
  }

  private assertUnlocked(resource: StoredResource): void {
    const op = this.lockedBy(this.parentSite(resource).id);
    if (op) {
      throw new HttpProblem(
        409,
        'Conflict',
        `Cannot modify this site because another operation is in progress. Details: Id: ${op.id}, OperationName: ${op.name}, CreatedTime: ${new Date(op.startTime).toISOString()}, EntityType: 1`,
      );
    }
  }

  private settleOperations(): void {
    const now = this.clock.now();
    for (const op of this.operations.values()) {
      if (op.status !== 'InProgress' || now < op.completeAt || op.pending) continue;
      op.endTime = now;
      if (op.failure) {
        op.status = 'Failed';
        op.rollback();
      } else {
        op.status = 'Succeeded';
        op.complete();
      }
    }
  }

  private startOperation(
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
    const now = this.clock.now();
    const fault = this.faults.takeLroFailure(c.req.method!, c.url.pathname);
    const op: Operation = {
      id: randomUUID(),
      name: args.name,
      lockId: args.site.id,
      status: 'InProgress',
      startTime: now,
      completeAt: now + this.store.state.settings.operationDurationMs,
      complete: args.complete,
      rollback: args.rollback ?? (() => {}),
      ...(args.result ? { result: args.result } : {}),
      ...(fault
        ? {
            failure: {
              status: fault.status ?? 400,
              code: fault.code ?? 'OperationFailed',
              message:
                fault.message ??
                `The operation '${args.name}' failed (injected by the sandbox's fault injection).`,
            },
          }
        : {}),
    };
    this.operations.set(op.id, op);
    if (args.work && !op.failure) {
      op.pending = true;
      args.work().then(
        () => {
          op.pending = false;
          this.settleOperations();
        },
        (error: Error) => {
          op.pending = false;
          op.failure = { status: 400, code: 'SwapFailed', message: `Swap failed: ${error.message}` };
          this.settleOperations();
        },
      );
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.settleOperations();
    }, this.store.state.settings.operationDurationMs + 5);
    timer.unref();
    this.timers.add(timer);
    const apiVersion = c.url.searchParams.get('api-version')!;
    const sub = this.store.state.subscriptionId;
    const location = (args.site.location ?? 'westeurope').toLowerCase().replace(/\s+/g, '');
    const headers: Record<string, string> = {
      location: `${this.armEndpoint}/subscriptions/${sub}/providers/Microsoft.Web/locations/${location}/operationResults/${op.id}?api-version=${apiVersion}`,
      'retry-after': String(this.store.state.settings.retryAfterSeconds),
    };
    if (args.asyncHeader) {
      headers['azure-asyncoperation'] =
        `${this.armEndpoint}/subscriptions/${sub}/providers/Microsoft.Web/sites/${args.site.name}/operationResults/${op.id}?api-version=${apiVersion}`;
    }
    for (const [k, v] of Object.entries(headers)) c.res.setHeader(k, v);
    return op;
  }

  private requireOperation(id: string): Operation {
    this.settleOperations();
    const op = this.operations.get(id);
    if (!op) throw new HttpProblem(404, 'ResourceNotFound', `The operation '${id}' was not found.`);
    return op;
  }

  private asyncOperationStatus(c: Call, id: string): void {
    const op = this.requireOperation(id);
    sendJson(c.res, 200, {
      id: c.url.pathname,
      name: op.id,
      status: op.status,
      startTime: new Date(op.startTime).toISOString(),
      ...(op.endTime ? { endTime: new Date(op.endTime).toISOString() } : {}),
      ...(op.status === 'Failed' ? { error: { code: op.failure!.code, message: op.failure!.message } } : {}),
    });
  }

  private locationStatus(c: Call, id: string): void {
    const op = this.requireOperation(id);
    if (op.status === 'InProgress') {
      sendJson(c.res, 202, undefined, {
        location: `${this.armEndpoint}${c.url.pathname}${c.url.search}`,
        'retry-after': String(this.store.state.settings.retryAfterSeconds),
      });
    } else if (op.status === 'Failed') {
      sendArmError(c.res, new HttpProblem(op.failure!.status, op.failure!.code, op.failure!.message));
    } else {
      sendJson(c.res, 200, op.result?.());
    }
  }

  // ---- bodies ----

  private siteBody(resource: StoredResource): Record<string, unknown> {
    const siteConfig = { ...(resource.internal?.['siteConfig'] as Record<string, unknown>) };
    return {
      id: resource.id,
      name: resource.name,
      type: resource.type,
      kind: resource.kind ?? 'app,linux,container',
      location: resource.location,
      ...(resource.tags ? { tags: resource.tags } : {}),
      properties: { ...resource.properties, siteConfig },
    };
  }

  private planBody(plan: StoredResource): Record<string, unknown> {
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

  private configWebBody(resource: StoredResource): Record<string, unknown> {
    return {
      id: `${resource.id}/config/web`,
      name: 'web',
      type: `${resource.type}/config`,
      kind: resource.kind ?? 'app,linux,container',
      location: resource.location,
      properties: { ...(resource.internal?.['siteConfig'] as Record<string, unknown>) },
    };
  }

  private appSettingsBody(resource: StoredResource): Record<string, unknown> {
    return {
      id: `${resource.id}/config/appsettings`,
      name: 'appsettings',
      type: `${resource.type}/config`,
      kind: resource.kind ?? 'app,linux,container',
      location: resource.location,
      properties: { ...(resource.internal?.['appSettings'] as Record<string, string>) },
    };
  }

  private slotConfigNames(site: StoredResource): {
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

  private slotConfigNamesBody(site: StoredResource): Record<string, unknown> {
    return {
      id: `${site.id}/config/slotconfignames`,
      name: 'slotconfignames',
      type: 'Microsoft.Web/sites/config',
      properties: this.slotConfigNames(site),
    };
  }

  private autoscaleBody(setting: StoredResource): Record<string, unknown> {
    return {
      id: setting.id,
      name: setting.name,
      type: setting.type,
      location: setting.location,
      tags: setting.tags ?? {},
      properties: setting.properties,
    };
  }

  // ---- Web ----

  private async putPlan(c: Call, patch: boolean): Promise<void> {
    const group = this.requireGroup(c.m);
    const id = `${group.id}/providers/Microsoft.Web/serverfarms/${c.m[3]}`;
    const existing = this.store.get(id);
    if (patch && !existing) throw notFound(PLAN_TYPE, c.m[3]!, c.m[2]!);
    const body = await c.body();
    if (!isObject(body))
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        'The request content was invalid: expected a JSON object.',
      );
    const location = (body['location'] as string | undefined) ?? existing?.location;
    if (!location)
      throw new HttpProblem(
        400,
        'LocationRequired',
        'The location property is required for this definition.',
      );
    const sku = {
      ...(existing?.sku ?? { name: 'P1v3', tier: 'PremiumV3', size: 'P1v3', family: 'Pv3', capacity: 1 }),
      ...(isObject(body['sku']) ? body['sku'] : {}),
    };
    if (
      !Number.isInteger(sku['capacity']) ||
      (sku['capacity'] as number) < 1 ||
      (sku['capacity'] as number) > 30
    ) {
      throw new HttpProblem(400, 'BadRequest', 'sku.capacity must be a whole number from 1 to 30.');
    }
    const plan = this.store.put(
      newPlan(
        id,
        c.m[3]!,
        group.name,
        location,
        sku,
        {
          ...existing?.properties,
          ...(isObject(body['properties']) ? body['properties'] : {}),
        },
        (body['tags'] as Record<string, string>) ?? existing?.tags,
      ),
    );
    sendJson(c.res, existing || patch ? 200 : 201, this.planBody(plan));
  }

  private deletePlan(c: Call): void {
    const plan = this.requirePlan(c.m);
    const sites = this.store
      .list(SITE_TYPE)
      .filter((s) => String(s.properties['serverFarmId']).toLowerCase() === plan.id.toLowerCase());
    if (sites.length) {
      throw new HttpProblem(
        409,
        'Conflict',
        `Server farm '${plan.name}' cannot be deleted because it has web app(s) ${sites.map((s) => s.name).join(',')} assigned to it.`,
      );
    }
    this.store.delete(plan.id);
    sendJson(c.res, 200, undefined);
  }

  private async putSite(c: Call): Promise<void> {
    const group = this.requireGroup(c.m);
    const siteId = `${group.id}/providers/Microsoft.Web/sites/${c.m[3]}`;
    const slot = c.m[4];
    const parent = slot ? this.store.get(siteId) : undefined;
    if (slot && !parent) throw notFound(SITE_TYPE, c.m[3]!, c.m[2]!);
    const id = slot ? `${parent!.id}/slots/${slot}` : siteId;
    const existing = this.store.get(id);
    if (existing || parent) this.assertUnlocked(existing ?? parent!);
    const body = await c.body();
    if (!isObject(body))
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        'The request content was invalid: expected a Site object.',
      );
    const properties = isObject(body['properties']) ? body['properties'] : {};
    const location = (body['location'] as string | undefined) ?? existing?.location;
    if (!location)
      throw new HttpProblem(
        400,
        'LocationRequired',
        'The location property is required for this definition.',
      );
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
      internal: { ...record.internal },
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

  // ---- Tags API ----

  private tagScope(c: Call): StoredResource {
    const scope = c.m[1]!;
    const resource = this.store.get(scope);
    if (!resource) throw new HttpProblem(404, 'ResourceNotFound', `The resource '${scope}' was not found.`);
    return resource;
  }

  private getTags(c: Call): void {
    const resource = this.tagScope(c);
    sendJson(c.res, 200, tagsResourceBody(resource.id, resource.tags ?? {}));
  }

  /** PUT replaces the map, PATCH merges, replaces or deletes (`operation`), DELETE removes every tag. */
  private async writeTags(c: Call, fixed: 'Replace' | 'Delete all' | undefined): Promise<void> {
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

  private async patchSite(c: Call): Promise<void> {
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

  private deleteSite(c: Call): void {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    this.store.delete(resource.id);
    sendJson(c.res, 200, undefined);
  }

  /** Merge a SiteConfig into a site or slot, validating the fields slotline relies on. `appSettings` replaces the app settings. */
  private applySiteConfig(resource: StoredResource, input: Record<string, unknown>): void {
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

  private async updateConfigWeb(c: Call): Promise<void> {
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

  private async putAppSettings(c: Call): Promise<void> {
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

  private async putSlotConfigNames(c: Call): Promise<void> {
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

  private stickyNames(site: StoredResource): Set<string> {
    return new Set(this.slotConfigNames(site).appSettingNames);
  }

  /** Exchange what a swap moves between two slots; sticky settings and slot-bound config stay put. */
  private exchange(a: StoredResource, b: StoredResource, now: string): [StoredResource, StoredResource] {
    const sticky = this.stickyNames(this.parentSite(a));
    const restore = (r: StoredResource) => {
      const preview = r.internal?.['preview'] as { saved: Record<string, string | null> } | undefined;
      const settings = { ...(r.internal?.['appSettings'] as Record<string, string>) };
      for (const [k, v] of Object.entries(preview?.saved ?? {})) {
        if (v === null) delete settings[k];
        else settings[k] = v;
      }
      return settings;
    };
    const settingsA = restore(a);
    const settingsB = restore(b);
    const split = (settings: Record<string, string>) => {
      const stays: Record<string, string> = {};
      const moves: Record<string, string> = {};
      for (const [k, v] of Object.entries(settings))
        (sticky.has(k) || /_EXTENSION_VERSION$/.test(k) ? stays : moves)[k] = v;
      return { stays, moves };
    };
    const sa = split(settingsA);
    const sb = split(settingsB);
    const configA = a.internal?.['siteConfig'] as Record<string, unknown>;
    const configB = b.internal?.['siteConfig'] as Record<string, unknown>;
    const swapConfig = (own: Record<string, unknown>, other: Record<string, unknown>) => {
      const result: Record<string, unknown> = { ...other };
      for (const key of SLOT_BOUND_SITE_CONFIG) if (key in own) result[key] = own[key];
      return result;
    };
    const status = {
      timestampUtc: now,
      sourceSlotName: this.slotName(a),
      destinationSlotName: this.slotName(b),
    };
    const next = (
      r: StoredResource,
      own: typeof sa,
      other: typeof sa,
      config: Record<string, unknown>,
    ): StoredResource => {
      const { preview: _preview, ...internal } = r.internal ?? {};
      return {
        ...r,
        properties: {
          ...r.properties,
          slotSwapStatus: status,
          targetSwapSlot: null,
          lastModifiedTimeUtc: now,
        },
        internal: { ...internal, appSettings: { ...other.moves, ...own.stays }, siteConfig: config },
      };
    };
    return [next(a, sa, sb, swapConfig(configA, configB)), next(b, sb, sa, swapConfig(configB, configA))];
  }

  private async swap(c: Call): Promise<void> {
    const source = this.requireSite(c.m);
    this.assertUnlocked(source);
    const target = this.requireTarget(source, await c.body());
    const site = this.parentSite(source);
    const beforeSwap = this.hooks.beforeSwap;
    this.startOperation(c, {
      name: 'SwapSiteSlots',
      site,
      asyncHeader: false,
      ...(beforeSwap ? { work: () => beforeSwap(source, target, [...this.stickyNames(site)]) } : {}),
      complete: () => {
        const a = this.store.get(source.id);
        const b = this.store.get(target.id);
        if (!a || !b) return;
        const [na, nb] = this.exchange(a, b, new Date(this.clock.now()).toISOString());
        this.store.put(na);
        this.store.put(nb);
        this.store.recordAction({
          action: 'swap',
          id: site.id,
          detail: { source: this.slotName(a), target: this.slotName(b) },
        });
      },
    });
    sendJson(c.res, 202, undefined);
  }

  private async slotsDiffs(c: Call): Promise<void> {
    const current = this.requireSite(c.m);
    const target = this.requireTarget(current, await c.body());
    const sticky = this.stickyNames(this.parentSite(current));
    const a = (current.internal?.['appSettings'] ?? {}) as Record<string, string>;
    const b = (target.internal?.['appSettings'] ?? {}) as Record<string, string>;
    const diffs: Record<string, unknown>[] = [];
    const push = (
      settingType: string,
      settingName: string,
      inCurrent: unknown,
      inTarget: unknown,
      isSticky: boolean,
    ) =>
      diffs.push({
        id: `${current.id}/slotsdiffs/${settingName}`,
        name: settingName,
        type: `${current.type}/slotsdiffs`,
        properties: {
          level: isSticky ? 'Warning' : 'Information',
          settingType,
          diffRule: isSticky ? 'SettingsNotSwapped' : 'SettingsWillBeSwapped',
          settingName,
          valueInCurrentSlot: inCurrent ?? null,
          valueInTargetSlot: inTarget ?? null,
          description: isSticky
            ? `The slot setting '${settingName}' stays with its slot and is not swapped.`
            : `'${settingName}' differs between the slots and will be swapped.`,
        },
      });
    for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[name] !== b[name]) push('AppSetting', name, a[name], b[name], sticky.has(name));
    }
    const ca = current.internal?.['siteConfig'] as Record<string, unknown>;
    const cb = target.internal?.['siteConfig'] as Record<string, unknown>;
    for (const key of ['linuxFxVersion', 'appCommandLine', 'healthCheckPath']) {
      if (JSON.stringify(ca[key] ?? null) !== JSON.stringify(cb[key] ?? null))
        push('General', key, ca[key], cb[key], false);
    }
    sendJson(c.res, 200, { value: diffs, nextLink: null });
  }

  private async applySlotConfig(c: Call): Promise<void> {
    const current = this.requireSite(c.m);
    this.assertUnlocked(current);
    const target = this.requireTarget(current, await c.body());
    const sticky = this.stickyNames(this.parentSite(current));
    const mine = { ...(current.internal?.['appSettings'] as Record<string, string>) };
    const theirs = (target.internal?.['appSettings'] ?? {}) as Record<string, string>;
    const existingPreview = current.internal?.['preview'] as
      | { saved: Record<string, string | null> }
      | undefined;
    const saved: Record<string, string | null> = existingPreview?.saved ?? {};
    for (const name of sticky) {
      if (!(name in saved)) saved[name] = mine[name] ?? null;
      if (name in theirs) mine[name] = theirs[name]!;
      else delete mine[name];
    }
    this.store.put({
      ...current,
      properties: { ...current.properties, targetSwapSlot: this.slotName(target) },
      internal: {
        ...current.internal,
        appSettings: mine,
        preview: { targetSlot: this.slotName(target), saved },
      },
    });
    this.store.put({
      ...target,
      properties: { ...target.properties, targetSwapSlot: this.slotName(current) },
    });
    this.store.recordAction({ action: 'restart', id: current.id, detail: { reason: 'applySlotConfig' } });
    sendJson(c.res, 200, undefined);
  }

  private resetSlotConfig(c: Call): void {
    const current = this.requireSite(c.m);
    this.assertUnlocked(current);
    const preview = current.internal?.['preview'] as
      | { targetSlot: string; saved: Record<string, string | null> }
      | undefined;
    if (preview) {
      const settings = { ...(current.internal?.['appSettings'] as Record<string, string>) };
      for (const [k, v] of Object.entries(preview.saved)) {
        if (v === null) delete settings[k];
        else settings[k] = v;
      }
      const { preview: _p, ...internal } = current.internal ?? {};
      this.store.put({
        ...current,
        properties: { ...current.properties, targetSwapSlot: null },
        internal: { ...internal, appSettings: settings },
      });
      const site = this.parentSite(current);
      const partner =
        preview.targetSlot === 'production' ? site : this.store.get(`${site.id}/slots/${preview.targetSlot}`);
      if (partner)
        this.store.put({ ...partner, properties: { ...partner.properties, targetSwapSlot: null } });
      this.store.recordAction({ action: 'restart', id: current.id, detail: { reason: 'resetSlotConfig' } });
    }
    sendJson(c.res, 200, undefined);
  }

  private restart(c: Call): void {
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

  private setState(c: Call, state: 'Running' | 'Stopped'): void {
    const resource = this.requireSite(c.m);
    this.assertUnlocked(resource);
    this.store.put({ ...resource, properties: { ...resource.properties, state } });
    this.store.recordAction({ action: state === 'Running' ? 'start' : 'stop', id: resource.id });
    sendJson(c.res, 200, undefined);
  }

  private instances(resource: StoredResource) {
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

  private listInstances(c: Call): void {
    sendJson(c.res, 200, { value: this.instances(this.requireSite(c.m)), nextLink: null });
  }

  private getInstance(c: Call): void {
    const resource = this.requireSite(c.m);
    const instance = this.instances(resource).find((i) => i.name.toLowerCase() === c.m[5]!.toLowerCase());
    if (!instance) throw notFound(`${resource.type}/instances`, c.m[5]!, c.m[2]!);
    sendJson(c.res, 200, instance);
  }

  // ---- autoscale ----

  private async putAutoscale(c: Call, patch: boolean): Promise<void> {
    const group = this.requireGroup(c.m);
    const id = `${group.id}/providers/microsoft.insights/autoscalesettings/${c.m[3]}`;
    const existing = this.store.get(id);
    if (patch && !existing) throw notFound('microsoft.insights/autoscalesettings', c.m[3]!, c.m[2]!);
    const body = await c.body();
    if (!isObject(body))
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        'The request content was invalid: expected a JSON object.',
      );
    const merged = patch
      ? {
          location: existing!.location,
          tags: (body['tags'] as Record<string, string>) ?? existing!.tags,
          properties: {
            ...existing!.properties,
            ...(isObject(body['properties']) ? body['properties'] : {}),
          },
        }
      : body;
    const saved = this.store.put(await this.validateAutoscale(id, c.m[3]!, merged));
    sendJson(c.res, existing ? 200 : 201, this.autoscaleBody(saved));
  }

  /** Validate an AutoscaleSettingResource against the schema and the service's own rules; returns the record to store. */
  async validateAutoscale(id: string, name: string, body: Record<string, unknown>): Promise<StoredResource> {
    const problem = await validateAgainstSchema(AUTOSCALE_SETTING_SCHEMA, body);
    if (problem)
      throw new HttpProblem(400, 'InvalidRequestContent', `The autoscale setting is invalid: ${problem}.`);
    const properties = body['properties'] as Record<string, unknown>;
    const profiles = properties['profiles'] as Record<string, unknown>[];
    const target = properties['targetResourceUri'];
    if (typeof target !== 'string' || target === '') {
      throw new HttpProblem(400, 'BadRequest', "The autoscale setting must have a 'targetResourceUri'.");
    }
    const targetResource = this.store.get(target);
    if (!targetResource)
      throw new HttpProblem(
        400,
        'BadRequest',
        `The target resource '${target}' of the autoscale setting does not exist.`,
      );
    const others = this.store
      .list(AUTOSCALE_TYPE)
      .filter(
        (a) =>
          a.id.toLowerCase() !== id.toLowerCase() &&
          String(a.properties['targetResourceUri']).toLowerCase() === target.toLowerCase(),
      );
    if (others.length) {
      throw new HttpProblem(
        400,
        'BadRequest',
        `The target resource '${target}' already has an autoscale setting ('${others[0]!.name}'); a resource can have only one.`,
      );
    }
    profiles.forEach((profile, i) => {
      const capacity = profile['capacity'] as Record<string, string>;
      const [min, max, def] = [
        Number(capacity['minimum']),
        Number(capacity['maximum']),
        Number(capacity['default']),
      ];
      if (!(min <= def && def <= max)) {
        throw new HttpProblem(
          400,
          'BadRequest',
          `profiles[${i}].capacity: the default (${def}) must be between the minimum (${min}) and the maximum (${max}).`,
        );
      }
      if (max > 30)
        throw new HttpProblem(
          400,
          'BadRequest',
          `profiles[${i}].capacity.maximum ${max} exceeds the plan's maximum of 30 instances.`,
        );
      if (profile['fixedDate'] && profile['recurrence']) {
        throw new HttpProblem(
          400,
          'BadRequest',
          `profiles[${i}] may have a fixedDate or a recurrence, not both.`,
        );
      }
      (profile['rules'] as Record<string, Record<string, unknown>>[]).forEach((rule, j) => {
        const grain = parseIsoDuration(String(rule['metricTrigger']!['timeGrain']));
        const window = parseIsoDuration(String(rule['metricTrigger']!['timeWindow']));
        const cooldown = parseIsoDuration(String(rule['scaleAction']!['cooldown']));
        const where = `profiles[${i}].rules[${j}]`;
        if (!grain || grain < 60_000 || grain > 12 * 3_600_000)
          throw new HttpProblem(
            400,
            'BadRequest',
            `${where}.metricTrigger.timeGrain must be from PT1M to PT12H.`,
          );
        if (!window || window < 5 * 60_000 || window > 12 * 3_600_000)
          throw new HttpProblem(
            400,
            'BadRequest',
            `${where}.metricTrigger.timeWindow must be from PT5M to PT12H.`,
          );
        if (window < grain)
          throw new HttpProblem(
            400,
            'BadRequest',
            `${where}.metricTrigger.timeWindow must not be shorter than the timeGrain.`,
          );
        if (!cooldown || cooldown < 60_000 || cooldown > 7 * 86_400_000)
          throw new HttpProblem(400, 'BadRequest', `${where}.scaleAction.cooldown must be from PT1M to P7D.`);
      });
    });
    return {
      id,
      name,
      type: AUTOSCALE_TYPE,
      location: String(body['location']),
      tags: (body['tags'] as Record<string, string>) ?? {},
      properties: {
        profiles,
        enabled: properties['enabled'] ?? true,
        notifications: properties['notifications'] ?? [],
        // The service echoes the look-ahead time as null when the client sets none.
        predictiveAutoscalePolicy: {
          scaleLookAheadTime: null,
          ...((properties['predictiveAutoscalePolicy'] as object) ?? { scaleMode: 'Disabled' }),
        },
        name,
        targetResourceUri: targetResource.id,
        targetResourceLocation: properties['targetResourceLocation'] ?? targetResource.location,
      },
    };
  }

  private deleteAutoscale(c: Call): void {
    const group = this.requireGroup(c.m);
    const deleted = this.store.delete(`${group.id}/providers/microsoft.insights/autoscalesettings/${c.m[3]}`);
    sendJson(c.res, deleted ? 200 : 204, undefined);
  }

  // ---- Monitor ----

  private metrics(c: Call, kind: 'metrics' | 'definitions' | 'namespaces'): void {
    const resourceUri = c.m[1]!;
    const resource = this.store.get(resourceUri);
    if (!resource) {
      const type =
        /\/providers\/(.+)\/[^/]+$/i.exec(resourceUri)?.[1]?.replace(/\/[^/]+\//g, '/') ?? 'resource';
      throw new HttpProblem(
        404,
        'ResourceNotFound',
        `The Resource '${type}/${resourceUri.split('/').pop()}' was not found.`,
      );
    }
    if (kind === 'definitions') sendJson(c.res, 200, metricDefinitionsBody(resource.id, resource.type));
    else if (kind === 'namespaces') sendJson(c.res, 200, metricNamespacesBody(resource.id, resource.type));
    else
      sendJson(
        c.res,
        200,
        queryMetrics(
          resource.id,
          resource.type,
          resource.location ?? '',
          c.url.searchParams,
          this.hooks.metrics,
          this.clock.now(),
        ),
      );
  }
}

function rgBody(group: StoredResource): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    type: group.type,
    location: group.location,
    tags: group.tags ?? {},
    properties: { provisioningState: 'Succeeded' },
  };
}

/** Site properties a client may set; read-only ones (hostNames, slotSwapStatus, state…) are ignored as ARM does. */
function pickWritable(input: Record<string, unknown>): Record<string, unknown> {
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

/** The RBAC action name ARM reports in AuthorizationFailed, derived from the path and method. */
function actionName(method: string, path: string): string {
  const providers = path.split(/\/providers\//i);
  const tail = providers[providers.length - 1] ?? '';
  const parts = tail.split('/');
  const namespace = providers.length > 1 ? parts[0] : 'Microsoft.Resources';
  const types: string[] = [];
  for (let i = 1; i < parts.length; i += 2) types.push(parts[i]!);
  const verb =
    method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : method === 'POST' ? 'action' : 'write';
  return `${namespace}/${types.join('/')}/${verb}`;
}

function scopeOf(path: string): string {
  return path.replace(
    /\/(slotsswap|slotsdiffs|applyslotconfig|resetslotconfig|restart|start|stop|list)$/i,
    '',
  );
}
