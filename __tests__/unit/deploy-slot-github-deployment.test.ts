import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { defaultDeps } from '../../src/deploy-slot/default-deps.js';
import type { ActionDeps, RunDeps } from '../../src/deploy-slot/deps.js';
import {
  type DeploymentDeps,
  deploymentEnvironment,
  type GitHubRequest,
  gitHubRunFrom,
  withGitHubDeployment,
} from '../../src/deploy-slot/github-deployment.js';
import { type DeploySlotInputs, parseInputs } from '../../src/deploy-slot/inputs.js';
import { run as deploySlot } from '../../src/deploy-slot/main.js';
import { runDeploySlot } from '../../src/deploy-slot/run.js';
import type { AzureInputs } from '../../src/lib/azure/inputs.js';
import { InputError } from '../../src/lib/errors.js';
import { parseStatusList } from '../../src/lib/http-status.js';
import { virtualClock } from '../helpers/clock.js';
import { type FakeGitHub, startFakeGitHub } from '../helpers/github-api.js';
import { MemoryPlatform, V1, V2 } from '../helpers/memory-platform.js';
import { inputEnv, runInProcess } from '../helpers/runner.js';

// deploy-slot's github-token: the run recorded as a GitHub deployment. The requests go through the real
// Octokit client (default-deps.ts openGitHub) to a local stand-in of GitHub's REST routes that checks
// every body against schemas written from GitHub's documentation (helpers/github-api.ts cites the
// pages); App Service is the in-memory platform with a virtual clock.

const TOKEN = 'ghs_fakeToken4d2c9b7a1e5f3d8c6b0a';
const SHA = '6dcb09b5b57875f334f61aebed695e2e4193db5e';
const ENV = {
  GITHUB_REPOSITORY: 'octo/web',
  GITHUB_SHA: SHA,
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_RUN_ID: '1234',
};
const RUN_URL = 'https://github.com/octo/web/actions/runs/1234';
const START = Date.UTC(2026, 0, 1);

function inputs(overrides: Partial<DeploySlotInputs> = {}): DeploySlotInputs {
  return {
    azure: {} as AzureInputs,
    action: 'release',
    resourceGroup: 'rg',
    appName: 'web',
    slot: 'staging',
    targetSlot: 'production',
    swapMode: 'direct',
    image: V2,
    appSettings: {},
    stickySettings: [],
    healthStatuses: parseStatusList('200')!,
    healthStatusesText: '200',
    healthTimeoutMs: 60_000,
    lockTimeoutMs: 60_000,
    rollbackOnFailure: true,
    allowedRegistries: [],
    githubToken: TOKEN,
    ...overrides,
  };
}

let github: FakeGitHub;
beforeAll(async () => {
  github = await startFakeGitHub('octo', 'web', TOKEN);
});
afterAll(() => github.close());
beforeEach(() => github.reset());

/** The real Octokit request function, pointed at the stand-in. */
async function octokit(token = TOKEN): Promise<GitHubRequest> {
  return (await defaultDeps().openGitHub(token, { ...ENV, GITHUB_API_URL: github.url })).request;
}

