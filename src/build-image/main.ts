import * as core from '@actions/core';
import { runAction } from '../lib/action.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { ActionError } from '../lib/errors.js';
import { httpRequest } from '../lib/http.js';
import type { Env } from '../lib/inputs.js';
import { withGroup } from '../lib/log.js';
import { maskValue } from '../lib/secrets.js';
import { writeSummary } from '../lib/summary.js';
import { type AcrCredentials, signInToAcr } from './acr.js';
import { stepStats } from './build-log.js';
import { BuildFailedError, selectBuilder } from './builders.js';
import { actionsExec, type Exec } from './exec.js';
import { parseInputs, verifyBuildFiles } from './inputs.js';
import { computeLabels, computeTags, type EventContext } from './metadata.js';
import { type BuildReport, metadataOutput, summaryMarkdown } from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';

export interface BuildImageDeps {
  exec: Exec;
  now: () => Date;
  /** The GitHub event; by default @actions/github's context, read from the runner's environment. */
  eventContext?: () => Promise<EventContext>;
}

async function githubContext(): Promise<EventContext> {
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

export async function run(
  env: Env = process.env,
  deps: BuildImageDeps = { exec: actionsExec, now: () => new Date() },
): Promise<void> {
  await runAction('build-image', SECRET_INPUTS, async () => {
    const inputs = await parseInputs(env);
    if (inputs.password) maskValue(inputs.password);
    verifyBuildFiles(inputs);

    const event = await (deps.eventContext ?? githubContext)();
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

    const builder = await selectBuilder(inputs.builder, deps.exec, inputs.tlsVerify);
    core.info(`Builder: ${builder.name}`);
    try {
      let credentials: AcrCredentials | undefined;
      if (inputs.login.kind === 'acr-oidc') {
        const { azure } = inputs.login;
        credentials = await withGroup(
          `Exchanging a Microsoft Entra ID token (${azure.credentialKind}) for an ACR refresh token`,
          async () =>
            signInToAcr({
              registry: inputs.registry,
              azure,
              credential: await createAzureCredential(azure, { env }),
              send: (request) => httpRequest(request),
              mask: maskValue,
            }),
        );
      } else if (inputs.login.kind === 'password' && inputs.username && inputs.password) {
        credentials = { username: inputs.username, password: inputs.password };
      }
      if (credentials) {
        const { username, password } = credentials;
        await withGroup(`Logging in to ${inputs.registry}`, () =>
          builder.login(inputs.registry, username, password),
        );
      }
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
    } finally {
      await builder.dispose();
    }
  });
}
