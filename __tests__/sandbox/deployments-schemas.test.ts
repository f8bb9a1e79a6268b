import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { defaultConfig } from '../../sandbox/config.js';
import { repoRoot } from '../helpers/runner.js';
import { call, FAST, type Reply, type SandboxProcess, startSandbox, tokenFor } from './helpers.js';

// Issue 16: "every other type is validated against Microsoft's resource schema for its api-version and
// stored". Resources of types no sandbox provider serves are checked at validate, what-if and PUT against
// the vendored schemas (sandbox/arm-schemas); a broken one fails with ARM's InvalidTemplateDeployment, the
// resource's id as target and the path of the fault. infra/main.json (dev) and infra/operations.json, with
// main's resource ids, validate and deploy.

const GROUP = 'rg-slotline-dev';
const API = 'api-version=2024-03-01';

let sb: SandboxProcess;
let token: string;
let group: string;

beforeAll(async () => {
  const base = defaultConfig();
  sb = await startSandbox({
    config: {
      ...FAST,
      defaults: { resourceGroup: GROUP, siteName: 'none', planName: 'none', autoscaleSettingName: 'none' },
      resourceGroups: [{ name: GROUP }],
      // infra/main.json assigns roles: Contributor may not, as in Azure.
      principals: base.principals.map((p, i) =>
        i === 0
          ? {
              ...p,
              additionalRoles: [
                {
                  role: 'User Access Administrator',
                  scope: `/subscriptions/{subscription}/resourceGroups/${GROUP}`,
                },
              ],
            }
          : p,
      ),
    },
  });
  token = await tokenFor(sb);
  group = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${GROUP}`;
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const url = (name: string, suffix = '') =>
  `${sb.conn.armEndpoint}${group}/providers/Microsoft.Resources/deployments/${name}${suffix}?${API}`;

const template = (resources: unknown[], parameters: Record<string, unknown> = {}) => ({
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  contentVersion: '1.0.0.0',
  parameters,
  resources,
});

const deployment = (t: unknown, parameters: Record<string, unknown> = {}) => ({
  properties: {
    mode: 'Incremental',
    template: t,
    parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { value: v }])),
  },
});

async function poll(location: string): Promise<Reply> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await call(sb, 'GET', location, { token });
    const status = (reply.body as { status?: string } | undefined)?.status;
    if (reply.status !== 202 && status !== 'Accepted' && status !== 'Running') return reply;
    if (Date.now() > deadline) throw new Error(`LRO did not end: ${location}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** PUT a deployment and wait for its end: the deployment record. */
async function deploy(name: string, body: unknown): Promise<Record<string, unknown>> {
  const put = await call(sb, 'PUT', url(name), { token, body });
  if (put.status !== 201 && put.status !== 200) throw new Error(`PUT ${name}: ${put.status} ${put.text}`);
  await poll(put.headers['azure-asyncoperation']!);
  return (await call(sb, 'GET', url(name), { token })).body as Record<string, unknown>;
}

const storage = (properties: Record<string, unknown>) => ({
  type: 'Microsoft.Storage/storageAccounts',
  apiVersion: '2026-04-01',
  name: 'stschemacheck01',
  location: 'westeurope',
  kind: 'StorageV2',
  sku: { name: 'Standard_LRS' },
  properties,
});
const workspace = {
  type: 'Microsoft.OperationalInsights/workspaces',
  apiVersion: '2025-07-01',
  name: 'log-schemas',
  location: 'westeurope',
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 },
};
const table = (properties: Record<string, unknown>) => ({
  type: 'Microsoft.OperationalInsights/workspaces/tables',
  apiVersion: '2025-07-01',
  name: 'log-schemas/AppAudit_CL',
  dependsOn: ['log-schemas'],
  properties,
});
const workbook = (serializedData: unknown) => ({
  type: 'Microsoft.Insights/workbooks',
  apiVersion: '2023-06-01',
  name: '8f3c2a51-7d4e-4b6a-9c1f-2e5d7a9b0c3d',
  location: 'westeurope',
  kind: 'shared',
  properties: { displayName: 'Schemas', category: 'workbook', serializedData },
});

interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
  details?: ErrorDetail[];
  additionalInfo?: { type: string; info: { templatePath: string; faults: { path: string }[] } }[];
}

