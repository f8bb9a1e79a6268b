import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import {
  chooseSlot,
  InFlight,
  type Instance,
  type Listener,
  listenFor,
  type Routing,
  type ServedRequest,
  type SlotTarget,
} from '../../sandbox/dataplane/front-door.js';
import { startLoad } from '../../sandbox/dataplane/load.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { selfSignedCert } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';

const tls = selfSignedCert();
const SITE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web';

/** An "instance": a real HTTP server answering its name and version. */
async function app(name: string, version: string): Promise<TestServer> {
  return startServer(
    (_req, res) => void res.writeHead(200, { 'x-instance': name, 'content-type': 'text/plain' }).end(version),
  );
}
const port = (s: TestServer) => Number(new URL(s.url).port);
const inst = (id: string, s: TestServer, healthy = true): Instance => ({ id, port: port(s), healthy });

const servers: TestServer[] = [];
const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

let v1a: TestServer;
let v1b: TestServer;
let v2a: TestServer;
beforeAll(async () => {
  v1a = await app('v1a', 'v1');
  v1b = await app('v1b', 'v1');
  v2a = await app('v2a', 'v2');
  servers.push(v1a, v1b, v2a);
});

function routing(prod: Instance[], staging: Instance[], rampUp: Routing['rampUp'] = []): Routing {
  const staged: SlotTarget = { resourceId: `${SITE}/slots/staging`, slot: 'staging', instances: staging };
  return {
    production: { resourceId: SITE, slot: 'production', instances: prod },
    slots: new Map([['staging', staged]]),
    rampUp,
  };
}

describe('chooseSlot', () => {
  const r = routing([], [], [{ slot: 'staging', percentage: 20 }]);
  test.each([
    [undefined, undefined, 0.1, 'staging', 'staging'],
    [undefined, undefined, 0.2, 'production', 'self'],
    [undefined, undefined, 0.9, 'production', 'self'],
    ['staging', undefined, 0.9, 'staging', 'staging'],
    ['self', undefined, 0.1, 'production', 'self'],
    [undefined, 'staging', 0.9, 'staging', undefined],
    [undefined, 'self', 0.1, 'production', undefined],
    ['nope', undefined, 0.9, 'production', 'self'],
  ])('query %p cookie %p draw %p → %s (pin %p)', (query, cookie, draw, slot, pin) => {
    const choice = chooseSlot(r, query, cookie, () => draw);
    expect([choice.target.slot, choice.pin]).toEqual([slot, pin]);
  });
  test('no ramp-up: production, no cookie', () => {
    expect(chooseSlot(routing([], []), undefined, undefined, () => 0)).toEqual({
      target: expect.objectContaining({ slot: 'production' }),
    });
  });
});

test('balances over healthy instances and records every request', async () => {
  const served: ServedRequest[] = [];
  let current = routing([inst('a', v1a), inst('b', v1b), inst('c', v2a, false)], []);
  const l = await listenFor({ production: true }, () => current, { tls, onRequest: (s) => served.push(s) });
  listeners.push(l);
  const report = await startLoad({
    url: `https://${l.host}/`,
    concurrency: 4,
    maxDurationMs: 10_000,
    maxRequests: 200,
    ca: tls.cert,
  }).done;
  expect(report.failed).toBe(0);
  expect(Object.keys(report.instances).sort()).toEqual(['v1a', 'v1b']);
  expect(Math.abs(report.instances['v1a']! - report.instances['v1b']!)).toBeLessThanOrEqual(4);
  expect(served.length).toBe(report.total);
  expect(served.every((s) => s.resourceId === SITE && s.status === 200 && s.bytesSent === 2)).toBe(true);
  current = routing([inst('c', v2a)], []);
  const after = await startLoad({
    url: `https://${l.host}/`,
    concurrency: 2,
    maxDurationMs: 5_000,
    maxRequests: 20,
    ca: tls.cert,
  }).done;
  expect(after.bodies).toEqual({ v2: 20 });
});

test('ramp-up sends its percentage of production traffic to the slot', async () => {
  const l = await listenFor(
    { production: true },
    () => routing([inst('a', v1a)], [inst('s', v2a)], [{ slot: 'staging', percentage: 20 }]),
    { tls },
  );
  listeners.push(l);
  const report = await startLoad({
    url: `https://${l.host}/`,
    concurrency: 8,
    maxDurationMs: 20_000,
    maxRequests: 2_000,
    ca: tls.cert,
  }).done;
  const share = (report.bodies['v2'] ?? 0) / report.total;
  expect(report.failed).toBe(0);
  // 2000 draws at p = 0.2: the standard deviation is about 0.9 percentage points; 4 points is over 4 sigma.
  expect(Math.abs(share - 0.2)).toBeLessThan(0.04);
});

test('switching the routing under load fails no request', async () => {
  let current = routing([inst('a', v1a), inst('b', v1b)], [inst('s', v2a)]);
  const l = await listenFor({ production: true }, () => current, { tls });
  listeners.push(l);
  const load = startLoad({ url: `https://${l.host}/`, concurrency: 50, maxDurationMs: 20_000, ca: tls.cert });
  await waitFor(() => (load.progress().bodies['v1'] ?? 0) >= 50, {
    timeoutMs: 10_000,
    what: '50 answers from v1',
  });
  const before = current;
  current = {
    ...before,
    production: { ...before.production, instances: before.slots.get('staging')!.instances },
    slots: new Map([
      ['staging', { ...before.slots.get('staging')!, instances: before.production.instances }],
    ]),
  };
  await waitFor(() => (load.progress().bodies['v2'] ?? 0) >= 50, {
    timeoutMs: 10_000,
    what: '50 answers from v2',
  });
  const report = await load.stop();
  expect(report.failed).toBe(0);
  expect(report.bodies['v1']).toBeGreaterThan(0);
  expect(report.bodies['v2']).toBeGreaterThan(0);
});

