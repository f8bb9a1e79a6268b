import { afterEach, expect, test } from '@jest/globals';
import { run } from '../../src/smoke-test/main.js';
import { brokenApp, htmlApp, slowApp, warmingApp } from '../helpers/apps.js';
import { runInProcess } from '../helpers/runner.js';
import type { TestServer } from '../helpers/servers.js';

// Real HTTP servers on 127.0.0.1, the real undici transport, real timers.
const servers: TestServer[] = [];
async function serve(server: Promise<TestServer>): Promise<TestServer> {
  servers.push(await server);
  return servers.at(-1)!;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

test('an app that warms up after 2 s passes within wait-timeout, after several attempts', async () => {
  const app = await serve(warmingApp(2_000));
  const step = await runInProcess(run, {
    url: app.url,
    'wait-timeout': '20s',
    checks: '- name: ready\n  path: /\n  expect-status: [200]\n  expect-json: { status: ready }',
  });
  expect(step.exitCode).toBe(0);
  const result = JSON.parse(step.outputs['results']!).ready;
  expect(result.attempts).toBeGreaterThan(1);
  expect(app.requests.length).toBe(result.attempts);
  expect(step.log).toMatch(
    /ready: attempt 1 failed \(status 503, expected 200; body is not JSON\); retrying in \d+ms/,
  );
});

test('an app that stays broken fails once wait-timeout runs out, not before', async () => {
  const app = await serve(brokenApp());
  const started = Date.now();
  const step = await runInProcess(run, { url: app.url, 'wait-timeout': '3s' });
  const elapsed = Date.now() - started;
  expect(step.exitCode).toBe(1);
  expect(elapsed).toBeGreaterThanOrEqual(3_000);
  expect(elapsed).toBeLessThan(15_000);
  expect(JSON.parse(step.outputs['results']!)['GET /']).toEqual(
    expect.objectContaining({ passed: false, status: 500, reason: 'status 500, expected 2xx' }),
  );
});

test('a slow app fails max-latency, naming the latency', async () => {
  const app = await serve(slowApp(400));
  const step = await runInProcess(run, {
    url: app.url,
    'wait-timeout': '0s',
    checks: '- name: slow\n  path: /\n  max-latency: 150ms',
  });
  expect(step.exitCode).toBe(1);
  expect(step.log).toMatch(
    /::error::smoke-test: 1 of 1 smoke check failed: "slow" \(latency \d{3,} ms exceeds max-latency 150 ms, 1 attempt\)/,
  );
  expect(JSON.parse(step.outputs['results']!).slow['latency-ms']).toBeGreaterThanOrEqual(400);
});

test('a page load fetches same-origin assets in parallel and reports compression and caching', async () => {
  const app = await serve(htmlApp());
  const step = await runInProcess(run, {
    url: app.url,
    checks: '- name: home\n  path: /\n  page: true\n  expect-body: Compliance portal',
  });
  expect(step.exitCode).toBe(0);
  const page = JSON.parse(step.outputs['results']!).home.page;
  expect(page.assets).toBe(4);
  expect(page['uncompressed-text']).toEqual([`${app.url}/static/plain.css`]);
  expect(page['short-cache']).toEqual([`${app.url}/static/plain.css`]);
  expect(page['load-ms']).toBeLessThan(page['budget-ms']);
  expect(app.requests.map((r) => r.url).sort()).toEqual([
    '/',
    '/static/app.3f2a9c.css',
    '/static/app.8b1d2e.js',
    '/static/logo.5e7f.png',
    '/static/plain.css',
  ]);
  expect(app.requests.every((r) => r.headers['accept-encoding'] === 'gzip, br')).toBe(true);
  expect(step.log).toContain('::warning::home: text sent without gzip or br');
  expect(step.summary).toContain('#### Page load: home');
  expect(step.summary).toMatch(
    /\| script \| \/static\/app\.8b1d2e\.js \| 200 \| \d+ \| [\d.]+m?s \| yes \| yes \|/,
  );
});

test('assets are fetched in parallel: four 300 ms assets load in well under 4 × 300 ms', async () => {
  const app = await serve(htmlApp(300));
  const step = await runInProcess(run, {
    url: app.url,
    checks: '- name: home\n  path: /\n  page: true',
    'page-load-budget': '5s',
  });
  expect(step.exitCode).toBe(0);
  const loadMs = JSON.parse(step.outputs['results']!).home.page['load-ms'];
  expect(loadMs).toBeGreaterThanOrEqual(300);
  expect(loadMs).toBeLessThan(1_000);
});

test('a refused connection is a clear failure, not a crash', async () => {
  const app = await serve(brokenApp());
  const url = app.url;
  await app.close();
  servers.length = 0;
  const step = await runInProcess(run, { url, 'wait-timeout': '1s' });
  expect(step.exitCode).toBe(1);
  expect(step.log).toMatch(/::error::smoke-test: 1 of 1 smoke check failed: "GET \/" \(.*ECONNREFUSED/);
});
