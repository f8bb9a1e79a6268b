import * as core from '@actions/core';

/**
 * State handed from an action's main step to its `post:` step (action.yml `post:` with
 * `post-if: always()`, the same bundle). The runner stores what main saves with `core.saveState` and
 * gives it to the post step as `STATE_<name>` variables; the post step also runs after main was killed,
 * so main saves what cleanup needs *before* it creates what must be cleaned up.
 */

const POST_MARKER = 'isPost';

/** Whether this run of the bundle is the post step: main saved the marker, so the runner set it. */
export function isPost(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env[`STATE_${POST_MARKER}`] === 'true';
}

/** Called first thing in main, so the post step that follows knows it is the post step. */
export function markMainStarted(): void {
  core.saveState(POST_MARKER, 'true');
}

/** Save a value for the post step (an empty string clears it: the last value saved wins). */
export function saveState(name: string, value: string): void {
  core.saveState(name, value);
}

/** A value main saved, in the post step; undefined when main saved none (or cleared it). */
export function readState(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const value = env[`STATE_${name}`];
  return value === undefined || value === '' ? undefined : value;
}
