import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxClock } from '../clock.js';
import type { FaultInjector } from '../faults.js';
import { HttpProblem, isObject, sendJson } from '../http.js';
import type { AccessTokenClaims } from '../login/entra-id.js';
import type { IdentityService } from '../login/identity.js';
import type { ResourceStore, StoredResource } from '../store.js';
import type { ArmHooks } from './hooks.js';
import type { OperationEngine } from './operations.js';

/** One routed request: `m` holds the path pattern's groups, decoded; `body()` parses JSON once. */
export interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  m: string[];
  caller: AccessTokenClaims;
  body: () => Promise<unknown>;
}

export type Handler = (call: Call) => Promise<void> | void;

export interface RouteOptions {
  /** Answers without a token (cloud discovery). */
  anonymous?: boolean;
  /** Any signed-in caller may call it; the handler shows only what the caller may see. */
  anyCaller?: boolean;
  /** Answers only when no provider route matches; not counted for 405 (the generic resource documents). */
  fallback?: boolean;
}

/** Where providers register their routes: a method and a path pattern (regex source, matched case-insensitively). */
export interface Routes {
  add(method: string, pattern: string, handler: Handler, options?: RouteOptions): void;
}

/** A resource provider as `GET /subscriptions/{id}/providers/{namespace}` describes it. */
export interface ProviderInfo {
  namespace: string;
  resourceTypes: { resourceType: string; locations: string[]; apiVersions: string[] }[];
}

// Path fragments every provider's patterns start with.
export const SUB = '/subscriptions/([^/]+)';
export const RG = `${SUB}/resourcegroups/([^/]+)`;

export const RG_TYPE = 'Microsoft.Resources/resourceGroups';

/** The regions the provider registry lists; the sandbox accepts any location a request names. */
export const SANDBOX_LOCATIONS = ['West Europe', 'North Europe', 'East US', 'West US 2', 'UK South'] as const;

export const notFound = (type: string, name: string, rg: string) =>
  new HttpProblem(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

/** ARM's envelope for a tracked resource that has no more to show than its properties. */
export function trackedResourceBody(resource: StoredResource, properties: unknown): Record<string, unknown> {
  return {
    id: resource.id,
    name: resource.name,
    type: resource.type,
    location: resource.location,
    tags: resource.tags ?? {},
    properties,
  };
}

/** What every provider shares: the store, the clock, the data plane's hooks, faults and the operation engine. */
export class ArmContext {
  armEndpoint = '';
  /** Filled as providers register, read by the Resources provider's provider listing. */
  readonly providers: ProviderInfo[] = [];

  constructor(
    readonly store: ResourceStore,
    readonly identity: IdentityService,
    readonly faults: FaultInjector,
    readonly clock: SandboxClock,
    readonly hooks: ArmHooks,
    readonly operations: OperationEngine,
  ) {}

  /** The resource group a path's m[2] names, or ResourceGroupNotFound. */
  requireGroup(m: string[]): StoredResource {
    const id = `/subscriptions/${this.store.state.subscriptionId}/resourceGroups/${m[2]}`;
    const group = this.store.get(id);
    if (!group)
      throw new HttpProblem(404, 'ResourceGroupNotFound', `Resource group '${m[2]}' could not be found.`);
    return group;
  }

  groupPrefix(m: string[]): string {
    return `${this.requireGroup(m).id}/`;
  }

  list(c: Call, type: string, prefix: string, body: (r: StoredResource) => unknown): void {
    sendJson(c.res, 200, { value: this.store.list(type, prefix).map(body), nextLink: null });
  }
}

/** A provider's handlers reach the shared parts through these, so they read as they did in one file. */
export abstract class ProviderBase {
  constructor(protected readonly ctx: ArmContext) {}

  protected get store(): ResourceStore {
    return this.ctx.store;
  }

  protected get clock(): SandboxClock {
    return this.ctx.clock;
  }

  protected get hooks(): ArmHooks {
    return this.ctx.hooks;
  }

  protected get faults(): FaultInjector {
    return this.ctx.faults;
  }

  requireGroup(m: string[]): StoredResource {
    return this.ctx.requireGroup(m);
  }

  groupPrefix(m: string[]): string {
    return this.ctx.groupPrefix(m);
  }

  list(c: Call, type: string, prefix: string, body: (r: StoredResource) => unknown): void {
    this.ctx.list(c, type, prefix, body);
  }

  /** The request body, which must be a JSON object (`what` names it in the error). */
  protected async objectBody(c: Call, what = 'a JSON object'): Promise<Record<string, unknown>> {
    const body = await c.body();
    if (!isObject(body))
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        `The request content was invalid: expected ${what}.`,
      );
    return body;
  }
}
