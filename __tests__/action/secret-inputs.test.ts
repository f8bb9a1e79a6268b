import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { run as buildImage } from '../../src/build-image/main.js';
import { SECRET_INPUTS as BUILD_IMAGE_SECRETS } from '../../src/build-image/secret-inputs.js';
import { run as deploySlot } from '../../src/deploy-slot/main.js';
import { SECRET_INPUTS as DEPLOY_SLOT_SECRETS } from '../../src/deploy-slot/secret-inputs.js';
import { run as smokeTest } from '../../src/smoke-test/main.js';
import { SECRET_INPUTS as SMOKE_TEST_SECRETS } from '../../src/smoke-test/secret-inputs.js';
import { brokenApp } from '../helpers/apps.js';
import { runInProcess, type StepResult } from '../helpers/runner.js';
import type { TestServer } from '../helpers/servers.js';

// Masking is by input: each action masks exactly the inputs it declares secret (SECRET_INPUTS), so a
// credential never reaches the log and an identifier such as authority-host stays readable.

/** The log as the runner shows it: every value the step asked to mask replaced by `***`. */
function asShown(step: StepResult): string {
  let log = step.log;
  for (const value of [...step.masked].sort((a, b) => b.length - a.length))
    if (value !== '') log = log.split(value).join('***');
  return log;
}

const AZURE = {
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  'tenant-id': '11111111-1111-4111-8111-111111111111',
  'client-id': '22222222-2222-4222-8222-222222222222',
};

describe('authority-host is an identifier, not a secret', () => {
  test.each([
    [
      'deploy-slot',
      deploySlot,
      { 'resource-group': 'rg', 'app-name': 'web-app', image: 'r.example.test/web:1' },
    ],
    ['build-image', buildImage, { registry: 'r.example.test', repository: 'team/web', push: 'true' }],
  ] as const)('%s: an authority-host error shows the host', async (name, run, inputs) => {
    const step = await runInProcess(() => run(), {
      ...inputs,
      ...AZURE,
      'client-secret': 'cs-9f8e7d6c5b4a-secret',
      'authority-host': 'http://login.example.test',
    });
    expect(step.exitCode).toBe(1);
    expect(step.masked).not.toContain('http://login.example.test');
    expect(
      asShown(step)
        .split('\n')
        .filter((l) => l.startsWith('::error::')),
    ).toEqual([
      `::error::${name}: Input "authority-host" must be an absolute https URL, got "http://login.example.test".`,
    ]);
  });
});

test('deploy-slot: an unreachable authority-host is named in the error the runner shows', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const authorityHost = `https://127.0.0.1:${port}`;
  const step = await runInProcess(() => deploySlot(), {
    ...AZURE,
    'client-secret': 'cs-9f8e7d6c5b4a-secret',
    'authority-host': authorityHost,
    'arm-endpoint': authorityHost,
    'resource-group': 'rg',
    'app-name': 'web-app',
    image: 'r.example.test/web:1',
  });
  expect(step.exitCode).toBe(1);
  const errors = asShown(step)
    .split('\n')
    .filter((l) => l.startsWith('::error::'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(authorityHost);
  expect(step.log).not.toContain('cs-9f8e7d6c5b4a-secret');
}, 60_000);

describe('each secret input is masked, and nothing else', () => {
  let app: TestServer;
  beforeAll(async () => {
    app = await brokenApp();
  });
  afterAll(async () => {
    await app.close();
  });

  /** A distinct value per secret input, long enough to find anywhere it leaks. */
  const secretValue = (action: string, input: string): string => `${action}-${input}-v4lu3-7Hq2ZpX9`;

  const cases: {
    action: string;
    run: () => Promise<void>;
    secrets: readonly string[];
    inputs: Record<string, string>;
  }[] = [
    {
      action: 'deploy-slot',
      run: deploySlot,
      secrets: DEPLOY_SLOT_SECRETS,
      // An invalid resource group stops the run once every input has been read.
      inputs: {
        ...AZURE,
        'authority-host': 'https://login.example.test',
        'resource-group': 'bad group/',
        'app-name': 'web-app',
        image: 'r.example.test/web:1',
        'registry-username': 'deployer',
      },
    },
    {
      action: 'build-image',
      run: buildImage,
      secrets: BUILD_IMAGE_SECRETS,
      inputs: {
        ...AZURE,
        'authority-host': 'https://login.example.test',
        registry: 'r.example.test',
        repository: 'team/web',
        username: 'deployer',
        context: '/nonexistent/slotline/context',
      },
    },
    {
      action: 'smoke-test',
      run: smokeTest,
      secrets: SMOKE_TEST_SECRETS,
      inputs: { checks: '- name: home\n  path: /', 'wait-timeout': '0s' },
    },
  ];

  test.each(cases)('$action', async ({ action, run, secrets, inputs }) => {
    const values = Object.fromEntries(secrets.map((name) => [name, secretValue(action, name)]));
    if (action === 'smoke-test') {
      values['headers'] = `Authorization: Bearer ${secretValue(action, 'bearer')}`;
      inputs['url'] = app.url;
    }
    const step = await runInProcess(() => run(), { ...inputs, ...values });
    expect(step.exitCode).toBe(1);
    for (const value of Object.values(values)) {
      expect(step.masked).toContain(value);
      for (const text of [step.log, step.summary, JSON.stringify(step.outputs), step.debug]) {
        expect(text).not.toContain(value);
        expect(text).not.toContain(value.replace(/^.*Bearer /, ''));
      }
    }
    // Exactly the secret inputs: every masked value is (a line or a part of) a secret input's value.
    for (const masked of step.masked)
      expect(Object.values(values).some((value) => value.includes(masked))).toBe(true);
  });
});
