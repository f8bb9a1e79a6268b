import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import * as core from '@actions/core';
import { ActionError, CheckFailedError } from '../lib/errors.js';
import { type Exec, execFile, killAllGroups, scrubbedEnv } from '../lib/exec.js';
import type { Env } from '../lib/inputs.js';
import { runAction } from '../lib/runner/action.js';
import { cancelOnSignals, type SignalSource } from '../lib/runner/cancellation.js';
import { logInfo, logWarning, withGroup } from '../lib/runner/log.js';
import { writeSummary } from '../lib/runner/summary.js';
import { trustedPathEntries, type Which, whichOnPath } from '../lib/which.js';
import { readAllowlistText } from './allowlist-source.js';
import { type GitRunner, gitRunner } from './files.js';
import { parseInputs, type SecurityScanInputs } from './inputs.js';
import { SECRET_INPUTS } from './secret-inputs.js';

/** What security-scan needs from the world, injected so tests can script it (see defaultDeps). */
export interface SecurityScanDeps {
  /** Runs the scanners and git, each in its own process group. */
  exec: Exec;
  /** PATH lookup that never finds a program inside the `untrusted` folders (the scanned tree). */
  which: (untrusted: readonly string[]) => Which;
  now: () => Date;
  /** Where SIGINT/SIGTERM come from. */
  signals: SignalSource;
}

/** The real world: child processes, the PATH of `env`, the system clock, this process's signals. */
export function defaultDeps(env: Env = process.env): SecurityScanDeps {
  return {
    exec: execFile,
    which: (untrusted) => whichOnPath(env['PATH'], untrusted),
    now: () => new Date(),
    signals: process,
  };
}

/**
 * The git the allowlist is read with: from PATH outside the workspace, with the scanners' scrubbed
 * environment and a private HOME, in its own process group.
 */
async function workspaceGit(
  env: Env,
  deps: SecurityScanDeps,
  untrusted: string[],
  home: string,
  signal: AbortSignal,
): Promise<GitRunner | undefined> {
  const path = trustedPathEntries(env['PATH'], untrusted).join(delimiter);
  const git = await deps.which(untrusted)('git');
  if (!git) return undefined;
  return gitRunner(deps.exec, git, scrubbedEnv(env, { path, home, tmp: home }), signal);
}

export async function run(env: Env = process.env, deps: SecurityScanDeps = defaultDeps(env)): Promise<void> {
  // SIGINT/SIGTERM (a cancelled run, timeout-minutes) stop the scanners' process groups before exit.
  const cancellation = cancelOnSignals(deps.signals);
  let gitHome: string | undefined;
  try {
    await runAction(
      'security-scan',
      SECRET_INPUTS,
      async () => {
        const repoRoot = env['GITHUB_WORKSPACE'] ?? process.cwd();
        const untrusted = [repoRoot];
        const inputs = await parseInputs(env, process.cwd(), {
          readAllowlist: async (file) =>
            readAllowlistText(file, {
              env,
              cwd: process.cwd(),
              git: async () => {
                gitHome ??= await mkdtemp(join(tmpdir(), 'slotline-git-'));
                return workspaceGit(env, deps, untrusted, gitHome, cancellation.signal);
              },
              warn: (message) => core.warning(message),
            }),
        });
        await scanAndReport(env, deps, inputs, repoRoot, cancellation.signal);
      },
      env,
    );
  } finally {
    cancellation.dispose();
    killAllGroups();
    if (gitHome) await rm(gitHome, { recursive: true, force: true });
  }
}

