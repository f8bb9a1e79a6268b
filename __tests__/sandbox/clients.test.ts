import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { FAST, runClient, type SandboxProcess, startSandbox } from './helpers.js';

// Microsoft's clients, unmodified, against the sandbox: @azure/identity (secret and federated GitHub
// OIDC), @azure/arm-monitor, and slotline's ARM client (core-rest-pipeline + core-lro) for a full swap.
// Each runs in a fresh process that trusts the sandbox CA through NODE_EXTRA_CA_CERTS, as on a runner.

let sb: SandboxProcess;

beforeAll(async () => {
  sb = await startSandbox({ config: FAST });
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const oidcEnv = () => ({
  ACTIONS_ID_TOKEN_REQUEST_URL: sb.conn.oidcRequestUrl,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: sb.conn.oidcRequestToken,
});

function actionInputs(withSecret: boolean): Record<string, string> {
  return {
    'INPUT_SUBSCRIPTION-ID': sb.conn.subscriptionId,
    'INPUT_TENANT-ID': sb.conn.tenantId,
    'INPUT_CLIENT-ID': sb.conn.clientId,
    'INPUT_CLIENT-SECRET': withSecret ? sb.conn.clientSecret : '',
    'INPUT_ARM-ENDPOINT': sb.conn.armEndpoint,
    'INPUT_AUTHORITY-HOST': sb.conn.authorityHost,
  };
}

test('@azure/identity and @azure/arm-monitor: secret and federated credentials, autoscale get/list, metrics list', async () => {
  const run = await runClient(sb, 'microsoft-clients.ts', oidcEnv());
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const r = run.result as Record<string, never>;
  expect(r['secretTokenAudience']).toBe('https://management.azure.com/');
  expect(r['secretTokenExpiresInMinutes']).toBe(60);
  expect(r['assertionTokenAppId']).toBe(sb.conn.clientId);
  // appidacr 2: the token came from a client assertion, not a secret.
  expect(r['assertionTokenAcr']).toBe('2');
  expect(r['assertionCalls']).toBeGreaterThanOrEqual(1);
  const autoscale = r['autoscale'] as {
    name: string;
    target: string;
    profiles: { name: string; capacity: Record<string, string>; rules: number; recurrence: unknown }[];
  };
  expect(autoscale.name).toBe(sb.conn.autoscaleSettingName);
  expect(autoscale.target).toMatch(new RegExp(`/serverfarms/${sb.conn.planName}$`));
  expect(autoscale.profiles[0]).toEqual({
    name: 'Default',
    capacity: { minimum: '2', maximum: '10', default: '2' },
    rules: 3,
    recurrence: null,
  });
  expect(autoscale.profiles[1]!.recurrence).toEqual({
    timeZone: 'W. Europe Standard Time',
    days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
    hours: [8],
    minutes: [0],
  });
  expect(Number(autoscale.profiles[1]!.capacity['minimum'])).toBeGreaterThan(2);
  expect(r['byGroup']).toEqual([sb.conn.autoscaleSettingName]);
  expect(r['bySubscription']).toEqual([sb.conn.autoscaleSettingName]);
  const metrics = r['metrics'] as { interval: string; names: string[]; points: number[]; units: string[] };
  expect(metrics.interval).toBe('PT1M');
  expect(metrics.names).toEqual(['Requests', 'Http5xx']);
  expect(metrics.units).toEqual(['Count', 'Count']);
  // Ten minutes at PT1M: ten buckets (eleven when the window straddles a minute boundary), all empty.
  expect(metrics.points[0]).toBeGreaterThanOrEqual(10);
  expect(metrics.points[0]).toBeLessThanOrEqual(11);
});

test('slotline ARM client: a full swap LRO (202 + Location polled to 200), sticky settings stay, the second swap rolls back', async () => {
  const run = await runClient(sb, 'swap-lro.ts', actionInputs(true));
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const r = run.result as Record<string, never>;
  expect(r['credentialKind']).toBe('client-secret');
  expect(r['swapStatus']).toBe('succeeded');
  expect(r['polls']).toBeGreaterThanOrEqual(1);
  const afterSwap = r['afterSwap'] as Record<string, never>;
  expect(afterSwap['productionImage']).toBe('DOCKER|ghcr.io/slotline-demo/web:2.0.0');
  expect(afterSwap['stagingImage']).toBe('DOCKER|ghcr.io/slotline-demo/web:1.0.0');
  // FEATURE_BANNER moved with the content; APP_SLOT_LABEL is sticky and stayed with its slot.
  expect(afterSwap['productionSettings']).toMatchObject({
    FEATURE_BANNER: 'on',
    APP_SLOT_LABEL: 'production',
  });
  expect(afterSwap['stagingSettings']).toMatchObject({ FEATURE_BANNER: 'off', APP_SLOT_LABEL: 'staging' });
  expect(afterSwap['slotSwapStatus']).toMatchObject({
    sourceSlotName: 'staging',
    destinationSlotName: 'production',
  });
  expect(r['createdSlot']).toEqual({
    name: `${sb.conn.siteName}/preview`,
    host: `${sb.conn.siteName}-preview.azurewebsites.net`,
  });
  expect(r['afterRollback']).toEqual({
    productionImage: 'DOCKER|ghcr.io/slotline-demo/web:1.0.0',
    stagingImage: 'DOCKER|ghcr.io/slotline-demo/web:2.0.0',
    productionBanner: 'off',
  });
});

test('slotline ARM client signs in with GitHub OIDC when client-secret is empty', async () => {
  const run = await runClient(sb, 'swap-lro.ts', { ...actionInputs(false), ...oidcEnv() });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.result['credentialKind']).toBe('github-oidc');
  expect(run.result['swapStatus']).toBe('succeeded');
});

test('without id-token permission the OIDC sign-in fails with a hint, not a stack', async () => {
  const run = await runClient(sb, 'auth-hint.ts', actionInputs(false));
  expect(run.result['ok']).toBe(false);
  expect(run.result['message']).toMatch(
    /ACTIONS_ID_TOKEN_REQUEST_URL is not set: add 'permissions: id-token: write'/,
  );
});

test('GitHub OIDC in a long job: each short-lived Azure token is bought with a fresh GitHub token', async () => {
  // Tokens that live 60 s are inside MSAL's 5-minute renewal window, so every ARM call needs a new one,
  // as in a job that outlives its first token.
  const shortLived = await startSandbox({ config: { ...FAST, tokenLifetimeSeconds: 60 } });
  try {
    const run = await runClient(shortLived, 'oidc-refresh.ts', {
      'INPUT_SUBSCRIPTION-ID': shortLived.conn.subscriptionId,
      'INPUT_TENANT-ID': shortLived.conn.tenantId,
      'INPUT_CLIENT-ID': shortLived.conn.clientId,
      'INPUT_ARM-ENDPOINT': shortLived.conn.armEndpoint,
      'INPUT_AUTHORITY-HOST': shortLived.conn.authorityHost,
      ACTIONS_ID_TOKEN_REQUEST_URL: shortLived.conn.oidcRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: shortLived.conn.oidcRequestToken,
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.result['audiences']).toEqual(['api://AzureADTokenExchange']);
    expect(run.result['idTokenRequests']).toBeGreaterThanOrEqual(3);
    const githubRequests = shortLived
      .output()
      .split('\n')
      .filter((l) => l.includes('login GET /github/oidc/token 200'));
    expect(githubRequests.length).toBe(run.result['idTokenRequests']);
  } finally {
    await shortLived.stop();
  }
}, 60_000);

test('without client-id the Azure CLI login is used, and its absence is reported as a hint', async () => {
  const run = await runClient(sb, 'auth-hint.ts', {
    'INPUT_SUBSCRIPTION-ID': sb.conn.subscriptionId,
    'INPUT_ARM-ENDPOINT': sb.conn.armEndpoint,
    'INPUT_AUTHORITY-HOST': sb.conn.authorityHost,
    // No az on PATH: the runner image without the CLI, or a job that skipped azure/login.
    PATH: '/nonexistent',
  });
  expect(run.result['ok']).toBe(false);
  expect(run.result['message']).toMatch(
    /^No Azure CLI login to use \(client-id is empty\): .*Run azure\/login earlier in the job, or set client-id and tenant-id\.$/,
  );
});