/** The inner errors of a preflight refusal (InvalidTemplateDeployment > PreflightValidationCheckFailed > …). */
function preflightDetails(reply: Reply): ErrorDetail[] {
  const error = (reply.body as { error: ErrorDetail }).error;
  expect([reply.status, error.code]).toEqual([400, 'InvalidTemplateDeployment']);
  expect(error.message).toMatch(
    /^The template deployment '[^']+' is not valid according to the validation procedure\. The tracking id is '[0-9a-f-]{36}'\./,
  );
  expect(error.details).toHaveLength(1);
  expect(error.details![0]).toMatchObject({ code: 'PreflightValidationCheckFailed' });
  return error.details![0]!.details!;
}

describe('generic resources against their schema', () => {
  test.each([
    [
      'a storage account with supportsHttpsTrafficOnly "yes"',
      [storage({ supportsHttpsTrafficOnly: 'yes' })],
      0,
      'Microsoft.Storage/storageAccounts/stschemacheck01',
      'properties.supportsHttpsTrafficOnly',
      'must be boolean',
    ],
    [
      'a workbook whose serializedData is an object',
      [workbook({ version: 'Notebook/1.0', items: [] })],
      0,
      'Microsoft.Insights/workbooks/8f3c2a51-7d4e-4b6a-9c1f-2e5d7a9b0c3d',
      'properties.serializedData',
      'must be string',
    ],
    [
      'a workspace table with totalRetentionInDays 99999',
      [workspace, table({ totalRetentionInDays: 99999 })],
      1,
      'Microsoft.OperationalInsights/workspaces/log-schemas/tables/AppAudit_CL',
      'properties.totalRetentionInDays',
      'must be <= 4383',
    ],
    [
      'a log alert with severity "high"',
      [
        {
          type: 'Microsoft.Insights/scheduledQueryRules',
          apiVersion: '2026-03-01',
          name: 'alert-schemas',
          location: 'westeurope',
          properties: { severity: 'high', scopes: [], criteria: { allOf: [] } },
        },
      ],
      0,
      'Microsoft.Insights/scheduledQueryRules/alert-schemas',
      'properties.severity',
      'must be integer',
    ],
    [
      'a diagnostic setting (the older nested form) whose logs is a string',
      [
        {
          type: 'Microsoft.Web/sites/providers/diagnosticSettings',
          apiVersion: '2021-05-01-preview',
          name: 'web-schemas/Microsoft.Insights/app-logs',
          properties: { logs: 'all' },
        },
      ],
      0,
      'Microsoft.Web/sites/web-schemas/providers/Microsoft.Insights/diagnosticSettings/app-logs',
      'properties.logs',
      'must be array',
    ],
  ])(
    '%s fails at validate, what-if and PUT, naming the resource and the path',
    async (_, resources, index, id, path, why) => {
      const body = deployment(template(resources));
      const validate = await call(sb, 'POST', url('bad', '/validate'), { token, body });
      const [detail, ...more] = preflightDetails(validate);
      expect(more).toEqual([]);
      expect(detail).toMatchObject({ code: 'InvalidRequestContent', target: `${group}/providers/${id}` });
      expect(detail!.message).toContain(`resources[${index}]`);
      expect(detail!.message).toContain(`'${path}' ${why}`);
      expect(detail!.additionalInfo![0]!.info).toMatchObject({
        templatePath: `resources[${index}]`,
        faults: [{ path, reason: why }],
      });
      // What-if and PUT run the same preflight, and nothing is written.
      const whatIf = await call(sb, 'POST', url('bad', '/whatIf'), { token, body });
      expect(preflightDetails(whatIf)[0]!.target).toBe(detail!.target);
      const put = await call(sb, 'PUT', url('bad'), { token, body });
      expect(preflightDetails(put)[0]!.target).toBe(detail!.target);
      expect(
        (await call(sb, 'GET', `${sb.conn.armEndpoint}${detail!.target}?${API}`, { token })).status,
      ).toBe(404);
    },
  );

  test('every faulty resource is listed; a value from a parameter is checked once evaluated', async () => {
    const t = template([storage({ supportsHttpsTrafficOnly: "[parameters('https')]" }), workbook(42)], {
      https: { type: 'string', defaultValue: 'yes' },
    });
    const reply = await call(sb, 'POST', url('two', '/validate'), { token, body: deployment(t) });
    const details = preflightDetails(reply);
    expect(details.map((d) => d.additionalInfo![0]!.info.templatePath)).toEqual([
      'resources[0]',
      'resources[1]',
    ]);
    const ok = await call(sb, 'POST', url('two', '/validate'), {
      token,
      body: deployment(
        template([storage({ supportsHttpsTrafficOnly: "[parameters('https')]" }), workbook('{}')], {
          https: { type: 'bool', defaultValue: true },
        }),
      ),
    });
    expect(ok.status).toBe(200);
  });

  test('valid resources validate and deploy, and GET returns them', async () => {
    const resources = [
      storage({ supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' }),
      workspace,
      table({ totalRetentionInDays: 365, plan: 'Analytics' }),
      workbook('{"version":"Notebook/1.0","items":[]}'),
    ];
    const body = deployment(template(resources));
    const validate = await call(sb, 'POST', url('good', '/validate'), { token, body });
    expect(validate.status).toBe(200);
    expect(
      (validate.body as { properties: { validatedResources: unknown[] } }).properties.validatedResources,
    ).toHaveLength(4);
    const record = await deploy('good', body);
    expect((record['properties'] as { provisioningState: string }).provisioningState).toBe('Succeeded');
    const got = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${group}/providers/Microsoft.OperationalInsights/workspaces/log-schemas/tables/AppAudit_CL?api-version=2025-07-01`,
      { token },
    );
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ properties: { totalRetentionInDays: 365, plan: 'Analytics' } });
  });

  test('reference() of a resource the deployment creates is unknown at validate, and checked when it deploys', async () => {
    // customerId is a GUID string: the wrong type for retentionInDays. Preflight cannot know it (as ARM's cannot).
    const t = template([
      { ...workspace, name: 'log-later' },
      {
        ...table({
          retentionInDays:
            "[reference(resourceId('Microsoft.OperationalInsights/workspaces', 'log-later'), '2025-07-01').customerId]",
        }),
        name: 'log-later/Later_CL',
        dependsOn: ['log-later'],
      },
    ]);
    const validate = await call(sb, 'POST', url('later', '/validate'), { token, body: deployment(t) });
    expect(validate.status).toBe(200);
    const record = await deploy('later', deployment(t));
    expect(record['properties']).toMatchObject({
      provisioningState: 'Failed',
      error: { code: 'DeploymentFailed', details: [{ code: 'InvalidRequestContent' }] },
    });
    const ops = await call(sb, 'GET', url('later', '/operations'), { token });
    const failed = (
      ops.body as {
        value: { properties: { statusCode?: string; statusMessage?: { error: { message: string } } } }[];
      }
    ).value.find((o) => o.properties.statusCode === 'BadRequest')!;
    expect(failed.properties.statusMessage!.error.message).toContain(
      "'properties.retentionInDays' must be integer",
    );
  });

  test('an api-version outside the subset is NoRegisteredProviderFound; an unknown type names the subset', async () => {
    const old = await call(sb, 'POST', url('versions', '/validate'), {
      token,
      body: deployment(template([{ ...storage({}), apiVersion: '2023-05-01' }])),
    });
    expect(old.status).toBe(400);
    expect((old.body as { error: ErrorDetail }).error).toEqual({
      code: 'NoRegisteredProviderFound',
      target: `${group}/providers/Microsoft.Storage/storageAccounts/stschemacheck01`,
      message: expect.stringContaining(
        "No registered resource provider found for location 'westeurope' and API version '2023-05-01' for type 'storageAccounts'. The supported api-versions are '2026-04-01'",
      ),
    });
    const unknown = await call(sb, 'POST', url('versions', '/validate'), {
      token,
      body: deployment(template([{ ...storage({}), type: 'Microsoft.Storage/storageAcounts' }])),
    });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { error: ErrorDetail }).error).toMatchObject({
      code: 'InvalidResourceType',
      message: expect.stringContaining('sandbox/arm-schemas'),
    });
  });
});

describe('infra templates', () => {
  const readJson = (path: string) =>
    JSON.parse(readFileSync(join(repoRoot, 'infra', path), 'utf8')) as Record<string, unknown>;
  let main: Record<string, unknown>;

  test('infra/main.json with dev parameters validates and deploys', async () => {
    const objectId = String(
      (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { oid: string }).oid,
    );
    const dev = readJson('parameters/dev.json') as { parameters: Record<string, { value: unknown }> };
    const parameters = {
      ...Object.fromEntries(Object.entries(dev.parameters).map(([k, v]) => [k, v.value])),
      containerImage: 'localhost/slotline/testapp:infra',
      pipelinePrincipalId: objectId,
      postgresAdministratorPassword: 'Pg-schemas-test-only/+1',
    };
    const body = deployment(readJson('main.json'), parameters);
    let started = performance.now();
    const validate = await call(sb, 'POST', url('main', '/validate'), { token, body });
    const first = performance.now() - started;
    expect([validate.status, validate.status === 200 ? '' : validate.text]).toEqual([200, '']);
    started = performance.now();
    expect((await call(sb, 'POST', url('main', '/validate'), { token, body })).status).toBe(200);
    // Most of main.json's generic types are compiled on this first use (storage and workspaces were above).
    console.log(
      `validate infra/main.json: first ${first.toFixed(0)} ms, again ${(performance.now() - started).toFixed(0)} ms`,
    );
    main = await deploy('main', body);
    expect([
      (main['properties'] as { provisioningState: string }).provisioningState,
      JSON.stringify((main['properties'] as { error?: unknown }).error ?? ''),
    ]).toEqual(['Succeeded', '""']);
  }, 120_000);

  test('infra/operations.json with main.json resource ids validates and deploys', async () => {
    expect(main).toBeDefined();
    const props = main['properties'] as {
      outputs: Record<string, { value: string }>;
      outputResources: { id: string }[];
    };
    const ids = props.outputResources.map((r) => r.id);
    const idOf = (pattern: RegExp) => {
      const found = ids.filter((id) => pattern.test(id));
      expect([pattern.source, found.length]).toEqual([pattern.source, 1]);
      return found[0]!;
    };
    const ops = readJson('parameters/operations/dev.json') as {
      parameters: Record<string, { value: unknown }>;
    };
    const parameters = {
      ...Object.fromEntries(Object.entries(ops.parameters).map(([k, v]) => [k, v.value])),
      workspaceResourceId: props.outputs['workspaceResourceId']!.value,
      siteResourceId: idOf(/\/Microsoft\.Web\/sites\/[^/]+$/i),
      appServicePlanResourceId: idOf(/\/Microsoft\.Web\/serverfarms\/[^/]+$/i),
      postgresServerResourceId: idOf(/\/Microsoft\.DBforPostgreSQL\/flexibleServers\/[^/]+$/i),
      redisResourceId: idOf(/\/Microsoft\.Cache\/redis\/[^/]+$/i),
      keyVaultResourceId: idOf(/\/Microsoft\.KeyVault\/vaults\/[^/]+$/i),
      frontDoorProfileResourceId: idOf(/\/Microsoft\.Cdn\/profiles\/[^/]+$/i),
      complianceStorageAccountResourceId: props.outputs['complianceStorageAccountResourceId']!.value,
    };
    const body = deployment(readJson('operations.json'), parameters);
    const validate = await call(sb, 'POST', url('operations', '/validate'), { token, body });
    expect([validate.status, validate.status === 200 ? '' : validate.text]).toEqual([200, '']);
    const record = await deploy('operations', body);
    const state = record['properties'] as {
      provisioningState: string;
      error?: unknown;
      outputResources: unknown[];
    };
    expect([state.provisioningState, JSON.stringify(state.error ?? '')]).toEqual(['Succeeded', '""']);
    expect(state.outputResources.length).toBeGreaterThanOrEqual(20);
  }, 120_000);
});
