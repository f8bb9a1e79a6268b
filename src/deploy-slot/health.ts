import type { Clock } from '../lib/backoff.js';
import type { StatusMatcher } from '../lib/http-status.js';

/** One health probe: the HTTP status, or a short reason when there was no HTTP answer. */
export type Probe = (url: string) => Promise<{ status?: number; error?: string }>;

export interface ProbeOutcome {
  healthy: boolean;
  /** Probes sent. */
  probes: number;
  /** What the last probe saw: `200`, `503`, `ECONNREFUSED`… */
  last: string;
}

/**
 * Wait until `url` answers an accepted status `consecutive` times in a row (the front end balances over
 * the instances, so enough consecutive answers cover each of them), retrying every `intervalMs` until
 * `timeoutMs`. Any unaccepted answer restarts the count.
 */
export async function waitHealthy(
  url: string,
  opts: {
    accept: StatusMatcher;
    consecutive: number;
    intervalMs: number;
    timeoutMs: number;
    probe: Probe;
    clock: Clock;
    onProbe?: (result: string, streak: number) => void;
  },
): Promise<ProbeOutcome> {
  const deadline = opts.clock.now() + opts.timeoutMs;
  let streak = 0;
  let probes = 0;
  let last = 'no probe';
  for (;;) {
    const result = await opts.probe(url);
    probes++;
    last = result.status !== undefined ? String(result.status) : (result.error ?? 'no answer');
    streak = result.status !== undefined && opts.accept(result.status) ? streak + 1 : 0;
    opts.onProbe?.(last, streak);
    if (streak >= opts.consecutive) return { healthy: true, probes, last };
    if (opts.clock.now() + opts.intervalMs > deadline) return { healthy: false, probes, last };
    await opts.clock.sleep(opts.intervalMs);
  }
}

/**
 * Production verification is strict: `count` probes spaced by `intervalMs`, and the first unaccepted
 * answer fails it. Production was serving before the swap, so it has no warm-up to wait for.
 */
export async function verifyStrict(
  url: string,
  opts: { accept: StatusMatcher; count: number; intervalMs: number; probe: Probe; clock: Clock },
): Promise<ProbeOutcome> {
  let last = 'no probe';
  for (let n = 1; n <= opts.count; n++) {
    const result = await opts.probe(url);
    last = result.status !== undefined ? String(result.status) : (result.error ?? 'no answer');
    if (result.status === undefined || !opts.accept(result.status))
      return { healthy: false, probes: n, last };
    if (n < opts.count) await opts.clock.sleep(opts.intervalMs);
  }
  return { healthy: true, probes: opts.count, last };
}
