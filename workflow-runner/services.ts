// Service containers (`jobs.<id>.services`) stood in by Debian's PostgreSQL and Redis, started on the host's
// loopback (README "Service containers"). Docker Hub is out of reach here, so no image is pulled: an image
// named postgres or redis gets the Debian server; any other image is refused.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ServiceKind = 'postgres' | 'redis';

/** The port each official image listens on inside its container. */
export const CONTAINER_PORT: Record<ServiceKind, number> = { postgres: 5432, redis: 6379 };

/**
 * postgres, postgres:<tag>, postgres@sha256:…, library/postgres, docker.io/library/postgres… (the same for
 * redis); anything else is undefined.
 */
export function serviceKind(image: string): ServiceKind | undefined {
  const m =
    /^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/)?(?:library\/)?([a-z0-9._-]+)(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?$/.exec(
      image.trim(),
    );
  const name = m?.[1];
  return name === 'postgres' || name === 'redis' ? name : undefined;
}

export interface PortMapping {
  host?: number;
  container: number;
}

/** `5432:5432`, `127.0.0.1:5432:5432`, `5432` (a host port of the runner's choice), `/tcp` allowed. */
export function parsePort(text: string): PortMapping {
  const m = /^(?:(127\.0\.0\.1|0\.0\.0\.0|localhost):)?(?:(\d+):)?(\d+)(?:\/tcp)?$/.exec(text.trim());
  if (!m) throw new Error(`port mapping '${text}' is not supported (host:container or container, TCP)`);
  const host = m[2] === undefined ? undefined : Number(m[2]);
  const container = Number(m[3]);
  for (const port of [host, container])
    if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`port ${port} is out of range`);
  return { host, container };
}

/** Splits docker `options` as a shell would (quotes, no expansion). */
export function splitOptions(text: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let current = '';
  let last = -1;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const part = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!);
    if (m.index === last) current += part;
    else {
      if (last !== -1) words.push(current);
      current = part;
    }
    last = re.lastIndex;
  }
  if (last !== -1) words.push(current);
  return words;
}

export interface Health {
  cmd?: string;
  /** How long to wait for the service to answer: start-period + retries × (interval + timeout). */
  deadlineMs: number;
  /** Options the stand-in does not act on. */
  ignored: string[];
}

/** Docker's duration syntax for --health-*: 5s, 1m30s, 500ms, 1h. */
function duration(text: string): number {
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let matched = '';
  for (let m = re.exec(text); m; m = re.exec(text)) {
    matched += m[0];
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  if (matched !== text) throw new Error(`'${text}' is not a duration`);
  return ms;
}

/**
 * The health options of `options:`. Docker's defaults: interval 30 s, timeout 30 s, retries 3, start period
 * 0 (https://docs.docker.com/reference/cli/docker/container/run/#healthcheck).
 */
export function parseOptions(text: string): Health {
  const words = splitOptions(text);
  const health: Record<string, string> = {};
  const ignored: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const m = /^--(health-(?:cmd|interval|timeout|retries|start-period))(?:=(.*))?$/.exec(word);
    if (!m) {
      ignored.push(word);
      continue;
    }
    const value = m[2] ?? words[++i];
    if (value === undefined) throw new Error(`option ${word} needs a value`);
    health[m[1]!] = value;
  }
  const interval = duration(health['health-interval'] ?? '30s');
  const timeout = duration(health['health-timeout'] ?? '30s');
  const retries = Number(health['health-retries'] ?? '3');
  const start = duration(health['health-start-period'] ?? '0s');
  if (!Number.isInteger(retries) || retries < 1)
    throw new Error(`--health-retries ${retries} is not a count`);
  return { cmd: health['health-cmd'], deadlineMs: start + retries * (interval + timeout), ignored };
}

export interface ServiceSpec {
  name: string;
  image: string;
  kind: ServiceKind;
  env: Record<string, string>;
  ports: PortMapping[];
  options: string;
}

export interface RunningService {
  name: string;
  kind: ServiceKind;
  port: number;
  /** job.services.<id>.ports: container port → host port, only for mapped ports (as GitHub). */
  ports: Record<string, string>;
  /** Its data and sockets; removed when it stops. */
  dir: string;
  stop: () => Promise<void>;
}

/** Process groups of the services running now: stopped on Ctrl-C, with their folders. */
const live = new Map<number, string>();

