import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { SlotFleet } from '../../sandbox/dataplane/fleet.js';
import { InFlight, type Listener, listenFor, type Routing } from '../../sandbox/dataplane/front-door.js';
import { startLoad } from '../../sandbox/dataplane/load.js';
import { MetricStore } from '../../sandbox/dataplane/metric-store.js';
import { PlanMetricsSampler } from '../../sandbox/dataplane/plan-metrics.js';
import { CliRuntime } from '../../sandbox/dataplane/runtime.js';
import { buildTestImage } from '../../sandbox/testimage/build.js';
import { stateDir } from '../../scripts/lib/containers.mjs';
import { sleep } from '../helpers/servers.js';
import { selfSignedCert } from '../helpers/tls.js';
import { requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

// Real containers: the busybox test image built with buildah, run with podman, behind the TLS front door.
// Container stores are large: under $SLOTLINE_STATE_DIR, outside the work tree.
const storage = stateDir('sandbox-store');
const IMAGE = 'localhost/slotline/testapp:fleet';
const secrets = mkdtempSync(join(tmpdir(), 'slotline-fleet-'));
const runtime = new CliRuntime('podman', secrets, storage);
const label = { name: 'slotline.test', value: `fleet-${process.pid}` };
const tls = selfSignedCert();
const inFlight = new InFlight();
const drain = (ids: readonly string[]) => inFlight.waitIdle(ids, 10_000);
/** The instances the fleet said it removed, in order (the front door fails what they still serve). */
const removed: string[] = [];
const gone = (ids: readonly string[]) => {
  removed.push(...ids);
  inFlight.gone(ids);
};
let listener: Listener;
let fleet: SlotFleet;

beforeAll(async () => {
  requireTool('buildah');
  requireTool('podman');
  await buildTestImage(IMAGE, storage);
  fleet = new SlotFleet(`prod-${process.pid}`, { runtime, label, timeScale: 60, drain, gone });
  const routing = (): Routing => ({
    production: { resourceId: '/sites/web', slot: 'production', instances: fleet.instances },
    slots: new Map(),
    rampUp: [],
  });
  listener = await listenFor({ production: true }, routing, { tls, inFlight });
}, 120_000);

afterAll(async () => {
  await fleet?.stopAll();
  await listener?.close();
  rmSync(secrets, { recursive: true, force: true });
});

const env = (body: string) => ({
  BODY: body,
  WEBSITES_PORT: '8080',
  WEBSITE_HEALTHCHECK_MAXPINGFAILURES: '2',
});

test('a config change starts the new image before the old one stops: no failed request', async () => {
  await fleet.reconcile({ image: IMAGE, env: env('v1'), healthCheckPath: '/healthz' }, 2);
  expect(fleet.instances).toHaveLength(2);
  const v1 = fleet.instances.map((i) => i.id);
  const load = startLoad({
    url: `https://${listener.host}/`,
    concurrency: 20,
    maxDurationMs: 60_000,
    ca: tls.cert,
  });
  await waitFor(() => (load.progress().bodies['v1'] ?? 0) >= 20, {
    timeoutMs: 10_000,
    what: '20 answers from v1',
  });
  await fleet.reconcile({ image: IMAGE, env: env('v2'), healthCheckPath: '/healthz' }, 2);
  await waitFor(() => (load.progress().bodies['v2'] ?? 0) >= 20, {
    timeoutMs: 10_000,
    what: '20 answers from v2',
  });
  const report = await load.stop();
  expect(report.failed).toBe(0);
  expect(Object.keys(report.bodies).sort()).toEqual(['v1', 'v2']);
  expect(fleet.instances.every((i) => i.healthy)).toBe(true);
  // The old instances were reported gone once their containers were removed.
  expect(removed).toEqual(v1);
}, 120_000);

test('plan metrics come from the containers: CPU under load, memory, queue length', async () => {
  const store = new MetricStore(() => Date.now());
  const PLAN = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/serverfarms/plan';
  const sampler = new PlanMetricsSampler({
    runtime,
    metrics: store,
    now: () => Date.now(),
    plans: () => new Map([[PLAN, fleet.instances]]),
    queueLength: () => listener.inFlight(),
  });
  const started = Date.now();
  await sampler.tick();
  const load = startLoad({
    url: `https://${listener.host}/`,
    concurrency: 20,
    maxDurationMs: 30_000,
    ca: tls.cert,
  });
  // A fixed wait, on purpose: CPU is measured over the window between two ticks, under load.
  await sleep(1_500);
  await sampler.tick();
  await load.stop();
  const q = (metric: string) =>
    store
      .query({
        resourceId: PLAN,
        metric,
        fromMs: started - 1_000,
        toMs: Date.now() + 1_000,
        grainMs: 60_000,
      })[0]!
      .points.find((p) => p.bucket)?.bucket;
  expect(q('CpuPercentage')!.count).toBe(2);
  expect(q('CpuPercentage')!.maximum).toBeGreaterThan(1);
  expect(q('MemoryPercentage')!.maximum).toBeGreaterThan(0);
  expect(q('HttpQueueLength')!.count).toBe(2);
}, 60_000);

test('a killed container is routed around, then replaced: capacity comes back', async () => {
  const victim = fleet.instances[0]!;
  const load = startLoad({
    url: `https://${listener.host}/`,
    concurrency: 20,
    maxDurationMs: 60_000,
    ca: tls.cert,
  });
  await waitFor(() => load.progress().total >= 20, { timeoutMs: 10_000, what: 'the load to be under way' });
  execFileSync('podman', [
    '--storage-driver',
    'vfs',
    '--root',
    join(storage, 'root'),
    '--runroot',
    join(storage, 'run'),
    'kill',
    victim.containerId,
  ]);
  await waitFor(async () => !(await runtime.isRunning(victim.containerId)), {
    timeoutMs: 10_000,
    what: 'the killed container to stop',
  });
  await fleet.healthRound();
  const atRound = load.progress().total;
  await waitFor(() => load.progress().total >= atRound + 20, {
    timeoutMs: 10_000,
    what: '20 more requests after the health round',
  });
  const report = await load.stop();
  console.log(
    `failover under load: ${report.failed} failed of ${report.total} requests (${JSON.stringify(report.failures)})`,
  );
  expect(fleet.instances).toHaveLength(2);
  expect(fleet.instances.map((i) => i.containerId)).not.toContain(victim.containerId);
  // Refused connections are retried on the other instance; a request cut mid-response cannot be.
  expect(report.failed).toBeLessThanOrEqual(20);
  expect(report.total).toBeGreaterThan(100);
}, 120_000);

test("a container that crashes after N requests (the test image's crash-after mode) is replaced", async () => {
  await fleet.reconcile(
    { image: IMAGE, env: { ...env('crashy'), FAILURE_MODE: 'crash-after', CRASH_AFTER: '5' } },
    1,
  );
  const [first] = fleet.instances;
  await startLoad({
    url: `https://${listener.host}/`,
    concurrency: 1,
    maxDurationMs: 10_000,
    maxRequests: 6,
    ca: tls.cert,
  }).done;
  await waitFor(async () => !(await runtime.isRunning(first!.containerId)), {
    timeoutMs: 10_000,
    what: 'the container to crash',
  });
  await fleet.healthRound();
  expect(fleet.instances).toHaveLength(1);
  expect(fleet.instances[0]!.containerId).not.toBe(first!.containerId);
  expect(await runtime.isRunning(fleet.instances[0]!.containerId)).toBe(true);
}, 60_000);

test('an instance failing its health check leaves the balancer', async () => {
  await fleet.reconcile(
    { image: IMAGE, env: { ...env('sick'), FAILURE_MODE: 'never-healthy' }, healthCheckPath: '/healthz' },
    2,
  );
  await fleet.healthRound();
  expect(fleet.instances.every((i) => i.healthy)).toBe(true);
  await fleet.healthRound();
  expect(fleet.instances.every((i) => !i.healthy)).toBe(true);
}, 120_000);

test('stopping leaves no container behind (checked by id)', async () => {
  const ids = fleet.instances.map((i) => i.containerId);
  expect(ids.length).toBeGreaterThan(0);
  await fleet.stopAll();
  expect(await runtime.listByLabel(label.name, label.value, true)).toEqual([]);
  for (const id of ids) expect(await runtime.isRunning(id)).toBe(false);
}, 60_000);
