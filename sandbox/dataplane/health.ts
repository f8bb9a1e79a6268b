import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';

/**
 * App Service's two kinds of HTTP pings, against an instance's loopback port:
 * - health check: `healthCheckPath` pinged every period; an instance failing `maxPingFailures` times in a
 *   row leaves the load balancer until it answers 2xx again;
 * - warm-up on swap: `WEBSITE_SWAP_WARMUP_PING_PATH` (default `/`) until the status is one of
 *   `WEBSITE_SWAP_WARMUP_PING_STATUSES` (default: any status), retried, with a timeout per ping.
 */

export type Ping = (
  port: number,
  path: string,
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<number | undefined>;

/**
 * One GET; the status, or undefined when there was no HTTP answer in time (or `signal` aborted it).
 * Redirects are not followed.
 */
export const httpPing: Ping = async (port, path, timeoutMs, signal) => {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      headers: { 'user-agent': 'HealthCheck/1.0', connection: 'close' },
    });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return undefined;
  }
};

/** Parse `WEBSITE_SWAP_WARMUP_PING_STATUSES` ("200,202"); empty or missing means any status. */
export function parseStatuses(text: string | undefined): Set<number> | undefined {
  const codes = (text ?? '')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n >= 100 && n <= 599);
  return codes.length > 0 ? new Set(codes) : undefined;
}

export interface WarmUpOptions {
  path: string;
  statuses?: Set<number>;
  attempts: number;
  timeoutMs: number;
  delayMs: number;
  ping?: Ping;
  sleep?: (ms: number) => Promise<void>;
  /** The sandbox is stopping: no more pings, and the warm-up rejects. */
  signal?: AbortSignal;
}

/** Sleep that ends early, rejecting, when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : {});
}

/** Warm one instance: true once it answers with an accepted status. */
export async function warmUp(
  port: number,
  opts: WarmUpOptions,
): Promise<{ warm: boolean; lastStatus?: number; attempts: number }> {
  const ping = opts.ping ?? httpPing;
  const sleep = opts.sleep ?? ((ms: number) => abortableSleep(ms, opts.signal));
  let lastStatus: number | undefined;
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    opts.signal?.throwIfAborted();
    lastStatus = await ping(port, opts.path, opts.timeoutMs, opts.signal);
    if (lastStatus !== undefined && (!opts.statuses || opts.statuses.has(lastStatus)))
      return { warm: true, lastStatus, attempts: attempt };
    if (attempt < opts.attempts) await sleep(opts.delayMs);
  }
  return { warm: false, lastStatus, attempts: opts.attempts };
}

/** Health-check verdicts from consecutive results; 2xx is healthy, as App Service counts it. */
export class HealthTracker {
  private readonly failures = new Map<string, number>();

  /** Record a ping result; returns whether the instance is now healthy (in the balancer). */
  record(instance: string, status: number | undefined, maxPingFailures: number): boolean {
    if (status !== undefined && status >= 200 && status < 300) {
      this.failures.set(instance, 0);
      return true;
    }
    const count = (this.failures.get(instance) ?? 0) + 1;
    this.failures.set(instance, count);
    return count < maxPingFailures;
  }

  forget(instance: string): void {
    this.failures.delete(instance);
  }
}

/** `WEBSITE_HEALTHCHECK_MAXPINGFAILURES`: 2 to 10, default 10. */
export function maxPingFailures(setting: string | undefined): number {
  const n = Number(setting);
  return Number.isInteger(n) && n >= 2 && n <= 10 ? n : 10;
}
