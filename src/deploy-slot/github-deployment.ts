import { errorMessage } from '../lib/errors.js';
import type { RunResult } from './context.js';
import type { DeploySlotInputs } from './inputs.js';

/**
 * A run recorded as a GitHub deployment, so the pull request and the repository's Environments page show
 * which commit runs where. No I/O of its own: GitHub is reached through an injected `GitHubRequest`
 * (default-deps.ts wires it to @actions/github's Octokit; the tests to a local server).
 *
 * - deploy: a deployment to the environment named after the slot (`staging`), its URL the slot's.
 * - release, swap: a deployment to the target's environment (`production`), its URL the target's.
 * - Statuses: `in_progress` when the run starts (once the image is known), then `success`, `failure`
 *   (the run failed; after a recovery the description says what the target serves) or `error` (refused
 *   before anything changed).
 * - rollback: no new deployment (the run's commit is not what runs afterwards). The deployment of the
 *   image taken out gets `inactive`; the deployment of the restored image, when slotline recorded one,
 *   gets a new `success`, so the Environments page shows that commit again.
 * - ramp: nothing (it routes traffic, it deploys nothing).
 *
 * Recording never fails a run: every failed or slow call (GITHUB_CALL_TIMEOUT_MS each) is one warning.
 *
 * Routes and bodies: https://docs.github.com/en/rest/deployments/deployments and
 * https://docs.github.com/en/rest/deployments/statuses
 */

/** The longest a GitHub call may take; after a cancel, CANCELLED_CALL_TIMEOUT_MS (the grace period is short). */
export const GITHUB_CALL_TIMEOUT_MS = 10_000;
const CANCELLED_CALL_TIMEOUT_MS = 2_000;

/** One REST call by its documented route (`POST /repos/{owner}/{repo}/deployments`), aborted by `signal`. */
export type GitHubRequest = (
  route: string,
  params: Record<string, unknown>,
  signal: AbortSignal,
) => Promise<{ status: number; data: unknown }>;

/** The workflow run being recorded, from the runner's GITHUB_* variables. */
export interface GitHubRun {
  owner: string;
  repo: string;
  /** The commit deployed: GITHUB_SHA, or a pull request's head commit. */
  ref: string;
  /** The run's page, for `log_url`. */
  logUrl?: string;
}

export interface DeploymentDeps {
  request: GitHubRequest;
  run: GitHubRun;
  log: (line: string) => void;
  warn: (line: string) => void;
  /** Text that must not reach GitHub (descriptions) or the log: the run's secrets. */
  redact: (text: string) => string;
  /** When aborted (the run was cancelled), the last calls get CANCELLED_CALL_TIMEOUT_MS. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'success';

/** What the action records in each deployment's payload; a rollback finds deployments by it. */
interface SlotlinePayload {
  app: string;
  image: string;
  slot: string;
  target: string;
}

/**
 * The run from the runner's variables, or why it cannot be recorded. The commit is GITHUB_SHA, except
 * on pull_request events, where GITHUB_SHA is a merge commit the pull request does not show: there it
 * is the pull request's head commit, from the event payload.
 */
export function gitHubRunFrom(
  env: Readonly<Record<string, string | undefined>>,
  event: unknown,
): GitHubRun | string {
  const [owner, repo, ...rest] = (env['GITHUB_REPOSITORY'] ?? '').split('/');
  if (!owner || !repo || rest.length > 0) return 'GITHUB_REPOSITORY is not owner/repo';
  const head = (event as { pull_request?: { head?: { sha?: unknown } } } | undefined)?.pull_request?.head
    ?.sha;
  const ref = typeof head === 'string' && head !== '' ? head : env['GITHUB_SHA'] || env['GITHUB_REF'];
  if (!ref) return 'neither GITHUB_SHA nor GITHUB_REF is set';
  const server = env['GITHUB_SERVER_URL'];
  const runId = env['GITHUB_RUN_ID'];
  return {
    owner,
    repo,
    ref,
    ...(server && runId
      ? { logUrl: `${server.replace(/\/+$/, '')}/${owner}/${repo}/actions/runs/${runId}` }
      : {}),
  };
}

/** The environment a run is recorded in, or undefined when the action records none (ramp). */
export function deploymentEnvironment(inputs: DeploySlotInputs): string | undefined {
  if (inputs.action === 'ramp') return undefined;
  if (inputs.environment) return inputs.environment;
  return inputs.action === 'deploy' ? inputs.slot : inputs.targetSlot;
}

/** GitHub's limit on a description (deployment and status): 140 characters. */
export function description(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length <= 140 ? line : `${line.slice(0, 139)}…`;
}

/** Why a call failed, in one line: the status and GitHub's message, or that it did not answer in time. */
function callFailure(error: unknown, timedOut: AbortSignal, timeoutMs: number, run?: AbortSignal): string {
  if (timedOut.aborted) return `no answer within ${timeoutMs / 1000} s`;
  if (run?.aborted) return 'the run was cancelled';
  const status = (error as { status?: unknown }).status;
  const message = errorMessage(error).split('\n')[0] ?? '';
  if (status === 403 || status === 404)
    return `${status}: ${message} (the token needs deployments: write; in a workflow, permissions: deployments: write)`;
  return typeof status === 'number' ? `${status}: ${message}` : message;
}

class Recorder {
  private readonly timeoutMs: number;

