import { describe, expect, test } from '@jest/globals';
import type { DeploySlotInputs } from '../../src/deploy-slot/inputs.js';
import { acquireLease, releaseLease } from '../../src/deploy-slot/lease.js';
import type { Platform } from '../../src/deploy-slot/platform.js';
import { LEASE_TAG, parseLease } from '../../src/deploy-slot/record.js';
import { runDeploySlot } from '../../src/deploy-slot/run.js';
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
});
