import { spawn } from 'node:child_process';

/**
 * A child process that can be stopped with everything it started: it runs as the leader of its own
 * process group (spawned detached), and a timeout, an abort or the end of this process kills the whole
 * group. A plain `child.kill()` reaches only the direct child, so a scanner's own workers (a shell's
 * background job, a tool's helper) would outlive the action and keep a core busy.
 */
export interface GroupRunOptions {
  cwd: string;
  /** Exactly the environment the child gets: nothing is inherited. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Aborting kills the group; the result then has `cancelled: true`. */
  signal?: AbortSignal;
}

export interface GroupRunResult {
  /** null when killed by a signal (including our timeout and aborts). */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
}

/** Process groups still running; killed when this process exits, however it exits. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

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

/**
 * Run `file` without a shell, as its own process group, capturing stdout and stderr in full (scanners
 * print reports of megabytes on stdout).
 */
export function runInProcessGroup(
  file: string,
  args: readonly string[],
  opts: GroupRunOptions,
): Promise<GroupRunResult> {
  installExitHook();
  return new Promise((resolve) => {
    const started = performance.now();
    let timedOut = false;
    let cancelled = false;
    if (opts.signal?.aborted) {
      resolve({
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        durationMs: 0,
        timedOut,
        cancelled: true,
      });
      return;
    }
    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    const stop = (): void => {
      if (pid !== undefined) killGroup(pid);
    };
    const timer = setTimeout(() => {
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
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    // When the leader exits, whatever it left running in its group goes too: no stragglers, and the
    // pipes they hold open close so 'close' fires.
    child.on('exit', stop);
    let settled = false;
    const finish = (exitCode: number | null, signal: string | null, extraErr = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      stop();
      if (pid !== undefined) liveGroups.delete(pid);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + extraErr,
        durationMs: performance.now() - started,
        timedOut,
        cancelled,
      });
    };
    child.on('error', (error) => finish(127, null, error.message));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

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
