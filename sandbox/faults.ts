import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxClock } from './clock.js';
import { HttpProblem, sendArmError } from './http.js';

export type FaultType = 'throttle' | 'error' | 'drop' | 'lro-failure' | 'latency' | 'ignore-write';

export interface FaultSpec {
  type: FaultType;
  /** HTTP method, or `*` (default). */
  method?: string;
  /** A regular expression matched case-insensitively against the request path (no query). */
  path: string;
  /** Which listener it applies to: ARM (default) or the login endpoints. */
  target?: 'arm' | 'login';
  /** Stop after this many matching requests (default 1 when `seconds` is not given either). */
  count?: number;
  /** Stop this many seconds after it was added. */
  seconds?: number;
  /** throttle: Retry-After seconds (default 1). */
  retryAfterSeconds?: number;
  /** error: 500 or 503 (default 500). */
  status?: number;
  /** latency: added milliseconds. */
  latencyMs?: number;
  /** lro-failure: the error the failed operation reports. */
  code?: string;
  message?: string;
}

export interface Fault extends FaultSpec {
  id: string;
  createdAt: string;
  expiresAt?: string;
  remaining?: number;
  hits: number;
}

const TYPES: FaultType[] = ['throttle', 'error', 'drop', 'lro-failure', 'latency', 'ignore-write'];
/** Faults the resource handlers take themselves (they change what a handler does, not the response). */
const IN_HANDLER: FaultType[] = ['lro-failure', 'ignore-write'];

/**
 * Faults the admin endpoint arms and the ARM and login listeners consult before handling a request. Each
 * fault matches a method and path pattern and lasts a number of calls and/or seconds.
 */
export class FaultInjector {
  private faults: Fault[] = [];

  constructor(private readonly clock: SandboxClock) {}

  add(spec: FaultSpec): Fault {
    if (!TYPES.includes(spec.type)) throw new Error(`type must be one of ${TYPES.join(', ')}`);
    if (typeof spec.path !== 'string' || spec.path === '')
      throw new Error('path must be a regular expression');
    new RegExp(spec.path, 'i');
    if (spec.type === 'error' && spec.status !== undefined && ![500, 502, 503, 504].includes(spec.status)) {
      throw new Error('status must be 500, 502, 503 or 504 for an error fault');
    }
    if (spec.type === 'latency' && !(Number(spec.latencyMs) > 0))
      throw new Error('latencyMs must be a positive number');
    if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0))
      throw new Error('count must be a positive integer');
    if (spec.seconds !== undefined && !(Number(spec.seconds) > 0))
      throw new Error('seconds must be a positive number');
    const now = this.clock.now();
    const fault: Fault = {
      ...spec,
      method: (spec.method ?? '*').toUpperCase(),
      target: spec.target ?? 'arm',
      id: randomUUID(),
      createdAt: new Date(now).toISOString(),
      hits: 0,
      ...(spec.seconds !== undefined ? { expiresAt: new Date(now + spec.seconds * 1000).toISOString() } : {}),
      ...(spec.count !== undefined || spec.seconds === undefined ? { remaining: spec.count ?? 1 } : {}),
    };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    this.prune();
    return this.faults.map((f) => ({ ...f }));
  }

  /** Every fault ever added keeps its hit count here until cleared, so tests can see what fired. */
  remove(id?: string): number {
    const before = this.faults.length;
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
    return before - this.faults.length;
  }

  /**
   * The first live fault that matches; consumes one use of it. LRO failures and ignored writes are only
   * taken by the handlers (`takeLroFailure`, `takeIgnoredWrite`).
   */
  take(target: 'arm' | 'login', method: string, path: string): Fault | undefined {
    return this.consume(target, method, path, (f) => !IN_HANDLER.includes(f.type));
  }

  /** A write (Tags API, site PATCH) that answers success but does not stick, as one lost by a flaky backend. */
  takeIgnoredWrite(method: string, path: string): Fault | undefined {
    return this.consume('arm', method, path, (f) => f.type === 'ignore-write');
  }

  takeLroFailure(method: string, path: string): Fault | undefined {
    return this.consume('arm', method, path, (f) => f.type === 'lro-failure');
  }

  private consume(
    target: 'arm' | 'login',
    method: string,
    path: string,
    kind: (f: Fault) => boolean,
  ): Fault | undefined {
    this.prune();
    const fault = this.faults.find(
      (f) =>
        kind(f) &&
        f.target === target &&
        (f.method === '*' || f.method === method.toUpperCase()) &&
        new RegExp(f.path, 'i').test(path) &&
        (f.remaining === undefined || f.remaining > 0),
    );
    if (!fault) return undefined;
    fault.hits++;
    if (fault.remaining !== undefined) fault.remaining--;
    return { ...fault };
  }

  private prune(): void {
    const now = this.clock.now();
    // Spent faults stay listed (with remaining 0) so their hit counts can be read; expired ones too.
    for (const f of this.faults)
      if (f.expiresAt && Date.parse(f.expiresAt) <= now && f.remaining !== 0) f.remaining = 0;
  }
}

/**
 * The fault middleware of the ARM and login listeners: applies the first live fault for this request.
 * Returns true when the fault answered (or dropped) the request, so the handler must not run; a latency
 * fault only delays it.
 */
export async function applyFault(
  faults: FaultInjector,
  target: 'arm' | 'login',
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  log: (line: string) => void,
): Promise<boolean> {
  const fault = faults.take(target, req.method ?? 'GET', path);
  if (!fault) return false;
  log(`${target} fault ${fault.type} on ${req.method} ${path}`);
  switch (fault.type) {
    case 'drop':
      req.socket.destroy();
      return true;
    case 'latency':
      await new Promise((r) => setTimeout(r, fault.latencyMs));
      return false;
    case 'throttle': {
      const retryAfter = String(fault.retryAfterSeconds ?? 1);
      sendArmError(
        res,
        new HttpProblem(
          429,
          'TooManyRequests',
          `The request was throttled (injected fault). Retry after ${retryAfter} seconds.`,
          { 'retry-after': retryAfter },
        ),
      );
      return true;
    }
    case 'error': {
      const status = fault.status ?? 500;
      sendArmError(
        res,
        new HttpProblem(
          status,
          status === 503 ? 'ServiceUnavailable' : 'InternalServerError',
          `The service is unavailable (injected fault ${status}).`,
        ),
      );
      return true;
    }
    default:
      return false;
  }
}
