import { ArmError } from '../../lib/azure/errors.js';
import type { RunContext } from '../context.js';

/**
 * Run `work`, waiting out 409 Conflict (another operation still running on the site) until `timeoutMs`:
 * recovery acting on a half-known state would be worse than waiting. Other errors pass at once.
 */
export async function withConflictRetry<T>(
  ctx: RunContext,
  work: () => Promise<T>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = ctx.deps.clock.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof ArmError && error.status === 409) || ctx.deps.clock.now() >= deadline)
        throw error;
      ctx.deps.log(`Another operation is running on ${ctx.inputs.appName} (409); retrying.`);
      await ctx.sleep(Math.min(5_000, 500 * attempt));
    }
  }
}
