/** Exponential backoff with jitter, as pure functions of the attempt number and a random source. */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0 = none; 1 = "full jitter" (uniform in [0, delay]); 0.5 = equal jitter. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 10_000, factor: 2, jitter: 0.5 };

/** Delay before retry number `attempt` (1 = the first retry). `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  const jitterSpan = exponential * policy.jitter;
  return Math.round(exponential - jitterSpan + random() * jitterSpan);
}

/** The delays a full retry schedule would use before `deadlineMs` runs out; the total never exceeds it. */
export function backoffSchedule(
  deadlineMs: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number[] {
  const delays: number[] = [];
  let spent = 0;
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const delay = backoffDelay(attempt, policy, random);
    if (spent + delay > deadlineMs) break;
    delays.push(delay);
    spent += delay;
  }
  return delays;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryOutcome<T> {
  value: T;
  attempts: number;
}

/**
 * Call `attempt` until `isDone(value)` or the deadline passes; waits follow the backoff policy but never
 * overshoot the deadline. Returns the last value either way: the caller decides what "not done" means.
 */
export async function retryUntil<T>(
  attempt: (attemptNumber: number, remainingMs: number) => Promise<T>,
  isDone: (value: T) => boolean,
  opts: { timeoutMs: number; policy?: BackoffPolicy; clock?: Clock; random?: () => number },
): Promise<RetryOutcome<T>> {
  const clock = opts.clock ?? systemClock;
  const policy = opts.policy ?? DEFAULT_BACKOFF;
  const deadline = clock.now() + opts.timeoutMs;
  for (let n = 1; ; n++) {
    const value = await attempt(n, Math.max(0, deadline - clock.now()));
    if (isDone(value)) return { value, attempts: n };
    const remaining = deadline - clock.now();
    if (remaining <= 0) return { value, attempts: n };
    await clock.sleep(Math.min(remaining, backoffDelay(n, policy, opts.random)));
  }
}
