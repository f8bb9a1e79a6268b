import { setTimeout as delay } from 'node:timers/promises';
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

/**
 * Settle as `work` does, or reject with the signal's reason as soon as it aborts, whether or not the
 * work underneath notices (MSAL takes no signal; undici ignores it during a TLS handshake). The
 * abandoned work's own rejection is swallowed.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Wait `ms`, or reject with the cancellation as soon as `signal` aborts: the timer every wait uses. */
export async function cancellableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    throwIfCancelled(signal);
    throw error;
  }
}
