import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { HttpRequest, HttpResponse } from '../../src/lib/http.js';
import { defaultDeps, run, type SmokeTestDeps } from '../../src/smoke-test/main.js';
import { brokenApp, echoApp } from '../helpers/apps.js';
import { fakeClock } from '../helpers/clock.js';
import { runInProcess, type StepResult } from '../helpers/runner.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { workflowCommands } from '../helpers/workflow-commands.js';

let healthy: TestServer;
let broken: TestServer;

beforeAll(async () => {
  healthy = await echoApp();
  broken = await brokenApp();
});
afterAll(async () => {
  await healthy.close();
  await broken.close();
});

/** A failed step prints exactly one error line, names the problem, and never a stack trace. */
function expectOneLineFailure(step: StepResult, ...fragments: string[]): void {
  expect(step.exitCode).toBe(1);
  const errors = step.log.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toHaveLength(1);
  for (const fragment of fragments) expect(errors[0]).toContain(fragment);
  expect(step.log).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
}

test('a healthy app passes: outputs, summary and exit 0 as the runner sees them', async () => {
  const step = await runInProcess(run, {
    url: healthy.url,
    checks: '- name: home\n  path: /\n  expect-json: { host: "' + healthy.url.slice(7) + '" }',
  });
  expect(step.exitCode).toBe(0);
  expect(step.outputs['passed']).toBe('true');
  expect(step.outputs['failed']).toBe('0');
  const results = JSON.parse(step.outputs['results']!) as Record<string, { 'latency-ms': unknown }>;
  expect(results).toEqual({
    home: expect.objectContaining({ passed: true, status: 200, attempts: 1, reason: null }),
  });
  // The check's own latency, a whole number of milliseconds, and with one check it is the p95. (Number('')
  // is 0, so a bare `Number(output) >= 0` passed with no latency at all.)
  expect(results['home']!['latency-ms']).toEqual(expect.any(Number));
  expect(step.outputs['p95-latency-ms']).toMatch(/^\d+$/);
  expect(step.outputs['p95-latency-ms']).toBe(String(results['home']!['latency-ms']));
  expect(step.summary).toContain('## Smoke test: passed');
  expect(step.summary).toContain('| ✅ | home | GET / | 200 |');
  expect(step.summary).toContain('```mermaid');
});

test('a 500 fails with exit 1 and a message naming the check', async () => {
  const step = await runInProcess(run, { url: broken.url, 'wait-timeout': '1s' });
  expectOneLineFailure(step, 'smoke-test: 1 of 1 smoke check failed: "GET /" (status 500, expected 2xx');
  expect(step.outputs['passed']).toBe('false');
  expect(step.outputs['failed']).toBe('1');
  expect(step.summary).toContain('## Smoke test: failed');
});

