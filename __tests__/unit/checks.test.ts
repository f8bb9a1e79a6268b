import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/lib/errors.js';
import {
  describeStatusItems,
  parseStatusItem,
  parseStatusList,
  statusMatches,
} from '../../src/lib/http-status.js';
import { inputEnvName } from '../../src/lib/inputs.js';
import { normalizeChecks } from '../../src/smoke-test/checks.js';
import { parseInputs } from '../../src/smoke-test/inputs.js';

const env = (inputs: Record<string, string>) =>
  Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v]));

describe('status matching', () => {
  test.each([
    [200, ['2xx'], true],
    [204, ['2xx'], true],
    [301, ['2xx'], false],
    [301, ['2xx', '3xx'], true],
    [404, [404], true],
    [404, ['404'], true],
    [404, [200, 201], false],
    [503, ['5XX'], true],
    [500, ['4xx'], false],
  ])('%p against %p → %p', (status, spec, expected) => {
    expect(
      statusMatches(
        status,
        spec.map((s) => parseStatusItem(s)!),
      ),
    ).toBe(expected);
  });
  test.each(['6xx', '2x', '99', 'ok', '20x'])('%p is not a status matcher', (s) =>
    expect(parseStatusItem(s)).toBeUndefined(),
  );
  test.each<[string, number, boolean]>([
    ['2xx,301', 301, true],
    [' 2xx , 301 ', 204, true],
    ['2xx,301', 302, false],
    ['404', 404, true],
  ])('the list %p against %p → %p', (list, status, expected) => {
    expect(parseStatusList(list)?.(status)).toBe(expected);
  });
  test.each(['', ',', '2xx,600', '2xx;301', '200,ok'])('%p is not a status list', (list) =>
    expect(parseStatusList(list)).toBeUndefined(),
  );
  test('items read back as the user wrote them', () => {
    expect(describeStatusItems([{ code: 200 }, { klass: 3 }])).toBe('200 or 3xx');
  });
});

describe('checks YAML', () => {
  const url = { url: 'https://app.test' };
  test('defaults to one GET of /', async () => {
    const inputs = await parseInputs(env(url));
    expect(inputs.checks).toEqual([
      expect.objectContaining({
        name: 'GET /',
        path: '/',
        method: 'GET',
        page: false,
        expectStatus: [{ klass: 2 }],
      }),
    ]);
    expect(inputs.waitTimeoutMs).toBe(120_000);
    expect(inputs.pageLoadBudgetMs).toBe(2_000);
    expect(inputs.concurrency).toBe(4);
  });

  test('a full check is normalised', async () => {
    const checks = `
- name: api
  path: /api/status?verbose=1
  method: POST
  headers: { X-Env: staging, X-Count: 3 }
  body: { ping: true }
  expect-status: [200, 3xx]
  expect-body: ok
  expect-body-regex: "v\\\\d+"
  expect-json: { status: ok, "data.items[0].id": 3 }
  max-latency: 500ms
- path: /
  page: true
`;
    const [api, home] = (await parseInputs(env({ ...url, checks }))).checks;
    expect(api).toEqual(
      expect.objectContaining({
        name: 'api',
        method: 'POST',
        path: '/api/status?verbose=1',
        headers: { 'X-Env': 'staging', 'X-Count': '3', 'content-type': 'application/json' },
        body: '{"ping":true}',
        expectStatus: [{ code: 200 }, { klass: 3 }],
        expectBody: 'ok',
        expectJson: { status: 'ok', 'data.items[0].id': 3 },
        maxLatencyMs: 500,
      }),
    );
    expect(api?.expectBodyRegex?.source).toBe('v\\d+');
    expect(home).toEqual(expect.objectContaining({ name: 'GET /', page: true }));
  });

  test.each([
    ['path: /', 'must be a YAML list of checks'],
    ['- path: health', '[0].path must match pattern "^/"'],
    ['- path: /\n  method: FETCH', '[0].method must be one of "GET"'],
    ['- path: /\n  expect-status: 700', '[0].expect-status'],
    ['- path: /\n  expect-status: [200, nope]', '[0].expect-status'],
    ['- path: /\n  timeout: 5s', '[0] has unknown key "timeout"'],
    ['- path: /\n  page: yes please', '[0].page must be boolean'],
    ['[]', 'must NOT have fewer than 1 items'],
    ['- path: /\n  max-latency: fast', 'item [0] max-latency must be a duration'],
    ['- path: /\n  expect-body-regex: "("', 'item [0] expect-body-regex must be a valid regular expression'],
    ['- path: /\n  expect-json: { "a..b": 1 }', 'item [0] expect-json key "a..b"'],
    ['- path: /\n- path: /', 'item [1] repeats the check name "GET /"'],
    ['- path: /\n  name: [', 'must be valid YAML'],
  ])('checks %p is refused: %p', async (checks, expected) => {
    await expect(parseInputs(env({ ...url, checks }))).rejects.toThrow(InputError);
    await expect(parseInputs(env({ ...url, checks }))).rejects.toThrow(expected);
  });

  test('normalizeChecks is usable on its own', () => {
    expect(normalizeChecks([{ path: '/x', 'expect-status': '4xx' }])[0]?.expectStatus).toEqual([
      { klass: 4 },
    ]);
  });
});
