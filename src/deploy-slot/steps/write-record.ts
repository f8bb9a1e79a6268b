import type { RunContext } from '../context.js';
import { type DeploymentRecord, readRecord, recordPatch } from '../record.js';
import { recordAfterRelease } from '../rollback.js';
import { removeRampRule } from './ramp-rule.js';

/** Write record fields through the Tags API: values merged, undefined fields deleted; other tags stay. */
export async function writeRecord(ctx: RunContext, record: DeploymentRecord): Promise<void> {
  const { merge, remove } = recordPatch(ctx.target, record);
  if (Object.keys(merge).length > 0) await ctx.platform.mergeTags(merge);
  if (Object.keys(remove).length > 0) await ctx.platform.deleteTags(remove);
}

/** Record a finished release (the pending entry becomes the released one) and drop the slot's ramp rule. */
export async function recordRelease(
  ctx: RunContext,
  targetBefore: string | undefined,
  image: string,
): Promise<void> {
  const tags = await ctx.platform.tags();
  await writeRecord(
    ctx,
    recordAfterRelease(readRecord(tags, ctx.target), targetBefore, image, new Date(ctx.deps.clock.now())),
  );
  await removeRampRule(ctx, 'the slot now holds the previous release');
}
