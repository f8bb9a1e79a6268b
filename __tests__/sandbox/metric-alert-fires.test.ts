import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { type GateSandbox, startGateSandbox } from '../helpers/gate-sandbox.js';
import { type StartedServer, startServer } from '../helpers/servers.js';
import { waitFor, waitForValue } from '../helpers/wait.js';

// A real alert from real traffic: the sandbox with its data plane (--time-scale 60, a podman container of
// the busybox test image per slot), an action group and a Sev0 metric alert on the canary (staging slot)
// deployed by an ARM template, the canary made to fail (ERROR_RATE 1), HTTPS traffic through its front
// door, and a local HTTP receiver standing in for PagerDuty: it gets the common-schema Fired payload, the
// Alerts Management API shows the alert Fired, and once the errors stop it gets Resolved.

let gs: GateSandbox;
let stopped = false;
let pagerduty: StartedServer;
const received: { path: string; body: CommonAlert }[] = [];

interface CommonAlert {
  schemaId: string;
  data: {
    essentials: Record<string, unknown>;
    alertContext: {
      condition: { allOf: Record<string, unknown>[]; windowStartTime: string; windowEndTime: string };
    };
    customProperties: Record<string, string> | null;
  };
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (d) => {
      text += d;
    });
    req.on('end', () => resolve(text));
  });

beforeAll(async () => {
  pagerduty = await startServer(async (req, res) => {
    received.push({ path: req.url ?? '', body: JSON.parse(await readBody(req)) as CommonAlert });
    res.statusCode = 202;
    res.end('{"status":"success"}');
  });
  gs = await startGateSandbox({ capacity: 1 });
}, 180_000);

afterAll(async () => {
  if (!stopped) await gs?.stop();
  await pagerduty?.close();
});

const conditionOf = (r: { body: CommonAlert }) => r.body.data.essentials['monitorCondition'];

