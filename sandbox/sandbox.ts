import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ACR_TOKEN_ISSUER, AcrService } from './acr.js';
import { type ArmHooks, ArmService, defaultHooks, newPlan, newSite } from './arm/service.js';
import type { SandboxClock } from './clock.js';
import {
  AZURE_AD_TOKEN_EXCHANGE,
  generateClientSecret,
  PLAN_PLACEHOLDER,
  randomUUID,
  type SandboxConfig,
  SITE_PLACEHOLDER,
} from './config.js';
import { DataPlane } from './dataplane/data-plane.js';
import { type Fault, FaultInjector, type FaultSpec } from './faults.js';
import { HttpProblem, isObject, parseJsonBody, readBody, sendArmError, sendJson } from './http.js';
import { loadOrCreateSigningKeys } from './keys.js';
import { IdentityService } from './login/identity.js';
import { InMemoryMetricsSource, type MetricsSource } from './metrics/source.js';
import { type PersistedState, ResourceStore, type StoredResource } from './store.js';
import { loadOrCreateTls, loadOrIssueSigningKey } from './tls.js';

/** What DIR/connection.json holds: everything a client needs to talk to this sandbox. */
export interface SandboxConnection {
  armEndpoint: string;
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  caCertPath: string;
  resourceGroup: string;
  siteName: string;
  planName: string;
  autoscaleSettingName: string;
  oidcRequestUrl: string;
  oidcRequestToken: string;
  adminEndpoint: string;
  /** Only when the config names container registries: their login servers and docker-registry settings. */
  containerRegistries?: ContainerRegistryConnection[];
}

/** What a docker-registry behind a sandbox login server needs in its `auth.token` config, and the login server. */
export interface ContainerRegistryConnection {
  name: string;
  resourceId: string;
  /** host:port: the registry clients push to (TLS from the sandbox CA), also the token `service`. */
  loginServer: string;
  /** auth.token: realm, service, issuer, rootcertbundle. */
  tokenRealm: string;
  tokenService: string;
  tokenIssuer: string;
  rootCertBundle: string;
}

export interface SandboxOptions {
  stateDir: string;
  config: SandboxConfig;
  /** The ARM port; 0 (default) picks a free one. The login and admin listeners always take free ports. */
  port?: number;
  clock?: SandboxClock;
  /** Where metric values come from; default: samples pushed through the admin endpoint. */
  metrics?: MetricsSource;
  /** Overrides for host names and instances (the data plane). */
  hooks?: Partial<Omit<ArmHooks, 'metrics'>>;
  /** One line per request; never bodies, query strings or headers (they carry secrets). */
  log?: (line: string) => void;
  /**
   * Part 2: run slots as real containers behind front-door listeners, with metrics from traffic and an
   * autoscale engine. `false` (the default in-process) keeps the control plane alone.
   */
  dataPlane?: false | { timeScale?: number; storageRoot?: string };
}

export interface Sandbox {
  connection: SandboxConnection;
  store: ResourceStore;
  faults: FaultInjector;
  arm: ArmService;
  identity: IdentityService;
  dataPlane?: DataPlane;
  stop(): Promise<void>;
}

const systemClock: SandboxClock = { now: () => Date.now() };

