import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, posix, relative, sep } from 'node:path';
import { CancelledError } from '../lib/cancellation.js';
import { mapLimit } from '../lib/concurrency.js';
import { formatDuration } from '../lib/duration.js';
import { ActionError, errorMessage } from '../lib/errors.js';
import type { Exec } from '../lib/exec.js';
import { scrubbedEnv } from '../lib/exec.js';
import type { Env } from '../lib/inputs.js';
import type { Which } from '../lib/which.js';
import { trustedPathEntries } from '../lib/which.js';
import type { AllowlistEntry } from './allowlist.js';
import { gitFileList, gitRunner } from './files.js';
import {
  type Finding,
  type FingerprintedFinding,
  type RequireScanners,
  SCANNER_NAMES,
  type ScannerName,
} from './findings.js';
import { fingerprintFindings } from './fingerprint.js';
import { inventoryFromList, takeInventory } from './inventory.js';
import { applyPolicy, type FailOn, type PolicyResult } from './policy.js';
import { type MergeResult, mergeSarif, type ScannerRun } from './sarif.js';
import { locateScanners, SCANNERS, type Selection, selectScanners } from './scanners.js';
import { atOrAbove, type Severity } from './severity.js';

export interface ScanOptions {
  /** Absolute folder to scan. */
  root: string;
  /** Absolute repository root: SARIF paths are relative to it, as GitHub resolves them. */
  repoRoot: string;
  scanners: 'auto' | readonly ScannerName[];
  /** Which scanners the content needs must be installed (default: bandit and shellcheck). */
  requireScanners?: RequireScanners;
  image?: string;
  failOn: FailOn;
  reportOn: Severity;
  allowlist: readonly AllowlistEntry[];
  categoryPrefix: string;
  /** The whole scan's time budget (default DEFAULT_SCAN_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Scanners running at once. */
  concurrency?: number;
}

export interface ScanDeps {
  exec: Exec;
  which: Which;
  /** YYYY-MM-DD (UTC), for allowlist expiry. */
  today: string;
  now: () => number;
  log: (line: string) => void;
  /** The runner's environment, from which the scanners' scrubbed one is made (default process.env). */
  env?: Env;
  /** Cancellation (SIGINT/SIGTERM): running scanners are killed and the scan rejects. */
  signal?: AbortSignal;
}

export interface ScannerReport {
  name: ScannerName;
  toolName: string;
  version?: string;
  findings: number;
  scannerMs: number;
  wallMs: number;
  notes: string[];
  error?: string;
}

export interface ScanReport {
  selection: Selection;
  scanners: ScannerReport[];
  /** Scanners that crashed or printed something unreadable: the run fails whatever the findings. */
  failures: ScannerReport[];
  findings: FingerprintedFinding[];
  policy: PolicyResult;
  sarif: MergeResult;
  timings: { totalMs: number; scanPhaseMs: number; scannerMs: number };
}

function toRepoPath(finding: Finding, prefix: string): Finding {
  if (prefix === '' || isAbsolute(finding.location.path)) return finding;
  return { ...finding, location: { ...finding.location, path: posix.join(prefix, finding.location.path) } };
}

/** Reads source lines for fingerprints, each file once. */
function lineReader(files: Map<string, string[] | undefined>) {
  return (path: string, line: number): string | undefined => files.get(path)?.[line - 1];
}

/** The scan's whole time budget when none is given (the `timeout` input's default). */
export const DEFAULT_SCAN_TIMEOUT_MS = 10 * 60_000;

/** The scan's time budget ran out; the message names what was still running, longest first. */
export class ScanTimeoutError extends ActionError {}

/**
 * Settle with `work`, or reject when the budget runs out or `cancel` fires, stopping whatever is
 * still running first (`stop` aborts the scanners' signal, which kills their process groups).
 */
function withinBudget<T>(
  work: Promise<T>,
  budgetMs: number,
  describeRunning: () => string,
  stop: () => void,
  cancel: AbortSignal | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new ScanTimeoutError(
          `the scan did not finish within timeout ${formatDuration(budgetMs)}; still running: ${describeRunning()}`,
        ),
      );
      stop();
    }, budgetMs);
    const onCancel = (): void => {
      const reason = cancel?.reason instanceof CancelledError ? cancel.reason.message : 'cancelled';
      reject(new ActionError(`${reason} while running ${describeRunning()}; stopped it`));
      stop();
    };
    if (cancel?.aborted) onCancel();
    cancel?.addEventListener('abort', onCancel, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
    });
  });
}

/**
 * The whole scan, with every side effect but file reads injected: choose scanners, run them, normalise,
 * fingerprint, apply the allowlist and severity policy, merge one SARIF log. Writing outputs is main's job.
 * The `timeoutMs` budget covers all of it.
 */
export async function securityScan(opts: ScanOptions, deps: ScanDeps): Promise<ScanReport> {
  const budgetMs = opts.timeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS;
  const controller = new AbortController();
  const signal = deps.signal ? AbortSignal.any([controller.signal, deps.signal]) : controller.signal;
  /** What is running now and since when: named, longest first, when the budget runs out. */
  const running = new Map<string, number>();
  const describeRunning = (): string => {
    const now = deps.now();
    const items = [...running].sort((a, b) => a[1] - b[1]);
    return items.length === 0
      ? 'nothing (finishing the report)'
      : items.map(([name, since]) => `${name} (${((now - since) / 1000).toFixed(1)}s)`).join(', ');
  };
  const tmpDir = await mkdtemp(join(tmpdir(), 'slotline-security-'));
  try {
    return await withinBudget(
      scanAll(opts, deps, { tmpDir, signal, running, timeoutMs: budgetMs }),
      budgetMs,
      describeRunning,
      () => controller.abort(),
      deps.signal,
    );
  } finally {
    controller.abort();
    await rm(tmpDir, { recursive: true, force: true });
  }
}

