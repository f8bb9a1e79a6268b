import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { podmanArgs } from '../container-storage.js';

/**
 * Runs slot instances as real containers. podman is driven with the flags this kind of machine needs
 * (sandbox/container-storage.ts, plus explicit ulimits); docker is used where a Docker engine answers.
 * Registry credentials and app settings go through files with mode 0600, never the command line, so
 * they cannot be read from the process list.
 *
 * `close()` is the first half of a clean stop: it kills the commands still running (a `run` that would
 * start a container, a pull) and waits until they have exited, so that the containers that exist are
 * final; `removeLabelled` then removes them all in one command.
 */

export interface RegistryAuth {
  /** `https://myacr.azurecr.io`, `http://127.0.0.1:5000` or a bare host. http:// turns off TLS checks. */
  server: string;
  username: string;
  password: string;
}

/**
 * How slot containers are networked. `bridge` (the default): each container has its own network and
 * publishes its port on 127.0.0.1 (`-p 127.0.0.1::<port>`), as on App Service, so it cannot reach the
 * machine's loopback. `host`: containers share the machine's network (`--network host`), so an app reaches
 * servers on the machine's 127.0.0.1 (a local PostgreSQL or Redis); several instances cannot all listen on
 * one port, so each gets a free port of its own, passed in as `WEBSITES_PORT` and `PORT` (overriding the
 * app settings' value). The app binds wherever it binds (often 0.0.0.0): use it on a machine you trust.
 */
export type ContainerNetwork = 'bridge' | 'host';

export interface RunSpec {
  image: string;
  env: Readonly<Record<string, string>>;
  containerPort: number;
  labels?: Readonly<Record<string, string>>;
}

export interface RunningContainer {
  id: string;
  /** The loopback port that reaches the container port. */
  hostPort: number;
}

export type Exec = (
  file: string,
  args: readonly string[],
  opts?: { signal?: AbortSignal },
) => Promise<{ stdout: string; stderr: string }>;

/** The subcommand (`run`, `rm`), past the global flags and their values, for error messages. */
function subcommand(args: readonly string[]): string {
  return args.find((a, i) => !a.startsWith('-') && !args[i - 1]?.startsWith('--')) ?? '';
}

/**
 * Runs a command. An aborted signal terminates it (SIGTERM), and the promise settles only once it has
 * exited: node's own `signal` option settles at once, while podman may still be creating a container.
 */
export const execFileAsync: Exec = (file, args, opts) =>
  new Promise((resolve, reject) => {
    const signal = opts?.signal;
    const terminate = () => child.kill('SIGTERM');
    const child = execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      signal?.removeEventListener('abort', terminate);
      if (error)
        reject(
          Object.assign(
            new Error(
              `${file} ${subcommand(args)} failed: ${(stderr || error.message).trim().split('\n').at(-1)}`,
            ),
            { stderr },
          ),
        );
      else resolve({ stdout, stderr });
    });
    if (signal?.aborted) terminate();
    else signal?.addEventListener('abort', terminate, { once: true });
  });

export interface ContainerRuntime {
  readonly kind: 'podman' | 'docker';
  pull(image: string, auth?: RegistryAuth): Promise<void>;
  run(spec: RunSpec): Promise<RunningContainer>;
  /** Stop (2 s grace) and remove; a container that is already gone is not an error. */
  remove(id: string): Promise<void>;
  /**
   * Refuse new commands, terminate the running ones and wait until they have exited. Afterwards only
   * `removeLabelled` works.
   */
  close(): Promise<void>;
  /** Remove every container (any state) with this label in one command, with no stop timeout; their ids. */
  removeLabelled(label: string, value: string): Promise<string[]>;
  isRunning(id: string): Promise<boolean>;
  /** Cumulative CPU seconds and memory bytes per container id, for CpuPercentage and MemoryPercentage. */
  usage(ids: readonly string[]): Promise<Map<string, { cpuSeconds: number; memoryBytes: number }>>;
  /** Ids of the containers with this label; running ones only unless `all`. */
  listByLabel(label: string, value: string, all?: boolean): Promise<string[]>;
}

