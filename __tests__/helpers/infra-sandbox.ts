import { readFileSync } from 'node:fs';
import { defaultConfig, type PrincipalConfig } from '../../sandbox/config.js';
import { startLoad } from '../../sandbox/dataplane/load.js';
import type { GithubRunClaims } from '../../sandbox/store.js';
import { buildTestImage } from '../../sandbox/testimage/build.js';
import { stateDir } from '../../scripts/lib/containers.mjs';
import { admin, type SandboxProcess, signInInputs, startSandbox } from '../sandbox/helpers.js';
import { repoRoot, runBundle, type StepResult } from './runner.js';

/**
 * infra/main.json with infra/parameters/dev.json deployed to the sandbox with its data plane, through
 * deploy-infra's bundle run as the runner runs it. Shared by the end-to-end test and the bench.
 *
 * The deploying principal is the sandbox's default one: Contributor on the subscription, plus User Access
 * Administrator on the group, because the template assigns roles (Contributor may not), as in Azure.
 */

export const INFRA_GROUP = 'rg-slotline-dev';
/** The busybox test app, built into the sandbox's container store: the image production runs. */
export const INFRA_IMAGE = 'localhost/slotline/testapp:infra';
export const INFRA_IMAGE_BODY = 'slotline test app infra';
/** The PostgreSQL administrator password (a securestring): must never reach a log, the summary or outputs. */
export const INFRA_PASSWORD = 'Pg-7c41e9d2-never-in-a-log/+';

export interface InfraSandbox {
  sb: SandboxProcess;
  /** The deploying principal's object id (the token's `oid`): pipelinePrincipalId. */
  objectId: string;
  /** The parameter-overrides input: dev.json's values plus what only the deployment can know. */
  overrides(extra?: Record<string, string | number | boolean>): string;
  deployInfra(inputs: Record<string, string>): Promise<StepResult>;
  stop(): Promise<void>;
}

export interface InfraSandboxOptions {
  /** Empty resource groups to create; the first is connection.json's default (default: INFRA_GROUP). */
  groups?: string[];
  /**
   * The deploying principal, the first in the config (connection.json's). Default: the sandbox's default
   * one, Contributor on the subscription, plus User Access Administrator on each group.
   */
  principal?: PrincipalConfig;
  /** The claims of connection.json's default GitHub request token. */
  github?: GithubRunClaims;
}

export async function startInfraSandbox(opts: InfraSandboxOptions = {}): Promise<InfraSandbox> {
  const storage = stateDir('deploy-infra-store');
  await buildTestImage(INFRA_IMAGE, storage, 'infra');
  const base = defaultConfig();
  const groups = opts.groups ?? [INFRA_GROUP];
  const principal = opts.principal ?? {
    ...base.principals[0]!,
    additionalRoles: groups.map((group) => ({
      role: 'User Access Administrator' as const,
      scope: `/subscriptions/{subscription}/resourceGroups/${group}`,
    })),
  };
  const config = {
    operationDurationMs: 300,
    retryAfterSeconds: 1,
    defaults: {
      resourceGroup: groups[0]!,
      siteName: 'none',
      planName: 'none',
      autoscaleSettingName: 'none',
    },
    resourceGroups: groups.map((name) => ({ name })),
    principals: [principal, ...base.principals.slice(1)],
    ...(opts.github ? { github: opts.github } : {}),
  };
  const sb = await startSandbox({ config, dataPlane: { timeScale: 60, storageRoot: storage } });
  // The admin API names every principal's object id, also one that may only sign in through federation.
  const principals = await admin(sb, 'GET', '/principals');
  const objectId = String(
    (principals.body as { value: { clientId: string; objectId: string }[] }).value.find(
      (p) => p.clientId === sb.conn.clientId,
    )?.objectId,
  );
  const c = sb.conn;
  return {
    sb,
    objectId,
    overrides: (extra = {}) =>
      Object.entries({
        containerImage: INFRA_IMAGE,
        pipelinePrincipalId: objectId,
        postgresAdministratorPassword: INFRA_PASSWORD,
        ...extra,
      })
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join('\n'),
    deployInfra: (inputs) =>
      runBundle(
        'deploy-infra',
        {
          ...signInInputs(c),
          'resource-group': INFRA_GROUP,
          template: 'infra/main.json',
          parameters: 'infra/parameters/dev.json',
          ...inputs,
        },
        {
          NODE_EXTRA_CA_CERTS: c.caCertPath,
          GITHUB_WORKSPACE: repoRoot,
          GITHUB_RUN_ID: '16',
          GITHUB_RUN_ATTEMPT: '1',
        },
        300_000,
      ),
    stop: async () => {
      await sb.stop();
    },
  };
}

/**
 * What a site answers at https://<host>/ through the sandbox's front door, once it answers with the test
 * app's body alone (or the deadline passes): a few requests at a time, every 500 ms, for at most 90 s.
 */
export async function servedBodies(host: string, caCertPath: string): Promise<string[]> {
  const ca = readFileSync(caCertPath, 'utf8');
  const deadline = Date.now() + 90_000;
  let bodies: Record<string, number> = {};
  while (Date.now() < deadline) {
    const report = await startLoad({
      url: `https://${host}/`,
      concurrency: 1,
      maxDurationMs: 10_000,
      maxRequests: 3,
      ca,
    }).done;
    bodies = report.bodies;
    if (report.total > 0 && report.bodies[INFRA_IMAGE_BODY] === report.total) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  return Object.keys(bodies);
}
