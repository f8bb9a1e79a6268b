import { describe, expect, test } from '@jest/globals';
import type { DeploySlotInputs } from '../../src/deploy-slot/inputs.js';
import { acquireLease, releaseLease } from '../../src/deploy-slot/lease.js';
import type { Platform } from '../../src/deploy-slot/platform.js';
import { LEASE_TAG, parseLease } from '../../src/deploy-slot/record.js';
import { runDeploySlot } from '../../src/deploy-slot/run.js';
import { cancellableSleep } from '../../src/lib/cancellation.js';
import { fakeClock } from '../helpers/clock.js';

/** An in-memory App Service with one slot, whose tag writes go through Merge/Delete like the Tags API. */
function memoryPlatform(opts: { tagWritesStick?: boolean } = {}) {
  const tags: Record<string, string> = {};
  const writes: Record<string, string>[] = [];
  const configs: Record<string, { linuxFxVersion?: string; healthCheckPath?: string | null }> = {
    production: { linuxFxVersion: 'DOCKER|ghcr.io/o/web:1' },
    staging: { linuxFxVersion: 'DOCKER|ghcr.io/o/web:1' },
  };
  const platform: Platform = {
    site: async (slot) => ({
      id: slot,
      name: slot,
      properties: { defaultHostName: `${slot}.example` },
    }),
    config: async (slot) => ({ ...configs[slot] }),
    updateConfig: async (slot, config) => {
      configs[slot] = { ...configs[slot], ...(config as object) };
    },
    appSettings: async () => ({}),
    updateAppSettings: async () => {},
    stickyNames: async () => [],
    updateStickyNames: async () => {},
    tags: async () => ({ ...tags }),
    mergeTags: async (given) => {
      writes.push({ ...given });
      if (opts.tagWritesStick !== false) Object.assign(tags, given);
    },
    deleteTags: async (given) => {
      for (const [k, v] of Object.entries(given)) if (v === '' || tags[k] === v) delete tags[k];
    },
    instances: async () => [{ name: 'w1', state: 'READY' }],
    swap: async () => {},
    applySlotConfig: async () => {},
    resetSlotConfig: async () => {},
  };
  return { platform, tags, writes };
}

/** A deploy to the staging slot whose health check answers as `probe` says. */
const inputs = {
  action: 'deploy',
  appName: 'web',
  slot: 'staging',
  targetSlot: 'production',
  image: 'ghcr.io/o/web:2',
  swapMode: 'direct',
  appSettings: {},
  stickySettings: [],
  healthStatuses: (s: number) => s === 200,
  healthStatusesText: '200',
  healthTimeoutMs: 3_000,
  lockTimeoutMs: 5_000,
  rollbackOnFailure: true,
  allowedRegistries: [],
} as unknown as DeploySlotInputs;

