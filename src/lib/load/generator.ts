import type { SecureContext } from 'node:tls';
import type { Dispatcher, Pool } from 'undici';
import { LatencyHistogram, type LatencySummary } from './histogram.js';

/**
 * The built-in HTTP load generator: `users` virtual users, each looping GET → wait `thinkTimeMs` → GET,
 * started evenly over `rampUpMs`, for `durationMs` (and at most `maxRequests` requests when set). They
 * share one undici keep-alive pool of up to `connections` connections to the target's origin.
 *
 * Bounded in time and count: at the end of the duration, at the request cap, on `stop()` or when the
 * signal aborts, no new request starts, requests still in flight are aborted (counted as `cancelled`, not
 * as errors), every timer is cleared and the pool is destroyed; `done` resolves only after that. A request
 * that takes longer than `timeoutMs` is aborted and counted as a `timeout` error.
 */

export interface LoadOptions {
  /** The target, http or https. */
  url: string | URL;
  /** Paths (with query) on the target's origin; each user cycles through them. Default: the URL's own. */
  paths?: readonly string[];
  headers?: Readonly<Record<string, string>>;
  /** Virtual users. Default 1000. */
  users?: number;
  /** Each user's wait between a response and its next request. Default 1000 ms; 0 is a closed loop. */
  thinkTimeMs?: number;
  /** Users start evenly spread over this time. Default 0: all at once. */
  rampUpMs?: number;
  /** The load stops by itself this long after it started. */
  durationMs: number;
  /** At most this many requests are sent. */
  maxRequests?: number;
  /** One request, from sending to the last byte of the body. Default 10 s. */
  timeoutMs?: number;
  /** The length of each interval of the per-interval figures. Default 1000 ms. */
  intervalMs?: number;
  /** The pool's largest number of connections. Default: one per user. */
  connections?: number;
  /** PEM of a CA to trust for an https target, in addition to Node's root CAs. */
  ca?: string;
  /** Stops the load early, as `stop()` does. */
  signal?: AbortSignal;
  /** The clock and timers; tests may inject their own. */
  clock?: LoadClock;
}

export interface LoadClock {
  /** Milliseconds since the epoch, fractional and monotonic. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemLoadClock: LoadClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Why the load ended. */
export type LoadStopReason = 'duration' | 'max-requests' | 'stop' | 'signal';

/** Counts by kind: `status 503`, `status 404`, `timeout`, `ECONNREFUSED`, `ECONNRESET`, … */
export type ErrorCounts = Record<string, number>;

/** The figures of one interval; a request counts in the interval in which it completed. */
export interface LoadInterval {
  /** From the start of the load to the start of this interval. */
  startMs: number;
  /** The interval's length (the last one may be shorter). */
  durationMs: number;
  /** Users running at the end of the interval. */
  users: number;
  /** Requests completed in the interval: responses of any status, and network errors. */
  requests: number;
  errors: number;
  errorsByKind: ErrorCounts;
  requestsPerSecond: number;
  /** Latency of the responses (any status) completed in the interval; network errors have none. */
  latency: LatencySummary;
}

export interface LoadReport {
  /** When the first user started, ISO 8601. */
  startedAt: string;
  /** From the first user's start to the end of the load. */
  durationMs: number;
  stoppedBy: LoadStopReason;
  users: number;
  thinkTimeMs: number;
  rampUpMs: number;
  intervalMs: number;
  /** Requests completed: responses of any status, and network errors (timeouts included). */
  requests: number;
  /** Responses with a status below 400. */
  ok: number;
  /** Responses of 400 and above, and network errors. */
  errors: number;
  errorsByKind: ErrorCounts;
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Requests in flight when the load ended, aborted: neither completed nor errors. */
  cancelled: number;
  /** Response body bytes received. */
  bytes: number;
  requestsPerSecond: number;
  /** Latency of every response (any status); network errors have none. */
  latency: LatencySummary;
  intervals: LoadInterval[];
}

export interface LoadProgress {
  /** Since the first user started; 0 before. */
  elapsedMs: number;
  users: number;
  sent: number;
  requests: number;
  errors: number;
  inFlight: number;
  /** The intervals completed so far. */
  intervals: LoadInterval[];
}

export interface LoadRun {
  /** Resolves once the load has ended and its connections are closed; never rejects after a valid start. */
  done: Promise<LoadReport>;
  /** Ends the load now (in-flight requests are aborted) and resolves as `done` does. */
  stop(): Promise<LoadReport>;
  progress(): LoadProgress;
}

export const LOAD_DEFAULTS = {
  users: 1000,
  thinkTimeMs: 1000,
  rampUpMs: 0,
  timeoutMs: 10_000,
  intervalMs: 1000,
} as const;

/** The most users a run accepts. */
export const MAX_USERS = 100_000;

type Undici = Pick<typeof import('undici'), 'Pool'>;
let undici: Promise<Undici> | undefined;
// undici is loaded on the first load run, as src/lib/http.ts does, so an action that never drives load
// never reads it.
function loadUndici(): Promise<Undici> {
  undici ??= import('undici').then(({ Pool }) => ({ Pool }));
  return undici;
}

interface Settings {
  origin: string;
  paths: string[];
  /** Name, value, name, value, …: undici's cheapest form. */
  headers: string[];
  users: number;
  thinkTimeMs: number;
  rampUpMs: number;
  durationMs: number;
  maxRequests: number;
  timeoutMs: number;
  intervalMs: number;
  connections: number;
  ca: string | undefined;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`load generator: ${message}`);
}

