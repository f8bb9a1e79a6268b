import type { RampUpRule } from '../../lib/azure/web.js';
import { ActionError, CheckFailedError } from '../../lib/errors.js';
import type { Images, RunContext, RunResult } from '../context.js';
import { waitSlotHealthy } from '../steps/slot-health.js';

/**
 * `action: ramp`: route `percentage` of production's traffic to the slot (0 removes the rule). A slot
 * that is to get traffic must be healthy first; the rule is read back to check it took.
 */
export async function ramp(ctx: RunContext, before: Images): Promise<RunResult> {
  const percentage = ctx.inputs.percentage ?? 0;
  if (ctx.target.toLowerCase() !== 'production')
    throw new ActionError(
      'Traffic routing applies to production only: leave target-slot at production for ramp.',
    );
  const slotImage = before.slot;
  if (percentage > 0 && slotImage) {
    await ctx.phase(
      'wait healthy',
      () => waitSlotHealthy(ctx, slotImage),
      (n) => n,
    );
  }
  await ctx.phase(
    'ramp',
    async () => {
      const slotSite = await ctx.platform.site(ctx.slot);
      const config = await ctx.platform.config('production');
      const rules = (config.experiments?.rampUpRules ?? []).filter(
        (r) => r.name.toLowerCase() !== ctx.slot.toLowerCase(),
      );
      const rule: RampUpRule = {
        name: ctx.slot,
        actionHostName: slotSite.properties.defaultHostName!,
        reroutePercentage: percentage,
      };
      const next = percentage > 0 ? [...rules, rule] : rules;
      await ctx.platform.updateConfig('production', { experiments: { rampUpRules: next } });
      const shown = (await ctx.platform.config('production')).experiments?.rampUpRules ?? [];
      const mine = shown.find((r) => r.name.toLowerCase() === ctx.slot.toLowerCase());
      if ((mine?.reroutePercentage ?? 0) !== percentage)
        throw new CheckFailedError(
          `production routes ${mine?.reroutePercentage ?? 0}% to ${ctx.slot} after the update, not ${percentage}%`,
        );
    },
    () => `${percentage}% of production traffic → ${ctx.slot}`,
  );
  return ctx.result(
    true,
    percentage > 0
      ? `${percentage}% of ${ctx.inputs.appName}'s production traffic now goes to slot ${ctx.slot} (${before.slot ?? 'no container'}).`
      : `All of ${ctx.inputs.appName}'s production traffic goes to production (${before.target ?? 'no container'}); the rule for ${ctx.slot} is removed.`,
    {
      ...(before.slot ? { image: before.slot } : {}),
      ...(before.target ? { previousImage: before.target } : {}),
      before,
      after: before,
    },
  );
}
