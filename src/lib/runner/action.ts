import { accessSync, constants } from 'node:fs';
import { ActionError, describeSystemError } from '../errors.js';
import type { Env } from '../inputs.js';
import { failAction } from './fail.js';
import { maskSecretInputs } from './secrets.js';

/**
 * The runner's files an action writes through @actions/core. When one is set but cannot be written, the
 * action would otherwise do its work and then fail on its first output with @actions/core's
 * "Missing file at path"; checking first fails before anything is done, naming the variable.
 * GITHUB_STEP_SUMMARY is not here: a summary is a report, and writeSummary only warns.
 */
const REQUIRED_RUNNER_FILES = ['GITHUB_OUTPUT', 'GITHUB_STATE'] as const;

export function checkRunnerFiles(env: Env): void {
  for (const variable of REQUIRED_RUNNER_FILES) {
    const path = env[variable];
    if (!path) continue; // Unset: @actions/core falls back to stdout commands.
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EACCES';
      const words = describeSystemError({ code, path }, {}).replace(`${path}: `, '');
      throw new ActionError(
        `the runner's ${variable} file ${path} cannot be written: ${words}; the runner sets ${variable} to a writable file`,
      );
    }
  }
}

/**
 * The frame every action's run() shares: mask the action's secret inputs before anything can log them,
 * check the runner's files, run the body, and turn any throw into one clear failure line with exit
 * code 1. Never calls process.exit.
 *
 * `secretInputs` is the action's SECRET_INPUTS (src/<action>/secret-inputs.ts): the inputs whose values
 * are masked. Exactly those, so that identifiers such as `authority-host` stay readable in errors.
 */
export async function runAction(
  name: string,
  secretInputs: readonly string[],
  body: (env: Env) => Promise<void>,
  env: Env = process.env,
): Promise<void> {
  maskSecretInputs(env, secretInputs);
  try {
    checkRunnerFiles(env);
    await body(env);
  } catch (error) {
    failAction(name, error);
  }
}