function registryHost(server: string): string {
  return server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** Registries reached over plain http (local test registries) need TLS verification off. */
function insecure(image: string, auth?: RegistryAuth): boolean {
  return auth?.server.startsWith('http://') === true || /^(localhost|127\.0\.0\.1)(:\d+)?\//.test(image);
}

function parseDurationSeconds(text: string): number {
  // podman prints cpu_time like "5.237111912s", "1m2.5s" or "350ms".
  let total = 0;
  for (const [, n, unit] of text.matchAll(/([\d.]+)(h|m(?!s)|s|ms|µs|us|ns)/g)) {
    const factor = { h: 3600, m: 60, s: 1, ms: 1e-3, µs: 1e-6, us: 1e-6, ns: 1e-9 }[unit as 'h'];
    total += Number(n) * factor;
  }
  return total;
}

function parseBytes(text: string): number {
  // podman prints decimal units (kB, MB, GB); docker prints binary ones (KiB, MiB, GiB).
  const m = /([\d.]+)\s*([kKMGT]?)(i?)B/.exec(text);
  if (!m) return 0;
  const power = ' KMGT'.indexOf(m[2]!.toUpperCase() || ' ');
  return Number(m[1]) * (m[3] ? 1024 : 1000) ** power;
}

export class CliRuntime implements ContainerRuntime {
  private readonly base: string[];
  private readonly closing = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    readonly kind: 'podman' | 'docker',
    private readonly secretsDir: string,
    storageRoot: string | undefined,
    private readonly exec: Exec = execFileAsync,
    readonly network: ContainerNetwork = 'bridge',
  ) {
    this.base =
      kind === 'podman'
        ? storageRoot
          ? podmanArgs(storageRoot)
          : ['--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--runtime', 'runc']
        : [];
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  }

  private cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
    if (this.closing.signal.aborted)
      return Promise.reject(new Error(`${this.kind} ${args[0]}: the sandbox is stopping`));
    const command = this.exec(this.kind, [...this.base, ...args], { signal: this.closing.signal });
    this.running.add(command);
    void command.catch(() => undefined).finally(() => this.running.delete(command));
    return command;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.running]);
  }

  async removeLabelled(label: string, value: string): Promise<string[]> {
    const ids = await this.list(label, value, true, undefined);
    if (ids.length > 0)
      await this.exec(this.kind, [
        ...this.base,
        'rm',
        '-f',
        ...(this.kind === 'podman' ? ['-t', '0'] : []),
        ...ids,
      ]);
    return ids;
  }

  private secretFile(contents: string): string {
    const path = join(this.secretsDir, randomUUID());
    writeFileSync(path, contents, { mode: 0o600 });
    return path;
  }

  async pull(image: string, auth?: RegistryAuth): Promise<void> {
    // `localhost/name` (no port) names an image built on this machine: there is no registry to ask.
    if (/^localhost\/[^:]+/.test(image) && !/^localhost:\d/.test(image)) {
      const exists = await this.cli(['image', 'exists', image]).then(
        () => true,
        () => false,
      );
      if (exists) return;
    }
    const args = ['pull', '-q'];
    let authFile: string | undefined;
    if (auth) {
      const token = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      authFile = this.secretFile(JSON.stringify({ auths: { [registryHost(auth.server)]: { auth: token } } }));
      args.push(this.kind === 'podman' ? '--authfile' : '--config', authFile);
    }
    if (this.kind === 'podman' && insecure(image, auth)) args.push('--tls-verify=false');
    try {
      await this.cli([...args, image]);
    } finally {
      if (authFile) rmSync(authFile, { force: true });
    }
  }

  async run(spec: RunSpec): Promise<RunningContainer> {
    // Host network: the instance listens on a free loopback port of its own, told through the environment.
    const hostNetPort = this.network === 'host' ? await freeLoopbackPort() : undefined;
    const env =
      hostNetPort === undefined
        ? spec.env
        : { ...spec.env, WEBSITES_PORT: String(hostNetPort), PORT: String(hostNetPort) };
    const envFile = this.secretFile(
      Object.entries(env)
        .map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)
        .join('\n'),
    );
    try {
      const labels = Object.entries(spec.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
      const limits =
        this.kind === 'podman' ? ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=1000:1000'] : [];
      const { stdout } = await this.cli([
        'run',
        '-d',
        ...limits,
        '--env-file',
        envFile,
        ...labels,
        ...(hostNetPort === undefined ? ['-p', `127.0.0.1::${spec.containerPort}`] : ['--network', 'host']),
        spec.image,
      ]);
      const id = stdout.trim().split('\n').at(-1)!;
      if (hostNetPort !== undefined) return { id, hostPort: hostNetPort };
      const port = await this.cli(['port', id, String(spec.containerPort)]);
      const hostPort = Number(/:(\d+)\s*$/m.exec(port.stdout)?.[1]);
      if (!hostPort) throw new Error(`${this.kind} did not publish port ${spec.containerPort} of ${id}`);
      return { id, hostPort };
    } finally {
      rmSync(envFile, { force: true });
    }
  }

  async remove(id: string): Promise<void> {
    await this.cli(['rm', '-f', '-t', '2', id]).catch(() => undefined);
  }

  async isRunning(id: string): Promise<boolean> {
    try {
      const { stdout } = await this.cli(['inspect', '--format', '{{.State.Running}}', id]);
      return stdout.trim() === 'true';
    } catch {
      return false;
    }
  }

  async usage(ids: readonly string[]): Promise<Map<string, { cpuSeconds: number; memoryBytes: number }>> {
    const result = new Map<string, { cpuSeconds: number; memoryBytes: number }>();
    if (ids.length === 0) return result;
    const { stdout } = await this.cli(['stats', '--no-stream', '--format', 'json', ...ids]).catch(() => ({
      stdout: '[]',
    }));
    let rows: { id?: string; ID?: string; cpu_time?: string; mem_usage?: string; MemUsage?: string }[] = [];
    try {
      rows = JSON.parse(stdout);
    } catch {
      rows = [];
    }
    for (const row of rows) {
      const id = ids.find((full) => full.startsWith(String(row.id ?? row.ID)));
      if (!id) continue;
      const memory = String(row.mem_usage ?? row.MemUsage ?? '').split('/')[0] ?? '';
      result.set(id, {
        cpuSeconds: parseDurationSeconds(String(row.cpu_time ?? '')),
        memoryBytes: parseBytes(memory),
      });
    }
    return result;
  }

  listByLabel(label: string, value: string, all = false): Promise<string[]> {
    return this.list(label, value, all, (args) => this.cli(args));
  }

  /** `run` undefined: straight to the tool, also after close(). */
  private async list(
    label: string,
    value: string,
    all: boolean,
    run: ((args: string[]) => Promise<{ stdout: string }>) | undefined,
  ): Promise<string[]> {
    const args = ['ps', ...(all ? ['-a'] : []), '-q', '--no-trunc', '--filter', `label=${label}=${value}`];
    const { stdout } = await (run ?? ((a: string[]) => this.exec(this.kind, [...this.base, ...a])))(args);
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }
}

/** A port nothing listens on at 127.0.0.1 right now (the kernel's pick). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** podman where it works, else docker where an engine answers; otherwise a clear error. */
export async function detectRuntime(opts: {
  secretsDir: string;
  storageRoot?: string;
  exec?: Exec;
  network?: ContainerNetwork;
}): Promise<ContainerRuntime> {
  const exec = opts.exec ?? execFileAsync;
  const tried: string[] = [];
  try {
    await exec('podman', ['--version']);
    return new CliRuntime('podman', opts.secretsDir, opts.storageRoot, exec, opts.network);
  } catch (error) {
    tried.push(`podman: ${(error as Error).message}`);
  }
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}']);
    return new CliRuntime('docker', opts.secretsDir, undefined, exec, opts.network);
  } catch (error) {
    tried.push(`docker: ${(error as Error).message}`);
  }
  throw new Error(
    `No container runtime: install podman (or run a Docker engine) to run slot containers (${tried.join('; ')})`,
  );
}

export const _internal = { parseDurationSeconds, parseBytes };