/** One run of the core over `mem`, recorded through `request`; returns the result and the log. */
async function recordedRun(
  mem: MemoryPlatform,
  overrides: Partial<DeploySlotInputs> = {},
  opts: { request?: GitHubRequest; timeoutMs?: number; signal?: AbortSignal } = {},
) {
  const log: string[] = [];
  const warnings: string[] = [];
  const runDeps: RunDeps = {
    platformFor: (signal) => mem.platformFor(signal),
    probe: mem.probe,
    clock: virtualClock(START),
    log: (line) => log.push(line),
    warn: (line) => warnings.push(line),
    holder: 'run 1',
    nonce: 'n1',
  };
  const deps: DeploymentDeps = {
    request: opts.request ?? (await octokit()),
    run: gitHubRunFrom(ENV, undefined) as Exclude<ReturnType<typeof gitHubRunFrom>, string>,
    log: (line) => log.push(line),
    warn: (line) => warnings.push(line),
    redact: (text) => text.split(TOKEN).join('***'),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const given = inputs(overrides);
  const result = await withGitHubDeployment(deps, given, () => runDeploySlot(given, runDeps));
  return { result, log, warnings };
}

const route = (c: FakeGitHub['calls'][number]) => `${c.method} ${c.path}`;
const states = (d: FakeGitHub['deployments'][number] | undefined) => d?.statuses.map((s) => s.state);

describe('a recorded run', () => {
  test('release: the deployment to production, in_progress, then success with the production URL', async () => {
    const { result, warnings } = await recordedRun(new MemoryPlatform());
    expect(result.succeeded).toBe(true);
    expect(github.calls.map(route)).toEqual([
      'POST /repos/octo/web/deployments',
      'POST /repos/octo/web/deployments/1001/statuses',
      'POST /repos/octo/web/deployments/1001/statuses',
    ]);
    expect(github.calls.every((c) => c.authorization === `token ${TOKEN}`)).toBe(true);
    expect(github.calls[0]!.body).toEqual({
      ref: SHA,
      task: 'deploy',
      auto_merge: false,
      required_contexts: [],
      payload: { app: 'web', image: V2, slot: 'staging', target: 'production' },
      environment: 'production',
      description: `slotline release of ${V2} to web`,
      transient_environment: false,
      production_environment: true,
    });
    expect(github.calls[1]!.body).toEqual({
      state: 'in_progress',
      description: `release of ${V2} started`,
      log_url: RUN_URL,
      auto_inactive: true,
    });
    expect(github.calls[2]!.body).toMatchObject({
      state: 'success',
      environment_url: 'https://web.example',
      log_url: RUN_URL,
      auto_inactive: true,
    });
    expect((github.calls[2]!.body as { description: string }).description).toMatch(/^Released ghcr/);
    expect(github.invalid).toEqual([]);
    expect(warnings).toEqual([]);
  });

  test('deploy: the environment is the slot, not production; its URL is the slot URL', async () => {
    const { result } = await recordedRun(new MemoryPlatform(), { action: 'deploy' });
    expect(result.succeeded).toBe(true);
    expect(github.calls[0]!.body).toMatchObject({ environment: 'staging', production_environment: false });
    expect(github.calls[2]!.body).toMatchObject({
      state: 'success',
      environment_url: 'https://web-staging.example',
    });
    expect(github.invalid).toEqual([]);
  });

  test('the environment input names the environment', async () => {
    await recordedRun(new MemoryPlatform(), { environment: 'web-prod' });
    expect(github.deployments.map((d) => d.environment)).toEqual(['web-prod']);
    // Not named production: GitHub treats it as a non-production environment unless told otherwise.
    expect(github.calls[0]!.body).toMatchObject({ production_environment: false });
  });

  test('a failed release (rolled back): failure, and the description says what production serves', async () => {
    const mem = new MemoryPlatform();
    mem.answer = (slot, image) => (slot === 'production' && image === V2 ? 503 : 200);
    const { result } = await recordedRun(mem);
    expect(result).toMatchObject({ succeeded: false, rolledBack: true });
    expect(states(github.deployments[0])).toEqual(['in_progress', 'failure']);
    const failure = github.deployments[0]!.statuses[1]!;
    expect(failure.description).toContain(V1);
    expect(failure.description!.length).toBeLessThanOrEqual(140);
    expect(github.invalid).toEqual([]);
  });

  test('a refused swap (the slot holds another image): error, and the refusal still fails the run', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: 'ghcr.io/o/web:9.9.9' });
    await expect(recordedRun(mem, { action: 'swap' })).rejects.toThrow(/Refusing to swap/);
    expect(states(github.deployments[0])).toEqual(['in_progress', 'error']);
    expect(github.invalid).toEqual([]);
  });

  test('swap without image: recorded once the run knows the image, with its final status', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: V2 });
    const { result } = await recordedRun(mem, { action: 'swap', image: undefined });
    expect(result.succeeded).toBe(true);
    expect(github.calls.map((c) => (c.body as { state?: string }).state ?? 'create')).toEqual([
      'create',
      'success',
    ]);
    expect((github.calls[0]!.body as { payload: { image: string } }).payload.image).toBe(V2);
  });

  test('rollback: the rolled-back deployment becomes inactive; the restored one gets success again', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: V1 });
    // V1's release, then V2's: both recorded.
    await recordedRun(mem, { image: V1 });
    await recordedRun(mem, { image: V2 });
    expect(mem.slot('production').image).toBe(V2);
    github.calls.length = 0;
    const { result } = await recordedRun(mem, { action: 'rollback', image: undefined });
    expect(result).toMatchObject({ succeeded: true, rolledBack: true, image: V1, previousImage: V2 });
    expect(github.calls.map(route)).toEqual([
      'GET /repos/octo/web/deployments',
      'POST /repos/octo/web/deployments/1002/statuses',
      'POST /repos/octo/web/deployments/1001/statuses',
    ]);
    expect(github.calls[0]!.query).toEqual({ environment: 'production', per_page: '100' });
    expect(github.calls[1]!.body).toMatchObject({ state: 'inactive' });
    expect(github.calls[2]!.body).toMatchObject({
      state: 'success',
      environment_url: 'https://web.example',
    });
    // No deployment for the rollback's own commit: it is not what production runs.
    expect(github.deployments).toHaveLength(2);
    expect(github.invalid).toEqual([]);
  });

  test('ramp records nothing', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: V2 });
    const { result, log } = await recordedRun(mem, { action: 'ramp', percentage: 10, image: undefined });
    expect(result.succeeded).toBe(true);
    expect(github.calls).toEqual([]);
    expect(log).toContain('GitHub deployment: none for action ramp (it deploys nothing).');
  });
});

