import { asFailure, type Images, type RunContext, type RunResult, type SlotSnapshot } from '../context.js';
import { recover } from '../steps/recover.js';
import { deployPhase, requireImage, waitDeployedPhase } from './deploy.js';
import { released, swapPhases } from './swap.js';

/** `action: release`: deploy to the slot, then swap into the target, verify and record; recover on failure. */
export async function release(ctx: RunContext, before: Images): Promise<RunResult> {
  const image = requireImage(ctx, ctx.inputs.image);
  let snapshot: SlotSnapshot | undefined;
  try {
    snapshot = await deployPhase(ctx, image);
    await waitDeployedPhase(ctx, image, snapshot);
    await swapPhases(ctx, image, before);
  } catch (error) {
    return recover(ctx, asFailure(error), before, image, snapshot);
  }
  return released(ctx, image, before);
}
