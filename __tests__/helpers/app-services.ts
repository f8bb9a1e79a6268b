import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './containers.js';

/**
 * The reference app's backing services as real servers on free 127.0.0.1 ports, for tests that run the
 * app for real (as scripts/bench/flask-app.mjs does): PostgreSQL from Debian's packages (a fresh cluster,
 * trust auth for user `portal`, no fsync) and Redis (no persistence). `stop()` ends each by its pid and
 * removes its files.
 */

export interface BackingService {
  /** `postgresql://portal@127.0.0.1:<port>/postgres` or `redis://127.0.0.1:<port>/0`. */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess, dir?: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

/** The newest installed PostgreSQL's bin dir (Debian: /usr/lib/postgresql/<major>/bin). */
function postgresBin(): string {
  const bin = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1'], {
    encoding: 'utf8',
  }).trim();
  if (!bin) throw new Error('PostgreSQL is missing: run scripts/install-system-deps.sh (as root) first');
  return bin;
}

/** initdb and postgres refuse to run as root: there they run as the `postgres` user. */
function asPostgres(command: string[]): [string, string[]] {
  return process.getuid?.() === 0
    ? ['runuser', ['-u', 'postgres', '--', ...command]]
    : [command[0]!, command.slice(1)];
}

export async function startPostgres(maxConnections = 200): Promise<BackingService> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'slotline-pg-'));
  try {
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    const [init, initArgs] = asPostgres([
      `${bin}/initdb`,
      '-D',
      `${dir}/data`,
      '-U',
      'portal',
      '--auth=trust',
      '--no-sync',
    ]);
    execFileSync(init, initArgs, { stdio: 'ignore' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const [cmd, args] = asPostgres([
    `${bin}/postgres`,
    '-D',
    `${dir}/data`,
    '-p',
    String(port),
    '-h',
    '127.0.0.1',
    '-k',
    dir,
    '-F',
    '-c',
    `max_connections=${maxConnections}`,
  ]);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const stop = stopper(child, dir);
  try {
    await waitForPort(port, 30_000);
    // The port opens a moment before the server accepts logins.
    const deadline = Date.now() + 15_000;
    while (
      spawnStatus(`${bin}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port), '-U', 'portal']) !== 0 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgresql://portal@127.0.0.1:${port}/postgres`, pid: child.pid!, stop };
}

function spawnStatus(file: string, args: string[]): number {
  try {
    execFileSync(file, args, { stdio: 'ignore' });
    return 0;
  } catch {
    return 1;
  }
}

export async function startRedis(): Promise<BackingService> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const stop = stopper(child);
  try {
    await waitForPort(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}/0`, pid: child.pid!, stop };
}
