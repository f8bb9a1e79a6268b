import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { type LoadReport, startLoad } from '../../sandbox/dataplane/load.js';
import { buildTestImage } from '../../sandbox/testimage/build.js';
import { stateDir } from '../../scripts/lib/containers.mjs';
import { runBundle, type StepResult } from '../helpers/runner.js';
import { sleep } from '../helpers/servers.js';
import { requireTool } from '../helpers/tools.js';
import { call, type SandboxProcess, signInInputs, startSandbox, tokenFor } from '../sandbox/helpers.js';

// deploy-slot end to end against the sandbox with its data plane: every slot runs real podman containers
// of the busybox test app behind the TLS front door at its ARM defaultHostName, swaps warm up the source
// and switch routing atomically, and rampUpRules route production traffic. The bundle runs as a child
// process with INPUT_* env, as on a runner, while the test sends continuous load to production.

// Container stores are large: under $SLOTLINE_STATE_DIR, outside the work tree.
const storage = stateDir('deploy-slot-store');
const V1 = 'localhost/slotline/testapp:ds-v1';
const V2 = 'localhost/slotline/testapp:ds-v2';
const V3 = 'localhost/slotline/testapp:ds-v3';
const body = (version: string) => `slotline test app ${version}`;
// CRASH_AFTER is a slot setting (sticky): production's is small, the slot's large. A release whose app
// settings carry FAILURE_MODE=crash-after is healthy in the slot and falls over under production traffic.
const config = {
  operationDurationMs: 300,
  retryAfterSeconds: 1,
  defaults: {
    resourceGroup: 'e2e',
    siteName: 'web',
    planName: 'plan',
    autoscaleSettingName: 'web-autoscale',
  },
  resourceGroups: [
    {
      name: 'e2e',
      plans: [{ name: 'plan', sku: { name: 'P1v3', tier: 'PremiumV3', capacity: 2 } }],
      sites: [
        {
          name: 'web',
          plan: 'plan',
          linuxFxVersion: `DOCKER|${V1}`,
          healthCheckPath: '/healthz',
          appSettings: { WEBSITES_PORT: '8080', SLOT_NAME: 'production', CRASH_AFTER: '4' },
          stickyAppSettings: ['SLOT_NAME', 'CRASH_AFTER'],
          slots: [
            {
              name: 'staging',
              linuxFxVersion: `DOCKER|${V1}`,
              healthCheckPath: '/healthz',
              appSettings: { WEBSITES_PORT: '8080', SLOT_NAME: 'staging', CRASH_AFTER: '1000000' },
            },
          ],
        },
      ],
    },
  ],
};

let sb: SandboxProcess;
let ca: string;
let hosts: { production: string; staging: string };

async function host(slot?: string): Promise<string> {
  const token = await tokenFor(sb);
  const id = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/e2e/providers/Microsoft.Web/sites/web${slot ? `/slots/${slot}` : ''}`;
  const reply = await call(sb, 'GET', `${sb.conn.armEndpoint}${id}?api-version=2024-04-01`, { token });
  return (reply.body as { properties: { defaultHostName: string } }).properties.defaultHostName;
}

/** Bodies one host answers to `requests` sequential GETs of `/`. */
async function sample(hostName: string, requests: number): Promise<LoadReport> {
  return startLoad({
    url: `https://${hostName}/`,
    concurrency: 4,
    maxDurationMs: 30_000,
    maxRequests: requests,
    ca,
  }).done;
}

async function waitForBody(hostName: string, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const report = await sample(hostName, 4);
    if (report.bodies[text] === report.total) return;
    await sleep(250);
  }
  throw new Error(`${hostName} did not serve "${text}" within ${timeoutMs} ms`);
}

function deploySlot(inputs: Record<string, string>): Promise<StepResult> {
  return runBundle(
    'deploy-slot',
    {
      ...signInInputs(sb.conn),
      'resource-group': 'e2e',
      'app-name': 'web',
      'health-timeout': '60s',
      ...inputs,
    },
    { NODE_EXTRA_CA_CERTS: sb.conn.caCertPath },
    180_000,
  );
}

const errorLine = (step: StepResult) =>
  step.log
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .pop() ?? '';

beforeAll(async () => {
  requireTool('buildah');
  requireTool('podman');
  await buildTestImage(V1, storage, 'v1');
  await buildTestImage(V2, storage, 'v2');
  await buildTestImage(V3, storage, 'v3');
  sb = await startSandbox({ config, dataPlane: { timeScale: 60, storageRoot: storage } });
  ca = readFileSync(sb.conn.caCertPath, 'utf8');
  hosts = { production: await host(), staging: await host('staging') };
  await waitForBody(hosts.production, body('v1'));
  await waitForBody(hosts.staging, body('v1'));
}, 180_000);

