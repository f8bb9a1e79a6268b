import { once } from 'node:events';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import { LatencyHistogram, type LoadReport, startLoad } from '../../src/lib/load/index.js';
import { percentile } from '../../src/lib/stats.js';
import { type StartedServer, sleep, startServer } from '../helpers/servers.js';
import { selfSignedCert } from '../helpers/tls.js';

// The built-in load generator (issue 13's observe mode) against real servers on 127.0.0.1. Counts, not
// wall-clock times, are asserted; every run is bounded by its own duration, and each test checks that the
// generator closed its connections.

const servers: StartedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(handler: Parameters<typeof startServer>[0]): Promise<StartedServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const okServer = () =>
  server((_req, res) => {
    res.end('ok');
  });

/** Waits (up to 2 s) for the server to see every connection closed; fails with the count otherwise. */
async function expectNoOpenConnections(s: StartedServer): Promise<void> {
  for (let i = 0; i < 100 && s.openConnections() > 0; i++) await sleep(20);
  expect(s.openConnections()).toBe(0);
}

const sum = (report: LoadReport, pick: (i: LoadReport['intervals'][number]) => number): number =>
  report.intervals.reduce((t, i) => t + pick(i), 0);

describe('startLoad: users, think time and duration', () => {
  test('10 users with 200 ms think time for 1 s send about 50 requests, all answered', async () => {
    const s = await okServer();
    const report = await startLoad({ url: s.url, users: 10, thinkTimeMs: 200, durationMs: 1000 }).done;
    // Each user: a request at 0, 200, 400, 600 and 800 ms (plus latency): 5 each.
    expect(report.requests).toBeGreaterThanOrEqual(30);
    expect(report.requests).toBeLessThanOrEqual(60);
    expect(report.ok).toBe(report.requests);
    expect(report.errors).toBe(0);
    expect(report.statuses).toEqual({ '200': report.requests });
    expect(report.stoppedBy).toBe('duration');
    expect(report.bytes).toBe(2 * report.requests);
    // Every answered request reached the server; one cancelled at the end may not have.
    expect(s.requests.length).toBeGreaterThanOrEqual(report.requests);
    expect(s.requests.length).toBeLessThanOrEqual(report.requests + report.cancelled);
    expect(s.requests[0]!.headers['user-agent']).toBe('slotline-load-generator');
    expect(report.latency.count).toBe(report.requests);
    expect(report.latency.p50Ms).not.toBeNull();
    expect(report.latency.p50Ms!).toBeLessThanOrEqual(report.latency.p95Ms!);
    expect(report.latency.p95Ms!).toBeLessThanOrEqual(report.latency.p99Ms!);
    expect(report.latency.p99Ms!).toBeLessThanOrEqual(report.latency.maxMs!);
    await expectNoOpenConnections(s);
  });

  test('think time paces the users: 4 users with 1 s think time in 500 ms send one request each', async () => {
    const s = await okServer();
    const report = await startLoad({ url: s.url, users: 4, thinkTimeMs: 1000, durationMs: 500 }).done;
    expect(report.requests).toBe(4);
    expect(report.users).toBe(4);
    await expectNoOpenConnections(s);
  });

  test('ramp-up starts the users one after the other, and the intervals show it', async () => {
    const s = await okServer();
    const report = await startLoad({
      url: s.url,
      users: 5,
      thinkTimeMs: 5000,
      rampUpMs: 400,
      durationMs: 550,
      intervalMs: 100,
    }).done;
    // One request per user (think time 5 s), users starting at 0, 80, 160, 240 and 320 ms.
    expect(report.requests).toBe(5);
    const users = report.intervals.map((i) => i.users);
    expect(users[0]).toBeLessThan(5);
    expect(users.at(-1)).toBe(5);
    expect([...users].sort((a, b) => a - b)).toEqual(users);
    await expectNoOpenConnections(s);
  });

  test('paths and headers: each user cycles through the paths, with the headers given', async () => {
    const s = await okServer();
    const report = await startLoad({
      url: `${s.url}/base/`,
      paths: ['a', '/b?x=1'],
      headers: { 'X-Test': 'yes', 'User-Agent': 'mine' },
      users: 1,
      thinkTimeMs: 0,
      durationMs: 5000,
      maxRequests: 4,
    }).done;
    expect(report.requests).toBe(4);
    expect(s.requests.map((r) => r.url)).toEqual(['/base/a', '/b?x=1', '/base/a', '/b?x=1']);
    expect(s.requests.every((r) => r.headers['x-test'] === 'yes' && r.headers['user-agent'] === 'mine')).toBe(
      true,
    );
    await expectNoOpenConnections(s);
  });
});

