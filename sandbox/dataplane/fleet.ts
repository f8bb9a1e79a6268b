import { createHash } from 'node:crypto';
import type { Instance } from './front-door.js';
import { abortableSleep, HealthTracker, httpPing, maxPingFailures, type Ping } from './health.js';
import type { ContainerRuntime, RegistryAuth } from './runtime.js';

/**
 * The containers behind one site or slot. The instance list is replaced whole on every change, so the
 * front door always sees a consistent set; changes are serialised so two reconciles never interleave.
 */

export interface SlotConfig {
  /** `registry/repository:tag` or `@sha256:…`, from `linuxFxVersion: DOCKER|…`; undefined runs nothing. */
  image?: string;
  /** App settings, given to the container as its environment. */
  env: Readonly<Record<string, string>>;
  healthCheckPath?: string;
  registry?: RegistryAuth;
}

export interface FleetInstance extends Instance {
  containerId: string;
  image: string;
  configKey: string;
}

export interface FleetDeps {
  runtime: ContainerRuntime;
  /** Label put on every container, for cleanup by id and checks that nothing is left running. */
  label: { name: string; value: string };
  timeScale: number;
  ping?: Ping;
  log?: (line: string) => void;
  /** Wait until the front door has finished the requests these instances serve (bounded). */
  drain?: (instanceIds: readonly string[]) => Promise<unknown>;
  /** These instances' containers are removed: the front door fails what they still serve. */
  gone?: (instanceIds: readonly string[]) => void;
  /** More labels for every container (the sandbox's state dir, for cleanup after a crash). */
  labels?: Readonly<Record<string, string>>;
  /**
   * Aborted when the sandbox stops: starts, HTTP waits, pings and drains end at once, and the fleet stops
   * removing containers itself (the data plane removes them all in one command).
   */
  signal?: AbortSignal;
}

/** The container port: `WEBSITES_PORT`, else `PORT`, else 80 as on App Service (which also probes 8080). */
export function containerPort(env: Readonly<Record<string, string>>): number {
  const port = Number(env['WEBSITES_PORT'] ?? env['PORT'] ?? 80);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : 80;
}

export function configKey(config: SlotConfig): string {
  const env = Object.entries(config.env).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256')
    .update(JSON.stringify([config.image, env]))
    .digest('hex')
    .slice(0, 16);
}

/** `DOCKER|registry/image:tag` → `registry/image:tag`; anything else runs no container. */
export function imageFromLinuxFxVersion(linuxFxVersion: string | undefined): string | undefined {
  const m = /^DOCKER\|(.+)$/i.exec(linuxFxVersion ?? '');
  return m ? m[1]!.trim() : undefined;
}

export class SlotFleet {
  private current: readonly FleetInstance[] = [];
  /** Bumped by every adopt(): work that started before a swap must not add to the swapped list. */
  private generation = 0;
  private config: SlotConfig = { env: {} };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tracker = new HealthTracker();
  private readonly pulled = new Set<string>();

  constructor(
    readonly name: string,
    private readonly deps: FleetDeps,
  ) {}

  get instances(): readonly FleetInstance[] {
    return this.current;
  }

