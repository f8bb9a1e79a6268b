import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { defaultDeps, run } from '../../src/build-image/main.js';
import type { EventContext } from '../../src/build-image/metadata.js';
import { execFile } from '../../src/lib/exec.js';
import {
  type ContainerEnv,
  containerEnv,
  ensureBaseImage,
  freePort,
  podmanArgs,
  type Registry,
  requireTools,
  startRegistry,
  storeDir,
  tool,
  waitForPort,
} from '../helpers/containers.js';
import { repoRoot, runBundle, runInProcess } from '../helpers/runner.js';

/**
 * build-image for real: buildah builds the reference app's own Dockerfile on the Debian-built base image,
 * pushes to a docker-registry with htpasswd auth, and skopeo/podman check what arrived.
 */

const USER = 'ci-pusher';
const PASSWORD = 'Reg1stry-Pa55-for-tests';
const appDir = join(repoRoot, 'examples', 'flask-app');
const SHA = '90dd6032fac8bda1b6c4436a2e65de27961ed071';

const pushToMain: EventContext = {
  eventName: 'push',
  ref: 'refs/heads/main',
  sha: SHA,
  serverUrl: 'https://github.com',
  repo: { owner: 'contoso', repo: 'portal' },
  payload: {
    repository: {
      name: 'portal',
      description: 'Compliance document portal',
      html_url: 'https://github.com/contoso/portal',
      default_branch: 'main',
      license: { spdx_id: 'MIT' },
    },
  },
};

let registry: Registry;
let containers: ContainerEnv;
let baseImage: string;

beforeAll(async () => {
  requireTools('buildah', 'podman', 'skopeo', 'docker-registry', 'htpasswd', 'mmdebstrap', 'runc');
  baseImage = ensureBaseImage();
  registry = await startRegistry({ [USER]: PASSWORD });
  containers = containerEnv([registry.host]);
  // As on a runner: build-image keeps registry credentials in RUNNER_TEMP.
  containers.env['RUNNER_TEMP'] = containers.dir;
}, 300_000);

afterAll(async () => {
  if (containers && registry) {
    // vfs keeps a full copy per layer: drop what these tests built so repeated runs don't fill the disk.
    // The tagged base image stays, so the next run skips mmdebstrap.
    const built = tool('buildah', ['images', '--format', '{{.Name}}:{{.Tag}}'], containers.env)
      .split('\n')
      .filter((name) => name.startsWith(`${registry.host}/`));
    if (built.length > 0) tool('buildah', ['rmi', '--force', ...built], containers.env);
    tool('buildah', ['rmi', '--prune'], containers.env);
  }
  await registry?.stop();
  containers?.cleanup();
});

function skopeo(args: string[]): string {
  return tool('skopeo', [...args, '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`], containers.env);
}

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    builder: 'buildah',
    context: appDir,
    registry: registry.host,
    repository: 'contoso/portal',
    'build-args': `BASE_IMAGE=${baseImage}`,
    username: USER,
    password: PASSWORD,
    'tls-verify': 'false',
    ...extra,
  };
}

const deps = (event: EventContext) => ({
  ...defaultDeps(),
  exec: execFile,
  now: () => new Date('2026-11-26T10:00:00Z'),
  eventContext: async () => event,
});

