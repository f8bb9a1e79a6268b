import { failAction } from './errors.js';
import type { Env } from './inputs.js';
import { maskSecretInputs } from './secrets.js';

/**
 * The frame every action's run() shares: mask secrets before anything can log them, run the body, and
 * turn any throw into one clear failure line with exit code 1. Never calls process.exit.
 */
export async function runAction(
  name: string,
  body: (env: Env) => Promise<void>,
  env: Env = process.env,
): Promise<void> {
  maskSecretInputs(env);
  try {
    await body(env);
  } catch (error) {
    failAction(name, error);
  }
}
