import { ArmError } from '../lib/azure/errors.js';
import type { RampUpRule } from '../lib/azure/web.js';
import { CANCEL_GRACE_MS, CancelledError, throwIfCancelled } from '../lib/cancellation.js';
import { formatDuration } from '../lib/duration.js';
import { ActionError, CheckFailedError, errorMessage, TimeoutError } from '../lib/errors.js';
import { verifyStrict, waitHealthy } from './health.js';
import { refuseRecordImage } from './image-policy.js';
import type { DeploySlotInputs } from './inputs.js';
import {
  acquireLease,
  type HeldLease,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  releaseLease,
  renewLease,
} from './lease.js';
import type { Platform } from './platform.js';
import { type DeploymentRecord, imageOf, readRecord, recordPatch } from './record.js';
import { planRecovery, planRollback, recordAfterRelease, recordAfterRollback } from './rollback.js';

/** A probe of the health path; `signal` aborts it (the run was cancelled). */
export type CancellableProbe = (
  url: string,
  signal?: AbortSignal,
) => Promise<{ status?: number; error?: string }>;

/** Time, and pauses that end early (rejecting) when `signal` aborts. */
export interface RunClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Of the grace period after a cancel, this much is kept for releasing the lease; recovery gets the rest. */
const RELEASE_BUDGET_MS = 2_500;

export interface PhaseRecord {
  name: string;
  startMs: number;
  durationMs: number;
  failed: boolean;
  detail?: string;
}

export interface RunDeps {
  /** The platform whose every call `signal` aborts (the run's cancellation, or a bounded recovery signal). */
  platformFor: (signal: AbortSignal | undefined) => Platform;
  probe: CancellableProbe;
  clock: RunClock;
  /** Aborted on SIGINT/SIGTERM: in-flight work stops, recovery then runs with fresh bounded calls. */
  signal?: AbortSignal;
  /** Time between the first signal and SIGKILL (CANCEL_GRACE_MS). */
  graceMs?: number;
  /** Lease lifetime and renewal interval (LEASE_TTL_MS, LEASE_RENEW_MS). */
  leaseTtlMs?: number;
  leaseRenewMs?: number;
  log: (line: string) => void;
  warn: (line: string) => void;
  holder: string;
  nonce: string;
  /** Lease write-then-read-back delay (see LeaseOptions.settleMs). */
  leaseSettleMs?: number;
  leasePollMs?: number;
  /** Pause between health probes while a slot warms up. */
  probeIntervalMs?: number;
  /** Pause between production verification probes. */
  verifyIntervalMs?: number;
}

export interface RunResult {
  action: DeploySlotInputs['action'];
  succeeded: boolean;
  /** One line: what happened and what the target serves now. */
  message: string;
  slotUrl?: string;
  targetUrl?: string;
  image?: string;
  previousImage?: string;
  swapped: boolean;
  rolledBack: boolean;
  durationMs: number;
  phases: PhaseRecord[];
  before: { target?: string; slot?: string };
  after: { target?: string; slot?: string };
  /** Time spent waiting for the lease held by another run. */
  lockWaitMs: number;
}

interface SlotSnapshot {
  linuxFxVersion?: string | null;
  healthCheckPath?: string | null;
  settings: Record<string, string>;
  /** Instances serving before the change, when the change restarts the app: they must be gone first. */
  replaced: string[];
}

const READY = /^(ready|running)$/i;

class Failure extends ActionError {
  constructor(
    readonly phase: string,
    message: string,
  ) {
    super(message);
  }
}

/** The phase machine behind every `action`: lock → phases → (recovery) → unlock, recorded for the summary. */
export class DeploySlotRun {
  private readonly phases: PhaseRecord[] = [];
  private readonly t0: number;
  private readonly slot: string;
  private readonly target: string;
  private swapped = false;
  private rolledBack = false;
  private lockWaitMs = 0;
  private healthPath = '/';
  private urls: { slot?: string; target?: string } = {};
  /** What aborts calls now: the cancellation signal, then (after a cancel) a bounded recovery signal. */
  private active: AbortSignal | undefined;
  private readonly platforms = new Map<AbortSignal | undefined, Platform>();
  /** This run wrote a pending record (so recovery may clear it; nobody else's is touched). */
  private pendingWritten = false;