/** Turn the config into a fresh state: ids, secrets, role assignments and the seeded resources. */
async function seedState(
  config: SandboxConfig,
  clock: SandboxClock,
): Promise<{ state: PersistedState; resources: StoredResource[] }> {
  const tenantId = config.tenantId ?? randomUUID();
  const subscriptionId = config.subscriptionId ?? randomUUID();
  const subScope = `/subscriptions/${subscriptionId}`;
  const principals = config.principals.map((p) => ({
    name: p.name,
    clientId: p.clientId ?? randomUUID(),
    objectId: randomUUID(),
    clientSecret: p.clientSecret === null ? null : (p.clientSecret ?? generateClientSecret()),
    federatedCredentials: (p.federatedCredentials ?? []).map((f) => ({
      ...f,
      audiences: f.audiences ?? [AZURE_AD_TOKEN_EXCHANGE],
    })),
  }));
  const roleAssignments = config.principals.map((p, i) => ({
    principalObjectId: principals[i]!.objectId,
    role: p.role,
    scope: (p.scope ?? subScope).replace(/\{subscription\}/g, subscriptionId),
  }));
  const state: PersistedState = {
    version: 1,
    tenantId,
    subscriptionId,
    location: config.location,
    principals,
    roleAssignments,
    resources: [],
    githubRequestTokens: {},
    settings: {
      tokenLifetimeSeconds: config.tokenLifetimeSeconds,
      operationDurationMs: config.operationDurationMs,
      retryAfterSeconds: config.retryAfterSeconds,
    },
    defaults: config.defaults,
  };
  const now = new Date(clock.now()).toISOString();
  const resources: StoredResource[] = [];
  for (const group of config.resourceGroups) {
    const location = group.location ?? config.location;
    const groupId = `${subScope}/resourceGroups/${group.name}`;
    resources.push({
      id: groupId,
      name: group.name,
      type: 'Microsoft.Resources/resourceGroups',
      location,
      properties: {},
    });
    const plans = new Map<string, StoredResource>();
    for (const p of group.plans ?? []) {
      const plan = newPlan(
        `${groupId}/providers/Microsoft.Web/serverfarms/${p.name}`,
        p.name,
        group.name,
        location,
        p.sku ?? { name: 'P1v3', tier: 'PremiumV3', capacity: 1 },
        {},
      );
      plans.set(p.name.toLowerCase(), plan);
      resources.push(plan);
    }
    const sites = new Map<string, StoredResource>();
    for (const s of group.sites ?? []) {
      const plan = plans.get(s.plan.toLowerCase());
      if (!plan)
        throw new Error(
          `config: site ${s.name} names plan ${s.plan}, which resource group ${group.name} does not declare`,
        );
      for (const slot of [undefined, ...(s.slots ?? [])]) {
        const spec = slot ?? s;
        const id = `${groupId}/providers/Microsoft.Web/sites/${s.name}${slot ? `/slots/${slot.name}` : ''}`;
        const resource = newSite({
          id,
          siteName: s.name,
          slot: slot?.name,
          resourceGroup: group.name,
          location,
          plan,
          hostName: '',
          now,
        });
        const siteConfig = resource.internal!['siteConfig'] as Record<string, unknown>;
        if (spec.linuxFxVersion !== undefined) siteConfig['linuxFxVersion'] = spec.linuxFxVersion;
        if (spec.healthCheckPath !== undefined) siteConfig['healthCheckPath'] = spec.healthCheckPath;
        resource.internal!['appSettings'] = { ...spec.appSettings };
        if (!slot)
          resource.internal!['slotConfigNames'] = {
            appSettingNames: s.stickyAppSettings ?? [],
            connectionStringNames: [],
            azureStorageConfigNames: [],
          };
        if (!slot) sites.set(s.name.toLowerCase(), resource);
        resources.push(resource);
      }
    }
    for (const a of group.autoscaleSettings ?? []) {
      const plan = plans.get(a.targetPlan.toLowerCase());
      if (!plan)
        throw new Error(
          `config: autoscale setting ${a.name} targets plan ${a.targetPlan}, which resource group ${group.name} does not declare`,
        );
      const firstSite = [...sites.values()].find((s) => String(s.properties['serverFarmId']) === plan.id);
      const profiles = JSON.parse(
        JSON.stringify(a.profiles)
          .replaceAll(`"${PLAN_PLACEHOLDER}"`, JSON.stringify(plan.id))
          .replaceAll(`"${SITE_PLACEHOLDER}"`, JSON.stringify(firstSite?.id ?? plan.id)),
      );
      resources.push({
        id: `${groupId}/providers/microsoft.insights/autoscalesettings/${a.name}`,
        name: a.name,
        type: 'Microsoft.Insights/autoscaleSettings',
        location,
        tags: {},
        properties: {
          profiles,
          enabled: a.enabled ?? true,
          notifications: a.notifications ?? [],
          predictiveAutoscalePolicy: { scaleMode: 'Disabled', scaleLookAheadTime: null },
          name: a.name,
          targetResourceUri: plan.id,
          targetResourceLocation: location,
        },
      });
    }
  }
  return { state, resources };
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Start the sandbox: ARM, login (Entra ID + GitHub OIDC) and admin listeners over TLS on 127.0.0.1, with
 * state in `stateDir`. A state dir that already holds state.json resumes it; otherwise the config seeds it.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => {});
  const stateDir = resolve(options.stateDir);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const [tls, keys] = await Promise.all([loadOrCreateTls(stateDir), loadOrCreateSigningKeys(stateDir)]);

  let state = ResourceStore.load(stateDir);
  let seeded: StoredResource[] = [];
  if (!state) ({ state, resources: seeded } = await seedState(options.config, clock));
  const store = new ResourceStore(state, join(stateDir, 'state.json'));
  const pushedMetrics = new InMemoryMetricsSource();
  const faults = new FaultInjector(clock);
  const identity = new IdentityService(store, keys, clock);
  const dataPlane = options.dataPlane
    ? await DataPlane.create({ stateDir, tls, ...options.dataPlane, log })
    : undefined;
  // Metrics: the data plane's (from real traffic) plus whatever the admin endpoint pushed.
  const metrics: MetricsSource = options.metrics ?? {
    samples: (id, name, start, end) => [
      ...(dataPlane?.metrics.samples(id, name, start, end) ?? []),
      ...pushedMetrics.samples(id, name, start, end),
    ],
  };
  const base = defaultHooks(metrics);
  const hooks: ArmHooks = { ...base, ...dataPlane?.hooks(), ...options.hooks, metrics };
  const arm = new ArmService(store, identity, faults, clock, hooks);

  const sockets = new Set<import('node:stream').Duplex>();
  const serve = (
    name: 'arm' | 'login' | 'admin' | 'acr',
    handler: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>,
  ) => {
    const server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
      const started = performance.now();
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      res.on('finish', () =>
        log(
          `${name} ${req.method} ${url.pathname} ${res.statusCode} ${Math.round(performance.now() - started)}ms`,
        ),
      );
      void (async () => {
        if (name === 'arm' || name === 'login') {
          const fault = faults.take(name, req.method ?? 'GET', url.pathname);
          if (fault) {
            log(`${name} fault ${fault.type} on ${req.method} ${url.pathname}`);
            if (fault.type === 'drop') {
              req.socket.destroy();
              return;
            }
            if (fault.type === 'latency') await new Promise((r) => setTimeout(r, fault.latencyMs));
            if (fault.type === 'throttle') {
              const retryAfter = String(fault.retryAfterSeconds ?? 1);
              sendArmError(
                res,
                new HttpProblem(
                  429,
                  'TooManyRequests',
                  `The request was throttled (injected fault). Retry after ${retryAfter} seconds.`,
                  { 'retry-after': retryAfter },
                ),
              );
              return;
            }
            if (fault.type === 'error') {
              const status = fault.status ?? 500;
              sendArmError(
                res,
                new HttpProblem(
                  status,
                  status === 503 ? 'ServiceUnavailable' : 'InternalServerError',
                  `The service is unavailable (injected fault ${status}).`,
                ),
              );
              return;
            }
          }
        }
        await handler(req, res, url);
      })().catch((error) => {
        console.error(`sandbox: ${name} ${req.method} ${url.pathname}: ${(error as Error).stack ?? error}`);
        if (!res.headersSent)
          sendJson(res, 500, { error: { code: 'InternalServerError', message: 'unexpected sandbox error' } });
      });
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return server;
  };

  const connection = {} as SandboxConnection;
  const admin = (req: IncomingMessage, res: ServerResponse, url: URL) =>
    handleAdmin(req, res, url, { store, faults, identity, metrics: pushedMetrics, connection, dataPlane });
  const armServer = serve('arm', (req, res, url) => arm.handle(req, res, url));
  const loginServer = serve('login', (req, res, url) => identity.handle(req, res, url));
  const adminServer = serve('admin', admin);
  const armPort = await listen(armServer, options.port ?? 0);
  const loginPort = await listen(loginServer, 0);
  const adminPort = await listen(adminServer, 0);
  arm.armEndpoint = `https://127.0.0.1:${armPort}`;
  identity.authorityHost = `https://127.0.0.1:${loginPort}`;
  const registries = await startRegistryLoginServers(
    options.config,
    store,
    identity,
    clock,
    stateDir,
    () => arm.armEndpoint,
  );
  const registryServers = registries.map(({ service }) =>
    serve('acr', (req, res, url) => service.handle(req, res, url)),
  );
  for (const [i, server] of registryServers.entries())
    registries[i]!.service.loginServer = `127.0.0.1:${await listen(server, 0)}`;

  // Seed after the listeners know their URLs: host names may depend on the data plane's hooks.
  for (const resource of seeded) {
    if (resource.type.startsWith('Microsoft.Web/sites')) {
      const [site, slot] = resource.name.split('/');
      const host = hooks.hostNameFor(site!, slot);
      const scm = host.replace(/^([^.]+)\./, '$1.scm.');
      Object.assign(resource.properties, {
        defaultHostName: host,
        hostNames: [host],
        enabledHostNames: [host, scm],
        hostNameSslStates: [
          { name: host, hostType: 'Standard', sslState: 'Disabled' },
          { name: scm, hostType: 'Repository', sslState: 'Disabled' },
        ],
      });
    }
    store.put(resource);
  }

  let requestToken = Object.keys(store.state.githubRequestTokens)[0];
  if (!requestToken) requestToken = identity.createRequestToken(options.config.github);
  const deployer = store.state.principals[0];
  if (!deployer)
    throw new Error('config: at least one principal is needed (the first one goes into connection.json)');
  Object.assign(connection, {
    armEndpoint: arm.armEndpoint,
    authorityHost: identity.authorityHost,
    tenantId: store.state.tenantId,
    subscriptionId: store.state.subscriptionId,
    clientId: deployer.clientId,
    clientSecret: deployer.clientSecret ?? '',
    caCertPath: tls.caCertPath,
    ...store.state.defaults,
    oidcRequestUrl: `${identity.authorityHost}/github/oidc/token?api-version=2.0`,
    oidcRequestToken: requestToken,
    adminEndpoint: `https://127.0.0.1:${adminPort}`,
    ...(registries.length > 0
      ? {
          containerRegistries: registries.map(({ service }) => ({
            name: service.registry.name,
            resourceId: service.registry.resourceId,
            loginServer: service.loginServer,
            tokenRealm: `https://${service.loginServer}/oauth2/token`,
            tokenService: service.loginServer,
            tokenIssuer: ACR_TOKEN_ISSUER,
            rootCertBundle: tls.caCertPath,
          })),
        }
      : {}),
  } satisfies SandboxConnection);
  await dataPlane?.attach(store);
  store.persist();
  writeFileSync(join(stateDir, 'connection.json'), `${JSON.stringify(connection, null, 2)}\n`, {
    mode: 0o600,
  });

  return {
    connection,
    store,
    faults,
    arm,
    identity,
    ...(dataPlane ? { dataPlane } : {}),
    async stop() {
      await dataPlane?.stop();
      arm.close();
      const servers = [armServer, loginServer, adminServer, ...registryServers];
      for (const s of servers) s.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all(
        servers.map(
          (s) => new Promise<void>((done) => (s.listening ? s.once('close', () => done()) : done())),
        ),
      );
      store.persist();
    },
  };
}

