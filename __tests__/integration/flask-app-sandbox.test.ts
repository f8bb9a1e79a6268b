import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { buildahArgs, podmanArgs } from '../../sandbox/container-storage.js';
import { _internal as runtimeInternal } from '../../sandbox/dataplane/runtime.js';
import { stateDir, storageFlags } from '../../scripts/lib/containers.mjs';
import { startLoad } from '../../src/lib/load/index.js';
import { type BackingService, startPostgres, startRedis } from '../helpers/app-services.js';
import { ensureBaseImage, requireTools, storeDir } from '../helpers/containers.js';
import { repoRoot } from '../helpers/runner.js';
import { waitFor } from '../helpers/wait.js';
import { call, type SandboxProcess, startSandbox, tokenFor } from '../sandbox/helpers.js';

// Issue 13, the reference app: examples/flask-app's image (built on the Debian-packaged base image) runs
// in the staging slot of a sandbox site with the data plane (real podman containers, the plan's capacity
// of them, behind the slot's TLS front door), with real PostgreSQL and Redis on loopback ports. The app's
// settings are App Service app settings. 1000 users with 1 s think time drive it through the front door;
// the run must have no errors, and its client figures (p50/p95/p99, requests/s) are printed.
//
// The containers use the sandbox's `--container-network host` (sandbox/README.md): on the default bridge
// network a container cannot reach the machine's 127.0.0.1, where PostgreSQL and Redis listen.

const IMAGE = 'localhost/slotline/portal:sandbox';
/** Instances of the plan: containers of the staging slot (production runs none). */
const CAPACITY = 2;
const USERS = 1000;
const THINK_MS = 1000;
const RAMP_UP_MS = 5_000;
const DURATION_MS = 25_000;

const appDir = join(repoRoot, 'examples', 'flask-app');
/** The sandbox's container store for this test (sandbox/container-storage.ts layout), outside the work tree. */
const STORE = stateDir('flask-sandbox-store');

