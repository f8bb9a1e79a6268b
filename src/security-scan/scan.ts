import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { mapLimit } from '../lib/concurrency.js';
import { errorMessage } from '../lib/errors.js';
import type { AllowlistEntry } from './allowlist.js';
import type { Exec, Which } from './exec.js';
import { type Finding, type FingerprintedFinding, SCANNER_NAMES, type ScannerName } from './findings.js';
import { fingerprintFindings } from './fingerprint.js';
import { takeInventory } from './inventory.js';
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
  image?: string;
  failOn: FailOn;
  reportOn: Severity;
  allowlist: readonly AllowlistEntry[];
  categoryPrefix: string;
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

/**
 * The whole scan, with every side effect but file reads injected: choose scanners, run them, normalise,
 * fingerprint, apply the allowlist and severity policy, merge one SARIF log. Writing outputs is main's job.
 */
export async function securityScan(opts: ScanOptions, deps: ScanDeps): Promise<ScanReport> {
  const started = deps.now();
  const inventory = await takeInventory(opts.root);
  if (inventory.capped)
    deps.log(`Stopped listing files at ${inventory.fileCount - 1}; content detection is partial.`);
  const available = await locateScanners(deps.which, opts.root, SCANNER_NAMES);
  const selection = selectScanners({
    requested: opts.scanners,
    inventory,
    available: new Set(available.keys()),
    image: opts.image,
  });
  for (const name of selection.run) deps.log(`Running ${name} (${available.get(name)})`);
  for (const { name, reason } of selection.skipped) deps.log(`Skipping ${name}: ${reason}`);

  const prefixRaw = relative(opts.repoRoot, opts.root).split(sep).join('/');
  const prefix = prefixRaw.startsWith('..') ? '' : prefixRaw;
  const tmpDir = await mkdtemp(join(tmpdir(), 'slotline-security-'));
  const scanStarted = deps.now();
  let outcomes: { report: ScannerReport; findings: Finding[] }[];
  try {
    outcomes = await mapLimit(selection.run, opts.concurrency ?? 2, async (name) => {
      const spec = SCANNERS[name];
      const t0 = deps.now();
      const report: ScannerReport = {
        name,
        toolName: spec.toolName,
        findings: 0,
        scannerMs: 0,
        wallMs: 0,
        notes: [],
      };
      try {
        const outcome = await spec.run(available.get(name)!, {
          root: opts.root,
          inventory,
          image: opts.image,
          exec: deps.exec,
          tmpDir,
          timeoutMs: opts.timeoutMs ?? 20 * 60_000,
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
        return { report, findings: [] };
      } finally {
        report.wallMs = deps.now() - t0;
      }
    });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
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
