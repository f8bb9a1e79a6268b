// npm run demo [-- --scenario good|bad-release] [--keep]
// The main job: the push-to-main starter workflow runs the real pipeline.yml, through the local workflow
// runner, against the local Azure sandbox: release v1 of examples/flask-app, then v2 through the canary,
// the metric gate and the swap while light traffic runs on production. `--scenario bad-release` sends a
// slow v2 instead: the gate stops it, the rollback job runs, and production keeps serving v1.
// Exit 0 when the scenario behaved as it should, 1 when it did not, 2 on a usage error.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { stateDir, storageConf, storeDir } from '../scripts/lib/containers.mjs';
import { type RunResult, runWorkflow, stopRunningSteps } from '../workflow-runner/runner.js';
import { stopAllServices } from '../workflow-runner/services.js';
import { type Environment, startEnvironment } from './environment.js';
import { judge, type Scenario, summary } from './outcome.js';
import { servedVersion, startTraffic, THINK_MS, type Traffic, type TrafficReport, USERS } from './traffic.js';
import {
  badChange,
  CALLER,
  callerWorkflow,
  commitRelease,
  createWorkspace,
  demoOverrides,
  goodChange,
} from './workspace.js';

const USAGE = 'usage: npm run demo [-- --scenario good|bad-release] [--keep]';
const SYSTEM_CAS = '/etc/ssl/certs/ca-certificates.crt';
const TOOLS = ['buildah', 'podman', 'skopeo', 'docker-registry', 'mmdebstrap', 'git', 'redis-server'];

function usage(message: string): never {
  console.error(`demo: ${message}\n${USAGE}`);
  process.exit(2);
}

let scenario: Scenario = 'good';
let keep = false;
try {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.scenario !== undefined && values.scenario !== 'good' && values.scenario !== 'bad-release')
    usage(`--scenario: '${values.scenario}' is not good or bad-release`);
  scenario = (values.scenario as Scenario | undefined) ?? 'good';
  keep = values.keep ?? false;
} catch (error) {
  usage((error as Error).message);
}

const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.error(`demo: ${missing.join(', ')} not found: run scripts/install-system-deps.sh (as root) first`);
  process.exit(1);
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string) => console.log(`demo [${elapsed()}] ${line}`);
const work = mkdtempSync(join(tmpdir(), 'slotline-demo-'));
let env: Environment | undefined;
/** Stops what the environment started, also while it is still starting. */
let stopEnvironment: (() => Promise<void>) | undefined;
let traffic: Traffic | undefined;
let cleaning: Promise<void> | undefined;

