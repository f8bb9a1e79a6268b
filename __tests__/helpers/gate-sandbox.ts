import { readFileSync } from 'node:fs';
import { type LoadRun, startLoad } from '../../sandbox/dataplane/load.js';
import { buildTestImage } from '../../sandbox/testimage/build.js';
import { stateDir } from '../../scripts/lib/containers.mjs';
import {
  type Connection,
  call,
  type Reply,
  type SandboxProcess,
  signInInputs,
  startSandbox,
  tokenFor,
} from '../sandbox/helpers.js';
import { requireTool } from './tools.js';
import { waitFor } from './wait.js';

/**
 * The sandbox for gate-on-metrics end-to-end tests: the sandbox process with its data plane
 * (`--time-scale 60`, real podman containers of the busybox test image), one plan `plan` (capacity 2) and
 * one site `web` with a `staging` slot, both on the test image (WEBSITES_PORT 8080, health check
 * /healthz) and serving when `startGateSandbox()` resolves. Settings change through the real ARM API;
 * traffic goes through each slot's TLS front door, so Metrics_List reports what the load did.
 */

export type GateSlot = 'production' | 'staging';

export interface GateLoadOptions {
  concurrency: number;
  /** Hard stop: the load ends by itself after this long. */
  durationMs: number;
  /** Stop after exactly this many requests (if sooner than durationMs). */
  requests?: number;
  /** Path and query to request (default `/`). */
  path?: string;
}

export interface GateSandbox {
  /** connection.json of the sandbox. */
  conn: Connection;
  /** PEM of the sandbox CA. */
  ca: string;
  /** The sandbox process (pid, output(), state dir). */
  sb: SandboxProcess;
  resourceGroup: string;
  appName: string;
  planName: string;
  /** ARM ids: production site, staging slot, plan. */
  ids: { production: string; staging: string; plan: string };
  /** `defaultHostName` (127.0.0.1:<port>) of each slot's front door. */
  hosts: { production: string; staging: string };
  /** The Azure inputs a bundle needs (client secret sign-in), plus `extra`. */
  inputs(extra?: Record<string, string>): Record<string, string>;
  /** Env for a bundle's process: NODE_EXTRA_CA_CERTS, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /**
   * Merge `settings` into the slot's app settings (a `null` value removes one) with the ARM API's
   * list + PUT, then wait until the front door routes only to containers started with them.
   * Resolves at once when nothing changes.
   */
  setSlotSettings(slot: GateSlot, settings: Record<string, string | null>): Promise<void>;
  /** A bounded load against `https://<host><path>` (sandbox/dataplane/load.ts); `done` has the report. */
  load(host: string, opts: GateLoadOptions): LoadRun;
  /** An ARM call with a token of the connection's principal (`path` from `/subscriptions/...`). */
  arm(method: string, path: string, body?: unknown): Promise<Reply>;
  /** Metrics_List on `resourceId` through ARM; `query` is added to `api-version`. */
  metrics(resourceId: string, query: Record<string, string>): Promise<Reply>;
  /** The admin API (faults, metric samples). */
  admin(method: string, path: string, body?: unknown): Promise<Reply>;
  /** SIGTERM the sandbox by pid (it removes its containers) and remove its state dir; the exit code. */
  stop(): Promise<number | null>;
}

export interface GateSandboxOptions {
  /** Workers of the plan = containers per slot (default 2). */
  capacity?: number;
  /** More app settings for a slot at start. */
  appSettings?: Partial<Record<GateSlot, Record<string, string>>>;
  /** Default 60: a minute is a second. */
  timeScale?: number;
  /** Profiles of an autoscale setting `web-autoscale` on the plan (ARM shape); none without. */
  autoscaleProfiles?: Record<string, unknown>[];
}

export const GATE_IMAGE = 'localhost/slotline/testapp:gate';
/** Container store for these tests: under $SLOTLINE_STATE_DIR, outside the work tree. */
export const GATE_STORE = stateDir('gate-store');
const API = 'api-version=2024-04-01';