  constructor(
    private readonly inputs: DeploySlotInputs,
    private readonly deps: RunDeps,
  ) {
    this.t0 = deps.clock.now();
    this.slot = inputs.slot;
    this.target = inputs.targetSlot;
    this.active = deps.signal;
  }

  private platformFor(signal: AbortSignal | undefined): Platform {
    let platform = this.platforms.get(signal);
    if (!platform) {
      platform = this.deps.platformFor(signal);
      this.platforms.set(signal, platform);
    }
    return platform;
  }

  private get platform(): Platform {
    return this.platformFor(this.active);
  }

  private get cancelled(): boolean {
    return this.deps.signal?.aborted === true;
  }

  /** `cancelled by SIGTERM`. */
  private get cancelReason(): string {
    const reason = this.deps.signal?.reason;
    return reason instanceof CancelledError ? reason.message : 'cancelled';
  }

  /**
   * After a cancel, switch to a fresh signal bounded by the runner's grace period (less what releasing
   * the lease needs), so recovery can still read ARM state and act on it.
   */
  private enterGrace(): void {
    if (!this.cancelled || this.active !== this.deps.signal) return;
    this.active = AbortSignal.timeout(
      Math.max(1_000, (this.deps.graceMs ?? CANCEL_GRACE_MS) - RELEASE_BUDGET_MS),
    );
    this.deps.log(`Cancelled (${this.cancelReason}): recovering within the runner's grace period.`);
  }

  /** A pause that ends at once when the run is cancelled. */
  private async sleep(ms: number): Promise<void> {
    throwIfCancelled(this.active);
    await this.deps.clock.sleep(ms, this.active);
    throwIfCancelled(this.active);
  }

  private readonly healthClock = {
    now: () => this.deps.clock.now(),
    sleep: (ms: number) => this.sleep(ms),
  };

  private readonly probe = (url: string) => this.deps.probe(url, this.active);

  private async phase<T>(name: string, work: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
    const start = this.deps.clock.now();
    this.deps.log(`▶ ${name}`);
    try {
      const value = await work();
      const record: PhaseRecord = {
        name,
        startMs: start - this.t0,
        durationMs: this.deps.clock.now() - start,
        failed: false,
      };
      if (detail) record.detail = detail(value);
      this.phases.push(record);
      this.deps.log(
        `✔ ${name} (${formatDuration(record.durationMs)})${record.detail ? `: ${record.detail}` : ''}`,
      );
      return value;
    } catch (error) {
      const message =
        this.cancelled && this.active === this.deps.signal
          ? this.cancelReason
          : (errorMessage(error).split('\n')[0] ?? '');
      this.phases.push({
        name,
        startMs: start - this.t0,
        durationMs: this.deps.clock.now() - start,
        failed: true,
        detail: message,
      });
      this.deps.log(`✘ ${name}: ${message}`);
      throw error instanceof Failure ? error : new Failure(name, message);
    }
  }

