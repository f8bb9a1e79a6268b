import { errorMessage } from '../../lib/errors.js';
import type { Failure, Images, RunContext, RunResult, SlotSnapshot } from '../context.js';
import { imageOf } from '../record.js';
import { planRecovery } from '../rollback.js';
import { withConflictRetry } from './conflict.js';
import { removeRampRule } from './ramp-rule.js';
import { waitSlotHealthy } from './slot-health.js';
import { writeRecord } from './write-record.js';

/**
 * After a failed (or cancelled) deploy, swap or release: bring the target back to what it served before
 * the run, deciding from what ARM shows now. A 409 (an operation still running on the site) is waited
 * out: acting on a half-known state is worse. The message always says what the target serves after.
 */
export async function recover(
  ctx: RunContext,
  failure: Failure,
  before: Images,
  image: string,
  snapshot: SlotSnapshot | undefined,
): Promise<RunResult> {
  const { inputs, deps } = ctx;
  const previous = before.target ? { previousImage: before.target } : {};
  if (ctx.leaseLost) return ctx.stoppedWithoutLease(failure.phase, { image, ...previous, before });
  const action = inputs.action;
  const what = ctx.cancelled
    ? `${action} ${ctx.cancelReason} in ${failure.phase}`
    : `${action} failed in ${failure.phase}: ${failure.message.split('\n')[0]}`;
  ctx.enterGrace();
  if (!inputs.rollbackOnFailure) {
    const now = await ctx.imagesOrUnknown();
    return ctx.result(
      false,
      `${what}. rollback-on-failure is false: ${ctx.target} serves ${now.target ?? 'unknown'}, slot ${ctx.slot} holds ${now.slot ?? 'unknown'}.`,
      { image, ...previous, before, after: now },
    );
  }
  try {
    await ctx.phase(
      'rollback',
      async () => {
        const plan = await withConflictRetry(ctx, async () => {
          const slotSite = await ctx.platform.site(ctx.slot);
          if (slotSite.properties.targetSwapSlot) await ctx.platform.resetSlotConfig(ctx.slot);
          const now = await ctx.images();
          return planRecovery({ targetBefore: before.target, targetNow: now.target, slotNow: now.slot });
        });
        if (plan.kind === 'restore-slot') {
          if (snapshot) {
            await withConflictRetry(ctx, async () => {
              await ctx.platform.updateAppSettings(ctx.slot, snapshot.settings);
              await ctx.platform.updateConfig(ctx.slot, {
                linuxFxVersion: snapshot.linuxFxVersion ?? '',
                ...(snapshot.healthCheckPath ? { healthCheckPath: snapshot.healthCheckPath } : {}),
              });
            });
            deps.log(
              `${ctx.target} was not changed; slot ${ctx.slot} restored to ${imageOf(snapshot.linuxFxVersion) ?? 'its previous config'}.`,
            );
          } else deps.log(`${ctx.target} was not changed; nothing to undo.`);
        } else if (plan.kind === 'swap-back') {
          // The target serves this run's image, so its swap took effect (even if its answer was lost
          // to a cancel): the `swapped` output says so, as well as rolled-back.
          ctx.swapped = true;
          await withConflictRetry(ctx, () => ctx.platform.swap(ctx.slot, ctx.target));
          // Waiting, not strict verification: the old release is known good, and instances the failed
          // release left behind may still answer errors for a moment after the switch.
          await waitSlotHealthy(ctx, plan.image, ctx.target, ctx.urls.target!);
          await removeRampRule(ctx, 'rolled back');
        } else {
          await withConflictRetry(ctx, () =>
            ctx.platform.updateConfig(ctx.target, { linuxFxVersion: `DOCKER|${plan.image}` }),
          );
          await waitSlotHealthy(ctx, plan.image, ctx.target, ctx.urls.target!);
          await removeRampRule(ctx, 'rolled back');
        }
        // The target is back on what it served before: this release is no longer pending.
        if (ctx.pendingWritten)
          await writeRecord(ctx, { pendingImage: undefined, pendingPreviousImage: undefined });
        ctx.rolledBack = true;
        return plan.kind;
      },
      (kind) => kind,
    );
  } catch (error) {
    const now = await ctx.imagesOrUnknown();
    return ctx.result(
      false,
      `${what}. Rollback failed too (${errorMessage(error).split('\n')[0]}): ${ctx.target} serves ${now.target ?? 'unknown'} (it served ${before.target ?? 'no container'} before), slot ${ctx.slot} holds ${now.slot ?? 'unknown'}.`,
      { image, ...previous, before, after: now },
    );
  }
  const now = await ctx.images();
  return ctx.result(
    false,
    `${what}. Rolled back: ${ctx.target} serves ${now.target ?? 'no container'}${now.target === before.target ? ' as before the run' : ''}; slot ${ctx.slot} holds ${now.slot ?? 'no container'}.`,
    { image, ...previous, before, after: now },
  );
}
