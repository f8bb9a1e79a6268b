import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  admin,
  call,
  FAST,
  type Reply,
  removeDir,
  runClient,
  type SandboxProcess,
  startSandbox,
  tempDir,
  tokenFor,
} from './helpers.js';

// Microsoft.Resources/deployments at resource-group scope: a template with a plan, a site, a slot, an
// autoscale setting (written through the sandbox's own providers) and a storage account (kept as a generic
// document); what-if before and after; validate's refusals; a circular dependsOn; a Reader cannot deploy.

const SCOPED = {
  clientId: 'e4f5a6b7-8c9d-4e0f-9a1b-2c3d4e5f6a70',
  clientSecret: 'scp8Q~deployments-scoped-secret-for-tests-only',
};
const READER = {
  clientId: 'd3e4f5a6-7b8c-4d9e-8f0a-1b2c3d4e5f60',
  clientSecret: 'rdr8Q~deployments-reader-secret-for-tests-only',
};

const SUBSCRIPTION = '7e2f4b3c-1d5a-4f8b-a072-3c9e6d8f0b21';

let sb: SandboxProcess;
let token: string;
let group: string;

const API = 'api-version=2024-03-01';

beforeAll(async () => {
  sb = await startSandbox({
    config: {
      ...FAST,
      subscriptionId: SUBSCRIPTION,
      principals: [
        { name: 'slotline-deployer', role: 'Contributor' },
        { name: 'auditor', role: 'Reader', ...READER },
        {
          // Contributor on one deployment object only: it may PUT the deployment, not the resources in it.
          name: 'deployment-only',
          role: 'Contributor',
          scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/slotline-demo/providers/Microsoft.Resources/deployments/scoped`,
          ...SCOPED,
        },
      ],
    },
  });
  token = await tokenFor(sb);
  group = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}`;
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const TEMPLATE = {
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  contentVersion: '1.0.0.0',
  parameters: {
    siteName: { type: 'string', minLength: 2 },
    planName: { type: 'string', defaultValue: "[concat(parameters('siteName'), '-plan')]" },
    capacity: { type: 'int', defaultValue: 1, minValue: 1, maxValue: 3 },
    alwaysOn: { type: 'bool', defaultValue: true },
    storagePrefix: { type: 'string', defaultValue: 'st', maxLength: 11 },
  },
  variables: {
    planId: "[resourceId('Microsoft.Web/serverfarms', parameters('planName'))]",
    siteId: "[resourceId('Microsoft.Web/sites', parameters('siteName'))]",
    storageName: "[toLower(concat(parameters('storagePrefix'), uniqueString(resourceGroup().id)))]",
  },
  resources: [
    {
      type: 'Microsoft.Web/serverfarms',
      apiVersion: '2024-04-01',
      name: "[parameters('planName')]",
      location: '[resourceGroup().location]',
      kind: 'linux',
      sku: { name: 'S1', tier: 'Standard', capacity: "[parameters('capacity')]" },
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
        siteConfig: { alwaysOn: "[parameters('alwaysOn')]", linuxFxVersion: 'DOCKER|nginx:1.27' },
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
      type: 'Microsoft.Insights/autoscalesettings',
      apiVersion: '2022-10-01',
      name: "[concat(parameters('siteName'), '-autoscale')]",
      location: '[resourceGroup().location]',
      dependsOn: ["[variables('planId')]"],
      properties: {
        enabled: true,
        targetResourceUri: "[variables('planId')]",
        profiles: [{ name: 'Default', capacity: { minimum: '1', maximum: '3', default: '1' }, rules: [] }],
      },
    },
    {
      type: 'Microsoft.Storage/storageAccounts',
      apiVersion: '2026-04-01',
      name: "[variables('storageName')]",
      location: '[resourceGroup().location]',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      properties: { minimumTlsVersion: 'TLS1_2' },
    },
  ],
  outputs: {
    hostName: {
      type: 'string',
      value: "[reference(variables('siteId'), '2024-04-01').defaultHostName]",
    },
    storageName: { type: 'string', value: "[variables('storageName')]" },
  },
};

const deploymentUrl = (name: string, suffix = '') =>
  `${sb.conn.armEndpoint}${group}/providers/Microsoft.Resources/deployments/${name}${suffix}?${API}`;

const body = (parameters: Record<string, unknown>, template: unknown = TEMPLATE) => ({
  properties: {
    mode: 'Incremental',
    template,
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { value: v }])),
  },
});

/** Follow an LRO header until it ends (Azure-AsyncOperation: status in the body; Location: 202 until done). */
async function poll(url: string, seen: string[] = []): Promise<Reply> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const reply = await call(sb, 'GET', url, { token });
    const status = (reply.body as { status?: string } | undefined)?.status;
    if (status) seen.push(status);
    if (reply.status !== 202 && status !== 'Accepted' && status !== 'Running') return reply;
    if (Date.now() > deadline) throw new Error(`LRO did not end: ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function whatIf(parameters: Record<string, unknown>) {
  const started = await call(sb, 'POST', deploymentUrl('iac', '/whatIf'), { token, body: body(parameters) });
  expect(started.status).toBe(202);
  expect(started.headers['location']).toMatch(/\/operationresults\//);
  const done = await poll(started.headers['location']!);
  expect(done.status).toBe(200);
  return done.body as {
    status: string;
    properties: { changes: Change[] };
  };
}

interface Change {
  resourceId: string;
  changeType: string;
  delta?: Record<string, unknown>[];
}

const byType = (changes: Change[], type: string) =>
  changes.filter((c) => c.resourceId.toLowerCase().includes(type.toLowerCase()));

describe('deployments', () => {
  test('what-if before the first deployment: every template resource is Create, the rest Ignore', async () => {
    const result = await whatIf({ siteName: 'iac-web' });
    expect(result.status).toBe('Succeeded');
    const mine = result.properties.changes.filter((c) => /iac-web|\/st[a-z0-9]{13}$/.test(c.resourceId));
    expect(mine.map((c) => c.changeType)).toEqual(['Create', 'Create', 'Create', 'Create', 'Create']);
    // The seeded site is in the group but not in the template: Ignore (incremental mode).
    expect(byType(result.properties.changes, `/sites/${sb.conn.siteName}`)[0]?.changeType).toBe('Ignore');
  });

  test('PUT deploys as an LRO: Accepted, then Running/Succeeded; resources behave as if PUT directly', async () => {
    const put = await call(sb, 'PUT', deploymentUrl('iac'), { token, body: body({ siteName: 'iac-web' }) });
    expect(put.status).toBe(201);
    expect((put.body as { properties: { provisioningState: string } }).properties.provisioningState).toBe(
      'Accepted',
    );
    // While it runs, the same deployment cannot be replaced.
    const again = await call(sb, 'PUT', deploymentUrl('iac'), { token, body: body({ siteName: 'iac-web' }) });
    expect(again.status).toBe(409);
    expect((again.body as { error: { code: string } }).error.code).toBe('DeploymentActive');
    const seen: string[] = [];
    const status = await poll(put.headers['azure-asyncoperation']!, seen);
    expect(status.body).toEqual({ status: 'Succeeded' });
    // The site and slot PUTs are long-running operations of their own, so the deployment is seen Running.
    expect(seen).toContain('Running');
    const got = await call(sb, 'GET', deploymentUrl('iac'), { token });
    const props = (got.body as { properties: Record<string, unknown> }).properties;
    expect(props['provisioningState']).toBe('Succeeded');
    expect(props['outputs']).toEqual({
      hostName: { type: 'String', value: 'iac-web.azurewebsites.net' },
      storageName: { type: 'String', value: expect.stringMatching(/^st[a-z2-7]{13}$/) },
    });
    expect(props['parameters']).toEqual(
      expect.objectContaining({
        siteName: { type: 'String', value: 'iac-web' },
        capacity: { type: 'Int', value: 1 },
      }),
    );
    // The site came from the Web provider: its siteConfig holds what the template set.
    const site = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${group}/providers/Microsoft.Web/sites/iac-web/config/web?${API}`,
      { token },
    );
    expect(site.status).toBe(200);
    expect((site.body as { properties: Record<string, unknown> }).properties).toEqual(
      expect.objectContaining({ alwaysOn: true, linuxFxVersion: 'DOCKER|nginx:1.27' }),
    );
    const slot = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${group}/providers/Microsoft.Web/sites/iac-web/slots/staging?${API}`,
      { token },
    );
    expect(slot.status).toBe(200);
    // The storage account is a generic document GET answers.
    const storageName = (props['outputs'] as { storageName: { value: string } }).storageName.value;
    const storage = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${group}/providers/Microsoft.Storage/storageAccounts/${storageName}?${API}`,
      { token },
    );
    expect(storage.status).toBe(200);
    expect(storage.body).toEqual(
      expect.objectContaining({
        type: 'Microsoft.Storage/storageAccounts',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
        // What the template wrote, plus what Azure's storage provider computes (sandbox computed.ts).
        properties: {
          minimumTlsVersion: 'TLS1_2',
          provisioningState: 'Succeeded',
          primaryEndpoints: expect.objectContaining({
            blob: `https://${storageName}.blob.core.windows.net/`,
          }),
          primaryLocation: 'westeurope',
          statusOfPrimary: 'available',
        },
      }),
    );
    // One operation per resource, in dependency order (plan before site before slot).
    const ops = await call(sb, 'GET', deploymentUrl('iac', '/operations'), { token });
    const value = (
      ops.body as {
        value: { properties: { provisioningState: string; targetResource: { resourceType: string } } }[];
      }
    ).value;
    expect(value.map((o) => o.properties.provisioningState)).toEqual(Array(5).fill('Succeeded'));
    const types = value.map((o) => o.properties.targetResource.resourceType);
    expect(types.indexOf('Microsoft.Web/serverfarms')).toBeLessThan(types.indexOf('Microsoft.Web/sites'));
    expect(types.indexOf('Microsoft.Web/sites')).toBeLessThan(types.indexOf('Microsoft.Web/sites/slots'));
  });

  test('what-if after: NoChange; a changed parameter is Modify with a delta', async () => {
    const same = await whatIf({ siteName: 'iac-web' });
    const mine = same.properties.changes.filter((c) => /iac-web|\/st[a-z0-9]{13}$/.test(c.resourceId));
    expect(mine.map((c) => [c.resourceId.split('/').slice(-2).join('/'), c.changeType])).toEqual([
      ['serverfarms/iac-web-plan', 'NoChange'],
      ['sites/iac-web', 'NoChange'],
      ['slots/staging', 'NoChange'],
      ['autoscalesettings/iac-web-autoscale', 'NoChange'],
      [expect.stringMatching(/^storageAccounts\//), 'NoChange'],
    ]);
    const changed = await whatIf({ siteName: 'iac-web', alwaysOn: false, capacity: 2 });
    const site = byType(changed.properties.changes, '/sites/iac-web').find((c) =>
      c.resourceId.endsWith('iac-web'),
    )!;
    expect(site.changeType).toBe('Modify');
    expect(site.delta).toEqual([
      { path: 'properties.siteConfig.alwaysOn', propertyChangeType: 'Modify', before: true, after: false },
    ]);
    const plan = byType(changed.properties.changes, '/serverfarms/iac-web-plan')[0]!;
    expect(plan.changeType).toBe('Modify');
    expect(plan.delta).toEqual([{ path: 'sku.capacity', propertyChangeType: 'Modify', before: 1, after: 2 }]);
  });

  // ARM's TemplateViolation names the fault's path in the request body (the sandbox leaves out line and column).
  const violation = (path: string) => [{ type: 'TemplateViolation', info: { path } }];

  test('validate: a missing parameter and an unknown function are InvalidTemplate, with the path of the fault', async () => {
    const missing = await call(sb, 'POST', deploymentUrl('check', '/validate'), { token, body: body({}) });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      error: {
        code: 'InvalidTemplate',
        message: expect.stringContaining("The value for the template parameter 'siteName' is not provided"),
        additionalInfo: violation('properties.template.parameters.siteName'),
      },
    });
    const bad = structuredClone(TEMPLATE);
    bad.resources[4]!.properties = { minimumTlsVersion: "[frobnicate('x')]" };
    const unknown = await call(sb, 'POST', deploymentUrl('check', '/validate'), {
      token,
      body: body({ siteName: 'iac-web' }, bad),
    });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { error: { code: string; message: string } }).error).toEqual({
      code: 'InvalidTemplate',
      message: expect.stringContaining("The template function 'frobnicate' is not valid"),
      additionalInfo: violation('properties.template.resources[4].properties.minimumTlsVersion'),
    });
    const complete = body({ siteName: 'iac-web' });
    complete.properties.mode = 'Complete';
    const refused = await call(sb, 'POST', deploymentUrl('check', '/validate'), { token, body: complete });
    expect(refused.status).toBe(400);
    expect((refused.body as { error: { code: string } }).error.code).toBe('InvalidDeploymentMode');
    const ok = await call(sb, 'POST', deploymentUrl('check', '/validate'), {
      token,
      body: body({ siteName: 'iac-web' }),
    });
    expect(ok.status).toBe(200);
    expect(
      (ok.body as { properties: { validatedResources: unknown[] } }).properties.validatedResources,
    ).toHaveLength(5);
  });

  test('a circular dependsOn is refused at validate and at PUT', async () => {
    const template = {
      $schema: TEMPLATE.$schema,
      contentVersion: '1.0.0.0',
      resources: [
        {
          type: 'Microsoft.Storage/storageAccounts',
          apiVersion: '2026-04-01',
          name: 'a',
          dependsOn: ['b'],
          location: 'westeurope',
        },
        {
          type: 'Microsoft.Storage/storageAccounts',
          apiVersion: '2026-04-01',
          name: 'b',
          dependsOn: ['a'],
          location: 'westeurope',
        },
      ],
    };
    for (const [method, suffix] of [
      ['POST', '/validate'],
      ['PUT', ''],
    ] as const) {
      const reply = await call(sb, method, deploymentUrl('loop', suffix), {
        token,
        body: body({}, template),
      });
      expect(reply.status).toBe(400);
      expect((reply.body as { error: { code: string; message: string } }).error).toEqual({
        code: 'InvalidTemplate',
        message: expect.stringContaining(
          `Circular dependency detected on resource: '${group}/providers/Microsoft.Storage/storageAccounts/a'`,
        ),
        additionalInfo: violation('properties.template.resources[0]'),
      });
    }
  });

  test('a Reader can neither deploy nor what-if, but can read the deployment', async () => {
    const reader = await tokenFor(sb, READER.clientId, READER.clientSecret);
    const put = await call(sb, 'PUT', deploymentUrl('reader'), {
      token: reader,
      body: body({ siteName: 'iac-web' }),
    });
    expect(put.status).toBe(403);
    expect((put.body as { error: { code: string; message: string } }).error.message).toContain(
      "'Microsoft.Resources/deployments/write'",
    );
    const wi = await call(sb, 'POST', deploymentUrl('reader', '/whatIf'), {
      token: reader,
      body: body({ siteName: 'iac-web' }),
    });
    expect(wi.status).toBe(403);
    const get = await call(sb, 'GET', deploymentUrl('iac'), { token: reader });
    expect(get.status).toBe(200);
  });

  test('a resource its provider refuses fails the deployment; operations show which and why', async () => {
    const template = {
      ...TEMPLATE,
      parameters: {},
      variables: {},
      outputs: {},
      resources: [
        {
          type: 'Microsoft.Web/sites',
          apiVersion: '2024-04-01',
          name: 'orphan-web',
          location: 'westeurope',
          properties: { serverFarmId: "[resourceId('Microsoft.Web/serverfarms', 'no-such-plan')]" },
        },
      ],
    };
    const put = await call(sb, 'PUT', deploymentUrl('broken'), { token, body: body({}, template) });
    expect(put.status).toBe(201);
    const status = await poll(put.headers['azure-asyncoperation']!);
    expect((status.body as { status: string }).status).toBe('Failed');
    const got = await call(sb, 'GET', deploymentUrl('broken'), { token });
    expect((got.body as { properties: { error: unknown } }).properties.error).toEqual({
      code: 'DeploymentFailed',
      message: expect.stringContaining('At least one resource deployment operation failed'),
      details: [{ code: 'NotFound', message: 'Cannot find ServerFarm with name no-such-plan.' }],
    });
    const list = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${group}/providers/Microsoft.Resources/deployments?${API}`,
      { token },
    );
    const names = (list.body as { value: { name: string }[] }).value.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['iac', 'broken']));
    const ops = await call(sb, 'GET', deploymentUrl('broken', '/operations'), { token });
    expect((ops.body as { value: { properties: Record<string, unknown> }[] }).value[0]!.properties).toEqual(
      expect.objectContaining({ provisioningState: 'Failed', statusCode: 'NotFound' }),
    );
    // DELETE removes the record only.
    expect((await call(sb, 'DELETE', deploymentUrl('broken'), { token })).status).toBe(200);
    const gone = await call(sb, 'GET', deploymentUrl('broken'), { token });
    expect(gone.status).toBe(404);
    expect((gone.body as { error: { code: string } }).error.code).toBe('DeploymentNotFound');
  });

  test("a provider's long-running operation that fails (injected) fails the deployment and is rolled back", async () => {
    const fault = await admin(sb, 'POST', '/faults', {
      type: 'lro-failure',
      method: 'PUT',
      path: '/sites/lro-web$',
      code: 'InternalServerError',
      message: 'injected for the deployments test',
    });
    expect(fault.status).toBe(201);
    const template = {
      ...TEMPLATE,
      parameters: {},
      variables: {},
      outputs: {},
      resources: [
        {
          type: 'Microsoft.Web/sites',
          apiVersion: '2024-04-01',
          name: 'lro-web',
          location: 'westeurope',
          properties: { serverFarmId: `${group}/providers/Microsoft.Web/serverfarms/${sb.conn.planName}` },
        },
      ],
    };
    const put = await call(sb, 'PUT', deploymentUrl('lro'), { token, body: body({}, template) });
    expect(put.status).toBe(201);
    const status = await poll(put.headers['azure-asyncoperation']!);
    expect(status.body).toEqual({
      status: 'Failed',
      error: expect.objectContaining({
        code: 'DeploymentFailed',
        details: [{ code: 'InternalServerError', message: 'injected for the deployments test' }],
      }),
    });
    // The Web provider rolled its write back, as after a direct PUT whose operation failed.
    const site = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${group}/providers/Microsoft.Web/sites/lro-web?${API}`,
      { token },
    );
    expect(site.status).toBe(404);
  });

  test('reference() of an existing site reads what its GET shows (siteConfig included)', async () => {
    const template = {
      $schema: TEMPLATE.$schema,
      contentVersion: '1.0.0.0',
      parameters: { site: { type: 'string' } },
      resources: [],
      outputs: {
        image: {
          type: 'string',
          value:
            "[reference(resourceId('Microsoft.Web/sites', parameters('site')), '2024-04-01').siteConfig.linuxFxVersion]",
        },
      },
    };
    const put = await call(sb, 'PUT', deploymentUrl('read'), {
      token,
      body: body({ site: sb.conn.siteName }, template),
    });
    expect(put.status).toBe(201);
    expect((await poll(put.headers['azure-asyncoperation']!)).body).toEqual({ status: 'Succeeded' });
    const config = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${group}/providers/Microsoft.Web/sites/${sb.conn.siteName}/config/web?${API}`,
      { token },
    );
    const image = (config.body as { properties: { linuxFxVersion: string } }).properties.linuxFxVersion;
    expect(image).toMatch(/^DOCKER\|/);
    const got = await call(sb, 'GET', deploymentUrl('read'), { token });
    expect((got.body as { properties: { outputs: unknown } }).properties.outputs).toEqual({
      image: { type: 'String', value: image },
    });
  });

  test('RBAC is checked for each resource: write on the deployment alone is not enough', async () => {
    const scoped = await tokenFor(sb, SCOPED.clientId, SCOPED.clientSecret);
    const put = await call(sb, 'PUT', deploymentUrl('scoped'), {
      token: scoped,
      body: body({ siteName: 'scoped-web' }),
    });
    expect(put.status).toBe(403);
    expect((put.body as { error: { code: string; message: string } }).error).toEqual({
      code: 'AuthorizationFailed',
      message: expect.stringContaining("'Microsoft.Web/serverfarms/write'"),
    });
  });
});

test("slotline's ARM client (@azure/core-lro's poller) drives what-if, a deployment and a failed one", async () => {
  const run = await runClient(sb, 'deployments-lro.ts', {
    'INPUT_SUBSCRIPTION-ID': sb.conn.subscriptionId,
    'INPUT_TENANT-ID': sb.conn.tenantId,
    'INPUT_CLIENT-ID': sb.conn.clientId,
    'INPUT_CLIENT-SECRET': sb.conn.clientSecret,
    'INPUT_ARM-ENDPOINT': sb.conn.armEndpoint,
    'INPUT_AUTHORITY-HOST': sb.conn.authorityHost,
  });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.result).toEqual({
    whatIf: ['sites/sdk-web=Create', 'components/sdk-ai=Create'],
    name: 'sdk',
    provisioningState: 'Succeeded',
    outputs: { ai: { type: 'String', value: 'sdk-ai' } },
    failure: expect.stringMatching(
      /ended Failed: DeploymentFailed: At least one resource deployment operation failed/,
    ),
  });
  // The Application Insights component is a generic document.
  const ai = await call(
    sb,
    'GET',
    `${sb.conn.armEndpoint}${group}/providers/Microsoft.Insights/components/sdk-ai?api-version=2020-02-02`,
    { token },
  );
  expect(ai.body).toEqual(
    expect.objectContaining({
      kind: 'web',
      properties: expect.objectContaining({
        Application_Type: 'web',
        provisioningState: 'Succeeded',
        ConnectionString: expect.stringMatching(
          /^InstrumentationKey=[0-9a-f-]{36};IngestionEndpoint=https:\/\/westeurope-0\.in\.applicationinsights\.azure\.com\/;/,
        ),
      }),
    }),
  );
});

test('a deployment running when the sandbox stops reads Failed after the restart, and may be deployed again', async () => {
  const stateDir = tempDir('deployments-restart');
  // Long site operations keep the deployment Running while the sandbox stops.
  const config = { ...FAST, operationDurationMs: 60_000 };
  let first: SandboxProcess | undefined = await startSandbox({ stateDir, config });
  let second: SandboxProcess | undefined;
  try {
    const bearer = await tokenFor(first);
    const rg = `/subscriptions/${first.conn.subscriptionId}/resourceGroups/${first.conn.resourceGroup}`;
    const url = `${first.conn.armEndpoint}${rg}/providers/Microsoft.Resources/deployments/cut?${API}`;
    const put = await call(first, 'PUT', url, { token: bearer, body: body({ siteName: 'cut-web' }) });
    expect(put.status).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    const running = await call(first, 'GET', url, { token: bearer });
    expect((running.body as { properties: { provisioningState: string } }).properties.provisioningState).toBe(
      'Running',
    );
    await first.stop();
    first = undefined;
    second = await startSandbox({ stateDir, config: FAST });
    const token2 = await tokenFor(second);
    const url2 = `${second.conn.armEndpoint}${rg}/providers/Microsoft.Resources/deployments/cut?${API}`;
    const after = await call(second, 'GET', url2, { token: token2 });
    expect((after.body as { properties: Record<string, unknown> }).properties).toEqual(
      expect.objectContaining({
        provisioningState: 'Failed',
        error: expect.objectContaining({
          message: expect.stringContaining('stopped while this deployment was running'),
        }),
      }),
    );
    const again = await call(second, 'PUT', url2, { token: token2, body: body({ siteName: 'cut-web' }) });
    expect(again.status).toBe(200);
  } finally {
    await first?.stop();
    await second?.stop();
    removeDir(stateDir);
  }
}, 60_000);

test('computed properties, listKeys and role assignments: what Azure computes, with RBAC as in Azure', async () => {
  const redisId = `${group}/providers/Microsoft.Cache/redis/keys-redis`;
  const secretId = `${group}/providers/Microsoft.KeyVault/vaults/kvkeys/secrets/redis-url`;
  const template = {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    resources: [
      {
        type: 'Microsoft.Cache/redis',
        apiVersion: '2024-11-01',
        name: 'keys-redis',
        location: 'westeurope',
        // What Microsoft's schemas require (the sandbox checks them, as Azure's providers would).
        properties: { sku: { name: 'Basic', family: 'C', capacity: 0 } },
      },
      {
        type: 'Microsoft.KeyVault/vaults',
        apiVersion: '2026-02-01',
        name: 'kvkeys',
        location: 'westeurope',
        properties: { tenantId: '[subscription().tenantId]', sku: { family: 'A', name: 'standard' } },
      },
      {
        type: 'Microsoft.KeyVault/vaults/secrets',
        apiVersion: '2026-02-01',
        name: 'kvkeys/redis-url',
        dependsOn: ['keys-redis', 'kvkeys'],
        properties: {
          value:
            "[format('rediss://:{0}@{1}:6380/0', uriComponent(listKeys(resourceId('Microsoft.Cache/redis', 'keys-redis'), '2024-11-01').primaryKey), reference(resourceId('Microsoft.Cache/redis', 'keys-redis'), '2024-11-01').hostName)]",
        },
      },
    ],
    outputs: {
      secretUri: {
        type: 'string',
        value:
          "[reference(resourceId('Microsoft.KeyVault/vaults/secrets', 'kvkeys', 'redis-url'), '2026-02-01').secretUri]",
      },
      subnet: { type: 'string', value: "[cidrSubnet('10.10.0.0/16', 24, 2)]" },
    },
  };
  const put = await call(sb, 'PUT', deploymentUrl('keys'), {
    token,
    body: { properties: { mode: 'Incremental', template } },
  });
  expect(put.status).toBe(201);
  const done = await poll(put.headers['azure-asyncoperation']!);
  expect(done.body).toMatchObject({ status: 'Succeeded' });
  const record = await call(sb, 'GET', deploymentUrl('keys'), { token });
  expect((record.body as { properties: { outputs: unknown } }).properties.outputs).toEqual({
    secretUri: { type: 'String', value: 'https://kvkeys.vault.azure.net/secrets/redis-url' },
    subnet: { type: 'String', value: '10.10.2.0/24' },
  });
  // What-if of the same template, with a value for a read-only property: NoChange (Azure ignores both).
  const readOnly = structuredClone(template);
  (readOnly.resources[0] as { properties: Record<string, unknown> }).properties.hostName = 'elsewhere';
  const started = await call(sb, 'POST', deploymentUrl('keys', '/whatIf'), {
    token,
    body: { properties: { mode: 'Incremental', template: readOnly } },
  });
  expect(started.status).toBe(202);
  const predicted = (await poll(started.headers['location']!)).body as { properties: { changes: Change[] } };
  expect(
    predicted.properties.changes
      .filter((c) => /keys-redis|kvkeys/.test(c.resourceId))
      .map((c) => c.changeType),
  ).toEqual(['NoChange', 'NoChange', 'NoChange']);
  // listKeys over REST: Contributor may, twice the same keys; Reader may not; no other list action.
  const keysUrl = `${sb.conn.armEndpoint}${redisId}/listKeys?api-version=2024-11-01`;
  const keys = await call(sb, 'POST', keysUrl, { token });
  expect(keys.status).toBe(200);
  const { primaryKey } = keys.body as { primaryKey: string; secondaryKey: string };
  expect(primaryKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  expect((await call(sb, 'POST', keysUrl, { token })).body).toEqual(keys.body);
  const reader = await tokenFor(sb, READER.clientId, READER.clientSecret);
  const denied = await call(sb, 'POST', keysUrl, { token: reader });
  expect(denied.status).toBe(403);
  expect(denied.text).toContain("'Microsoft.Cache/redis/listKeys/action'");
  const other = await call(sb, 'POST', keysUrl.replace('/listKeys', '/listSecrets'), { token });
  expect(other.status).toBe(404);
  // The secret's value (it holds the key) is write-only: GET never returns it.
  const secret = await call(sb, 'GET', `${sb.conn.armEndpoint}${secretId}?api-version=2026-02-01`, { token });
  expect(secret.status).toBe(200);
  expect(secret.text).not.toContain(encodeURIComponent(primaryKey).slice(0, 20));
  expect(secret.body).toMatchObject({
    properties: { secretUri: 'https://kvkeys.vault.azure.net/secrets/redis-url' },
  });
  expect(sb.output()).not.toContain(primaryKey);
  // A role assignment needs Microsoft.Authorization/roleAssignments/write: Contributor's NotActions.
  const assign = {
    ...template,
    resources: [
      {
        type: 'Microsoft.Authorization/roleAssignments',
        apiVersion: '2022-04-01',
        name: "[guid('keys')]",
        scope: 'Microsoft.Cache/redis/keys-redis',
        properties: { roleDefinitionId: 'x', principalId: '00000000-0000-0000-0000-000000000000' },
      },
    ],
    outputs: {},
  };
  const refused = await call(sb, 'PUT', deploymentUrl('assign'), {
    token,
    body: { properties: { template: assign } },
  });
  expect(refused.status).toBe(403);
  expect(refused.text).toContain(
    `'Microsoft.Authorization/roleAssignments/write' over scope '${redisId}/providers/Microsoft.Authorization/roleAssignments/`,
  );
});