describe('GitHub failing never fails the deploy', () => {
  test('500 on create: one warning, no statuses, the release succeeds', async () => {
    github.fail(/^POST \/repos\/octo\/web\/deployments$/, { status: 500, message: 'boom' });
    const mem = new MemoryPlatform();
    const { result, warnings } = await recordedRun(mem);
    expect(result.succeeded).toBe(true);
    expect(mem.slot('production').image).toBe(V2);
    expect(github.calls.map(route)).toEqual(['POST /repos/octo/web/deployments']);
    expect(warnings).toEqual([
      'GitHub deployment: create deployment failed (POST /repos/{owner}/{repo}/deployments): 500: boom. The deploy itself is not affected.',
    ]);
  });

  test('403 (no deployments: write) names the permission', async () => {
    const other = await startFakeGitHub('octo', 'web', 'another-token');
    try {
      const request = (await defaultDeps().openGitHub(TOKEN, { ...ENV, GITHUB_API_URL: other.url })).request;
      other.fail(/deployments$/, { status: 403, message: 'Resource not accessible by integration' });
      const { result, warnings } = await recordedRun(new MemoryPlatform(), {}, { request });
      expect(result.succeeded).toBe(true);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(
        '403: Resource not accessible by integration (the token needs deployments: write',
      );
    } finally {
      await other.close();
    }
  });

  test('a status call that never answers ends at the timeout with a warning; the release succeeds', async () => {
    const slow = await startFakeGitHub('octo', 'web', TOKEN);
    try {
      slow.fail(/statuses$/, 'hang');
      const request = (await defaultDeps().openGitHub(TOKEN, { ...ENV, GITHUB_API_URL: slow.url })).request;
      const t = performance.now();
      const { result, warnings } = await recordedRun(new MemoryPlatform(), {}, { request, timeoutMs: 300 });
      const elapsed = performance.now() - t;
      expect(result.succeeded).toBe(true);
      // in_progress and success: each waited its 300 ms, no more.
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/set deployment 1001 in_progress failed .*: no answer within 0\.3 s\./);
      expect(elapsed).toBeLessThan(5_000);
    } finally {
      await slow.close();
    }
  });
});

test('a cancel ends a GitHub call at once, not at its 10 s timeout', async () => {
  const slow = await startFakeGitHub('octo', 'web', TOKEN);
  try {
    slow.fail(/deployments$/, 'hang');
    const request = (await defaultDeps().openGitHub(TOKEN, { ...ENV, GITHUB_API_URL: slow.url })).request;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t = performance.now();
    const { result, warnings } = await recordedRun(
      new MemoryPlatform(),
      {},
      { request, timeoutMs: 10_000, signal: controller.signal },
    );
    // The core itself is not cancelled here (its deps have no signal): only the GitHub call is.
    expect(result.succeeded).toBe(true);
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(warnings).toEqual([
      'GitHub deployment: create deployment failed (POST /repos/{owner}/{repo}/deployments): the run was cancelled. The deploy itself is not affected.',
    ]);
  } finally {
    await slow.close();
  }
});

