import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ActivityLog } from '../activity-log.js';
import { AlertBook } from '../alerts/book.js';
import { METRIC_ALERT_TYPE } from '../alerts/evaluate.js';
import type { ArmHooks, SiteInstance } from '../arm/service.js';
import { STATE_DIR_LABEL } from '../container-storage.js';
import type { MetricsSource } from '../metrics/source.js';
import type { ResourceStore, StoreChange, StoredResource } from '../store.js';
import { AutoscaleEngine, type AutoscaleSettingDoc } from './autoscale-engine.js';
import { type FleetInstance, imageFromLinuxFxVersion, type SlotConfig, SlotFleet } from './fleet.js';
import {
  InFlight,
  type Listener,
  listen,
  type RampUpRule,
  type Route,
  type SlotTarget,
} from './front-door.js';
import { MetricAlertEngine } from './metric-alert-engine.js';
import { MetricStore } from './metric-store.js';
import { PlanMetricsSampler } from './plan-metrics.js';
import { recordRequest } from './request-metrics.js';
import { type ContainerNetwork, type ContainerRuntime, detectRuntime, type RegistryAuth } from './runtime.js';
import { swap } from './swap.js';

/**
 * Sandbox part 2: makes the control plane's sites and slots behave like App Service. Every site and slot
 * gets a TLS front-door listener at its `defaultHostName` (127.0.0.1:<port>); a `linuxFxVersion` of
 * `DOCKER|image` runs the plan's capacity of real containers; swaps warm up and switch atomically;
 * metrics come from the traffic and the containers; autoscale settings change the plan's capacity.
 *
 * Every container carries the state dir in a label (`slotline.sandbox.state-dir`). `stop()` aborts what
 * is pending (container starts, HTTP waits, warm-ups, health pings, drains) and then removes every
 * labelled container in one `podman rm -f -t 0`; `attach()` and `removeLeftovers()` remove what a killed
 * sandbox left.
 */

export interface DataPlaneOptions {
  stateDir: string;
  tls: { key: string; cert: string };
  /** Compresses the engines' durations (health period, start limit, warm-up, autoscale windows). */
  timeScale?: number;
  /** podman/buildah storage; default `<stateDir>/containers`. */
  storageRoot?: string;
  /** `bridge` (default) or `host`: see ContainerNetwork in runtime.ts. */
  network?: ContainerNetwork;
  runtime?: ContainerRuntime;
  now?: () => number;
  log?: (line: string) => void;
  /** Where the autoscale engine writes Azure's autoscale events (the ARM Activity Log reads it). */
  activityLog?: ActivityLog;
  /** Where the metric-alert engine records alerts and notifications (the Alerts Management API reads it). */
  alerts?: AlertBook;
}

const SITE_TYPE = 'microsoft.web/sites';
const SLOT_TYPE = 'microsoft.web/sites/slots';
const PLAN_TYPE = 'microsoft.web/serverfarms';
const LABEL = 'slotline.sandbox';
const POOL_SIZE = 6;
/** In the state dir: which container store the data plane used, for `--cleanup` after a crash. */
const STORE_FILE = 'data-plane.json';

/** Where a state dir's containers live: `storageRoot` if given, else what the last start recorded. */
function storageRootFor(stateDir: string, storageRoot?: string): string {
  if (storageRoot) return storageRoot;
  try {
    const recorded = JSON.parse(readFileSync(join(stateDir, STORE_FILE), 'utf8')) as {
      storageRoot?: unknown;
    };
    if (typeof recorded.storageRoot === 'string') return recorded.storageRoot;
  } catch {
    // No data plane ran with this state dir yet: the default store.
  }
  return join(stateDir, 'containers');
}

/** Remove every container a sandbox with this state dir started and left (after SIGKILL); their ids. */
export async function removeLeftovers(opts: {
  stateDir: string;
  storageRoot?: string;
  runtime?: ContainerRuntime;
}): Promise<string[]> {
  const stateDir = resolve(opts.stateDir);
  const runtime =
    opts.runtime ??
    (await detectRuntime({
      secretsDir: join(stateDir, 'secrets'),
      storageRoot: storageRootFor(stateDir, opts.storageRoot),
    }));
  return runtime.removeLabelled(STATE_DIR_LABEL, stateDir);
}

interface Unit {
  /** Lowercased ARM id of the site (production) or slot. */
  key: string;
  resourceId: string;
  siteKey: string;
  slot?: string;
  listener: Listener;
  fleet: SlotFleet;
}

