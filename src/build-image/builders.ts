import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionError, systemErrorText } from '../lib/errors.js';
import { type Exec, type ExecResult, exitDescription, firstLine } from '../lib/exec.js';
import { redact } from '../lib/redact.js';
import { type FailedStep, failedStep } from './build-log.js';

/** Where a builder keeps registry credentials: created on first login, removed by the caller. */
export interface CredentialsStore {
  create(): string;
}

export type BuilderName = 'docker' | 'buildah' | 'podman';

export interface BuildRequest {
  context: string;
  file?: string;
  target?: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Full references, registry/repository:tag. */
  references: string[];
  push: boolean;
  cacheFrom?: string;
  cacheTo?: string;
  /**
   * buildah and podman: keep each instruction's result as a cached layer (--layers). false commits once per
   * stage: no cache, but on the vfs storage driver, where every layer is a full copy of the filesystem,
   * several times faster. docker buildx always caches.
   */
  layers?: boolean;
}

export interface BuildResult {
  imageId: string;
  /** Manifest digest as the registry stores it; undefined when not pushed. */
  digest?: string;
  /** The builder's combined output, for step and cache statistics. */
  output: string;
  sizeBytes?: number;
  layers?: number;
}

/** The build failed: carries the failing step so main can show its output in a log group. */
export class BuildFailedError extends ActionError {
  constructor(
    message: string,
    readonly failed: FailedStep | undefined,
  ) {
    super(message);
  }
}

export interface Builder {
  readonly name: BuilderName;
  login(registry: string, username: string, password: string): Promise<void>;
  build(request: BuildRequest): Promise<BuildResult>;
  /** Remove temporary files; the credentials directory is the caller's to remove. */
  dispose(): Promise<void>;
}

/** A work file the builder was told to write: a missing one is the builder's fault, said in words. */
async function readWorkFile(builder: string, what: string, path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new ActionError(
      `${builder} exited 0 but its ${what} file ${path} cannot be read: ${systemErrorText(error)}`,
    );
  }
}

async function workDir(): Promise<string> {
  try {
    return await mkdtemp(join(tmpdir(), 'slotline-build-'));
  } catch (error) {
    throw new ActionError(`cannot create a work directory in ${tmpdir()}: ${systemErrorText(error)}`);
  }
}

/** The build options docker buildx, buildah and podman spell the same way. */
function requestArgs(request: BuildRequest): string[] {
  const args: string[] = [];
  if (request.file) args.push('--file', request.file);
  if (request.target) args.push('--target', request.target);
  for (const [k, v] of Object.entries(request.buildArgs)) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(request.labels)) args.push('--label', `${k}=${v}`);
  for (const ref of request.references) args.push('--tag', ref);
  if (request.cacheFrom) args.push('--cache-from', request.cacheFrom);
  if (request.cacheTo) args.push('--cache-to', request.cacheTo);
  return args;
}

/**
 * Why a tool failed: its last `Error:` message with any continuation lines (containers/image prints the
 * registry's `errors:` list below it), after the progress lines; else the first line.
 */
function errorLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const start = lines.findLastIndex((l) => /^(Error|error):\s/.test(l));
  if (start < 0) return firstLine(text);
  return lines
    .slice(start)
    .join(' ')
    .replace(/^(Error|error):\s*/, '');
}

function buildFailure(builder: string, result: ExecResult, output: string): BuildFailedError {
  const failed = failedStep(output);
  const where = failed ? ` at ${failed.step}` : '';
  const why = failed?.reason ? `: ${failed.reason}` : firstLine(output) ? `: ${firstLine(output)}` : '';
  return new BuildFailedError(`${builder} build failed${where} (${exitDescription(result)})${why}`, failed);
}

/** buildah and podman share their command line for build, login and push. */
export class OciBuilder implements Builder {
  private authDir?: string;
  private readonly secrets: string[] = [];

  constructor(
    readonly name: 'buildah' | 'podman',
    private readonly exec: Exec,
    /** false: plain HTTP or unverified TLS, for registries on a private network or loopback. */
    private readonly tlsVerify: boolean,
    private readonly credentials: CredentialsStore,
  ) {}