describe('inputs and the run', () => {
  const BASE = {
    'subscription-id': '00000000-0000-4000-8000-000000000000',
    'resource-group': 'rg',
    'app-name': 'web',
    image: V2,
  };

  test('github-token and environment parse; a bad token is refused without showing it', async () => {
    const parsed = await parseInputs(inputEnv({ ...BASE, 'github-token': TOKEN, environment: 'web-prod' }));
    expect(parsed).toMatchObject({ githubToken: TOKEN, environment: 'web-prod' });
    expect(await parseInputs(inputEnv(BASE))).not.toHaveProperty('githubToken');
    const bad = parseInputs(inputEnv({ ...BASE, 'github-token': 'ghs_two words' }));
    await expect(bad).rejects.toThrow(
      new InputError(
        'Input "github-token" must be a GitHub token (printable characters, no spaces or line breaks) (value hidden).',
      ),
    );
    await expect(parseInputs(inputEnv({ ...BASE, environment: 'e'.repeat(256) }))).rejects.toThrow(
      /^Input "environment" must be a GitHub environment name/,
    );
    await expect(parseInputs(inputEnv({ ...BASE, environment: 'prod\u202e' }))).rejects.toThrow(
      /^Input "environment"/,
    );
  });

  test('the environment each action records in', () => {
    expect(
      (['release', 'swap', 'rollback', 'deploy', 'ramp'] as const).map((action) =>
        deploymentEnvironment(inputs({ action })),
      ),
    ).toEqual(['production', 'production', 'production', 'staging', undefined]);
  });

  test("the commit: a pull request's head, else GITHUB_SHA; no repository, no record", () => {
    expect(gitHubRunFrom(ENV, undefined)).toEqual({ owner: 'octo', repo: 'web', ref: SHA, logUrl: RUN_URL });
    expect(gitHubRunFrom(ENV, { pull_request: { head: { sha: 'abc123' } } })).toMatchObject({
      ref: 'abc123',
    });
    expect(gitHubRunFrom({ GITHUB_SHA: SHA }, undefined)).toBe('GITHUB_REPOSITORY is not owner/repo');
  });
});

describe("through the action's entry (main.ts), with the real Octokit client", () => {
  function actionDeps(mem: MemoryPlatform): ActionDeps {
    return {
      signals: new EventEmitter(),
      clock: virtualClock(START),
      newNonce: () => 'n1',
      connect: async () => (signal) => mem.platformFor(signal),
      openProber: async () => ({ probe: mem.probe, close: async () => {} }),
      openGitHub: defaultDeps().openGitHub,
      spent: { azure: { ms: 0 }, probes: 0, waits: 0 },
    };
  }

  test('records the release; the token is masked and never reaches the log, even in an error GitHub echoes', async () => {
    // GitHub answering with the token in its message (a proxy or a bug): the warning must not show it.
    github.fail(/statuses$/, { status: 500, message: `internal error for token ${TOKEN}` });
    const mem = new MemoryPlatform();
    const step = await runInProcess(
      () => deploySlot(process.env, actionDeps(mem)),
      { ...BASE_INPUTS, 'github-token': TOKEN },
      { ...ENV, GITHUB_API_URL: github.url },
    );
    expect(step.exitCode).toBe(0);
    expect(step.outputs['swapped']).toBe('true');
    expect(step.masked).toContain(TOKEN);
    expect(step.log).not.toContain(TOKEN);
    expect(step.debug).not.toContain(TOKEN);
    expect(step.summary).not.toContain(TOKEN);
    expect(github.deployments).toHaveLength(1);
    const warnings = step.log.split('\n').filter((l) => l.startsWith('::warning::'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('internal error for token ***');
  });

  test('no GITHUB_REPOSITORY: one warning, nothing sent, the release succeeds', async () => {
    const step = await runInProcess(
      () => deploySlot(process.env, actionDeps(new MemoryPlatform())),
      { ...BASE_INPUTS, 'github-token': TOKEN },
      { ...ENV, GITHUB_REPOSITORY: '', GITHUB_API_URL: github.url },
    );
    expect(step.exitCode).toBe(0);
    expect(github.calls).toEqual([]);
    expect(step.log).toContain(
      '::warning::github-token is set but no GitHub deployment is recorded: GITHUB_REPOSITORY is not owner/repo.',
    );
  });

  test('without a token nothing is sent to GitHub', async () => {
    const step = await runInProcess(
      () => deploySlot(process.env, actionDeps(new MemoryPlatform())),
      BASE_INPUTS,
      { ...ENV, GITHUB_API_URL: github.url },
    );
    expect(step.exitCode).toBe(0);
    expect(github.calls).toEqual([]);
  });
});

const BASE_INPUTS = {
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  'resource-group': 'rg',
  'app-name': 'web',
  image: V2,
};
