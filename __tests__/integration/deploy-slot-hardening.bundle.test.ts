import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { type BundleResult, type BundleRun, startBundle } from '../helpers/bundle-process.js';
import { type DeploySandbox, START_IMAGE, startDeploySandbox } from '../helpers/deploy-sandbox.js';

// deploy-slot hardening (issue 10, items 5-8), with the bundle run as the runner runs it and sent real
// signals, against the control-plane sandbox (Tags API included) and its stand-in apps (see
// helpers/deploy-sandbox.ts: `never-healthy`, `fails-in-production`, `slow-in-production` images).

let ds: DeploySandbox;

beforeAll(async () => {
  ds = await startDeploySandbox();
}, 60_000);

afterAll(async () => {
  await ds?.stop();
});

beforeEach(() => ds.reset());

const V2 = 'ghcr.io/slotline-demo/web:2.0.0';
const V3 = 'ghcr.io/slotline-demo/web:3.0.0';
const NEVER_HEALTHY = 'ghcr.io/slotline-demo/web:2.0.0-never-healthy';
const SLOW_IN_PRODUCTION = 'ghcr.io/slotline-demo/web:3.0.0-slow-in-production';
const FAILS_IN_PRODUCTION = 'ghcr.io/slotline-demo/web:3.0.0-fails-in-production';
/** The runner's grace period between the first signal and SIGKILL (7.5 s + 2.5 s). */
const RUNNER_GRACE_MS = 10_000;
// Another run's lease, held for the next 9 minutes: a real holder never writes past one 10-minute lifetime
// (one further ahead reads as forged and blocks nothing).
const OTHER_LEASE = `0b5e7c1e-other-run|${new Date(Date.now() + 9 * 60_000).toISOString()}|https://github.com/o/r/actions/runs/42 (job deploy)`;

function start(inputs: Record<string, string>, state?: Record<string, string>): BundleRun {
  return startBundle('deploy-slot', ds.inputs(inputs), ds.env(), {
    timeoutMs: 40_000,
    ...(state ? { state } : {}),
  });
}

async function run(inputs: Record<string, string>, state?: Record<string, string>): Promise<BundleResult> {
  return start(inputs, state).done;
}

/** The post step, with the state the main step saved (the runner sets STATE_* from GITHUB_STATE). */
function post(inputs: Record<string, string>, state: Record<string, string>): Promise<BundleResult> {
  return run(inputs, state);
}

const errorLine = (step: BundleResult) =>
  step.log
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .pop() ?? '';

function setTags(tags: Record<string, string>): void {
  const r = ds.resource();
  ds.sb.store.put({ ...r, tags: { ...(r.tags ?? {}), ...tags } });
}

function setImage(slot: 'production' | 'staging', image: string): void {
  const r = ds.resource(slot);
  const siteConfig = { ...(r.internal?.['siteConfig'] as Record<string, unknown>) };
  siteConfig['linuxFxVersion'] = `DOCKER|${image}`;
  ds.sb.store.put({ ...r, internal: { ...r.internal, siteConfig } });
}

/** What a completed release of V2 over START_IMAGE leaves: production V2, the slot START_IMAGE, the record. */
function releasedV2(): void {
  setImage('production', V2);
  setTags({ 'slotline-released-image': V2, 'slotline-previous-image': START_IMAGE });
}

const lease = () => ds.tags()['slotline-lease'];

