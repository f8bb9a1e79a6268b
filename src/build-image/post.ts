import * as core from '@actions/core';
import type { Env } from '../lib/inputs.js';
import { readState } from '../lib/runner/post-state.js';
import { CREDENTIALS_STATE, sweepCredentials } from './credentials.js';

/**
 * The `post:` step (`post-if: always()`) runs this same bundle after the job's steps (see
 * src/lib/runner/post-state.ts): it removes the registry credentials main wrote, even after main was
 * killed. A post step never fails the job.
 */
export async function runPost(env: Env = process.env): Promise<void> {
  const saved = readState(CREDENTIALS_STATE, env);
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
