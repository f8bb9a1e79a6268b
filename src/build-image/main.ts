import * as core from '@actions/core';
import { createAzureCredential } from '../lib/azure/credential.js';
import { CancelledError, throwIfCancelled } from '../lib/cancellation.js';
import { ActionError } from '../lib/errors.js';
import { type Exec, execFile } from '../lib/exec.js';
import { type HttpRequest, type HttpResponse, httpRequest } from '../lib/http.js';
import type { Env } from '../lib/inputs.js';
import { runAction } from '../lib/runner/action.js';
import { cancelOnSignals, type SignalSource } from '../lib/runner/cancellation.js';
import { withGroup } from '../lib/runner/log.js';
import { markMainStarted, saveState } from '../lib/runner/post-state.js';
import { maskValue } from '../lib/runner/secrets.js';
import { writeSummary } from '../lib/runner/summary.js';
import { type AcrCredentials, signInToAcr } from './acr.js';
import { stepStats } from './build-log.js';
import { type Builder, BuildFailedError, selectBuilder } from './builders.js';
import { CredentialsDir } from './credentials.js';
import { type BuildImageInputs, parseInputs, verifyBuildFiles } from './inputs.js';
import { computeLabels, computeTags, type EventContext } from './metadata.js';
import { type BuildReport, metadataOutput, summaryMarkdown } from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';

/** What build-image needs from the world, injected so tests can script it (see defaultDeps). */
export interface BuildImageDeps {
  /** Runs buildah, podman and docker. */
  exec: Exec;
  now: () => Date;
  /** The GitHub event the tags and labels come from. */
  eventContext: (env: Env) => Promise<EventContext>;
  /** Where SIGINT/SIGTERM come from. */
  signals: SignalSource;
  /** HTTP for the ACR token exchange. */
  http: (request: HttpRequest) => Promise<HttpResponse>;
}

/** The real world: child processes, the system clock, @actions/github's context, this process's signals. */
export function defaultDeps(): BuildImageDeps {
  return {
    exec: execFile,
    now: () => new Date(),
    eventContext: githubContext,
    signals: process,
    http: (request) => httpRequest(request),
  };
}

/**
 * How long a builder has after SIGTERM (a cancelled run) to remove its mounts and temporary containers
 * before its process group gets SIGKILL: well inside the runner's grace period.
 */
const BUILDER_KILL_GRACE_MS = 3_000;

/** The runner variables tags and labels come from: a missing one is named here, not a TypeError later. */
const RUNNER_VARIABLES = ['GITHUB_EVENT_NAME', 'GITHUB_REF', 'GITHUB_SHA', 'GITHUB_REPOSITORY'] as const;

async function githubContext(env: Env): Promise<EventContext> {
  for (const name of RUNNER_VARIABLES) {
    if (!env[name]) {
      throw new ActionError(
        `the runner variable ${name} is not set: build-image computes the image's tags and labels from it, so run it as a step of a GitHub Actions job`,
      );
    }
  }
  const { context } = await import('@actions/github');
  return {
    eventName: context.eventName,
    ref: context.ref,
    sha: context.sha,
    serverUrl: context.serverUrl,
    repo: context.repo,
    payload: context.payload as EventContext['payload'],
  };
}

/** A push the registry refused for lack of permission (the token lacks `push`), not a network or build error. */
function isPushRefusal(error: ActionError): boolean {
  return (
    error.message.startsWith('pushing ') &&
    /denied|unauthorized|authentication required|insufficient_scope/i.test(error.message)
  );
}

export async function run(env: Env = process.env, deps: BuildImageDeps = defaultDeps()): Promise<void> {
  await runAction(
    'build-image',
    SECRET_INPUTS,
    async () => {
      // First of all, so that the post step (same bundle) knows it is the post step even after a kill.
      markMainStarted();
      const inputs = await parseInputs(env);
      if (inputs.password) maskValue(inputs.password);
      verifyBuildFiles(inputs);

      const event = await deps.eventContext(env);
      const now = deps.now();
      const { tags, version } = computeTags(inputs.tagRules, event, now);
      if (tags.length === 0) {
        throw new ActionError(
          `the tag rules produced no tag for event "${event.eventName}" on ${event.ref || 'no ref'}; add a rule that applies, such as type=sha`,
        );
      }
      const labels = computeLabels(event, version, now, inputs.labels);
      const name = `${inputs.registry}/${inputs.repository}`;
      const references = tags.map((tag) => `${name}:${tag}`);
      core.info(`Tags: ${references.join(', ')}`);

      const credentials = new CredentialsDir(env['RUNNER_TEMP'], saveState);
      // A cancelled run: remove the credentials at once (synchronously), then stop the builder.
      const cancellation = cancelOnSignals(deps.signals, () => credentials.remove());
      const { signal } = cancellation;
      const exec: Exec = (command, args, options) =>
        deps.exec(command, args, { killGraceMs: BUILDER_KILL_GRACE_MS, ...options, signal });
      try {
        const builder = await selectBuilder(inputs.builder, exec, inputs.tlsVerify, credentials);
        core.info(`Builder: ${builder.name}`);
        try {
          await signIn(inputs, builder, env, deps, signal);
          await buildAndReport(inputs, builder, { name, references, labels, version });
        } finally {
          await builder.dispose();
        }
      } catch (error) {
        if (signal.aborted) {
          const by = signal.reason instanceof CancelledError ? signal.reason.signalName : 'a signal';
          throw new ActionError(
            `cancelled by ${by}: the build was stopped and the registry credentials removed`,
          );
        }
        throw error;
      } finally {
        cancellation.dispose();
        credentials.remove();
      }
    },
    env,
  );
}