describe('startLoad: errors by kind', () => {
  test('a server answering 500 (and 404 on one path): every request is an error, by status', async () => {
    const s = await server((req, res) => {
      res.statusCode = req.url === '/missing' ? 404 : 500;
      res.end('no');
    });
    const report = await startLoad({
      url: s.url,
      paths: ['/', '/missing'],
      users: 2,
      thinkTimeMs: 10,
      durationMs: 300,
    }).done;
    expect(report.requests).toBeGreaterThan(4);
    expect(report.ok).toBe(0);
    expect(report.errors).toBe(report.requests);
    expect(report.errorsByKind['status 500']! + report.errorsByKind['status 404']!).toBe(report.requests);
    expect(report.errorsByKind['status 500']).toBeGreaterThan(0);
    expect(report.errorsByKind['status 404']).toBeGreaterThan(0);
    // A response is a response: its latency counts, whatever its status.
    expect(report.latency.count).toBe(report.requests);
    await expectNoOpenConnections(s);
  });

  test('a refused port: ECONNREFUSED', async () => {
    const probe: Server = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));
    const report = await startLoad({
      url: `http://127.0.0.1:${port}/`,
      users: 2,
      thinkTimeMs: 50,
      durationMs: 300,
    }).done;
    expect(report.requests).toBeGreaterThan(2);
    expect(report.errorsByKind).toEqual({ ECONNREFUSED: report.requests });
    expect(report.latency.count).toBe(0);
    expect(report.latency.p95Ms).toBeNull();
  });

  test('a server that never answers: timeout after timeoutMs, then the connections are closed', async () => {
    const s = await server(() => {});
    const report = await startLoad({
      url: s.url,
      users: 3,
      thinkTimeMs: 0,
      timeoutMs: 100,
      durationMs: 450,
    }).done;
    // Each user: timeouts at about 100, 200, 300 and 400 ms, then one request cancelled at the end.
    expect(report.errorsByKind).toEqual({ timeout: report.requests });
    expect(report.requests).toBeGreaterThanOrEqual(6);
    expect(report.requests).toBeLessThanOrEqual(15);
    expect(report.cancelled).toBeLessThanOrEqual(3);
    // A request can time out before the server has read it (a slow connect on a busy machine).
    expect(s.requests.length).toBeGreaterThan(0);
    expect(s.requests.length).toBeLessThanOrEqual(report.requests + report.cancelled);
    await expectNoOpenConnections(s);
  });

  test('a server that closes the connection without answering: connection closed, not a timeout', async () => {
    const s = await server((req) => {
      req.socket.destroy();
    });
    const report = await startLoad({ url: s.url, users: 2, thinkTimeMs: 20, durationMs: 300 }).done;
    expect(report.requests).toBeGreaterThan(2);
    const kinds = Object.keys(report.errorsByKind);
    expect(kinds.length).toBeGreaterThan(0);
    expect(kinds.every((k) => k === 'connection closed' || k === 'ECONNRESET')).toBe(true);
    expect(report.errors).toBe(report.requests);
  });
});