function run(command: string, args: string[]) {
  return spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
}
const inSharedStore = (args: string[]) => run('buildah', [...storageFlags(storeDir), ...args]);
const inSandboxStore = (args: string[]) => run('buildah', [...buildahArgs(STORE), ...args]);
const imageId = (buildah: typeof inSharedStore, image: string) =>
  buildah(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', image]).stdout.trim();

/** Every file of the app's build context (no caches), for the image's cache key. */
function contextFiles(dir = appDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.name !== '__pycache__')
    .flatMap((e) => (e.isDirectory() ? contextFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/**
 * The app's image in the sandbox's store: the base image (built once into the shared store by
 * scripts/base-image.sh) is copied over with skopeo when it changed, and the app is built on it with
 * buildah. The image carries a label with a hash of the base image's id and the build context, so an
 * unchanged app is built once.
 */
function ensureAppImage(): string {
  const base = ensureBaseImage();
  const baseId = imageId(inSharedStore, base);
  if (!baseId) throw new Error(`${base} is not in ${storeDir}`);
  if (imageId(inSandboxStore, base) !== baseId) {
    const storage = (root: string, runroot: string) => `containers-storage:[vfs@${root}+${runroot}]${base}`;
    const copied = run('skopeo', [
      'copy',
      '--quiet',
      storage(join(storeDir, 'storage'), join(storeDir, 'run')),
      storage(join(STORE, 'root'), join(STORE, 'run')),
    ]);
    if (copied.status !== 0) throw new Error(`skopeo copy of ${base} failed: ${copied.stderr}`);
  }
  const hash = createHash('sha256').update(baseId);
  for (const file of contextFiles()) hash.update(relative(appDir, file)).update(readFileSync(file));
  const key = hash.digest('hex').slice(0, 16);
  const label = inSandboxStore([
    'inspect',
    '--type',
    'image',
    '--format',
    '{{index .OCIv1.Config.Labels "org.slotline.app.key"}}',
    IMAGE,
  ]);
  if (label.status === 0 && label.stdout.trim() === key) return IMAGE;
  const built = inSandboxStore([
    'build',
    '--isolation',
    'chroot',
    '--format',
    'docker',
    '--build-arg',
    `BASE_IMAGE=${base}`,
    '--label',
    `org.slotline.app.key=${key}`,
    '-t',
    IMAGE,
    appDir,
  ]);
  if (built.status !== 0) throw new Error(`buildah build of examples/flask-app failed: ${built.stderr}`);
  // The image this one replaced, if any (the store is this test's own).
  inSandboxStore(['rmi', '--prune']);
  return IMAGE;
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const cpuUsed = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1e6;
/** The machine's CPU seconds, busy and in all, over all cores (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3]! + ticks[4]!;
  return { busy: (total - idle) / 100, total: total / 100 };
}

/** CPU seconds the slot's containers (the app: gunicorn and its workers) have used, from podman stats. */
async function appCpuSeconds(): Promise<number> {
  const { value } = (await arm('GET', `${slotId}/instances`)) as { value: { name: string }[] };
  const stats = run('podman', [
    ...podmanArgs(STORE),
    'stats',
    '--no-stream',
    '--format',
    'json',
    ...value.map((i) => i.name),
  ]);
  const rows = JSON.parse(stats.stdout || '[]') as { cpu_time?: string }[];
  return rows.reduce((sum, row) => sum + runtimeInternal.parseDurationSeconds(String(row.cpu_time ?? '')), 0);
}

let sb: SandboxProcess | undefined;
const services: BackingService[] = [];
let slotId = '';
let host = '';
let ca = '';
let token = '';

const arm = async (method: string, path: string, body?: unknown) => {
  const reply = await call(sb!, method, `${sb!.conn.armEndpoint}${path}?api-version=2024-04-01`, {
    token,
    ...(body === undefined ? {} : { body }),
  });
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
  return reply.body;
};

beforeAll(async () => {
  requireTools('buildah', 'podman', 'skopeo', 'redis-server', 'runuser');
  const image = ensureAppImage();
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  services.push(postgres, redis);
  sb = await startSandbox({
    config: {
      operationDurationMs: 300,
      retryAfterSeconds: 1,
      defaults: {
        resourceGroup: 'portal',
        siteName: 'portal',
        planName: 'portal-plan',
        autoscaleSettingName: 'portal-autoscale',
      },
      resourceGroups: [
        {
          name: 'portal',
          plans: [{ name: 'portal-plan', sku: { name: 'P1v3', tier: 'PremiumV3', capacity: CAPACITY } }],
          sites: [
            {
              name: 'portal',
              plan: 'portal-plan',
              slots: [
                {
                  name: 'staging',
                  linuxFxVersion: `DOCKER|${image}`,
                  healthCheckPath: '/healthz',
                  // The app's settings, as App Service app settings: the container's environment.
                  appSettings: {
                    WEBSITES_PORT: '8000',
                    DATABASE_URL: postgres.url,
                    REDIS_URL: redis.url,
                    APP_VERSION: 'sandbox',
                    // On the host's network: loopback only, as every server in the tests.
                    BIND_HOST: '127.0.0.1',
                  },
                },
              ],
            },
          ],
        },
      ],
    },
    // Real time: health pings every minute, CPU samples (podman stats) every 15 s.
    dataPlane: { timeScale: 1, storageRoot: STORE, network: 'host' },
  });
  ca = readFileSync(sb.conn.caCertPath, 'utf8');
  token = await tokenFor(sb);
  slotId = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/portal/providers/Microsoft.Web/sites/portal/slots/staging`;
  await waitFor(
    async () => {
      const { value } = (await arm('GET', `${slotId}/instances`)) as {
        value: { properties?: { state?: string } }[];
      };
      return value.length === CAPACITY && value.every((i) => (i.properties?.state ?? 'READY') === 'READY');
    },
    { timeoutMs: 90_000, intervalMs: 250, what: `the staging slot to serve ${CAPACITY} instances` },
  ).catch((error: Error) => {
    // The data plane's lines (not the ARM request log).
    const said = sb!
      .output()
      .split('\n')
      .filter((line) => !/ (arm|login) /.test(line))
      .slice(-40);
    throw new Error(`${error.message}; the sandbox said:\n${said.join('\n')}`);
  });
  host = ((await arm('GET', slotId)) as { properties: { defaultHostName: string } }).properties
    .defaultHostName;
}, 300_000);

afterAll(async () => {
  // The sandbox removes its containers when it stops (by pid); then the servers, by pid.
  if (sb) expect(await sb.stop()).toBe(0);
  await Promise.all(services.map((s) => s.stop()));
}, 60_000);

test('1000 users with 1 s think time against the reference app in a sandbox slot: 0 errors', async () => {
  // Through the front door: the schema and seed data exist and the page links its fingerprinted assets.
  const page = await call(sb!, 'GET', `https://${host}/`);
  expect(page.status).toBe(200);
  const assets = [...new Set([...page.text.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]!))];
  expect(assets.length).toBeGreaterThan(0);
  // The app settings are the container's environment: its version, and PostgreSQL and Redis reached.
  const health = await call(sb!, 'GET', `https://${host}/healthz`);
  expect(health.body).toEqual({ status: 'ok', version: 'sandbox' });
  const ready = await call(sb!, 'GET', `https://${host}/readyz`);
  expect({ status: ready.status, body: ready.body }).toEqual({
    status: 200,
    body: expect.objectContaining({
      status: 'ready',
      checks: {
        postgres: expect.objectContaining({ ok: true }),
        redis: expect.objectContaining({ ok: true }),
      },
    }),
  });
  const documents = await call(sb!, 'GET', `https://${host}/api/documents`);
  expect(documents.status).toBe(200);

  const before = {
    sandbox: cpuSeconds(sb!.pid),
    self: process.cpuUsage(),
    app: await appCpuSeconds(),
    machine: machineCpu(),
  };
  const report = await startLoad({
    url: `https://${host}/`,
    paths: ['/', '/api/documents', '/api/documents?status=approved', ...assets],
    headers: { 'accept-encoding': 'gzip' },
    users: USERS,
    thinkTimeMs: THINK_MS,
    rampUpMs: RAMP_UP_MS,
    durationMs: DURATION_MS,
    ca,
  }).done;
  const machine = machineCpu();
  const used = {
    sandbox: cpuSeconds(sb!.pid) - before.sandbox,
    loadGenerator: cpuUsed(process.cpuUsage(before.self)),
    machineBusy: machine.busy - before.machine.busy,
    machineTotal: machine.total - before.machine.total,
    app: (await appCpuSeconds()) - before.app,
  };
  const steady = report.intervals.filter((i) => i.startMs >= RAMP_UP_MS + 1_000 && i.durationMs === 1_000);
  const steadyRate = steady.reduce((sum, i) => sum + i.requests, 0) / Math.max(1, steady.length);
  console.log(
    `flask-app in a sandbox slot (${CAPACITY} instances, --container-network host): ${USERS} users, ` +
      `${THINK_MS} ms think time, ${RAMP_UP_MS / 1000} s ramp-up, ${DURATION_MS / 1000} s: ` +
      `${report.requests} requests, ${report.requestsPerSecond.toFixed(0)} req/s overall, ` +
      `${steadyRate.toFixed(0)} req/s after the ramp-up; client p50 ${report.latency.p50Ms} ms, ` +
      `p95 ${report.latency.p95Ms} ms, p99 ${report.latency.p99Ms} ms, max ${report.latency.maxMs} ms; ` +
      `errors ${report.errors} ${JSON.stringify(report.errorsByKind)}; statuses ${JSON.stringify(report.statuses)}\n` +
      `per second (req/s p95 ms): ${report.intervals.map((i) => `${i.requests}/${Math.round(i.latency.p95Ms ?? 0)}`).join(' ')}\n` +
      `CPU during the load (s): sandbox (front door) ${used.sandbox.toFixed(1)}, this process (load generator) ` +
      `${used.loadGenerator.toFixed(1)}, app containers ${used.app.toFixed(1)}, whole machine ${used.machineBusy.toFixed(1)} of ${used.machineTotal.toFixed(1)}`,
  );
  expect({ errors: report.errors, byKind: report.errorsByKind }).toEqual({ errors: 0, byKind: {} });
  expect(report.ok).toBe(report.requests);
  expect(report.stoppedBy).toBe('duration');
  expect(report.users).toBe(USERS);
  // The load did reach the app: every user started within the run and sent at least one request.
  expect(report.requests).toBeGreaterThanOrEqual(USERS);
}, 120_000);
