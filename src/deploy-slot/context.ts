import { CANCEL_GRACE_MS, CancelledError, throwIfCancelled } from '../lib/cancellation.js';
import { formatDuration } from '../lib/duration.js';
import { ActionError, errorMessage } from '../lib/errors.js';
import type { RunDeps } from './deps.js';
import type { DeploySlotInputs } from './inputs.js';
import { LeaseLostError } from './lease.js';
import type { Platform } from './platform.js';
import { imageOf } from './record.js';

/** Of the grace period after a cancel, this much is kept for releasing the lease; recovery gets the rest. */
const RELEASE_BUDGET_MS = 2_500;

export interface PhaseRecord {
  name: string;
  startMs: number;
  durationMs: number;
  failed: boolean;
  detail?: string;
}

/** The images the target and the slot run (from their linuxFxVersion), where they run one. */
export interface Images {
  target?: string;
  slot?: string;
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
  before: Images;
  after: Images;
  /** Time spent waiting for the lease held by another run. */
  lockWaitMs: number;
}

/** The slot as it was before `deploy` changed it: what recovery restores when the target was not touched. */
export interface SlotSnapshot {
  linuxFxVersion?: string | null;
  healthCheckPath?: string | null;
  settings: Record<string, string>;
  /** Instances serving before the change, when the change restarts the app: they must be gone first. */
  replaced: string[];
}

/** A phase failed: recovery names the phase. */
export class Failure extends ActionError {
  constructor(
    readonly phase: string,
    message: string,
  ) {
    super(message);
  }
}

export function asFailure(error: unknown, phase = 'release'): Failure {
  return error instanceof Failure ? error : new Failure(phase, errorMessage(error));
}

/**
 * One run's state and machinery, shared by the modes and steps: the inputs and dependencies, the phase
 * log for the summary, what the run has done (swapped, rolled back, wrote a pending record), and which
 * signal aborts calls now: the run's cancellation signal, then (after a cancel) a bounded recovery one.
 */
export class RunContext {
  readonly phases: PhaseRecord[] = [];
  readonly t0: number;
  readonly slot: string;
  readonly target: string;
  swapped = false;
  rolledBack = false;
  lockWaitMs = 0;
  healthPath = '/';
  urls: { slot?: string; target?: string } = {};
  /** This run wrote a pending record (so recovery may clear it; nobody else's is touched). */
  pendingWritten = false;
  /** Aborted when the lease is lost: every call and wait of the run stops, as on a cancel. */
  private readonly fence = new AbortController();
  /** The runner's cancellation or the fence, whichever comes first. */
  private readonly runSignal: AbortSignal;
  private active: AbortSignal;
  private readonly platforms = new Map<AbortSignal | undefined, Platform>();

  constructor(
    readonly inputs: DeploySlotInputs,
    readonly deps: RunDeps,
  ) {
    this.t0 = deps.clock.now();
    this.slot = inputs.slot;
    this.target = inputs.targetSlot;
    this.runSignal = deps.signal ? AbortSignal.any([deps.signal, this.fence.signal]) : this.fence.signal;
    this.active = this.runSignal;
  }

  platformFor(signal: AbortSignal | undefined): Platform {
    let platform = this.platforms.get(signal);
    if (!platform) {
      platform = this.deps.platformFor(signal);
      this.platforms.set(signal, platform);
    }
    return platform;
  }

  /** The platform whose calls the active signal aborts. */
  get platform(): Platform {
    return this.platformFor(this.active);
  }

  get cancelled(): boolean {
    return this.deps.signal?.aborted === true;
  }

  /** Why the run lost its lease, once it has: then it must change nothing more (the app is another run's). */
  get leaseLost(): LeaseLostError | undefined {
    const reason = this.fence.signal.reason;
    return this.fence.signal.aborted && reason instanceof LeaseLostError ? reason : undefined;
  }

  /** Stop the run now: its calls and waits abort, and recovery stands down (see stoppedWithoutLease). */
  loseLease(error: LeaseLostError): void {
    if (this.fence.signal.aborted) return;
    this.deps.warn(`Stopping: ${error.message}.`);
    this.fence.abort(error);
  }

  /** `cancelled by SIGTERM`. */
  get cancelReason(): string {
    const reason = this.deps.signal?.reason;
    return reason instanceof CancelledError ? reason.message : 'cancelled';
  }

  /**
   * After a cancel, switch to a fresh signal bounded by the runner's grace period (less what releasing
   * the lease needs), so recovery can still read ARM state and act on it.
   */
  enterGrace(): void {
    if (!this.cancelled || this.active !== this.runSignal) return;
    this.active = AbortSignal.timeout(
      Math.max(1_000, (this.deps.graceMs ?? CANCEL_GRACE_MS) - RELEASE_BUDGET_MS),
    );
    this.deps.log(`Cancelled (${this.cancelReason}): recovering within the runner's grace period.`);
  }

  /** After a cancel or a lost lease, releasing the lease gets its own short budget, whatever recovery used. */
  enterReleaseBudget(): void {
    if (this.runSignal.aborted) this.active = AbortSignal.timeout(RELEASE_BUDGET_MS);
  }

  /**
   * The end of a run that lost its lease: it changes nothing more, not even a rollback, because the app is
   * another run's now (or nobody's) and undoing would fight that run. It reads what the slots serve, within
   * a short budget, and says so.
   */
  async stoppedWithoutLease(
    phase: string | undefined,
    fields: { image?: string; previousImage?: string; before?: Images },
  ): Promise<RunResult> {
    const lost = this.leaseLost!;
    if (this.active === this.runSignal) this.active = AbortSignal.timeout(RELEASE_BUDGET_MS);
    const now = await this.imagesOrUnknown();
    return this.result(
      false,
      `${this.inputs.action} stopped${phase ? ` in ${phase}` : ''}: ${lost.message}. It made no further change and rolled nothing back: ${this.target} serves ${now.target ?? 'unknown'}${fields.before?.target && fields.before.target !== now.target ? ` (${fields.before.target} before the run)` : ''}, slot ${this.slot} holds ${now.slot ?? 'unknown'}.`,
      { ...fields, before: fields.before ?? now, after: now },
    );
  }

  /** A pause that ends at once when the run is cancelled. */
  async sleep(ms: number): Promise<void> {
    throwIfCancelled(this.active);
    await this.deps.clock.sleep(ms, this.active);
    throwIfCancelled(this.active);
  }

  /** The clock the health waits use: their pauses end when the run is cancelled. */
  readonly healthClock = {
    now: () => this.deps.clock.now(),
    sleep: (ms: number) => this.sleep(ms),
  };

  readonly probe = (url: string) => this.deps.probe(url, this.active);

  /** Run one named phase: logged, timed and recorded for the summary; a failure names the phase. */
  async phase<T>(name: string, work: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
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
        this.runSignal.aborted && this.active === this.runSignal
          ? (this.leaseLost?.message ?? this.cancelReason)
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

  async images(): Promise<Images> {
    const [t, s] = await Promise.all([this.platform.config(this.target), this.platform.config(this.slot)]);
    const target = imageOf(t.linuxFxVersion);
    const slot = imageOf(s.linuxFxVersion);
    return { ...(target ? { target } : {}), ...(slot ? { slot } : {}) };
  }

  /** What the target and slot run now, or nothing known where ARM cannot say (a report, never a decision). */
  imagesOrUnknown(): Promise<Images> {
    return this.images().catch(() => ({}) as Images);
  }

  result(
    succeeded: boolean,
    message: string,
    fields: { image?: string; previousImage?: string; before: Images; after: Images },
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
}