test('the canary fails under real traffic: a Sev0 alert fires to PagerDuty, shows in the Alerts Management API, and resolves when the errors stop', async () => {
  const group = `/subscriptions/${gs.conn.subscriptionId}/resourceGroups/${gs.resourceGroup}`;
  const template = {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { canaryId: { type: 'string' }, pagerdutyUri: { type: 'securestring' } },
    resources: [
      {
        type: 'Microsoft.Insights/actionGroups',
        apiVersion: '2023-01-01',
        name: 'critical',
        location: 'Global',
        properties: {
          groupShortName: 'critical',
          enabled: true,
          webhookReceivers: [
            { name: 'pagerduty', serviceUri: "[parameters('pagerdutyUri')]", useCommonAlertSchema: true },
          ],
          smsReceivers: [{ name: 'on-call', countryCode: '44', phoneNumber: '7700900123' }],
        },
      },
      {
        type: 'Microsoft.Insights/metricAlerts',
        apiVersion: '2026-01-01',
        name: 'canary-http5xx',
        location: 'global',
        dependsOn: ["[resourceId('Microsoft.Insights/actionGroups', 'critical')]"],
        properties: {
          description: 'The canary answers 5xx.',
          severity: 0,
          enabled: true,
          scopes: ["[parameters('canaryId')]"],
          evaluationFrequency: 'PT1M',
          windowSize: 'PT5M',
          autoMitigate: true,
          criteria: {
            'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
            allOf: [
              {
                criterionType: 'StaticThresholdCriterion',
                name: 'Http5xx',
                metricName: 'Http5xx',
                metricNamespace: 'Microsoft.Web/sites/slots',
                operator: 'GreaterThan',
                threshold: 20,
                timeAggregation: 'Total',
              },
            ],
          },
          actions: [
            {
              actionGroupId: "[resourceId('Microsoft.Insights/actionGroups', 'critical')]",
              webHookProperties: { service: 'slotline-canary' },
            },
          ],
        },
      },
    ],
  };
  const deployment = `${group}/providers/Microsoft.Resources/deployments/alerts`;
  const put = await gs.arm('PUT', deployment, {
    properties: {
      mode: 'Incremental',
      template,
      parameters: {
        canaryId: { value: gs.ids.staging },
        // PagerDuty's integration key travels in the query string: it must never be logged.
        pagerdutyUri: { value: `${pagerduty.url}/integration/enqueue?routing_key=PD-SECRET-KEY` },
      },
    },
  });
  expect(put.status).toBe(201);
  await waitFor(
    async () =>
      ((await gs.arm('GET', deployment)).body as { properties: { provisioningState: string } }).properties
        .provisioningState === 'Succeeded',
    { timeoutMs: 20_000, intervalMs: 100, what: 'the alert deployment to succeed' },
  );
  const ruleId = `${group}/providers/Microsoft.Insights/metricAlerts/canary-http5xx`;

  // Healthy traffic first: no alert.
  const healthy = await gs.load(gs.hosts.staging, { concurrency: 2, durationMs: 10_000, requests: 40 }).done;
  expect(healthy.failed).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  expect(received).toEqual([]);

  // The canary fails: every app request answers 500.
  await gs.setSlotSettings('staging', { ERROR_RATE: '1' });
  const failing = gs.load(gs.hosts.staging, { concurrency: 2, durationMs: 60_000 });
  const fired = await waitForValue(() => received.find((r) => conditionOf(r) === 'Fired'), {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: 'PagerDuty to receive a Fired alert',
  });
  const report = await failing.stop();
  expect(report.failures['status 500']).toBeGreaterThan(20);

  expect(fired.path).toBe('/integration/enqueue?routing_key=PD-SECRET-KEY');
  expect(fired.body.schemaId).toBe('azureMonitorCommonAlertSchema');
  const essentials = fired.body.data.essentials;
  expect(essentials).toMatchObject({
    alertRule: 'canary-http5xx',
    severity: 'Sev0',
    signalType: 'Metric',
    monitorCondition: 'Fired',
    monitoringService: 'Platform',
    alertTargetIDs: [gs.ids.staging.toLowerCase()],
    description: 'The canary answers 5xx.',
  });
  const condition = fired.body.data.alertContext.condition;
  expect(condition.allOf).toEqual([
    expect.objectContaining({
      metricName: 'Http5xx',
      operator: 'GreaterThan',
      threshold: '20',
      timeAggregation: 'Total',
      metricValue: expect.any(Number),
    }),
  ]);
  expect(condition.allOf[0]!['metricValue'] as number).toBeGreaterThan(20);
  // The window is PT5M compressed 60 times: five seconds.
  expect(Date.parse(condition.windowEndTime) - Date.parse(condition.windowStartTime)).toBe(5_000);
  expect(fired.body.data.customProperties).toEqual({ service: 'slotline-canary' });

  // The Alerts Management API shows the same alert, Fired.
  const alertId = String(essentials['alertId']);
  expect(alertId).toMatch(
    new RegExp(
      `^/subscriptions/${gs.conn.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/[0-9a-f-]{36}$`,
    ),
  );
  const list = await gs.arm(
    'GET',
    `/subscriptions/${gs.conn.subscriptionId}/providers/Microsoft.AlertsManagement/alerts?api-version=2019-05-05-preview&monitorCondition=Fired`,
  );
  expect(list.status).toBe(200);
  const listed = (
    list.body as { value: { id: string; properties: { essentials: Record<string, unknown> } }[] }
  ).value;
  expect(listed.map((a) => a.id)).toEqual([alertId]);
  expect(listed[0]!.properties.essentials).toMatchObject({
    severity: 'Sev0',
    signalType: 'Metric',
    alertState: 'New',
    monitorCondition: 'Fired',
    monitorService: 'Platform',
    targetResource: gs.ids.staging,
    alertRule: ruleId,
    startDateTime: essentials['firedDateTime'],
  });

  // The errors stop: the window empties, and three clear evaluations later the alert resolves.
  const resolved = await waitForValue(() => received.find((r) => conditionOf(r) === 'Resolved'), {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: 'PagerDuty to receive the Resolved alert',
  });
  expect(resolved.body.data.essentials).toMatchObject({ alertId, monitorCondition: 'Resolved' });
  expect(received.filter((r) => conditionOf(r) === 'Fired')).toHaveLength(1);
  const one = await gs.arm('GET', `${alertId}?api-version=2019-05-05-preview`);
  expect(
    (one.body as { properties: { essentials: Record<string, unknown> } }).properties.essentials,
  ).toMatchObject({
    monitorCondition: 'Resolved',
    monitorConditionResolvedDateTime: resolved.body.data.essentials['resolvedDateTime'],
  });

  // The on-call SMS went to the outbox, never off the machine; the integration key is in no log or record.
  const outbox = (await gs.admin('GET', '/alerts/notifications')).body as {
    value: { receiverType: string; monitorCondition: string; status: string; severity: string; to: string }[];
  };
  expect(
    outbox.value
      .filter((n) => n.receiverType === 'sms')
      .map((n) => [n.monitorCondition, n.status, n.severity, n.to]),
  ).toEqual([
    ['Fired', 'Recorded', 'Sev0', '+44 7700900123'],
    ['Resolved', 'Recorded', 'Sev0', '+44 7700900123'],
  ]);
  expect(JSON.stringify(outbox)).not.toContain('PD-SECRET-KEY');
  expect(gs.sb.output()).toContain('alerts: canary-http5xx fired');
  expect(gs.sb.output()).not.toContain('PD-SECRET-KEY');

  // The engine stops with the data plane: a clean exit.
  stopped = true;
  expect(await gs.stop()).toBe(0);
}, 180_000);