  async run(): Promise<RunResult> {
    let held: HeldLease;
    try {
      const [slotSite, targetSite] = await Promise.all([
        this.platform.site(this.slot),
        this.platform.site(this.target),
      ]);
      this.urls = {
        slot: `https://${slotSite.properties.defaultHostName}`,
        target: `https://${targetSite.properties.defaultHostName}`,
      };
      held = await this.phase(
        'lock',
        async () => {
          const taken = await acquireLease(this.platform, this.inputs.appName, {
            holder: this.deps.holder,
            nonce: this.deps.nonce,
            ttlMs: this.deps.leaseTtlMs ?? LEASE_TTL_MS,
            waitMs: this.inputs.lockTimeoutMs,
            settleMs: this.deps.leaseSettleMs ?? 1_000,
            pollMs: this.deps.leasePollMs ?? 3_000,
            clock: this.deps.clock,
            sleep: (ms) => this.sleep(ms),
            log: this.deps.log,
          });
          this.lockWaitMs = taken.waitedMs;
          return taken;
        },
        (t) => `held until ${new Date(t.lease.expiresAt).toISOString()}, renewed while the run lasts`,
      );
    } catch (error) {
      if (!this.cancelled) throw error;
      // Nothing was changed: this run never held the lease, so it has nothing to release either.
      this.enterGrace();
      const now = await this.images().catch(() => ({}) as { target?: string; slot?: string });
      return this.result(
        false,
        `${this.inputs.action} ${this.cancelReason} before it held the lease on ${this.inputs.appName}: nothing was changed; ${this.target} serves ${now.target ?? 'unknown'}.`,
        { before: now, after: now },
      );
    }
    const renewal = this.renewWhileHeld(held);
    try {
      return await this.runLocked();
    } catch (error) {
      if (!this.cancelled) throw error;
      this.enterGrace();
      const now = await this.images().catch(() => ({}) as { target?: string; slot?: string });
      return this.result(
        false,
        `${this.inputs.action} ${this.cancelReason}: ${this.target} serves ${now.target ?? 'unknown'}, slot ${this.slot} holds ${now.slot ?? 'unknown'}.`,
        { before: now, after: now },
      );
    } finally {
      await renewal.stop();
      // After a cancel, releasing gets its own short budget, whatever recovery used.
      if (this.cancelled) this.active = AbortSignal.timeout(RELEASE_BUDGET_MS);
      await this.phase('unlock', async () => {
        const outcome = await releaseLease(this.platform, held.lease.nonce);
        if (outcome.kind === 'not-ours')
          this.deps.warn(
            `The lease on ${this.inputs.appName} is held by ${outcome.holder} now (this run's had expired); left alone.`,
          );
        return outcome.kind;
      }).catch((error) =>
        this.deps.warn(
          `Could not release the lease (the post step retries; it expires by itself): ${errorMessage(error)}`,
        ),
      );
    }
  }

  /** Renew the lease every LEASE_RENEW_MS while the run holds it; `stop` ends the loop and waits for it. */
  private renewWhileHeld(held: HeldLease): { stop(): Promise<void> } {
    const stopper = new AbortController();
    const signal = this.deps.signal ? AbortSignal.any([stopper.signal, this.deps.signal]) : stopper.signal;
    const platform = this.platformFor(signal);
    const ttlMs = this.deps.leaseTtlMs ?? LEASE_TTL_MS;
    const loop = (async () => {
      for (;;) {
        try {
          await this.deps.clock.sleep(this.deps.leaseRenewMs ?? LEASE_RENEW_MS, signal);
        } catch {
          return;
        }
        if (signal.aborted) return;
        try {
          const value = await renewLease(platform, held, this.deps.clock.now(), ttlMs);
          if (value === undefined) {
            this.deps.warn(`The lease on ${this.inputs.appName} is no longer this run's; not renewed.`);
            return;
          }
          held.value = value;
        } catch (error) {
          if (signal.aborted) return;
          this.deps.warn(`Could not renew the lease (retrying): ${errorMessage(error).split('\n')[0]}`);
        }
      }
    })();
    return {
      stop: async () => {
        stopper.abort();
        await loop;
      },
    };
  }

  private async images(): Promise<{ target?: string; slot?: string }> {
    const [t, s] = await Promise.all([this.platform.config(this.target), this.platform.config(this.slot)]);
    const target = imageOf(t.linuxFxVersion);
    const slot = imageOf(s.linuxFxVersion);
    return { ...(target ? { target } : {}), ...(slot ? { slot } : {}) };
  }

  private result(
    succeeded: boolean,
    message: string,
    fields: {
      image?: string;
      previousImage?: string;
      before: RunResult['before'];
      after: RunResult['after'];
    },
  ): RunResult {
    return {
      action: this.inputs.action,
      succeeded,
      message,
      ...(this.urls.slot ? { slotUrl: this.urls.slot } : {}),
      ...(this.urls.target ? { targetUrl: this.urls.target } : {}),
      ...(fields.image ? { image: fields.image } : {}),
      ...(fields.previousImage ? { previousImage: fields.previousImage } : {}),
      swapped: this.swapped,
      rolledBack: this.rolledBack,
      durationMs: this.deps.clock.now() - this.t0,
      phases: this.phases,
      before: fields.before,
      after: fields.after,
      lockWaitMs: this.lockWaitMs,
    };
  }