/** Registry sign-in, only when pushing: a build that pushes nothing needs no identity at all. */
async function signIn(
  inputs: BuildImageInputs,
  builder: Builder,
  env: Env,
  deps: BuildImageDeps,
  signal: AbortSignal,
): Promise<void> {
  const { login, registry } = inputs;
  if (!inputs.push) {
    if (login.kind !== 'none') core.info(`push is false: not signing in to ${registry}`);
    return;
  }
  if (login.kind === 'none' && login.hint) core.warning(login.hint);
  let credentials: AcrCredentials | undefined;
  if (login.kind === 'acr-oidc') {
    const { azure } = login;
    credentials = await withGroup(
      `Exchanging a Microsoft Entra ID token (${azure.credentialKind}) for an ACR refresh token`,
      async () =>
        signInToAcr({
          registry,
          azure,
          credential: await createAzureCredential(azure, { env }),
          send: deps.http,
          mask: maskValue,
          abortSignal: signal,
        }),
    );
  } else if (login.kind === 'password' && inputs.username && inputs.password) {
    credentials = { username: inputs.username, password: inputs.password };
  }
  if (credentials) {
    const { username, password } = credentials;
    throwIfCancelled(signal);
    await withGroup(`Logging in to ${registry}`, () => builder.login(registry, username, password));
  }
}

async function buildAndReport(
  inputs: BuildImageInputs,
  builder: Builder,
  image: { name: string; references: string[]; labels: Record<string, string>; version: string },
): Promise<void> {
  const { name, references, labels, version } = image;
  const started = performance.now();
  const result = await withGroup(`Building ${name} with ${builder.name}`, () =>
    builder.build({
      context: inputs.context,
      file: inputs.file,
      target: inputs.target,
      buildArgs: inputs.buildArgs,
      labels,
      references,
      push: inputs.push,
      cacheFrom:
        inputs.cacheFrom && (builder.name === 'docker' ? inputs.cacheFrom.raw : inputs.cacheFrom.ref),
      cacheTo: inputs.cacheTo && (builder.name === 'docker' ? inputs.cacheTo.raw : inputs.cacheTo.ref),
      layers: inputs.layers,
    }),
  ).catch(async (error: unknown) => {
    if (inputs.login.kind === 'acr-oidc' && error instanceof ActionError && isPushRefusal(error)) {
      // ACR grants what the role allows and no more, so a pull-only identity fails at the first upload.
      throw new ActionError(
        `${error.message} (the Azure identity signed in but may not push to ${inputs.registry}: give it the AcrPush, Contributor or Owner role on the registry)`,
      );
    }
    if (error instanceof BuildFailedError && error.failed) {
      const failed = error.failed;
      // The failing step on its own, so nobody has to scroll through the whole build log.
      await withGroup(`Failed step: ${failed.step}`, async () => core.info(failed.output));
    }
    throw error;
  });
  const durationMs = performance.now() - started;
  const digest = result.digest ?? '';
  const report: BuildReport = {
    builder: builder.name,
    image: digest ? `${name}@${digest}` : references[0]!,
    digest,
    imageId: result.imageId,
    references,
    version,
    labels,
    pushed: inputs.push,
    sizeBytes: result.sizeBytes,
    layers: result.layers,
    durationMs,
    ...stepStats(result.output),
  };
  core.setOutput('image', report.image);
  core.setOutput('digest', digest);
  core.setOutput('tags', references.join('\n'));
  core.setOutput('imageid', result.imageId);
  core.setOutput('metadata', metadataOutput(report));
  core.info(`${inputs.push ? 'Pushed' : 'Built'} ${report.image} in ${(durationMs / 1000).toFixed(1)} s`);
  await writeSummary(summaryMarkdown(report));
}