describe('the lease', () => {
  test('a write that never sticks ends at lock-timeout, with writes backing off (45 were seen in 45 s before)', async () => {
    const { platform, writes } = memoryPlatform({ tagWritesStick: false });
    const clock = fakeClock(1_000_000);
    const started = clock.now();
    await expect(
      acquireLease(platform, 'web', {
        holder: 'run 1',
        nonce: 'n1',
        ttlMs: 600_000,
        waitMs: 45_000,
        settleMs: 1_000,
        pollMs: 3_000,
        clock,
        sleep: (ms) => clock.sleep(ms),
        log: () => {},
      }),
    ).rejects.toThrow(/4 write\(s\) of the slotline-lease tag answered success but did not stick in 45s/);
    expect(writes.length).toBeLessThanOrEqual(5);
    expect(clock.now() - started).toBeGreaterThanOrEqual(45_000);
    expect(clock.now() - started).toBeLessThanOrEqual(46_000);
  });

  test("release removes only this run's lease; other tags stay", async () => {
    const { platform, tags } = memoryPlatform();
    tags['team'] = 'web';
    tags[LEASE_TAG] = 'other|2099-01-01T00:00:00.000Z|run 2';
    expect(await releaseLease(platform, 'n1')).toMatchObject({ kind: 'not-ours', holder: 'run 2' });
    expect(tags[LEASE_TAG]).toBe('other|2099-01-01T00:00:00.000Z|run 2');
    tags[LEASE_TAG] = 'n1|2099-01-01T00:00:00.000Z|run 1';
    expect(await releaseLease(platform, 'n1')).toEqual({ kind: 'released' });
    expect(tags).toEqual({ team: 'web' });
  });

  test('a run that outlasts the lease lifetime renews it, so it never expires while held', async () => {
    const { platform, tags, writes } = memoryPlatform();
    const ttlMs = 300;
    const started = Date.now();
    let expiredWhileHeld = false;
    const result = await runDeploySlot(inputs, {
      platformFor: () => platform,
      // Unhealthy for 1.2 s (four lease lifetimes), then healthy.
      probe: async () => {
        const lease = parseLease(tags[LEASE_TAG]);
        if (!lease || lease.expiresAt <= Date.now()) expiredWhileHeld = true;
        return { status: Date.now() - started < 1_200 ? 503 : 200 };
      },
      clock: {
        now: () => Date.now(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      log: () => {},
      warn: () => {},
      holder: 'run 1',
      nonce: 'n1',
      leaseSettleMs: 10,
      leaseTtlMs: ttlMs,
      leaseRenewMs: 100,
      probeIntervalMs: 50,
    });
    expect(result.succeeded).toBe(true);
    expect(expiredWhileHeld).toBe(false);
    const leaseWrites = writes.filter((w) => LEASE_TAG in w).length;
    expect(leaseWrites).toBeGreaterThanOrEqual(5);
    expect(tags[LEASE_TAG]).toBeUndefined();
  });

  /** A deploy whose slot stays unhealthy, so the run is still waiting when its lease goes (real timers). */
  async function runUntilStopped(platform: Platform, opts: { warn?: (m: string) => void } = {}) {
    const result = await runDeploySlot(inputs, {
      platformFor: () => platform,
      probe: async () => ({ status: 503 }),
      clock: { now: () => Date.now(), sleep: (ms, signal) => cancellableSleep(ms, signal) },
      log: () => {},
      warn: opts.warn ?? (() => {}),
      holder: 'run 1',
      nonce: 'n1',
      leaseSettleMs: 10,
      leaseTtlMs: 1_200,
      leaseRenewMs: 300,
      probeIntervalMs: 20,
    });
    return { result };
  }

  test('a run whose lease another run took stops at once and changes nothing more, not even a rollback', async () => {
    const { platform, tags } = memoryPlatform();
    const updates: string[] = [];
    const update = platform.updateConfig;
    platform.updateConfig = async (slot, config) => {
      updates.push(`${slot} ${JSON.stringify(config)}`);
      return update(slot, config);
    };
    // Another run takes the lease 150 ms in, while this one waits for its slot to be healthy.
    const thief = setTimeout(() => {
      tags[LEASE_TAG] = `n2|${new Date(Date.now() + 600_000).toISOString()}|run 2`;
    }, 150);
    const started = Date.now();
    const { result } = await runUntilStopped(platform);
    clearTimeout(thief);
    expect(result.succeeded).toBe(false);
    expect(result.message).toMatch(
      /^deploy stopped in wait healthy: its lease on web was taken by run 2 \(this run's had expired\)\. It made no further change and rolled nothing back: production serves ghcr\.io\/o\/web:1, slot staging holds ghcr\.io\/o\/web:2\.$/,
    );
    expect(result.rolledBack).toBe(false);
    // The deploy's own write, and no restore of the slot afterwards; the other run's lease stays.
    expect(updates).toEqual(['staging {"linuxFxVersion":"DOCKER|ghcr.io/o/web:2"}']);
    expect(tags[LEASE_TAG]).toMatch(/^n2\|/);
    // Stopped at the next renewal (every 300 ms), long before the 3 s health timeout.
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  test('a run that cannot renew its lease stops before the lease would expire', async () => {
    const { platform, tags } = memoryPlatform();
    const merge = platform.mergeTags;
    let failing = false;
    platform.mergeTags = async (given) => {
      if (failing && LEASE_TAG in given) throw new Error('ARM unreachable: connect ETIMEDOUT');
      return merge(given);
    };
    const warnings: { at: number; message: string }[] = [];
    // Renewals fail from 100 ms on, before the first one (at 300 ms): the lease lasts 1.2 s from its taking.
    const cut = setTimeout(() => {
      failing = true;
    }, 100);
    const { result } = await runUntilStopped(platform, {
      warn: (message) => warnings.push({ at: Date.now(), message }),
    });
    clearTimeout(cut);
    expect(result.succeeded).toBe(false);
    expect(result.message).toMatch(
      /^deploy stopped in wait healthy: its lease on web could not be renewed before it expires at \S+Z \(ARM unreachable: connect ETIMEDOUT\)\. It made no further change/,
    );
    // It stopped while its lease still held: no other run could have been acting meanwhile.
    const expiresAt = Date.parse(/expires at (\S+Z)/.exec(result.message)![1]!);
    const stopped = warnings.find((w) => w.message.startsWith('Stopping: '))!;
    expect(stopped.at).toBeLessThan(expiresAt);
    expect(warnings.some((w) => /Could not renew the lease \(retrying\)/.test(w.message))).toBe(true);
    // Its own lease is still given back at the end (only the Merge writes failed).
    expect(tags[LEASE_TAG]).toBeUndefined();
  });
});
