import { ArmError } from '../lib/azure/errors.js';
import type { RampUpRule } from '../lib/azure/web.js';
import type { Clock } from '../lib/backoff.js';
import { formatDuration } from '../lib/duration.js';
import { ActionError, CheckFailedError, errorMessage, TimeoutError } from '../lib/errors.js';
import { type Probe, verifyStrict, waitHealthy } from './health.js';
import type { DeploySlotInputs } from './inputs.js';
import { acquireLease, releaseLease } from './lease.js';
import type { Platform } from './platform.js';
import { imageOf, readRecord, writeRecord } from './record.js';
import { planRecovery, planRollback, recordAfterRelease, recordAfterRollback } from './rollback.js';

export interface PhaseRecord {
  name: string;
  startMs: number;
  durationMs: number;
  failed: boolean;
  detail?: string;
}

export interface RunDeps {
  platform: Platform;
  probe: Probe;
  clock: Clock;
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

  constructor(
    private readonly inputs: DeploySlotInputs,
    private readonly deps: RunDeps,
  ) {
    this.t0 = deps.clock.now();
    this.slot = inputs.slot;
    this.target = inputs.targetSlot;
  }

  private get platform(): Platform {
    return this.deps.platform;
  }

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
      this.phases.push({
        name,
        startMs: start - this.t0,
        durationMs: this.deps.clock.now() - start,
        failed: true,
        detail: errorMessage(error).split('\n')[0] ?? '',
      });
      this.deps.log(`✘ ${name}: ${errorMessage(error).split('\n')[0]}`);
      throw error instanceof Failure ? error : new Failure(name, errorMessage(error));
    }
  }

  async run(): Promise<RunResult> {
    const { platform } = this;
    const [slotSite, targetSite] = await Promise.all([platform.site(this.slot), platform.site(this.target)]);
    this.urls = {
      slot: `https://${slotSite.properties.defaultHostName}`,
      target: `https://${targetSite.properties.defaultHostName}`,
    };
    const ttlMs = Math.max(15 * 60_000, 3 * this.inputs.healthTimeoutMs + 10 * 60_000);
    const { lease } = await this.phase(
      'lock',
      async () => {
        const taken = await acquireLease(platform, this.inputs.appName, {
          holder: this.deps.holder,
          nonce: this.deps.nonce,
          ttlMs,
          waitMs: this.inputs.lockTimeoutMs,
          settleMs: this.deps.leaseSettleMs ?? 1_000,
          pollMs: this.deps.leasePollMs ?? 3_000,
          clock: this.deps.clock,
          log: this.deps.log,
        });
        this.lockWaitMs = taken.waitedMs;
        return taken;
      },
      (t) => `held until ${new Date(t.lease.expiresAt).toISOString()}`,
    );
    try {
      return await this.runLocked();
    } finally {
      await this.phase('unlock', () => releaseLease(platform, lease.nonce)).catch((error) =>
        this.deps.warn(`Could not release the lease (it expires by itself): ${errorMessage(error)}`),
      );
    }
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
          () => this.swapIntoTarget(image),
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
        await deps.clock.sleep(deps.probeIntervalMs ?? 500);
        instances = await platform.instances(label);
      }
    }
    while (instances.some((i) => i.state && !READY.test(i.state))) {
      if (deps.clock.now() >= deadline)
        throw new TimeoutError(
          `instances of ${label} not ready after ${formatDuration(inputs.healthTimeoutMs)}: ${instances.map((i) => `${i.name.slice(0, 12)} ${i.state}`).join(', ')}`,
        );
      await deps.clock.sleep(deps.probeIntervalMs ?? 500);
      instances = await platform.instances(label);
    }
    const consecutive = Math.max(2, 2 * instances.length);
    const outcome = await waitHealthy(`${url}${this.healthPath}`, {
      accept: inputs.healthStatuses,
      consecutive,
      intervalMs: deps.probeIntervalMs ?? 500,
      timeoutMs: Math.max(0, deadline - deps.clock.now()),
      probe: deps.probe,
      clock: deps.clock,
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
      probe: deps.probe,
      clock: deps.clock,
    });
    if (!outcome.healthy)
      throw new CheckFailedError(
        `${label} failed verification: ${this.healthPath} answered ${outcome.last} on probe ${outcome.probes} of ${count}, expected ${inputs.healthStatusesText}`,
      );
    return `${count} probes of ${this.healthPath} answered ${inputs.healthStatusesText}`;
  }

  private async updateRecord(
    update: (tags: Record<string, string>) => Record<string, string>,
  ): Promise<void> {
    const tags = { ...((await this.platform.site('production')).tags ?? {}) };
    await this.platform.updateTags(update(tags));
  }

  private async recordRelease(targetBefore: string | undefined, image: string): Promise<void> {
    await this.updateRecord((tags) =>
      writeRecord(
        tags,
        this.target,
        recordAfterRelease(
          readRecord(tags, this.target),
          targetBefore,
          image,
          new Date(this.deps.clock.now()),
        ),
      ),
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
    const what = `${action} failed in ${failure.phase}: ${failure.message.split('\n')[0]}`;
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
        await this.deps.clock.sleep(Math.min(5_000, 500 * attempt));
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
    const tags = (await this.platform.site('production')).tags ?? {};
    const record = readRecord(tags, this.target);
    const plan = planRollback({ record, targetImage: before.target, slotImage: before.slot });
    if (plan.kind === 'no-record')
      throw new ActionError(
        `No deployment record on ${this.inputs.appName} for ${this.target}: slotline has not released to it, so there is no previous image to restore.`,
      );
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
          await this.updateRecord((current) =>
            writeRecord(
              current,
              this.target,
              recordAfterRollback(
                readRecord(current, this.target),
                plan.image,
                before.target,
                new Date(this.deps.clock.now()),
              ),
            ),
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
