import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { call, FAST, type Reply, type SandboxProcess, startSandbox, tokenFor } from './helpers.js';

// Action groups and metric alert rules through ARM (control plane): PUT validated against the official
// schema and the service's rules, GET, lists, DELETE, RBAC; a template deployment routes both through
// this provider and keeps scheduled query rules, workbooks and diagnostic settings as generic documents.

const READER = {
  clientId: 'a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  clientSecret: 'rdr8Q~alert-rules-reader-secret-for-tests-only',
};

let sb: SandboxProcess;
let token: string;
let group: string;
let site: string;
const API = 'api-version=2023-01-01';

beforeAll(async () => {
  sb = await startSandbox({
    config: {
      ...FAST,
      principals: [
        { name: 'deployer', role: 'Contributor' },
        { name: 'auditor', role: 'Reader', ...READER },
      ],
    },
  });
  token = await tokenFor(sb);
  group = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}`;
  site = `${group}/providers/Microsoft.Web/sites/${sb.conn.siteName}`;
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const arm = (method: string, path: string, body?: unknown, as = token): Promise<Reply> =>
  call(sb, method, `${sb.conn.armEndpoint}${path}${path.includes('?') ? '&' : '?'}${API}`, {
    token: as,
    ...(body === undefined ? {} : { body }),
  });

const actionGroup = (over: Record<string, unknown> = {}) => ({
  location: 'Global',
  properties: {
    groupShortName: 'oncall',
    enabled: true,
    webhookReceivers: [
      { name: 'pagerduty', serviceUri: 'http://127.0.0.1:9/pd?key=k', useCommonAlertSchema: true },
    ],
    smsReceivers: [{ name: 'lead', countryCode: '44', phoneNumber: '7700900123' }],
    ...over,
  },
});

const metricAlert = (over: Record<string, unknown> = {}, criterion: Record<string, unknown> = {}) => ({
  location: 'global',
  properties: {
    severity: 1,
    enabled: true,
    scopes: [site],
    evaluationFrequency: 'PT1M',
    windowSize: 'PT5M',
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion',
          name: 'Http5xx',
          metricName: 'Http5xx',
          operator: 'GreaterThan',
          threshold: 25,
          timeAggregation: 'Total',
          ...criterion,
        },
      ],
    },
    actions: [{ actionGroupId: `${group}/providers/Microsoft.Insights/actionGroups/oncall` }],
    ...over,
  },
});

const error = (r: Reply) => (r.body as { error: { code: string; message: string } }).error;

describe('action groups and metric alerts', () => {
  test('PUT, GET, list and DELETE, with Azure defaults in the answer', async () => {
    const ag = `${group}/providers/Microsoft.Insights/actionGroups/oncall`;
    const put = await arm('PUT', ag, actionGroup());
    expect(put.status).toBe(201);
    const body = put.body as { properties: Record<string, unknown[]> };
    expect(body.properties['webhookReceivers']).toEqual([
      expect.objectContaining({ name: 'pagerduty', useCommonAlertSchema: true, useAadAuth: false }),
    ]);
    expect(body.properties['smsReceivers']).toEqual([expect.objectContaining({ status: 'Enabled' })]);
    expect(body.properties['emailReceivers']).toEqual([]);
    expect((await arm('PUT', ag, actionGroup())).status).toBe(200);

    const rule = `${group}/providers/Microsoft.Insights/metricAlerts/http5xx`;
    const created = await arm('PUT', `${rule}?api-version=2026-01-01`, metricAlert());
    expect(created.status).toBe(200);
    const got = await arm('GET', rule);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id: rule,
      type: 'Microsoft.Insights/metricAlerts',
      location: 'global',
      properties: {
        severity: 1,
        autoMitigate: true,
        targetResourceType: 'Microsoft.Web/sites',
        scopes: [site],
      },
    });
    const listed = await arm('GET', `${group}/providers/Microsoft.Insights/metricAlerts`);
    expect((listed.body as { value: { id: string }[] }).value.map((r) => r.id)).toEqual([rule]);
    const inSub = await arm(
      'GET',
      `/subscriptions/${sb.conn.subscriptionId}/providers/Microsoft.Insights/actionGroups`,
    );
    expect((inSub.body as { value: { id: string }[] }).value.map((r) => r.id)).toEqual([ag]);

    expect((await arm('DELETE', rule)).status).toBe(200);
    expect((await arm('DELETE', rule)).status).toBe(204);
    const gone = await arm('GET', rule);
    expect(gone.status).toBe(404);
    expect(error(gone).code).toBe('ResourceNotFound');
  });

  test('bodies the schema or the service refuses: 400 with the input named', async () => {
    const ag = `${group}/providers/Microsoft.Insights/actionGroups/bad`;
    const long = await arm('PUT', ag, actionGroup({ groupShortName: 'much-too-long-name' }));
    expect(long.status).toBe(400);
    expect(error(long)).toMatchObject({ code: 'InvalidRequestContent' });
    expect(error(long).message).toMatch(/groupShortName/);
    const noUri = await arm('PUT', ag, actionGroup({ webhookReceivers: [{ name: 'x' }] }));
    expect(error(noUri).message).toMatch(/webhookReceivers\[0\].*serviceUri/);

    const rule = `${group}/providers/Microsoft.Insights/metricAlerts/bad`;
    const cases: [Record<string, unknown>, Record<string, unknown>, RegExp][] = [
      [{ severity: 5 }, {}, /severity must be 0, 1, 2, 3 or 4/],
      [{ evaluationFrequency: 'PT2M' }, {}, /evaluationFrequency must be one of/],
      [{ windowSize: 'PT1M', evaluationFrequency: 'PT5M' }, {}, /windowSize must not be shorter/],
      [{}, { metricName: 'CpuPercentage' }, /Couldn't find a metric named 'CpuPercentage'/],
      [{}, { operator: 'NotEquals' }, /criteria\.allOf\[0\]\.operator must be one of/],
      [{}, { timeAggregation: 'Median' }, /allOf\[0\]\.timeAggregation must be one of/],
    ];
    for (const [over, criterion, message] of cases) {
      const reply = await arm('PUT', rule, metricAlert(over, criterion));
      expect([reply.status, error(reply).message]).toEqual([400, expect.stringMatching(message)]);
    }
    const regional = await arm('PUT', rule, { ...metricAlert(), location: 'westeurope' });
    expect(error(regional).message).toMatch(/location must be 'global'/);
    // skipMetricValidation lets a rule name a metric the resource does not emit (yet).
    expect(
      (await arm('PUT', rule, metricAlert({}, { metricName: 'Custom', skipMetricValidation: true }))).status,
    ).toBe(200);
  });

  test('a Reader may read, not write', async () => {
    const reader = await tokenFor(sb, READER.clientId, READER.clientSecret);
    const put = await arm(
      'PUT',
      `${group}/providers/Microsoft.Insights/actionGroups/r`,
      actionGroup(),
      reader,
    );
    expect(put.status).toBe(403);
    expect(error(put).code).toBe('AuthorizationFailed');
    expect(
      (await arm('GET', `${group}/providers/Microsoft.Insights/actionGroups`, undefined, reader)).status,
    ).toBe(200);
  });

  test('a deployment writes action groups and metric alerts through the provider, the other monitoring types as documents', async () => {
    const template = {
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      parameters: { siteId: { type: 'string' } },
      resources: [
        {
          type: 'Microsoft.Insights/actionGroups',
          apiVersion: '2023-01-01',
          name: 'deployed-ag',
          ...actionGroup(),
        },
        {
          type: 'Microsoft.Insights/metricAlerts',
          apiVersion: '2026-01-01',
          name: 'deployed-5xx',
          dependsOn: ["[resourceId('Microsoft.Insights/actionGroups', 'deployed-ag')]"],
          ...metricAlert({
            scopes: ["[parameters('siteId')]"],
            actions: [{ actionGroupId: "[resourceId('Microsoft.Insights/actionGroups', 'deployed-ag')]" }],
          }),
        },
        {
          type: 'Microsoft.Insights/scheduledQueryRules',
          apiVersion: '2026-03-01',
          name: 'deployed-log-alert',
          location: 'westeurope',
          properties: {
            severity: 2,
            enabled: true,
            scopes: ["[parameters('siteId')]"],
            evaluationFrequency: 'PT5M',
          },
        },
        {
          type: 'Microsoft.Insights/workbooks',
          apiVersion: '2023-06-01',
          name: '0c5d2b8e-7a1f-4c3e-9b6d-2f8a1e4c7b90',
          location: 'westeurope',
          kind: 'shared',
          properties: {
            displayName: 'Ops',
            serializedData: '{"version":"Notebook/1.0","items":[]}',
            category: 'workbook',
          },
        },
        {
          type: 'Microsoft.Web/sites/providers/diagnosticSettings',
          apiVersion: '2021-05-01-preview',
          name: `${sb.conn.siteName}/Microsoft.Insights/app-logs`,
          properties: { logs: [{ category: 'AppServiceHTTPLogs', enabled: true }] },
        },
      ],
    };
    const url = `${group}/providers/Microsoft.Resources/deployments/monitoring?api-version=2024-03-01`;
    const put = await call(sb, 'PUT', `${sb.conn.armEndpoint}${url}`, {
      token,
      body: { properties: { mode: 'Incremental', template, parameters: { siteId: { value: site } } } },
    });
    expect([put.status, put.status === 201 ? '' : put.text]).toEqual([201, '']);
    let state = '';
    const deadline = Date.now() + 20_000;
    let deployment: Reply | undefined;
    while (!['Succeeded', 'Failed'].includes(state) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      deployment = await call(sb, 'GET', `${sb.conn.armEndpoint}${url}`, { token });
      state = (deployment.body as { properties: { provisioningState: string } }).properties.provisioningState;
    }
    expect([state, deployment?.text]).toEqual(['Succeeded', expect.any(String)]);
    // The provider's own answer (isMigrated, targetResourceType), not a stored document.
    const rule = await arm('GET', `${group}/providers/Microsoft.Insights/metricAlerts/deployed-5xx`);
    expect(rule.body).toMatchObject({
      properties: { isMigrated: false, targetResourceType: 'Microsoft.Web/sites', severity: 1 },
    });
    const ag = await arm('GET', `${group}/providers/Microsoft.Insights/actionGroups/deployed-ag`);
    expect(ag.body).toMatchObject({ properties: { groupShortName: 'oncall', emailReceivers: [] } });
    const log = await arm(
      'GET',
      `${group}/providers/Microsoft.Insights/scheduledQueryRules/deployed-log-alert`,
    );
    expect(log.body).toMatchObject({ properties: { severity: 2, provisioningState: 'Succeeded' } });
    const workbook = await arm(
      'GET',
      `${group}/providers/Microsoft.Insights/workbooks/0c5d2b8e-7a1f-4c3e-9b6d-2f8a1e4c7b90`,
    );
    expect(workbook.body).toMatchObject({ kind: 'shared', properties: { displayName: 'Ops' } });
    const diagnostics = await arm('GET', `${site}/providers/Microsoft.Insights/diagnosticSettings/app-logs`);
    expect([diagnostics.status, diagnostics.text]).toEqual([
      200,
      expect.stringContaining('AppServiceHTTPLogs'),
    ]);

    // The provider's validation applies to a deployment too: a metric the site lacks fails it.
    const badTemplate = {
      ...template,
      resources: [{ ...template.resources[1], dependsOn: [], name: 'bad-metric' }],
    };
    (badTemplate.resources[0] as { properties: { criteria: { allOf: { metricName: string }[] } } }).properties
      .criteria.allOf[0]!.metricName = 'CpuPercentage';
    const bad = await call(sb, 'PUT', `${sb.conn.armEndpoint}${url.replace('monitoring', 'bad')}`, {
      token,
      body: {
        properties: { mode: 'Incremental', template: badTemplate, parameters: { siteId: { value: site } } },
      },
    });
    expect(bad.status).toBe(201);
    let failed: Reply | undefined;
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      failed = await call(sb, 'GET', `${sb.conn.armEndpoint}${url.replace('monitoring', 'bad')}`, { token });
      if (
        (failed.body as { properties: { provisioningState: string } }).properties.provisioningState ===
        'Failed'
      )
        break;
    }
    expect(failed?.text).toMatch(/Couldn't find a metric named 'CpuPercentage'/);
  });
});
