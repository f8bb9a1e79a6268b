import { errorMessage } from '../../lib/errors.js';
import type { RunContext, RunResult } from '../context.js';
import {
  acquireLease,
  type HeldLease,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  releaseLease,
  renewLease,
} from '../lease.js';

/**
 * The frame of every run: find the slots' URLs and take the app's lease, run `locked` while renewing
 * the lease, then release it whatever happened. A cancel before the lease is held changes nothing; a
 * cancel after it reports what the target and slot serve now (the modes have recovered by then).
 */
export async function leaseRun(ctx: RunContext, locked: () => Promise<RunResult>): Promise<RunResult> {
  const { inputs, deps } = ctx;
  let held: HeldLease;
  try {
    const [slotSite, targetSite] = await Promise.all([
      ctx.platform.site(ctx.slot),
      ctx.platform.site(ctx.target),
    ]);
    ctx.urls = {
      slot: `https://${slotSite.properties.defaultHostName}`,
      target: `https://${targetSite.properties.defaultHostName}`,
    };
    held = await ctx.phase(
      'lock',
      async () => {
        const taken = await acquireLease(ctx.platform, inputs.appName, {
          holder: deps.holder,
          nonce: deps.nonce,
          ttlMs: deps.leaseTtlMs ?? LEASE_TTL_MS,
          waitMs: inputs.lockTimeoutMs,
          settleMs: deps.leaseSettleMs ?? 1_000,
          pollMs: deps.leasePollMs ?? 3_000,
          clock: deps.clock,
          sleep: (ms) => ctx.sleep(ms),
          log: deps.log,
        });
        ctx.lockWaitMs = taken.waitedMs;
        return taken;
      },
      (t) => `held until ${new Date(t.lease.expiresAt).toISOString()}, renewed while the run lasts`,
    );
  } catch (error) {
    if (!ctx.cancelled) throw error;
    // Nothing was changed: this run never held the lease, so it has nothing to release either.
    ctx.enterGrace();
    const now = await ctx.imagesOrUnknown();
    return ctx.result(
      false,
      `${inputs.action} ${ctx.cancelReason} before it held the lease on ${inputs.appName}: nothing was changed; ${ctx.target} serves ${now.target ?? 'unknown'}.`,
      { before: now, after: now },
    );
  }
  const renewal = renewWhileHeld(ctx, held);
  try {
    return await locked();
  } catch (error) {
    if (!ctx.cancelled) throw error;
    ctx.enterGrace();
    const now = await ctx.imagesOrUnknown();
    return ctx.result(
      false,
      `${inputs.action} ${ctx.cancelReason}: ${ctx.target} serves ${now.target ?? 'unknown'}, slot ${ctx.slot} holds ${now.slot ?? 'unknown'}.`,
      { before: now, after: now },
    );
  } finally {
    await renewal.stop();
    ctx.enterReleaseBudget();
    await ctx
      .phase('unlock', async () => {
        const outcome = await releaseLease(ctx.platform, held.lease.nonce);
        if (outcome.kind === 'not-ours')
          deps.warn(
            `The lease on ${inputs.appName} is held by ${outcome.holder} now (this run's had expired); left alone.`,
          );
        return outcome.kind;
      })
      .catch((error) =>
        deps.warn(
          `Could not release the lease (the post step retries; it expires by itself): ${errorMessage(error)}`,
        ),
      );
  }
}

/** Renew the lease every LEASE_RENEW_MS while the run holds it; `stop` ends the loop and waits for it. */
function renewWhileHeld(ctx: RunContext, held: HeldLease): { stop(): Promise<void> } {
  const { deps } = ctx;
  const stopper = new AbortController();
  const signal = deps.signal ? AbortSignal.any([stopper.signal, deps.signal]) : stopper.signal;
  const platform = ctx.platformFor(signal);
  const ttlMs = deps.leaseTtlMs ?? LEASE_TTL_MS;
  const loop = (async () => {
    for (;;) {
      try {
        await deps.clock.sleep(deps.leaseRenewMs ?? LEASE_RENEW_MS, signal);
      } catch {
        return;
      }
      if (signal.aborted) return;
      try {
        const value = await renewLease(platform, held, deps.clock.now(), ttlMs);
        if (value === undefined) {
          deps.warn(`The lease on ${ctx.inputs.appName} is no longer this run's; not renewed.`);
          return;
        }
        held.value = value;
      } catch (error) {
        if (signal.aborted) return;
        deps.warn(`Could not renew the lease (retrying): ${errorMessage(error).split('\n')[0]}`);
      }
    }
  })();
  return {
    stop: async () => {
      stopper.abort();
      await loop;
    },
  };
}
