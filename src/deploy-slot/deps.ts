import type { Env } from '../lib/inputs.js';
import type { SignalSource } from '../lib/runner/cancellation.js';
import type { GitHubRequest, GitHubRun } from './github-deployment.js';
import type { DeploySlotInputs } from './inputs.js';
import type { Platform } from './platform.js';

/**
 * What a deploy-slot run is given rather than reaching for: the platform, the health probe, time, the
 * log and the cancellation signal. main.ts wires them to ARM, HTTP and timers; the unit tests wire them
 * to an in-memory platform and a virtual clock (__tests__/helpers/memory-platform.ts, clock.ts).
 */

/** A probe of the health path; `signal` aborts it (the run was cancelled). */
export type CancellableProbe = (
  url: string,
  signal?: AbortSignal,
) => Promise<{ status?: number; error?: string }>;

/** Time, and pauses that end early (rejecting) when `signal` aborts. */
interface RunClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The platform whose every call `signal` aborts (the run's cancellation, or a bounded recovery signal). */
type PlatformFactory = (signal: AbortSignal | undefined) => Platform;

export interface RunDeps {
  platformFor: PlatformFactory;
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

/** Health probes over one connection pool; `close` ends the pool, dropping open probes when `abandon`. */
interface Prober {
  probe: CancellableProbe;
  close(abandon: boolean): Promise<void>;
}

/** Where a run's time went: waiting on Azure, on the app's health endpoint, and in deliberate pauses. */
export interface TimeSpent {
  azure: { ms: number };
  probes: number;
  waits: number;
}

/**
 * What the action's entry (main.ts `run(env, deps)`) is given: where signals come from, time, the lease
 * nonce, and how to reach Azure and the app. default-deps.ts wires them to the real thing.
 */
export interface ActionDeps {
  /** Where SIGINT/SIGTERM come from (the process). */
  signals: SignalSource;
  clock: RunClock;
  /** A fresh nonce for this run's lease. */
  newNonce(): string;
  /** Sign in to Azure with the inputs and return the platform over ARM, one per abort signal. */
  connect(inputs: DeploySlotInputs, env: Env): Promise<PlatformFactory>;
  openProber(): Promise<Prober>;
  /**
   * GitHub's REST API with `token` at GITHUB_API_URL, and the run to record (or why there is none), for
   * github-token (github-deployment.ts).
   */
  openGitHub(token: string, env: Env): Promise<{ request: GitHubRequest; run: GitHubRun | string }>;
  /** Added to by the clock, the prober and the platform, for the debug log and the benchmark. */
  spent: TimeSpent;
}
