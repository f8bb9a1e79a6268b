import { describe, expect, test } from '@jest/globals';
import { verifyStrict, waitHealthy } from '../../src/deploy-slot/health.js';
import { refuseRecordImage, registryHost } from '../../src/deploy-slot/image-policy.js';
import {
  checkInputsForAction,
  isValidImage,
  parseInputs,
  registryServer,
} from '../../src/deploy-slot/inputs.js';
import { blocks } from '../../src/deploy-slot/lease.js';
import { formatLease, parseLease, readRecord, recordPatch } from '../../src/deploy-slot/record.js';
import {
  planRecovery,
  planRollback,
  recordAfterRelease,
  recordAfterRollback,
} from '../../src/deploy-slot/rollback.js';
import { InputError } from '../../src/lib/errors.js';
import { parseStatusList } from '../../src/lib/http-status.js';
import { inputEnv } from '../helpers/runner.js';

const BASE = {
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  'tenant-id': '11111111-1111-4111-8111-111111111111',
  'client-id': '22222222-2222-4222-8222-222222222222',
  'client-secret': 'not-a-real-secret',
  'resource-group': 'rg',
  'app-name': 'web',
  image: 'ghcr.io/org/web:1.2.3',
};

async function parse(inputs: Record<string, string>) {
  const env = inputEnv({ ...BASE, ...inputs });
  const parsed = await parseInputs(env);
  checkInputsForAction(parsed, env);
  return parsed;
}

