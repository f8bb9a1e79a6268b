import type { Clock } from '../lib/backoff.js';
import { formatDuration } from '../lib/duration.js';
import { ActionError } from '../lib/errors.js';
import type { Platform } from './platform.js';
import { formatLease, LEASE_TAG, type Lease, parseLease } from './record.js';

export interface LeaseOptions {
  holder: string;
  nonce: string;
  /** How long the lease lasts: a run that dies without releasing it blocks others at most this long. */
  ttlMs: number;
  /** How long to wait for another run's lease. */
  waitMs: number;
  /**
   * ARM has no compare-and-swap on tags, so a run writes its lease, waits this long and reads it back: of
   * two runs that both saw the lease free, the later writer keeps it and the other sees it lost.
   */
  settleMs: number;
  pollMs: number;
  clock: Clock;
  log: (line: string) => void;
}

/** Whether `lease` blocks a run with `nonce` at `now`. */
export function blocks(lease: Lease | undefined, nonce: string, now: number): boolean {
  return lease !== undefined && lease.nonce !== nonce && lease.expiresAt > now;
}

async function currentTags(platform: Platform): Promise<Record<string, string>> {
  return { ...((await platform.site('production')).tags ?? {}) };
}

/** Take the app's lease, waiting up to `waitMs` for another holder; throws naming the holder on timeout. */
export async function acquireLease(
  platform: Platform,
  app: string,
  opts: LeaseOptions,
): Promise<{ lease: Lease; waitedMs: number }> {
  const started = opts.clock.now();
  const deadline = started + opts.waitMs;
  let announced: string | undefined;
  for (;;) {
    const tags = await currentTags(platform);
    const held = parseLease(tags[LEASE_TAG]);
    const now = opts.clock.now();
    if (!blocks(held, opts.nonce, now)) {
      if (held && held.nonce !== opts.nonce)
        opts.log(
          `The lease held by ${held.holder} expired at ${new Date(held.expiresAt).toISOString()}; taking it over.`,
        );
      const lease: Lease = { holder: opts.holder, nonce: opts.nonce, expiresAt: now + opts.ttlMs };
      await platform.updateTags({ ...tags, [LEASE_TAG]: formatLease(lease) });
      await opts.clock.sleep(opts.settleMs);
      const after = parseLease((await currentTags(platform))[LEASE_TAG]);
      if (after?.nonce === opts.nonce) return { lease, waitedMs: opts.clock.now() - started };
      opts.log(`Another run took the lease at the same moment (${after?.holder ?? 'unknown'}); waiting.`);
      continue;
    }
    if (!held) continue;
    if (now >= deadline) {
      throw new ActionError(
        `${app} is locked by another deployment: ${held.holder} holds the lease until ${new Date(held.expiresAt).toISOString()}. Waited ${formatDuration(opts.waitMs)} (lock-timeout); run again when it has finished, or raise lock-timeout.`,
      );
    }
    if (announced !== held.nonce) {
      opts.log(
        `Waiting for the lease on ${app}, held by ${held.holder} until ${new Date(held.expiresAt).toISOString()}.`,
      );
      announced = held.nonce;
    }
    await opts.clock.sleep(Math.max(1, Math.min(opts.pollMs, deadline - now)));
  }
}

/** Give the lease back if this run still holds it; another holder's lease is left alone. */
export async function releaseLease(platform: Platform, nonce: string): Promise<boolean> {
  const tags = await currentTags(platform);
  if (parseLease(tags[LEASE_TAG])?.nonce !== nonce) return false;
  delete tags[LEASE_TAG];
  await platform.updateTags(tags);
  return true;
}