describe('build-image with buildah and the reference app', () => {
  let outputs: Record<string, string>;
  let summary: string;
  let log: string;

  beforeAll(async () => {
    const result = await runInProcess(() => run(process.env, deps(pushToMain)), inputs(), containers.env);
    ({ outputs, summary, log } = result);
    if (result.exitCode !== 0) throw new Error(`build-image failed:\n${result.log.slice(-3000)}`);
  }, 300_000);

  test('outputs the immutable reference, and the digest is what the registry serves for every tag', () => {
    expect(outputs['digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outputs['image']).toBe(`${registry.host}/contoso/portal@${outputs['digest']}`);
    expect(outputs['tags']!.split('\n')).toEqual([
      `${registry.host}/contoso/portal:main`,
      `${registry.host}/contoso/portal:sha-90dd603`,
    ]);
    for (const tag of ['main', 'sha-90dd603']) {
      const served = JSON.parse(skopeo(['inspect', `docker://${registry.host}/contoso/portal:${tag}`]));
      expect(served.Digest).toBe(outputs['digest']);
    }
    const byDigest = JSON.parse(skopeo(['inspect', `docker://${outputs['image']}`]));
    expect(byDigest.RepoTags.sort()).toEqual(['main', 'sha-90dd603']);
  });

  test('the pushed image carries the OCI labels, runs as non-root and keeps the HEALTHCHECK', () => {
    const config = JSON.parse(skopeo(['inspect', '--config', '--raw', `docker://${outputs['image']}`]));
    const labels = config.config.Labels as Record<string, string>;
    expect(labels).toMatchObject({
      'org.opencontainers.image.source': 'https://github.com/contoso/portal',
      'org.opencontainers.image.url': 'https://github.com/contoso/portal',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.version': 'main',
      'org.opencontainers.image.created': '2026-11-26T10:00:00.000Z',
      'org.opencontainers.image.title': 'portal',
      'org.opencontainers.image.description': 'Compliance document portal',
      'org.opencontainers.image.licenses': 'MIT',
    });
    const user = String(config.config.User);
    expect(user).not.toBe('');
    expect(user.split(':')[0]).not.toMatch(/^(0|root)$/);
    expect(config.config.Healthcheck.Test).toEqual(['CMD', 'python3', '/app/healthcheck.py']);
    // The image ID is the config digest: the same one the pushed manifest points at.
    expect(outputs['imageid']).toMatch(/^sha256:[0-9a-f]{64}$/);
    const manifest = JSON.parse(skopeo(['inspect', '--raw', `docker://${outputs['image']}`]));
    expect(manifest.config.digest).toBe(outputs['imageid']);
  });

  test('metadata and the job summary report tags, digest, size, layers, duration and cache hits', () => {
    const metadata = JSON.parse(outputs['metadata']!);
    expect(metadata).toMatchObject({
      digest: outputs['digest'],
      builder: 'buildah',
      pushed: true,
      version: 'main',
    });
    expect(metadata['size-bytes']).toBeGreaterThan(10_000_000);
    expect(metadata.layers).toBeGreaterThanOrEqual(2);
    expect(metadata.steps).toBeGreaterThanOrEqual(10);
    expect(metadata['cache-hits']).toBeLessThanOrEqual(metadata.steps);
    expect(metadata['build-duration-ms']).toBeGreaterThan(0);
    for (const text of [outputs['digest']!, 'Size', 'Layers', 'Build duration', 'Cache hits', ':sha-90dd603'])
      expect(summary).toContain(text);
  });

  test('the password never reaches the log, outputs or summary', () => {
    expect(log).not.toContain(PASSWORD);
    expect(summary).not.toContain(PASSWORD);
    expect(JSON.stringify(outputs)).not.toContain(PASSWORD);
  });

  test('the image runs under podman and answers /healthz as a non-root process', async () => {
    const port = await freePort();
    const id = tool(
      'podman',
      [
        ...podmanArgs(),
        'run',
        '-d',
        '--no-healthcheck',
        '--ulimit',
        'nofile=20000:20000',
        '--ulimit',
        'nproc=1000:1000',
        '-e',
        'WEBSITES_PORT=8080',
        // The app refuses to start without DATABASE_URL; /healthz does not need the database to answer.
        '-e',
        'DATABASE_URL=postgresql://portal@127.0.0.1:1/portal',
        '-p',
        `127.0.0.1:${port}:8080`,
        outputs['imageid']!,
      ],
      containers.env,
    ).trim();
    try {
      await waitForPort(port, 30_000);
      let body: unknown;
      for (let attempt = 0; attempt < 50 && body === undefined; attempt++) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`);
          if (response.status === 200) body = await response.json();
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(body).toEqual({ status: 'ok', version: 'dev' });
      const uid = tool('podman', [...podmanArgs(), 'exec', id, 'id', '-u'], containers.env).trim();
      expect(uid).toBe('10001');
    } finally {
      spawnStop(id);
    }
  }, 120_000);
});

function spawnStop(id: string): void {
  try {
    tool('podman', [...podmanArgs(), 'stop', '-t', '2', id], containers.env);
  } finally {
    tool('podman', [...podmanArgs(), 'rm', '-f', id], containers.env);
  }
}

describe('build-image with podman and a registry layer cache', () => {
  test('podman builds the same Dockerfile, pushes with a matching digest and writes the layer cache', async () => {
    const cacheRef = `${registry.host}/contoso/portal-cache:buildcache`;
    const result = await runInProcess(
      () => run(process.env, deps(pushToMain)),
      inputs({
        builder: 'podman',
        tags: 'type=raw,value=podman-built',
        'cache-to': `type=registry,ref=${cacheRef},mode=max`,
      }),
      containers.env,
    );
    if (result.exitCode !== 0) throw new Error(`build-image failed:\n${result.log.slice(-3000)}`);
    expect(JSON.parse(result.outputs['metadata']!).builder).toBe('podman');
    const served = JSON.parse(skopeo(['inspect', `docker://${registry.host}/contoso/portal:podman-built`]));
    expect(served.Digest).toBe(result.outputs['digest']);
    // buildah/podman store cache layers as tags of the cache repository (the tag in ref is dropped).
    const cacheTags = JSON.parse(
      skopeo(['list-tags', `docker://${registry.host}/contoso/portal-cache`]),
    ).Tags;
    expect(cacheTags.length).toBeGreaterThan(0);
    expect(result.log).not.toContain(PASSWORD);
  }, 300_000);
});

describe('npm run base-image --push', () => {
  test('pushes the cached Debian base image to the registry', () => {
    const ref = `${registry.host}/slotline/python-base:bookworm`;
    const out = tool(
      'bash',
      [
        join(repoRoot, 'scripts', 'base-image.sh'),
        '--push',
        `docker://${ref}`,
        '--creds',
        `${USER}:${PASSWORD}`,
      ],
      { SLOTLINE_CONTAINERS_DIR: storeDir },
      300_000,
    );
    expect(out.trim().split('\n').pop()).toBe(baseImage);
    const served = JSON.parse(skopeo(['inspect', `docker://${ref}`]));
    expect(served.Labels['org.slotline.base.packages']).toContain('python3-flask');
  }, 300_000);
});

describe('build-image failures', () => {
  test('a failing Dockerfile: one clear error naming the step, its output in a log group, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slotline-bad-build-'));
    try {
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM ${baseImage}\nRUN echo preparing\nRUN echo "compiling portal" && python3 -c "import no_such_module"\nRUN echo never\n`,
      );
      const result = await runInProcess(
        () => run(process.env, deps(pushToMain)),
        inputs({ context: dir, 'build-args': '' }),
        containers.env,
      );
      expect(result.exitCode).toBe(1);
      const errors = result.log.split('\n').filter((l) => l.startsWith('::error::'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^::error::build-image: buildah build failed at STEP 3\/\d+: RUN echo "compiling portal"/,
      );
      expect(errors[0]).toMatch(/exit code \d+/);
      const group = result.log.slice(result.log.indexOf('::group::Failed step: STEP 3/'));
      expect(group).toContain('compiling portal');
      expect(group).toContain("ModuleNotFoundError: No module named 'no_such_module'");
      expect(group).toContain('::endgroup::');
      expect(result.outputs['digest']).toBeUndefined();
      // The failed build left no working container behind.
      expect(tool('buildah', ['containers', '--quiet'], containers.env).trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  test('a registry that refuses the credentials: clear error, password never logged', async () => {
    const wrong = 'Wr0ng-Pa55word-xyz';
    const result = await runInProcess(
      () => run(process.env, deps(pushToMain)),
      inputs({ password: wrong }),
      containers.env,
    );
    expect(result.exitCode).toBe(1);
    const errors = result.log.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      `build-image: registry ${registry.host} refused the login for user "${USER}"`,
    );
    expect(result.log).not.toContain(wrong);
    expect(result.masked).toContain(wrong);
    expect(result.log).not.toContain('STEP 1/'); // nothing was built
  }, 60_000);
});

describe('the committed bundle, run the way the runner runs it', () => {
  test('a v1.2.3 tag push: semver tags, latest, same digest in the registry', async () => {
    const eventDir = mkdtempSync(join(tmpdir(), 'slotline-event-'));
    try {
      const eventPath = join(eventDir, 'event.json');
      writeFileSync(
        eventPath,
        JSON.stringify({ ref: 'refs/tags/v1.2.3', repository: pushToMain.payload.repository }),
      );
      const result = await runBundle(
        'build-image',
        inputs({
          tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=sha',
        }),
        {
          ...containers.env,
          GITHUB_EVENT_NAME: 'push',
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_REF: 'refs/tags/v1.2.3',
          GITHUB_SHA: SHA,
          GITHUB_REPOSITORY: 'contoso/portal',
          GITHUB_SERVER_URL: 'https://github.com',
        },
        300_000,
      );
      if (result.exitCode !== 0) throw new Error(`bundle failed:\n${result.log.slice(-3000)}`);
      expect(result.outputs['tags']!.split('\n')).toEqual(
        ['1.2.3', '1.2', 'sha-90dd603', 'latest'].map((t) => `${registry.host}/contoso/portal:${t}`),
      );
      const served = JSON.parse(skopeo(['inspect', `docker://${registry.host}/contoso/portal:1.2`]));
      expect(served.Digest).toBe(result.outputs['digest']);
      expect(served.Labels['org.opencontainers.image.version']).toBe('1.2.3');
      // Only the labels changed since the first build: every step before them comes from the cache.
      expect(JSON.parse(result.outputs['metadata']!)['cache-hits']).toBeGreaterThan(0);
      expect(result.log).not.toContain(PASSWORD);
    } finally {
      rmSync(eventDir, { recursive: true, force: true });
    }
  }, 300_000);
});