  constructor(private readonly deps: DeploymentDeps) {
    this.timeoutMs = deps.timeoutMs ?? GITHUB_CALL_TIMEOUT_MS;
  }

  /** One call; undefined (and one warning) when it fails or does not answer in time. */
  async call(what: string, route: string, params: Record<string, unknown>): Promise<unknown> {
    const { owner, repo } = this.deps.run;
    // Before a cancel, a cancel also ends the call (the deploy must stop at once); after it, the last
    // statuses get a short timeout of their own within the runner's grace period.
    const run = this.deps.signal?.aborted ? undefined : this.deps.signal;
    const timeoutMs = run ? this.timeoutMs : this.deps.signal ? CANCELLED_CALL_TIMEOUT_MS : this.timeoutMs;
    const timedOut = AbortSignal.timeout(timeoutMs);
    const signal = run ? AbortSignal.any([timedOut, run]) : timedOut;
    try {
      const res = await this.deps.request(route, { owner, repo, ...params }, signal);
      return res.data;
    } catch (error) {
      this.deps.warn(
        this.deps.redact(
          `GitHub deployment: ${what} failed (${route}): ${callFailure(error, timedOut, timeoutMs, run)}. The deploy itself is not affected.`,
        ),
      );
      return undefined;
    }
  }

  async create(inputs: DeploySlotInputs, environment: string, image: string): Promise<number | undefined> {
    const payload: SlotlinePayload = {
      app: inputs.appName,
      image,
      slot: inputs.slot,
      target: inputs.targetSlot,
    };
    const production = environment.toLowerCase() === 'production';
    const created = await this.call('create deployment', 'POST /repos/{owner}/{repo}/deployments', {
      ref: this.deps.run.ref,
      task: 'deploy',
      // The commit is deployed as built: no merge of the default branch, no wait for commit statuses
      // (the workflow's own jobs gate the deploy).
      auto_merge: false,
      required_contexts: [],
      payload,
      environment,
      description: description(
        this.deps.redact(`slotline ${inputs.action} of ${image} to ${inputs.appName}`),
      ),
      transient_environment: false,
      production_environment: production,
    });
    const id = (created as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number') {
      if (created !== undefined)
        this.deps.warn(
          `GitHub deployment: create deployment answered without a deployment id: ${description(this.deps.redact(String((created as { message?: unknown }).message ?? 'no message')))}.`,
        );
      return undefined;
    }
    this.deps.log(`GitHub deployment ${id}: ${image} to environment ${environment}.`);
    return id;
  }

  async status(id: number, state: DeploymentState, text: string, environmentUrl?: string): Promise<boolean> {
    const { logUrl } = this.deps.run;
    const done = await this.call(
      `set deployment ${id} ${state}`,
      'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      {
        deployment_id: id,
        state,
        description: description(this.deps.redact(text)),
        ...(logUrl ? { log_url: logUrl } : {}),
        ...(environmentUrl ? { environment_url: environmentUrl } : {}),
        auto_inactive: true,
      },
    );
    return done !== undefined;
  }

  /** The newest of `deployments` (GitHub lists newest first) that slotline recorded for `image` of `app`. */
  find(deployments: unknown[], app: string, image: string): number | undefined {
    for (const d of deployments) {
      const payload = (d as { payload?: unknown }).payload as Partial<SlotlinePayload> | undefined;
      const id = (d as { id?: unknown }).id;
      if (typeof id === 'number' && payload?.app === app && payload.image === image) return id;
    }
    return undefined;
  }
}