  private async runLocked(): Promise<RunResult> {
    const before = await this.images();
    const slotConfig = await this.platform.config(this.slot);
    this.healthPath = this.inputs.healthPath ?? slotConfig.healthCheckPath ?? '/';
    switch (this.inputs.action) {
      case 'ramp':
        return this.ramp(before);
      case 'rollback':
        return this.rollback(before);
      default:
        return this.deployAndSwap(before);
    }
  }

  // ---- deploy, swap, release ----

  private async deployAndSwap(before: { target?: string; slot?: string }): Promise<RunResult> {
    const action = this.inputs.action;
    const image = action === 'swap' ? before.slot : this.inputs.image;
    if (!image)
      throw new ActionError(`Slot ${this.slot} of ${this.inputs.appName} runs no container image to swap.`);
    let snapshot: SlotSnapshot | undefined;
    try {
      if (action !== 'swap') {
        snapshot = await this.phase(
          'deploy',
          () => this.deploySlot(image),
          () => `${this.slot} → ${image}`,
        );
        await this.phase(
          'wait healthy',
          () => this.waitSlotHealthy(image, this.slot, this.urls.slot!, snapshot?.replaced),
          (n) => n,
        );
      }
      if (action !== 'deploy') {
        await this.phase(
          this.inputs.swapMode === 'preview' ? 'swap (preview)' : 'swap',
          async () => {
            // Pending first: a run killed between the swap and the record still tells rollback what
            // the target served before this release.
            await this.writeRecord({ pendingImage: image, pendingPreviousImage: before.target });
            this.pendingWritten = true;
            await this.swapIntoTarget(image);
          },
          () => `${this.slot} ⇄ ${this.target}`,
        );
        await this.phase(
          'verify',
          () => this.verifyTarget(image),
          (n) => n,
        );
        await this.phase('record', () => this.recordRelease(before.target, image));
      }
    } catch (error) {
      const failure = error instanceof Failure ? error : new Failure('release', errorMessage(error));
      return this.recover(failure, before, image, snapshot);
    }
    const after = await this.images();
    const message =
      action === 'deploy'
        ? `Deployed ${image} to slot ${this.slot} of ${this.inputs.appName}; every instance is healthy on ${this.healthPath}.`
        : `Released ${image} to ${this.target} of ${this.inputs.appName} (it served ${before.target ?? 'no container'}); slot ${this.slot} now holds ${after.slot ?? 'no container'}.`;
    return this.result(true, message, {
      image,
      ...((action === 'deploy' ? before.slot : before.target)
        ? { previousImage: (action === 'deploy' ? before.slot : before.target)! }
        : {}),
      before,
      after,
    });
  }

  private async deploySlot(image: string): Promise<SlotSnapshot> {
    const { platform, inputs } = this;
    const [config, settings, instances] = await Promise.all([
      platform.config(this.slot),
      platform.appSettings(this.slot),
      platform.instances(this.slot),
    ]);
    const snapshot: SlotSnapshot = {
      linuxFxVersion: config.linuxFxVersion ?? null,
      healthCheckPath: config.healthCheckPath ?? null,
      settings,
      replaced: [],
    };
    if (inputs.stickySettings.length > 0) {
      const names = await platform.stickyNames();
      const missing = inputs.stickySettings.filter((n) => !names.includes(n));
      if (missing.length > 0) {
        await platform.updateStickyNames([...names, ...missing]);
        this.deps.log(`Slot settings (sticky) added: ${missing.join(', ')}`);
      }
    }
    const next: Record<string, string> = { ...settings };
    if (inputs.registry) {
      next['DOCKER_REGISTRY_SERVER_URL'] = inputs.registry.server;
      next['DOCKER_REGISTRY_SERVER_USERNAME'] = inputs.registry.username;
      next['DOCKER_REGISTRY_SERVER_PASSWORD'] = inputs.registry.password;
    }
    for (const [name, setting] of Object.entries(inputs.appSettings)) next[name] = setting.value;
    const changed = Object.keys(next).filter((k) => next[k] !== settings[k]);
    // Changing the image, settings or health path restarts the app: probes must not be answered by the
    // instances that served before.
    if (
      changed.length > 0 ||
      imageOf(config.linuxFxVersion) !== image ||
      (inputs.healthPath !== undefined && inputs.healthPath !== config.healthCheckPath)
    )
      snapshot.replaced = instances.map((i) => i.name);
    if (changed.length > 0) {
      await platform.updateAppSettings(this.slot, next);
      this.deps.log(`App settings set on ${this.slot}: ${changed.sort().join(', ')}`);
    }
    await platform.updateConfig(this.slot, {
      linuxFxVersion: `DOCKER|${image}`,
      ...(inputs.healthPath ? { healthCheckPath: inputs.healthPath } : {}),
    });
    return snapshot;
  }

