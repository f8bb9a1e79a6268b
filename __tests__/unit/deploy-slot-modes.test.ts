import { EventEmitter } from 'node:events';
import { describe, expect, test } from '@jest/globals';
import type { RunResult } from '../../src/deploy-slot/context.js';
import type { ActionDeps, RunDeps } from '../../src/deploy-slot/deps.js';
import type { DeploySlotInputs } from '../../src/deploy-slot/inputs.js';
import { run as deploySlot } from '../../src/deploy-slot/main.js';
import { LEASE_TAG, readRecord } from '../../src/deploy-slot/record.js';
import { runDeploySlot } from '../../src/deploy-slot/run.js';
import { ArmError } from '../../src/lib/azure/errors.js';
import type { AzureInputs } from '../../src/lib/azure/inputs.js';
import { CancelledError } from '../../src/lib/cancellation.js';
import { parseStatusList } from '../../src/lib/http-status.js';
import { virtualClock } from '../helpers/clock.js';
import {
  conflict,
  type MemoryPlatform as Memory,
  MemoryPlatform,
  V1,
  V2,
} from '../helpers/memory-platform.js';
import { runInProcess } from '../helpers/runner.js';

// deploy-slot's modes and recovery, in process: an in-memory App Service (helpers/memory-platform.ts) and
// a virtual clock, so waits of minutes take milliseconds. The bundle against the sandbox is tested in
// integration/deploy-slot-{sandbox,hardening}.test.ts.

const START = Date.UTC(2026, 0, 1);
const HEALTH_TIMEOUT_MS = 60_000;

function inputs(overrides: Partial<DeploySlotInputs> = {}): DeploySlotInputs {
  return {
    azure: {} as AzureInputs,
    action: 'release',
    resourceGroup: 'rg',
    appName: 'web',
    slot: 'staging',
    targetSlot: 'production',
    swapMode: 'direct',
    image: V2,
    appSettings: {},
    stickySettings: [],
    healthStatuses: parseStatusList('200')!,
    healthStatusesText: '200',
    healthTimeoutMs: HEALTH_TIMEOUT_MS,
    lockTimeoutMs: 60_000,
    rollbackOnFailure: true,
    allowedRegistries: [],
    ...overrides,
  };
}

/** A run over `mem`; `cancelWhen` sees every log line and may abort the run (as SIGTERM would). */
function harness(mem: Memory = new MemoryPlatform()) {
  const clock = virtualClock(START);
  const controller = new AbortController();
  const log: string[] = [];
  let cancelWhen: (line: string) => boolean = () => false;
  const cancel = () => controller.abort(new CancelledError('SIGTERM'));
  const deps: RunDeps = {
    platformFor: (signal) => mem.platformFor(signal),
    probe: mem.probe,
    clock,
    signal: controller.signal,
    graceMs: 9_000,
    log: (line) => {
      log.push(line);
      if (!controller.signal.aborted && cancelWhen(line)) cancel();
    },
    warn: (line) => log.push(`warning: ${line}`),
    holder: 'run 1',
    nonce: 'n1',
  };
  return {
    mem,
    clock,
    log,
    cancel,
    cancelOnLog: (when: (line: string) => boolean) => {
      cancelWhen = when;
    },
    run: (overrides: Partial<DeploySlotInputs> = {}) => runDeploySlot(inputs(overrides), deps),
  };
}

const record = (mem: Memory) => readRecord(mem.tags, 'production');
// Another run's lease, held for the next 5 minutes (a real holder never writes past one lifetime).
const OTHER_LEASE = `other|${new Date(START + 5 * 60_000).toISOString()}|run 2`;
const phase = (result: RunResult, name: string) => result.phases.find((p) => p.name === name);
const count = (mem: Memory, call: RegExp) => mem.calls.filter((c) => call.test(c)).length;

describe('a release, for reference', () => {
  test('deploys, swaps, verifies and records; the lease is gone after', async () => {
    const { mem, run } = harness();
    const result = await run();
    expect(result).toMatchObject({ succeeded: true, swapped: true, rolledBack: false });
    expect(result.phases.map((p) => p.name)).toEqual([
      'lock',
      'deploy',
      'wait healthy',
      'swap',
      'verify',
      'record',
      'unlock',
    ]);
    expect([mem.slot('production').image, mem.slot('staging').image]).toEqual([V2, V1]);
    expect(record(mem)).toMatchObject({ releasedImage: V2, previousImage: V1 });
    expect(record(mem).pendingImage).toBeUndefined();
    expect(mem.tags[LEASE_TAG]).toBeUndefined();
  });
});