describe('cancellation', () => {
  test('SIGTERM while waiting for a never-healthy slot: exits in the grace period, slot restored, lease gone, production unchanged', async () => {
    const step = start({ image: NEVER_HEALTHY, 'health-timeout': '60s' });
    await step.waitForLog(/▶ wait healthy/);
    await new Promise((r) => setTimeout(r, 300));
    expect(lease()).toBeDefined();
    const signalled = performance.now();
    step.child.kill('SIGTERM');
    const result = await step.done;
    const ms = Math.round(result.endedAt - signalled);
    console.log(`SIGTERM in wait healthy: exit ${result.exitCode} ${ms} ms after the signal`);
    expect({ exit: result.exitCode, signal: result.signal }).toEqual({ exit: 1, signal: null });
    expect(ms).toBeLessThan(RUNNER_GRACE_MS);
    expect(errorLine(result)).toMatch(
      /release cancelled by SIGTERM in wait healthy\. Rolled back: production serves ghcr\.io\/slotline-demo\/web:1\.0\.0 as before the run; slot staging holds ghcr\.io\/slotline-demo\/web:1\.0\.0/,
    );
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(START_IMAGE);
    expect(lease()).toBeUndefined();
  }, 60_000);

  test('SIGINT during verification after the swap: swapped back, lease gone, exit 1 saying what production serves', async () => {
    const step = start({ image: SLOW_IN_PRODUCTION });
    await step.waitForLog(/▶ verify/);
    const signalled = performance.now();
    step.child.kill('SIGINT');
    const result = await step.done;
    console.log(
      `SIGINT in verify: swapped back, exit ${Math.round(result.endedAt - signalled)} ms after the signal`,
    );
    expect({ exit: result.exitCode, signal: result.signal }).toEqual({ exit: 1, signal: null });
    expect(errorLine(result)).toMatch(
      /release cancelled by SIGINT in verify\. Rolled back: production serves ghcr\.io\/slotline-demo\/web:1\.0\.0 as before the run/,
    );
    expect(result.endedAt - signalled).toBeLessThan(RUNNER_GRACE_MS);
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(SLOW_IN_PRODUCTION);
    expect(result.outputs).toMatchObject({ swapped: 'true', 'rolled-back': 'true' });
    expect(lease()).toBeUndefined();
    // Swapped back: nothing is pending.
    expect(ds.tags()['slotline-pending-image']).toBeUndefined();
  }, 60_000);

  test("SIGTERM while waiting for another run's lease: exits at once, that lease untouched, nothing changed", async () => {
    setTags({ 'slotline-lease': OTHER_LEASE });
    const step = start({ image: V2 });
    await step.waitForLog(/Waiting for the lease on/);
    const signalled = performance.now();
    step.child.kill('SIGTERM');
    const result = await step.done;
    console.log(`SIGTERM in lock: exit ${Math.round(result.endedAt - signalled)} ms after the signal`);
    expect({ exit: result.exitCode, signal: result.signal }).toEqual({ exit: 1, signal: null });
    expect(errorLine(result)).toMatch(
      /release cancelled by SIGTERM before it held the lease on .*: nothing was changed; production serves ghcr\.io\/slotline-demo\/web:1\.0\.0/,
    );
    expect(lease()).toBe(OTHER_LEASE);
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(START_IMAGE);
  }, 60_000);

  test('SIGKILL mid-release: the post step, with the saved state, releases the lease and reports what it found', async () => {
    const step = start({ image: NEVER_HEALTHY, 'health-timeout': '60s' });
    await step.waitForLog(/▶ wait healthy/);
    step.child.kill('SIGKILL');
    const killed = await step.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(lease()).toBeDefined();
    expect(killed.state['isPost']).toBe('true');
    expect(lease()).toContain(killed.state['lease-nonce']);
    const cleanup = await post({ image: NEVER_HEALTHY, 'health-timeout': '60s' }, killed.state);
    expect({ exit: cleanup.exitCode, error: errorLine(cleanup) }).toEqual({ exit: 0, error: '' });
    expect(cleanup.log).toMatch(/the main step left its lease on .* released it/);
    expect(cleanup.log).toMatch(/production of .* serves ghcr\.io\/slotline-demo\/web:1\.0\.0/);
    expect(lease()).toBeUndefined();
    expect(ds.image('production')).toBe(START_IMAGE);
  }, 60_000);

  test("the post step leaves another run's lease alone", async () => {
    setTags({ 'slotline-lease': OTHER_LEASE });
    const cleanup = await post(
      { image: V2, 'lock-timeout': '3s' },
      { isPost: 'true', 'lease-nonce': '7d2f8a4e-this-run' },
    );
    expect({ exit: cleanup.exitCode, error: errorLine(cleanup) }).toEqual({ exit: 0, error: '' });
    expect(cleanup.log).toMatch(
      /the lease on .* belongs to another run \(https:\/\/github\.com\/o\/r\/actions\/runs\/42/,
    );
    expect(lease()).toBe(OTHER_LEASE);
    expect(ds.image('production')).toBe(START_IMAGE);
  }, 60_000);
});

describe('the lease', () => {
  test("another tool's tags survive a release, also one written while the lease write is in flight", async () => {
    setTags({ team: 'web' });
    // The first tag write (the lease) takes 2 s to arrive; another tool writes its tag meanwhile. A
    // writer that replaces the whole tag map (what it read before, plus its own) would drop that tag.
    await ds.admin('POST', '/faults', {
      type: 'latency',
      method: 'PATCH',
      path: '(providers/microsoft\\.resources/tags/default|providers/microsoft\\.web/sites/[^/]+)$',
      latencyMs: 2_000,
      count: 1,
    });
    const step = start({ image: V2 });
    await step.waitForLog(/▶ lock/);
    await new Promise((r) => setTimeout(r, 700));
    setTags({ 'cost-center': 'cc-42' });
    const result = await step.done;
    expect({ exit: result.exitCode, error: errorLine(result) }).toEqual({ exit: 0, error: '' });
    expect(ds.tags()).toEqual({
      team: 'web',
      'cost-center': 'cc-42',
      'slotline-released-image': V2,
      'slotline-previous-image': START_IMAGE,
      'slotline-released-at': expect.any(String),
    });
  }, 60_000);

  test('a lease write that never sticks fails at lock-timeout, after few writes, changing nothing', async () => {
    const fault = await ds.admin('POST', '/faults', {
      type: 'ignore-write',
      method: 'PATCH',
      // The Tags API, and the site PATCH an older slotline wrote tags with.
      path: '(providers/microsoft\\.resources/tags/default|providers/microsoft\\.web/sites/[^/]+)$',
      seconds: 60,
    });
    expect(fault.status).toBe(201);
    const started = performance.now();
    const result = await run({ image: V2, 'lock-timeout': '3s' });
    const ms = Math.round(performance.now() - started);
    const hits = ((await ds.admin('GET', '/faults')).body as { value: { hits: number }[] }).value[0]!.hits;
    console.log(`lease write that never sticks: exit ${result.exitCode} after ${ms} ms, ${hits} write(s)`);
    expect(result.exitCode).toBe(1);
    expect(errorLine(result)).toMatch(
      /Could not take the lease on .*: \d write\(s\) of the slotline-lease tag answered success but did not stick in 3s \(lock-timeout\)/,
    );
    expect(hits).toBeGreaterThanOrEqual(1);
    expect(hits).toBeLessThanOrEqual(3);
    expect(ds.image('production')).toBe(START_IMAGE);
    expect(ds.image('staging')).toBe(START_IMAGE);
  }, 60_000);
});

describe('rollback trusts no tag writer', () => {
  test('a forged previous image from another registry: rollback refuses and production is unchanged', async () => {
    releasedV2();
    setTags({ 'slotline-previous-image': 'evil.example/x:1' });
    const result = await run({ action: 'rollback' });
    expect(result.exitCode).toBe(1);
    expect(errorLine(result)).toMatch(
      /Refusing to roll back .* evil\.example\/x:1 is not from ghcr\.io\/.*, the repository production runs now.*Nothing was changed/,
    );
    expect(ds.image('production')).toBe(V2);
    expect(ds.image('staging')).toBe(START_IMAGE);
    expect(lease()).toBeUndefined();
  }, 60_000);

  test('a record image that is not a valid reference is refused; allowed-registries admits another registry', async () => {
    releasedV2();
    setTags({ 'slotline-previous-image': 'ghcr.io/slotline-demo/Web:1 --privileged' });
    const invalid = await run({ action: 'rollback' });
    expect(invalid.exitCode).toBe(1);
    expect(errorLine(invalid)).toMatch(/is not a valid image reference/);
    expect(ds.image('production')).toBe(V2);

    const mirrored = 'registry.example.com/slotline/web:1.0.0';
    setTags({ 'slotline-previous-image': mirrored });
    const refused = await run({ action: 'rollback' });
    expect(errorLine(refused)).toMatch(
      /registry\.example\.com.*list registry\.example\.com in allowed-registries/,
    );
    expect(ds.image('production')).toBe(V2);
    const allowed = await run({ action: 'rollback', 'allowed-registries': 'registry.example.com, quay.io' });
    expect({ exit: allowed.exitCode, error: errorLine(allowed) }).toEqual({ exit: 0, error: '' });
    expect(ds.image('production')).toBe(mirrored);
  }, 60_000);
});

describe('rollback goes back exactly one release', () => {
  test('a release killed right after its swap: rollback restores the release before it', async () => {
    releasedV2();
    const step = start({ image: SLOW_IN_PRODUCTION });
    await step.waitForLog(/✔ swap/);
    step.child.kill('SIGKILL');
    const killed = await step.done;
    expect(ds.image('production')).toBe(SLOW_IN_PRODUCTION);
    // The runner runs the post step after a killed main step: it frees the lease for the next run.
    await post({ image: SLOW_IN_PRODUCTION }, killed.state);
    const result = await run({ action: 'rollback' });
    expect({ exit: result.exitCode, error: errorLine(result) }).toEqual({ exit: 0, error: '' });
    expect(ds.image('production')).toBe(V2);
    expect(ds.tags()).toMatchObject({
      'slotline-released-image': V2,
      'slotline-rolled-back-from': SLOW_IN_PRODUCTION,
    });
    expect(ds.tags()['slotline-pending-image']).toBeUndefined();
  }, 60_000);

  test('a release left unverified by rollback-on-failure: false: rollback restores the release before it', async () => {
    releasedV2();
    const failed = await run({ image: FAILS_IN_PRODUCTION, 'rollback-on-failure': 'false' });
    expect(failed.exitCode).toBe(1);
    expect(ds.image('production')).toBe(FAILS_IN_PRODUCTION);
    const result = await run({ action: 'rollback' });
    expect({ exit: result.exitCode, error: errorLine(result) }).toEqual({ exit: 0, error: '' });
    expect(ds.image('production')).toBe(V2);
  }, 60_000);

  test('production changed outside slotline: rollback refuses to guess and changes nothing', async () => {
    releasedV2();
    setImage('production', V3);
    const result = await run({ action: 'rollback' });
    expect(result.exitCode).toBe(1);
    expect(errorLine(result)).toMatch(
      /production of .* serves ghcr\.io\/slotline-demo\/web:3\.0\.0, which slotline's record does not name .*changed outside slotline.*Nothing was changed/,
    );
    expect(ds.image('production')).toBe(V3);
    expect(ds.image('staging')).toBe(START_IMAGE);
    expect(lease()).toBeUndefined();
  }, 60_000);
});
