import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ACR_TOKEN_ISSUER, AcrService } from './acr.js';
import { ActivityLog } from './activity-log.js';
import { handleAdmin } from './admin.js';
import { AlertBook } from './alerts/book.js';
import { type ArmHooks, ArmService, defaultHooks } from './arm/service.js';
import type { SandboxClock } from './clock.js';
import type { SandboxConfig } from './config.js';
import { DataPlane } from './dataplane/data-plane.js';
import type { ContainerNetwork } from './dataplane/runtime.js';
import { applyFault, FaultInjector } from './faults.js';
import { sendJson } from './http.js';
import { loadOrCreateSigningKeys } from './keys.js';
import { IdentityService } from './login/identity.js';
import { InMemoryMetricsSource, type MetricsSource } from './metrics/source.js';
import { assignHostNames, seedState } from './seed.js';
import { ResourceStore, type StoredResource } from './store.js';
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
  hooks?: Partial<Omit<ArmHooks, 'metrics' | 'activityLog' | 'alerts'>>;
  /** One line per request; never bodies, query strings or headers (they carry secrets). */
  log?: (line: string) => void;
  /**
   * Part 2: run slots as real containers behind front-door listeners, with metrics from traffic and an
   * autoscale engine. `false` (the default in-process) keeps the control plane alone.
   */
  dataPlane?: false | { timeScale?: number; storageRoot?: string; network?: ContainerNetwork };
}

export interface Sandbox {
  connection: SandboxConnection;
  store: ResourceStore;
  faults: FaultInjector;
  arm: ArmService;
  identity: IdentityService;
  /** Azure's Activity Log (autoscale events), as ARM's `eventtypes/management/values` serves it. */
  activityLog: ActivityLog;
  /** Alerts and notifications of the metric-alert engine. */
  alerts: AlertBook;
  dataPlane?: DataPlane;
  stop(): Promise<void>;
}

const systemClock: SandboxClock = { now: () => Date.now() };

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
  // Azure's Activity Log: the autoscale engine writes it, ARM reads it, the admin API can add to it.
  const activityLog = new ActivityLog(() => clock.now());
  // Metric alerts: the data plane's engine raises them, the Alerts Management API and the admin API read them.
  const alerts = new AlertBook();
  const dataPlane = options.dataPlane
    ? await DataPlane.create({ stateDir, tls, ...options.dataPlane, log, activityLog, alerts })
    : undefined;
  // Metrics: the data plane's (from real traffic) plus whatever the admin endpoint pushed.
  const metrics: MetricsSource = options.metrics ?? {
    samples: (id, name, start, end) => [
      ...(dataPlane?.metrics.samples(id, name, start, end) ?? []),
      ...pushedMetrics.samples(id, name, start, end),
    ],
  };
  const base = defaultHooks(metrics, activityLog, alerts);
  const hooks: ArmHooks = { ...base, ...dataPlane?.hooks(), ...options.hooks, metrics, activityLog, alerts };
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
        if (
          (name === 'arm' || name === 'login') &&
          (await applyFault(faults, name, req, res, url.pathname, log))
        )
          return;
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
    handleAdmin(req, res, url, {
      store,
      faults,
      identity,
      metrics: pushedMetrics,
      activityLog,
      alerts,
      connection,
      dataPlane,
    });
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
  assignHostNames(seeded, hooks.hostNameFor);
  for (const resource of seeded) store.put(resource);

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
  await dataPlane?.attach(store, metrics);
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
    activityLog,
    alerts,
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
