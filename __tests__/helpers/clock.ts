import type { Clock } from '../../src/lib/backoff.js';

/** A clock whose sleeps advance time instantly, recording each wait. */
export function fakeClock(start = 0): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/**
 * A clock for code with concurrent waits (a deploy-slot run renews its lease while it waits on health):
 * time stands still while anything can still run, and moves to the earliest pending sleep only once
 * everything else is waiting. fakeClock's instant sleeps would let a background loop race time ahead.
 * A sleep given an aborted or aborting signal rejects with its reason, like timers/promises.
 */
export function virtualClock(start = 0): {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  slept: number[];
} {
  let now = start;
  let seq = 0;
  let scheduled = false;
  const slept: number[] = [];
  const timers: { due: number; seq: number; fire: () => void }[] = [];
  const advance = () => {
    scheduled = false;
    timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
    const next = timers.shift();
    if (!next) return;
    now = Math.max(now, next.due);
    next.fire();
    schedule();
  };
  // setImmediate runs after every pending promise callback: all that can run has run.
  const schedule = () => {
    if (scheduled || timers.length === 0) return;
    scheduled = true;
    setImmediate(advance);
  };
  return {
    slept,
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        slept.push(ms);
        const onAbort = () => {
          const at = timers.indexOf(timer);
          if (at >= 0) timers.splice(at, 1);
          reject(signal?.reason);
        };
        const timer = {
          due: now + Math.max(0, ms),
          seq: seq++,
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        schedule();
      }),
  };
}