function isWeb(type: string): boolean {
  const t = type.toLowerCase();
  return t === SITE_TYPE || t === SLOT_TYPE;
}

function internal<T>(resource: StoredResource, key: string): T | undefined {
  return resource.internal?.[key] as T | undefined;
}

export function slotConfigOf(resource: StoredResource): SlotConfig {
  const siteConfig = internal<Record<string, unknown>>(resource, 'siteConfig') ?? {};
  const env = { ...(internal<Record<string, string>>(resource, 'appSettings') ?? {}) };
  const stopped = resource.properties['state'] === 'Stopped';
  const image = stopped
    ? undefined
    : imageFromLinuxFxVersion(siteConfig['linuxFxVersion'] as string | undefined);
  const server = env['DOCKER_REGISTRY_SERVER_URL'];
  const registry: RegistryAuth | undefined =
    server && env['DOCKER_REGISTRY_SERVER_USERNAME']
      ? {
          server,
          username: env['DOCKER_REGISTRY_SERVER_USERNAME'],
          password: env['DOCKER_REGISTRY_SERVER_PASSWORD'] ?? '',
        }
      : undefined;
  const healthCheckPath = siteConfig['healthCheckPath'];
  return {
    image,
    env,
    registry,
    ...(typeof healthCheckPath === 'string' && healthCheckPath ? { healthCheckPath } : {}),
  };
}

export class DataPlane {
  readonly metrics: MetricStore;
  readonly inFlight = new InFlight();
  readonly autoscale: AutoscaleEngine;
  readonly metricAlerts: MetricAlertEngine;
  /** What metric alerts read: Metrics_List's source once attached (traffic plus pushed samples). */
  private alertMetrics?: MetricsSource;
  private readonly units = new Map<string, Unit>();
  private readonly bindings = new Map<number, string>();
  private readonly pool: Listener[] = [];
  /** Listeners whose host name the control plane has handed out, not yet bound to a resource. */
  private readonly reserved = new Map<number, Listener>();
  private store?: ResourceStore;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly label: { name: string; value: string };
  private readonly timeScale: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly sampler: PlanMetricsSampler;
  /** Per plan (lowercase id), the reconciles its last capacity change started. */
  private readonly planReconciles = new Map<string, Promise<boolean[]>>();
  private stopped = false;
  /** Aborted by stop(): every pending start, wait, ping and drain ends. */
  private readonly stopping = new AbortController();
  private readonly stateDir: string;

  private constructor(
    private readonly opts: DataPlaneOptions,
    readonly runtime: ContainerRuntime,
  ) {
    this.timeScale = opts.timeScale ?? 1;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.stateDir = resolve(opts.stateDir);
    this.metrics = new MetricStore(this.now);
    this.label = {
      name: LABEL,
      value: createHash('sha256').update(opts.stateDir).digest('hex').slice(0, 16),
    };
    this.autoscale = new AutoscaleEngine({
      metrics: this.metrics,
      now: this.now,
      timeScale: this.timeScale,
      settings: () =>
        (this.store?.list('Microsoft.Insights/autoscaleSettings') ?? []) as unknown as AutoscaleSettingDoc[],
      capacity: (planId) => this.planCapacity(planId),
      setCapacity: async (planId, capacity) => this.setPlanCapacity(planId, capacity),
      ...(opts.activityLog ? { activityLog: opts.activityLog } : {}),
      log: this.log,
    });
    this.metricAlerts = new MetricAlertEngine({
      book: opts.alerts ?? new AlertBook(),
      metrics: () => this.alertMetrics ?? this.metrics,
      rules: () => this.store?.list(METRIC_ALERT_TYPE) ?? [],
      resource: (id) => this.store?.get(id),
      subscriptionId: () => this.store?.state.subscriptionId ?? '',
      now: this.now,
      timeScale: this.timeScale,
      log: this.log,
    });
    this.sampler = new PlanMetricsSampler({
      runtime,
      metrics: this.metrics,
      now: this.now,
      plans: () => this.instancesByPlan(),
      queueLength: (planId) => this.queueLength(planId),
    });
  }

  static async create(opts: DataPlaneOptions): Promise<DataPlane> {
    const storageRoot = resolve(opts.storageRoot ?? join(opts.stateDir, 'containers'));
    const runtime =
      opts.runtime ??
      (await detectRuntime({
        secretsDir: join(opts.stateDir, 'secrets'),
        storageRoot,
        ...(opts.network ? { network: opts.network } : {}),
      }));
    writeFileSync(join(opts.stateDir, STORE_FILE), `${JSON.stringify({ storageRoot })}\n`);
    const plane = new DataPlane(opts, runtime);
    await plane.refillPool();
    return plane;
  }

