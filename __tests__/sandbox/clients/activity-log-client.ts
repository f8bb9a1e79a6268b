// @azure/arm-monitor's activityLogs.list against the sandbox: every page through nextLink.
import { MonitorClient } from '@azure/arm-monitor';
import { ClientSecretCredential } from '@azure/identity';
import { connection, report } from './connection.js';

await report(async () => {
  const conn = connection();
  const credential = new ClientSecretCredential(conn.tenantId, conn.clientId, conn.clientSecret, {
    authorityHost: conn.authorityHost,
    disableInstanceDiscovery: true,
  });
  const monitor = new MonitorClient(credential, conn.subscriptionId, { endpoint: conn.armEndpoint });
  const operations = new Set<string>();
  const counts = new Set<string>();
  let count = 0;
  for await (const event of monitor.activityLogs.list(process.env['ACTIVITY_LOG_FILTER'] ?? '')) {
    count++;
    operations.add(event.operationName?.localizedValue ?? '');
    counts.add(`${event.properties?.['OldInstancesCount']}->${event.properties?.['NewInstancesCount']}`);
  }
  return { count, operations: [...operations], counts: [...counts] };
});
