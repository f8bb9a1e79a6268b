// One ARM call through the Azure SDK pipeline (slotline's ArmClient or Microsoft's MonitorClient), for the
// fault-injection tests: prints whether it succeeded, how long it took, and what the SDK raised.
import { ArmClient } from '../../../src/lib/azure/arm.js';
import { createAzureCredential } from '../../../src/lib/azure/credential.js';
import { ArmError } from '../../../src/lib/azure/errors.js';
import { readAzureInputs } from '../../../src/lib/azure/inputs.js';
import { createMonitorClient } from '../../../src/lib/azure/monitor.js';
import { getSite, getSiteConfig, swapSlots } from '../../../src/lib/azure/web.js';
import { InputReader } from '../../../src/lib/inputs.js';
import { connection, report } from './connection.js';

await report(async () => {
  const conn = connection();
  const scenario = process.env['SCENARIO'];
  const inputs = readAzureInputs(new InputReader(process.env));
  const credential = await createAzureCredential(inputs);
  // A token first, so the timing below covers only the ARM call.
  await credential.getToken('https://management.azure.com/.default');
  const retries = {
    maxRetries: Number(process.env['RETRIES'] ?? 3),
    retryDelayInMs: 100,
    maxRetryDelayInMs: 2000,
  };
  const client = await ArmClient.create({ credential, inputs, pollIntervalMs: 200, ...retries });
  const production = { resourceGroup: conn.resourceGroup, site: conn.siteName };
  const started = Date.now();
  try {
    let value: unknown;
    if (scenario === 'get-site') value = (await getSite(client, production)).name;
    else if (scenario === 'get-config') value = (await getSiteConfig(client, production)).linuxFxVersion;
    else if (scenario === 'swap') value = await swapSlots(client, production, 'staging');
    else if (scenario === 'create-slot') {
      const path = `/subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Web/sites/${conn.siteName}/slots/doomed`;
      value = await client.longRunning('PUT', path, {
        apiVersion: '2025-05-01',
        body: { location: 'West Europe', properties: {} },
      });
    } else if (scenario === 'monitor-autoscale') {
      const monitor = await createMonitorClient(credential, inputs, retries);
      value = (await monitor.autoscaleSettings.get(conn.resourceGroup, conn.autoscaleSettingName)).name;
    } else throw new Error(`unknown SCENARIO ${scenario}`);
    return { ok: true, value: value ?? null, elapsedMs: Date.now() - started };
  } catch (error) {
    const e = error as Error & { code?: string; statusCode?: number };
    return {
      ok: false,
      elapsedMs: Date.now() - started,
      error: e.message,
      code: e instanceof ArmError ? e.code : e.code,
      status: e instanceof ArmError ? e.status : e.statusCode,
      armError: e instanceof ArmError,
    };
  }
});
