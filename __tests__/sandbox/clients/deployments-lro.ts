// slotline's own ARM client (src/lib/azure, @azure/core-lro's poller) against the sandbox's template
// deployments: what-if (202 + Location), a deployment PUT (201 + Azure-AsyncOperation, then the final GET)
// and one that fails (core-lro raises the deployment's error).
import { ArmClient } from '../../../src/lib/azure/arm.js';
import { createAzureCredential } from '../../../src/lib/azure/credential.js';
import { readAzureInputs } from '../../../src/lib/azure/inputs.js';
import { InputReader } from '../../../src/lib/inputs.js';
import { connection, report } from './connection.js';

const API = '2024-03-01';

const template = (planName: string) => ({
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  contentVersion: '1.0.0.0',
  parameters: { prefix: { type: 'string' } },
  resources: [
    {
      type: 'Microsoft.Web/sites',
      apiVersion: '2024-04-01',
      name: "[concat(parameters('prefix'), '-web')]",
      location: '[resourceGroup().location]',
      properties: { serverFarmId: `[resourceId('Microsoft.Web/serverfarms', '${planName}')]` },
    },
    {
      type: 'Microsoft.Insights/components',
      apiVersion: '2020-02-02',
      name: "[concat(parameters('prefix'), '-ai')]",
      location: '[resourceGroup().location]',
      kind: 'web',
      properties: { Application_Type: 'web' },
    },
  ],
  outputs: { ai: { type: 'string', value: "[concat(parameters('prefix'), '-ai')]" } },
});

await report(async () => {
  const conn = connection();
  const inputs = readAzureInputs(new InputReader(process.env));
  const credential = await createAzureCredential(inputs);
  const client = await ArmClient.create({ credential, inputs, pollIntervalMs: 100 });
  const base = `/subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Resources/deployments`;
  const body = (planName: string) => ({
    properties: {
      mode: 'Incremental',
      template: template(planName),
      parameters: { prefix: { value: 'sdk' } },
    },
  });

  const whatIf = await client.longRunning<{
    status: string;
    properties: { changes: { resourceId: string; changeType: string }[] };
  }>('POST', `${base}/sdk/whatIf`, { apiVersion: API, body: body(conn.planName), finalState: 'location' });
  const deployed = await client.longRunning<{ name: string; properties: Record<string, unknown> }>(
    'PUT',
    `${base}/sdk`,
    {
      apiVersion: API,
      body: body(conn.planName),
      finalState: 'azure-async-operation',
    },
  );
  let failure = '';
  try {
    await client.longRunning('PUT', `${base}/sdk-broken`, {
      apiVersion: API,
      body: body('no-such-plan'),
      finalState: 'azure-async-operation',
    });
  } catch (error) {
    failure = (error as Error).message;
  }
  return {
    whatIf: whatIf.properties.changes
      .filter((c) => c.resourceId.includes('/sdk-'))
      .map((c) => `${c.resourceId.split('/').slice(-2).join('/')}=${c.changeType}`),
    name: deployed.name,
    provisioningState: deployed.properties['provisioningState'],
    outputs: deployed.properties['outputs'],
    failure,
  };
});
