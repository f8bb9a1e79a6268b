import * as core from '@actions/core';
import { errorMessage, isExplainedError } from '../errors.js';
import { escapeControlCharacters } from '../log-safe.js';

/**
 * Failure lines longer than this are cut: an annotation is a headline (200 failed smoke checks or a
 * tool's whole stderr make a line nobody reads), and the debug log has the rest.
 */
export const MAX_FAILURE_LINE = 2000;

/**
 * Report a failure as one line on the log (and an error annotation) and set exit code 1.
 * The stack only goes to the debug log: users need the message, maintainers the trace.
 * Errors we can explain (our own, and system errors such as a refused connection or a missing
 * program) read as they are; anything else is marked as unexpected, because it is a bug.
 */
export function failAction(actionName: string, error: unknown): void {
  // An error annotation is a command of its own, so only control characters need escaping here.
  let message = escapeControlCharacters(errorMessage(error).split('\n')[0]?.trim() || 'unknown error');
  if (message.length > MAX_FAILURE_LINE) message = `${message.slice(0, MAX_FAILURE_LINE - 3)}...`;
  // The stack repeats the message, which may hold a user's value: escaped line by line like the rest.
  if (error instanceof Error && error.stack)
    core.debug(error.stack.split('\n').map(escapeControlCharacters).join('\n'));
  core.setFailed(`${actionName}: ${isExplainedError(error) ? '' : 'unexpected error: '}${message}`);
}
