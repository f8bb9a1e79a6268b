// What the demo's pipeline runs against, all on 127.0.0.1: the sandbox (Entra ID, Resource Manager,
// Monitor and the App Service data plane with real podman containers), its ACR login server in front of a
// real docker-registry, and PostgreSQL and Redis for the reference app. Every process is started here and
// stopped by `stop()`, whatever happened in between.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { freePort, type RunningService, startService } from '../workflow-runner/services.js';
import { readGuide, subjectFor } from './guide.js';

export const RESOURCE_GROUP = 'web-rg';
export const APP_NAME = 'contoso-web';
export const PLAN_NAME = 'contoso-plan';
export const SLOT = 'staging';
export const REGISTRY_NAME = 'contosoacr';
/** The repository the sandbox's GitHub OIDC tokens are issued for (the runner's github.repository). */
export const GITHUB_REPOSITORY = 'slotline/slotline';
/** Every network call the demo makes itself ends within this. */
const CALL_TIMEOUT_MS = 15_000;
/** The sandbox and docker-registry must be ready within this. */
const START_DEADLINE_MS = 60_000;

export interface Connection {
  armEndpoint: string;
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  caCertPath: string;
  adminEndpoint: string;
  containerRegistries: {
    name: string;
    loginServer: string;
    tokenRealm: string;
    tokenService: string;
    tokenIssuer: string;
    rootCertBundle: string;
  }[];
}

export interface Environment {
  conn: Connection;
  connectionFile: string;
  ca: string;
  loginServer: string;
  /** `https://127.0.0.1:<port>` of production's front door. */
  productionUrl: string;
  stop(): Promise<void>;
}

export interface EnvironmentOptions {
  /** Folder for the sandbox's state and the registry's config; removed by stop() unless kept. */
  dir: string;
  /** Persistent container store of the slots (images pulled once stay cached). */
  storageRoot: string;
  /** Persistent docker-registry storage (layers pushed once are not pushed again). */
  registryData: string;
  log: (line: string) => void;
  /**
   * Receives, before anything starts, the function that stops what has started so far: a SIGTERM while
   * the environment is still starting must not leave the sandbox or docker-registry behind.
   */
  onStop?: (stop: () => Promise<void>) => void;
}

/** Stops a child by pid: `signal`, then SIGKILL after `graceMs`; resolves when it has exited. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, signal);
  const timer = setTimeout(() => child.pid !== undefined && child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first line of `child`'s stdout that matches, or rejects at the deadline or its exit. */