describe('bad input: one line naming the input, exit 1, nothing sent', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['url unset', {}, 'Input "url" is required and was not supplied.'],
    ['url relative', { url: '/health' }, 'Input "url" must be an absolute http or https URL, got "/health".'],
    ['url scheme', { url: 'ftp://x.test' }, 'Input "url" must be an absolute http or https URL'],
    ['checks not YAML', { checks: '- path: [' }, 'Input "checks" must be valid YAML'],
    ['checks not a list', { checks: 'path: /' }, 'Input "checks" must be a YAML list of checks'],
    [
      'checks bad status',
      { checks: '- path: /\n  expect-status: [abc]' },
      'Input "checks" must be a YAML list of checks',
    ],
    ['checks unknown key', { checks: '- path: /\n  retries: 3' }, '[0] has unknown key "retries"'],
    [
      'checks bad regex',
      { checks: '- path: /\n  expect-body-regex: "[a-"' },
      'Input "checks" item [0] expect-body-regex',
    ],
    [
      'checks bad max-latency',
      { checks: '- path: /\n  max-latency: quick' },
      'Input "checks" item [0] max-latency',
    ],
    [
      'wait-timeout',
      { 'wait-timeout': '2 minutes' },
      'Input "wait-timeout" must be a duration such as 30s, 5m, 1h30m or PT5M, got "2 minutes".',
    ],
    ['wait-timeout too long', { 'wait-timeout': '7h' }, 'Input "wait-timeout" must be a duration'],
    [
      'headers',
      { headers: 'Authorization Bearer x' },
      'Input "headers" must be lines of "Name: value"; line 1 is not (value hidden).',
    ],
    ['page-load-budget', { 'page-load-budget': 'fast' }, 'Input "page-load-budget" must be a duration'],
    ['page-load-budget zero', { 'page-load-budget': '0s' }, 'Input "page-load-budget" must be a duration'],
    // Bounded as wait-timeout is (the bad-input sweep found no upper bound).
    [
      'page-load-budget 7h',
      { 'page-load-budget': '7h' },
      'must be a duration such as 30s, 5m, 1h30m or PT5M, at most 21600s, got "7h".',
    ],
    [
      'page-load-budget huge',
      { 'page-load-budget': '99999999999999999999h' },
      'Input "page-load-budget" must be a duration such as 30s, 5m, 1h30m or PT5M, at most 21600s',
    ],
    [
      'concurrency zero',
      { concurrency: '0' },
      'Input "concurrency" must be a whole number from 1 to 64, got "0".',
    ],
    [
      'concurrency text',
      { concurrency: 'many' },
      'Input "concurrency" must be a whole number from 1 to 64, got "many".',
    ],
    // Control characters: a newline in a check name once printed forged `::error::` lines.
    [
      'check name with a newline',
      { checks: '- name: "ok\\n::error::forged"\n  path: /' },
      'Input "checks" item [0] name must not contain control characters (found U+000A).',
    ],
    [
      'check name with a bidi override',
      { checks: '- name: "invoice\\u202Egpj"\n  path: /' },
      'Input "checks" item [0] name must not contain control characters (found U+202E).',
    ],
    [
      'check path with a carriage return',
      { checks: '- path: "/a\\rb"' },
      'Input "checks" item [0] path must not contain control characters (found U+000D).',
    ],
    [
      'check header value with a control character',
      { checks: '- path: /\n  headers: { X-Key: "a\\u0000b" }' },
      'Input "checks" item [0] header "X-Key" has a control character in its value (U+0000; value hidden).',
    ],
    [
      'check header name that is not a token',
      { checks: '- path: /\n  headers: { "X Key\\n": v }' },
      'Input "checks" item [0] header name "X Key\\n" is not a valid HTTP header name.',
    ],
    [
      'headers value with a control character',
      { headers: 'Authorization: Bearer a\u001bb' },
      'Input "headers" line 1 (Authorization) has a control character in its value (U+001B; value hidden).',
    ],
    [
      'url with credentials and a wrong scheme: echoed redacted',
      { url: 'ftp://ci:pa55w0rd@files.example.test/?token=t0k3n' },
      'Input "url" must be an absolute http or https URL, got "ftp://***@files.example.test/?token=***".',
    ],
    [
      'url that does not parse: echoed redacted',
      { url: 'https//ci:pa55w0rd@files.example.test/?token=t0k3n' },
      'Input "url" must be an absolute http or https URL, got "https//***@files.example.test/?token=***".',
    ],
    [
      'url with a tab',
      { url: 'http://127.0.0.1:1/\tx' },
      'Input "url" must be a URL without control characters (found U+0009).',
    ],
  ];
  test.each(cases)('%s', async (_label, inputs, expected) => {
    const requestsBefore = healthy.requests.length;
    const step = await runInProcess(run, {
      url: healthy.url,
      ...inputs,
      ...(_label === 'url unset' ? { url: '' } : {}),
    });
    expectOneLineFailure(step, expected);
    expect(step.outputs).toEqual({});
    expect(healthy.requests.length).toBe(requestsBefore);
  });
});

test('header values are sent but never appear in logs, outputs or the summary', async () => {
  const secret = 'sk-live-7Hq2ZpX9vR4mN8wK';
  const checkSecret = 'chk-0d9f8e7c6b5a4321';
  const step = await runInProcess(run, {
    url: healthy.url,
    headers: `X-Api-Key: ${secret}\nX-Plain: visible`,
    checks: `- name: echo\n  path: /\n  headers: { X-Check-Key: ${checkSecret} }\n  expect-body: nothing-like-this`,
    'wait-timeout': '0s',
  });
  expect(step.exitCode).toBe(1);
  const echoed = healthy.requests.at(-1)!.headers;
  expect(echoed['x-api-key']).toBe(secret);
  expect(echoed['x-check-key']).toBe(checkSecret);
  expect(step.masked).toEqual(expect.arrayContaining([secret, checkSecret]));
  for (const text of [step.log, step.summary, JSON.stringify(step.outputs)]) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(checkSecret);
  }
});