describe('inputs', () => {
  test('defaults', async () => {
    const inputs = await parse({});
    expect(inputs).toMatchObject({
      action: 'release',
      slot: 'staging',
      targetSlot: 'production',
      swapMode: 'direct',
      image: 'ghcr.io/org/web:1.2.3',
      healthTimeoutMs: 300_000,
      lockTimeoutMs: 600_000,
      rollbackOnFailure: true,
      appSettings: {},
      stickySettings: [],
    });
    expect(inputs.healthStatuses(200)).toBe(true);
    expect(inputs.healthStatuses(204)).toBe(false);
  });

  test('app settings with secrets, registry credentials, sticky names, statuses', async () => {
    const inputs = await parse({
      'app-settings': 'A: 1\nB: {value: s3cret-value, secret: true}\nC: true',
      'registry-username': 'bot',
      'registry-password': 'pw',
      'sticky-settings': 'A\nB, C',
      'health-statuses': '2xx,301',
      image: 'myacr.azurecr.io/web@sha256:' + 'a'.repeat(64),
    });
    expect(inputs.appSettings).toEqual({
      A: { value: '1', secret: false },
      B: { value: 's3cret-value', secret: true },
      C: { value: 'true', secret: false },
    });
    expect(inputs.registry).toEqual({ server: 'https://myacr.azurecr.io', username: 'bot', password: 'pw' });
    expect(inputs.stickySettings).toEqual(['A', 'B', 'C']);
    expect([inputs.healthStatuses(204), inputs.healthStatuses(301), inputs.healthStatuses(302)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  test('app-settings values stay text, exactly as written (never YAML 1.2 numbers, booleans or null)', async () => {
    const yaml = [
      'PYTHON_VERSION: 3.10',
      'OCTAL: 010',
      'EXP: 1e3',
      'HEX: 0x10',
      'INF: .inf',
      'YES: yes',
      'ON: on',
      'NULL_WORD: null',
      'TILDE: ~',
      'EMPTY:',
      'DOUBLE: "a \\"b\\" 3.10"',
      "SINGLE: 'it''s 1.0'",
      'LITERAL: |',
      '  line 1',
      '  line 2',
      'FOLDED: >-',
      '  folded',
      '  text',
      'SECRET: {value: 1.50, secret: true}',
    ].join('\n');
    const { appSettings } = await parse({ 'app-settings': yaml });
    const values = Object.fromEntries(Object.entries(appSettings).map(([k, v]) => [k, v.value]));
    expect(values).toEqual({
      PYTHON_VERSION: '3.10',
      OCTAL: '010',
      EXP: '1e3',
      HEX: '0x10',
      INF: '.inf',
      YES: 'yes',
      ON: 'on',
      NULL_WORD: 'null',
      TILDE: '~',
      EMPTY: '',
      DOUBLE: 'a "b" 3.10',
      SINGLE: "it's 1.0",
      LITERAL: 'line 1\nline 2\n',
      FOLDED: 'folded text',
      SECRET: '1.50',
    });
    expect(appSettings['SECRET']!.secret).toBe(true);
    expect(appSettings['PYTHON_VERSION']!.secret).toBe(false);
  });

  test("app-settings as the pipeline builds it: APP_VERSION through toJSON(), then the caller's lines", async () => {
    // pipeline.yml and release.yml: `APP_VERSION: ${{ toJSON(version) }}` then `${{ inputs.app-settings }}`.
    const version = JSON.stringify('1.10');
    const { appSettings } = await parse({ 'app-settings': `APP_VERSION: ${version}\nWORKERS: 04\n` });
    expect(appSettings).toEqual({
      APP_VERSION: { value: '1.10', secret: false },
      WORKERS: { value: '04', secret: false },
    });
  });

  test.each([
    ['a list', 'GOOD: 1\nLIST_SETTING: [1, 2]', 'LIST_SETTING', /not a list/],
    ['a block list', 'LIST_SETTING:\n  - a\n  - b', 'LIST_SETTING', /not a list/],
    ['another map', 'MAP_SETTING: {x: 1}', 'MAP_SETTING', /only value and secret/],
    ['a list as value', 'MAP_SETTING: {value: [1], secret: true}', 'MAP_SETTING', /not a single value/],
    [
      'secret not a boolean',
      'MAP_SETTING: {value: x, secret: yes}',
      'MAP_SETTING',
      /secret must be true or false/,
    ],
    ['no value', 'MAP_SETTING: {secret: true}', 'MAP_SETTING', /value is missing/],
    ['an alias to nothing', 'ALIAS_SETTING: *nope', 'ALIAS_SETTING', /the alias \*nope names no anchor/],
  ])('app-settings with %s is refused in one line naming the setting', async (_what, yaml, key, why) => {
    const error = await parse({ 'app-settings': yaml }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Input "app-settings" must be a YAML map of NAME: value/);
    expect(message).toContain(`: ${key} must be one value`);
    expect(message).toMatch(why);
    expect(message).not.toContain('\n');
  });

  // Every input with a malformed value: a one-line InputError that names it.
  const BAD: [string, string, RegExp][] = [
    ['subscription-id', 'not-a-guid', /subscription ID \(a GUID\)/],
    ['tenant-id', 'bad tenant!', /tenant ID/],
    ['client-id', 'xyz', /client\) ID \(a GUID\)/],
    ['arm-endpoint', 'http://management.azure.com', /absolute https URL/],
    ['authority-host', 'not a url', /absolute https URL/],
    ['action', 'promote', /one of release, deploy, swap, ramp, rollback/],
    ['resource-group', 'bad/group', /resource group name/],
    ['app-name', 'web_app!', /App Service app name/],
    ['slot', 'production', /not production/],
    ['target-slot', 'staging', /must differ from slot/],
    ['swap-mode', 'auto', /one of direct, preview/],
    ['image', 'ghcr.io/org/web', /with a tag or digest/],
    ['allowed-registries', 'ghcr.io/org', /must list registry hosts/],
    ['allowed-registries', 'myacr.azurecr.io:65536', /port must be a number from 1 to 65535/],
    ['allowed-registries', `${'a'.repeat(64)}.example`, /longer than 63 characters/],
    [
      'allowed-registries',
      'user:s3cret@myacr.azurecr.io',
      /must not hold a user name or password\), got "\*\*\*@myacr/,
    ],
    ['registry-username', '', /required when registry-password is set/],
    ['app-settings', 'A: [1, 2]', /YAML map of NAME: value/],
    ['sticky-settings', 'GOOD\nbad name', /app setting names/],
    ['health-path', 'healthz', /path starting with \//],
    ['health-statuses', '200,abc', /HTTP status codes or classes/],
    ['health-timeout', 'soon', /duration/],
    ['percentage', '150', /from 0 to 100/],
    ['lock-timeout', '-1m', /duration/],
    ['rollback-on-failure', 'yes', /true or false/],
  ];
  test.each(BAD)('bad %s', async (name, value, expected) => {
    const extra: Record<string, string> = { [name]: value };
    if (name === 'registry-username') extra['registry-password'] = 'pw';
    const error = await parse(extra).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    const message = (error as Error).message;
    expect(message).toContain(`"${name}"`);
    expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
  });

  test('registry-password alone, image missing for release, percentage missing for ramp', async () => {
    await expect(parse({ 'registry-password': 'pw' })).rejects.toThrow(/"registry-username" is required/);
    await expect(parse({ image: '' })).rejects.toThrow(/"image" is required when action is release/);
    await expect(parse({ action: 'ramp' })).rejects.toThrow(/"percentage" is required when action is ramp/);
    await expect(parse({ action: 'rollback', image: '' })).resolves.toMatchObject({ action: 'rollback' });
  });

  test('a secret value in a bad input never appears in the error', async () => {
    const error = (await parse({ 'client-secret': 'sekret-123', 'client-id': '' }).catch((e) => e)) as Error;
    expect(error.message).toContain('"client-id" is required when client-secret is set');
    expect(error.message).not.toContain('sekret-123');
  });

  test('image references and their registry', () => {
    expect(isValidImage('localhost/slotline/testapp:v1')).toBe(true);
    expect(isValidImage('127.0.0.1:5000/web:1')).toBe(true);
    expect(isValidImage('web:1')).toBe(true);
    expect(isValidImage('web')).toBe(false);
    expect(isValidImage('Web:1')).toBe(false);
    expect(registryServer('myacr.azurecr.io/web:1')).toBe('https://myacr.azurecr.io');
    expect(registryServer('org/web:1')).toBe('https://index.docker.io');
  });
});

describe('rollback rules', () => {
  const record = { releasedImage: 'v2', previousImage: 'v1' };
  test('rollback: no record, already, swap back, redeploy', () => {
    expect(planRollback({ record: {}, targetImage: 'v2', slotImage: 'v1' })).toEqual({ kind: 'no-record' });
    expect(planRollback({ record, targetImage: 'v1', slotImage: 'v2' })).toEqual({
      kind: 'already',
      image: 'v1',
    });
    expect(planRollback({ record, targetImage: 'v2', slotImage: 'v1' })).toEqual({
      kind: 'swap-back',
      image: 'v1',
    });
    expect(planRollback({ record, targetImage: 'v2', slotImage: 'v9' })).toEqual({
      kind: 'redeploy',
      image: 'v1',
    });
  });

  test('rollback goes back one release from what the target serves: pending first, and refuses an unknown image', () => {
    const pending = { ...record, pendingImage: 'v3', pendingPreviousImage: 'v2' };
    expect(planRollback({ record: pending, targetImage: 'v3', slotImage: 'v2' })).toEqual({
      kind: 'swap-back',
      image: 'v2',
    });
    // The pending release never went live (or was swapped back): production serves the last completed one.
    expect(planRollback({ record: pending, targetImage: 'v2', slotImage: 'v3' })).toEqual({
      kind: 'redeploy',
      image: 'v1',
    });
    expect(planRollback({ record, targetImage: 'v9', slotImage: 'v1' })).toEqual({
      kind: 'unknown-current',
      targetImage: 'v9',
      known: ['v2', 'v1'],
    });
  });

  test("record images: a valid reference of production's repository, or from allowed-registries", () => {
    const policy = { productionImage: 'ghcr.io/o/web:2', allowedRegistries: ['myacr.azurecr.io'] };
    expect(refuseRecordImage('ghcr.io/o/web:1', policy)).toBeUndefined();
    expect(refuseRecordImage('myacr.azurecr.io/web@sha256:' + 'a'.repeat(64), policy)).toBeUndefined();
    expect(refuseRecordImage('evil.example/x:1', policy)).toMatch(/not from ghcr\.io\/o\/web/);
    // Same host, someone else's repository: on a shared registry anyone can publish there.
    expect(refuseRecordImage('ghcr.io/attacker/x:1', policy)).toMatch(/not from ghcr\.io\/o\/web/);
    expect(refuseRecordImage('GHCR.io/o/web:1 --privileged', policy)).toMatch(/not a valid image reference/);
    // Docker Hub short names are docker.io, however written.
    expect(
      refuseRecordImage('nginx:1', { productionImage: 'docker.io/library/nginx:2', allowedRegistries: [] }),
    ).toBeUndefined();
    expect(registryHost('index.docker.io/library/nginx:1')).toBe('docker.io');
  });

  test('recovery after a failed release follows what ARM shows now', () => {
    expect(planRecovery({ targetBefore: 'v1', targetNow: 'v1', slotNow: 'v2' })).toEqual({
      kind: 'restore-slot',
    });
    expect(planRecovery({ targetBefore: 'v1', targetNow: 'v2', slotNow: 'v1' })).toEqual({
      kind: 'swap-back',
      image: 'v1',
    });
    expect(planRecovery({ targetBefore: 'v1', targetNow: 'v2', slotNow: 'v3' })).toEqual({
      kind: 'redeploy',
      image: 'v1',
    });
  });

  test('the record: release keeps a distinct previous image; rollback makes a second rollback a no-op', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    const released = recordAfterRelease({}, 'v1', 'v2', now);
    expect(released).toMatchObject({ releasedImage: 'v2', previousImage: 'v1' });
    // Re-releasing what production serves keeps the older previous image.
    expect(recordAfterRelease(released, 'v2', 'v2', now)).toMatchObject({ previousImage: 'v1' });
    const rolledBack = recordAfterRollback(released, 'v1', 'v2', now);
    expect(rolledBack).toMatchObject({ releasedImage: 'v1', previousImage: 'v1', rolledBackFrom: 'v2' });
    expect(planRollback({ record: rolledBack, targetImage: 'v1', slotImage: 'v2' }).kind).toBe('already');
  });

  test('record fields become Tags API merges and deletes, and respect the 256-character limit', () => {
    const patch = recordPatch('production', {
      releasedImage: 'a:1',
      previousImage: 'a:0',
      pendingImage: undefined,
    });
    expect(patch).toEqual({
      merge: { 'slotline-released-image': 'a:1', 'slotline-previous-image': 'a:0' },
      remove: { 'slotline-pending-image': '' },
    });
    const tags = { other: 'x', ...patch.merge };
    expect(readRecord(tags, 'production')).toEqual({ releasedImage: 'a:1', previousImage: 'a:0' });
    expect(readRecord(tags, 'qa')).toEqual({});
    expect(() => recordPatch('production', { releasedImage: `r/${'a'.repeat(260)}:1` })).toThrow(
      /at most 256/,
    );
  });

  test('leases: expiry, own nonce, parse', () => {
    const lease = { holder: 'run 7 | job x', nonce: 'n1', expiresAt: Date.parse('2026-11-26T10:10:00Z') };
    expect(parseLease(formatLease(lease))).toEqual(lease);
    expect(parseLease('garbage')).toBeUndefined();
    expect(blocks(lease, 'n2', Date.parse('2026-11-26T10:00:00Z'))).toBe(true);
    expect(blocks(lease, 'n1', Date.parse('2026-11-26T10:00:00Z'))).toBe(false);
    expect(blocks(lease, 'n2', Date.parse('2026-11-26T10:10:01Z'))).toBe(false);
    // A tag writer's lease "until 2099" would lock every run out: no holder writes past one lifetime.
    const forged = { holder: 'x', nonce: 'x', expiresAt: Date.parse('2099-01-01T00:00:00Z') };
    expect(blocks(forged, 'n2', Date.parse('2026-11-26T10:00:00Z'))).toBe(false);
  });
});

describe('health', () => {
  const clock = () => {
    let now = 0;
    return {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    };
  };
  test('status lists', () => {
    expect(parseStatusList('')).toBeUndefined();
    expect(parseStatusList('600')).toBeUndefined();
    expect(parseStatusList('2xx')?.(299)).toBe(true);
  });

  test('waitHealthy needs consecutive accepted answers; a failure restarts the count; it times out', async () => {
    const answers = [503, 200, 503, 200, 200, 200];
    const probe = async () => ({ status: answers.shift() ?? 200 });
    const ok = await waitHealthy('u', {
      accept: (s) => s === 200,
      consecutive: 3,
      intervalMs: 100,
      timeoutMs: 10_000,
      probe,
      clock: clock(),
    });
    expect(ok).toEqual({ healthy: true, probes: 6, last: '200' });
    const never = await waitHealthy('u', {
      accept: (s) => s === 200,
      consecutive: 2,
      intervalMs: 100,
      timeoutMs: 1_000,
      probe: async () => ({ error: 'ECONNREFUSED' }),
      clock: clock(),
    });
    expect(never).toMatchObject({ healthy: false, last: 'ECONNREFUSED' });
    expect(never.probes).toBeLessThanOrEqual(11);
  });

  test('verifyStrict fails on the first bad answer', async () => {
    const answers = [200, 502, 200];
    const result = await verifyStrict('u', {
      accept: (s) => s === 200,
      count: 3,
      intervalMs: 10,
      probe: async () => ({ status: answers.shift()! }),
      clock: clock(),
    });
    expect(result).toEqual({ healthy: false, probes: 2, last: '502' });
  });
});
