import { CancelledError } from '../cancellation.js';

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