  /** Wait until the slot's config shows `image`, every instance is ready and the health path answers. */
  private async waitSlotHealthy(
    image: string,
    label = this.slot,
    url = this.urls.slot!,
    replaced: readonly string[] = [],
  ): Promise<string> {
    const { platform, inputs, deps } = this;
    const deadline = deps.clock.now() + inputs.healthTimeoutMs;
    const shown = imageOf((await platform.config(label)).linuxFxVersion);
    if (shown !== image) throw new CheckFailedError(`${label} runs ${shown ?? 'no container'}, not ${image}`);
    let instances = await platform.instances(label);
    if (replaced.length > 0) {
      // Where a restart replaces instances (new containers get new names), wait until none of the old
      // ones is left. Where names are stable (App Service workers), nothing changes: go on after a grace
      // period, which covers the restart itself.
      const graceEnd = deps.clock.now() + Math.min(30_000, inputs.healthTimeoutMs / 2);
      const old = new Set(replaced);
      while (instances.some((i) => old.has(i.name)) && deps.clock.now() < graceEnd) {
        await this.sleep(deps.probeIntervalMs ?? 500);
        instances = await platform.instances(label);
      }
    }
    while (instances.some((i) => i.state && !READY.test(i.state))) {
      if (deps.clock.now() >= deadline)
        throw new TimeoutError(
          `instances of ${label} not ready after ${formatDuration(inputs.healthTimeoutMs)}: ${instances.map((i) => `${i.name.slice(0, 12)} ${i.state}`).join(', ')}`,
        );
      await this.sleep(deps.probeIntervalMs ?? 500);
      instances = await platform.instances(label);
    }
    const consecutive = Math.max(2, 2 * instances.length);
    const outcome = await waitHealthy(`${url}${this.healthPath}`, {
      accept: inputs.healthStatuses,
      consecutive,
      intervalMs: deps.probeIntervalMs ?? 500,
      timeoutMs: Math.max(0, deadline - deps.clock.now()),
      probe: this.probe,
      clock: this.healthClock,
    });
    if (!outcome.healthy)
      throw new TimeoutError(
        `${label} did not become healthy in ${formatDuration(inputs.healthTimeoutMs)} (health-timeout): ${this.healthPath} last answered ${outcome.last}, expected ${inputs.healthStatusesText} ${consecutive} times in a row`,
      );
    // The explicit final check: the slot still runs what we deployed (nobody changed it while we waited).
    const final = imageOf((await platform.config(label)).linuxFxVersion);
    if (final !== image)
      throw new CheckFailedError(`${label} changed to ${final ?? 'no container'} while waiting`);
    return `${instances.length} instance(s) ready, ${outcome.probes} probe(s) of ${this.healthPath}`;
  }

