import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * App Service's front end, in small: one TLS listener per site and slot on 127.0.0.1, load balancing
 * over the slot's healthy instances, `experiments.rampUpRules` and the `x-ms-routing-name` cookie or
 * query parameter for production traffic, and a record of every request for Azure Monitor.
 */

export interface Instance {
  id: string;
  port: number;
  healthy: boolean;
}

export interface SlotTarget {
  /** The ARM id of the site (production) or slot that serves, for metrics. */
  resourceId: string;
  /** `production` or the slot name, as x-ms-routing-name uses it. */
  slot: string;
  instances: readonly Instance[];
}

export interface RampUpRule {
  /** Slot name (App Service uses the slot's host name in actionHostName). */
  slot: string;
  percentage: number;
}

/** Everything a listener needs to route one request. Replaced whole, so a swap switches atomically. */
export interface Routing {
  production: SlotTarget;
  slots: ReadonlyMap<string, SlotTarget>;
  rampUp: readonly RampUpRule[];
}

export interface ServedRequest {
  resourceId: string;
  instance: string;
  status: number;
  latencyMs: number;
  bytesReceived: number;
  bytesSent: number;
  timeMs: number;
}

/**
 * Requests in flight per instance, shared by all listeners, so an instance is stopped only once the
 * requests it is serving have finished (App Service lets in-flight requests complete on a swap).
 */
export class InFlight {
  private readonly counts = new Map<string, number>();
  /** How to fail each request an instance still serves, should its container go before it answers. */
  private readonly breakers = new Map<string, Set<() => void>>();

  /** A request starts on `instance`; `fail` ends it with a connection error (see `gone`). */
  enter(instance: string, fail?: () => void): () => void {
    this.counts.set(instance, (this.counts.get(instance) ?? 0) + 1);
    if (fail) {
      const set = this.breakers.get(instance) ?? new Set();
      set.add(fail);
      this.breakers.set(instance, set);
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const n = (this.counts.get(instance) ?? 1) - 1;
      if (n <= 0) this.counts.delete(instance);
      else this.counts.set(instance, n);
      if (fail) {
        const set = this.breakers.get(instance);
        set?.delete(fail);
        if (set?.size === 0) this.breakers.delete(instance);
      }
    };
  }

  /**
   * These instances' containers are gone (removed after the drain's deadline). A request they still
   * served may never get an answer, not even a reset (with bridge networking the host keeps resending to
   * an address that no longer exists), and would wait until the client gives up. Fail each as a reset
   * connection, which the front door retries on another instance (GET, HEAD, OPTIONS) or answers 502.
   */
  gone(instances: readonly string[]): void {
    for (const instance of instances) for (const fail of [...(this.breakers.get(instance) ?? [])]) fail();
  }

  count(instance: string): number {
    return this.counts.get(instance) ?? 0;
  }

  /** Resolve once none of `instances` serves a request, or after `timeoutMs` whatever happens. */
  /** Whether they became idle in time; false at once when `signal` aborts (the sandbox is stopping). */
  async waitIdle(instances: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (instances.some((i) => this.count(i) > 0)) {
      if (Date.now() >= deadline || signal?.aborted) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }
}

export interface FrontDoorOptions {
  tls: { key: string; cert: string };
  inFlight?: InFlight;
  onRequest?: (served: ServedRequest) => void;
  random?: () => number;
  now?: () => number;
}

const ROUTING_COOKIE = 'x-ms-routing-name';
const CONNECT_TIMEOUT_MS = 2_000;

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded by a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
]);

