import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { defaultConfig, type SandboxConfig } from '../../sandbox/config.js';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.js';
import type { StoredResource } from '../../sandbox/store.js';
import { loadOrCreateTls } from '../../sandbox/tls.js';
import { removeDir, signInInputs, tempDir } from '../sandbox/helpers.js';

/**
 * The control-plane sandbox (part 1) embedded in the test process, with a small stand-in for each slot's
 * app at its ARM `defaultHostName` (127.0.0.1:<port>, TLS from the sandbox CA) until the data plane serves
 * real containers there. The stand-in answers from the slot's current `linuxFxVersion`, so swaps and
 * deploys change what it serves at once:
 * - an image whose name contains `never-healthy` answers 503 on every path;
 * - `fails-in-production` answers 200 from a slot and 500 from production (healthy, fails verification);
 * - `slow-in-production` answers 200 everywhere, from production after 400 ms (a verification that lasts);
 * - anything else answers 200 with the image name as the body.
 */

export interface DeploySandbox {
  sb: Sandbox;
  caCertPath: string;
  agent: Agent;
  /** One line per sandbox request (`login POST /…/token 200 3ms`), for counting token requests. */
  requestLog: string[];
  siteId(slot?: string): string;
  resource(slot?: string): StoredResource;
  image(slot?: string): string | undefined;
  tags(): Record<string, string>;
  /** Put the app back to production and staging on `image`, no tags, no routing rules. */
  reset(image?: string): void;
  /** Inputs every run needs, with the client secret. */
  inputs(extra?: Record<string, string>): Record<string, string>;
  /** Env for a child process that trusts the sandbox CA. */
  env(extra?: Record<string, string>): Record<string, string>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export const START_IMAGE = 'ghcr.io/slotline-demo/web:1.0.0';
export const READER = {
  clientId: '6f1f3c2e-0d7e-4d8a-9a47-1c2b3d4e5f60',
  clientSecret: 'reader-secret-value-5d1f0c',
};

function standInHandler(store: () => Sandbox['store'] | undefined, id: () => string, production: boolean) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    const resource = store()?.get(id());
    const fx = (resource?.internal?.['siteConfig'] as { linuxFxVersion?: string } | undefined)
      ?.linuxFxVersion;
    const image = /^DOCKER\|(.+)$/i.exec(fx ?? '')?.[1] ?? '';
    const send = (status: number, body: string) =>
      res.writeHead(status, { 'content-type': 'text/plain', 'x-image': image }).end(body);
    if (image.includes('slow-in-production') && production) {
      setTimeout(() => send(200, image), 400);
      return;
    }
    if (image.includes('never-healthy')) send(503, 'unhealthy');
    else if (image.includes('fails-in-production') && production) send(500, 'internal error');
    else send(200, image);
  };
}

export async function startDeploySandbox(overrides: Partial<SandboxConfig> = {}): Promise<DeploySandbox> {
  const stateDir = tempDir('deploy-slot');
  const tls = await loadOrCreateTls(stateDir);
  const base = defaultConfig();
  const config: SandboxConfig = {
    ...base,
    operationDurationMs: 300,
    retryAfterSeconds: 0,
    principals: [
      ...base.principals,
      {
        name: 'slotline-reader',
        clientId: READER.clientId,
        clientSecret: READER.clientSecret,
        role: 'Reader',
      },
    ],
    ...overrides,
  };
  let sandbox: Sandbox | undefined;
  const servers = new Map<string, Server>();
  const ids = new Map<string, string>();
  for (const slot of ['production', 'staging']) {
    const server = createServer(
      { cert: tls.cert, key: tls.key },
      standInHandler(
        () => sandbox?.store,
        () => ids.get(slot)!,
        slot === 'production',
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.set(slot, server);
  }
  const requestLog: string[] = [];
  sandbox = await startSandbox({
    stateDir,
    config,
    hooks: {
      hostNameFor: (_site, slot) =>
        `127.0.0.1:${(servers.get(slot ?? 'production')!.address() as AddressInfo).port}`,
    },
    log: (line) => requestLog.push(line),
  });
  const sb = sandbox;
  const conn = sb.connection;
  const siteId = (slot?: string) => {
    const base = `/subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Web/sites/${conn.siteName}`;
    return slot && slot !== 'production' ? `${base}/slots/${slot}` : base;
  };
  ids.set('production', siteId());
  ids.set('staging', siteId('staging'));
  const agent = new Agent({ connect: { ca: tls.ca } });
  const resource = (slot?: string) => sb.store.get(siteId(slot))!;
  const image = (slot?: string) => {
    const fx = (resource(slot).internal?.['siteConfig'] as { linuxFxVersion?: string } | undefined)
      ?.linuxFxVersion;
    return /^DOCKER\|(.+)$/i.exec(fx ?? '')?.[1];
  };
  return {
    sb,
    caCertPath: tls.caCertPath,
    agent,
    requestLog,
    siteId,
    resource,
    image,
    tags: () => ({ ...(resource().tags ?? {}) }),
    reset(img = START_IMAGE) {
      for (const slot of ['production', 'staging']) {
        const r = resource(slot);
        const siteConfig = { ...(r.internal?.['siteConfig'] as Record<string, unknown>) };
        siteConfig['linuxFxVersion'] = `DOCKER|${img}`;
        siteConfig['experiments'] = { rampUpRules: [] };
        const { preview: _preview, ...internal } = r.internal ?? {};
        sb.store.put({
          ...r,
          tags: {},
          properties: { ...r.properties, targetSwapSlot: null },
          internal: { ...internal, siteConfig },
        });
      }
      sb.faults.remove();
    },
    inputs: (extra = {}) => ({
      ...signInInputs(conn),
      'resource-group': conn.resourceGroup,
      'app-name': conn.siteName,
      'health-timeout': '4s',
      ...extra,
    }),
    env: (extra = {}) => ({ NODE_EXTRA_CA_CERTS: tls.caCertPath, ...extra }),
    async admin(method, path, body) {
      const res = await request(`${conn.adminEndpoint}${path}`, {
        method: method as 'POST',
        dispatcher: agent,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      await agent.close();
      await sb.stop();
      for (const server of servers.values()) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      removeDir(stateDir);
    },
  };
}