function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  output: () => string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`${what} was not ready within ${START_DEADLINE_MS / 1000} s:\n${output().slice(-2000)}`),
        ),
      START_DEADLINE_MS,
    );
    const onData = () => {
      const line = output()
        .split('\n')
        .find((l) => pattern.test(l));
      if (line) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(line);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${output().slice(-2000)}`));
    });
  });
}

async function waitForPort(port: number, what: string): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${START_DEADLINE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The repository the runner's OIDC tokens name, with immutable ids (GitHub's subject form since 2026-07-15). */
export const GITHUB_IDS = { ownerId: 141414, repositoryId: 272727 };

/**
 * The sandbox config: the app the starter workflow names (web-rg/contoso-web with a staging slot, no image
 * yet: v1 is the first release), a plan of 2 workers, an autoscale setting, a registry, and the identities
 * docs/getting-started.md sets up (demo/guide.ts reads its `az` commands): the pipeline's, with federation
 * only (its subjects) and its role assignments, and the app's registry reader (the app's managed identity
 * in the guide; here a principal with a client secret, the sandbox has no managed identities).
 */
export function sandboxConfig(
  registryUpstream: string,
  pull: { clientId: string; secret: string },
  services: { database: string; redis: string },
) {
  const settings = {
    WEBSITES_PORT: '8000',
    DATABASE_URL: services.database,
    REDIS_URL: services.redis,
  };
  const subscriptionId = randomUUID();
  const groupId = `/subscriptions/${subscriptionId}/resourceGroups/${RESOURCE_GROUP}`;
  const scopes: Record<string, string> = {
    RG_ID: groupId,
    APP_ID: `${groupId}/providers/Microsoft.Web/sites/${APP_NAME}`,
    ACR_ID: `${groupId}/providers/Microsoft.ContainerRegistry/registries/${REGISTRY_NAME}`,
  };
  const guide = readGuide();
  const rolesOf = (assignee: string) => {
    const roles = guide.assignments
      .filter((a) => a.assignee === assignee)
      .map((a) => {
        const scope = scopes[a.scope];
        if (!scope)
          throw new Error(
            `docs/getting-started.md assigns ${a.role} at $${a.scope}, which demo/environment.ts does not know`,
          );
        return { role: a.sandboxRole, scope };
      });
    if (roles.length === 0) throw new Error(`docs/getting-started.md assigns no role to $${assignee}`);
    return { role: roles[0]!.role, scope: roles[0]!.scope, additionalRoles: roles.slice(1) };
  };
  const [owner, name] = GITHUB_REPOSITORY.split('/') as [string, string];
  const rule = (
    metricName: string,
    namespace: string,
    uri: string,
    operator: string,
    threshold: number,
    direction: string,
    window: string,
    cooldown: string,
    statistic = 'Average',
    timeAggregation = 'Average',
    dividePerInstance = false,
  ) => ({
    metricTrigger: {
      metricName,
      metricNamespace: namespace,
      metricResourceUri: uri,
      timeGrain: 'PT1M',
      statistic,
      timeWindow: window,
      timeAggregation,
      operator,
      threshold,
      dividePerInstance,
    },
    scaleAction: { direction, type: 'ChangeCount', value: '1', cooldown },
  });
  return {
    subscriptionId,
    tenantId: randomUUID(),
    location: 'West Europe',
    tokenLifetimeSeconds: 3599,
    operationDurationMs: 300,
    retryAfterSeconds: 1,
    github: { repository: GITHUB_REPOSITORY, ref: 'refs/heads/main', actor: 'local', ...GITHUB_IDS },
    principals: [
      {
        name: 'github-pipeline',
        clientSecret: null,
        ...rolesOf('PIPELINE_PRINCIPAL_ID'),
        federatedCredentials: guide.subjects.map((s, i) => ({
          name: `guide-${i + 1}`,
          issuer: 'github',
          subject: subjectFor(s, { owner, name, ...GITHUB_IDS }),
        })),
      },
      {
        name: 'app-registry-pull',
        clientId: pull.clientId,
        clientSecret: pull.secret,
        ...rolesOf('APP_PRINCIPAL_ID'),
      },
    ],
    resourceGroups: [
      {
        name: RESOURCE_GROUP,
        plans: [{ name: PLAN_NAME, sku: { name: 'P1v3', tier: 'PremiumV3', capacity: 2 } }],
        sites: [
          {
            name: APP_NAME,
            plan: PLAN_NAME,
            healthCheckPath: '/healthz',
            appSettings: settings,
            slots: [{ name: SLOT, healthCheckPath: '/healthz', appSettings: settings }],
          },
        ],
        autoscaleSettings: [
          {
            name: 'contoso-autoscale',
            targetPlan: PLAN_NAME,
            enabled: true,
            profiles: [
              {
                name: 'Default',
                capacity: { minimum: '2', maximum: '10', default: '2' },
                rules: [
                  rule(
                    'CpuPercentage',
                    'microsoft.web/serverfarms',
                    '{plan}',
                    'GreaterThan',
                    70,
                    'Increase',
                    'PT10M',
                    'PT5M',
                  ),
                  rule(
                    'Requests',
                    'microsoft.web/sites',
                    '{site}',
                    'GreaterThan',
                    1000,
                    'Increase',
                    'PT5M',
                    'PT5M',
                    'Sum',
                    'Total',
                    true,
                  ),
                  rule(
                    'CpuPercentage',
                    'microsoft.web/serverfarms',
                    '{plan}',
                    'LessThan',
                    30,
                    'Decrease',
                    'PT10M',
                    'PT10M',
                  ),
                ],
              },
            ],
          },
        ],
      },
    ],
    defaults: {
      resourceGroup: RESOURCE_GROUP,
      siteName: APP_NAME,
      planName: PLAN_NAME,
      autoscaleSettingName: 'contoso-autoscale',
    },
    containerRegistries: [{ name: REGISTRY_NAME, resourceGroup: RESOURCE_GROUP, upstream: registryUpstream }],
  };
}

interface Reply {
  status: number;
  body: unknown;
  text: string;
}

export async function startEnvironment(opts: EnvironmentOptions): Promise<Environment> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error: Error) => opts.log(`cleanup: ${error.message}`));
    stops.length = 0;
  };
  opts.onStop?.(stop);
  try {
    mkdirSync(opts.dir, { recursive: true });
    // PostgreSQL and Redis for the app, on free ports: the pipeline's test job maps 5432 and 6379 itself.
    const print = (line: string) => opts.log(`  ${line}`);
    const postgres: RunningService = await startService(
      {
        name: 'postgres',
        image: 'postgres',
        kind: 'postgres',
        env: { POSTGRES_USER: 'portal', POSTGRES_DB: 'portal', POSTGRES_HOST_AUTH_METHOD: 'trust' },
        ports: [{ container: 5432 }],
        options: '',
      },
      () => {},
    );
    stops.push(postgres.stop);
    const redis: RunningService = await startService(
      { name: 'redis', image: 'redis', kind: 'redis', env: {}, ports: [{ container: 6379 }], options: '' },
      () => {},
    );
    stops.push(redis.stop);
    print(
      `PostgreSQL on 127.0.0.1:${postgres.port}, Redis on 127.0.0.1:${redis.port} (the app's database and cache)`,
    );

    const registryPort = await freePort();
    const pull = { clientId: randomUUID(), secret: randomBytes(24).toString('base64url') };
    const config = sandboxConfig(`http://127.0.0.1:${registryPort}`, pull, {
      database: `postgresql://portal@127.0.0.1:${postgres.port}/portal`,
      redis: `redis://127.0.0.1:${redis.port}/0`,
    });
    const stateDir = join(opts.dir, 'sandbox');
    const configFile = join(opts.dir, 'sandbox-config.json');
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const repo = join(import.meta.dirname, '..');
    const sandbox = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repo, 'sandbox', 'cli.ts'),
        '--state-dir',
        stateDir,
        '--config',
        configFile,
        '--quiet',
        '--container-network',
        'host',
        '--storage-root',
        opts.storageRoot,
      ],
      { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let sandboxOutput = '';
    sandbox.stdout!.on('data', (d) => {
      sandboxOutput += d;
    });
    sandbox.stderr!.on('data', (d) => {
      sandboxOutput += d;
    });
    // The sandbox removes its containers on SIGTERM (about a second); SIGKILL after 20 s.
    stops.push(() => stopChild(sandbox, 'SIGTERM', 20_000));
    await waitForLine(sandbox, /^sandbox: ready/, 'the sandbox', () => sandboxOutput);
    const connectionFile = join(stateDir, 'connection.json');
    const conn = JSON.parse(readFileSync(connectionFile, 'utf8')) as Connection;
    const ca = readFileSync(conn.caCertPath, 'utf8');
    const acr = conn.containerRegistries[0]!;
    print(
      `sandbox ready (pid ${sandbox.pid}): ARM and Entra ID at ${conn.armEndpoint}, ACR login server ${acr.loginServer}`,
    );

    // docker-registry behind the login server, checking every ACR token itself.
    mkdirSync(opts.registryData, { recursive: true });
    const registryConfig = join(opts.dir, 'registry.yml');
    writeFileSync(
      registryConfig,
      [
        'version: 0.1',
        'log: { level: error, accesslog: { disabled: true } }',
        `storage: { filesystem: { rootdirectory: ${JSON.stringify(opts.registryData)} }, delete: { enabled: true } }`,
        `http: { addr: "127.0.0.1:${registryPort}", secret: ${JSON.stringify(randomBytes(16).toString('hex'))}, relativeurls: true }`,
        `auth: { token: { realm: ${JSON.stringify(acr.tokenRealm)}, service: ${JSON.stringify(acr.tokenService)}, issuer: ${JSON.stringify(acr.tokenIssuer)}, rootcertbundle: ${JSON.stringify(acr.rootCertBundle)} } }`,
      ].join('\n'),
    );
    const registry = spawn('docker-registry', ['serve', registryConfig], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let registryOutput = '';
    registry.stderr!.on('data', (d) => {
      registryOutput += d;
    });
    stops.push(() => stopChild(registry, 'SIGTERM', 10_000));
    await waitForPort(registryPort, 'docker-registry').catch((error: Error) => {
      throw new Error(`${error.message}; docker-registry said: ${registryOutput.slice(-1000)}`);
    });
    print(
      `docker-registry (pid ${registry.pid}) on 127.0.0.1:${registryPort}, token auth from the login server`,
    );

    const agent = new Agent({ connect: { ca, timeout: CALL_TIMEOUT_MS } });
    stops.push(() => agent.close());
    const call = async (
      method: string,
      url: string,
      init: { token?: string; json?: unknown; form?: Record<string, string> } = {},
    ): Promise<Reply> => {
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      if (init.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(init.form).toString();
      } else if (init.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(init.json);
      }
      const res = await request(url, {
        method: method as 'GET',
        headers,
        body,
        dispatcher: agent,
        headersTimeout: CALL_TIMEOUT_MS,
        bodyTimeout: CALL_TIMEOUT_MS,
      });
      const text = await res.body.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      return { status: res.statusCode, body: parsed, text };
    };
    const expectOk = (reply: Reply, what: string) => {
      if (reply.status >= 300) throw new Error(`${what}: HTTP ${reply.status} ${reply.text.slice(0, 300)}`);
      return reply.body as Record<string, unknown>;
    };

    // The app pulls its image with an ACR refresh token of the registry reader (the sandbox has no
    // managed identities; on Azure the app's identity with AcrPull does this, docs/pipeline.md).
    const entra = expectOk(
      await call('POST', `${conn.authorityHost}/${conn.tenantId}/oauth2/v2.0/token`, {
        form: {
          grant_type: 'client_credentials',
          client_id: pull.clientId,
          client_secret: pull.secret,
          scope: 'https://containerregistry.azure.net/.default',
        },
      }),
      'Entra ID token for the registry reader',
    ).access_token as string;
    const refresh = expectOk(
      await call('POST', `https://${acr.loginServer}/oauth2/exchange`, {
        form: {
          grant_type: 'access_token',
          service: acr.loginServer,
          tenant: conn.tenantId,
          access_token: entra,
        },
      }),
      'ACR token exchange',
    ).refresh_token as string;
    const armToken = expectOk(
      await call('POST', `${conn.adminEndpoint}/tokens`, {
        json: { clientId: conn.clientId, expiresInSeconds: 600 },
      }),
      'a set-up token',
    ).access_token as string;
    const site = `${conn.armEndpoint}/subscriptions/${conn.subscriptionId}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.Web/sites/${APP_NAME}`;
    for (const base of [site, `${site}/slots/${SLOT}`]) {
      const current = expectOk(
        await call('POST', `${base}/config/appsettings/list?api-version=2024-04-01`, { token: armToken }),
        'list app settings',
      );
      const properties = {
        ...(current.properties as Record<string, string>),
        DOCKER_REGISTRY_SERVER_URL: `https://${acr.loginServer}`,
        DOCKER_REGISTRY_SERVER_USERNAME: '00000000-0000-0000-0000-000000000000',
        DOCKER_REGISTRY_SERVER_PASSWORD: refresh,
      };
      expectOk(
        await call('PUT', `${base}/config/appsettings?api-version=2024-04-01`, {
          token: armToken,
          json: { properties },
        }),
        'set app settings',
      );
    }
    const production = expectOk(
      await call('GET', `${site}?api-version=2024-04-01`, { token: armToken }),
      'read the app',
    );
    const host = (production.properties as { defaultHostName: string }).defaultHostName;
    return { conn, connectionFile, ca, loginServer: acr.loginServer, productionUrl: `https://${host}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
