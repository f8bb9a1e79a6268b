import * as core from '@actions/core';

/** Base class for every error slotline raises on purpose; anything else is a bug. */
export class ActionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The user configured the action wrongly: a missing or malformed input. */
export class InputError extends ActionError {}

/** The action ran correctly and the answer is red: a failed smoke test, a breached gate, a finding. */
export class CheckFailedError extends ActionError {}

/** A wait ran out of time before the awaited state was reached. */
export class TimeoutError extends ActionError {}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/**
 * Report a failure as one line on the log (and an error annotation) and set exit code 1.
 * The stack only goes to the debug log: users need the message, maintainers the trace.
 */
export function failAction(actionName: string, error: unknown): void {
  const message = errorMessage(error).split('\n')[0]?.trim() || 'unknown error';
  if (error instanceof Error && error.stack) core.debug(error.stack);
  const kind = error instanceof ActionError ? '' : 'unexpected error: ';
  core.setFailed(`${actionName}: ${kind}${message}`);
}
