import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import * as core from '@actions/core';
import { ArmClient } from '../lib/azure/arm.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { systemClock } from '../lib/backoff.js';
import { CANCEL_GRACE_MS, throwIfCancelled } from '../lib/cancellation.js';
import { CheckFailedError, errorMessage } from '../lib/errors.js';
import { createHttpAgent, httpRequest } from '../lib/http.js';
import type { Env } from '../lib/inputs.js';
import { redact } from '../lib/redact.js';
import { runAction } from '../lib/runner/action.js';
import { cancelOnSignals } from '../lib/runner/cancellation.js';
import { isPost, markMainStarted, saveState } from '../lib/runner/post-state.js';
import { maskValue } from '../lib/runner/secrets.js';
import { writeSummary } from '../lib/runner/summary.js';
import { checkInputsForAction, parseInputs } from './inputs.js';
import { type CancellableProbe, DeploySlotRun, type RunClock } from './phases.js';
import { armPlatform, timed } from './platform.js';
import { LEASE_NONCE_STATE, runPost } from './post.js';
import { holderName } from './record.js';
import { outputs, summaryMarkdown } from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';

/** Settle `work`, or reject with the signal's reason as soon as it aborts (the work is abandoned). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  throwIfCancelled(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export async function run(env: Env = process.env): Promise<void> {
  if (isPost(env)) {
    await runAction('deploy-slot (post)', SECRET_INPUTS, () => runPost(env), env);
    return;
  }
  markMainStarted();
  // From here on, SIGINT/SIGTERM abort what is in flight instead of killing the process: recovery and
  // releasing the lease then run inside the runner's grace period.
  const cancellation = cancelOnSignals(process, (signal, first) => {
    if (first) core.info(`Received ${signal}: stopping, then restoring a safe state.`);
  });
  try {
    await runAction('deploy-slot', SECRET_INPUTS, (e) => main(e, cancellation.signal), env);
  } finally {
    cancellation.dispose();
  }
}

async function main(env: Env, signal: AbortSignal): Promise<void> {
  const inputs = await parseInputs(env);
  checkInputsForAction(inputs, env);
  const secrets: string[] = [];
  for (const setting of Object.values(inputs.appSettings)) if (setting.secret) secrets.push(setting.value);
  if (inputs.registry) secrets.push(inputs.registry.password);
  if (inputs.azure.clientSecret) secrets.push(inputs.azure.clientSecret);
  for (const secret of secrets) maskValue(secret);

  // Saved before the lease can exist, so the post step can release it even when this step is killed.
  const nonce = randomUUID();
  saveState(LEASE_NONCE_STATE, nonce);

  const credential = await createAzureCredential(inputs.azure, { env });
  const client = await ArmClient.create({ credential, inputs: inputs.azure });
  const agent = createHttpAgent(4);
  // Where the time goes, for the debug log and the benchmark: waiting on Azure, on the app's health
  // endpoint, and in deliberate pauses (probe intervals, the lease's settle time).
  const spent = { azure: { ms: 0 }, probes: 0, waits: 0 };
  const started = performance.now();
  const clock: RunClock = {
    now: () => systemClock.now(),
    sleep: async (ms, sleepSignal) => {
      const t = performance.now();
      try {
        await delay(ms, undefined, sleepSignal ? { signal: sleepSignal } : {});
      } catch (error) {
        throwIfCancelled(sleepSignal);
        throw error;
      } finally {
        spent.waits += performance.now() - t;
      }
    },
  };
  const probe: CancellableProbe = async (url, probeSignal) => {
    const t = performance.now();
    try {
      const res = await untilAborted(
        httpRequest(
          { url, headers: { 'user-agent': 'slotline-deploy-slot' } },
          { timeoutMs: 10_000, dispatcher: agent },
        ),
        probeSignal,
      );
      return { status: res.status };
    } catch (error) {
      throwIfCancelled(probeSignal);
      return { error: (error as { code?: string }).code ?? errorMessage(error).split('\n')[0] };
    } finally {
      spent.probes += performance.now() - t;
    }
  };
  try {
    const result = await new DeploySlotRun(inputs, {
      platformFor: (platformSignal) =>
        timed(armPlatform(client, inputs.resourceGroup, inputs.appName, platformSignal), spent.azure),
      probe,
      clock,
      signal,
      graceMs: CANCEL_GRACE_MS,
      log: (line) => core.info(redact(line, secrets)),
      warn: (line) => core.warning(redact(line, secrets)),
      holder: holderName(env),
      nonce,
    }).run();
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
    await (signal.aborted ? agent.destroy() : agent.close());
  }
}