describe('409 Conflict during recovery', () => {
  test('is retried until it clears: the swap back goes through on the third attempt', async () => {
    const { mem, clock, log, run } = harness();
    mem.answer = (slot, image) => (slot === 'production' && image === V2 ? 500 : 200);
    // The release's own swap goes through; the swap back meets two 409s first.
    let swaps = 0;
    mem.fail('swap', conflict, { times: 2, when: () => ++swaps > 1 });
    const result = await run();
    expect(result.message).toMatch(/^release failed in verify: production failed verification/);
    expect(result.message).toMatch(/Rolled back: production serves ghcr.io\/o\/web:1.0.0 as before the run/);
    expect(result).toMatchObject({ succeeded: false, rolledBack: true });
    expect(mem.slot('production').image).toBe(V1);
    expect(count(mem, /^swap .*✘$/)).toBe(2);
    expect(count(mem, /^swap staging production$/)).toBe(2);
    expect(log.filter((l) => /\(409\); retrying/.test(l))).toHaveLength(2);
    // Backing off between attempts (500 ms, then 1 s), not hammering ARM.
    expect(clock.slept).toEqual(expect.arrayContaining([500, 1_000]));
    expect(record(mem).pendingImage).toBeUndefined();
    expect(mem.tags[LEASE_TAG]).toBeUndefined();
  });

  test('that never clears fails at its deadline (2 minutes), saying what production serves', async () => {
    const { mem, clock, run } = harness();
    mem.answer = (slot, image) => (slot === 'production' && image === V2 ? 500 : 200);
    let swaps = 0;
    mem.fail('swap', conflict, { when: () => ++swaps > 1 });
    const result = await run();
    const rollback = phase(result, 'rollback')!;
    expect(rollback.failed).toBe(true);
    expect(rollback.durationMs).toBeGreaterThanOrEqual(120_000);
    expect(rollback.durationMs).toBeLessThan(126_000);
    expect(result.message).toMatch(
      /Rollback failed too \(Cannot modify this site because another operation is in progress\.\): production serves ghcr.io\/o\/web:2.0.0 \(it served ghcr.io\/o\/web:1.0.0 before\), slot staging holds ghcr.io\/o\/web:1.0.0\.$/,
    );
    expect(result.rolledBack).toBe(false);
    // The release stays pending in the record, so a later `action: rollback` knows where to go.
    expect(record(mem)).toMatchObject({ pendingImage: V2, pendingPreviousImage: V1 });
    expect(mem.tags[LEASE_TAG]).toBeUndefined();
    expect(clock.now() - START).toBeLessThan(10 * 60_000);
  });
});

describe('swap with preview', () => {
  /** staging answers 503 with production's DB setting applied (the sticky setting preview brings). */
  function previewSetup() {
    const h = harness();
    h.mem.stickyNames = ['DB'];
    h.mem.slot('production').settings = { DB: 'prod' };
    h.mem.slot('staging').settings = { DB: 'staging' };
    return h;
  }

  test('a failed health wait with the target settings resets the slot config; production is untouched', async () => {
    const { mem, log, run } = previewSetup();
    mem.answer = (_slot, image, settings) => (image === V2 && settings['DB'] === 'prod' ? 503 : 200);
    const result = await run({ swapMode: 'preview' });
    expect(result.message).toMatch(
      /^release failed in swap \(preview\): staging did not become healthy in 1m/,
    );
    expect(result.message).toMatch(/Rolled back: production serves ghcr.io\/o\/web:1.0.0 as before the run/);
    expect(mem.calls.filter((c) => /^(applySlotConfig|resetSlotConfig|swap)/.test(c))).toEqual([
      'applySlotConfig staging production',
      'resetSlotConfig staging',
    ]);
    // The swap step resets it at once, before recovery looks.
    expect(log).toContain("Swap with preview cancelled: staging's own settings restored (resetSlotConfig).");
    expect(mem.slot('staging')).toMatchObject({
      settings: { DB: 'staging' },
      targetSwapSlot: null,
      image: V1,
    });
    expect(mem.slot('production').image).toBe(V1);
    expect(result.swapped).toBe(false);
  });

  test('the swap step resets the slot config itself: so it does with rollback-on-failure false', async () => {
    const { mem, run } = previewSetup();
    mem.answer = (_slot, image, settings) => (image === V2 && settings['DB'] === 'prod' ? 503 : 200);
    const result = await run({ swapMode: 'preview', rollbackOnFailure: false });
    expect(result.message).toMatch(
      /rollback-on-failure is false: production serves ghcr.io\/o\/web:1.0.0, slot staging holds ghcr.io\/o\/web:2.0.0\.$/,
    );
    expect(mem.slot('staging')).toMatchObject({
      settings: { DB: 'staging' },
      targetSwapSlot: null,
      image: V2,
    });
    expect(count(mem, /^resetSlotConfig staging$/)).toBe(1);
  });

  test('a refused swap resets the slot config; production is untouched', async () => {
    const { mem, log, run } = previewSetup();
    mem.fail('swap', () => new ArmError(400, 'BadRequest', 'The swap was refused.'), { times: 1 });
    const result = await run({ swapMode: 'preview' });
    expect(result.message).toMatch(/^release failed in swap \(preview\): The swap was refused\./);
    expect(result.message).toMatch(/Rolled back: production serves ghcr.io\/o\/web:1.0.0 as before the run/);
    expect(mem.calls.filter((c) => /^(applySlotConfig|resetSlotConfig|swap)/.test(c))).toEqual([
      'applySlotConfig staging production',
      'swap staging production ✘',
      'resetSlotConfig staging',
    ]);
    expect(log).toContain('Swap with preview cancelled: resetSlotConfig on staging.');
    expect(mem.slot('staging')).toMatchObject({ settings: { DB: 'staging' }, targetSwapSlot: null });
    expect(mem.slot('production').image).toBe(V1);
  });
});