  /** The control plane's hooks: host names from the listener pool, real instances, metrics, swaps. */
  hooks(): Partial<ArmHooks> & Pick<ArmHooks, 'metrics'> {
    return {
      hostNameFor: () => {
        const listener = this.pool.shift();
        if (!listener) throw new Error('the data plane has no free front-door listener');
        this.reserved.set(listener.port, listener);
        void this.refillPool();
        return listener.host;
      },
      instancesFor: (resource) => this.instancesFor(resource),
      metrics: this.metrics,
      beforeSwap: (source, target, sticky) => this.swap(source, target, sticky),
    };
  }

  private async refillPool(): Promise<void> {
    while (this.pool.length < POOL_SIZE && !this.stopped) {
      const listener = await this.openListener();
      // A listener that opened while the sandbox stopped would keep the process alive.
      if (this.stopped) await listener.close();
      else this.pool.push(listener);
    }
  }

  private openListener(port?: number): Promise<Listener> {
    let listenerPort = 0;
    const route = (): Route | undefined => {
      const key = this.bindings.get(listenerPort);
      return key ? this.routeFor(key) : undefined;
    };
    return listen(route, {
      tls: this.opts.tls,
      inFlight: this.inFlight,
      now: this.now,
      onRequest: (served) => recordRequest(this.metrics, served),
      ...(port ? { port } : {}),
    }).then((l) => {
      listenerPort = l.port;
      return l;
    });
  }