  get slotConfig(): SlotConfig {
    return this.config;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private log(line: string): void {
    this.deps.log?.(`[${this.name}] ${line}`);
  }

  /** How long a new container may take to answer on its port (App Service: 230 s), time-scaled. */
  private startLimitMs(env: Readonly<Record<string, string>>): number {
    const seconds = Number(env['WEBSITES_CONTAINER_START_TIME_LIMIT'] ?? 230);
    return Math.max(5_000, ((Number.isFinite(seconds) ? seconds : 230) * 1000) / this.deps.timeScale);
  }

  /** Start `count` containers of `config` and wait until each answers HTTP on its port; not yet routed. */
  async start(config: SlotConfig, count: number): Promise<FleetInstance[]> {
    if (!config.image || count <= 0) return [];
    const signal = this.deps.signal;
    signal?.throwIfAborted();
    const image = config.image;
    if (!this.pulled.has(image)) {
      await this.deps.runtime.pull(image, config.registry);
      this.pulled.add(image);
    }
    const key = configKey(config);
    const port = containerPort(config.env);
    const started = await Promise.all(
      Array.from({ length: count }, () =>
        this.deps.runtime.run({
          image,
          env: config.env,
          containerPort: port,
          labels: {
            ...this.deps.labels,
            [this.deps.label.name]: this.deps.label.value,
            'slotline.slot': this.name,
          },
        }),
      ),
    );
    const instances = started.map((c) => ({
      id: c.id.slice(0, 12),
      containerId: c.id,
      port: c.hostPort,
      healthy: true,
      image,
      configKey: key,
    }));
    const ping = this.deps.ping ?? httpPing;
    const deadline = Date.now() + this.startLimitMs(config.env);
    await Promise.all(
      instances.map(async (instance) => {
        while ((await ping(instance.port, '/', 2_000, signal)) === undefined) {
          signal?.throwIfAborted();
          if (Date.now() > deadline)
            throw new Error(
              `container ${instance.id} of ${image} did not answer HTTP on port ${port} in time`,
            );
          await abortableSleep(200, signal);
        }
      }),
    ).catch(async (error) => {
      await this.release(instances);
      throw error;
    });
    this.log(`started ${count} × ${image}`);
    return instances;
  }

  /** Route to `instances` from now on (one assignment: atomic for the front door); returns the previous ones. */
  adopt(config: SlotConfig, instances: readonly FleetInstance[]): readonly FleetInstance[] {
    const previous = this.current;
    this.config = config;
    this.current = instances;
    this.generation++;
    return previous;
  }

  /** Stop instances that no longer receive traffic, once their in-flight requests have finished. */
  async release(instances: readonly FleetInstance[]): Promise<void> {
    // Stopping: the data plane removes every container at once, with no drain.
    if (instances.length === 0 || this.deps.signal?.aborted) return;
    await this.deps.drain?.(instances.map((i) => i.id));
    if (this.deps.signal?.aborted) return;
    await Promise.all(instances.map((i) => this.deps.runtime.remove(i.containerId)));
    this.deps.gone?.(instances.map((i) => i.id));
    for (const i of instances) this.tracker.forget(i.id);
  }

  /**
   * Bring the fleet to `config` at `capacity`: new containers first, then one switch, then the old ones
   * stop, so a config change never leaves the slot without a serving instance.
   */
  reconcile(config: SlotConfig, capacity: number): Promise<void> {
    return this.serial(async () => {
      const key = configKey(config);
      if (!config.image) {
        await this.release(this.adopt(config, []));
        return;
      }
      const matching = this.current.filter((i) => i.configKey === key);
      if (matching.length === this.current.length) {
        this.config = config;
        if (matching.length < capacity) {
          const added = await this.start(config, capacity - matching.length);
          this.adopt(config, [...this.current, ...added]);
        } else if (matching.length > capacity) {
          const keep = this.current.slice(0, capacity);
          const drop = this.current.slice(capacity);
          this.adopt(config, keep);
          await this.release(drop);
        }
        return;
      }
      const fresh = await this.start(config, capacity);
      await this.release(this.adopt(config, fresh));
    });
  }

  /**
   * One health round: replace containers that died, and with a health check path set, ping each instance
   * and take those failing `WEBSITE_HEALTHCHECK_MAXPINGFAILURES` times in a row out of the balancer.
   */
  healthRound(): Promise<void> {
    return this.serial(async () => {
      if (this.current.length === 0) return;
      // By id among all of this sandbox's running containers: after a swap, instances serve another slot
      // than the one that started them.
      const running = new Set(
        await this.deps.runtime.listByLabel(this.deps.label.name, this.deps.label.value),
      );
      const dead = this.current.filter((i) => !running.has(i.containerId));
      if (dead.length > 0) {
        this.log(`replacing ${dead.length} stopped container(s): ${dead.map((d) => d.id).join(', ')}`);
        this.adopt(
          this.config,
          this.current.filter((i) => running.has(i.containerId)),
        );
        const generation = this.generation;
        const config = this.config;
        await this.release(dead);
        const replacements = await this.start(config, dead.length).catch((error) => {
          this.log(`replacement failed: ${(error as Error).message}`);
          return [] as FleetInstance[];
        });
        // A swap may have given this fleet other instances meanwhile (it adopts outside this queue):
        // then these replacements belong to nothing and go.
        if (this.generation === generation) this.adopt(config, [...this.current, ...replacements]);
        else await this.release(replacements);
      }
      const path = this.config.healthCheckPath;
      if (!path) return;
      const ping = this.deps.ping ?? httpPing;
      const limit = maxPingFailures(this.config.env['WEBSITE_HEALTHCHECK_MAXPINGFAILURES']);
      const verdicts = await Promise.all(
        this.current.map(
          async (i) =>
            [
              i.id,
              this.tracker.record(i.id, await ping(i.port, path, 5_000, this.deps.signal), limit),
            ] as const,
        ),
      );
      const healthy = new Map(verdicts);
      if (this.current.some((i) => i.healthy !== healthy.get(i.id))) {
        this.current = this.current.map((i) => ({ ...i, healthy: healthy.get(i.id) ?? i.healthy }));
      }
    });
  }

  /** Restart: fresh containers of the same config replace the running ones, new before old. */
  restart(config: SlotConfig, capacity: number): Promise<void> {
    return this.serial(async () => {
      const fresh = await this.start(config, config.image ? capacity : 0);
      await this.release(this.adopt(config, fresh));
    });
  }

  stopAll(): Promise<void> {
    return this.serial(async () => {
      await this.release(this.adopt(this.config, []));
    });
  }
}
