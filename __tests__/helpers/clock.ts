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
