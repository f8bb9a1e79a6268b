import * as core from '@actions/core';
import type { Env } from './inputs.js';

/** Input names whose values are credentials whatever the action: masked before anything else runs. */
const SECRET_INPUT = /(secret|password|token|key|credential|auth)/i;

/**
 * Register every secret-like `INPUT_*` value with the runner so it is replaced by `***` in all later
 * log lines. Multi-line values are masked line by line as well, because the runner masks per line.
 */
export function maskSecretInputs(env: Env, extraNames: readonly string[] = []): void {
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('INPUT_') || !value) continue;
    const name = key.slice('INPUT_'.length);
    if (SECRET_INPUT.test(name) || extraNames.some((n) => n.toUpperCase() === name)) maskValue(value);
  }
}

export function maskValue(value: string): void {
  const trimmed = value.trim();
  if (trimmed === '') return;
  core.setSecret(trimmed);
  for (const line of trimmed.split('\n')) if (line.trim().length >= 3) core.setSecret(line.trim());
}

/** Replace each secret in `text` with `***`: for text that leaves the runner's masking, such as outputs. */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 3) result = result.split(secret).join('***');
  return result;
}
