import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { runBundle, type StepResult } from '../helpers/runner.js';
import { call, FAST, type SandboxProcess, signInInputs, startSandbox, tokenFor } from '../sandbox/helpers.js';

// Issue 16: deploy-infra's committed bundle, run as the runner runs it, against the sandbox's
// Microsoft.Resources/deployments (control plane, no containers): what-if changes nothing, deploy creates
// the plan, site and slot through the sandbox's own Web provider and stores the storage account, a
// forbidden change type stops a deploy before anything changes, and a template ARM refuses fails
// validation with nothing created. The secure parameter never reaches the log or the summary.

const SECRET = 'Pw-9f3c1e7a-never-in-a-log';

const TEMPLATE = {
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  contentVersion: '1.0.0.0',
  parameters: {
    siteName: { type: 'string', minLength: 2 },
    alwaysOn: { type: 'bool', defaultValue: true },
    adminPassword: { type: 'securestring' },
  },
  variables: {
    planId: "[resourceId('Microsoft.Web/serverfarms', concat(parameters('siteName'), '-plan'))]",
    siteId: "[resourceId('Microsoft.Web/sites', parameters('siteName'))]",
  },
  resources: [
    {
      type: 'Microsoft.Web/serverfarms',
      apiVersion: '2024-04-01',
      name: "[concat(parameters('siteName'), '-plan')]",
      location: '[resourceGroup().location]',
      kind: 'linux',
      sku: { name: 'P1v3', tier: 'PremiumV3', capacity: 2 },
      properties: { reserved: true },
    },
    {
      type: 'Microsoft.Web/sites',
      apiVersion: '2024-04-01',
      name: "[parameters('siteName')]",
      location: '[resourceGroup().location]',
      dependsOn: ["[variables('planId')]"],
      properties: {
        serverFarmId: "[variables('planId')]",
        httpsOnly: true,
        siteConfig: { alwaysOn: "[parameters('alwaysOn')]", healthCheckPath: '/healthz' },
      },
    },
    {
      type: 'Microsoft.Web/sites/slots',
      apiVersion: '2024-04-01',
      name: "[format('{0}/{1}', parameters('siteName'), 'staging')]",
      location: '[resourceGroup().location]',
      dependsOn: ["[variables('siteId')]"],
      properties: { serverFarmId: "[variables('planId')]" },
    },
    {
      type: 'Microsoft.Storage/storageAccounts',
      apiVersion: '2026-04-01',
      name: "[toLower(concat('st', uniqueString(resourceGroup().id)))]",
      location: '[resourceGroup().location]',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      properties: { minimumTlsVersion: 'TLS1_2', supportsHttpsTrafficOnly: true },
    },
  ],
  outputs: {
    siteHostName: { type: 'string', value: "[reference(variables('siteId')).defaultHostName]" },
    password: { type: 'securestring', value: "[parameters('adminPassword')]" },
  },
};

let sb: SandboxProcess;
let token: string;
let workspace: string;

beforeAll(async () => {
  sb = await startSandbox({ config: { ...FAST } });
  token = await tokenFor(sb);
  workspace = mkdtempSync(join(tmpdir(), 'slotline-deploy-infra-'));
  writeFileSync(join(workspace, 'main.json'), JSON.stringify(TEMPLATE, null, 2));
  writeFileSync(
    join(workspace, 'params.json'),
    JSON.stringify({
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
      contentVersion: '1.0.0.0',
      parameters: { siteName: { value: 'infra-web' }, adminPassword: { value: SECRET } },
    }),
  );
  writeFileSync(
    join(workspace, 'broken.json'),
    JSON.stringify({
      ...TEMPLATE,
      resources: TEMPLATE.resources.map((r) =>
        r.type === 'Microsoft.Web/sites' ? { ...r, tags: { owner: "[frobnicate('a')]" } } : r,
      ),
    }),
  );
}, 60_000);

afterAll(async () => {
  await sb?.stop();
  rmSync(workspace, { recursive: true, force: true });
});

function deployInfra(inputs: Record<string, string>): Promise<StepResult> {
  const c = sb.conn;
  return runBundle(
    'deploy-infra',
    {
      ...signInInputs(c),
      'resource-group': c.resourceGroup,
      template: 'main.json',
      parameters: 'params.json',
      ...inputs,
    },
    {
      NODE_EXTRA_CA_CERTS: c.caCertPath,
      GITHUB_WORKSPACE: workspace,
      GITHUB_RUN_ID: '42',
      GITHUB_RUN_ATTEMPT: '1',
    },
    90_000,
  );
}

const site = async () =>
  call(
    sb,
    'GET',
    `${sb.conn.armEndpoint}/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}/providers/Microsoft.Web/sites/infra-web?api-version=2024-04-01`,
    { token },
  );

function expectNoSecret(result: StepResult) {
  for (const text of [result.log, result.summary, JSON.stringify(result.outputs)])
    expect(text).not.toContain(SECRET);
}

test('what-if: four creations predicted, nothing created', async () => {
  const result = await deployInfra({ operation: 'what-if' });
  expect({ code: result.exitCode, log: result.log.slice(-1500) }).toMatchObject({ code: 0 });
  expect(JSON.parse(result.outputs['changes']!)).toMatchObject({ Create: 4 });
  expect(result.summary).toMatch(/infra-web/);
  expect((await site()).status).toBe(404);
  expectNoSecret(result);
});

test('deploy: the sandbox creates plan, site and slot through its Web provider; outputs without the secure one', async () => {
  const result = await deployInfra({});
  expect({ code: result.exitCode, log: result.log.slice(-1500) }).toMatchObject({ code: 0 });
  expect(result.outputs['provisioning-state']).toBe('Succeeded');
  expect(result.outputs['deployment-id']).toMatch(
    /\/providers\/Microsoft\.Resources\/deployments\/main-42-1$/,
  );
  const outputs = JSON.parse(result.outputs['outputs']!) as Record<string, unknown>;
  // The control plane's host name (with the data plane, the slot's 127.0.0.1:<port>).
  expect(outputs['siteHostName']).toBe('infra-web.azurewebsites.net');
  expect(outputs).not.toHaveProperty('password');
  const created = await site();
  expect(created.status).toBe(200);
  expect(created.body).toMatchObject({
    properties: { httpsOnly: true, siteConfig: { healthCheckPath: '/healthz' } },
  });
  expectNoSecret(result);
});

test('a change fail-on-change-types forbids stops the deploy before anything changes', async () => {
  const result = await deployInfra({
    'parameter-overrides': 'alwaysOn: false',
    'fail-on-change-types': 'Modify',
    'deployment-name': 'guarded',
  });
  expect(result.exitCode).toBe(1);
  expect(result.log).toMatch(/::error::.*fail-on-change-types/);
  expect(
    ((await site()).body as { properties: { siteConfig: { alwaysOn: boolean } } }).properties.siteConfig
      .alwaysOn,
  ).toBe(true);
  expectNoSecret(result);
});

test('a template ARM refuses fails validation, naming the function, with nothing deployed', async () => {
  const result = await deployInfra({ template: 'broken.json', 'deployment-name': 'broken' });
  expect(result.exitCode).toBe(1);
  expect(result.log).toMatch(/::error::.*frobnicate/);
  const record = await call(
    sb,
    'GET',
    `${sb.conn.armEndpoint}/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}/providers/Microsoft.Resources/deployments/broken?api-version=2024-03-01`,
    { token },
  );
  expect(record.status).toBe(404);
  expectNoSecret(result);
});