async function scanAndReport(
  env: Env,
  deps: SecurityScanDeps,
  inputs: SecurityScanInputs,
  repoRoot: string,
  signal: AbortSignal,
): Promise<void> {
  // The scan, its parsers and the report load after the inputs are valid: a bad input fails fast.
  const [
    { securityScan },
    { uploadSizeProblem },
    { ANNOTATIONS_PER_KIND, annotationsFor, countFindings, summaryMarkdown },
  ] = await Promise.all([import('./scan.js'), import('./sarif.js'), import('./report.js')]);
  const report = await withGroup(`Scanning ${inputs.path}`, () =>
    securityScan(
      {
        root: inputs.path,
        repoRoot,
        scanners: inputs.scanners,
        requireScanners: inputs.requireScanners,
        image: inputs.image,
        failOn: inputs.failOn,
        reportOn: inputs.reportOn,
        allowlist: inputs.allowlist,
        categoryPrefix: inputs.categoryPrefix,
        timeoutMs: inputs.timeoutMs,
      },
      {
        exec: deps.exec,
        which: deps.which([inputs.path, repoRoot]),
        today: deps.now().toISOString().slice(0, 10),
        now: () => performance.now(),
        // Scanner output carries file names and content from the tree: logged through the safe writers.
        log: (line) => logInfo(line),
        env,
        signal,
      },
    ),
  );
  for (const s of report.scanners) {
    logInfo(
      s.error
        ? `${s.name}: FAILED: ${s.error}`
        : `${s.name} ${s.version ?? ''}: ${s.findings} finding(s) in ${Math.round(s.wallMs)} ms`,
    );
    for (const note of s.notes) logWarning(note);
  }

  // A scanner the content needs but the runner lacks: a visible warning, never a silent skip.
  for (const { name, reason, install } of report.selection.notRun)
    core.warning(
      `${name} not run: ${reason} (install: ${install}). List it in require-scanners to make this an error.`,
      { title: `${name} not run` },
    );

  const { totalMs, scanPhaseMs, scannerMs } = report.timings;
  core.info(
    `Timing: total ${Math.round(totalMs)} ms, scanners ${Math.round(scanPhaseMs)} ms wall (${Math.round(scannerMs)} ms in their processes), slotline ${Math.round(totalMs - scanPhaseMs)} ms`,
  );

  // Written even when the gate fails, so an `if: always()` upload-sarif step still has it.
  await mkdir(dirname(inputs.sarifFile), { recursive: true });
  const sarifText = `${JSON.stringify(report.sarif.log, null, 2)}\n`;
  await writeFile(inputs.sarifFile, sarifText);
  const sizeProblem = uploadSizeProblem(sarifText);
  if (sizeProblem) core.warning(sizeProblem);
  const sarifDisplay = relative(repoRoot, inputs.sarifFile) || inputs.sarifFile;

  const { policy } = report;
  const { annotations, omitted } = annotationsFor(policy.reported);
  for (const a of annotations) {
    const props = {
      title: a.title,
      file: a.file,
      startLine: a.startLine,
      endLine: a.endLine,
      startColumn: a.startColumn,
    };
    if (a.kind === 'error') core.error(a.message, props);
    else if (a.kind === 'warning') core.warning(a.message, props);
    else core.notice(a.message, props);
  }
  if (omitted > 0)
    core.notice(
      `${omitted} more finding(s) not annotated: GitHub shows ${ANNOTATIONS_PER_KIND} annotations of each kind per step. All are in the job summary's counts and in ${sarifDisplay}.`,
    );

  const ran = report.scanners.filter((s) => !s.error).map((s) => s.name);
  core.setOutput('passed', String(policy.passed && report.failures.length === 0));
  core.setOutput('sarif-file', inputs.sarifFile);
  core.setOutput('counts', JSON.stringify(countFindings(policy.active, ran)));
  core.setOutput('findings', String(policy.reported.length));
  core.setOutput('suppressed', String(policy.suppressed.length));
  await writeSummary(
    summaryMarkdown(report, {
      failOn: inputs.failOn,
      reportOn: inputs.reportOn,
      sarifFile: sarifDisplay,
      link: {
        serverUrl: env['GITHUB_SERVER_URL'],
        repository: env['GITHUB_REPOSITORY'],
        sha: env['GITHUB_SHA'],
      },
    }),
  );
  if (report.failures.length > 0) throw new ActionError(report.failures.map((s) => s.error).join('; '));
  if (!policy.passed) throw new CheckFailedError(policy.failure ?? 'policy failed');
}
