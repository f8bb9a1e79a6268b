import { ActionError } from '../../lib/errors.js';
import type { Images, RunContext, RunResult } from '../context.js';
import { refuseRecordImage } from '../image-policy.js';
import { readRecord } from '../record.js';
import { planRollback, recordAfterRollback } from '../rollback.js';
import { removeRampRule } from '../steps/ramp-rule.js';
import { waitSlotHealthy } from '../steps/slot-health.js';
import { writeRecord } from '../steps/write-record.js';

/**
 * `action: rollback`: go back one release, as the deployment record says, by swapping the previous
 * release back from the slot or redeploying it on the target. Refuses to guess when the target serves
 * an image the record does not name, and to restore an image from a registry not allowed.
 */
export async function rollback(ctx: RunContext, before: Images): Promise<RunResult> {
  const { inputs } = ctx;
  const record = readRecord(await ctx.platform.tags(), ctx.target);
  const plan = planRollback({ record, targetImage: before.target, slotImage: before.slot });
  if (plan.kind === 'no-record')
    throw new ActionError(
      `No deployment record on ${inputs.appName} for ${ctx.target}: slotline has not released to it, so there is no previous image to restore.`,
    );
  if (plan.kind === 'unknown-current')
    throw new ActionError(
      `${ctx.target} of ${inputs.appName} serves ${plan.targetImage ?? 'no container'}, which slotline's record does not name (${plan.known.join(', ')}): it was changed outside slotline, so rollback will not guess what came before. Nothing was changed; deploy the image you want with action: release.`,
    );
  if (plan.kind !== 'already') {
    const refused = refuseRecordImage(plan.image, {
      productionImage: before.target,
      allowedRegistries: inputs.allowedRegistries,
    });
    if (refused)
      throw new ActionError(
        `Refusing to roll back ${inputs.appName} to the image the deployment record names: ${refused}. Nothing was changed; ${ctx.target} serves ${before.target ?? 'no container'}.`,
      );
  }
  await ctx.phase(
    'rollback',
    async () => {
      if (plan.kind === 'swap-back') {
        await ctx.platform.swap(ctx.slot, ctx.target);
        await waitSlotHealthy(ctx, plan.image, ctx.target, ctx.urls.target!);
      } else if (plan.kind === 'redeploy') {
        await ctx.platform.updateConfig(ctx.target, { linuxFxVersion: `DOCKER|${plan.image}` });
        await waitSlotHealthy(ctx, plan.image, ctx.target, ctx.urls.target!);
      }
      if (plan.kind !== 'already') {
        await removeRampRule(ctx, 'rolled back');
        const current = readRecord(await ctx.platform.tags(), ctx.target);
        await writeRecord(
          ctx,
          recordAfterRollback(current, plan.image, before.target, new Date(ctx.deps.clock.now())),
        );
      }
    },
    () => plan.kind,
  );
  ctx.rolledBack = true;
  const after = await ctx.images();
  const how = {
    already: `${ctx.target} already serves ${plan.image}; nothing to do`,
    'swap-back': `swapped ${plan.image} back from slot ${ctx.slot}`,
    redeploy: `redeployed ${plan.image} on ${ctx.target} (the slot had been redeployed)`,
  }[plan.kind];
  return ctx.result(true, `Rolled back ${inputs.appName}: ${how}. ${ctx.target} serves ${after.target}.`, {
    ...(after.target ? { image: after.target } : {}),
    ...(before.target ? { previousImage: before.target } : {}),
    before,
    after,
  });
}