const isWhole = (n: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): boolean =>
  n !== undefined && Number.isInteger(n) && n >= min && n <= max;
const isSpan = (n: number | undefined, min: number): boolean =>
  n !== undefined && Number.isFinite(n) && n >= min;

/** The options checked and completed with defaults; throws RangeError naming the bad option. */
function settle(opts: LoadOptions): Settings {
  let target: URL;
  try {
    target = new URL(String(opts.url));
  } catch {
    throw new RangeError('load generator: url is not a URL');
  }
  check(target.protocol === 'http:' || target.protocol === 'https:', 'url must be http or https');
  const paths = (opts.paths?.length ? opts.paths : [`${target.pathname}${target.search}`]).map((path) => {
    let resolved: URL;
    try {
      resolved = new URL(path, target);
    } catch {
      throw new RangeError(`load generator: path "${path}" is not a path`);
    }
    check(resolved.origin === target.origin, `path "${path}" is not on ${target.origin}`);
    return `${resolved.pathname}${resolved.search}`;
  });
  const users = opts.users ?? LOAD_DEFAULTS.users;
  check(isWhole(users, 1, MAX_USERS), `users must be a whole number from 1 to ${MAX_USERS}`);
  const thinkTimeMs = opts.thinkTimeMs ?? LOAD_DEFAULTS.thinkTimeMs;
  check(isSpan(thinkTimeMs, 0), 'thinkTimeMs must be 0 or more');
  const rampUpMs = opts.rampUpMs ?? LOAD_DEFAULTS.rampUpMs;
  check(isSpan(rampUpMs, 0), 'rampUpMs must be 0 or more');
  check(
    isSpan(opts.durationMs, 1) && opts.durationMs <= 2 ** 31 - 1,
    'durationMs must be from 1 ms to 24 days',
  );
  check(opts.maxRequests === undefined || isWhole(opts.maxRequests, 1), 'maxRequests must be 1 or more');
  const timeoutMs = opts.timeoutMs ?? LOAD_DEFAULTS.timeoutMs;
  check(isSpan(timeoutMs, 1), 'timeoutMs must be 1 ms or more');
  const intervalMs = opts.intervalMs ?? LOAD_DEFAULTS.intervalMs;
  check(isSpan(intervalMs, 10), 'intervalMs must be 10 ms or more');
  check(opts.durationMs / intervalMs <= 1_000_000, 'intervalMs is too small for the duration');
  const connections = opts.connections ?? users;
  check(isWhole(connections, 1, MAX_USERS), `connections must be a whole number from 1 to ${MAX_USERS}`);
  const headers: Record<string, string> = { 'user-agent': 'slotline-load-generator' };
  for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    origin: target.origin,
    paths,
    headers: Object.entries(headers).flat(),
    users,
    thinkTimeMs,
    rampUpMs,
    durationMs: opts.durationMs,
    maxRequests: opts.maxRequests ?? Number.POSITIVE_INFINITY,
    timeoutMs,
    intervalMs,
    connections,
    ca: opts.ca,
  };
}

