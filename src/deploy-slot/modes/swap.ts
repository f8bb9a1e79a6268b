import { CheckFailedError, errorMessage } from '../../lib/errors.js';
import { asFailure, type Images, type RunContext, type RunResult } from '../context.js';
import { holdsExpectedImage } from '../image-policy.js';
import { imageOf } from '../record.js';
import { recover } from '../steps/recover.js';
import { verifyTarget, waitSlotHealthy } from '../steps/slot-health.js';
import { recordRelease, writeRecord } from '../steps/write-record.js';
import { requireImage } from './deploy.js';

/**
 * `action: swap`: swap what the slot already runs into the target, verify it there and record it. With
 * `image`, the slot must still hold that image (read under the lease, just before the swap): another run
 * may have deployed to the slot since this one built and deployed its image.
 */
export async function swap(ctx: RunContext, before: Images): Promise<RunResult> {
  const expected = ctx.inputs.image;
  if (expected !== undefined && !holdsExpectedImage(expected, before.slot))
    throw new CheckFailedError(
      `Refusing to swap: slot ${ctx.slot} of ${ctx.inputs.appName} holds ${before.slot ?? 'no container image'}, not ${expected} (image). Nothing was changed; ${ctx.target} serves ${before.target ?? 'no container'}.`,
    );
  const image = requireImage(ctx, before.slot);
  try {
    await swapPhases(ctx, image, before);
  } catch (error) {
    return recover(ctx, asFailure(error), before, image, undefined);
  }
  return released(ctx, image, before);
}

/** The `swap`, `verify` and `record` phases that put `image` (now in the slot) on the target. */
export async function swapPhases(ctx: RunContext, image: string, before: Images): Promise<void> {
  await ctx.phase(
    ctx.inputs.swapMode === 'preview' ? 'swap (preview)' : 'swap',
    async () => {
      // Pending first: a run killed between the swap and the record still tells rollback what the
      // target served before this release.
      await writeRecord(ctx, { pendingImage: image, pendingPreviousImage: before.target });
      ctx.pendingWritten = true;
      await swapIntoTarget(ctx, image);
    },
    () => `${ctx.slot} ⇄ ${ctx.target}`,
  );
  await ctx.phase(
    'verify',
    () => verifyTarget(ctx, image),
    (n) => n,
  );
  await ctx.phase('record', () => recordRelease(ctx, before.target, image));
}

/** The success of a swap or a release: what the target and the slot hold now. */
export async function released(ctx: RunContext, image: string, before: Images): Promise<RunResult> {
  const after = await ctx.images();
  return ctx.result(
    true,
    `Released ${image} to ${ctx.target} of ${ctx.inputs.appName} (it served ${before.target ?? 'no container'}); slot ${ctx.slot} now holds ${after.slot ?? 'no container'}.`,
    { image, ...(before.target ? { previousImage: before.target } : {}), before, after },
  );
}

/**
 * Swap the slot into the target. With preview, the target's slot settings are applied to the slot first
 * and the slot must be healthy with them; a failed wait or a refused swap resets the slot's own settings.
 */
async function swapIntoTarget(ctx: RunContext, image: string): Promise<void> {
  const { platform, deps } = ctx;
  const preview = ctx.inputs.swapMode === 'preview';
  if (preview) {
    await platform.applySlotConfig(ctx.slot, ctx.target);
    deps.log(`Applied ${ctx.target}'s slot settings to ${ctx.slot}; verifying before completing the swap.`);
    try {
      await waitSlotHealthy(ctx, image);
    } catch (error) {
      await platform.resetSlotConfig(ctx.slot);
      deps.log(`Swap with preview cancelled: ${ctx.slot}'s own settings restored (resetSlotConfig).`);
      throw error;
    }
  }
  try {
    await platform.swap(ctx.slot, ctx.target);
  } catch (error) {
    if (preview) {
      await platform
        .resetSlotConfig(ctx.slot)
        .then(() => deps.log(`Swap with preview cancelled: resetSlotConfig on ${ctx.slot}.`))
        .catch((e) => deps.warn(`resetSlotConfig failed: ${errorMessage(e)}`));
    }
    throw error;
  }
  const now = imageOf((await platform.config(ctx.target)).linuxFxVersion);
  if (now !== image)
    throw new CheckFailedError(
      `the swap reported success but ${ctx.target} runs ${now ?? 'no container'}, not ${image}`,
    );
  ctx.swapped = true;
}