  private async swapIntoTarget(image: string): Promise<void> {
    const { platform } = this;
    if (this.inputs.swapMode === 'preview') {
      await platform.applySlotConfig(this.slot, this.target);
      this.deps.log(
        `Applied ${this.target}'s slot settings to ${this.slot}; verifying before completing the swap.`,
      );
      try {
        await this.waitSlotHealthy(image);
      } catch (error) {
        await platform.resetSlotConfig(this.slot);
        this.deps.log(`Swap with preview cancelled: ${this.slot}'s own settings restored (resetSlotConfig).`);
        throw error;
      }
    }
    try {
      await platform.swap(this.slot, this.target);
    } catch (error) {
      if (this.inputs.swapMode === 'preview') {
        await platform
          .resetSlotConfig(this.slot)
          .then(() => this.deps.log(`Swap with preview cancelled: resetSlotConfig on ${this.slot}.`))
          .catch((e) => this.deps.warn(`resetSlotConfig failed: ${errorMessage(e)}`));
      }
      throw error;
    }
    const now = imageOf((await platform.config(this.target)).linuxFxVersion);
    if (now !== image)
      throw new CheckFailedError(
        `the swap reported success but ${this.target} runs ${now ?? 'no container'}, not ${image}`,
      );
    this.swapped = true;
  }

  private async verifyTarget(image: string, label = this.target): Promise<string> {
    const { platform, inputs, deps } = this;
    const shown = imageOf((await platform.config(label)).linuxFxVersion);
    if (shown !== image) throw new CheckFailedError(`${label} runs ${shown ?? 'no container'}, not ${image}`);
    const instances = await platform.instances(label);
    const count = Math.max(3, 2 * instances.length);
    const outcome = await verifyStrict(`${this.urls.target}${this.healthPath}`, {
      accept: inputs.healthStatuses,
      count,
      intervalMs: deps.verifyIntervalMs ?? 250,
      probe: this.probe,
      clock: this.healthClock,
    });
    if (!outcome.healthy)
      throw new CheckFailedError(
        `${label} failed verification: ${this.healthPath} answered ${outcome.last} on probe ${outcome.probes} of ${count}, expected ${inputs.healthStatusesText}`,
      );
    return `${count} probes of ${this.healthPath} answered ${inputs.healthStatusesText}`;
  }

  /** Write record fields through the Tags API: values merged, undefined fields deleted; other tags stay. */
  private async writeRecord(record: DeploymentRecord): Promise<void> {
    const { merge, remove } = recordPatch(this.target, record);
    if (Object.keys(merge).length > 0) await this.platform.mergeTags(merge);
    if (Object.keys(remove).length > 0) await this.platform.deleteTags(remove);
  }

  private async recordRelease(targetBefore: string | undefined, image: string): Promise<void> {
    const tags = await this.platform.tags();
    await this.writeRecord(
      recordAfterRelease(readRecord(tags, this.target), targetBefore, image, new Date(this.deps.clock.now())),
    );
    await this.removeRampRule('the slot now holds the previous release');
  }

  /** A ramp rule left after a swap would send users to the old release now in the slot. */
  private async removeRampRule(why: string): Promise<void> {
    if (this.target.toLowerCase() !== 'production') return;
    const config = await this.platform.config('production');
    const rules = config.experiments?.rampUpRules ?? [];
    const kept = rules.filter((r) => r.name.toLowerCase() !== this.slot.toLowerCase());
    if (kept.length === rules.length) return;
    await this.platform.updateConfig('production', { experiments: { rampUpRules: kept } });
    this.deps.log(`Removed the traffic routing rule for ${this.slot} (${why}).`);
  }