const NETWORK_CODES: Record<string, string> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'content-length mismatch',
  HPE_INVALID_CONSTANT: 'invalid response',
};

/** A failed request's kind: `ECONNREFUSED`, `ECONNRESET`, `connection closed`, a TLS code, …. */
export function errorKind(error: unknown): string {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    // undici wraps the socket's own error (ECONNRESET) in its own only sometimes; the cause is better.
    const cause = (e as { cause?: unknown }).cause;
    const causeCode = (cause as { code?: unknown } | undefined)?.code;
    if (typeof causeCode === 'string' && !causeCode.startsWith('UND_ERR'))
      return NETWORK_CODES[causeCode] ?? causeCode;
    if (typeof code === 'string' && code) return NETWORK_CODES[code] ?? code;
    const errors = (e as { errors?: unknown }).errors;
    e = Array.isArray(errors) ? errors[0] : cause;
  }
  return error instanceof Error ? error.name : 'error';
}

class IntervalCounter {
  requests = 0;
  errors = 0;
  errorsByKind: ErrorCounts = {};
  readonly latency = new LatencyHistogram();

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.errorsByKind = {};
    this.latency.reset();
  }
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

const round1 = (n: number): number => Math.round(n * 10) / 10;

type Outcome = Error | 'timeout' | 'cancelled' | undefined;

/**
 * One request as an undici dispatch handler, without a response stream or a promise per step: the
 * closed loop spends its time in the network, not in the client. Settles once: undefined for a response,
 * the error for a network failure, or 'timeout' / 'cancelled' when the generator gave up on it first
 * (then undici's abort is called as soon as it is known; a request still queued in the pool is ended
 * by the pool's destroy).
 */
class Exchange implements Dispatcher.DispatchHandlers {
  status = 0;
  bytes = 0;
  timer: unknown;
  readonly settled: Promise<Outcome>;
  private settle!: (outcome: Outcome) => void;
  private done = false;
  private abort: ((error?: Error) => void) | undefined;

  constructor(readonly began: number) {
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  cancel(why: 'timeout' | 'cancelled'): void {
    if (this.done) return;
    this.done = true;
    this.settle(why);
    this.abort?.(new Error(`load generator: ${why}`));
  }

  onConnect(abort: (error?: Error) => void): void {
    if (this.done) abort(new Error('load generator: cancelled'));
    else this.abort = abort;
  }

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    this.settle(undefined);
  }

  onError(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.settle(error);
  }

  onUpgrade(): void {}
}