export function stopAllServices(): void {
  for (const [pid, dir] of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

/** Whether nothing listens on 127.0.0.1:port (nor on [::1]:port, where `localhost` may go first). */
export async function portFree(port: number): Promise<boolean> {
  const tryBind = (host: string) =>
    new Promise<string | undefined>((done) => {
      const server = createServer();
      server.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
      server.listen({ port, host, exclusive: true }, () => server.close(() => done(undefined)));
    });
  if ((await tryBind('127.0.0.1')) !== undefined) return false;
  const v6 = await tryBind('::1');
  return v6 === undefined || v6 === 'EADDRNOTAVAIL' || v6 === 'EAFNOSUPPORT';
}

/** A port nothing listens on at 127.0.0.1 right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function pgBin(name: string): string {
  const dirs = readdirSync('/usr/lib/postgresql', { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d+$/.test(d.name))
    .map((d) => Number(d.name))
    .sort((a, b) => a - b);
  if (dirs.length === 0)
    throw new Error(
      "Debian's postgresql package is not installed (scripts/install-system-deps.sh): no /usr/lib/postgresql/<version>",
    );
  return `/usr/lib/postgresql/${dirs.at(-1)}/bin/${name}`;
}

/** PostgreSQL refuses to run as root: then it runs as the postgres account (setpriv execs, so pid = server). */
function asPostgres(argv: string[]): string[] {
  if (process.getuid?.() !== 0) return argv;
  return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...argv];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts one service and waits until it answers (pg_isready / redis-cli ping), within the health deadline
 * (60 s without --health-cmd). `print` receives what the stand-in does differently.
 */
export async function startService(
  spec: ServiceSpec,
  print: (line: string) => void,
): Promise<RunningService> {
  const containerPort = CONTAINER_PORT[spec.kind];
  const health = parseOptions(spec.options);
  if (health.ignored.length > 0) print(`options without effect on the stand-in: ${health.ignored.join(' ')}`);
  const mapped = spec.ports.filter((p) => p.container === containerPort);
  for (const p of spec.ports)
    if (p.container !== containerPort)
      throw new Error(`port ${p.container}: the ${spec.kind} image listens only on ${containerPort}`);
  if (mapped.length > 1)
    throw new Error(`${containerPort} is mapped more than once: the stand-in listens on one host port`);
  let port: number;
  const wanted = mapped[0]?.host;
  if (wanted !== undefined) {
    if (!(await portFree(wanted)))
      throw new Error(
        `host port ${wanted} (ports: ${wanted}:${containerPort}) is already in use on this machine; the job's steps expect the service on localhost:${wanted}, so the runner does not pick another: free port ${wanted} or map another one`,
      );
    port = wanted;
  } else port = await freePort();
  const ports: Record<string, string> = mapped.length > 0 ? { [String(containerPort)]: String(port) } : {};
  const dir = mkdtempSync(join(tmpdir(), `slotline-service-${spec.kind}-`));
  let pid: number | undefined;
  const stop = async () => {
    if (pid !== undefined) await stopGroup(pid, spec.kind === 'postgres' ? 'SIGINT' : 'SIGTERM');
    if (pid !== undefined) live.delete(pid);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const log: string[] = [];
    const argv =
      spec.kind === 'postgres'
        ? preparePostgres(spec, dir, port, print)
        : prepareRedis(spec, dir, port, print);
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    pid = child.pid;
    if (pid === undefined) throw new Error(`${argv[0]} could not be started`);
    live.set(pid, dir);
    let exited: number | null | undefined;
    child.on('exit', (code) => {
      exited = code;
    });
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean)));
    const probe =
      spec.kind === 'postgres'
        ? [pgBin('pg_isready'), '-q', '-h', '127.0.0.1', '-p', String(port), '-t', '2']
        : ['redis-cli', '-h', '127.0.0.1', '-p', String(port), 'ping'];
    const deadlineMs = health.cmd ? health.deadlineMs : 60_000;
    print(
      `${health.cmd ? `health-cmd '${health.cmd}' is not run (it would run in the container): ` : ''}waiting up to ${deadlineMs / 1000} s for ${probe[0]!.split('/').at(-1)} -h 127.0.0.1 -p ${port} to answer`,
    );
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      if (exited !== undefined)
        throw new Error(
          `${spec.kind} exited with code ${exited} before it answered: ${log.slice(-5).join(' | ')}`,
        );
      const r = spawnSync(probe[0]!, probe.slice(1), { encoding: 'utf8', timeout: 5000 });
      if (r.status === 0 && (spec.kind === 'postgres' || r.stdout.trim() === 'PONG')) break;
      if (Date.now() > deadline)
        throw new Error(
          `${spec.kind} did not answer ${probe.slice(0, 1).join(' ')} on 127.0.0.1:${port} within ${deadlineMs / 1000} s: ${log.slice(-5).join(' | ')}`,
        );
      await sleep(100);
    }
    if (spec.kind === 'postgres') createDatabase(spec, dir, port);
    child.stdout.destroy();
    child.stderr.destroy();
    child.unref();
    return { name: spec.name, kind: spec.kind, port, ports, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Sends `signal` to the group, waits up to 10 s for its leader, then SIGKILLs what is left of the group. */
async function stopGroup(pid: number, signal: NodeJS.Signals): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    process.kill(-pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (alive() && Date.now() < deadline) await sleep(50);
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    while (alive()) await sleep(20);
  }
}