async function scanAll(
  opts: ScanOptions,
  deps: ScanDeps,
  run: { tmpDir: string; signal: AbortSignal; running: Map<string, number>; timeoutMs: number },
): Promise<ScanReport> {
  const { tmpDir, signal, running } = run;
  const started = deps.now();
  const sourceEnv = deps.env ?? process.env;
  const home = join(tmpDir, 'home');
  const scannerTmp = join(tmpDir, 'tmp');
  await mkdir(home);
  await mkdir(scannerTmp);
  const untrusted = [opts.root, opts.repoRoot];
  const env = scrubbedEnv(sourceEnv, {
    path: trustedPathEntries(sourceEnv['PATH'], untrusted).join(delimiter),
    home,
    tmp: scannerTmp,
  });

  running.set('listing files', deps.now());
  const gitBinary = await deps.which('git');
  const listed = gitBinary
    ? await gitFileList(gitRunner(deps.exec, gitBinary, env, signal), opts.root)
    : undefined;
  const inventory = listed
    ? await inventoryFromList(opts.root, listed.files, listed.ignored)
    : await takeInventory(opts.root);
  running.delete('listing files');
  deps.log(
    listed
      ? `Scanning ${inventory.fileCount} file(s) git tracks or would track (ignored files are left out)`
      : `Not a git work tree: scanning ${inventory.fileCount} file(s) found by walking ${opts.root}`,
  );
  if (inventory.capped)
    deps.log(`Stopped listing files at ${inventory.fileCount - 1}; content detection is partial.`);
  const available = await locateScanners(deps.which, opts.root, SCANNER_NAMES);
  const selection = selectScanners({
    requested: opts.scanners,
    inventory,
    available: new Set(available.keys()),
    image: opts.image,
    ...(opts.requireScanners !== undefined ? { required: opts.requireScanners } : {}),
  });
  for (const name of selection.run) deps.log(`Running ${name} (${available.get(name)})`);
  for (const { name, reason } of selection.skipped) deps.log(`Skipping ${name}: ${reason}`);
  for (const { name, reason } of selection.notRun) deps.log(`Not running ${name}: ${reason}`);

  const prefixRaw = relative(opts.repoRoot, opts.root).split(sep).join('/');
  const prefix = prefixRaw.startsWith('..') ? '' : prefixRaw;
  const scanStarted = deps.now();
  const outcomes = await mapLimit(selection.run, opts.concurrency ?? 2, async (name) => {
    const spec = SCANNERS[name];
    const t0 = deps.now();
    running.set(name, t0);
    const report: ScannerReport = {
      name,
      toolName: spec.toolName,
      findings: 0,
      scannerMs: 0,
      wallMs: 0,
      notes: [],
    };
    try {
      const outcome = await spec.run(available.get(name), {
        root: opts.root,
        inventory,
        image: opts.image,
        exec: deps.exec,
        tmpDir,
        timeoutMs: run.timeoutMs,
        env,
        signal,
      });
      Object.assign(report, {
        version: outcome.version,
        findings: outcome.findings.length,
        scannerMs: outcome.scannerMs,
        notes: outcome.notes,
      });
      return { report, findings: outcome.findings.map((f) => toRepoPath(f, prefix)) };
    } catch (error) {
      report.error = errorMessage(error).split('\n')[0];
      return { report, findings: [] as Finding[] };
    } finally {
      running.delete(name);
      report.wallMs = deps.now() - t0;
    }
  });
  const scanPhaseMs = deps.now() - scanStarted;

  const findings = outcomes.flatMap((o) => o.findings);
  const files = new Map<string, string[] | undefined>();
  for (const path of new Set(findings.filter((f) => f.identity === undefined).map((f) => f.location.path))) {
    const text = await readFile(join(opts.repoRoot, path), 'utf8').catch(() => undefined);
    files.set(path, text?.split(/\r?\n/));
  }
  const fingerprinted = fingerprintFindings(findings, lineReader(files));
  const policy = applyPolicy(fingerprinted, opts.allowlist, {
    failOn: opts.failOn,
    reportOn: opts.reportOn,
    today: deps.today,
  });
  const succeeded = outcomes.filter((o) => o.report.error === undefined).map((o) => o.report);
  const runs: ScannerRun[] = succeeded.map((r) => ({
    tool: r.name,
    toolName: r.toolName,
    version: r.version,
  }));
  const sarif = mergeSarif({
    scanners: runs,
    findings: policy.reported,
    suppressed: policy.suppressed.filter((s) => atOrAbove(s.finding.severity, opts.reportOn)),
    categoryPrefix: opts.categoryPrefix,
  });
  return {
    selection,
    scanners: outcomes.map((o) => o.report),
    failures: outcomes.filter((o) => o.report.error !== undefined).map((o) => o.report),
    findings: fingerprinted,
    policy,
    sarif,
    timings: {
      totalMs: deps.now() - started,
      scanPhaseMs,
      scannerMs: outcomes.reduce((sum, o) => sum + o.report.scannerMs, 0),
    },
  };
}
