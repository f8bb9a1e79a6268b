import * as core from '@actions/core';

/** Run `fn` inside a collapsible log group; the group is closed even when `fn` throws. */
export async function withGroup<T>(name: string, fn: () => Promise<T>): Promise<T> {
  core.startGroup(name);
  try {
    return await fn();
  } finally {
    core.endGroup();
  }
}