test('a check name cannot issue workflow commands: ##[ and a leading :: are defused on every log line', async () => {
  const step = await runInProcess(run, {
    url: healthy.url,
    checks: '- name: "##[error]forged by a check name"\n  path: /\n- name: ":: two"\n  path: /a',
  });
  expect(step.exitCode).toBe(0);
  expect(workflowCommands(step.log).map((c) => c.name)).toEqual(['group', 'endgroup']);
  expect(step.log).toContain('PASS ##\\[error]forged by a check name: 200');
});

test('a server answer cannot issue workflow commands either', async () => {
  const forging = await startServer(
    (_req, res) =>
      void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: '##[error]forged by the server \u202e' })),
  );
  try {
    const step = await runInProcess(run, {
      url: forging.url,
      checks: '- name: api\n  path: /\n  expect-json: { status: ok }',
      'wait-timeout': '0s',
    });
    expect(step.exitCode).toBe(1);
    const commands = workflowCommands(step.log);
    expect(commands.map((c) => c.name)).toEqual(['group', 'endgroup', 'error']);
    expect(commands[2]!.data).toMatch(/^smoke-test: 1 of 1 smoke check failed: "api" \(JSON status is/);
    expect(step.log).not.toMatch(/[\u202e]/u);
  } finally {
    await forging.close();
  }
});

test('URL credentials, query values and fragments never reach the log, the summary or the outputs', async () => {
  const port = new URL(healthy.url).port;
  const step = await runInProcess(run, {
    url: `http://deployer:pa55w0rd-in-url@127.0.0.1:${port}/#frag-s3cret`,
    checks: '- name: with token\n  path: /health?token=q-s3cret-token&v=2\n  expect-body: never-there',
    'wait-timeout': '0s',
  });
  expect(step.exitCode).toBe(1);
  const shown = [step.log, step.summary, JSON.stringify(step.outputs)].join('\n');
  for (const secret of ['pa55w0rd-in-url', 'deployer', 'q-s3cret-token', 'frag-s3cret'])
    expect(shown).not.toContain(secret);
  expect(step.log).toContain(`Smoke testing http://***@127.0.0.1:${port}/#***`);
  expect(step.summary).toContain(`against http://***@127.0.0.1:${port}/#***`);
  expect(step.summary).toContain('| GET /health?token=***&v=*** |');
  expect(healthy.requests.at(-1)!.url).toBe('/health?token=q-s3cret-token&v=2');
});

test('run(env, deps): retries on an injected HTTP layer and clock, with no network and no real waiting', async () => {
  const statuses = [503, 503, 200];
  const sent: HttpRequest[] = [];
  let poolClosed = false;
  const clock = fakeClock(1_000_000);
  const deps: SmokeTestDeps = {
    ...defaultDeps(),
    http: async (request): Promise<HttpResponse> => {
      sent.push(request);
      const body = Buffer.from('ok');
      return {
        url: String(request.url),
        status: statuses.shift() ?? 200,
        headers: {},
        rawBody: body,
        body,
        latencyMs: 5,
      };
    },
    connectionPool: async () =>
      ({
        close: async () => {
          poolClosed = true;
        },
      }) as unknown as Awaited<ReturnType<SmokeTestDeps['connectionPool']>>,
    clock,
    random: () => 0.5,
  };
  const step = await runInProcess(() => run(process.env, deps), {
    url: 'https://app.example.test',
    'wait-timeout': '5m',
  });
  expect(step.exitCode).toBe(0);
  expect(JSON.parse(step.outputs['results']!)).toEqual({
    'GET /': expect.objectContaining({ passed: true, status: 200, attempts: 3 }),
  });
  expect(sent.map((r) => String(r.url))).toEqual(Array(3).fill('https://app.example.test/'));
  expect(clock.slept).toHaveLength(2);
  expect(poolClosed).toBe(true);
});
