import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  INFRA_GROUP,
  INFRA_IMAGE_BODY,
  INFRA_PASSWORD,
  type InfraSandbox,
  servedBodies,
  startInfraSandbox,
} from '../helpers/infra-sandbox.js';
import { runBundle, type StepResult } from '../helpers/runner.js';
import { requireTool } from '../helpers/tools.js';
import { call, signInInputs, tokenFor } from '../sandbox/helpers.js';

// Issue 16 end to end: infra/main.json with infra/parameters/dev.json, deployed to the sandbox (with real
// containers) by deploy-infra's bundle as the runner runs it. Only what a deployment must be given is
// overridden: the image (one the sandbox can run), the pipeline's object id and the PostgreSQL password. The
// site serves the container the template names; a second run's what-if predicts no change
// (fail-on-change-types Create, Delete, Modify passes), and a changed parameter is caught by the same guard.
//
// dev.json turns autoscale off (B1 plan, no setting). The last test redeploys with appServicePlanSku S1 and
// autoscaleEnabled true, as staging and prod have them, and verify-autoscale's default policy must pass
// against the setting the template wrote.

const AUTOSCALE = { appServicePlanSku: 'S1', autoscaleEnabled: true };

let env: InfraSandbox;
let deployed: StepResult;
let deploySeconds: number;

const armGet = async (id: string, apiVersion: string) =>
  call(env.sb, 'GET', `${env.sb.conn.armEndpoint}${id}?api-version=${apiVersion}`, {
    token: await tokenFor(env.sb),
  });

function expectNoSecret(result: StepResult, secrets: string[]) {
  for (const text of [result.log, result.summary, JSON.stringify(result.outputs)])
    for (const s of secrets) expect(text).not.toContain(s);
}

