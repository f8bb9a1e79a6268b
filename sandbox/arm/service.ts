import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxClock } from '../clock.js';
import type { FaultInjector } from '../faults.js';
import type { IdentityService } from '../login/identity.js';
import type { ResourceStore, StoredResource } from '../store.js';
import { ArmContext } from './context.js';
import { registerDiscovery } from './discovery.js';
import type { ArmHooks } from './hooks.js';
import { OperationEngine } from './operations.js';
import { registerAlertsManagement } from './providers/alertsmanagement/index.js';
import type { Autoscale } from './providers/insights/autoscale.js';
import { registerInsights } from './providers/insights/index.js';
import { registerDeployments } from './providers/resources/deployments/index.js';
import { registerResources } from './providers/resources/index.js';
import { registerWeb } from './providers/web/index.js';
import { Router } from './router.js';

export { type ArmHooks, defaultHooks, type SiteInstance } from './hooks.js';
export { newPlan, newSite } from './providers/web/resources.js';

/**
 * Azure Resource Manager for the resource types slotline uses. The front door (auth, roles, paths, errors)
 * is `router.ts`, long-running operations `operations.ts`, and each resource provider has its own folder
 * under `providers/`. This class only puts them together.
 */
export class ArmService {
  private readonly ctx: ArmContext;
  private readonly router: Router;
  private readonly autoscale: Autoscale;

  constructor(
    store: ResourceStore,
    identity: IdentityService,
    faults: FaultInjector,
    clock: SandboxClock,
    readonly hooks: ArmHooks,
  ) {
    const operations = new OperationEngine(store, faults, clock, () => this.ctx.armEndpoint);
    this.ctx = new ArmContext(store, identity, faults, clock, hooks, operations);
    this.router = new Router(this.ctx);
    registerDiscovery(this.router, this.ctx);
    registerResources(this.router, this.ctx);
    registerWeb(this.router, this.ctx);
    this.autoscale = registerInsights(this.router, this.ctx);
    registerAlertsManagement(this.router, this.ctx);
    // Last: its generic-document routes answer only what no other provider serves.
    registerDeployments(this.router, this.ctx);
  }

  /** ARM's base URL, set once it listens. */
  get armEndpoint(): string {
    return this.ctx.armEndpoint;
  }

  set armEndpoint(value: string) {
    this.ctx.armEndpoint = value;
  }

  /** Stop timers so the process can exit. Operations still running are abandoned. */
  close(): void {
    this.ctx.operations.close();
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    return this.router.handle(req, res, url);
  }

  /** Validate an AutoscaleSettingResource against the schema and the service's own rules; returns the record to store. */
  validateAutoscale(id: string, name: string, body: Record<string, unknown>): Promise<StoredResource> {
    return this.autoscale.validateAutoscale(id, name, body);
  }
}