/** Stops everything the demo started, once, whatever state it is in. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    stopRunningSteps('SIGKILL');
    stopAllServices();
    await traffic?.stop().catch(() => undefined);
    await stopEnvironment?.();
    if (!keep) rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    console.error(`demo: ${signal}: stopping the pipeline, the sandbox, its containers and the services`);
    void cleanup().finally(() => process.exit(130));
  });

async function release(
  workspace: string,
  version: string,
  message: string,
  firstRelease: boolean,
): Promise<{ result: RunResult; commit: string }> {
  const overrides = demoOverrides({
    armEndpoint: env!.conn.armEndpoint,
    authorityHost: env!.conn.authorityHost,
    version,
    firstRelease,
  });
  const commit = commitRelease(workspace, callerWorkflow(overrides), message);
  say(`release ${version}: commit ${commit} "${message}" pushed to main; running ${CALLER}`);
  const result = await runWorkflow({
    file: join(workspace, CALLER),
    event: 'push',
    workspace,
    connection: env!.connectionFile,
    vars: {
      ACR_LOGIN_SERVER: env!.loginServer,
      AZURE_SUBSCRIPTION_ID: env!.conn.subscriptionId,
      AZURE_TENANT_ID: env!.conn.tenantId,
      AZURE_CLIENT_ID: env!.conn.clientId,
    },
    report: join(work, `report-${version}.md`),
    write: (line) => console.log(`  │ ${line}`),
  });
  say(
    `release ${version}: the pipeline ${result.success ? 'succeeded' : 'failed'} in ${(result.durationMs / 1000).toFixed(1)} s (report ${result.reportPath})`,
  );
  return { result, commit };
}

async function main(): Promise<number> {
  say(`scenario ${scenario}; work folder ${work}`);
  const base = spawnSync('bash', ['scripts/base-image.sh'], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  if (base.status !== 0)
    throw new Error(
      `the base image could not be built: ${base.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  say(
    `base image ${base.stdout.trim().split('\n').at(-1)} (${base.stderr.includes('cached') ? 'cached' : 'built'})`,
  );

  env = await startEnvironment({
    dir: join(work, 'environment'),
    storageRoot: stateDir('demo-store'),
    registryData: stateDir('demo-registry'),
    log: say,
    onStop: (stop) => {
      stopEnvironment = stop;
    },
  });
  // The runner machine trusts the sandbox CA as a machine behind a TLS-inspecting proxy trusts its CA:
  // Node through NODE_EXTRA_CA_CERTS (the actions), Go's TLS (buildah's push) through SSL_CERT_FILE, a
  // bundle of the system's CAs and the sandbox's. buildah uses the private store with the base image.
  const storage = join(work, 'storage.conf');
  writeFileSync(storage, storageConf(storeDir()));
  const bundle = join(work, 'ca-bundle.pem');
  writeFileSync(bundle, `${existsSync(SYSTEM_CAS) ? readFileSync(SYSTEM_CAS, 'utf8') : ''}\n${env.ca}`);
  Object.assign(process.env, {
    NODE_EXTRA_CA_CERTS: env.conn.caCertPath,
    SSL_CERT_FILE: bundle,
    CONTAINERS_STORAGE_CONF: storage,
    BUILDAH_ISOLATION: 'chroot',
  });
  say(`production is ${env.productionUrl} (no release yet)`);

  const workspace = createWorkspace(join(work, 'workspace'));
  const v1 = await release(workspace, '1.0.0', 'v1: the compliance document portal', true);
  const agent = new Agent({ connect: { ca: env.ca, timeout: 5000 } });
  const afterV1 = await servedVersion(env.productionUrl, agent);
  say(`production serves ${afterV1}`);
  if (!v1.result.success || afterV1 !== '1.0.0') {
    await agent.close();
    say(`release 1.0.0 did not reach production: the demo cannot go on (see ${v1.result.reportPath})`);
    return 1;
  }

  traffic = startTraffic(env.productionUrl, env.ca);
  say(`background traffic on production: ${USERS} users, ${THINK_MS} ms think time, on / and /api/documents`);
  const message = scenario === 'good' ? goodChange(workspace) : badChange(workspace);
  const v2 = await release(workspace, '2.0.0', message, false);
  const report: TrafficReport = await traffic.stop();
  traffic = undefined;
  const served = await servedVersion(env.productionUrl, agent);
  await agent.close();

  const outcome = judge(scenario, v2.result, served, report);
  console.log(
    summary({
      scenario,
      productionUrl: env.productionUrl,
      served,
      v1: v1.result,
      v2: v2.result,
      traffic: report,
      outcome,
      totalS: (Date.now() - started) / 1000,
    }),
  );
  const reports = stateDir('demo-last-run');
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  for (const r of [v1.result, v2.result])
    cpSync(r.reportPath, join(reports, r.reportPath.split('/').at(-1)!));
  say(`the runner's reports are in ${reports}`);
  if (keep) {
    say(
      `--keep: the sandbox stays up. Production ${env.productionUrl}, ARM ${env.conn.armEndpoint}, connection ${env.connectionFile} (trust ${env.conn.caCertPath}). Ctrl-C stops everything.`,
    );
    await new Promise(() => {});
  }
  return outcome.behaved ? 0 : 1;
}

const code = await main().catch((error: Error) => {
  console.error(`demo: ${error.message}`);
  return 1;
});
await cleanup();
say(`done: everything the demo started is stopped${keep ? `; its files are kept in ${work}` : ''}`);
process.exit(code);
