import type { DeploymentRecord } from './record.js';

/**
 * The rollback rules, as pure functions of what the action observed (never of what it assumes a failed
 * call did): every plan is computed from images read back from ARM just before acting.
 */

export type RollbackPlan =
  /** No record of a previous image: there is nothing known to go back to. */
  | { kind: 'no-record' }
  /**
   * The target serves an image the record does not know (changed outside slotline): going back to the
   * recorded previous image could skip releases, so rollback refuses to guess.
   */
  | { kind: 'unknown-current'; targetImage: string | undefined; known: string[] }
  /** The target already serves the previous image (an earlier rollback): do nothing. Safe to run twice. */
  | { kind: 'already'; image: string }
  /** The previous release still sits in the slot: swap it back (zero downtime, warm instances). */
  | { kind: 'swap-back'; image: string }
  /** The slot was redeployed since: put the recorded previous image on the target directly. */
  | { kind: 'redeploy'; image: string };

/**
 * Go back exactly one release from what the target serves now. The record says which image each
 * release replaced: the completed one (`releasedImage` replaced `previousImage`) and, when a release was
 * interrupted after its swap or left unverified, the pending one (`pendingImage` replaced
 * `pendingPreviousImage`). What the target serves picks the entry; an image neither names means someone
 * changed production outside slotline, and the plan says so instead of guessing.
 */
export function planRollback(observed: {
  record: DeploymentRecord;
  targetImage: string | undefined;
  slotImage: string | undefined;
}): RollbackPlan {
  const { record, targetImage, slotImage } = observed;
  if (!record.releasedImage && !record.pendingImage && !record.previousImage) return { kind: 'no-record' };
  let previous: string | undefined;
  if (record.pendingImage && targetImage === record.pendingImage) previous = record.pendingPreviousImage;
  else if (record.releasedImage && targetImage === record.releasedImage) previous = record.previousImage;
  else if (
    targetImage !== undefined &&
    (targetImage === record.previousImage || targetImage === record.pendingPreviousImage)
  )
    // Already back on the release before the last one (a rollback ran), or a pending release never
    // went live: nothing to undo.
    return { kind: 'already', image: targetImage };
  else {
    const known = [record.pendingImage, record.releasedImage, record.previousImage].filter((i): i is string =>
      Boolean(i),
    );
    return { kind: 'unknown-current', targetImage, known: [...new Set(known)] };
  }
  if (!previous) return { kind: 'no-record' };
  if (targetImage === previous) return { kind: 'already', image: previous };
  if (slotImage === previous) return { kind: 'swap-back', image: previous };
  return { kind: 'redeploy', image: previous };
}

export type RecoveryPlan =
  /** The target still serves what it served before the run: only the slot changed; restore its config. */
  | { kind: 'restore-slot' }
  /** The swap happened and the old release sits in the slot: swap back. */
  | { kind: 'swap-back'; image: string }
  /** The target serves something else and the old release is not in the slot: redeploy it on the target. */
  | { kind: 'redeploy'; image: string };

/** What a failed release/swap must do so the target ends on the image it served before the run. */
export function planRecovery(observed: {
  targetBefore: string | undefined;
  targetNow: string | undefined;
  slotNow: string | undefined;
}): RecoveryPlan {
  if (observed.targetNow === observed.targetBefore) return { kind: 'restore-slot' };
  if (observed.targetBefore === undefined)
    // The target ran no container before: nothing to redeploy; put the slot back as it was.
    return { kind: 'restore-slot' };
  if (observed.slotNow === observed.targetBefore) return { kind: 'swap-back', image: observed.targetBefore };
  return { kind: 'redeploy', image: observed.targetBefore };
}

/** The record after a successful swap of `released` into a target that served `before`. */
export function recordAfterRelease(
  record: DeploymentRecord,
  before: string | undefined,
  released: string,
  now: Date,
): DeploymentRecord {
  // Re-releasing what the target already serves must not make "previous" equal "current": rollback would
  // then have nowhere to go. Keep the older previous image in that case.
  const previous = before && before !== released ? before : record.previousImage;
  return {
    releasedImage: released,
    previousImage: previous,
    releasedAt: now.toISOString(),
    pendingImage: undefined,
    pendingPreviousImage: undefined,
  };
}

/** The record after a rollback that left the target on `restored`, taking `removed` out. */
export function recordAfterRollback(
  record: DeploymentRecord,
  restored: string,
  removed: string | undefined,
  now: Date,
): DeploymentRecord {
  return {
    ...record,
    releasedImage: restored,
    previousImage: restored,
    ...(removed && removed !== restored ? { rolledBackFrom: removed } : {}),
    releasedAt: now.toISOString(),
    pendingImage: undefined,
    pendingPreviousImage: undefined,
  };
}
