import { EventEmitter } from 'node:events';
import { describe, expect, test } from '@jest/globals';
import type { ActionDeps, RunDeps } from '../../src/deploy-slot/deps.js';
import { holdsExpectedImage } from '../../src/deploy-slot/image-policy.js';
import { checkInputsForAction, type DeploySlotInputs, parseInputs } from '../../src/deploy-slot/inputs.js';
import { run as deploySlot } from '../../src/deploy-slot/main.js';
import { LEASE_TAG } from '../../src/deploy-slot/record.js';
import { runDeploySlot } from '../../src/deploy-slot/run.js';
import type { AzureInputs } from '../../src/lib/azure/inputs.js';
import { CheckFailedError } from '../../src/lib/errors.js';
import { parseStatusList } from '../../src/lib/http-status.js';
import { virtualClock } from '../helpers/clock.js';
import { MemoryPlatform, V1, V2 } from '../helpers/memory-platform.js';
import { inputEnv, runInProcess } from '../helpers/runner.js';

// deploy-slot's swap guard: `action: swap` with `image` swaps only while the slot still holds that image
// (the digest a pipeline built and deployed), read under the lease just before the swap.

const START = Date.UTC(2026, 0, 1);
const REPO = 'myacr.azurecr.io/web';
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const BUILT = `${REPO}@${DIGEST_A}`;
const OTHER = `${REPO}@${DIGEST_B}`;

function inputs(overrides: Partial<DeploySlotInputs> = {}): DeploySlotInputs {
  return {
    azure: {} as AzureInputs,
    action: 'swap',
    resourceGroup: 'rg',
    appName: 'web',
    slot: 'staging',
    targetSlot: 'production',
    swapMode: 'direct',
    appSettings: {},
    stickySettings: [],
    healthStatuses: parseStatusList('200')!,
    healthStatusesText: '200',
    healthTimeoutMs: 60_000,
    lockTimeoutMs: 60_000,
    rollbackOnFailure: true,
    allowedRegistries: [],
    ...overrides,
  };
}

function runOver(mem: MemoryPlatform, overrides: Partial<DeploySlotInputs>) {
  const deps: RunDeps = {
    platformFor: (signal) => mem.platformFor(signal),
    probe: mem.probe,
    clock: virtualClock(START),
    log: () => {},
    warn: () => {},
    holder: 'run 1',
    nonce: 'n1',
  };
  return runDeploySlot(inputs(overrides), deps);
}

/** Calls that change the app: none may happen when the guard refuses. */
const WRITES = /^(updateConfig|updateAppSettings|updateStickyNames|swap|applySlotConfig|resetSlotConfig)\b/;

describe('holdsExpectedImage', () => {
  test.each([
    ['the same digest reference', BUILT, BUILT, true],
    ['another digest of the repository', BUILT, OTHER, false],
    ['the same digest in another repository', BUILT, `myacr.azurecr.io/api@${DIGEST_A}`, false],
    ['the same digest with a tag beside it', BUILT, `${REPO}:2.0.0@${DIGEST_A}`, true],
    ['a tag where a digest is expected', BUILT, `${REPO}:2.0.0`, false],
    ['the same tag, same text', V2, V2, true],
    ['another tag', V2, V1, false],
    ['a digest where a tag is expected', `${REPO}:2.0.0`, `${REPO}:2.0.0@${DIGEST_A}`, false],
    ['an empty slot', BUILT, undefined, false],
    [
      'Docker Hub short and long names, same digest',
      `nginx@${DIGEST_A}`,
      `docker.io/library/nginx@${DIGEST_A}`,
      true,
    ],
  ])('%s', (_name, expected, slot, holds) => {
    expect(holdsExpectedImage(expected, slot)).toBe(holds);
  });
});

describe('action: swap with image', () => {
  test('swaps when the slot holds the digest given', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: BUILT });
    const result = await runOver(mem, { image: BUILT });
    expect(result).toMatchObject({ succeeded: true, swapped: true, image: BUILT });
    expect([mem.slot('production').image, mem.slot('staging').image]).toEqual([BUILT, V1]);
  });

  test('refuses when another run deployed to the slot since: nothing changes, the lease is given back', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: OTHER });
    const error = await runOver(mem, { image: BUILT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckFailedError);
    expect((error as Error).message).toBe(
      `Refusing to swap: slot staging of web holds ${OTHER}, not ${BUILT} (image). Nothing was changed; production serves ${V1}.`,
    );
    expect(mem.calls.filter((c) => WRITES.test(c))).toEqual([]);
    expect([mem.slot('production').image, mem.slot('staging').image]).toEqual([V1, OTHER]);
    expect(mem.tags[LEASE_TAG]).toBeUndefined();
  });

  test('refuses a tag the slot does not hold as the same text', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: `${REPO}:2.0.0@${DIGEST_A}` });
    await expect(runOver(mem, { image: `${REPO}:2.0.0` })).rejects.toThrow(
      `Refusing to swap: slot staging of web holds ${REPO}:2.0.0@${DIGEST_A}, not ${REPO}:2.0.0 (image).`,
    );
    expect(mem.slot('production').image).toBe(V1);
  });

  test('refuses when the slot runs no container', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: undefined });
    await expect(runOver(mem, { image: BUILT })).rejects.toThrow(
      `Refusing to swap: slot staging of web holds no container image, not ${BUILT} (image).`,
    );
  });

  test('without image, swap swaps whatever the slot holds, as before', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: OTHER });
    const result = await runOver(mem, {});
    expect(result).toMatchObject({ succeeded: true, image: OTHER });
    expect(mem.slot('production').image).toBe(OTHER);
  });

  test('image is accepted as an input for swap (DOCKER| prefix dropped)', async () => {
    const env = inputEnv({
      'subscription-id': '00000000-0000-4000-8000-000000000000',
      'resource-group': 'rg',
      'app-name': 'web',
      action: 'swap',
      image: `DOCKER|${BUILT}`,
    });
    const parsed = await parseInputs(env);
    checkInputsForAction(parsed, env);
    expect(parsed).toMatchObject({ action: 'swap', image: BUILT });
  });
});

describe('the refusal through the action entry', () => {
  test('fails the step with one error line naming both references', async () => {
    const mem = new MemoryPlatform({ production: V1, staging: OTHER });
    const deps: ActionDeps = {
      signals: new EventEmitter(),
      clock: virtualClock(START),
      newNonce: () => 'n1',
      connect: async () => (signal) => mem.platformFor(signal),
      openProber: async () => ({ probe: mem.probe, close: async () => {} }),
      openGitHub: async () => {
        throw new Error('no github-token in this test');
      },
      spent: { azure: { ms: 0 }, probes: 0, waits: 0 },
    };
    const result = await runInProcess(() => deploySlot(process.env, deps), {
      'subscription-id': '00000000-0000-4000-8000-000000000000',
      'resource-group': 'rg',
      'app-name': 'web',
      action: 'swap',
      image: BUILT,
    });
    expect(result.exitCode).toBe(1);
    const errors = result.log.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`slot staging of web holds ${OTHER}, not ${BUILT} (image)`);
    expect(mem.slot('production').image).toBe(V1);
  });
});