  /**
   * Follow the control plane: bind every site and slot, then react to each change. `metrics` is what
   * Metrics_List serves (default: the data plane's own), which metric alerts evaluate.
   */
  async attach(store: ResourceStore, metrics?: MetricsSource): Promise<void> {
    this.store = store;
    this.alertMetrics = metrics;
    const orphans = [
      ...(await this.runtime.removeLabelled(STATE_DIR_LABEL, this.stateDir)),
      // Containers from sandboxes older than the state-dir label carry only the hashed one.
      ...(await this.runtime.removeLabelled(this.label.name, this.label.value)),
    ];
    if (orphans.length > 0)
      this.log(`data plane: removed ${orphans.length} container(s) an earlier run of this state dir left`);
    for (const r of [...store.list('Microsoft.Web/sites'), ...store.list('Microsoft.Web/sites/slots')])
      await this.bind(r);
    store.on('change', (change) => void this.onChange(change));
    store.on('action', (action) => {
      const unit = this.units.get(action.id.toLowerCase());
      if (!unit || action.action === 'swap') return;
      const resource = store.get(action.id);
      if (!resource) return;
      if (action.action === 'restart') void this.restart(unit, resource);
      else void this.reconcile(unit, resource);
    });
    for (const r of [...store.list('Microsoft.Web/sites'), ...store.list('Microsoft.Web/sites/slots')]) {
      const unit = this.units.get(r.id.toLowerCase());
      if (unit) void this.reconcile(unit, r);
    }
    const every = (ms: number, fn: () => Promise<unknown>) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy || this.stopped) return;
        busy = true;
        fn()
          .catch((error) => this.log(`data plane: ${(error as Error).message}`))
          .finally(() => {
            busy = false;
          });
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    // App Service pings health every minute and autoscale evaluates about as often; both time-scaled.
    every(Math.max(1_000, 60_000 / this.timeScale), () =>
      Promise.all([...this.units.values()].map((u) => u.fleet.healthRound())),
    );
    every(this.autoscale.periodMs, () => this.autoscale.tick());
    every(this.metricAlerts.periodMs, async () => this.metricAlerts.tick());
    every(Math.max(1_000, 15_000 / this.timeScale), () => this.sampler.tick());
  }

  /** Give a site or slot its listener: the one its host names, else a pool listener. */
  private async bind(resource: StoredResource): Promise<Unit> {
    const key = resource.id.toLowerCase();
    const existing = this.units.get(key);
    if (existing) return existing;
    const host = String(resource.properties['defaultHostName'] ?? '');
    const port = /^127\.0\.0\.1:(\d+)$/.exec(host)?.[1];
    let listener = port ? this.reserved.get(Number(port)) : undefined;
    if (listener) this.reserved.delete(listener.port);
    else if (port && !this.bindings.has(Number(port)))
      listener = await this.openListener(Number(port)).catch(() => undefined);
    if (!listener) {
      listener = this.pool.shift() ?? (await this.openListener());
      void this.refillPool();
    }
    const isSlot = resource.type.toLowerCase() === SLOT_TYPE;
    const siteKey = isSlot ? key.replace(/\/slots\/[^/]+$/, '') : key;
    const slot = isSlot ? resource.name.split('/')[1] : undefined;
    const fleet = new SlotFleet(`${resource.name.replace('/', '-')}-${this.label.value.slice(0, 6)}`, {
      runtime: this.runtime,
      label: this.label,
      timeScale: this.timeScale,
      log: this.log,
      drain: (ids) =>
        this.inFlight.waitIdle(ids, Math.max(5_000, 230_000 / this.timeScale), this.stopping.signal),
      gone: (ids) => this.inFlight.gone(ids),
      labels: { [STATE_DIR_LABEL]: this.stateDir },
      signal: this.stopping.signal,
    });
    const unit: Unit = { key, resourceId: resource.id, siteKey, ...(slot ? { slot } : {}), listener, fleet };
    this.units.set(key, unit);
    this.bindings.set(listener.port, key);
    if (host !== listener.host && this.store) {
      this.store.put({
        ...resource,
        properties: {
          ...resource.properties,
          defaultHostName: listener.host,
          hostNames: [listener.host],
          enabledHostNames: [listener.host],
        },
      });
    }
    return unit;
  }

  private routeFor(key: string): Route | undefined {
    const unit = this.units.get(key);
    if (!unit) return undefined;
    const site = this.units.get(unit.siteKey);
    const siteDoc = this.store?.get(unit.siteKey);
    if (!site || !siteDoc) return undefined;
    const target = (u: Unit): SlotTarget => ({
      resourceId: u.resourceId,
      slot: u.slot ?? 'production',
      instances: u.fleet.instances,
    });
    const slots = new Map<string, SlotTarget>();
    for (const u of this.units.values())
      if (u.siteKey === unit.siteKey && u.slot) slots.set(u.slot.toLowerCase(), target(u));
    const rules = ((
      internal<Record<string, unknown>>(siteDoc, 'siteConfig')?.['experiments'] as
        | { rampUpRules?: unknown[] }
        | undefined
    )?.rampUpRules ?? []) as {
      name?: string;
      actionHostName?: string;
      reroutePercentage?: number;
    }[];
    const rampUp: RampUpRule[] = [];
    for (const rule of rules) {
      const slotUnit = [...this.units.values()].find(
        (u) =>
          u.siteKey === unit.siteKey &&
          u.slot &&
          (u.slot.toLowerCase() === rule.name?.toLowerCase() ||
            u.listener.host === rule.actionHostName ||
            (rule.actionHostName ?? '').toLowerCase().includes(`-${u.slot.toLowerCase()}.`)),
      );
      if (slotUnit?.slot && (rule.reroutePercentage ?? 0) > 0)
        rampUp.push({ slot: slotUnit.slot, percentage: rule.reroutePercentage ?? 0 });
    }
    return {
      routing: { production: target(site), slots, rampUp },
      ...(unit.slot ? { slot: unit.slot } : {}),
    };
  }

  private planIdOf(resource: StoredResource): string | undefined {
    const id = resource.properties['serverFarmId'];
    return typeof id === 'string' ? id : undefined;
  }

  private planCapacity(planId: string): number | undefined {
    const plan = this.store?.get(planId);
    const capacity = (plan?.sku as { capacity?: number } | undefined)?.capacity;
    return typeof capacity === 'number' ? capacity : undefined;
  }

  /** Change the plan's capacity; resolves once its sites and slots run it, rejects if one cannot. */
  private async setPlanCapacity(planId: string, capacity: number): Promise<void> {
    const plan = this.store?.get(planId);
    if (!plan) return;
    const sku = { ...(plan.sku ?? {}), capacity };
    // The store's change event starts the reconciles (onChange) before put returns.
    this.store!.put({
      ...plan,
      sku,
      properties: { ...plan.properties, numberOfWorkers: capacity, currentNumberOfWorkers: capacity },
    });
    const results = await (this.planReconciles.get(planId.toLowerCase()) ?? Promise.resolve([]));
    if (results.includes(false)) throw new Error(`the plan could not run ${capacity} instance(s)`);
  }

  private capacityFor(resource: StoredResource): number {
    const planId = this.planIdOf(resource);
    return (planId ? this.planCapacity(planId) : undefined) ?? 1;
  }

  /** Bring a site or slot to its config and capacity; false (and a log line) when that failed. */
  private async reconcile(unit: Unit, resource: StoredResource): Promise<boolean> {
    try {
      await unit.fleet.reconcile(slotConfigOf(resource), this.capacityFor(resource));
      return true;
    } catch (error) {
      this.log(`${resource.name}: ${(error as Error).message}`);
      return false;
    }
  }

  private async restart(unit: Unit, resource: StoredResource): Promise<void> {
    try {
      await unit.fleet.restart(slotConfigOf(resource), this.capacityFor(resource));
    } catch (error) {
      this.log(`${resource.name}: restart failed: ${(error as Error).message}`);
    }
  }

  private async onChange(change: StoreChange): Promise<void> {
    if (this.stopped) return;
    const type = change.type.toLowerCase();
    if (change.kind === 'delete') {
      const unit = this.units.get(change.id.toLowerCase());
      if (!unit) return;
      this.units.delete(unit.key);
      this.bindings.delete(unit.listener.port);
      await unit.fleet.stopAll();
      await unit.listener.close();
      return;
    }
    if (isWeb(type)) {
      const unit = await this.bind(change.after);
      const current = this.store?.get(change.id) ?? change.after;
      await this.reconcile(unit, current);
    } else if (type === PLAN_TYPE) {
      const before = (change.before?.sku as { capacity?: number } | undefined)?.capacity;
      const after = (change.after.sku as { capacity?: number } | undefined)?.capacity;
      if (before === after) return;
      const reconciles: Promise<boolean>[] = [];
      for (const unit of this.units.values()) {
        const doc = this.store?.get(unit.resourceId);
        if (doc && this.planIdOf(doc)?.toLowerCase() === change.id.toLowerCase())
          reconciles.push(this.reconcile(unit, doc));
      }
      this.planReconciles.set(change.id.toLowerCase(), Promise.all(reconciles));
    }
  }

  /** The swap's data-plane half; the control plane exchanges the documents once this resolves. */
  private async swap(source: StoredResource, target: StoredResource, sticky: string[]): Promise<void> {
    const sourceUnit = this.units.get(source.id.toLowerCase());
    const targetUnit = this.units.get(target.id.toLowerCase());
    if (!sourceUnit || !targetUnit) return;
    const settings = (r: StoredResource) => {
      const c = slotConfigOf(r);
      return { image: c.image, appSettings: c.env, healthCheckPath: c.healthCheckPath, registry: c.registry };
    };
    await swap(
      sourceUnit.fleet,
      targetUnit.fleet,
      { source: settings(source), target: settings(target) },
      sticky,
      {
        capacity: this.capacityFor(target),
        timeScale: this.timeScale,
        log: this.log,
        signal: this.stopping.signal,
      },
    );
  }

  private instancesFor(resource: StoredResource): SiteInstance[] {
    const unit = this.units.get(resource.id.toLowerCase());
    return (unit?.fleet.instances ?? []).map((i) => ({ name: i.id, state: i.healthy ? 'READY' : 'UNKNOWN' }));
  }

  private instancesByPlan(): Map<string, FleetInstance[]> {
    const byPlan = new Map<string, FleetInstance[]>();
    for (const unit of this.units.values()) {
      const doc = this.store?.get(unit.resourceId);
      const planId = doc ? this.planIdOf(doc) : undefined;
      if (!planId) continue;
      byPlan.set(planId, [...(byPlan.get(planId) ?? []), ...unit.fleet.instances]);
    }
    return byPlan;
  }

  private queueLength(planId: string): number {
    let total = 0;
    for (const unit of this.units.values()) {
      const doc = this.store?.get(unit.resourceId);
      if (doc && this.planIdOf(doc)?.toLowerCase() === planId.toLowerCase())
        total += unit.listener.inFlight();
    }
    return total;
  }

  /**
   * Abort everything pending, close the front doors, wait until no container command is running, then
   * remove every container of this state dir in one command. Afterwards nothing this sandbox started
   * exists, whatever state it was in (starting, never answering, warming up, draining).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const t of this.timers) clearInterval(t);
    await this.metricAlerts.stop();
    const listeners = [...[...this.units.values()].map((u) => u.listener), ...this.pool.splice(0)];
    listeners.push(...this.reserved.values());
    this.reserved.clear();
    await Promise.all([...listeners.map((l) => l.close()), this.runtime.close()]);
    const removed = await this.runtime.removeLabelled(STATE_DIR_LABEL, this.stateDir);
    // Check once more: whatever state a container was in, none may be left.
    if (removed.length > 0)
      removed.push(...(await this.runtime.removeLabelled(STATE_DIR_LABEL, this.stateDir)));
    this.log(`data plane: removed ${removed.length} container(s)`);
  }
}
