import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs slot instances as real containers. podman is driven with the flags this kind of machine needs
 * (vfs storage, cgroupfs, runc, explicit ulimits); docker is used where a Docker engine answers.
 * Registry credentials and app settings go through files with mode 0600, never the command line, so
 * they cannot be read from the process list.
 */

export interface RegistryAuth {
  /** `https://myacr.azurecr.io`, `http://127.0.0.1:5000` or a bare host. http:// turns off TLS checks. */
  server: string;
  username: string;
  password: string;
}

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

export type Exec = (file: string, args: readonly string[]) => Promise<{ stdout: string; stderr: string }>;

export const execFileAsync: Exec = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error)
        reject(
          Object.assign(
            new Error(
              `${file} ${args[0] ?? ''} failed: ${(stderr || error.message).trim().split('\n').at(-1)}`,
            ),
            { stderr },
          ),
        );
      else resolve({ stdout, stderr });
    });
  });

export interface ContainerRuntime {
  readonly kind: 'podman' | 'docker';
  pull(image: string, auth?: RegistryAuth): Promise<void>;
  run(spec: RunSpec): Promise<RunningContainer>;
  /** Stop (2 s grace) and remove; a container that is already gone is not an error. */
  remove(id: string): Promise<void>;
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

  constructor(
    readonly kind: 'podman' | 'docker',
    private readonly secretsDir: string,
    storageRoot: string | undefined,
    private readonly exec: Exec = execFileAsync,
  ) {
    this.base =
      kind === 'podman'
        ? [
            '--storage-driver',
            'vfs',
            ...(storageRoot
              ? ['--root', join(storageRoot, 'root'), '--runroot', join(storageRoot, 'run')]
              : []),
            '--cgroup-manager',
            'cgroupfs',
            '--runtime',
            'runc',
          ]
        : [];
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  }

  private cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
    return this.exec(this.kind, [...this.base, ...args]);
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
    const envFile = this.secretFile(
      Object.entries(spec.env)
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
        '-p',
        `127.0.0.1::${spec.containerPort}`,
        spec.image,
      ]);
      const id = stdout.trim().split('\n').at(-1)!;
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

  async listByLabel(label: string, value: string, all = false): Promise<string[]> {
    const { stdout } = await this.cli([
      'ps',
      ...(all ? ['-a'] : []),
      '-q',
      '--no-trunc',
      '--filter',
      `label=${label}=${value}`,
    ]);
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }
}

/** podman where it works, else docker where an engine answers; otherwise a clear error. */
export async function detectRuntime(opts: {
  secretsDir: string;
  storageRoot?: string;
  exec?: Exec;
}): Promise<ContainerRuntime> {
  const exec = opts.exec ?? execFileAsync;
  const tried: string[] = [];
  try {
    await exec('podman', ['--version']);
    return new CliRuntime('podman', opts.secretsDir, opts.storageRoot, exec);
  } catch (error) {
    tried.push(`podman: ${(error as Error).message}`);
  }
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}']);
    return new CliRuntime('docker', opts.secretsDir, undefined, exec);
  } catch (error) {
    tried.push(`docker: ${(error as Error).message}`);
  }
  throw new Error(
    `No container runtime: install podman (or run a Docker engine) to run slot containers (${tried.join('; ')})`,
  );
}

export const _internal = { parseDurationSeconds, parseBytes };
