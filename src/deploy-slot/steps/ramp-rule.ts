import type { RunContext } from '../context.js';

/**
 * Remove production's traffic routing rule for the slot, if there is one. A ramp rule left after a swap
 * (or a rollback) would send users to the old release now in the slot.
 */
export async function removeRampRule(ctx: RunContext, why: string): Promise<void> {
  if (ctx.target.toLowerCase() !== 'production') return;
  const config = await ctx.platform.config('production');
  const rules = config.experiments?.rampUpRules ?? [];
  const kept = rules.filter((r) => r.name.toLowerCase() !== ctx.slot.toLowerCase());
  if (kept.length === rules.length) return;
  await ctx.platform.updateConfig('production', { experiments: { rampUpRules: kept } });
  ctx.deps.log(`Removed the traffic routing rule for ${ctx.slot} (${why}).`);
}
