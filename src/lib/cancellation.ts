import { ActionError } from './errors.js';

/**
 * What cancellation means to pure code: the error a cancelled run ends with, and the check between steps.
 * The signal wiring (SIGINT/SIGTERM from the runner) is runner-facing: src/lib/runner/cancellation.ts.
 */

/** The grace period the runner leaves between its first signal and SIGKILL (7.5 s + 2.5 s), minus slack. */
export const CANCEL_GRACE_MS = 9_000;

/** A cancelled run is an expected end, reported as such (an ActionError), never as "unexpected error". */
export class CancelledError extends ActionError {
  constructor(readonly signalName: string) {
    super(`cancelled by ${signalName}`);
  }
}

/** Throw the signal's reason when it is aborted: a check to put between steps that must not start late. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CancelledError('abort');
}
