import { formatDuration } from '../lib/duration.js';
import { ActionError } from '../lib/errors.js';
import type { Platform } from './platform.js';
import { formatLease, LEASE_TAG, type Lease, parseLease } from './record.js';

/**
 * The app's lease: one `slotline-lease` tag on the site, written and removed through ARM's Tags API
 * (Merge and Delete), so other tools' tags are never touched. ARM tags have no compare-and-swap, so a run
 * writes its lease, waits `settleMs` and reads it back: of two runs that both saw the lease free, the
 * later writer keeps it and the other sees it lost.
 */

/** A lease lasts this long unless renewed: a run killed without releasing it blocks others at most this long. */
export const LEASE_TTL_MS = 10 * 60_000;
/** A run renews its lease this often while it holds it. */
export const LEASE_RENEW_MS = 3 * 60_000;
/** How far runners' clocks may disagree before a lease's expiry reads as forged. */
const LEASE_CLOCK_SKEW_MS = 5 * 60_000;

export interface LeaseOptions {
  holder: string;
  nonce: string;
  ttlMs: number;
  /** How long to wait for the lease (lock-timeout); every path, a write that never sticks included, ends there. */
  waitMs: number;
  settleMs: number;
  pollMs: number;
  clock: { now(): number };
  /** Pauses; rejects when the run is cancelled. */
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
}

export interface HeldLease {
  lease: Lease;
  /** The tag value as written: releasing deletes the tag only while it still has this value. */
  value: string;
  waitedMs: number;
}

/** Whether `lease` blocks a run with `nonce` at `now`. */
export function blocks(lease: Lease | undefined, nonce: string, now: number): boolean {
  // No real holder writes an expiry further ahead than one lifetime (plus clock skew): a lease that does
  // is forged by a tag writer to lock everyone out, and blocks nothing.
  const forged = lease !== undefined && lease.expiresAt > now + LEASE_TTL_MS + LEASE_CLOCK_SKEW_MS;
  return lease !== undefined && !forged && lease.nonce !== nonce && lease.expiresAt > now;
}

/** Take the app's lease, waiting up to `waitMs`; throws naming the holder (or the lost writes) at the deadline. */
export async function acquireLease(platform: Platform, app: string, opts: LeaseOptions): Promise<HeldLease> {
  const started = opts.clock.now();
  const deadline = started + opts.waitMs;
  const waited = formatDuration(opts.waitMs);
  let announced: string | undefined;
  let writes = 0;
  const lostWrites = () =>
    new ActionError(
      `Could not take the lease on ${app}: ${writes} write(s) of the ${LEASE_TAG} tag answered success but did not stick in ${waited} (lock-timeout). Check the Tags API on the site (permissions, policies that remove tags).`,
    );
  for (;;) {
    const held = parseLease((await platform.tags())[LEASE_TAG]);
    const now = opts.clock.now();
    if (!blocks(held, opts.nonce, now)) {
      if (writes > 0 && now >= deadline) throw lostWrites();
      if (held && held.nonce !== opts.nonce)
        opts.log(
          `The lease held by ${held.holder} expired at ${new Date(held.expiresAt).toISOString()}; taking it over.`,
        );
      const lease: Lease = { holder: opts.holder, nonce: opts.nonce, expiresAt: now + opts.ttlMs };
      const value = formatLease(lease);
      await platform.mergeTags({ [LEASE_TAG]: value });
      writes++;
      await opts.sleep(opts.settleMs);
      const after = parseLease((await platform.tags())[LEASE_TAG]);
      if (after?.nonce === opts.nonce) return { lease, value, waitedMs: opts.clock.now() - started };
      if (opts.clock.now() >= deadline)
        throw after
          ? new ActionError(
              `${app} is locked by another deployment: ${after.holder} took the lease as this run wrote it. Waited ${waited} (lock-timeout); run again when it has finished, or raise lock-timeout.`,
            )
          : lostWrites();
      opts.log(
        after
          ? `Another run took the lease at the same moment (${after.holder}); waiting.`
          : `The ${LEASE_TAG} tag did not stick; trying again.`,
      );
      // Writes that are lost back off (doubling up to 30 s): a platform that drops them gets few more.
      const pause = after ? opts.pollMs : Math.min(opts.pollMs * 2 ** (writes - 1), 30_000);
      await opts.sleep(Math.max(1, Math.min(pause, deadline - opts.clock.now())));
      continue;
    }
    if (!held) continue;
    if (now >= deadline) {
      throw new ActionError(
        `${app} is locked by another deployment: ${held.holder} holds the lease until ${new Date(held.expiresAt).toISOString()}. Waited ${waited} (lock-timeout); run again when it has finished, or raise lock-timeout.`,
      );
    }
    if (announced !== held.nonce) {
      opts.log(
        `Waiting for the lease on ${app}, held by ${held.holder} until ${new Date(held.expiresAt).toISOString()}.`,
      );
      announced = held.nonce;
    }
    await opts.sleep(Math.max(1, Math.min(opts.pollMs, deadline - now)));
  }
}

/**
 * Extend the lease to `now + ttlMs` while this run still holds it. Returns the new tag value, or
 * undefined when the lease is no longer ours (it expired and another run took it).
 */
/** What a renewal found: the lease extended (its new tag value), or another run's lease, or none at all. */
export type RenewOutcome =
  | { kind: 'renewed'; value: string; expiresAt: number }
  | { kind: 'lost'; holder?: string };

export async function renewLease(
  platform: Platform,
  held: HeldLease,
  now: number,
  ttlMs: number,
): Promise<RenewOutcome> {
  const current = parseLease((await platform.tags())[LEASE_TAG]);
  if (current?.nonce !== held.lease.nonce)
    return { kind: 'lost', ...(current ? { holder: current.holder } : {}) };
  const expiresAt = now + ttlMs;
  const value = formatLease({ ...held.lease, expiresAt });
  await platform.mergeTags({ [LEASE_TAG]: value });
  return { kind: 'renewed', value, expiresAt };
}

/**
 * The run no longer holds the app's lease: another run took it (this run's had expired) or it was removed,
 * or it expired because renewals kept failing. From then on the app is not this run's to change.
 */
export class LeaseLostError extends ActionError {}

/** What releasing found: this run's lease removed, another run's left alone, or none at all. */
export type ReleaseOutcome =
  | { kind: 'released' }
  | { kind: 'not-ours'; holder: string; expiresAt: number }
  | { kind: 'none' };

/**
 * Give the lease back if this run (`nonce`) still holds it. The delete names the tag's current value, so a
 * lease another run wrote in the meantime stays; another holder's lease is never touched.
 */
export async function releaseLease(platform: Platform, nonce: string): Promise<ReleaseOutcome> {
  const value = (await platform.tags())[LEASE_TAG];
  const lease = parseLease(value);
  if (!lease || value === undefined) return { kind: 'none' };
  if (lease.nonce !== nonce) return { kind: 'not-ours', holder: lease.holder, expiresAt: lease.expiresAt };
  await platform.deleteTags({ [LEASE_TAG]: value });
  return { kind: 'released' };
}
