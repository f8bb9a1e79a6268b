import { spawn } from 'node:child_process';
import { describeSystemError } from './errors.js';

/**
 * The one way slotline runs a program (scanners, git, buildah, podman, docker); actions take an `Exec`
 * in their deps so tests can record or script the calls.
 *
 * The child runs without a shell, as the leader of its own process group (spawned detached), and a
 * timeout, an abort or the end of this process kills the whole group. A plain `child.kill()` reaches only
 * the direct child, so a scanner's own workers (a shell's background job, a tool's helper) or a builder's
 * would outlive the action and keep a core busy.
 */
export interface ExecOptions {
  /** The working directory; this process's when not given. */
  cwd?: string;
  /** Exactly the environment the child gets; a copy of this process's when not given. */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin (passwords go here, never into argv); stdin is empty otherwise. */
  input?: string;
  /** Kill the group after this long; the result then has `timedOut: true`. No limit when not given. */
  timeoutMs?: number;
  /** Aborting kills the group; the result then has `cancelled: true`. */
  signal?: AbortSignal;
  /** Echo the command line and the output to the step's log as they come, as @actions/exec does. */
  echo?: boolean;
  /**
   * On a timeout or an abort, send SIGTERM first and SIGKILL this much later, so a builder can remove
   * its mounts; 0 (the default) is SIGKILL at once.
   */
  killGraceMs?: number;
}

export interface ExecResult {
  /** null when killed by a signal (including our timeout and aborts); 127 when it could not be started. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
}

/** A program's first non-blank output line, trimmed: the headline of why it failed. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}

/** `exit code 2`, `killed by SIGTERM`, `timed out`: how a run ended, for messages. */
export function exitDescription(result: ExecResult): string {
  if (result.timedOut) return 'timed out';
  if (result.cancelled) return 'stopped: the step was cancelled';
  if (result.exitCode === null) return `killed by ${result.signal ?? 'a signal'}`;
  return `exit code ${result.exitCode}`;
}

export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** How long output may still arrive after the program exited before its pipes are closed from this side. */
const STREAM_GRACE_MS = 2000;

/** Process groups still running; killed when this process exits, however it exits. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Kill every process group started here that may still be running. Synchronous: safe in an exit hook. */
export function killAllGroups(): void {
  for (const pid of liveGroups) killGroup(pid);
  liveGroups.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllGroups);
}

function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Run `file` without a shell, as its own process group, capturing stdout and stderr in full (scanners
 * print reports of megabytes on stdout). Never throws: a program that cannot be started exits 127, as in
 * a shell, with the reason in words on stderr (`podman: program not found on PATH (ENOENT)`).
 */
export const execFile: Exec = (file, args, opts = {}) => {
  installExitHook();
  const echo = opts.echo ?? false;
  if (echo) process.stdout.write(`[command]${[file, ...args].join(' ')}\n`);
  return new Promise((resolve) => {
    const started = performance.now();
    let timedOut = false;
    let cancelled = false;
    if (opts.signal?.aborted) {
      resolve({
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: `${file}: not started, the step was cancelled`,
        durationMs: 0,
        timedOut,
        cancelled: true,
      });
      return;
    }
    // Always an explicit environment: spawn's default reads the real process environment, which a test
    // sandbox (jest) does not share with the `process.env` this module sees.
    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? { ...process.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    const kill = (): void => {
      if (pid !== undefined) killGroup(pid);
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (pid === undefined) return;
      if (!opts.killGraceMs) {
        kill();
        return;
      }
      killGroup(pid, 'SIGTERM');
      graceTimer ??= setTimeout(kill, opts.killGraceMs);
    };
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, opts.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      if (echo) process.stderr.write(chunk);
    });
    // When the leader exits, whatever it left running in its group goes too: no stragglers, and the
    // pipes they hold open close so 'close' fires. A descendant that left the group (setsid) may still
    // hold them: after STREAM_GRACE_MS the pipes are closed from this side and the run ends anyway.
    let drainTimer: NodeJS.Timeout | undefined;
    child.on('exit', (code, signal) => {
      kill();
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, STREAM_GRACE_MS);
    });
    let settled = false;
    const finish = (exitCode: number | null, signal: string | null, prefixErr = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      clearTimeout(drainTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      kill();
      if (pid !== undefined) liveGroups.delete(pid);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: prefixErr + Buffer.concat(err).toString('utf8'),
        durationMs: performance.now() - started,
        timedOut,
        cancelled,
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code
        ? describeSystemError({ code: error.code, syscall: error.syscall ?? 'spawn', path: file })
        : error.message;
      finish(127, null, `${reason.startsWith(file) ? reason : `${file}: could not be started: ${reason}`}\n`);
    });
    child.on('close', (code, signal) => finish(code, signal));
    // A program that exits without reading stdin makes the write fail with EPIPE: its exit code says why.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
};

/** Variables a child may see: locale, time zone, proxies and CA bundles. Nothing else passes. */
const PASSED_THROUGH = [
  /^LANG$/,
  /^LANGUAGE$/,
  /^LC_[A-Z_]+$/,
  /^TZ$/,
  /^(HTTP|HTTPS|FTP|ALL|NO)_PROXY$/i,
  /^SSL_CERT_(FILE|DIR)$/,
  /^NODE_EXTRA_CA_CERTS$/,
  /^REQUESTS_CA_BUNDLE$/,
  /^CURL_CA_BUNDLE$/,
];

/**
 * The environment for a program that reads untrusted input: PATH (already filtered by the caller),
 * locale, TZ, proxy and CA variables, and a private HOME and TMPDIR, so no runner token
 * (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_*, GITHUB_TOKEN), input or cloud credential reaches it,
 * and no user config in the runner's HOME changes what it does.
 */
export function scrubbedEnv(
  source: Readonly<Record<string, string | undefined>>,
  opts: { path: string; home: string; tmp: string },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source))
    if (value !== undefined && PASSED_THROUGH.some((pattern) => pattern.test(name))) env[name] = value;
  return {
    ...env,
    PATH: opts.path,
    HOME: opts.home,
    TMPDIR: opts.tmp,
    TMP: opts.tmp,
    TEMP: opts.tmp,
    XDG_CONFIG_HOME: `${opts.home}/.config`,
    XDG_CACHE_HOME: `${opts.home}/.cache`,
  };
}
