import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, expect, test } from '@jest/globals';
import { CancelledError } from '../../src/lib/cancellation.js';
import {
  createHttpAgent,
  HttpError,
  httpRequest,
  httpRequestWithRetry,
  ResponseTooLargeHttpError,
} from '../../src/lib/http.js';
import { fakeClock } from '../helpers/clock.js';
import { sleep, startServer, type TestServer } from '../helpers/servers.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

test('429 and 503 are retried, honouring Retry-After, until a success', async () => {
  let calls = 0;
  const server = await startServer((_req, res) => {
    calls++;
    if (calls === 1) res.writeHead(429, { 'retry-after': '7' }).end();
    else if (calls === 2) res.writeHead(503).end();
    else res.writeHead(200).end('ok');
  });
  servers.push(server);
  const clock = fakeClock(Date.now());
  const res = await httpRequestWithRetry(
    { url: server.url },
    { clock, retries: 3, random: () => 0, policy: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 } },
  );
  expect(res.status).toBe(200);
  expect(res.body.toString()).toBe('ok');
  expect(clock.slept).toEqual([7_000, 200]);
});

test('retries stop after the limit and return the last response', async () => {
  const server = await startServer((_req, res) => void res.writeHead(500).end('no'));
  servers.push(server);
  const clock = fakeClock();
  const res = await httpRequestWithRetry({ url: server.url }, { clock, retries: 2, random: () => 0 });
  expect(res.status).toBe(500);
  expect(server.requests).toHaveLength(3);
  expect(clock.slept).toHaveLength(2);
});

test('a 404 is an answer, not a reason to retry', async () => {
  const server = await startServer((_req, res) => void res.writeHead(404).end());
  servers.push(server);
  const res = await httpRequestWithRetry({ url: server.url }, { clock: fakeClock() });
  expect(res.status).toBe(404);
  expect(server.requests).toHaveLength(1);
});

test('a response slower than the timeout is an HttpError naming the timeout', async () => {
  const server = await startServer(async (_req, res) => {
    await sleep(1_000);
    res.writeHead(200).end();
  });
  servers.push(server);
  await expect(httpRequest({ url: server.url }, { timeoutMs: 200 })).rejects.toThrow(
    new HttpError('no complete response within 200 ms', server.url, 0),
  );
});

test('compressed bodies are decoded; the raw size is kept', async () => {
  const text = 'compress me '.repeat(100);
  const server = await startServer(
    (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(text)),
  );
  servers.push(server);
  const res = await httpRequest({ url: server.url });
  expect(res.body.toString()).toBe(text);
  expect(res.rawBody.length).toBeLessThan(text.length);
});

/** Accepts TCP connections and never answers: a TLS handshake with it never completes. */
async function stallServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createNetServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const elapsed = async (work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> => {
  const started = performance.now();
  try {
    await work();
    return { error: undefined, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { error, ms: Math.round(performance.now() - started) };
  }
};

// undici's connect timeout (10 s), not the request's signal, used to end a stalled handshake.
test.each([
  ['its own connection', () => undefined],
  ['a shared pool (createHttpAgent)', () => createHttpAgent(2)],
])(
  'a stalled TLS handshake ends at the request timeout, with %s',
  async (_name, makeAgent) => {
    const stall = await stallServer();
    servers.push({ url: stall.url, requests: [], close: stall.close });
    const agent = await makeAgent();
    const { error, ms } = await elapsed(() =>
      httpRequest({ url: stall.url }, { timeoutMs: 500, ...(agent ? { dispatcher: agent } : {}) }),
    );
    await agent?.destroy();
    console.log(`http.ts stalled handshake (${_name}): failed after ${ms} ms`);
    expect(error).toEqual(new HttpError('no complete response within 500 ms', stall.url, 0));
  },
  5_000,
);

test('a body that stalls after the headers ends at the request timeout', async () => {
  const server = await startServer((_req, res) => {
    res.writeHead(200);
    res.write('part of it');
  });
  servers.push(server);
  const { error } = await elapsed(() => httpRequest({ url: server.url }, { timeoutMs: 300 }));
  expect(error).toEqual(new HttpError('no complete response within 300 ms', server.url, 0));
}, 5_000);

test("an abort rejects at once with the signal's reason (the cancellation)", async () => {
  const server = await startServer(() => {});
  servers.push(server);
  const controller = new AbortController();
  setTimeout(() => controller.abort(new CancelledError('SIGTERM')), 100);
  const { error, ms } = await elapsed(() =>
    httpRequest({ url: server.url }, { timeoutMs: 3_000, signal: controller.signal }),
  );
  console.log(`http.ts abort: rejected after ${ms} ms`);
  expect(error).toBeInstanceOf(CancelledError);
  expect((error as Error).message).toBe('cancelled by SIGTERM');
}, 5_000);

test('a body larger than the cap is refused, and not retried', async () => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = await startServer((_req, res) => {
    res.writeHead(200);
    for (let i = 0; i < 64; i++) res.write(chunk);
    res.end();
  });
  servers.push(server);
  const { error } = await elapsed(() =>
    httpRequestWithRetry({ url: server.url }, { maxBodyBytes: 1024 * 1024, clock: fakeClock() }),
  );
  expect(error).toBeInstanceOf(ResponseTooLargeHttpError);
  expect((error as Error).message).toBe('response body larger than 1048576 bytes');
  expect(server.requests).toHaveLength(1);
});

test('a gzip bomb is refused at the cap after decompression', async () => {
  const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  const server = await startServer(
    (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb),
  );
  servers.push(server);
  const { error } = await elapsed(() => httpRequest({ url: server.url }, { maxBodyBytes: 1024 * 1024 }));
  expect(bomb.length).toBeLessThan(1024 * 1024);
  expect(error).toBeInstanceOf(ResponseTooLargeHttpError);
  expect((error as Error).message).toBe('response body larger than 1048576 bytes after decompression');
});

test('Retry-After: 86400 is cut to 60 s', async () => {
  let calls = 0;
  const server = await startServer((_req, res) => {
    calls++;
    if (calls === 1) res.writeHead(503, { 'retry-after': '86400' }).end();
    else res.writeHead(200).end('ok');
  });
  servers.push(server);
  const clock = fakeClock(Date.now());
  const res = await httpRequestWithRetry({ url: server.url }, { clock });
  expect(res.status).toBe(200);
  expect(clock.slept).toEqual([60_000]);
});

test('a refused connection is told in words with its code', async () => {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const url = `http://127.0.0.1:${port}/`;
  const { error } = await elapsed(() => httpRequest({ url }));
  expect(error).toEqual(new HttpError('connection refused (ECONNREFUSED)', url, 0));
});