afterAll(async () => {
  await sb?.stop();
});

test('release of a good image under continuous load: 0 failed requests, production serves it, the slot holds the old one', async () => {
  const load = startLoad({ url: `https://${hosts.production}/`, concurrency: 8, maxDurationMs: 170_000, ca });
  const step = await deploySlot({ image: V2 });
  await sleep(500);
  const report = await load.stop();
  console.log(
    `deploy-slot release under load: ${report.total} requests, ${report.failed} failed ${JSON.stringify(report.failures)}, bodies ${JSON.stringify(report.bodies)}, release ${step.outputs['duration-seconds']} s`,
  );
  expect({ exit: step.exitCode, error: errorLine(step) }).toEqual({ exit: 0, error: '' });
  expect(step.outputs).toMatchObject({
    image: V2,
    'previous-image': V1,
    swapped: 'true',
    'rolled-back': 'false',
  });
  expect(report.failed).toBe(0);
  expect(report.bodies[body('v1')]).toBeGreaterThan(0);
  expect(report.bodies[body('v2')]).toBeGreaterThan(0);
  await waitForBody(hosts.production, body('v2'), 5_000);
  await waitForBody(hosts.staging, body('v1'), 5_000);
}, 200_000);

test('ramp to 25 % sends about a quarter of production traffic to the slot; 0 % sends none', async () => {
  const up = await deploySlot({ action: 'ramp', percentage: '25' });
  expect({ exit: up.exitCode, error: errorLine(up) }).toEqual({ exit: 0, error: '' });
  const ramped = await sample(hosts.production, 400);
  const share = (ramped.bodies[body('v1')] ?? 0) / ramped.total;
  console.log(`ramp 25 %: ${(share * 100).toFixed(1)} % of ${ramped.total} requests went to the slot`);
  expect(Math.abs(share - 0.25)).toBeLessThan(0.07);
  const down = await deploySlot({ action: 'ramp', percentage: '0' });
  expect(down.exitCode).toBe(0);
  const after = await sample(hosts.production, 100);
  expect(after.bodies).toEqual({ [body('v2')]: 100 });
}, 200_000);

test('release of an image that never becomes healthy: rolled back before the swap, production serves the old image, exit 1', async () => {
  const load = startLoad({ url: `https://${hosts.production}/`, concurrency: 4, maxDurationMs: 170_000, ca });
  const step = await deploySlot({
    image: V3,
    'app-settings': 'FAILURE_MODE: never-healthy',
    'health-timeout': '20s',
  });
  const report = await load.stop();
  console.log(`never-healthy release: ${report.total} production requests, ${report.failed} failed`);
  expect(step.exitCode).toBe(1);
  expect(errorLine(step)).toMatch(
    /release failed in wait healthy: staging did not become healthy in 20s.*last answered 503.*Rolled back: production serves localhost\/slotline\/testapp:ds-v2 as before the run; slot staging holds localhost\/slotline\/testapp:ds-v1/,
  );
  expect(step.outputs).toMatchObject({ 'rolled-back': 'true', swapped: 'false' });
  expect(report.failed).toBe(0);
  expect(Object.keys(report.bodies)).toEqual([body('v2')]);
  await waitForBody(hosts.staging, body('v1'), 30_000);
}, 200_000);

test('release of an image that is healthy in the slot but crashes under production traffic: swapped back, exit 1', async () => {
  const load = startLoad({ url: `https://${hosts.production}/`, concurrency: 4, maxDurationMs: 170_000, ca });
  const step = await deploySlot({ image: V3, 'app-settings': 'FAILURE_MODE: crash-after' });
  await sleep(500);
  const report = await load.stop();
  console.log(
    `crash-in-production release: ${report.total} production requests, ${report.failed} failed ${JSON.stringify(report.failures)}, bodies ${JSON.stringify(report.bodies)}`,
  );
  expect(step.exitCode).toBe(1);
  expect(errorLine(step)).toMatch(
    /release failed in verify: production failed verification: .*Rolled back: production serves localhost\/slotline\/testapp:ds-v2 as before the run/,
  );
  expect(step.outputs).toMatchObject({ 'rolled-back': 'true', swapped: 'true', 'previous-image': V2 });
  await waitForBody(hosts.production, body('v2'), 10_000);
}, 200_000);
