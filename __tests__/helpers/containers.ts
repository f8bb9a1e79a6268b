import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podmanFlags, storeDir as sharedStoreDir, storageConf } from '../../scripts/lib/containers.mjs';
import { repoRoot } from './runner.js';

/**
 * Real container tooling for the tests: a private buildah/podman store (shared with
 * `npm run base-image`, so the base image is built once), and a docker-registry with htpasswd auth on
 * 127.0.0.1. Nothing here touches the machine's default container storage or auth files. The store and
 * its flags come from scripts/lib/containers.mjs: under $SLOTLINE_STATE_DIR, outside the work tree.
 */

/** The store scripts/base-image.sh uses by default. */
export const storeDir = sharedStoreDir();

/** Fail, never skip, when a tool the test drives is missing. */
export function requireTools(...tools: string[]): void {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: run scripts/install-system-deps.sh (as root) first`);
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface ContainerEnv {
  /** Environment for buildah, podman and skopeo (and the action under test). */
  env: Record<string, string>;
  dir: string;
  cleanup(): void;
}

/**
 * storage.conf pointing at the private vfs store, registries.conf marking the test registry insecure
 * (plain HTTP on loopback), chroot isolation (this host's cgroups rule out the OCI runtime for RUN),
 * The action logs in with its own temporary auth file, so no auth file is shared.
 */
export function containerEnv(insecureRegistries: string[]): ContainerEnv {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-containers-'));
  mkdirSync(storeDir, { recursive: true });
  const storageConfFile = join(dir, 'storage.conf');
  writeFileSync(storageConfFile, storageConf(storeDir));
  const registriesConf = join(dir, 'registries.conf');
  writeFileSync(
    registriesConf,
    [
      'unqualified-search-registries = []',
      ...insecureRegistries.map((r) => `[[registry]]\nlocation = "${r}"\ninsecure = true`),
    ].join('\n'),
  );
  return {
    dir,
    env: {
      CONTAINERS_STORAGE_CONF: storageConfFile,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      BUILDAH_ISOLATION: 'chroot',
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Build (or reuse) the Debian-based Python base image; returns its name. */
export function ensureBaseImage(): string {
  const result = spawnSync('bash', [join(repoRoot, 'scripts', 'base-image.sh')], {
    encoding: 'utf8',
    env: { ...process.env, SLOTLINE_CONTAINERS_DIR: storeDir },
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`scripts/base-image.sh failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').pop()!;
}

export interface Registry {
  host: string;
  stop(): Promise<void>;
}

/** docker-registry on 127.0.0.1 with htpasswd (bcrypt) users. */
export async function startRegistry(users: Record<string, string>): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-registry-'));
  const htpasswd = Object.entries(users)
    .map(([user, password]) =>
      execFileSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' }).trim(),
    )
    .join('\n');
  writeFileSync(join(dir, 'htpasswd'), `${htpasswd}\n`);
  const port = await freePort();
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${dir}/data }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}", secret: test-secret }`,
      `auth: { htpasswd: { realm: slotline-test, path: ${dir}/htpasswd } }`,
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: 'ignore',
  });
  await waitForPort(port);
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TokenAuth {
  realm: string;
  service: string;
  issuer: string;
  rootCertBundle: string;
}

/**
 * docker-registry on 127.0.0.1:`port` with token auth (`auth.token`): it answers 401 with a Bearer
 * challenge naming `realm` and `service`, and accepts only JWTs from `issuer` for `service` whose x5c
 * chain ends at a certificate in `rootCertBundle`.
 */
export async function startTokenRegistry(port: number, auth: TokenAuth): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-registry-'));
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: { level: error, accesslog: { disabled: true } }',
      `storage: { filesystem: { rootdirectory: ${dir}/data }, delete: { enabled: true } }`,
      // Relative upload locations: clients reach it through the sandbox login server's port.
      `http: { addr: "127.0.0.1:${port}", secret: test-secret, relativeurls: true }`,
      `auth: { token: { realm: ${JSON.stringify(auth.realm)}, service: ${JSON.stringify(auth.service)}, issuer: ${JSON.stringify(auth.issuer)}, rootcertbundle: ${JSON.stringify(auth.rootCertBundle)} } }`,
    ].join('\n'),
  );
  let stderr = '';
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  await waitForPort(port).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}; docker-registry said: ${stderr}`);
  });
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Run a tool with the container env; throws with its stderr on failure. */
export function tool(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** podman with the flags this host needs (toolchain.md §6), on the private store. */
export function podmanArgs(): string[] {
  return podmanFlags(storeDir);
}
