import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/lib/errors.js';
import { parseInputs } from '../../src/verify-autoscale/inputs.js';
import { inputEnv } from '../helpers/runner.js';

const BASE = {
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  'resource-group': 'rg',
  'app-name': 'web',
};

const parse = (inputs: Record<string, string> = {}) => parseInputs(inputEnv({ ...BASE, ...inputs }));

async function failure(inputs: Record<string, string>): Promise<string> {
  const error = await parse(inputs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  const message = (error as Error).message;
  expect(message).not.toMatch(/\n/);
  return message;
}

describe('policy', () => {
  test("unset, it is the seed's: 2 to 10, CPU, requests and business hours Mon-Fri 08:00-18:00 with 4", async () => {
    const { policy, mode } = await parse();
    expect(mode).toBe('policy');
    expect(policy).toEqual({
      minInstances: 2,
      maxInstances: 10,
      require: ['cpu', 'requests', 'business-hours'],
      businessHours: {
        days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
        start: '08:00',
        end: '18:00',
        startMinute: 480,
        endMinute: 1080,
        minInstances: 4,
      },
      minThresholdGap: 30,
      minCooldownMs: 300_000,
      maxScaleStep: 3,
    });
  });

  test('keys left out keep their default, business-hours key by key', async () => {
    const { policy } = await parse({
      policy: [
        'max-instances: 20',
        'require: [cpu]',
        'business-hours:',
        '  start: "7:30"',
        '  time-zone: W. Europe Standard Time',
        'min-cooldown: PT10M',
      ].join('\n'),
    });
    expect(policy).toMatchObject({
      minInstances: 2,
      maxInstances: 20,
      require: ['cpu'],
      minCooldownMs: 600_000,
      maxScaleStep: 3,
      businessHours: {
        days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
        start: '7:30',
        startMinute: 450,
        end: '18:00',
        timeZone: 'W. Europe Standard Time',
        minInstances: 4,
      },
    });
  });

  test('an empty document (only a comment) is the default policy', async () => {
    expect((await parse({ policy: '# the defaults' })).policy).toEqual((await parse()).policy);
  });

  test.each([
    [
      'malformed YAML',
      'min-instances: [2',
      /^Input "policy" must be valid YAML \(a YAML mapping \(keys: min-instances,/,
    ],
    ['a list', '- cpu', /^Input "policy" must be a YAML mapping .*: must be object\.$/],
    ['an unknown key', 'max-instance: 10', /^Input "policy" must be .*: has unknown key "max-instance"\.$/],
    [
      'an unknown require entry',
      'require: [cpu, memory]',
      /^Input "policy" must be .*: require\[1\] must be one of "cpu", "requests", "business-hours"\.$/,
    ],
    [
      'an unknown business-hours key',
      'business-hours: {from: "08:00"}',
      /business-hours has unknown key "from"/,
    ],
    ['a bad day', 'business-hours: {days: [Mon]}', /business-hours\.days\[0\] must be one of "Monday"/],
    [
      'a bad time',
      'business-hours: {start: "8am"}',
      /^Input "policy" business-hours\.start must be a time of day such as 08:00 or 18:30, got "8am"\.$/,
    ],
    ['zero instances', 'min-instances: 0', /min-instances must be >= 1/],
    [
      'min > max',
      'min-instances: 5\nmax-instances: 3',
      /^Input "policy" must have min-instances no greater than max-instances \(min-instances 5 > max-instances 3\)\.$/,
    ],
    [
      'start after end',
      'business-hours: {start: "18:00", end: "08:00"}',
      /^Input "policy" must have business-hours\.start before business-hours\.end/,
    ],
    [
      'business-hours minimum above the maximum',
      'business-hours: {min-instances: 12}',
      /business-hours\.min-instances from min-instances to max-instances \(12 is not from 2 to 10\)/,
    ],
    [
      'a bad duration',
      'min-cooldown: 5 minutes',
      /^Input "policy" min-cooldown must be a duration such as 5m, 10m or PT5M, got "5 minutes"\.$/,
    ],
    ['a numeric cooldown', 'min-cooldown: 300', /min-cooldown must be string/],
  ])('%s is an input error naming policy, on one line', async (_what, policy, expected) => {
    expect(await failure({ policy })).toMatch(expected);
  });
});

describe('mode', () => {
  test('policy is the default; observe and both are accepted', async () => {
    expect((await parse()).mode).toBe('policy');
    expect((await parse({ mode: 'observe' })).mode).toBe('observe');
    expect((await parse({ mode: 'both' })).mode).toBe('both');
  });

  test('anything else is an input error naming the three', async () => {
    expect(await failure({ mode: 'Policy' })).toBe(
      'Input "mode" must be one of policy, observe, both, got "Policy".',
    );
  });
});

describe('observe inputs', () => {
  test('defaults: built-in load, 1000 users, 1s think time, 5m, scale out within 10m, samples every 30s', async () => {
    expect((await parse()).observe).toEqual({
      load: 'builtin',
      users: 1000,
      thinkTimeMs: 1000,
      rampUpMs: 0,
      durationMs: 300_000,
      scaleOutWithinMs: 600_000,
      sampleIntervalMs: 30_000,
    });
  });

  test('every input read', async () => {
    const { observe } = await parse({
      mode: 'observe',
      load: 'external',
      'target-url': 'https://web.example.test/api',
      users: '100000',
      'think-time': '0s',
      'ramp-up': '10s',
      duration: '30s',
      'expect-capacity': '4',
      'scale-out-within': '2m',
      'scale-in-within': 'PT5M',
      'sample-interval': '1s',
    });
    expect({ ...observe, targetUrl: observe.targetUrl?.href }).toEqual({
      load: 'external',
      targetUrl: 'https://web.example.test/api',
      users: 100_000,
      thinkTimeMs: 0,
      rampUpMs: 10_000,
      durationMs: 30_000,
      expectCapacity: 4,
      scaleOutWithinMs: 120_000,
      scaleInWithinMs: 300_000,
      sampleIntervalMs: 1000,
    });
  });

  test.each([
    ['users 0', { users: '0' }, /^Input "users" must be a whole number from 1 to 100000, got "0"\.$/],
    ['users over 100000', { users: '100001' }, /^Input "users" must be a whole number from 1 to 100000/],
    ['a bad duration', { duration: '5 minutes' }, /^Input "duration" must be a duration such as 30s/],
    ['a duration under a second', { duration: '500ms' }, /^Input "duration" must be .*at least 1s/],
    [
      'ramp-up as long as the load',
      { duration: '1m', 'ramp-up': '1m' },
      /^Input "ramp-up" must be shorter than duration/,
    ],
    [
      'expect-capacity 0',
      { 'expect-capacity': '0' },
      /^Input "expect-capacity" must be a whole number from 1 to 1000/,
    ],
    ['an unknown load', { load: 'wrk' }, /^Input "load" must be one of builtin, external, got "wrk"\.$/],
    [
      'a target that is no URL',
      { 'target-url': 'web' },
      /^Input "target-url" must be an absolute http or https URL/,
    ],
    [
      'sample-interval over 10m',
      { 'sample-interval': '11m' },
      /^Input "sample-interval" must be .*at most 600s/,
    ],
    [
      'a huge scale-in-within',
      { 'scale-in-within': '99999h' },
      /^Input "scale-in-within" must be .*at most 21600s/,
    ],
  ])('%s is an input error naming the input, on one line', async (_what, inputs, expected) => {
    expect(await failure(inputs)).toMatch(expected);
  });
});

test('the app inputs are required, before the policy is read', async () => {
  expect(await failure({ 'app-name': '', policy: 'not: [valid' })).toMatch(/^Input "app-name" is required/);
});
