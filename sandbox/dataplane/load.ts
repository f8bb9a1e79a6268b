import { Agent, request } from 'undici';
import { percentile } from '../stats.js';

/**
 * A bounded closed-loop load generator for loopback targets: `concurrency` workers send requests back to
 * back until stopped, or until `maxDurationMs` / `maxRequests` ends them anyway. Used by tests (traffic
 * during swaps and failover) and benchmarks.
 */
export interface LoadOptions {
  url: string;
  concurrency: number;
  /** Hard stop, whatever the caller does. */
  maxDurationMs: number;
  maxRequests?: number;
  /** PEM of the CA to trust for https targets. */
  ca?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Keep connections open between requests (default true). */
  keepAlive?: boolean;
}

export interface LoadReport {
  total: number;
  failed: number;
  /** Failures by kind: `status 502`, `ECONNRESET`, … */
  failures: Record<string, number>;
  /** Count of responses per body text (trimmed, first 80 characters): which version answered. */
  bodies: Record<string, number>;
  /** Count of responses per value of the X-Instance header. */
  instances: Record<string, number>;
  durationMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadRun {
  stop(): Promise<LoadReport>;
  done: Promise<LoadReport>;
  /** The counts so far, while the load runs: for waiting until it is under way or a version answered. */
  progress(): Pick<LoadReport, 'total' | 'failed' | 'bodies'>;
}

export function startLoad(opts: LoadOptions): LoadRun {
  const keepAlive = opts.keepAlive ?? true;
  const dispatcher = new Agent({
    connections: opts.concurrency,
    connect: { ca: opts.ca, timeout: 10_000 },
    keepAliveTimeout: keepAlive ? 4_000 : 1,
    pipelining: keepAlive ? 1 : 0,
  });
  const started = Date.now();
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const bodies: Record<string, number> = {};
  const instances: Record<string, number> = {};
  let total = 0;
  let failed = 0;
  let stopping = false;
  const hardStop = setTimeout(() => {
    stopping = true;
  }, opts.maxDurationMs);

  const worker = async (): Promise<void> => {
    while (!stopping && (opts.maxRequests === undefined || total < opts.maxRequests)) {
      const t0 = performance.now();
      total++;
      try {
        const res = await request(opts.url, {
          dispatcher,
          headers: { ...(opts.headers ?? {}), ...(keepAlive ? {} : { connection: 'close' }) },
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
        const body = (await res.body.text()).trim().slice(0, 80);
        latencies.push(performance.now() - t0);
        bodies[body] = (bodies[body] ?? 0) + 1;
        const instance = String(res.headers['x-instance'] ?? '');
        instances[instance] = (instances[instance] ?? 0) + 1;
        if (res.statusCode >= 500) {
          failed++;
          failures[`status ${res.statusCode}`] = (failures[`status ${res.statusCode}`] ?? 0) + 1;
        }
      } catch (error) {
        failed++;
        const code = (error as { code?: string }).code ?? (error as Error).name ?? 'error';
        failures[code] = (failures[code] ?? 0) + 1;
      }
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, worker)).then(async () => {
    clearTimeout(hardStop);
    await dispatcher.close();
    const durationMs = Date.now() - started;
    return {
      total,
      failed,
      failures,
      bodies,
      instances,
      durationMs,
      requestsPerSecond: Math.round((total / durationMs) * 1000),
      p50Ms: Math.round(percentile(latencies, 0.5) ?? 0),
      p99Ms: Math.round(percentile(latencies, 0.99) ?? 0),
    };
  });
  return {
    done,
    progress: () => ({ total, failed, bodies: { ...bodies } }),
    stop: () => {
      stopping = true;
      return done;
    },
  };
}
