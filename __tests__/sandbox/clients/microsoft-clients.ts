// Microsoft's own clients against the sandbox, in a process that trusts its CA via NODE_EXTRA_CA_CERTS.
import * as core from '@actions/core';
import { MonitorClient } from '@azure/arm-monitor';
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { connection, report } from './connection.js';

await report(async () => {
  const conn = connection();
  const options = { authorityHost: conn.authorityHost, disableInstanceDiscovery: true };
  const secretCredential = new ClientSecretCredential(
    conn.tenantId,
    conn.clientId,
    conn.clientSecret,
    options,
  );
  const secretToken = await secretCredential.getToken('https://management.azure.com/.default');

  // The runner's path: core.getIDToken() against the emulated GitHub token service, exchanged at Entra ID.
  let assertionCalls = 0;
  const assertionCredential = new ClientAssertionCredential(
    conn.tenantId,
    conn.clientId,
    async () => {
      assertionCalls++;
      return core.getIDToken('api://AzureADTokenExchange');
    },
    options,
  );
  const assertionToken = await assertionCredential.getToken('https://management.azure.com/.default');

  const monitor = new MonitorClient(assertionCredential, conn.subscriptionId, { endpoint: conn.armEndpoint });
  const setting = await monitor.autoscaleSettings.get(conn.resourceGroup, conn.autoscaleSettingName);
  const byGroup: string[] = [];
  for await (const s of monitor.autoscaleSettings.listByResourceGroup(conn.resourceGroup))
    byGroup.push(s.name!);
  const bySubscription: string[] = [];
  for await (const s of monitor.autoscaleSettings.listBySubscription()) bySubscription.push(s.name!);
  const siteUri = `subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Web/sites/${conn.siteName}`;
  const end = new Date();
  const start = new Date(end.getTime() - 10 * 60_000);
  const metrics = await monitor.metrics.list(siteUri, {
    metricnames: 'Requests,Http5xx',
    timespan: `${start.toISOString()}/${end.toISOString()}`,
    interval: 'PT1M',
    aggregation: 'Total',
  });

  const claims = decodeJwt(assertionToken.token);
  return {
    secretTokenAudience: decodeJwt(secretToken.token).aud,
    secretTokenExpiresInMinutes: Math.round((secretToken.expiresOnTimestamp - Date.now()) / 60_000),
    assertionTokenAppId: claims['appid'],
    assertionTokenAcr: claims['appidacr'],
    assertionCalls,
    autoscale: {
      name: setting.name,
      // arm-monitor 8 flattens `properties` onto the resource.
      target: setting.targetResourceUri,
      profiles: setting.profiles.map((p) => ({
        name: p.name,
        capacity: p.capacity,
        rules: p.rules.length,
        recurrence: p.recurrence?.schedule ?? null,
      })),
    },
    byGroup,
    bySubscription,
    metrics: {
      interval: metrics.interval,
      names: metrics.value.map((m) => m.name.value),
      points: metrics.value.map((m) => m.timeseries?.[0]?.data?.length ?? 0),
      units: metrics.value.map((m) => m.unit),
    },
  };
});