  /**
   * Bring the target back to what it served before the run, deciding from what ARM shows now. A 409
   * (an operation still running on the site) is waited out: acting on a half-known state is worse.
   */
  private async recover(
    failure: Failure,
    before: { target?: string; slot?: string },
    image: string,
    snapshot: SlotSnapshot | undefined,
  ): Promise<RunResult> {
    const action = this.inputs.action;
    const what = this.cancelled
      ? `${action} ${this.cancelReason} in ${failure.phase}`
      : `${action} failed in ${failure.phase}: ${failure.message.split('\n')[0]}`;
    this.enterGrace();
    if (!this.inputs.rollbackOnFailure) {
      const now = await this.images().catch(() => ({}) as { target?: string; slot?: string });
      return this.result(
        false,
        `${what}. rollback-on-failure is false: ${this.target} serves ${now.target ?? 'unknown'}, slot ${this.slot} holds ${now.slot ?? 'unknown'}.`,
        { image, ...(before.target ? { previousImage: before.target } : {}), before, after: now },
      );
    }
    try {
      await this.phase(
        'rollback',
        async () => {
          const plan = await this.withConflictRetry(async () => {
            const slotSite = await this.platform.site(this.slot);
            if (slotSite.properties.targetSwapSlot) await this.platform.resetSlotConfig(this.slot);
            const now = await this.images();
            return planRecovery({ targetBefore: before.target, targetNow: now.target, slotNow: now.slot });
          });
          if (plan.kind === 'restore-slot') {
            if (snapshot) {
              await this.withConflictRetry(async () => {
                await this.platform.updateAppSettings(this.slot, snapshot.settings);
                await this.platform.updateConfig(this.slot, {
                  linuxFxVersion: snapshot.linuxFxVersion ?? '',
                  ...(snapshot.healthCheckPath ? { healthCheckPath: snapshot.healthCheckPath } : {}),
                });
              });
              this.deps.log(
                `${this.target} was not changed; slot ${this.slot} restored to ${imageOf(snapshot.linuxFxVersion) ?? 'its previous config'}.`,
              );
            } else this.deps.log(`${this.target} was not changed; nothing to undo.`);
          } else if (plan.kind === 'swap-back') {
            await this.withConflictRetry(() => this.platform.swap(this.slot, this.target));
            // Waiting, not strict verification: the old release is known good, and instances the failed
            // release left behind may still answer errors for a moment after the switch.
            await this.waitSlotHealthy(plan.image, this.target, this.urls.target!);
            await this.removeRampRule('rolled back');
          } else {
            await this.withConflictRetry(() =>
              this.platform.updateConfig(this.target, { linuxFxVersion: `DOCKER|${plan.image}` }),
            );
            await this.waitSlotHealthy(plan.image, this.target, this.urls.target!);
            await this.removeRampRule('rolled back');
          }
          // The target is back on what it served before: this release is no longer pending.
          if (this.pendingWritten)
            await this.writeRecord({ pendingImage: undefined, pendingPreviousImage: undefined });
          this.rolledBack = true;
          return plan.kind;
        },
        (kind) => kind,
      );
    } catch (error) {
      const now = await this.images().catch(() => ({}) as { target?: string; slot?: string });
      return this.result(
        false,
        `${what}. Rollback failed too (${errorMessage(error).split('\n')[0]}): ${this.target} serves ${now.target ?? 'unknown'} (it served ${before.target ?? 'no container'} before), slot ${this.slot} holds ${now.slot ?? 'unknown'}.`,
        { image, ...(before.target ? { previousImage: before.target } : {}), before, after: now },
      );
    }
    const now = await this.images();
    return this.result(
      false,
      `${what}. Rolled back: ${this.target} serves ${now.target ?? 'no container'}${now.target === before.target ? ' as before the run' : ''}; slot ${this.slot} holds ${now.slot ?? 'no container'}.`,
      { image, ...(before.target ? { previousImage: before.target } : {}), before, after: now },
    );
  }

