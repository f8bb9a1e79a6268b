import { errorMessage } from '../../lib/errors.js';
import type { RunContext, RunResult } from '../context.js';
import {
  acquireLease,
  type HeldLease,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  LeaseLostError,
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
    // ramp and rollback end by throwing; deploy, swap and release return through recover, which stands down.
    if (ctx.leaseLost) return ctx.stoppedWithoutLease(undefined, {});
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

/**
 * Renew the lease every LEASE_RENEW_MS while the run holds it; `stop` ends the loop and waits for it.
 * When the lease is gone (another run's now, or removed), or the run could not renew it before it
 * expired, the run loses it: ctx.loseLease stops every call and wait, and nothing more is changed.
 */
function renewWhileHeld(ctx: RunContext, held: HeldLease): { stop(): Promise<void> } {
  const { deps } = ctx;
  const stopper = new AbortController();
  const signal = deps.signal ? AbortSignal.any([stopper.signal, deps.signal]) : stopper.signal;
  const platform = ctx.platformFor(signal);
  const ttlMs = deps.leaseTtlMs ?? LEASE_TTL_MS;
  const app = ctx.inputs.appName;
  let expiresAt = held.lease.expiresAt;
  const renewMs = deps.leaseRenewMs ?? LEASE_RENEW_MS;
  // After a failed renewal, retries come faster, and the run stops before the lease would expire unrenewed.
  const retryMs = Math.max(1, Math.floor(renewMs / 3));
  let waitMs = renewMs;
  const loop = (async () => {
    for (;;) {
      try {
        await deps.clock.sleep(waitMs, signal);
      } catch {
        return;
      }
      if (signal.aborted) return;
      try {
        const outcome = await renewLease(platform, held, deps.clock.now(), ttlMs);
        if (outcome.kind === 'lost') {
          ctx.loseLease(
            new LeaseLostError(
              outcome.holder
                ? `its lease on ${app} was taken by ${outcome.holder} (this run's had expired)`
                : `its lease on ${app} was removed by someone else`,
            ),
          );
          return;
        }
        held.value = outcome.value;
        expiresAt = outcome.expiresAt;
        waitMs = renewMs;
      } catch (error) {
        if (signal.aborted) return;
        const reason = errorMessage(error).split('\n')[0];
        // Stop while a retry's worth of the lease is still left: no other run can be acting yet.
        if (deps.clock.now() + 2 * retryMs >= expiresAt) {
          ctx.loseLease(
            new LeaseLostError(
              `its lease on ${app} could not be renewed before it expires at ${new Date(expiresAt).toISOString()} (${reason})`,
            ),
          );
          return;
        }
        deps.warn(`Could not renew the lease (retrying): ${reason}`);
        waitMs = retryMs;
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
