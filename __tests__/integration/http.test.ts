import { gzipSync } from 'node:zlib';
import { afterEach, expect, test } from '@jest/globals';
import { HttpError, httpRequest, httpRequestWithRetry } from '../../src/lib/http.js';
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
