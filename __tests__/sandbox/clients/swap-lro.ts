// slotline's own ARM client (src/lib/azure) against the sandbox: inputs as an action reads them, a full
// slot swap as a long-running operation, and the swap back.
import { ArmClient } from '../../../src/lib/azure/arm.js';
import { createAzureCredential } from '../../../src/lib/azure/credential.js';
import { readAzureInputs } from '../../../src/lib/azure/inputs.js';
import {
  getSite,
  getSiteConfig,
  listAppSettings,
  swapSlots,
  updateAppSettings,
  updateSiteConfig,
} from '../../../src/lib/azure/web.js';
import { InputReader } from '../../../src/lib/inputs.js';
import { connection, report } from './connection.js';

await report(async () => {
  const conn = connection();
  const inputs = readAzureInputs(new InputReader(process.env));
  const credential = await createAzureCredential(inputs);
  const client = await ArmClient.create({ credential, inputs, pollIntervalMs: 200 });
  const production = { resourceGroup: conn.resourceGroup, site: conn.siteName };
  const staging = { ...production, slot: 'staging' };

  await updateSiteConfig(client, staging, { linuxFxVersion: 'DOCKER|ghcr.io/slotline-demo/web:2.0.0' });
  const stagingSettings = await listAppSettings(client, staging);
  await updateAppSettings(client, staging, { ...stagingSettings, FEATURE_BANNER: 'on' });

  const polls: number[] = [];
  const started = Date.now();
  const poller = client.beginLongRunning(
    'POST',
    `/subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Web/sites/${conn.siteName}/slots/staging/slotsswap`,
    {
      apiVersion: '2025-05-01',
      body: { targetSlot: 'production', preserveVnet: true },
      finalState: 'location',
      skipFinalGet: true,
    },
  );
  poller.onProgress((state) => polls.push(Date.now() - started + (state.status === 'running' ? 0 : 0)));
  await poller.pollUntilDone();
  const swapStatus = poller.operationState?.status;

  const afterSwap = {
    productionImage: (await getSiteConfig(client, production)).linuxFxVersion,
    stagingImage: (await getSiteConfig(client, staging)).linuxFxVersion,
    productionSettings: await listAppSettings(client, production),
    stagingSettings: await listAppSettings(client, staging),
    slotSwapStatus: (await getSite(client, production)).properties.slotSwapStatus,
  };

  // Rollback is a second swap of the same pair.
  await swapSlots(client, production, 'staging');
  const afterRollback = {
    productionImage: (await getSiteConfig(client, production)).linuxFxVersion,
    stagingImage: (await getSiteConfig(client, staging)).linuxFxVersion,
    productionBanner: (await listAppSettings(client, production))['FEATURE_BANNER'],
  };

  // A slot created as an LRO: 202 with Azure-AsyncOperation (polled for its status) and Location (the final GET).
  const slotPath = `/subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Web/sites/${conn.siteName}/slots/preview`;
  const created = await client.longRunning<{ name: string; properties: { defaultHostName: string } }>(
    'PUT',
    slotPath,
    {
      apiVersion: '2025-05-01',
      body: { location: 'West Europe', properties: {} },
      finalState: 'location',
    },
  );
  await client.request('DELETE', slotPath, { apiVersion: '2025-05-01' });
  return {
    credentialKind: inputs.credentialKind,
    swapStatus,
    polls: polls.length,
    afterSwap,
    afterRollback,
    createdSlot: { name: created.name, host: created.properties.defaultHostName },
  };
});