/**
 * The official image's entrypoint (docker-library/postgres docker-entrypoint.sh): POSTGRES_USER (default
 * postgres) is the superuser; POSTGRES_PASSWORD is required unless POSTGRES_HOST_AUTH_METHOD is trust;
 * POSTGRES_DB (default POSTGRES_USER) is created; POSTGRES_INITDB_ARGS go to initdb; connections over
 * the network use POSTGRES_HOST_AUTH_METHOD (default scram-sha-256), local socket ones are trusted.
 */
function preparePostgres(
  spec: ServiceSpec,
  dir: string,
  port: number,
  print: (line: string) => void,
): string[] {
  const env = spec.env;
  const user = env.POSTGRES_USER || 'postgres';
  const method = env.POSTGRES_HOST_AUTH_METHOD || 'scram-sha-256';
  const password = env.POSTGRES_PASSWORD ?? '';
  if (!password && method !== 'trust')
    throw new Error(
      'the postgres image refuses to start without POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD: trust); so does the stand-in',
    );
  for (const name of Object.keys(env))
    if (
      ![
        'POSTGRES_USER',
        'POSTGRES_PASSWORD',
        'POSTGRES_DB',
        'POSTGRES_HOST_AUTH_METHOD',
        'POSTGRES_INITDB_ARGS',
      ].includes(name)
    )
      print(`env ${name} has no effect on the stand-in`);
  const owner =
    process.getuid?.() === 0
      ? (['-u', '-g'] as const).map((flag) =>
          Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim()),
        )
      : undefined;
  if (owner) chownSync(dir, owner[0]!, owner[1]!);
  const data = join(dir, 'data');
  const initdb = [pgBin('initdb'), '-D', data, '-U', user, '-E', 'UTF8', '--no-sync', '--auth-local=trust'];
  if (password) {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner) chownSync(pwfile, owner[0]!, owner[1]!);
    initdb.push(`--pwfile=${pwfile}`);
  }
  initdb.push(`--auth-host=${method}`, ...(env.POSTGRES_INITDB_ARGS ?? '').split(/\s+/).filter(Boolean));
  const argv = asPostgres(initdb);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  rmSync(join(dir, 'pwfile'), { force: true });
  if (r.status !== 0) throw new Error(`initdb failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  // As the image: every host connection goes through POSTGRES_HOST_AUTH_METHOD (pg_setup_hba_conf).
  writeFileSync(join(data, 'pg_hba.conf'), `local all all trust\nhost all all all ${method}\n`);
  return asPostgres([
    pgBin('postgres'),
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-k',
    dir,
    '-F',
  ]);
}

function createDatabase(spec: ServiceSpec, dir: string, port: number): void {
  const user = spec.env.POSTGRES_USER || 'postgres';
  const db = spec.env.POSTGRES_DB || user;
  if (db === 'postgres') return;
  const sql = `CREATE DATABASE "${db.replace(/"/g, '""')}"`;
  const r = spawnSync(
    pgBin('psql'),
    ['-v', 'ON_ERROR_STOP=1', '-q', '-h', dir, '-p', String(port), '-U', user, '-d', 'postgres', '-c', sql],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`creating database ${db} failed: ${r.stderr.trim()}`);
}

/** The official redis image reads no environment; it runs with protected-mode off and no persistence here. */
function prepareRedis(spec: ServiceSpec, dir: string, port: number, print: (line: string) => void): string[] {
  for (const name of Object.keys(spec.env)) print(`env ${name} has no effect (the redis image reads none)`);
  const config = join(dir, 'redis.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      'save ""',
      'appendonly no',
      'daemonize no',
      'logfile ""',
      '',
    ].join('\n'),
  );
  return ['redis-server', config];
}