/**
 * main.ts's entry: `work` recorded when a github-token opened GitHub (`github`), else just `work`. A run
 * that cannot be recorded (no GITHUB_REPOSITORY, no commit) is one warning.
 */
export function recordedIfToken(
  github: { request: GitHubRequest; run: GitHubRun | string } | undefined,
  deps: Omit<DeploymentDeps, 'request' | 'run'>,
  inputs: DeploySlotInputs,
  work: () => Promise<RunResult>,
): Promise<RunResult> {
  if (!github) return work();
  if (typeof github.run === 'string') {
    deps.warn(`github-token is set but no GitHub deployment is recorded: ${github.run}.`);
    return work();
  }
  return withGitHubDeployment({ ...deps, request: github.request, run: github.run }, inputs, work);
}

/**
 * Run `work` (the deploy-slot core) recorded as a GitHub deployment. Returns what `work` returns and
 * throws what it throws: a GitHub API failure is only a warning.
 */
export async function withGitHubDeployment(
  deps: DeploymentDeps,
  inputs: DeploySlotInputs,
  work: () => Promise<RunResult>,
): Promise<RunResult> {
  const environment = deploymentEnvironment(inputs);
  if (environment === undefined) {
    deps.log(`GitHub deployment: none for action ${inputs.action} (it deploys nothing).`);
    return work();
  }
  const recorder = new Recorder(deps);
  if (inputs.action === 'rollback') {
    const result = await work();
    await recordRollback(recorder, deps, inputs, environment, result);
    return result;
  }
  // deploy and release name the image up front; swap may leave it to the slot (known after the run).
  let id: number | undefined;
  if (inputs.image) {
    id = await recorder.create(inputs, environment, inputs.image);
    if (id !== undefined)
      await recorder.status(id, 'in_progress', `${inputs.action} of ${inputs.image} started`);
  }
  let result: RunResult;
  try {
    result = await work();
  } catch (error) {
    if (id !== undefined) await recorder.status(id, 'error', errorMessage(error));
    throw error;
  }
  if (id === undefined && !inputs.image && result.image)
    id = await recorder.create(inputs, environment, result.image);
  if (id === undefined) return result;
  const url = inputs.action === 'deploy' ? result.slotUrl : result.targetUrl;
  await recorder.status(id, result.succeeded ? 'success' : 'failure', outcome(inputs, result), url);
  return result;
}

/** The final status's description: a failure leads with what the target serves now (140 characters). */
function outcome(inputs: DeploySlotInputs, result: RunResult): string {
  if (result.succeeded) return result.message;
  const target = inputs.action === 'deploy' ? inputs.slot : inputs.targetSlot;
  const serves = inputs.action === 'deploy' ? result.after.slot : result.after.target;
  const now = serves ? `${target} serves ${serves}` : `${target} serves no known image`;
  return `${result.rolledBack ? 'Rolled back' : 'Failed'}, ${now}: ${result.message}`;
}

/**
 * After a rollback: the deployment of the image taken out becomes `inactive`, and the deployment of the
 * restored image (if slotline recorded it) gets a new `success` with the target's URL.
 */
async function recordRollback(
  recorder: Recorder,
  deps: DeploymentDeps,
  inputs: DeploySlotInputs,
  environment: string,
  result: RunResult,
): Promise<void> {
  const removed = result.previousImage;
  const restored = result.image;
  if (!result.succeeded || !result.rolledBack || !removed || !restored || removed === restored) return;
  const listed = await recorder.call('list deployments', 'GET /repos/{owner}/{repo}/deployments', {
    environment,
    per_page: 100,
  });
  if (!Array.isArray(listed)) {
    if (listed !== undefined) deps.warn('GitHub deployment: list deployments answered with no list.');
    return;
  }
  const removedId = recorder.find(listed, inputs.appName, removed);
  const restoredId = recorder.find(listed, inputs.appName, restored);
  if (removedId === undefined && restoredId === undefined) {
    deps.log(
      `GitHub deployment: no deployment in environment ${environment} records ${removed} or ${restored}; nothing to update.`,
    );
    return;
  }
  if (removedId !== undefined)
    await recorder.status(removedId, 'inactive', `Rolled back: ${inputs.appName} serves ${restored} again`);
  if (restoredId !== undefined)
    await recorder.status(restoredId, 'success', `Restored by a rollback from ${removed}`, result.targetUrl);
}
