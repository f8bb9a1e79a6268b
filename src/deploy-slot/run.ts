import { type Images, RunContext, type RunResult } from './context.js';
import type { RunDeps } from './deps.js';
import type { DeployAction, DeploySlotInputs } from './inputs.js';
import { deploy } from './modes/deploy.js';
import { ramp } from './modes/ramp.js';
import { release } from './modes/release.js';
import { rollback } from './modes/rollback.js';
import { swap } from './modes/swap.js';
import { leaseRun } from './steps/lease-run.js';

const MODES: Record<DeployAction, (ctx: RunContext, before: Images) => Promise<RunResult>> = {
  deploy,
  swap,
  ramp,
  rollback,
  release,
};

/**
 * The core of deploy-slot, for every `action`: lock → the mode's phases → (recovery) → unlock, recorded
 * for the summary. Throws only for a refusal before anything changed; a failed or cancelled release
 * returns a result that says what the target serves now.
 */
export function runDeploySlot(inputs: DeploySlotInputs, deps: RunDeps): Promise<RunResult> {
  const ctx = new RunContext(inputs, deps);
  return leaseRun(ctx, async () => {
    const before = await ctx.images();
    const slotConfig = await ctx.platform.config(ctx.slot);
    ctx.healthPath = inputs.healthPath ?? slotConfig.healthCheckPath ?? '/';
    return MODES[inputs.action](ctx, before);
  });
}
