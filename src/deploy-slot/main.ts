import * as core from '@actions/core';
import { CANCEL_GRACE_MS } from '../lib/cancellation.js';
import { CheckFailedError } from '../lib/errors.js';
import type { Env } from '../lib/inputs.js';
import { redact } from '../lib/redact.js';
import { runAction } from '../lib/runner/action.js';
import { cancelOnSignals } from '../lib/runner/cancellation.js';
import { isPost, markMainStarted, saveState } from '../lib/runner/post-state.js';
import { maskValue } from '../lib/runner/secrets.js';
import { writeSummary } from '../lib/runner/summary.js';
import { defaultDeps } from './default-deps.js';
import type { ActionDeps } from './deps.js';
import { recordedIfToken } from './github-deployment.js';
import { checkInputsForAction, parseInputs } from './inputs.js';
import { LEASE_NONCE_STATE, runPost } from './post.js';
import { holderName, LEASE_TAG } from './record.js';
import { outputs, summaryMarkdown } from './report.js';
import { runDeploySlot } from './run.js';
import { SECRET_INPUTS } from './secret-inputs.js';

export async function run(env: Env = process.env, deps: ActionDeps = defaultDeps()): Promise<void> {
  if (isPost(env)) {
    await runAction('deploy-slot (post)', SECRET_INPUTS, () => runPost(env, deps), env);
    return;
  }
  markMainStarted();
  // From here on, SIGINT/SIGTERM abort what is in flight instead of killing the process: recovery and
  // releasing the lease then run inside the runner's grace period.
  const cancellation = cancelOnSignals(deps.signals, (signal, first) => {
    if (first) core.info(`Received ${signal}: stopping, then restoring a safe state.`);
  });
  try {
    await runAction('deploy-slot', SECRET_INPUTS, (e) => main(e, deps, cancellation.signal), env);
  } finally {
    cancellation.dispose();
  }
}

async function main(env: Env, deps: ActionDeps, signal: AbortSignal): Promise<void> {
  const inputs = await parseInputs(env);
  checkInputsForAction(inputs, env);
  const secrets: string[] = [];
  for (const setting of Object.values(inputs.appSettings)) if (setting.secret) secrets.push(setting.value);
  if (inputs.registry) secrets.push(inputs.registry.password);
  if (inputs.azure.clientSecret) secrets.push(inputs.azure.clientSecret);
  if (inputs.githubToken) secrets.push(inputs.githubToken);
  for (const secret of secrets) maskValue(secret);

  const nonce = deps.newNonce();
  const connected = await deps.connect(inputs, env);
  // The nonce is saved just before the first lease write, so the post step can release the lease even
  // when this step is killed, and has nothing to do (no sign-in, no ARM call) when no lease was written.
  let nonceSaved = false;
  const platformFor: typeof connected = (callSignal) => {
    const platform = connected(callSignal);
    return {
      ...platform,
      mergeTags: async (tags) => {
        if (!nonceSaved && LEASE_TAG in tags) {
          saveState(LEASE_NONCE_STATE, nonce);
          nonceSaved = true;
        }
        return platform.mergeTags(tags);
      },
    };
  };
  const prober = await deps.openProber();
  const started = performance.now();
  try {
    const log = (line: string) => core.info(redact(line, secrets));
    const warn = (line: string) => core.warning(redact(line, secrets));
    const work = () =>
      runDeploySlot(inputs, {
        platformFor,
        probe: prober.probe,
        clock: deps.clock,
        signal,
        graceMs: CANCEL_GRACE_MS,
        log,
        warn,
        holder: holderName(env),
        nonce,
      });
    const github = inputs.githubToken ? await deps.openGitHub(inputs.githubToken, env) : undefined;
    const result = await recordedIfToken(
      github,
      { log, warn, redact: (text) => redact(text, secrets), signal },
      inputs,
      work,
    );
    // The run gave its lease back: the post step has nothing to release and needs no sign-in.
    if (result.phases.some((p) => p.name === 'unlock' && !p.failed)) saveState(LEASE_NONCE_STATE, '');
    const { spent } = deps;
    core.debug(
      `timing: run ${Math.round(performance.now() - started)} ms, azure ${Math.round(spent.azure.ms)} ms, probes ${Math.round(spent.probes)} ms, waits ${Math.round(spent.waits)} ms, process uptime ${Math.round(process.uptime() * 1000)} ms`,
    );
    for (const [name, value] of Object.entries(outputs(result))) core.setOutput(name, redact(value, secrets));
    await writeSummary(
      redact(summaryMarkdown(result, inputs.appName, inputs.slot, inputs.targetSlot), secrets),
    );
    if (!result.succeeded) throw new CheckFailedError(redact(result.message, secrets));
    core.info(redact(result.message, secrets));
  } finally {
    // After a cancel, probes may still be open: drop them rather than wait for them.
    await prober.close(signal.aborted);
  }
}