describe('startLoad: per-interval figures', () => {
  test('intervals tile the run and add up to the totals', async () => {
    const s = await server((req, res) => {
      res.statusCode = s.requests.length % 3 === 0 ? 503 : 200;
      res.end('x');
      void req;
    });
    const report = await startLoad({
      url: s.url,
      users: 4,
      thinkTimeMs: 20,
      durationMs: 500,
      intervalMs: 100,
    }).done;
    expect(report.intervals.length).toBeGreaterThanOrEqual(5);
    expect(report.intervals.length).toBeLessThanOrEqual(6);
    report.intervals.forEach((interval, index) => {
      expect(interval.startMs).toBe(index * 100);
      const l = interval.latency;
      expect(l.count).toBe(interval.requests);
      if (l.count > 0) {
        expect(l.p50Ms!).toBeLessThanOrEqual(l.p95Ms!);
        expect(l.p95Ms!).toBeLessThanOrEqual(l.p99Ms!);
        expect(l.p99Ms!).toBeLessThanOrEqual(l.maxMs!);
      }
      // Every interval but a last partial one is whole.
      if (index < 5) {
        expect(interval.durationMs).toBe(100);
        expect(interval.requestsPerSecond).toBe(interval.requests * 10);
      }
    });
    expect(sum(report, (i) => i.requests)).toBe(report.requests);
    expect(sum(report, (i) => i.errors)).toBe(report.errors);
    expect(sum(report, (i) => i.errorsByKind['status 503'] ?? 0)).toBe(report.errorsByKind['status 503']);
    expect(report.errors).toBeGreaterThan(0);
    expect(report.ok).toBeGreaterThan(0);
    expect(report.intervals.filter((i) => i.requests > 0).length).toBeGreaterThanOrEqual(4);
    await expectNoOpenConnections(s);
  });

  test('a request counts in the interval it completed in: errors that start late show up late', async () => {
    // One user, one request at a time: the first 6 answers are 200, every later one 500.
    const s = await server((_req, res) => {
      res.statusCode = s.requests.length <= 6 ? 200 : 500;
      res.end();
    });
    const report = await startLoad({
      url: s.url,
      users: 1,
      thinkTimeMs: 30,
      durationMs: 600,
      intervalMs: 100,
    }).done;
    expect(report.ok).toBe(6);
    expect(report.errors).toBe(report.requests - 6);
    expect(report.errors).toBeGreaterThan(0);
    // No interval with a success after the first interval with an error.
    const firstError = report.intervals.findIndex((i) => i.errors > 0);
    const lastOk = report.intervals.findLastIndex((i) => i.requests > i.errors);
    expect(lastOk).toBeLessThanOrEqual(firstError);
    expect(report.intervals[0]!.errors).toBe(0);
  });

  test('progress() shows the run while it goes', async () => {
    const s = await okServer();
    const run = startLoad({ url: s.url, users: 2, thinkTimeMs: 10, durationMs: 5000, intervalMs: 50 });
    while (run.progress().intervals.length < 2) await sleep(20);
    const progress = run.progress();
    expect(progress.users).toBe(2);
    expect(progress.requests).toBeGreaterThan(0);
    expect(progress.sent).toBeGreaterThanOrEqual(progress.requests);
    const report = await run.stop();
    expect(report.intervals.slice(0, 2)).toEqual(progress.intervals.slice(0, 2));
    await expectNoOpenConnections(s);
  });
});

describe('startLoad: bounded in time and count', () => {
  test('stop() ends a 30 s run at once, aborting the requests in flight, and closes its connections', async () => {
    let answered = 0;
    const s = await server((_req, res) => {
      // Every fourth request hangs: some are in flight when stop() comes.
      if (++answered % 4 !== 0) res.end('ok');
    });
    const run = startLoad({ url: s.url, users: 5, thinkTimeMs: 10, durationMs: 30_000, timeoutMs: 20_000 });
    while (run.progress().requests < 10) await sleep(10);
    const report = await run.stop();
    expect(report.stoppedBy).toBe('stop');
    expect(report.durationMs).toBeLessThan(10_000);
    expect(report.cancelled).toBeGreaterThan(0);
    expect(report.errors).toBe(0);
    expect(await run.done).toBe(report);
    const sent = s.requests.length;
    await sleep(50);
    expect(s.requests.length).toBe(sent);
    await expectNoOpenConnections(s);
  }, 10_000);

  test('an abort signal ends it too', async () => {
    const s = await okServer();
    const controller = new AbortController();
    const run = startLoad({
      url: s.url,
      users: 2,
      thinkTimeMs: 0,
      durationMs: 30_000,
      signal: controller.signal,
    });
    while (run.progress().requests < 5) await sleep(10);
    controller.abort();
    const report = await run.done;
    expect(report.stoppedBy).toBe('signal');
    await expectNoOpenConnections(s);
  }, 10_000);

  test('the request cap: exactly maxRequests requests, then it ends by itself', async () => {
    const s = await okServer();
    const report = await startLoad({
      url: s.url,
      users: 3,
      thinkTimeMs: 0,
      durationMs: 30_000,
      maxRequests: 7,
    }).done;
    expect(report.stoppedBy).toBe('max-requests');
    expect(report.requests).toBe(7);
    expect(report.cancelled).toBe(0);
    expect(s.requests).toHaveLength(7);
    await expectNoOpenConnections(s);
  }, 10_000);

  test('the cap with think time: the last request ends the run without waiting out the others', async () => {
    const s = await okServer();
    const report = await startLoad({
      url: s.url,
      users: 2,
      thinkTimeMs: 20_000,
      durationMs: 60_000,
      maxRequests: 2,
    }).done;
    expect(report.stoppedBy).toBe('max-requests');
    expect(report.requests).toBe(2);
    expect(report.durationMs).toBeLessThan(10_000);
  }, 10_000);

  test('an injected clock drives the duration and the think time', async () => {
    const s = await okServer();
    // Virtual time: timers fire when the test advances the clock, not before.
    let now = 1_000_000;
    const timers = new Map<number, { at: number; fn: () => void }>();
    let nextId = 1;
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => {
        const id = nextId++;
        timers.set(id, { at: now + ms, fn });
        return id;
      },
      clearTimeout: (id: unknown) => void timers.delete(id as number),
    };
    const advance = (ms: number): void => {
      now += ms;
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at))
        if (t.at <= now && timers.delete(id)) t.fn();
    };
    const run = startLoad({ url: s.url, users: 2, thinkTimeMs: 1000, durationMs: 3500, clock });
    // Two users, think time 1 s in virtual time: 2 requests at t=0, then 2 more for each second.
    for (let second = 0; second < 3; second++) {
      while (run.progress().requests < 2 * (second + 1)) await sleep(5);
      expect(run.progress().requests).toBe(2 * (second + 1));
      advance(1000);
    }
    while (run.progress().requests < 8) await sleep(5);
    advance(500);
    const report = await run.done;
    expect(report.stoppedBy).toBe('duration');
    expect(report.requests).toBe(8);
    expect(report.durationMs).toBe(3500);
    expect(report.intervals.map((i) => i.requests)).toEqual([2, 2, 2, 2]);
    expect(report.intervals.map((i) => i.durationMs)).toEqual([1000, 1000, 1000, 500]);
    expect(timers.size).toBe(0);
    await expectNoOpenConnections(s);
  }, 10_000);
});

