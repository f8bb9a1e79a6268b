import * as core from '@actions/core';
import { safeLogLine } from '../log-safe.js';

/**
 * Log lines for text that is not all ours (check names, URLs, server answers, tool output): one
 * physical line each, never readable by the runner as a workflow command (see log-safe.ts).
 */
export function logInfo(message: string): void {
  core.info(safeLogLine(message));
}

/** A warning annotation whose text cannot hide control or bidi characters. */
export function logWarning(message: string): void {
  core.warning(safeLogLine(message));
}

/** Run `fn` inside a collapsible log group; the group is closed even when `fn` throws. */
export async function withGroup<T>(name: string, fn: () => Promise<T>): Promise<T> {
  core.startGroup(safeLogLine(name));
  try {
    return await fn();
  } finally {
    core.endGroup();
  }
}
