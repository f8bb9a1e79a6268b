import * as core from '@actions/core';
import { errorMessage } from '../lib/errors.js';
import type { Env } from '../lib/inputs.js';
import { readState } from '../lib/runner/post-state.js';
import type { ActionDeps } from './deps.js';
import { parseInputs } from './inputs.js';
import { releaseLease } from './lease.js';
import { imageOf, readRecord } from './record.js';

/** The step state under which main saves its lease nonce (before it writes the lease). */
export const LEASE_NONCE_STATE = 'lease-nonce';

/** The post step's bound: it runs after main, killed or not, and must not hang the job. */
const POST_TIMEOUT_MS = 60_000;

/**
 * The `post:` step (`post-if: always()`): release a lease the main step still holds (it was killed, or
 * could not release it), only while the lease carries this run's nonce, and report what it found:
 * who holds the lease, what the target serves, and a release left pending.
 */
export async function runPost(env: Env, deps: Pick<ActionDeps, 'connect'>): Promise<void> {
  const nonce = readState(LEASE_NONCE_STATE, env);
  if (!nonce) {
    core.info('deploy-slot post: the main step took no lease; nothing to release.');
    return;
  }
  const inputs = await parseInputs(env);
  // A clean-up step must not turn a finished job red: what it cannot check, it reports as a warning.
  try {
    const platform = (await deps.connect(inputs, env))(AbortSignal.timeout(POST_TIMEOUT_MS));
    const app = inputs.appName;
    const outcome = await releaseLease(platform, nonce);
    if (outcome.kind === 'released')
      core.warning(
        `deploy-slot post: the main step left its lease on ${app} (it was stopped before it could release it); released it.`,
      );
    else if (outcome.kind === 'not-ours')
      core.info(
        `deploy-slot post: the lease on ${app} belongs to another run (${outcome.holder}, until ${new Date(outcome.expiresAt).toISOString()}); left alone.`,
      );
    else core.info(`deploy-slot post: no lease is left on ${app}; nothing to release.`);
    const [tags, config] = await Promise.all([platform.tags(), platform.config(inputs.targetSlot)]);
    const serves = imageOf(config.linuxFxVersion) ?? 'no container';
    const record = readRecord(tags, inputs.targetSlot);
    if (record.pendingImage)
      core.warning(
        `deploy-slot post: a release of ${record.pendingImage} to ${inputs.targetSlot} did not finish (it served ${record.pendingPreviousImage ?? 'no container'} before); ${inputs.targetSlot} serves ${serves}. Run deploy-slot with action: rollback to go back to the release before it.`,
      );
    else core.info(`deploy-slot post: ${inputs.targetSlot} of ${app} serves ${serves}.`);
  } catch (error) {
    core.warning(
      `deploy-slot post: could not check the lease on ${inputs.appName}: ${errorMessage(error).split('\n')[0]}. A lease left behind expires by itself within 10 minutes.`,
    );
  }
}