describe('rollback failed too', () => {
  test('the message says what production serves now and what it served before', async () => {
    const { mem, run } = harness();
    mem.answer = (slot, image) => (slot === 'production' && image === V2 ? 500 : 200);
    let swaps = 0;
    mem.fail('swap', () => new ArmError(500, 'InternalServerError', 'The swap back failed.'), {
      when: () => ++swaps > 1,
    });
    const result = await run();
    expect(result.message).toBe(
      `release failed in verify: production failed verification: /healthz answered 500 on probe 1 of 3, expected 200. Rollback failed too (The swap back failed.): production serves ${V2} (it served ${V1} before), slot staging holds ${V1}.`,
    );
    expect(result).toMatchObject({ succeeded: false, swapped: true, rolledBack: false });
    expect(result.after).toEqual({ target: V2, slot: V1 });
    expect(phase(result, 'rollback')?.failed).toBe(true);
    expect(phase(result, 'unlock')?.failed).toBe(false);
  });
});

describe('an interrupted release', () => {
  // Where the run is when SIGTERM arrives, and what the target and slot must hold after recovery.
  const cases: {
    at: string;
    cancel: (h: ReturnType<typeof harness>) => void;
    production: string;
    staging: string;
    recovery: string | undefined;
  }[] = [
    {
      at: 'lock',
      cancel: (h) => {
        h.mem.tags[LEASE_TAG] = OTHER_LEASE;
        h.cancelOnLog((l) => l.startsWith('Waiting for the lease'));
      },
      production: V1,
      staging: V1,
      recovery: undefined,
    },
    {
      at: 'deploy',
      cancel: (h) => {
        h.mem.onCall = (m, when, [slot]) =>
          m === 'updateConfig' && when === 'before' && slot === 'staging' && h.cancel();
      },
      production: V1,
      staging: V1,
      recovery: 'restore-slot',
    },
    {
      at: 'wait healthy',
      cancel: (h) => {
        h.mem.onCall = (m, when) => m === 'probe' && when === 'before' && h.cancel();
      },
      production: V1,
      staging: V1,
      recovery: 'restore-slot',
    },
    {
      at: 'swap',
      // The swap takes effect at ARM, but its answer is lost.
      cancel: (h) => {
        h.mem.onCall = (m, when) => m === 'swap' && when === 'after' && h.cancel();
      },
      production: V1,
      staging: V2,
      recovery: 'swap-back',
    },
    {
      at: 'verify',
      cancel: (h) => h.cancelOnLog((l) => l === '▶ verify'),
      production: V1,
      staging: V2,
      recovery: 'swap-back',
    },
    {
      at: 'record',
      cancel: (h) => {
        h.mem.onCall = (m, when, [tags]) =>
          m === 'mergeTags' &&
          when === 'before' &&
          'slotline-released-image' in (tags as object) &&
          h.cancel();
      },
      production: V1,
      staging: V2,
      recovery: 'swap-back',
    },
  ];

  test.each(cases)(
    'cancelled in $at: production ends on $production, and the run leaves no lease of its own',
    async (c) => {
      const h = harness();
      c.cancel(h);
      const result = await h.run();
      const { mem } = h;
      expect(result.succeeded).toBe(false);
      expect(phase(result, c.at)).toMatchObject({ failed: true, detail: 'cancelled by SIGTERM' });
      expect([mem.slot('production').image, mem.slot('staging').image]).toEqual([c.production, c.staging]);
      expect(record(mem).pendingImage).toBeUndefined();
      if (c.recovery === undefined) {
        expect(result.message).toBe(
          `release cancelled by SIGTERM before it held the lease on web: nothing was changed; production serves ${V1}.`,
        );
        // Another run's lease is never touched, and this run never wrote one.
        expect(mem.tags[LEASE_TAG]).toBe(OTHER_LEASE);
        expect(count(mem, /^mergeTags/)).toBe(0);
        return;
      }
      expect(result.message).toMatch(
        new RegExp(
          `^release cancelled by SIGTERM in ${c.at}\\. Rolled back: production serves ghcr.io/o/web:1.0.0 as before the run`,
        ),
      );
      expect(phase(result, 'rollback')).toMatchObject({ failed: false, detail: c.recovery });
      expect(result.rolledBack).toBe(true);
      expect(phase(result, 'unlock')?.failed).toBe(false);
      expect(mem.tags[LEASE_TAG]).toBeUndefined();
      expect(h.log).toContain(
        "Cancelled (cancelled by SIGTERM): recovering within the runner's grace period.",
      );
    },
  );
});

