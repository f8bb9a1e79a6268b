import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GITHUB_IDS, GITHUB_REPOSITORY } from '../../demo/environment.js';
import { subjectFor } from '../../demo/guide.js';
import { commitRelease, initRepository, type Override, starterWith } from '../../demo/workspace.js';
import { type RunResult, runWorkflow, stopRunningSteps } from '../../workflow-runner/runner.js';
import { requireTools } from '../helpers/containers.js';
import {
  INFRA_IMAGE,
  INFRA_IMAGE_BODY,
  type InfraSandbox,
  servedBodies,
  startInfraSandbox,
} from '../helpers/infra-sandbox.js';
import { repoRoot } from '../helpers/runner.js';
import { admin, call } from '../sandbox/helpers.js';

// Issue 16 through the workflow a user's repository runs: the starter workflows/infra.yml (dev, then
// staging, then production, each calling the real .github/workflows/infra.yml) in a git repository on
// main holding infra/, run by the local workflow runner against the sandbox (real containers). As the demo
// does with its starter, only `with:` values that point it at this machine change (listed in the file's
// header). The infrastructure identity has exactly the federated credentials docs/pipeline.md names, and
// the sandbox's sign-in log says which subject each job signed in with.
//
// 1. push: each environment's what-if (no environment, the ref's subject, the what-if table in its summary)
//    then its deploy (in the environment, its subject): infra/main.json, then infra/operations.json with the
//    environment's operations parameter file and main's resource ids, whose action groups and metric alerts
//    ARM then serves; the site serves the container; the caller jobs' outputs hold the template outputs; the
//    secure parameters (a secret per environment, production's PagerDuty URL) are never printed.
// 2. pull_request: the what-ifs only, with the pull_request subject; no deploy job runs. dev shows no
//    change; staging and production at most the autoscale capacity reset infra/README.md describes.
// 3. push with a parameter change and fail-on-change-types Modify on dev: dev's what-if fails, nothing
//    deploys (dev's deploy, staging and production are skipped) and the resource is unchanged.
// 4. pull_request with a resource removed from the template and fail-on-change-types Delete: what-if lists
//    it as Ignore (Incremental mode), the guard passes, the resource stays.
// One sandbox for the file; the runs take about 27, 4, 1.5 and 4 s on a 2-core machine (the push run's
// operations.json deploys, 3.5 s each, add 11 s of it).

requireTools('buildah', 'podman');

/** Each workflow run ends within this (its steps are killed then); its beforeAll allows a minute more. */
const RUN_DEADLINE_MS = 4 * 60_000;
const STARTER = join(repoRoot, 'workflows', 'infra.yml');
const CALLER = join('.github', 'workflows', 'infra.yml');
/** The starter's jobs, their GitHub environments, resource groups and secrets, as it writes them. */
const ENVIRONMENTS = [
  { job: 'dev', environment: 'dev', group: 'contoso-dev-rg', secret: 'INFRA_DEV_SECURE_PARAMETERS' },
  {
    job: 'staging',
    environment: 'staging',
    group: 'contoso-staging-rg',
    secret: 'INFRA_STAGING_SECURE_PARAMETERS',
  },
  {
    job: 'production',
    environment: 'production',
    group: 'contoso-prod-rg',
    secret: 'INFRA_PROD_SECURE_PARAMETERS',
  },
] as const;
/** Production's PagerDuty integration URL (a securestring of operations.json): it carries the key. */
const PAGERDUTY_URL = 'https://events.pagerduty.example/integration/4b8e0c1d-never-printed/enqueue';
/** One PostgreSQL administrator password per environment: none may reach the output or the report. */
const PASSWORDS: Record<string, string> = {
  dev: 'Pg-dev-5d0c8a1f-never-printed/+',
  staging: 'Pg-staging-94e2b7c6-never-printed/+',
  production: 'Pg-prod-0a7f3e58-never-printed/+',
};
const [OWNER, NAME] = GITHUB_REPOSITORY.split('/') as [string, string];
const subject = (suffix: string) =>
  subjectFor(`repo:$OWNER@$OWNER_ID/$REPO@$REPO_ID:${suffix}`, { owner: OWNER, name: NAME, ...GITHUB_IDS });

/**
 * The subjects docs/pipeline.md gives the infrastructure identity ("Its federated credentials are …"), as
 * written there (`…:pull_request`, `…:ref:refs/heads/main`, `…:environment:<name>`).
 */
