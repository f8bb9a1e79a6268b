// Sandbox part 2 through ARM, with real containers: the time from a linuxFxVersion change to the first
// healthy response on the slot's host, and the duration of a slot swap operation (idle and under load).
import { readFileSync } from 'node:fs';
import { call, type Reply, startSandbox, tokenFor } from '../../__tests__/sandbox/helpers.js';
import { startLoad } from '../../sandbox/dataplane/load.js';
import { buildTestImage } from '../../sandbox/testimage/build.js';
import { stateDir } from '../lib/containers.mjs';

const storage = stateDir('sandbox-store');
const images = ['localhost/slotline/testapp:bench-v1', 'localhost/slotline/testapp:bench-v2'];
await buildTestImage(images[0]!, storage, 'v1');
await buildTestImage(images[1]!, storage, 'v2');
const sb = await startSandbox({
  config: {
    operationDurationMs: 300,
    retryAfterSeconds: 1,
    defaults: { resourceGroup: 'b', siteName: 'web', planName: 'plan', autoscaleSettingName: 'none' },
    resourceGroups: [
      {
        name: 'b',
        plans: [{ name: 'plan', sku: { name: 'P1v3', tier: 'PremiumV3', capacity: 2 } }],
        sites: [{ name: 'web', plan: 'plan', slots: [{ name: 'staging' }] }],
      },
    ],
  },
  dataPlane: { timeScale: 60, storageRoot: storage },
});
const ca = readFileSync(sb.conn.caCertPath, 'utf8');
const token = await tokenFor(sb);
const site = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/b/providers/Microsoft.Web/sites/web`;
const arm = (method: string, path: string, body?: unknown): Promise<Reply> =>
  call(sb, method, `${sb.conn.armEndpoint}${path}?api-version=2024-04-01`, {
    token,
    ...(body === undefined ? {} : { body }),
  });
const host = async (slot?: string) =>
  (
    (await arm('GET', slot ? `${site}/slots/${slot}` : site)).body as {
      properties: { defaultHostName: string };
    }
  ).properties.defaultHostName;
async function firstBody(hostName: string, body: string): Promise<void> {
  for (;;) {
    const r = await startLoad({
      url: `https://${hostName}/`,
      concurrency: 1,
      maxDurationMs: 3_000,
      maxRequests: 1,
      ca,
      timeoutMs: 2_000,
    }).done;
    if (r.bodies[body]) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}
async function swapMs(): Promise<number> {
  const started = Date.now();
  const first = await arm('POST', `${site}/slots/staging/slotsswap`, { targetSlot: 'production' });
  let status = first.status;
  while (status === 202) {
    await new Promise((res) => setTimeout(res, 100));
    status = (await call(sb, 'GET', first.headers['location']!, { token })).status;
  }
  if (status !== 200) throw new Error(`swap ended ${status}`);
  return Date.now() - started;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const stagingHost = await host('staging');
  const deployTimes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const started = Date.now();
    await arm('PUT', `${site}/slots/staging/config/appsettings`, { properties: { WEBSITES_PORT: '8080' } });
    await arm('PATCH', `${site}/slots/staging/config/web`, {
      properties: { linuxFxVersion: `DOCKER|${images[i % 2]}`, healthCheckPath: '/healthz' },
    });
    await firstBody(stagingHost, `slotline test app v${(i % 2) + 1}`);
    deployTimes.push(Date.now() - started);
  }
  console.log(
    `linuxFxVersion change → first healthy response (2 instances, local image): median ${median(deployTimes)} ms of ${deployTimes.join(', ')} ms`,
  );
  await arm('PUT', `${site}/config/appsettings`, { properties: { WEBSITES_PORT: '8080' } });
  await arm('PATCH', `${site}/config/web`, {
    properties: { linuxFxVersion: `DOCKER|${images[0]}`, healthCheckPath: '/healthz' },
  });
  await firstBody(await host(), 'slotline test app v1');
  const idle = [await swapMs(), await swapMs(), await swapMs()];
  console.log(
    `swap operation, idle (202 → Location polled every 100 ms → 200): median ${median(idle)} ms of ${idle.join(', ')} ms`,
  );
  const load = startLoad({ url: `https://${await host()}/`, concurrency: 50, maxDurationMs: 60_000, ca });
  await new Promise((res) => setTimeout(res, 1_000));
  const loaded = [await swapMs(), await swapMs()];
  const report = await load.stop();
  console.log(
    `swap operation under 50 connections: ${loaded.join(', ')} ms; ${report.total} requests, ${report.failed} failed`,
  );
} finally {
  await sb.stop();
}