export function startLoad(opts: LoadOptions): LoadRun {
  const s = settle(opts);
  const clock = opts.clock ?? systemLoadClock;

  let startedAt: number | undefined;
  let endedAt: number | undefined;
  let stoppedBy: LoadStopReason | undefined;
  let activeUsers = 0;
  let sent = 0;
  let requests = 0;
  let ok = 0;
  let errors = 0;
  let cancelled = 0;
  let bytes = 0;
  const errorsByKind: ErrorCounts = {};
  const statuses = new Map<number, number>();
  const overall = new LatencyHistogram();
  const current = new IntervalCounter();
  let currentIndex = 0;
  const intervals: LoadInterval[] = [];
  const inFlight = new Set<Exchange>();
  const sleeping = new Map<unknown, () => void>();
  let endTimer: unknown;
  let usersAtEnd: number | undefined;

  /**
   * Close every interval that ended by `now` (never later than the end of the load); when `final`, the
   * last one too, partial, unless it is a sliver (under 1% of an interval) with nothing in it.
   */
  const closeIntervals = (now: number, final = false): void => {
    if (startedAt === undefined) return;
    const elapsed = Math.min(now, endedAt ?? now) - startedAt;
    let target = Math.floor(elapsed / s.intervalMs);
    if (final && elapsed - target * s.intervalMs >= s.intervalMs / 100) target++;
    if (final && current.requests > 0) target = Math.max(target, currentIndex + 1);
    while (currentIndex < target) {
      const startMs = currentIndex * s.intervalMs;
      const durationMs = Math.max(0, Math.min(s.intervalMs, elapsed - startMs));
      intervals.push({
        startMs,
        durationMs: round1(durationMs),
        users: usersAtEnd ?? activeUsers,
        requests: current.requests,
        errors: current.errors,
        errorsByKind: current.errorsByKind,
        requestsPerSecond: durationMs > 0 ? round1((current.requests * 1000) / durationMs) : 0,
        latency: current.latency.summary(),
      });
      current.reset();
      currentIndex++;
    }
  };

  const recordError = (kind: string): void => {
    errors++;
    bump(errorsByKind, kind);
    current.errors++;
    bump(current.errorsByKind, kind);
  };

  const finish = (reason: LoadStopReason): void => {
    if (stoppedBy !== undefined) return;
    stoppedBy = reason;
    endedAt = clock.now();
    // Node's timers run on the loop's millisecond clock and may fire a fraction of a millisecond early.
    if (reason === 'duration' && startedAt !== undefined)
      endedAt = Math.max(endedAt, startedAt + s.durationMs);
    closeIntervals(endedAt);
    usersAtEnd = activeUsers;
    if (endTimer !== undefined) clock.clearTimeout(endTimer);
    for (const exchange of inFlight) exchange.cancel('cancelled');
    for (const [handle, wake] of sleeping) {
      clock.clearTimeout(handle);
      wake();
    }
    sleeping.clear();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (stoppedBy !== undefined) return resolve();
      const handle = clock.setTimeout(() => {
        sleeping.delete(handle);
        resolve();
      }, ms);
      sleeping.set(handle, resolve);
    });

  // Built once per path: undici reads a request's options and never changes them.
  const dispatchOptions = s.paths.map((path) => ({ path, method: 'GET' as const, headers: s.headers }));

  /** Sends one request; settles on its outcome. No async function here: one promise per request. */
  const send = (pool: Pool, path: number): Exchange => {
    const exchange = new Exchange(clock.now());
    exchange.timer = clock.setTimeout(() => exchange.cancel('timeout'), s.timeoutMs);
    inFlight.add(exchange);
    try {
      pool.dispatch(dispatchOptions[path]!, exchange);
    } catch (error) {
      exchange.onError(error as Error);
    }
    return exchange;
  };

  /** Counts a settled request in the totals and in the interval it completed in. */
  const account = (exchange: Exchange, outcome: Outcome): void => {
    clock.clearTimeout(exchange.timer);
    inFlight.delete(exchange);
    bytes += exchange.bytes;
    if (outcome === 'cancelled') {
      cancelled++;
      return;
    }
    const now = clock.now();
    closeIntervals(now);
    requests++;
    current.requests++;
    if (outcome === undefined) {
      const latencyMs = now - exchange.began;
      overall.record(latencyMs);
      current.latency.record(latencyMs);
      statuses.set(exchange.status, (statuses.get(exchange.status) ?? 0) + 1);
      if (exchange.status >= 400) recordError(`status ${exchange.status}`);
      else ok++;
    } else recordError(outcome === 'timeout' ? 'timeout' : errorKind(outcome));
  };

  const user = async (pool: Pool, index: number): Promise<void> => {
    const offset = s.users > 1 ? (s.rampUpMs * index) / s.users : 0;
    if (offset > 0) await sleep(offset);
    if (stoppedBy !== undefined) return;
    closeIntervals(clock.now());
    activeUsers++;
    try {
      for (let n = index; stoppedBy === undefined && sent < s.maxRequests; n++) {
        sent++;
        const exchange = send(pool, n % s.paths.length);
        account(exchange, await exchange.settled);
        // At the cap, the last request to complete ends the load, waking the users that think.
        if (sent >= s.maxRequests) {
          if (inFlight.size === 0) finish('max-requests');
          return;
        }
        if (stoppedBy === undefined && s.thinkTimeMs > 0) await sleep(s.thinkTimeMs);
      }
    } finally {
      closeIntervals(clock.now());
      activeUsers--;
    }
  };

  const onSignal = (): void => finish('signal');

  const run = async (): Promise<LoadReport> => {
    const { Pool } = await loadUndici();
    // One TLS context for every connection: given `ca` alone, each connection would build its own from
    // Node's ~150 root certificates (about 10-30 ms of CPU each, so seconds for 1000 users).
    let secureContext: SecureContext | undefined;
    if (s.ca !== undefined) {
      const tls = process.getBuiltinModule('node:tls');
      secureContext = tls.createSecureContext({ ca: [...tls.rootCertificates, s.ca] });
    }
    const pool = new Pool(s.origin, {
      connections: s.connections,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      // The generator's own timer ends each request (timeoutMs); undici's would be one more per request.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: Math.min(s.timeoutMs, 10_000), ...(secureContext ? { secureContext } : {}) },
    });
    try {
      if (opts.signal?.aborted) finish('signal');
      opts.signal?.addEventListener('abort', onSignal, { once: true });
      startedAt = clock.now();
      if (stoppedBy === undefined) endTimer = clock.setTimeout(() => finish('duration'), s.durationMs);
      else endedAt = startedAt;
      const wall = Date.now();
      await Promise.all(Array.from({ length: s.users }, (_, index) => user(pool, index)));
      // Every user has returned: the load has ended already (duration, stop, signal or the cap).
      finish('max-requests');
      const end = endedAt ?? clock.now();
      closeIntervals(end, true);
      const durationMs = end - startedAt;
      return {
        startedAt: new Date(wall).toISOString(),
        durationMs: round1(durationMs),
        stoppedBy: stoppedBy ?? 'max-requests',
        users: s.users,
        thinkTimeMs: s.thinkTimeMs,
        rampUpMs: s.rampUpMs,
        intervalMs: s.intervalMs,
        requests,
        ok,
        errors,
        errorsByKind,
        statuses: Object.fromEntries(
          [...statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]),
        ),
        cancelled,
        bytes,
        requestsPerSecond: durationMs > 0 ? round1((requests * 1000) / durationMs) : 0,
        latency: overall.summary(),
        intervals,
      };
    } finally {
      // A no-op after a normal end; after an unexpected error, it clears the timers all the same.
      finish('stop');
      opts.signal?.removeEventListener('abort', onSignal);
      await pool.destroy().catch(() => {});
    }
  };

  const done = run();
  return {
    done,
    stop: () => {
      finish('stop');
      return done;
    },
    progress: () => {
      const now = clock.now();
      if (stoppedBy === undefined) closeIntervals(now);
      return {
        elapsedMs: startedAt === undefined ? 0 : round1((endedAt ?? now) - startedAt),
        users: activeUsers,
        sent,
        requests,
        errors,
        inFlight: inFlight.size,
        intervals: [...intervals],
      };
    },
  };
}