  private tlsArgs(): string[] {
    return this.tlsVerify ? [] : ['--tls-verify=false'];
  }

  private authFile(): string {
    // A private auth file, never the user's ~/.docker/config.json or $XDG_RUNTIME_DIR: removed with the
    // credentials directory at the end, on a signal, or by the post step.
    this.authDir ??= this.credentials.create();
    return join(this.authDir, 'auth.json');
  }

  private authArgs(): string[] {
    return this.authDir ? ['--authfile', join(this.authDir, 'auth.json')] : [];
  }

  async login(registry: string, username: string, password: string): Promise<void> {
    this.secrets.push(password);
    const authfile = this.authFile();
    const result = await this.exec(
      this.name,
      [
        'login',
        ...this.tlsArgs(),
        '--authfile',
        authfile,
        '--username',
        username,
        '--password-stdin',
        registry,
      ],
      { input: password },
    );
    if (result.exitCode !== 0) {
      const reason = redact(firstLine(result.stderr) || firstLine(result.stdout), this.secrets);
      throw new ActionError(
        `registry ${registry} refused the login for user "${username}" (${this.name} ${exitDescription(result)}): ${reason}`,
      );
    }
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const dir = await workDir();
    try {
      const iidFile = join(dir, 'iid');
      // --force-rm: a failed build must not leave working containers (and their disk) behind.
      const args = [
        'build',
        `--layers=${request.layers ?? true}`,
        '--force-rm',
        '--format',
        'docker',
        '--iidfile',
        iidFile,
        ...this.tlsArgs(),
        ...this.authArgs(),
        ...requestArgs(request),
        request.context,
      ];

      const built = await this.exec(this.name, args, { echo: true });
      const output = `${built.stdout}\n${built.stderr}`;
      if (built.exitCode !== 0) throw buildFailure(this.name, built, output);
      const imageId = await readWorkFile(this.name, 'image ID', iidFile);
      const { sizeBytes, layers } = await this.inspect(imageId);

      let digest: string | undefined;
      if (request.push) {
        for (const ref of request.references) {
          const digestFile = join(dir, 'digest');
          const pushed = await this.exec(
            this.name,
            [
              'push',
              ...this.tlsArgs(),
              ...this.authArgs(),
              '--digestfile',
              digestFile,
              imageId,
              `docker://${ref}`,
            ],
            { echo: true },
          );
          if (pushed.exitCode !== 0) {
            const reason = redact(errorLine(pushed.stderr) || firstLine(pushed.stdout), this.secrets);
            throw new ActionError(
              `pushing ${ref} failed (${this.name} ${exitDescription(pushed)}): ${reason}`,
            );
          }
          const pushedDigest = await readWorkFile(this.name, 'digest', digestFile);
          // Every tag must name the same manifest, or `image` would deploy something other than a tag.
          if (digest && pushedDigest !== digest) {
            throw new ActionError(
              `pushing ${ref} produced digest ${pushedDigest}, but an earlier tag got ${digest}`,
            );
          }
          digest = pushedDigest;
        }
      }
      return { imageId, digest, output, sizeBytes, layers };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async inspect(imageId: string): Promise<{ sizeBytes?: number; layers?: number }> {
    const result =
      this.name === 'buildah'
        ? await this.exec('buildah', ['inspect', '--type', 'image', imageId])
        : await this.exec('podman', ['image', 'inspect', imageId]);
    if (result.exitCode !== 0) return {};
    try {
      const parsed = JSON.parse(result.stdout);
      if (this.name === 'buildah') {
        const manifest = JSON.parse(parsed.Manifest) as { layers: { size: number }[] };
        return { sizeBytes: manifest.layers.reduce((s, l) => s + l.size, 0), layers: manifest.layers.length };
      }
      const image = parsed[0] as { Size?: number; RootFS?: { Layers?: string[] } };
      return { sizeBytes: image.Size, layers: image.RootFS?.Layers?.length };
    } catch {
      return {};
    }
  }

  async dispose(): Promise<void> {
    this.authDir = undefined;
  }
}

/** docker buildx: builds and pushes in one go; the digest comes from the metadata file. */
export class DockerBuilder implements Builder {
  readonly name = 'docker' as const;
  private configDir?: string;
  private readonly secrets: string[] = [];

  constructor(
    private readonly exec: Exec,
    private readonly credentials: CredentialsStore,
  ) {}

  /** docker's own environment plus a private DOCKER_CONFIG once logged in (the runner's stays untouched). */
  private env(): NodeJS.ProcessEnv | undefined {
    return this.configDir ? { ...process.env, DOCKER_CONFIG: this.configDir } : undefined;
  }

  async login(registry: string, username: string, password: string): Promise<void> {
    this.secrets.push(password);
    this.configDir ??= this.credentials.create();
    const result = await this.exec(
      'docker',
      ['login', '--username', username, '--password-stdin', registry],
      {
        input: password,
        env: this.env(),
      },
    );
    if (result.exitCode !== 0) {
      const reason = redact(firstLine(result.stderr) || firstLine(result.stdout), this.secrets);
      throw new ActionError(
        `registry ${registry} refused the login for user "${username}" (docker ${exitDescription(result)}): ${reason}`,
      );
    }
  }

  async build(request: BuildRequest): Promise<BuildResult> {
    const dir = await workDir();
    try {
      const metadataFile = join(dir, 'metadata.json');
      const iidFile = join(dir, 'iid');
      const args = [
        'buildx',
        'build',
        '--progress',
        'plain',
        '--metadata-file',
        metadataFile,
        '--iidfile',
        iidFile,
        ...requestArgs(request),
        request.push ? '--push' : '--load',
        request.context,
      ];
      const built = await this.exec('docker', args, { env: this.env(), echo: true });
      const output = `${built.stdout}\n${built.stderr}`;
      if (built.exitCode !== 0) throw buildFailure('docker', built, output);
      const metadata = JSON.parse(await readWorkFile('docker', 'metadata', metadataFile)) as Record<
        string,
        string
      >;
      const imageId = (
        await readFile(iidFile, 'utf8').catch(() => metadata['containerimage.config.digest'] ?? '')
      ).trim();
      return { imageId, digest: request.push ? metadata['containerimage.digest'] : undefined, output };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async dispose(): Promise<void> {
    this.configDir = undefined;
  }
}

/**
 * `auto`: docker buildx where a Docker engine answers (a client without an engine does not count), else
 * buildah, else podman.
 */
export async function selectBuilder(
  choice: 'auto' | BuilderName,
  exec: Exec,
  tlsVerify: boolean,
  credentials: CredentialsStore,
): Promise<Builder> {
  const why: Partial<Record<string, string>> = {};
  const works = async (cmd: string, args: string[]) => {
    const result = await exec(cmd, args);
    if (result.exitCode !== 0) why[cmd] ??= firstLine(result.stderr) || `${exitDescription(result)}`;
    return result.exitCode === 0;
  };
  const make = (name: BuilderName): Builder => {
    if (name !== 'docker') return new OciBuilder(name, exec, tlsVerify, credentials);
    if (!tlsVerify) {
      throw new ActionError(
        'tls-verify: false is not supported with docker: list the registry under insecure-registries in the Docker daemon configuration instead',
      );
    }
    return new DockerBuilder(exec, credentials);
  };
  const probes: Record<BuilderName, () => Promise<boolean>> = {
    docker: async () =>
      (await works('docker', ['version', '--format', '{{.Server.Version}}'])) &&
      works('docker', ['buildx', 'version']),
    buildah: () => works('buildah', ['version']),
    podman: () => works('podman', ['version']),
  };
  if (choice !== 'auto') {
    if (!(await probes[choice]())) {
      throw new ActionError(
        choice === 'docker'
          ? `builder "docker" was chosen but no Docker engine with buildx answers (docker version / docker buildx version failed: ${why['docker']})`
          : `builder "${choice}" was chosen but "${choice} version" failed: ${why[choice]}`,
      );
    }
    return make(choice);
  }
  for (const name of ['docker', 'buildah', 'podman'] as const) if (await probes[name]()) return make(name);
  throw new ActionError(
    'no image builder found: install docker with buildx (and a running engine), buildah or podman, or set builder',
  );
}
