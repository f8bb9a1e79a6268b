/**
 * Where metric samples come from: the interface the query reads, and the in-memory source the admin API
 * (or an embedding test) pushes samples into. The data plane supplies its own, fed by real traffic.
 */

/** One observation of a metric, as the data plane records it. */
export interface MetricSample {
  timestamp: number;
  value: number;
  dimensions?: Record<string, string>;
  /**
   * A sample may stand for several observations already combined (the data plane keeps one per second
   * per series): then count, total, minimum and maximum describe them and `value` is their average.
   */
  count?: number;
  total?: number;
  minimum?: number;
  maximum?: number;
}

/**
 * Where metric values come from. The control plane only aggregates; part 2 (slots running containers,
 * autoscale) supplies a source fed by real traffic. Resource ids are compared case-insensitively.
 */
export interface MetricsSource {
  samples(resourceId: string, metricName: string, startMs: number, endMs: number): MetricSample[];
}

/** Samples pushed through the admin endpoint (or by an in-process data plane). */
export class InMemoryMetricsSource implements MetricsSource {
  private readonly series = new Map<string, MetricSample[]>();

  record(resourceId: string, metricName: string, samples: MetricSample[]): void {
    const key = `${resourceId.toLowerCase()}|${metricName.toLowerCase()}`;
    const list = this.series.get(key) ?? [];
    list.push(...samples);
    list.sort((a, b) => a.timestamp - b.timestamp);
    this.series.set(key, list);
  }

  samples(resourceId: string, metricName: string, startMs: number, endMs: number): MetricSample[] {
    const list = this.series.get(`${resourceId.toLowerCase()}|${metricName.toLowerCase()}`) ?? [];
    return list.filter((s) => s.timestamp >= startMs && s.timestamp < endMs);
  }
}
