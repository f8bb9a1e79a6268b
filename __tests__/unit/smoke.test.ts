import { describe, expect, test } from '@jest/globals';
import { HttpError, type HttpRequest, type HttpResponse } from '../../src/lib/http.js';
import { normalizeChecks } from '../../src/smoke-test/checks.js';
import { failureMessage, resultsOutput, summaryMarkdown } from '../../src/smoke-test/report.js';
import { checkUrl, responseFailures, runSmokeTests } from '../../src/smoke-test/smoke.js';
import { fakeClock } from '../helpers/clock.js';

test.each([
  ['https://app.test', '/', 'https://app.test/'],
  ['https://app.test/', '/healthz', 'https://app.test/healthz'],
  ['https://app.test/prefix/', '/healthz', 'https://app.test/prefix/healthz'],
  ['https://app.test/prefix', '/a?b=1&c=2', 'https://app.test/prefix/a?b=1&c=2'],
  ['https://app.test/?token=x', '/a', 'https://app.test/a'],
])('checkUrl(%p, %p) = %p', (base, path, expected) => expect(checkUrl(new URL(base), path)).toBe(expected));

describe('responseFailures', () => {
  const [check] = normalizeChecks([
    {
      path: '/',
      'expect-status': [200],
      'expect-body': 'ready',
      'expect-body-regex': 'v\\d',
      'expect-json': { ok: true },
      'max-latency': '100ms',
    },
  ]);
  const res = (status: number, body: string, latencyMs = 10) => ({
    status,
    body: Buffer.from(body),
    latencyMs,
  });
  test('all expectations met', () =>
    expect(responseFailures(check!, res(200, '{"ok":true,"v":"ready v2"}'))).toEqual([]));
  test('every miss is named', () => {
    expect(responseFailures(check!, res(503, 'oops', 250))).toEqual([
      'status 503, expected 200',
      'body does not contain "ready"',
      'body does not match /v\\d/',
      'body is not JSON',
      'latency 250 ms exceeds max-latency 100 ms',
    ]);
  });
});

function response(
  req: HttpRequest,
  status: number,
  body = '',
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    url: String(req.url),
    status,
    headers,
    rawBody: Buffer.from(body),
    body: Buffer.from(body),
    latencyMs: 12,
  };
}

describe('runSmokeTests with an injected transport', () => {
  const base = {
    url: new URL('https://app.test'),
    headers: { authorization: 'Bearer t' },
    pageLoadBudgetMs: 2000,
    concurrency: 2,
  };

  test('a warming app passes after retries; attempts are counted', async () => {
    let calls = 0;
    const report = await runSmokeTests(
      { ...base, checks: normalizeChecks([{ path: '/' }]), waitTimeoutMs: 60_000 },
      { send: async (req) => response(req, ++calls < 3 ? 503 : 200), clock: fakeClock(), random: () => 0 },
    );
    expect(report).toEqual(expect.objectContaining({ passed: true, failed: 0, p95LatencyMs: 12 }));
    expect(report.results[0]).toEqual(expect.objectContaining({ attempts: 3, status: 200, passed: true }));
  });

  test('a broken app fails at the deadline with the last reason', async () => {
    const report = await runSmokeTests(
      {
        ...base,
        checks: normalizeChecks([
          { name: 'home', path: '/' },
          { name: 'down', path: '/x' },
        ]),
        waitTimeoutMs: 5_000,
      },
      {
        send: async (req) => {
          if (String(req.url).endsWith('/x'))
            throw new HttpError('ECONNREFUSED: connect failed', String(req.url), 1);
          return response(req, 200);
        },
        clock: fakeClock(),
        random: () => 0,
      },
    );
    expect(report.passed).toBe(false);
    expect(report.failed).toBe(1);
    const down = report.results.find((r) => r.name === 'down')!;
    expect(down.reason).toBe('ECONNREFUSED: connect failed');
    expect(down.attempts).toBeGreaterThan(1);
    expect(failureMessage(report)).toMatch(
      /^1 of 2 smoke checks failed: "down" \(ECONNREFUSED: connect failed, \d+ attempts\)$/,
    );
    const results = resultsOutput(report) as Record<string, { passed: boolean; attempts: number }>;
    expect(results['home']?.passed).toBe(true);
    expect(results['down']?.passed).toBe(false);
    const summary = summaryMarkdown(report, 'https://app.test/');
    expect(summary).toContain('## Smoke test: failed');
    expect(summary).toContain('```mermaid\nxychart-beta');
    expect(summary).toMatch(/\| ❌ \| down \| GET \/x \|/);
  });

  test('global headers go with every request; check headers override them', async () => {
    const seen: Record<string, string>[] = [];
    await runSmokeTests(
      {
        ...base,
        checks: normalizeChecks([{ path: '/', headers: { authorization: 'Bearer other' } }, { path: '/b' }]),
        waitTimeoutMs: 0,
      },
      {
        send: async (req) => {
          seen.push(req.headers ?? {});
          return response(req, 200);
        },
        clock: fakeClock(),
      },
    );
    expect(seen.map((h) => h['authorization']).sort()).toEqual(['Bearer other', 'Bearer t']);
  });

  test('a page check fetches same-origin assets and judges them', async () => {
    const pages: Record<string, [number, string, Record<string, string>]> = {
      'https://app.test/': [
        200,
        '<link rel=stylesheet href="/a.css"><script src="/gone.js"></script>',
        { 'content-type': 'text/html' },
      ],
      'https://app.test/a.css': [
        200,
        'body{}',
        { 'content-type': 'text/css', 'cache-control': 'max-age=60' },
      ],
      'https://app.test/gone.js': [404, 'nope', { 'content-type': 'text/plain' }],
    };
    const report = await runSmokeTests(
      { ...base, checks: normalizeChecks([{ path: '/', page: true }]), waitTimeoutMs: 0 },
      { send: async (req) => response(req, ...pages[String(req.url)]!), clock: fakeClock() },
    );
    const page = report.results[0]!.page!;
    expect(page.assets.map((a) => a.url)).toEqual([
      'https://app.test/',
      'https://app.test/a.css',
      'https://app.test/gone.js',
    ]);
    expect(page.uncompressedText).toEqual([
      'https://app.test/',
      'https://app.test/a.css',
      'https://app.test/gone.js',
    ]);
    expect(page.shortCache).toEqual(['https://app.test/a.css']);
    expect(report.results[0]!.reason).toBe('assets failed: https://app.test/gone.js (404)');
  });
});