beforeAll(async () => {
  requireTool('buildah');
  requireTool('podman');
  env = await startInfraSandbox();
  const started = performance.now();
  deployed = await env.deployInfra({ 'parameter-overrides': env.overrides() });
  deploySeconds = (performance.now() - started) / 1000;
  console.log(`deploy-infra: dev (infra/main.json) deployed to the sandbox in ${deploySeconds.toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
  await env?.stop();
});

test('deploy: the action succeeds and its outputs hold the template outputs', () => {
  if (deployed.exitCode !== 0) console.log(deployed.log);
  expect(deployed.exitCode).toBe(0);
  expect(deployed.outputs['provisioning-state']).toBe('Succeeded');
  const outputs = JSON.parse(deployed.outputs['outputs']!) as Record<string, string>;
  expect(outputs).toMatchObject({
    appName: expect.stringMatching(/^app-slotline-dev-[a-z0-9]{6}$/),
    planName: 'plan-slotline-dev',
    slotName: '',
    autoscaleSettingName: '',
    registryLoginServer: expect.stringMatching(/^crslotlinedev[a-z0-9]{13}\.azurecr\.io$/),
    keyVaultName: expect.stringMatching(/^kvdev[a-z0-9]{13}$/),
    staticAssetsHostName: expect.stringMatching(
      /^static-slotline-dev-[a-z0-9]{6}-[a-z0-9]{16}\.z01\.azurefd\.net$/,
    ),
    appInsightsResourceId: expect.stringMatching(
      /\/providers\/Microsoft\.Insights\/components\/appi-slotline-dev$/,
    ),
  });
  expect(deployed.summary).toMatch(/#### Deployment: Succeeded/);
  expectNoSecret(deployed, [INFRA_PASSWORD]);
});

test('the site runs the container the template names and answers HTTPS at its defaultHostName', async () => {
  const outputs = JSON.parse(deployed.outputs['outputs']!) as Record<string, string>;
  const id = `/subscriptions/${env.sb.conn.subscriptionId}/resourceGroups/${INFRA_GROUP}/providers/Microsoft.Web/sites/${outputs['appName']}`;
  const site = await armGet(id, '2024-11-01');
  expect(site.status).toBe(200);
  const props = (site.body as { properties: Record<string, unknown> }).properties;
  const host = String(props['defaultHostName']);
  expect(await servedBodies(host, env.sb.conn.caCertPath)).toEqual([INFRA_IMAGE_BODY]);
});

test('the password and the Redis key the template lists reach no log, summary, output or GET', async () => {
  const group = `/subscriptions/${env.sb.conn.subscriptionId}/resourceGroups/${INFRA_GROUP}`;
  const token = await tokenFor(env.sb);
  const suffix = /^app-slotline-dev-([a-z0-9]{6})$/.exec(
    (JSON.parse(deployed.outputs['outputs']!) as Record<string, string>)['appName']!,
  )![1];
  const keys = await call(
    env.sb,
    'POST',
    `${env.sb.conn.armEndpoint}${group}/providers/Microsoft.Cache/redis/redis-slotline-dev-${suffix}/listKeys?api-version=2024-11-01`,
    { token },
  );
  expect(keys.status).toBe(200);
  const { primaryKey } = keys.body as { primaryKey: string };
  expect(primaryKey.length).toBeGreaterThan(40);
  const secrets = [INFRA_PASSWORD, primaryKey, encodeURIComponent(primaryKey)];
  expectNoSecret(deployed, secrets);
  for (const s of secrets) expect(env.sb.output()).not.toContain(s);
  const keyVault = (JSON.parse(deployed.outputs['outputs']!) as Record<string, string>)['keyVaultName'];
  for (const name of ['database-url', 'redis-url']) {
    const secret = await armGet(
      `${group}/providers/Microsoft.KeyVault/vaults/${keyVault}/secrets/${name}`,
      '2026-02-01',
    );
    expect(secret.status).toBe(200);
    for (const s of secrets) expect(secret.text).not.toContain(s);
  }
});

test('a second run: what-if predicts no change, so fail-on-change-types Create, Delete, Modify passes', async () => {
  const result = await env.deployInfra({
    'parameter-overrides': env.overrides(),
    operation: 'what-if',
    'fail-on-change-types': 'Create, Delete, Modify',
  });
  if (result.exitCode !== 0) console.log(`${result.log}\n${result.summary}`);
  expect(result.exitCode).toBe(0);
  const counts = JSON.parse(result.outputs['changes']!) as Record<string, number>;
  expect(Object.keys(counts).filter((t) => t !== 'NoChange' && t !== 'Ignore')).toEqual([]);
  expect(counts['NoChange']).toBeGreaterThan(40);
  expect(result.summary).toMatch(/#### What-if: NoChange \d+/);
  expect(result.summary).not.toMatch(/\| (Create|Modify|Delete) \|/);
  expectNoSecret(result, [INFRA_PASSWORD]);
});

test('the same guard stops a run whose parameters would change a resource', async () => {
  const result = await env.deployInfra({
    'parameter-overrides': env.overrides({ logRetentionDays: 60 }),
    operation: 'what-if',
    'fail-on-change-types': 'Create, Delete, Modify',
  });
  expect(result.exitCode).toBe(1);
  expect(result.log).toMatch(
    /::error::.*Modify Microsoft\.OperationalInsights\/workspaces\/log-slotline-dev/,
  );
  expect(result.summary).toMatch(/retentionInDays/);
});

test("with autoscale on, verify-autoscale's default policy passes against the setting the template deployed", async () => {
  const redeployed = await env.deployInfra({
    'parameter-overrides': env.overrides(AUTOSCALE),
    'deployment-name': 'main-autoscale',
  });
  expect({ code: redeployed.exitCode, log: redeployed.log.slice(-3000) }).toMatchObject({ code: 0 });
  const outputs = JSON.parse(redeployed.outputs['outputs']!) as Record<string, string>;
  expect(outputs['autoscaleSettingName']).toBe('autoscale-slotline-dev');
  const c = env.sb.conn;
  const result = await runBundle(
    'verify-autoscale',
    {
      ...signInInputs(c),
      'resource-group': INFRA_GROUP,
      'app-name': outputs['appName']!,
      mode: 'policy',
    },
    { NODE_EXTRA_CA_CERTS: c.caCertPath },
    120_000,
  );
  expect({ code: result.exitCode, log: result.log.slice(-3000) }).toMatchObject({ code: 0 });
  expect(result.log).toContain('autoscale-slotline-dev');
});
