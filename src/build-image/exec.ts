import { spawn } from 'node:child_process';

/** The one way build-image runs a program; tests inject their own to record or script the calls. */

export interface ExecOptions {
  /** Written to the program's stdin (passwords go here, never into argv). */
  input?: string;
  /** Do not echo the program's output to the log (it is still captured). */
  silent?: boolean;
  env?: Record<string, string>;
  /** Aborting stops the program: SIGTERM, then SIGKILL after KILL_AFTER_MS. */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type Exec = (command: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** How long a program has to exit after SIGTERM before it gets SIGKILL (well inside the runner's grace). */
const KILL_AFTER_MS = 3_000;

/** `ENOENT` and friends in words, with the code kept for searching. */
export function systemErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
    ENOTDIR: 'not a directory',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * node:child_process, echoing the command line and output to the log as @actions/exec does, never throwing
 * on a non-zero exit: callers turn exit codes into clear errors. A program that cannot be started exits
 * 127, as in a shell, with the reason in words on stderr (`podman: program not found on PATH (ENOENT)`).
 */
export const actionsExec: Exec = (command, args, options = {}) =>
  new Promise((resolve) => {
    const echo = !(options.silent ?? false);
    if (echo) process.stdout.write(`[command]${[command, ...args].join(' ')}\n`);
    if (options.signal?.aborted) {
      resolve({ exitCode: 130, stdout: '', stderr: `${command}: not started, the step was cancelled` });
      return;
    }
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (result: ExecResult): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', stop);
      clearTimeout(killTimer);
      resolve(result);
    };
    let killTimer: NodeJS.Timeout | undefined;
    // Always an explicit environment: spawn's default reads the real process environment, which a test
    // sandbox (jest) does not share with the `process.env` this module sees.
    const child = spawn(command, [...args], {
      env: { ...process.env, ...options.env } as Record<string, string>,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    function stop(): void {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      killTimer.unref();
    }
    options.signal?.addEventListener('abort', stop, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (echo) process.stderr.write(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ENOENT'
          ? `${command}: program not found on PATH (ENOENT)`
          : `${command}: could not be started: ${systemErrorText(error)}`;
      finish({ exitCode: 127, stdout, stderr: `${reason}\n${stderr}` });
    });
    child.on('close', (code, signal) => {
      finish({ exitCode: code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1), stdout, stderr });
    });
    // A program that exits without reading stdin makes the write fail with EPIPE: its exit code says why.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });

function signalNumber(signal: NodeJS.Signals): number | undefined {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal];
}