export function endToEndHeaders<T extends Record<string, unknown>>(headers: T): Partial<T> {
  const listed = new Set(
    String(headers['connection'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !listed.has(name)),
  ) as Partial<T>;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/**
 * Which slot serves a production request: an explicit routing name (query beats cookie; `self` means
 * production), else a weighted draw over the ramp-up rules. Pure.
 */
export function chooseSlot(
  routing: Routing,
  query: string | undefined,
  cookie: string | undefined,
  random: () => number,
): { target: SlotTarget; pin?: string } {
  const named = query ?? cookie;
  if (named !== undefined) {
    if (named.toLowerCase() === 'self' || named.toLowerCase() === 'production')
      return { target: routing.production, pin: query ? 'self' : undefined };
    const slot = routing.slots.get(named.toLowerCase());
    if (slot) return { target: slot, pin: query ? named.toLowerCase() : undefined };
  }
  if (routing.rampUp.length === 0) return { target: routing.production };
  let draw = random() * 100;
  for (const rule of routing.rampUp) {
    const slot = routing.slots.get(rule.slot.toLowerCase());
    if (slot && draw < rule.percentage) return { target: slot, pin: slot.slot };
    draw -= rule.percentage;
  }
  return { target: routing.production, pin: 'self' };
}

/** Round robin over healthy instances; with none healthy, over all (App Service never routes to nothing). */
export class Balancer {
  private next = 0;
  pick(instances: readonly Instance[], exclude: ReadonlySet<string> = new Set()): Instance | undefined {
    const healthy = instances.filter((i) => i.healthy && !exclude.has(i.id));
    const pool = healthy.length > 0 ? healthy : instances.filter((i) => !exclude.has(i.id));
    if (pool.length === 0) return undefined;
    this.next = (this.next + 1) % 1_000_000;
    return pool[this.next % pool.length];
  }
}

/** What a listener serves: a site's production host (no slot) or one slot's host. */
export interface Route {
  routing: Routing;
  slot?: string;
}

export interface Listener {
  /** `127.0.0.1:<port>`, the ARM defaultHostName. */
  host: string;
  port: number;
  inFlight(): number;
  close(): Promise<void>;
}

/**
 * Serve one site or slot host name. `resolve` is asked per request for the current routing, so swaps
 * and rule changes apply to the next request while requests in flight finish where they started.
 */
export async function listen(
  route: () => Route | undefined,
  opts: FrontDoorOptions & { port?: number },
): Promise<Listener> {
  const resolve = () => route()?.routing;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  // One keep-alive pool per instance, dropped once the instance leaves routing. A pool shared by host
  // port kept sockets to removed containers; through podman's port mapping a request sent on one hung
  // with no reset (a port may be reused by a new container while the old socket still points at the old).
  const agents = new Map<string, Agent>();
  const agentKey = (instance: Instance) => `${instance.id}@${instance.port}`;
  const agentFor = (instance: Instance): Agent => {
    const key = agentKey(instance);
    let agent = agents.get(key);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 256 });
      agents.set(key, agent);
    }
    return agent;
  };
  // Requests in flight on a retired pool finish where they started; its idle sockets close now, and
  // each busy one closes as soon as it is free instead of going back to the pool.
  const retire = (agent: Agent): void => {
    agent.on('free', (socket) => socket.destroy());
    for (const sockets of Object.values(agent.freeSockets))
      for (const socket of sockets ?? []) socket.destroy();
  };
  const dropRetiredAgents = (routing: Routing | undefined): void => {
    if (!routing || agents.size === 0) return;
    const live = new Set<string>();
    for (const target of [routing.production, ...routing.slots.values()])
      for (const instance of target.instances) live.add(agentKey(instance));
    for (const [key, agent] of agents)
      if (!live.has(key)) {
        agents.delete(key);
        retire(agent);
      }
  };
  const balancer = new Balancer();
  let inFlight = 0;

  const server: Server = createServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    const started = now();
    const bound = route();
    if (!bound) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('site not found');
      return;
    }
    const { routing } = bound;
    dropRetiredAgents(routing);
    const url = new URL(req.url ?? '/', 'https://front-door');
    let target: SlotTarget;
    let pin: string | undefined;
    if (bound.slot === undefined) {
      ({ target, pin } = chooseSlot(
        routing,
        url.searchParams.get(ROUTING_COOKIE) ?? undefined,
        cookieValue(req.headers.cookie, ROUTING_COOKIE),
        random,
      ));
    } else {
      const slot = routing.slots.get(bound.slot.toLowerCase());
      if (!slot) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('slot not found');
        return;
      }
      target = slot;
    }
    forward(req, res, target, pin, started);
  });

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: SlotTarget,
    pin: string | undefined,
    started: number,
  ): void {
    const body: Buffer[] = [];
    let bytesReceived = 0;
    req.on('data', (chunk: Buffer) => {
      body.push(chunk);
      bytesReceived += chunk.length;
    });
    req.on('end', () => attempt(new Set()));

    const finish = (instance: string, status: number, bytesSent: number) =>
      opts.onRequest?.({
        resourceId: target.resourceId,
        instance,
        status,
        latencyMs: now() - started,
        bytesReceived,
        bytesSent,
        timeMs: now(),
      });

    // A retry looks at the slot's instances as they are now: a reconcile may have replaced them.
    const currentTarget = (): SlotTarget => {
      const routing = resolve();
      if (!routing) return target;
      return (
        (target.slot === 'production' ? routing.production : routing.slots.get(target.slot.toLowerCase())) ??
        target
      );
    };

    function attempt(tried: Set<string>): void {
      const instances = tried.size === 0 ? target.instances : currentTarget().instances;
      const instance = balancer.pick(instances, tried);
      if (!instance) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('no instance is available');
        finish('none', 503, 0);
        return;
      }
      const headers = {
        ...endToEndHeaders(req.headers),
        'x-forwarded-proto': 'https',
        'x-forwarded-for': req.socket.remoteAddress ?? '',
        'x-original-host': req.headers.host ?? '',
      };
      // biome-ignore lint/style/useConst: assigned below; the breaker closes over it first.
      let upstream: ReturnType<typeof httpRequest> | undefined;
      const leave =
        opts.inFlight?.enter(instance.id, () =>
          upstream?.destroy(Object.assign(new Error('the instance was removed'), { code: 'ECONNRESET' })),
        ) ?? (() => {});
      res.once('close', leave);
      upstream = httpRequest(
        {
          host: '127.0.0.1',
          port: instance.port,
          method: req.method,
          path: req.url,
          headers,
          agent: agentFor(instance),
        },
        (up) => {
          const outHeaders = { ...endToEndHeaders(up.headers) };
          if (pin) {
            const cookie = `${ROUTING_COOKIE}=${pin}; Path=/; HttpOnly; Secure`;
            const existing = outHeaders['set-cookie'] ?? [];
            outHeaders['set-cookie'] = [...(Array.isArray(existing) ? existing : [existing]), cookie];
          }
          res.writeHead(up.statusCode ?? 502, outHeaders);
          let bytesSent = 0;
          up.on('data', (chunk: Buffer) => {
            bytesSent += chunk.length;
          });
          up.pipe(res);
          up.on('end', () => finish(instance.id, up.statusCode ?? 502, bytesSent));
          up.on('error', () => res.destroy());
        },
      );
      // A connection the instance never accepts (a dead container behind a stale port mapping) fails
      // after CONNECT_TIMEOUT_MS and counts as never reached, so another instance serves the request.
      upstream.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNTIMEOUT' })),
          CONNECT_TIMEOUT_MS,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        // A refused or unreachable connection never reached the app, so another instance may serve it; a
        // reset before any response byte may be retried only when the method is idempotent.
        const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
        const neverReached = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNTIMEOUT'].includes(
          error.code ?? '',
        );
        const retryable =
          neverReached || (idempotent && (error.code === 'ECONNRESET' || error.code === 'EPIPE'));
        if (!res.headersSent && retryable) {
          leave();
          res.off('close', leave);
          tried.add(instance.id);
          if (currentTarget().instances.some((i) => !tried.has(i.id))) {
            attempt(tried);
            return;
          }
        }
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway');
          finish(instance.id, 502, 0);
        } else res.destroy();
      });
      upstream.end(Buffer.concat(body));
    }
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    port,
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        for (const agent of agents.values()) agent.destroy();
        agents.clear();
        server.close(() => resolveClose());
      }),
  };
}

/** A listener bound for good to one site's production host or one slot's host. */
export function listenFor(
  kind: { production: true } | { production: false; slot: string },
  resolve: () => Routing | undefined,
  opts: FrontDoorOptions & { port?: number },
): Promise<Listener> {
  return listen(() => {
    const routing = resolve();
    return routing ? { routing, ...(kind.production ? {} : { slot: kind.slot }) } : undefined;
  }, opts);
}