  private async withConflictRetry<T>(work: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
    const deadline = this.deps.clock.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof ArmError && error.status === 409) || this.deps.clock.now() >= deadline)
          throw error;
        this.deps.log(`Another operation is running on ${this.inputs.appName} (409); retrying.`);
        await this.sleep(Math.min(5_000, 500 * attempt));
      }
    }
  }

  // ---- ramp ----

  private async ramp(before: { target?: string; slot?: string }): Promise<RunResult> {
    const percentage = this.inputs.percentage ?? 0;
    if (this.target.toLowerCase() !== 'production')
      throw new ActionError(
        'Traffic routing applies to production only: leave target-slot at production for ramp.',
      );
    if (percentage > 0 && before.slot) {
      await this.phase(
        'wait healthy',
        () => this.waitSlotHealthy(before.slot!),
        (n) => n,
      );
    }
    await this.phase(
      'ramp',
      async () => {
        const slotSite = await this.platform.site(this.slot);
        const config = await this.platform.config('production');
        const rules = (config.experiments?.rampUpRules ?? []).filter(
          (r) => r.name.toLowerCase() !== this.slot.toLowerCase(),
        );
        const rule: RampUpRule = {
          name: this.slot,
          actionHostName: slotSite.properties.defaultHostName!,
          reroutePercentage: percentage,
        };
        const next = percentage > 0 ? [...rules, rule] : rules;
        await this.platform.updateConfig('production', { experiments: { rampUpRules: next } });
        const shown = (await this.platform.config('production')).experiments?.rampUpRules ?? [];
        const mine = shown.find((r) => r.name.toLowerCase() === this.slot.toLowerCase());
        if ((mine?.reroutePercentage ?? 0) !== percentage)
          throw new CheckFailedError(
            `production routes ${mine?.reroutePercentage ?? 0}% to ${this.slot} after the update, not ${percentage}%`,
          );
      },
      () => `${percentage}% of production traffic → ${this.slot}`,
    );
    return this.result(
      true,
      percentage > 0
        ? `${percentage}% of ${this.inputs.appName}'s production traffic now goes to slot ${this.slot} (${before.slot ?? 'no container'}).`
        : `All of ${this.inputs.appName}'s production traffic goes to production (${before.target ?? 'no container'}); the rule for ${this.slot} is removed.`,
      {
        ...(before.slot ? { image: before.slot } : {}),
        ...(before.target ? { previousImage: before.target } : {}),
        before,
        after: before,
      },
    );
  }

  // ---- rollback ----

  private async rollback(before: { target?: string; slot?: string }): Promise<RunResult> {
    const record = readRecord(await this.platform.tags(), this.target);
    const plan = planRollback({ record, targetImage: before.target, slotImage: before.slot });
    if (plan.kind === 'no-record')
      throw new ActionError(
        `No deployment record on ${this.inputs.appName} for ${this.target}: slotline has not released to it, so there is no previous image to restore.`,
      );
    if (plan.kind === 'unknown-current')
      throw new ActionError(
        `${this.target} of ${this.inputs.appName} serves ${plan.targetImage ?? 'no container'}, which slotline's record does not name (${plan.known.join(', ')}): it was changed outside slotline, so rollback will not guess what came before. Nothing was changed; deploy the image you want with action: release.`,
      );
    if (plan.kind !== 'already') {
      const refused = refuseRecordImage(plan.image, {
        productionImage: before.target,
        allowedRegistries: this.inputs.allowedRegistries,
      });
      if (refused)
        throw new ActionError(
          `Refusing to roll back ${this.inputs.appName} to the image the deployment record names: ${refused}. Nothing was changed; ${this.target} serves ${before.target ?? 'no container'}.`,
        );
    }
    await this.phase(
      'rollback',
      async () => {
        if (plan.kind === 'swap-back') {
          await this.platform.swap(this.slot, this.target);
          await this.waitSlotHealthy(plan.image, this.target, this.urls.target!);
        } else if (plan.kind === 'redeploy') {
          await this.platform.updateConfig(this.target, { linuxFxVersion: `DOCKER|${plan.image}` });
          await this.waitSlotHealthy(plan.image, this.target, this.urls.target!);
        }
        if (plan.kind !== 'already') {
          await this.removeRampRule('rolled back');
          const current = readRecord(await this.platform.tags(), this.target);
          await this.writeRecord(
            recordAfterRollback(current, plan.image, before.target, new Date(this.deps.clock.now())),
          );
        }
      },
      () => plan.kind,
    );
    this.rolledBack = true;
    const after = await this.images();
    const how = {
      already: `${this.target} already serves ${plan.image}; nothing to do`,
      'swap-back': `swapped ${plan.image} back from slot ${this.slot}`,
      redeploy: `redeployed ${plan.image} on ${this.target} (the slot had been redeployed)`,
    }[plan.kind];
    return this.result(
      true,
      `Rolled back ${this.inputs.appName}: ${how}. ${this.target} serves ${after.target}.`,
      {
        ...(after.target ? { image: after.target } : {}),
        ...(before.target ? { previousImage: before.target } : {}),
        before,
        after,
      },
    );
  }
}
