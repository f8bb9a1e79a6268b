import type { FleetInstance } from './fleet.js';
import type { MetricStore } from './metric-store.js';
import type { ContainerRuntime } from './runtime.js';

/**
 * Samples a plan's `CpuPercentage` and `MemoryPercentage` from its containers' real CPU time and memory,
 * and `HttpQueueLength` from the front door's requests in flight. The sandbox treats every container as
 * a worker with `cores` vCPUs and `memoryBytes` of memory (P1v3 has 2 and 8 GiB; the defaults are 1 and
 * 1 GiB so that a loaded test container shows a clear percentage on this small machine).
 */
export interface PlanMetricsDeps {
  runtime: ContainerRuntime;
  metrics: MetricStore;
  now: () => number;
  /** Every plan with the instances of every site and slot it hosts. */
  plans: () => ReadonlyMap<string, readonly FleetInstance[]>;
  /** Requests the front door is serving for the plan's sites right now. */
  queueLength: (planId: string) => number;
  cores?: number;
  memoryBytes?: number;
}

export class PlanMetricsSampler {
  private readonly lastCpu = new Map<string, { atMs: number; cpuSeconds: number }>();

  constructor(private readonly deps: PlanMetricsDeps) {}

  async tick(): Promise<void> {
    const plans = this.deps.plans();
    const all = [...plans.values()].flat();
    const usage = await this.deps.runtime.usage(all.map((i) => i.containerId));
    const now = this.deps.now();
    const cores = this.deps.cores ?? 1;
    const memory = this.deps.memoryBytes ?? 1024 ** 3;
    for (const [planId, instances] of plans) {
      for (const instance of instances) {
        const u = usage.get(instance.containerId);
        if (!u) continue;
        const dims = { Instance: instance.id };
        const previous = this.lastCpu.get(instance.containerId);
        this.lastCpu.set(instance.containerId, { atMs: now, cpuSeconds: u.cpuSeconds });
        if (previous && now > previous.atMs) {
          const percent =
            (100 * (u.cpuSeconds - previous.cpuSeconds)) / (((now - previous.atMs) / 1000) * cores);
          this.deps.metrics.record(
            { resourceId: planId, metric: 'CpuPercentage', dimensions: dims },
            Math.max(0, Math.min(100, percent)),
            now,
          );
        }
        this.deps.metrics.record(
          { resourceId: planId, metric: 'MemoryPercentage', dimensions: dims },
          Math.min(100, (100 * u.memoryBytes) / memory),
          now,
        );
      }
      this.deps.metrics.record(
        { resourceId: planId, metric: 'HttpQueueLength' },
        this.deps.queueLength(planId),
        now,
      );
    }
    const live = new Set(all.map((i) => i.containerId));
    for (const id of this.lastCpu.keys()) if (!live.has(id)) this.lastCpu.delete(id);
  }
}
