import * as core from '@actions/core';
import { type Env, inputEnvName } from '../inputs.js';

/**
 * Register the values of the inputs an action declares secret with the runner, so they are replaced
 * by `***` in all later log lines. Masking is by input, not by a name pattern: a pattern also hid
 * `authority-host` (it contains "auth"), which made its errors unreadable. Every action declares its
 * list (src/<action>/secret-inputs.ts); a contract test checks no credential-like input is left off.
 */
export function maskSecretInputs(env: Env, secretInputs: readonly string[]): void {
  for (const name of secretInputs) {
    const value = env[inputEnvName(name)];
    if (value) maskValue(value);
  }
}

/** Multi-line values are masked line by line as well, because the runner masks per line. */
export function maskValue(value: string): void {
  const trimmed = value.trim();
  if (trimmed === '') return;
  core.setSecret(trimmed);
  for (const line of trimmed.split('\n')) if (line.trim().length >= 3) core.setSecret(line.trim());
}
