import { ActionError } from './errors.js';

/**
 * Cancellation of a run by the runner. A cancelled job (or one past `timeout-minutes`) gets SIGINT,
 * then SIGTERM about 7.5 s later, then SIGKILL 2.5 s after that. Listening for the signals keeps the
 * process alive, so an action can abort what is in flight and clean up inside that grace period.
 */
export interface Cancellation {
  /** Aborted on the first SIGINT or SIGTERM; `signal.reason` is a CancelledError naming it. */
  readonly signal: AbortSignal;
  /** Stop listening (the default behaviour, exit on the signal, comes back). */
  dispose(): void;
}

/** The grace period the runner leaves between its first signal and SIGKILL (7.5 s + 2.5 s), minus slack. */
export const CANCEL_GRACE_MS = 9_000;

/** A cancelled run is an expected end, reported as such (an ActionError), never as "unexpected error". */
export class CancelledError extends ActionError {
  constructor(readonly signalName: string) {
    super(`cancelled by ${signalName}`);
  }
}

export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export function cancelOnSignals(
  source: SignalSource = process,
  onSignal: (signal: NodeJS.Signals, first: boolean) => void = () => {},
): Cancellation {
  const controller = new AbortController();
  const listener = (signal: NodeJS.Signals): void => {
    const first = !controller.signal.aborted;
    if (first) controller.abort(new CancelledError(signal));
    onSignal(signal, first);
  };
  source.on('SIGINT', listener);
  source.on('SIGTERM', listener);
  return {
    signal: controller.signal,
    dispose: () => {
      source.off('SIGINT', listener);
      source.off('SIGTERM', listener);
    },
  };
}

/** Throw the signal's reason when it is aborted: a check to put between steps that must not start late. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CancelledError('abort');
}