describe('startLoad: TLS', () => {
  test('an https target with its CA given: trusted, answered; without it: a certificate error', async () => {
    const { key, cert } = selfSignedCert();
    const https = createHttpsServer({ key, cert }, (_req, res) => res.end('ok'));
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    const url = `https://127.0.0.1:${(https.address() as { port: number }).port}/`;
    try {
      const trusted = await startLoad({
        url,
        ca: cert,
        users: 1,
        thinkTimeMs: 0,
        durationMs: 5000,
        maxRequests: 3,
      }).done;
      expect(trusted.ok).toBe(3);
      const untrusted = await startLoad({ url, users: 1, thinkTimeMs: 0, durationMs: 5000, maxRequests: 1 })
        .done;
      expect(untrusted.ok).toBe(0);
      expect(Object.keys(untrusted.errorsByKind)).toEqual(['DEPTH_ZERO_SELF_SIGNED_CERT']);
    } finally {
      https.closeAllConnections();
      await new Promise((resolve) => https.close(resolve));
    }
  });
});

describe('startLoad: options', () => {
  test.each([
    [{ users: 0 }, /users must be a whole number from 1 to 100000/],
    [{ users: 100_001 }, /users/],
    [{ users: 1.5 }, /users/],
    [{ durationMs: 0 }, /durationMs/],
    [{ thinkTimeMs: -1 }, /thinkTimeMs/],
    [{ maxRequests: 0 }, /maxRequests/],
    [{ url: 'ftp://127.0.0.1/' }, /http or https/],
    [{ url: 'not a url' }, /url is not a URL/],
    [{ paths: ['https://elsewhere.example/'] }, /is not on http:\/\/127\.0\.0\.1:1/],
  ])('%j is refused before any request', (bad, message) => {
    expect(() => startLoad({ url: 'http://127.0.0.1:1/', durationMs: 1000, ...bad })).toThrow(message);
  });
});

describe('LatencyHistogram', () => {
  test('quantiles within 1% of the exact ones, max exact, over five decades', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values = Array.from({ length: 20_000 }, () => 0.01 * 10 ** (5 * random()));
    const h = new LatencyHistogram();
    for (const v of values) h.record(v);
    for (const p of [0.5, 0.9, 0.95, 0.99, 0.999]) {
      const exact = percentile(values, p)!;
      expect(Math.abs(h.quantile(p)! - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.summary().maxMs).toBeCloseTo(Math.max(...values), 3);
    expect(h.count).toBe(values.length);
  });

  test('small values are exact to the microsecond; empty gives nulls', () => {
    const h = new LatencyHistogram();
    expect(h.summary()).toEqual({
      count: 0,
      p50Ms: null,
      p95Ms: null,
      p99Ms: null,
      maxMs: null,
      meanMs: null,
    });
    for (const v of [0.1, 0.2, 0.2, 0.25]) h.record(v);
    expect(h.quantile(0.5)).toBeCloseTo(0.2, 6);
    expect(h.quantile(1)).toBeCloseTo(0.25, 6);
    h.reset();
    expect(h.count).toBe(0);
  });
});
