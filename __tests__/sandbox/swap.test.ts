import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SlotFleet } from '../../sandbox/dataplane/fleet.js';
import { InFlight, type Listener, listenFor, type Routing } from '../../sandbox/dataplane/front-door.js';
import { startLoad } from '../../sandbox/dataplane/load.js';
import { CliRuntime } from '../../sandbox/dataplane/runtime.js';
import { type SlotSettings, SwapWarmUpError, swap, swappedSettings } from '../../sandbox/dataplane/swap.js';
import { buildTestImage } from '../../sandbox/testimage/build.js';
import { stateDir } from '../../scripts/lib/containers.mjs';
import { selfSignedCert } from '../helpers/tls.js';
import { requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

describe('settings after a swap', () => {
  test('sticky settings stay with their slot; the rest travels with the app', () => {
    const source: SlotSettings = {
      image: 'app:v2',
      appSettings: { VERSION: 'v2', ENV: 'staging', DB: 'stage-db' },
    };
    const target: SlotSettings = {
      image: 'app:v1',
      appSettings: { VERSION: 'v1', ENV: 'production', DB: 'prod-db', ONLY_PROD: 'x' },
    };
    const after = swappedSettings(source, target, ['env', 'DB']);
    expect(after.target).toEqual({
      image: 'app:v2',
      appSettings: { VERSION: 'v2', ENV: 'production', DB: 'prod-db' },
    });
    expect(after.source).toEqual({
      image: 'app:v1',
      appSettings: { VERSION: 'v1', ONLY_PROD: 'x', ENV: 'staging', DB: 'stage-db' },
    });
    // A second swap rolls back.
    const back = swappedSettings(after.source, after.target, ['env', 'DB']);
    expect(back.target).toEqual(target);
  });
});

// Real containers behind the real front door, under 100 concurrent connections.
// Container stores are large: under $SLOTLINE_STATE_DIR, outside the work tree.
const storage = stateDir('sandbox-store');
const IMAGE = 'localhost/slotline/testapp:swap';
const secrets = mkdtempSync(join(tmpdir(), 'slotline-swap-'));
const runtime = new CliRuntime('podman', secrets, storage);
const label = { name: 'slotline.test', value: `swap-${process.pid}` };
const tls = selfSignedCert();
const inFlight = new InFlight();
const drain = (ids: readonly string[]) => inFlight.waitIdle(ids, 10_000);
let production: SlotFleet;
let staging: SlotFleet;
let listener: Listener;
const opts = { capacity: 2, timeScale: 60 };

const settings = (body: string, extra: Record<string, string> = {}): SlotSettings => ({
  image: IMAGE,
  appSettings: {
    BODY: body,
    WEBSITES_PORT: '8080',
    WEBSITE_SWAP_WARMUP_PING_PATH: '/healthz',
    WEBSITE_SWAP_WARMUP_PING_STATUSES: '200',
    ...extra,
  },
  healthCheckPath: '/healthz',
});

beforeAll(async () => {
  requireTool('buildah');
  requireTool('podman');
  await buildTestImage(IMAGE, storage);
  production = new SlotFleet(`production-${process.pid}`, { runtime, label, timeScale: 60, drain });
  staging = new SlotFleet(`staging-${process.pid}`, { runtime, label, timeScale: 60, drain });
  const routing = (): Routing => ({
    production: { resourceId: '/sites/web', slot: 'production', instances: production.instances },
    slots: new Map(),
    rampUp: [],
  });
  listener = await listenFor({ production: true }, routing, { tls, inFlight });
}, 120_000);

afterAll(async () => {
  await production?.stopAll();
  await staging?.stopAll();
  await listener?.close();
  expect(await runtime.listByLabel(label.name, label.value, true)).toEqual([]);
  rmSync(secrets, { recursive: true, force: true });
}, 60_000);

test('a swap under 100 concurrent connections fails no request, and production then serves the new image', async () => {
  const prodSettings = settings('v1');
  const stagingSettings = settings('v2');
  await production.reconcile({ image: IMAGE, env: prodSettings.appSettings, healthCheckPath: '/healthz' }, 2);
  await staging.reconcile({ image: IMAGE, env: stagingSettings.appSettings, healthCheckPath: '/healthz' }, 2);
  const load = startLoad({
    url: `https://${listener.host}/`,
    concurrency: 100,
    maxDurationMs: 90_000,
    ca: tls.cert,
  });
  await waitFor(() => (load.progress().bodies['v1'] ?? 0) >= 200, {
    timeoutMs: 30_000,
    what: '200 answers from v1 under load',
  });
  const started = Date.now();
  await swap(staging, production, { source: stagingSettings, target: prodSettings }, [], opts);
  const swapMs = Date.now() - started;
  await waitFor(() => (load.progress().bodies['v2'] ?? 0) >= 100, {
    timeoutMs: 10_000,
    what: '100 answers from v2 after the swap',
  });
  const report = await load.stop();
  console.log(
    `swap under load: ${report.total} requests, ${report.failed} failed, swap took ${swapMs} ms, p99 ${report.p99Ms} ms`,
  );
  expect(report.failed).toBe(0);
  expect(report.bodies['v1']).toBeGreaterThan(0);
  expect(report.bodies['v2']).toBeGreaterThan(0);
  const after = await startLoad({
    url: `https://${listener.host}/`,
    concurrency: 4,
    maxDurationMs: 10_000,
    maxRequests: 20,
    ca: tls.cert,
  }).done;
  expect(after.bodies).toEqual({ v2: 20 });
  expect(staging.instances.every((i) => i.image === IMAGE)).toBe(true);
}, 180_000);

test('a source that never becomes healthy aborts the swap; production keeps serving throughout', async () => {
  const prodSettings = settings('v2');
  const broken = settings('v3', { FAILURE_MODE: 'never-healthy' });
  await staging.reconcile({ image: IMAGE, env: broken.appSettings, healthCheckPath: '/healthz' }, 2);
  const load = startLoad({
    url: `https://${listener.host}/`,
    concurrency: 20,
    maxDurationMs: 90_000,
    ca: tls.cert,
  });
  await expect(swap(staging, production, { source: broken, target: prodSettings }, [], opts)).rejects.toThrow(
    SwapWarmUpError,
  );
  const report = await load.stop();
  expect(report.failed).toBe(0);
  expect(report.bodies).toEqual({ v2: report.total });
}, 180_000);