function documentedSubjects(): string[] {
  const doc = readFileSync(join(repoRoot, 'docs', 'pipeline.md'), 'utf8').replace(/\s+/g, ' ');
  const sentence = /Its federated credentials are (.*?)\. /.exec(doc)?.[1];
  if (!sentence) throw new Error('docs/pipeline.md: no "Its federated credentials are …" sentence');
  return [...sentence.matchAll(/`…:([^`]+)`/g)].map((m) => m[1]!);
}

interface Run {
  result: RunResult;
  text: string;
  report: string;
  /** The subjects of the federated sign-ins during the run, consecutive repeats folded. */
  subjects: string[];
  job: (key: string) => RunResult['jobs'][number];
}

let env: InfraSandbox;
let work: string;
let workspace: string;
let push: Run;
const savedCa = process.env.NODE_EXTRA_CA_CERTS;

interface ActionGroup {
  emailReceivers: { emailAddress: string }[];
  smsReceivers: { countryCode: string; phoneNumber: string }[];
  webhookReceivers: { name: string; serviceUri: string }[];
}

/** A token of connection.json's principal for ARM GETs on the sandbox. */
async function armToken(): Promise<string> {
  const c = env.sb.conn;
  return (
    (await admin(env.sb, 'POST', '/tokens', { clientId: c.clientId, expiresInSeconds: 600 })).body as {
      access_token: string;
    }
  ).access_token;
}

async function signIns(): Promise<{ subject?: string; credential: string }[]> {
  return (
    (await admin(env.sb, 'GET', '/sign-ins')).body as { value: { subject?: string; credential: string }[] }
  ).value;
}

/**
 * The starter with this machine's `with:` values on every job (and `extra` on some), committed on main,
 * then run by the runner for `event`.
 */
async function runStarter(
  event: string,
  label: string,
  extra: Record<string, Override[]> = {},
): Promise<Run> {
  const c = env.sb.conn;
  const common: Override[] = [
    ['arm-endpoint', c.armEndpoint, 'the sandbox instead of management.azure.com'],
    ['authority-host', c.authorityHost, 'the sandbox instead of login.microsoftonline.com'],
    [
      'parameter-overrides',
      `containerImage: ${JSON.stringify(INFRA_IMAGE)}\npipelinePrincipalId: ${JSON.stringify(env.objectId)}\n`,
      "the sandbox runs only images in its container store; the identity's object id exists once the sandbox made it (a repository's parameter files hold it)",
    ],
  ];
  const jobs = Object.fromEntries(
    ENVIRONMENTS.map(({ job }) => [job, [...common, ...(extra[job] ?? [])]] as [string, Override[]]),
  );
  commitRelease(workspace, starterWith(STARTER, jobs, 'workflows/infra.yml'), label, CALLER);
  const before = (await signIns()).length;
  const lines: string[] = [];
  const report = join(work, `report-${label.replace(/\W+/g, '-')}.md`);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    runWorkflow({
      file: join(workspace, CALLER),
      event,
      workspace,
      connection: join(env.sb.stateDir, 'connection.json'),
      vars: {
        AZURE_SUBSCRIPTION_ID: c.subscriptionId,
        AZURE_TENANT_ID: c.tenantId,
        AZURE_CLIENT_ID: c.clientId,
      },
      secrets: {
        ...Object.fromEntries(
          ENVIRONMENTS.map(({ environment, secret }) => [
            secret,
            `postgresAdministratorPassword: ${JSON.stringify(PASSWORDS[environment])}`,
          ]),
        ),
        INFRA_PROD_OPERATIONS_SECURE_PARAMETERS: `pagerDutyWebhookUrl: ${JSON.stringify(PAGERDUTY_URL)}`,
      },
      report,
      write: (line) => lines.push(line),
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The steps still running (deploy-infra's processes) go with the run.
        stopRunningSteps('SIGKILL');
        reject(
          new Error(`${label}: no end within ${RUN_DEADLINE_MS / 1000} s:\n${lines.slice(-40).join('\n')}`),
        );
      }, RUN_DEADLINE_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  console.log(
    `infra workflow, ${label}: ${result.success ? 'succeeded' : 'failed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const subjects: string[] = [];
  for (const s of (await signIns()).slice(before))
    if (s.credential === 'federated' && s.subject !== subjects.at(-1)) subjects.push(s.subject!);
  const text = lines.join('\n');
  return {
    result,
    text,
    report: readFileSync(report, 'utf8'),
    subjects,
    job: (key) => {
      const job = result.jobs.find((j) => j.key === key);
      if (!job)
        throw new Error(
          `${label}: no job ${key}; jobs: ${result.jobs.map((j) => j.key).join(', ')}\n${text.slice(-3000)}`,
        );
      return job;
    },
  };
}

function expectNoPassword(run: Run) {
  for (const password of [...Object.values(PASSWORDS), PAGERDUTY_URL]) {
    expect(run.text).not.toContain(password);
    expect(run.report).not.toContain(password);
  }
}

const changeCounts = (run: Run, job: string) =>
  JSON.parse(run.job(job).outputs['changes']!) as Record<string, number>;

beforeAll(async () => {
  const documented = documentedSubjects();
  const subjects = documented.flatMap((suffix) =>
    suffix.includes('<name>') ? ENVIRONMENTS.map((e) => suffix.replace('<name>', e.environment)) : [suffix],
  );
  const scope = (group: string) => `/subscriptions/{subscription}/resourceGroups/${group}`;
  env = await startInfraSandbox({
    groups: ENVIRONMENTS.map((e) => e.group),
    // docs/pipeline.md: the infrastructure's own identity, federation only, Contributor and User Access
    // Administrator on each environment's group.
    principal: {
      name: 'github-infra',
      clientSecret: null,
      role: 'Contributor',
      scope: scope(ENVIRONMENTS[0].group),
      additionalRoles: ENVIRONMENTS.flatMap((e, i) => [
        ...(i > 0 ? [{ role: 'Contributor' as const, scope: scope(e.group) }] : []),
        { role: 'User Access Administrator' as const, scope: scope(e.group) },
      ]),
      federatedCredentials: subjects.map((s, i) => ({
        name: `infra-${i + 1}`,
        issuer: 'github',
        subject: subject(s),
      })),
    },
    github: { repository: GITHUB_REPOSITORY, ref: 'refs/heads/main', actor: 'local', ...GITHUB_IDS },
  });
  // The runner machine trusts the sandbox's CA (the actions are Node processes), as in the demo.
  process.env.NODE_EXTRA_CA_CERTS = env.sb.conn.caCertPath;
  work = mkdtempSync(join(tmpdir(), 'slotline-infra-workflow-'));
  // The user's repository: the template and its parameter files, and the starter, on main.
  workspace = initRepository(join(work, 'repository'));
  cpSync(join(repoRoot, 'infra', 'main.json'), join(workspace, 'infra', 'main.json'));
  cpSync(join(repoRoot, 'infra', 'operations.json'), join(workspace, 'infra', 'operations.json'));
  for (const file of ['dev.json', 'staging.json', 'prod.json'])
    for (const dir of ['', 'operations'])
      cpSync(
        join(repoRoot, 'infra', 'parameters', dir, file),
        join(workspace, 'infra', 'parameters', dir, file),
      );
  push = await runStarter('push', 'push to main: deploy dev, staging, production');
}, RUN_DEADLINE_MS + 120_000);

afterAll(async () => {
  if (savedCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = savedCa;
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('push to main: what-if, then deploy, per environment in turn', () => {
  test('the federated credentials are the ones docs/pipeline.md names', () => {
    expect(documentedSubjects()).toEqual(['pull_request', 'ref:refs/heads/main', 'environment:<name>']);
  });

  test('every job succeeds, dev before staging before production, each deploy after its what-if', () => {
    if (!push.result.success) console.log(push.text.slice(-6000));
    expect(push.result.success).toBe(true);
    const keys = push.result.jobs.map((j) => [j.key, j.result]);
    expect(keys).toEqual(
      ENVIRONMENTS.flatMap(({ job }) => [
        [`${job}/what-if`, 'success'],
        [`${job}/deploy`, 'success'],
        [job, 'success'],
      ]),
    );
  });

  test('what-if runs without an environment and shows the what-if table (Create rows) in its summary', () => {
    for (const { job } of ENVIRONMENTS) {
      const whatIf = push.job(`${job}/what-if`);
      expect(whatIf.name).toBe(`what-if (${job})`);
      expect(whatIf.summary).toMatch(/#### What-if: Create \d+/);
      expect(whatIf.summary).toMatch(/\| Create \|/);
      expect(push.text).not.toContain(`[${job}/what-if]  environment`);
    }
    expect(changeCounts(push, 'dev')['Create']).toBeGreaterThan(40);
  });

  test('deploy runs in its environment and each job signs in with the subject GitHub gives it', () => {
    for (const { job, environment } of ENVIRONMENTS) {
      expect(push.job(`${job}/deploy`).name).toBe(`deploy (${environment})`);
      expect(push.text).toContain(`[${job}/deploy]  environment '${environment}': auto-approved`);
      expect(push.job(`${job}/deploy`).summary).toMatch(/#### Deployment: Succeeded/);
    }
    expect(push.subjects).toEqual(
      ENVIRONMENTS.flatMap(({ environment }) => [
        subject('ref:refs/heads/main'),
        subject(`environment:${environment}`),
      ]),
    );
  });

  test("infra.yml's outputs output holds the template outputs, through the caller job", () => {
    const outputs = JSON.parse(push.job('dev').outputs['outputs']!) as Record<string, string>;
    expect(outputs).toMatchObject({
      appName: expect.stringMatching(/^app-slotline-dev-[a-z0-9]{6}$/),
      planName: 'plan-slotline-dev',
      keyVaultName: expect.stringMatching(/^kvdev[a-z0-9]{13}$/),
    });
    expect(JSON.parse(push.job('production').outputs['outputs']!)).toMatchObject({
      appName: expect.stringMatching(/^app-slotline-prod-[a-z0-9]{6}$/),
      slotName: 'staging',
    });
  });

  test("dev's site serves the container the template names", async () => {
    const { appName } = JSON.parse(push.job('dev').outputs['outputs']!) as Record<string, string>;
    const c = env.sb.conn;
    const token = await armToken();
    const site = await call(
      env.sb,
      'GET',
      `${c.armEndpoint}/subscriptions/${c.subscriptionId}/resourceGroups/contoso-dev-rg/providers/Microsoft.Web/sites/${appName}?api-version=2024-11-01`,
      { token },
    );
    expect(site.status).toBe(200);
    const host = String((site.body as { properties: Record<string, unknown> }).properties['defaultHostName']);
    expect(await servedBodies(host, c.caCertPath)).toEqual([INFRA_IMAGE_BODY]);
  }, 120_000);

  test("each deploy also deploys operations.json: its action groups and metric alerts are in the environment's group", async () => {
    const c = env.sb.conn;
    const token = await armToken();
    for (const { job, environment, group } of ENVIRONMENTS) {
      // The job's summary: main.json's deploy, then operations.json's, a deployment of its own.
      const summary = push.job(`${job}/deploy`).summary;
      expect(summary).toMatch(
        new RegExp(
          `deploy \`infra/main\\.json\`[^]*#### Deployment: Succeeded[^]*deploy \`infra/operations\\.json\` to resource group \`${group}\`\n\nDeployment \`infra-${environment}-\\d+-1-operations\`[^]*#### Deployment: Succeeded`,
        ),
      );
      const outputs = JSON.parse(push.job(job).outputs['operations-outputs']!) as Record<string, string>;
      const base = `${c.armEndpoint}/subscriptions/${c.subscriptionId}/resourceGroups/${group}/providers/Microsoft.Insights`;
      expect(outputs['criticalActionGroupId']?.toLowerCase()).toBe(
        `${base}/actionGroups/slotline-critical`.slice(c.armEndpoint.length).toLowerCase(),
      );
      const groups = await call(env.sb, 'GET', `${base}/actionGroups?api-version=2023-01-01`, { token });
      expect(groups.status).toBe(200);
      const byName = Object.fromEntries(
        (groups.body as { value: { name: string; properties: ActionGroup }[] }).value.map((g) => [
          g.name,
          g.properties,
        ]),
      );
      expect(Object.keys(byName).sort()).toEqual(['slotline-critical', 'slotline-warning']);
      const critical = byName['slotline-critical']!;
      const receivers = {
        email: critical.emailReceivers.map((r) => r.emailAddress),
        sms: critical.smsReceivers.map((r) => `+${r.countryCode} ${r.phoneNumber}`),
        webhooks: critical.webhookReceivers.map((r) => r.name),
      };
      // infra/parameters/operations/<environment>.json: dev mails the team only; production also texts the
      // on-call phone and, with the PagerDuty URL from its operations secret, pages.
      if (job === 'dev')
        expect(receivers).toEqual({ email: ['dev-team@example.com'], sms: [], webhooks: [] });
      if (job === 'staging')
        expect(receivers).toEqual({ email: ['web-oncall@example.com'], sms: [], webhooks: [] });
      if (job === 'production') {
        expect(receivers).toEqual({
          email: ['web-oncall@example.com'],
          sms: ['+1 5550100'],
          webhooks: ['pagerduty'],
        });
        expect(critical.webhookReceivers[0]!.serviceUri).toBe(PAGERDUTY_URL);
      }
      const alerts = await call(env.sb, 'GET', `${base}/metricAlerts?api-version=2026-01-01`, { token });
      expect(alerts.status).toBe(200);
      const scopes = Object.fromEntries(
        (alerts.body as { value: { name: string; properties: { scopes: string[] } }[] }).value.map((a) => [
          a.name.replace(/^slotline-/, ''),
          a.properties.scopes.map((id) => id.toLowerCase()),
        ]),
      );
      // Each alert watches the resource main.json's output of that name gave; autoscale-at-max only where
      // main deploys autoscale (its output is empty in dev).
      const main = JSON.parse(push.job(job).outputs['outputs']!) as Record<string, string>;
      const watched = (output: string) => [main[output]!.toLowerCase()];
      expect(scopes).toMatchObject({
        'app-http5xx': watched('siteResourceId'),
        'plan-cpu': watched('appServicePlanResourceId'),
        'postgres-cpu': watched('postgresServerResourceId'),
        'redis-memory': watched('redisResourceId'),
      });
      if (job === 'dev') expect(scopes['autoscale-at-max']).toBeUndefined();
      else expect(scopes['autoscale-at-max']).toEqual(watched('autoscaleSettingResourceId'));
    }
  });

  test('the secure parameters given through secure-parameter-overrides appear in no output or report', () => {
    expectNoPassword(push);
  });
});

let pr: Run;

describe('pull_request: the what-ifs only', () => {
  beforeAll(async () => {
    pr = await runStarter('pull_request', 'pull request: what-if dev, staging, production');
  }, RUN_DEADLINE_MS + 60_000);

  test('each what-if signs in with the pull_request subject and shows no change; no deploy job runs', () => {
    if (!pr.result.success) console.log(pr.text.slice(-6000));
    expect(pr.result.success).toBe(true);
    expect(pr.result.jobs.map((j) => [j.key, j.result])).toEqual(
      ENVIRONMENTS.flatMap(({ job }) => [
        [`${job}/what-if`, 'success'],
        [`${job}/deploy`, 'skipped'],
        [job, 'success'],
      ]),
    );
    expect(pr.subjects).toEqual([subject('pull_request')]);
    for (const { job, environment } of ENVIRONMENTS) {
      const counts = changeCounts(pr, job);
      expect(counts['NoChange']).toBeGreaterThan(40);
      expect(pr.job(job).outputs['outputs']).toBe('');
      expect(pr.text).not.toContain(`[${job}/deploy]  environment`);
      const changed = [
        ...pr.job(`${job}/what-if`).summary.matchAll(/^\| (\S+) \| (Create|Modify|Delete) \| (.*) \|$/gm),
      ].map((m) => `${m[2]} ${m[1]}: ${m[3]}`);
      if (job === 'dev') {
        expect(Object.keys(counts).filter((t) => t !== 'NoChange' && t !== 'Ignore')).toEqual([]);
        expect(changed).toEqual([]);
        continue;
      }
      // With autoscale on (staging, production), the one change is the one infra/README.md describes: once
      // autoscale has scaled the plan out (its business-hours profile, by the sandbox's clock), the template
      // would set the capacity back to autoscaleMinimum.
      for (const change of changed)
        expect(change).toMatch(
          new RegExp(
            `^Modify Microsoft\\.Web/serverfarms/plan-slotline-${environment === 'production' ? 'prod' : environment}: sku\\.capacity: \\d+ → 2$`,
          ),
        );
      expect(Object.keys(counts).filter((t) => t !== 'NoChange' && t !== 'Ignore' && t !== 'Modify')).toEqual(
        [],
      );
      expect(counts['Modify'] ?? 0).toBe(changed.length);
    }
    expectNoPassword(pr);
  });
});

describe('push with a parameter change that fail-on-change-types Modify forbids', () => {
  let guarded: Run;
  beforeAll(async () => {
    guarded = await runStarter('push', 'push: dev retention 60 days, Modify forbidden', {
      dev: [
        [
          'parameter-overrides',
          `containerImage: ${JSON.stringify(INFRA_IMAGE)}\npipelinePrincipalId: ${JSON.stringify(env.objectId)}\nlogRetentionDays: 60\n`,
          "the sandbox's image and the identity's object id, as on every job, and a changed parameter (90 → 60 days)",
        ],
        ['fail-on-change-types', 'Modify', 'a drift check: any Modify stops the run'],
      ],
    });
  }, RUN_DEADLINE_MS + 60_000);

  test("dev's what-if fails naming the change; dev's deploy, staging and production are skipped", async () => {
    expect(guarded.result.success).toBe(false);
    expect(guarded.result.jobs.map((j) => [j.key, j.result])).toEqual([
      ['dev/what-if', 'failure'],
      ['dev/deploy', 'skipped'],
      ['dev', 'failure'],
      ['staging', 'skipped'],
      ['production', 'skipped'],
    ]);
    expect(guarded.job('dev/what-if').summary).toMatch(/\*\*Stopped before deploying\*\*.*Modify/);
    expect(guarded.result.annotations.map((a) => a.message).join('\n')).toMatch(
      /Modify Microsoft\.OperationalInsights\/workspaces\/log-slotline-dev/,
    );
    // Nothing changed: the workspace keeps dev's 90 days.
    const c = env.sb.conn;
    const token = await armToken();
    const workspaceDoc = await call(
      env.sb,
      'GET',
      `${c.armEndpoint}/subscriptions/${c.subscriptionId}/resourceGroups/contoso-dev-rg/providers/Microsoft.OperationalInsights/workspaces/log-slotline-dev?api-version=2025-07-01`,
      { token },
    );
    expect(workspaceDoc.status).toBe(200);
    expect(
      (workspaceDoc.body as { properties: { retentionInDays: number } }).properties.retentionInDays,
    ).toBe(90);
    expectNoPassword(guarded);
  });
});

describe('pull_request with a resource removed from the template, fail-on-change-types Delete on dev', () => {
  // deploy-infra deploys in Incremental mode: what-if lists a resource the template no longer names as
  // Ignore (Delete is a complete-mode change type), so a Delete guard never fires and the resource stays.
  // This is why infra.yml has no Delete default (docs/pipeline.md).
  const POLICY = 'Microsoft.Storage/storageAccounts/managementPolicies';
  let removed: Run;
  beforeAll(async () => {
    const template = JSON.parse(readFileSync(join(workspace, 'infra', 'main.json'), 'utf8')) as {
      resources: { type: string }[];
    };
    const before = template.resources.length;
    template.resources = template.resources.filter((r) => r.type !== POLICY);
    expect(template.resources.length).toBe(before - 1);
    writeFileSync(join(workspace, 'infra', 'main.json'), JSON.stringify(template, null, 2));
    removed = await runStarter('pull_request', 'pull request: the compliance lifecycle policy removed', {
      dev: [['fail-on-change-types', 'Delete', 'the guard a removed resource would seem to need']],
    });
  }, RUN_DEADLINE_MS + 60_000);

  test("dev's what-if lists it as Ignore, not Delete, so the guard passes; the policy is still there", async () => {
    if (!removed.result.success) console.log(removed.text.slice(-6000));
    expect(removed.result.success).toBe(true);
    const counts = changeCounts(removed, 'dev');
    expect(counts['Delete']).toBeUndefined();
    // One resource moved from NoChange (the pull request's run before) to Ignore.
    const earlier = changeCounts(pr, 'dev');
    expect(counts['Ignore']).toBe((earlier['Ignore'] ?? 0) + 1);
    expect(counts['NoChange']).toBe(earlier['NoChange']! - 1);
    const { complianceStorageAccountResourceId: account } = JSON.parse(
      push.job('dev').outputs['outputs']!,
    ) as Record<string, string>;
    const c = env.sb.conn;
    const token = await armToken();
    const policy = await call(
      env.sb,
      'GET',
      `${c.armEndpoint}${account}/managementPolicies/default?api-version=2026-04-01`,
      { token },
    );
    expect(policy.status).toBe(200);
  });
});
