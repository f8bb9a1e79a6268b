import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface ExecResult {
  /** null when killed by a signal (including our timeout). */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

export type Exec = (
  file: string,
  args: readonly string[],
  opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
) => Promise<ExecResult>;

/** Where a command lives, or undefined: PATH lookup, injectable so tests can hide or add tools. */
export type Which = (command: string) => Promise<string | undefined>;

/**
 * Run a scanner without a shell (paths with spaces or quotes stay literal), capturing its output in
 * full: scanners print their report on stdout, which can be megabytes.
 */
export const execFile: Exec = (file, args, opts) =>
  new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const finish = (exitCode: number | null, signal: string | null, extraErr = ''): void => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + extraErr,
        durationMs: performance.now() - started,
        timedOut,
      });
    };
    child.on('error', (error) => finish(127, null, error.message));
    child.on('close', (code, signal) => finish(code, signal));
  });

/** PATH lookup over `pathValue` (default: this process's PATH). */
export function whichOnPath(pathValue: string | undefined = process.env['PATH']): Which {
  const dirs = (pathValue ?? '').split(delimiter).filter(Boolean);
  return async (command) => {
    for (const dir of dirs) {
      const candidate = join(dir, command);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; next directory
      }
    }
    return undefined;
  };
}
