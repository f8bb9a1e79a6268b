import { describe, expect, test } from '@jest/globals';
import { parseInputs } from '../../src/gate-on-metrics/inputs.js';
import { InputError } from '../../src/lib/errors.js';
import { inputEnvName } from '../../src/lib/inputs.js';

const REQUIRED = {
  'subscription-id': '00000000-0000-0000-0000-000000000001',
  'resource-group': 'rg-shop',
  'app-name': 'shop',
};

const env = (inputs: Record<string, string>) =>
  Object.fromEntries(
    Object.entries({ ...REQUIRED, ...inputs }).map(([name, value]) => [inputEnvName(name), value]),
  );

async function errorOf(inputs: Record<string, string>): Promise<string> {
  try {
    await parseInputs(env(inputs));
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

test('env keys keep hyphens: INPUT_CONSECUTIVE-ERROR-LIMIT', async () => {
  expect(Object.keys(env({ 'consecutive-error-limit': '2' }))).toContain('INPUT_CONSECUTIVE-ERROR-LIMIT');
  expect((await parseInputs(env({ 'consecutive-error-limit': '2' }))).consecutiveErrorLimit).toBe(2);
});

test('defaults: a slot against production, 5 measurements a minute apart, 5-minute windows 3 minutes back', async () => {
  const inputs = await parseInputs(env({}));
  expect(inputs).toEqual(
    expect.objectContaining({
      resourceGroup: 'rg-shop',
      appName: 'shop',
      slot: 'staging',
      baseline: 'production',
      grain: 'PT1M',
      grainMs: 60_000,
      count: 5,
      intervalMs: 60_000,
      initialDelayMs: 0,
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      ingestionDelayMs: 180_000,
      // max(interval, 5 grains)
      windowMs: 300_000,
      onInconclusive: 'fail',
    }),
  );
  expect(inputs.checks.map((c) => c.name)).toEqual(['error-rate', 'response-time']);
  expect(inputs.checks.every((c) => c.compare !== undefined)).toBe(true);
});

test('the default window is the interval when the interval is longer than 5 grains', async () => {
  expect((await parseInputs(env({ interval: '10m' }))).windowMs).toBe(600_000);
  expect((await parseInputs(env({ interval: '10m', grain: 'PT5M' }))).windowMs).toBe(1_500_000);
});

test('slot production: baseline defaults to none and the built-ins become thresholds', async () => {
  const inputs = await parseInputs(env({ slot: 'Production' }));
  expect(inputs.slot).toBe('production');
  expect(inputs.baseline).toBe('none');
  expect(inputs.checks.every((c) => c.compare === undefined && c.threshold !== undefined)).toBe(true);
});

test('durations accept 30s and PT5S', async () => {
  const inputs = await parseInputs(
    env({ interval: '30s', 'initial-delay': 'PT5S', 'ingestion-delay': 'PT2M' }),
  );
  expect(inputs.intervalMs).toBe(30_000);
  expect(inputs.initialDelayMs).toBe(5_000);
  expect(inputs.ingestionDelayMs).toBe(120_000);
});

test('checks YAML is parsed and normalized with the baseline the inputs chose', async () => {
  const inputs = await parseInputs(
    env({
      slot: 'production',
      checks: '- error-rate\n- name: cpu\n  metric: CpuPercentage\n  resource: plan\n  threshold: "< 80%"',
    }),
  );
  expect(inputs.checks.map((c) => [c.name, c.resource, c.threshold?.value])).toEqual([
    ['error-rate', 'app', 0.01],
    ['cpu', 'plan', 80],
  ]);
});

describe('the sandbox grain', () => {
  test('PT1S is refused against public Azure', async () =>
    expect(await errorOf({ grain: 'PT1S' })).toBe(
      'Input "grain" must be PT1M or longer: Azure Monitor\'s smallest grain is PT1M (PT1S..PT30S are the local sandbox\'s), got "PT1S".',
    ));
  test('PT1S is accepted against https://127.0.0.1:8443, with windows of 5 grains', async () => {
    const inputs = await parseInputs(
      env({ grain: 'pt1s', 'arm-endpoint': 'https://127.0.0.1:8443', interval: '2s' }),
    );
    expect(inputs.grain).toBe('PT1S');
    expect(inputs.grainMs).toBe(1000);
    expect(inputs.windowMs).toBe(5000);
  });
});

describe('bad input: one line naming the input', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['negative count', { count: '-1' }, 'Input "count" must be a whole number from 1 to 100, got "-1".'],
    ['count zero', { count: '0' }, 'Input "count" must be a whole number from 1 to 100'],
    ['fractional count', { count: '2.5' }, 'Input "count" must be a whole number'],
    ['malformed checks YAML', { checks: '- name: [' }, 'Input "checks" must be valid YAML'],
    [
      'checks not a list',
      { checks: 'name: error-rate' },
      'Input "checks" must be a YAML list of check names',
    ],
    [
      'checks unknown key',
      { checks: '- name: x\n  metric: Requests\n  percentile: 95' },
      'Input "checks" must be',
    ],
    [
      'checks with an unknown metric',
      { checks: '- name: x\n  metric: Hits\n  threshold: "< 1"' },
      'Input "checks" item [0] (x) metric "Hits"',
    ],
    [
      'baseline production with slot production',
      { slot: 'production', baseline: 'production' },
      'Input "baseline" must be none when slot is production (production cannot be its own baseline), got "production".',
    ],
    ['unknown grain', { grain: 'PT2M' }, 'Input "grain" must be one of PT1M, PT5M, PT15M, PT30M, PT1H'],
    [
      'window below a grain',
      { window: '30s' },
      'Input "window" must be a duration such as 30s, 5m, 1h30m or PT5M, at least 60s',
    ],
    ['interval not a duration', { interval: 'soon' }, 'Input "interval" must be a duration'],
    [
      'on-inconclusive',
      { 'on-inconclusive': 'ignore' },
      'Input "on-inconclusive" must be one of fail, pass, neutral',
    ],
    ['slot name', { slot: 'a/b' }, 'Input "slot" must be'],
    ['missing app-name', { 'app-name': '' }, 'Input "app-name" is required'],
  ];
  test.each(cases)('%s', async (_, inputs, fragment) => {
    const message = await errorOf(inputs);
    expect(message).toContain(fragment);
    expect(message).not.toContain('\n');
  });
});
