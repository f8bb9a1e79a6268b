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

export interface FrontDoorOptions {
  tls: { key: string; cert: string };
  onRequest?: (served: ServedRequest) => void;
  random?: () => number;
  now?: () => number;
}

const ROUTING_COOKIE = 'x-ms-routing-name';

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
  kind: { production: true } | { production: false; slot: string },
  resolve: () => Routing | undefined,
  opts: FrontDoorOptions,
): Promise<Listener> {
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const balancer = new Balancer();
  let inFlight = 0;

  const server: Server = createServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    const started = now();
    const routing = resolve();
    if (!routing) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('site not found');
      return;
    }
    const url = new URL(req.url ?? '/', 'https://front-door');
    let target: SlotTarget;
    let pin: string | undefined;
    if (kind.production) {
      ({ target, pin } = chooseSlot(
        routing,
        url.searchParams.get(ROUTING_COOKIE) ?? undefined,
        cookieValue(req.headers.cookie, ROUTING_COOKIE),
        random,
      ));
    } else {
      const slot = routing.slots.get(kind.slot.toLowerCase());
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

    function attempt(tried: Set<string>): void {
      const instance = balancer.pick(target.instances, tried);
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
      const upstream = httpRequest(
        { host: '127.0.0.1', port: instance.port, method: req.method, path: req.url, headers, agent },
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
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        // A refused or unreachable connection never reached the app, so another instance may serve it; a
        // reset before any response byte may be retried only when the method is idempotent.
        const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
        const neverReached = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'].includes(error.code ?? '');
        const retryable =
          neverReached || (idempotent && (error.code === 'ECONNRESET' || error.code === 'EPIPE'));
        if (!res.headersSent && retryable) {
          tried.add(instance.id);
          if (tried.size < target.instances.length) {
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

  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    port,
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolveClose());
      }),
  };
}