export async function startGateSandbox(opts: GateSandboxOptions = {}): Promise<GateSandbox> {
  requireTool('buildah');
  requireTool('podman');
  const capacity = opts.capacity ?? 2;
  const resourceGroup = 'gate';
  const appName = 'web';
  const planName = 'plan';
  await buildTestImage(GATE_IMAGE, GATE_STORE, 'gate');
  const base = { WEBSITES_PORT: '8080' };
  const sb = await startSandbox({
    config: {
      operationDurationMs: 300,
      retryAfterSeconds: 1,
      defaults: { resourceGroup, siteName: appName, planName, autoscaleSettingName: 'web-autoscale' },
      resourceGroups: [
        {
          name: resourceGroup,
          plans: [{ name: planName, sku: { name: 'P1v3', tier: 'PremiumV3', capacity } }],
          sites: [
            {
              name: appName,
              plan: planName,
              linuxFxVersion: `DOCKER|${GATE_IMAGE}`,
              healthCheckPath: '/healthz',
              appSettings: { ...base, ...opts.appSettings?.production },
              slots: [
                {
                  name: 'staging',
                  linuxFxVersion: `DOCKER|${GATE_IMAGE}`,
                  healthCheckPath: '/healthz',
                  appSettings: { ...base, ...opts.appSettings?.staging },
                },
              ],
            },
          ],
          ...(opts.autoscaleProfiles
            ? {
                autoscaleSettings: [
                  {
                    name: 'web-autoscale',
                    targetPlan: planName,
                    enabled: true,
                    profiles: opts.autoscaleProfiles,
                  },
                ],
              }
            : {}),
        },
      ],
    },
    dataPlane: { timeScale: opts.timeScale ?? 60, storageRoot: GATE_STORE },
  });
  const { conn } = sb;
  const ca = readFileSync(conn.caCertPath, 'utf8');
  const group = `/subscriptions/${conn.subscriptionId}/resourceGroups/${resourceGroup}`;
  const ids = {
    production: `${group}/providers/Microsoft.Web/sites/${appName}`,
    staging: `${group}/providers/Microsoft.Web/sites/${appName}/slots/staging`,
    plan: `${group}/providers/Microsoft.Web/serverfarms/${planName}`,
  };
  let token: { value: string; at: number } | undefined;
  const arm = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    // Sandbox tokens live an hour: a fresh one every 30 minutes is plenty.
    if (!token || Date.now() - token.at > 1_800_000) token = { value: await tokenFor(sb), at: Date.now() };
    const url = `${conn.armEndpoint}${path}${path.includes('?') ? '&' : '?'}${API}`;
    return call(sb, method, url, { token: token.value, ...(body === undefined ? {} : { body }) });
  };
  const armOk = async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const reply = await arm(method, path, body);
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.text}`);
    return reply;
  };
  const instanceIds = async (slot: GateSlot): Promise<{ ids: string[]; ready: boolean }> => {
    const reply = await armOk('GET', `${ids[slot]}/instances`);
    const list = (reply.body as { value: { name: string; properties?: { state?: string } }[] }).value;
    return {
      ids: list.map((i) => i.name),
      ready: list.every((i) => (i.properties?.state ?? 'READY') === 'READY'),
    };
  };
  const serving = (slot: GateSlot, not: string[] = []) =>
    waitFor(
      async () => {
        const now = await instanceIds(slot);
        return now.ready && now.ids.length === capacity && now.ids.every((id) => !not.includes(id));
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `${slot} to serve ${capacity} new instance(s)` },
    );
  const hostOf = async (slot: GateSlot) =>
    ((await armOk('GET', ids[slot])).body as { properties: { defaultHostName: string } }).properties
      .defaultHostName;
  try {
    await serving('production');
    await serving('staging');
    const hosts = { production: await hostOf('production'), staging: await hostOf('staging') };
    return {
      conn,
      ca,
      sb,
      resourceGroup,
      appName,
      planName,
      ids,
      hosts,
      inputs: (extra = {}) => ({
        ...signInInputs(conn),
        'resource-group': resourceGroup,
        'app-name': appName,
        ...extra,
      }),
      env: (extra = {}) => ({ NODE_EXTRA_CA_CERTS: conn.caCertPath, ...extra }),
      async setSlotSettings(slot, settings) {
        const current = (
          (await armOk('POST', `${ids[slot]}/config/appsettings/list`)).body as {
            properties: Record<string, string>;
          }
        ).properties;
        const next: Record<string, string> = { ...current };
        for (const [name, value] of Object.entries(settings)) {
          if (value === null) delete next[name];
          else next[name] = value;
        }
        const same = (a: Record<string, string>, b: Record<string, string>) =>
          Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
        if (same(current, next)) return;
        const before = (await instanceIds(slot)).ids;
        await armOk('PUT', `${ids[slot]}/config/appsettings`, { properties: next });
        await serving(slot, before);
      },
      load: (host, o) =>
        startLoad({
          url: `https://${host}${o.path ?? '/'}`,
          concurrency: o.concurrency,
          maxDurationMs: o.durationMs,
          ...(o.requests === undefined ? {} : { maxRequests: o.requests }),
          ca,
        }),
      arm,
      metrics: (resourceId, query) =>
        arm('GET', `${resourceId}/providers/Microsoft.Insights/metrics?${new URLSearchParams(query)}`),
      admin: (method, path, body) =>
        call(sb, method, `${conn.adminEndpoint}${path}`, body === undefined ? {} : { body }),
      stop: () => sb.stop(),
    };
  } catch (error) {
    await sb.stop();
    throw error;
  }
}
