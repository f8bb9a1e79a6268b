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
  test('policy is the default and the only mode built', async () => {
    expect((await parse({ mode: 'policy' })).mode).toBe('policy');
  });

  test.each(['observe', 'both'])(
    '%s is an input error saying observe mode is not built yet',
    async (mode) => {
      expect(await failure({ mode })).toMatch(
        /^Input "mode" must be policy for now: observe mode .* is not built yet, got "(observe|both)"\.$/,
      );
    },
  );

  test('anything else is an input error too', async () => {
    expect(await failure({ mode: 'Policy' })).toMatch(
      /^Input "mode" must be policy .*not built yet\), got "Policy"\.$/,
    );
  });
});

test('the app inputs are required, before the policy is read', async () => {
  expect(await failure({ 'app-name': '', policy: 'not: [valid' })).toMatch(/^Input "app-name" is required/);
});