describe("the action's entry, run(env, deps)", () => {
  /** The action's dependencies over `mem`: signals from an emitter the test controls, virtual time. */
  function actionDeps(mem: Memory): ActionDeps & { signals: EventEmitter } {
    return {
      signals: new EventEmitter(),
      clock: virtualClock(START),
      newNonce: () => 'n1',
      connect: async () => (signal) => mem.platformFor(signal),
      openProber: async () => ({ probe: mem.probe, close: async () => {} }),
      openGitHub: async () => {
        throw new Error('no github-token in these tests');
      },
      spent: { azure: { ms: 0 }, probes: 0, waits: 0 },
    };
  }
  const step = (deps: ActionDeps) =>
    runInProcess(() => deploySlot(process.env, deps), {
      'subscription-id': '00000000-0000-4000-8000-000000000000',
      'resource-group': 'rg',
      'app-name': 'web',
      image: V2,
    });

  test('writes the outputs and the summary of a release', async () => {
    const mem = new MemoryPlatform();
    const result = await step(actionDeps(mem));
    expect(result.exitCode).toBe(0);
    expect(result.outputs).toMatchObject({
      image: V2,
      'previous-image': V1,
      swapped: 'true',
      'rolled-back': 'false',
      'production-url': 'https://web.example',
      'slot-url': 'https://web-staging.example',
    });
    expect(result.summary).toContain('### deploy-slot release of web: ✅ succeeded');
    expect(mem.slot('production').image).toBe(V2);
  });

  test('the lease nonce is saved for the post step only once a lease write starts', async () => {
    const saved = /::save-state name=lease-nonce::n1/;
    const released = await step(actionDeps(new MemoryPlatform()));
    expect(released.log).toMatch(saved);
    // Given back at the end: cleared, so the post step signs in nowhere.
    expect(released.log).toMatch(/::save-state name=lease-nonce::\s*$/m);
    // ARM unreachable before the lease: the post step must find nothing to release (no sign-in, no call).
    const mem = new MemoryPlatform();
    mem.fail('tags', () => new Error('connect ECONNREFUSED 127.0.0.1:1'));
    const stopped = await step(actionDeps(mem));
    expect(stopped.exitCode).toBe(1);
    expect(stopped.log).not.toMatch(saved);
  });

  test('a SIGTERM from the injected signal source cancels the run; production is swapped back', async () => {
    const mem = new MemoryPlatform();
    const deps = actionDeps(mem);
    mem.onCall = (m, when) => m === 'swap' && when === 'after' && deps.signals.emit('SIGTERM', 'SIGTERM');
    const result = await step(deps);
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain('Received SIGTERM: stopping, then restoring a safe state.');
    expect(result.log).toMatch(
      /::error::deploy-slot: release cancelled by SIGTERM in swap\. Rolled back: production serves ghcr.io\/o\/web:1.0.0 as before the run/,
    );
    expect(result.outputs['rolled-back']).toBe('true');
    // The swap took effect before the cancel (its answer was lost): the image did go live.
    expect(result.outputs['swapped']).toBe('true');
    expect(result.summary).toContain('↩️ failed, rolled back');
    expect(mem.slot('production').image).toBe(V1);
    // The run stops listening when it ends: the process's own signal handling comes back.
    expect(deps.signals.listenerCount('SIGTERM')).toBe(0);
  });
});