/** One ACR login server per configured registry, with the token signing key the sandbox CA certifies. */
async function startRegistryLoginServers(
  config: SandboxConfig,
  store: ResourceStore,
  identity: IdentityService,
  clock: SandboxClock,
  stateDir: string,
  armEndpoint: () => string,
): Promise<{ service: AcrService }[]> {
  const wanted = config.containerRegistries ?? [];
  if (wanted.length === 0) return [];
  const key = await loadOrIssueSigningKey(
    stateDir,
    'acr-token-signing',
    'CN=slotline sandbox ACR token signing',
  );
  return wanted.map((r) => {
    const group = r.resourceGroup ?? store.state.defaults.resourceGroup;
    const resourceId = `/subscriptions/${store.state.subscriptionId}/resourceGroups/${group}/providers/Microsoft.ContainerRegistry/registries/${r.name}`;
    return {
      service: new AcrService(
        { name: r.name, resourceId, ...(r.upstream ? { upstream: r.upstream } : {}) },
        store,
        identity,
        key,
        clock,
        armEndpoint,
      ),
    };
  });
}

/**
 * The admin API (its own port, never ARM's): faults, GitHub run identities, minted tokens for tests and
 * pushed metric samples.
 */
async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: {
    store: ResourceStore;
    faults: FaultInjector;
    identity: IdentityService;
    metrics: InMemoryMetricsSource;
    connection: SandboxConnection;
    dataPlane?: DataPlane;
  },
): Promise<void> {
  const path = url.pathname.replace(/\/$/, '') || '/';
  const bad = (message: string) => sendJson(res, 400, { error: { code: 'BadRequest', message } });
  try {
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/autoscale/actions') {
      // The scale actions the engine took (newest last); Azure shows these in the activity log.
      return sendJson(res, 200, { value: ctx.dataPlane?.autoscale.actions() ?? [] });
    }
    if (path === '/faults' && req.method === 'GET') return sendJson(res, 200, { value: ctx.faults.list() });
    if (path === '/faults' && req.method === 'POST') {
      const body = parseJsonBody(await readBody(req));
      const specs = Array.isArray(body) ? body : [body];
      const added: Fault[] = [];
      for (const spec of specs) {
        if (!isObject(spec)) return bad('a fault must be a JSON object');
        try {
          added.push(ctx.faults.add(spec as unknown as FaultSpec));
        } catch (error) {
          return bad(`invalid fault: ${(error as Error).message}`);
        }
      }
      return sendJson(res, 201, Array.isArray(body) ? { value: added } : added[0]);
    }
    if (path === '/faults' && req.method === 'DELETE')
      return sendJson(res, 200, { removed: ctx.faults.remove() });
    const faultId = /^\/faults\/([^/]+)$/.exec(path)?.[1];
    if (faultId && req.method === 'DELETE')
      return sendJson(res, ctx.faults.remove(faultId) ? 200 : 404, undefined);
    if (path === '/github/request-tokens' && req.method === 'POST') {
      const body = parseJsonBody(await readBody(req));
      if (
        !isObject(body) ||
        typeof body['repository'] !== 'string' ||
        !/^[^/\s]+\/[^/\s]+$/.test(body['repository'])
      ) {
        return bad('expected {"repository": "owner/repo", "environment"?: "...", "ref"?: "refs/heads/..."}');
      }
      const claims = {
        repository: body['repository'],
        ref: typeof body['ref'] === 'string' ? body['ref'] : 'refs/heads/main',
        actor: typeof body['actor'] === 'string' ? body['actor'] : 'slotline-bot',
        ...(typeof body['environment'] === 'string' ? { environment: body['environment'] } : {}),
      };
      return sendJson(res, 201, {
        requestUrl: ctx.connection.oidcRequestUrl,
        requestToken: ctx.identity.createRequestToken(claims),
      });
    }
    if (path === '/tokens' && req.method === 'POST') {
      // Test-only: a token as Entra would issue it, with any lifetime (negative = already expired).
      const body = parseJsonBody(await readBody(req));
      if (
        !isObject(body) ||
        typeof body['clientId'] !== 'string' ||
        typeof body['expiresInSeconds'] !== 'number'
      ) {
        return bad('expected {"clientId": "...", "expiresInSeconds": n, "audience"?: "..."}');
      }
      const principal = ctx.store.state.principals.find((p) => p.clientId === body['clientId']);
      if (!principal) return bad(`no principal with clientId ${body['clientId']}`);
      const audience =
        typeof body['audience'] === 'string' ? body['audience'] : 'https://management.azure.com';
      return sendJson(res, 201, {
        access_token: await ctx.identity.mintAccessToken(principal, audience, body['expiresInSeconds']),
      });
    }
    if (path === '/principals' && req.method === 'GET') {
      // Ids and roles only; secrets stay in the state dir.
      return sendJson(res, 200, {
        value: ctx.store.state.principals.map((p) => ({
          name: p.name,
          clientId: p.clientId,
          objectId: p.objectId,
          roles: ctx.store.state.roleAssignments
            .filter((a) => a.principalObjectId === p.objectId)
            .map(({ role, scope }) => ({ role, scope })),
          federatedCredentials: p.federatedCredentials.map((f) => ({
            ...f,
            issuer: ctx.identity.resolveIssuer(f.issuer),
          })),
        })),
      });
    }
    if (path === '/metrics' && req.method === 'POST') {
      const body = parseJsonBody(await readBody(req));
      const series = Array.isArray(body) ? body : [body];
      for (const s of series) {
        if (
          !isObject(s) ||
          typeof s['resourceId'] !== 'string' ||
          typeof s['metric'] !== 'string' ||
          !Array.isArray(s['samples'])
        ) {
          return bad(
            'expected {"resourceId": "...", "metric": "Requests", "samples": [{"timestamp": "ISO", "value": n, "dimensions"?: {}}]}',
          );
        }
        const samples = (s['samples'] as unknown[]).map((x) => {
          const sample = x as Record<string, unknown>;
          const timestamp =
            typeof sample['timestamp'] === 'number'
              ? sample['timestamp']
              : Date.parse(String(sample['timestamp']));
          if (Number.isNaN(timestamp) || typeof sample['value'] !== 'number')
            throw new HttpProblem(400, 'BadRequest', 'each sample needs a timestamp and a numeric value');
          return {
            timestamp,
            value: sample['value'],
            ...(isObject(sample['dimensions'])
              ? { dimensions: sample['dimensions'] as Record<string, string> }
              : {}),
          };
        });
        ctx.metrics.record(s['resourceId'], s['metric'], samples);
      }
      return sendJson(res, 204, undefined);
    }
    sendJson(res, 404, { error: { code: 'NotFound', message: `no admin endpoint ${req.method} ${path}` } });
  } catch (error) {
    if (error instanceof HttpProblem)
      return sendJson(res, error.status, { error: { code: error.code, message: error.message } });
    throw error;
  }
}
