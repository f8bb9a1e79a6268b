import * as core from '@actions/core';
import type { Env } from '../lib/inputs.js';
import { CREDENTIALS_STATE, sweepCredentials } from './credentials.js';

/**
 * The `post:` step (`post-if: always()`) runs this same bundle after the job's steps. The main step saved
 * `isPost` first thing, so the runner hands it back as `STATE_isPost`; a post step never fails the job.
 */

export const POST_STATE = 'isPost';

/** The runner passes each value the main step saved as `STATE_<name>`. */
function savedState(env: Env, name: string): string | undefined {
  return env[`STATE_${name}`] || undefined;
}

export function isPostStep(env: Env = process.env): boolean {
  return savedState(env, POST_STATE) === 'true';
}

export async function runPost(env: Env = process.env): Promise<void> {
  const saved = savedState(env, CREDENTIALS_STATE);
  if (!saved) {
    core.info('build-image post step: no registry credentials were written, nothing to clean up');
    return;
  }
  try {
    core.info(`build-image post step: ${sweepCredentials(saved, env['RUNNER_TEMP'])}`);
  } catch (error) {
    core.warning(
      `build-image post step: could not remove the registry credentials at ${saved}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
