/**
 * Waiting on a condition instead of a fixed sleep: a test waits as long as the condition needs, and no
 * longer, and a condition that never comes true fails with what was awaited.
 */
export interface WaitOptions {
  /** How long to wait before failing. */
  timeoutMs: number;
  /** Pause between checks. */
  intervalMs?: number;
  /** What is awaited, for the failure message. */
  what?: string;
}

/** Resolve once `predicate` returns true (or resolves to true); reject after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 50, what = 'the condition' }: WaitOptions,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (performance.now() >= deadline) throw new Error(`waited ${timeoutMs} ms for ${what}; it never came`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolve with the first value `probe` returns that is not undefined; reject after `timeoutMs`. */
export async function waitForValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  let value: T | undefined;
  await waitFor(async () => {
    value = await probe();
    return value !== undefined;
  }, options);
  return value as T;
}
