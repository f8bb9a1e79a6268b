import type { Clock } from '../lib/backoff.js';

/** Accepted HTTP statuses: exact codes and classes such as `2xx`. */
export type StatusMatcher = (status: number) => boolean;

/** `200`, `2xx,301`: undefined when any item is not a status code or class. */
export function parseStatusList(text: string): StatusMatcher | undefined {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) return undefined;
  const codes = new Set<number>();
  const classes = new Set<number>();
  for (const item of items) {
    if (/^[1-5]xx$/i.test(item)) classes.add(Number(item[0]));
    else if (/^[1-5]\d\d$/.test(item)) codes.add(Number(item));
    else return undefined;
  }
  return (status) => codes.has(status) || classes.has(Math.floor(status / 100));
}

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