test('an instance that dies is routed around: refused connections go to another instance', async () => {
  const doomed = await app('doomed', 'v1');
  const l = await listenFor({ production: true }, () => routing([inst('a', v1a), inst('d', doomed)], []), {
    tls,
  });
  listeners.push(l);
  const load = startLoad({ url: `https://${l.host}/`, concurrency: 20, maxDurationMs: 20_000, ca: tls.cert });
  await waitFor(() => load.progress().total >= 20, { timeoutMs: 10_000, what: 'the load to be under way' });
  await doomed.close();
  const atClose = load.progress().total;
  await waitFor(() => load.progress().total >= atClose + 100, {
    timeoutMs: 10_000,
    what: '100 requests after the instance died',
  });
  const report = await load.stop();
  expect(report.total).toBeGreaterThan(100);
  expect(report.failed).toBe(0);
});

/**
 * One request on an instance that accepts and never answers (what a request meets when the container
 * behind it is gone), behind a listener routed by `route(silent)`; resolves once the request is in flight.
 */
async function requestOnSilentInstance(route: (silent: Instance) => () => Routing) {
  const server = await startServer(() => {});
  servers.push(server);
  const inFlight = new InFlight();
  const l = await listenFor({ production: true }, route(inst('silent', server)), { tls, inFlight });
  listeners.push(l);
  const load = startLoad({
    url: `https://${l.host}/`,
    concurrency: 1,
    maxRequests: 1,
    maxDurationMs: 20_000,
    ca: tls.cert,
  });
  await waitFor(() => inFlight.count('silent') === 1, {
    timeoutMs: 5_000,
    what: 'the request on the silent instance',
  });
  return { inFlight, load };
}

// Without InFlight.gone, each request below waits for the load generator's 30 s timeout: past jest's.
test('a request an instance still serves when its container is removed is retried elsewhere, not left hanging', async () => {
  let current: Routing | undefined;
  const { inFlight, load } = await requestOnSilentInstance((silent) => {
    current = routing([silent], []);
    return () => current!;
  });
  // The fleet routes to a new instance, drains the old one until its deadline, removes it, and says so.
  current = routing([...current!.production.instances, inst('a', v1a)], []);
  inFlight.gone(['silent']);
  const report = await load.done;
  expect({ failed: report.failed, bodies: report.bodies }).toEqual({ failed: 0, bodies: { v1: 1 } });
  expect(inFlight.count('silent')).toBe(0);
});

test("without another instance, a removed instance's request is answered 502 at once", async () => {
  const { inFlight, load } = await requestOnSilentInstance((silent) => () => routing([silent], []));
  inFlight.gone(['silent']);
  const report = await load.done;
  expect(report.failures).toEqual({ 'status 502': 1 });
});

test('a slot listener serves only its slot; an unknown slot is 404', async () => {
  const l = await listenFor(
    { production: false, slot: 'staging' },
    () => routing([inst('a', v1a)], [inst('s', v2a)]),
    { tls },
  );
  const gone = await listenFor({ production: false, slot: 'qa' }, () => routing([inst('a', v1a)], []), {
    tls,
  });
  listeners.push(l, gone);
  expect(
    (
      await startLoad({
        url: `https://${l.host}/`,
        concurrency: 2,
        maxDurationMs: 5_000,
        maxRequests: 10,
        ca: tls.cert,
      }).done
    ).bodies,
  ).toEqual({ v2: 10 });
  expect(
    (
      await startLoad({
        url: `https://${gone.host}/`,
        concurrency: 1,
        maxDurationMs: 5_000,
        maxRequests: 1,
        ca: tls.cert,
      }).done
    ).bodies,
  ).toEqual({ 'slot not found': 1 });
});

test('a new instance on a port a removed one used gets fresh connections, not the removed one’s sockets', async () => {
  // The removed "container": it answers one request, then stops listening, and its open keep-alive
  // connection stays up but never answers again, as a stale podman port mapping behaves.
  const { createServer: createTcpServer } = await import('node:net');
  const { createServer: createHttpServer } = await import('node:http');
  const staleSockets: import('node:net').Socket[] = [];
  const stale = createTcpServer((socket) => {
    staleSockets.push(socket);
    let answered = false;
    socket.on('data', () => {
      if (answered) return;
      answered = true;
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: keep-alive\r\n\r\nold',
      );
      stale.close();
    });
  });
  await new Promise<void>((resolve) => stale.listen(0, '127.0.0.1', resolve));
  const reusedPort = (stale.address() as AddressInfo).port;
  let current = routing([{ id: 'old', port: reusedPort, healthy: true }], []);
  const l = await listenFor({ production: true }, () => current, { tls });
  listeners.push(l);
  const get = async () =>
    startLoad({
      url: `https://${l.host}/`,
      concurrency: 1,
      maxRequests: 1,
      maxDurationMs: 3_000,
      ca: tls.cert,
    }).done;
  try {
    expect((await get()).bodies).toEqual({ old: 1 });
    // The replacement listens on the same host port once the old one has stopped listening.
    const fresh = createHttpServer((_req, res) => void res.writeHead(200).end('new'));
    await new Promise<void>((resolve) => fresh.listen(reusedPort, '127.0.0.1', resolve));
    current = routing([{ id: 'new', port: reusedPort, healthy: true }], []);
    try {
      const after = await get();
      expect(after.failed).toBe(0);
      expect(after.bodies).toEqual({ new: 1 });
    } finally {
      fresh.closeAllConnections();
      await new Promise((resolve) => fresh.close(resolve));
    }
  } finally {
    for (const socket of staleSockets) socket.destroy();
  }
});
