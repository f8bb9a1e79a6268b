// Build times of the reference image through the real build-image bundle (builder buildah, push false):
// cold (empty layer cache: a fresh store holding only the base image), warm (nothing changed) and after
// an app code change. Also times the Debian base image (mmdebstrap + import) unless --skip-base.
//
// Usage: node scripts/bench/build-image.mjs [--skip-base]
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateDir, storageConf, storageFlags, storeDir } from '../lib/containers.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const mainStore = storeDir();
const skipBase = process.argv.includes('--skip-base');
const log = (msg) => console.error(`[bench build-image] ${msg}`);
const seconds = (ms) => Math.round(ms / 100) / 10;

// The bench store holds several GB: under $SLOTLINE_STATE_DIR, not in /tmp (often a small tmpfs).
mkdirSync(stateDir(), { recursive: true });
const work = mkdtempSync(join(stateDir(), 'bench-build-'));
const store = join(work, 'store');
writeFileSync(join(work, 'storage.conf'), storageConf(store));
const containerEnv = { CONTAINERS_STORAGE_CONF: join(work, 'storage.conf'), BUILDAH_ISOLATION: 'chroot' };

function timed(fn) {
  const started = performance.now();
  const value = fn();
  return { ms: performance.now() - started, value };
}

/** One run of the committed bundle, as the runner runs it. */
function buildWithAction(context) {
  const output = join(work, 'output');
  const summary = join(work, 'summary');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const result = spawnSync(process.execPath, [join(repoRoot, 'dist', 'build-image', 'index.js')], {
    encoding: 'utf8',
    env: {
      ...process.env,
      ...containerEnv,
      INPUT_BUILDER: 'buildah',
      INPUT_CONTEXT: context,
      INPUT_REGISTRY: 'registry.bench.test',
      INPUT_REPOSITORY: 'slotline/portal',
      INPUT_PUSH: 'false',
      INPUT_TAGS: 'type=raw,value=bench',
      'INPUT_BUILD-ARGS': 'BASE_IMAGE=localhost/slotline/python-base:bookworm',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: '0000000000000000000000000000000000000000',
      GITHUB_REPOSITORY: 'slotline/portal',
    },
    timeout: 600_000,
  });
  if (result.status !== 0)
    throw new Error(`build-image failed:\n${result.stdout.slice(-3000)}\n${result.stderr}`);
  const text = readFileSync(output, 'utf8');
  const metadata = /metadata<<(\S+)\n([\s\S]*?)\n\1/.exec(text);
  return JSON.parse(metadata[2]);
}

try {
  const results = {};
  if (!skipBase) {
    log('base image: mmdebstrap + import into a fresh store');
    const base = timed(() =>
      execFileSync('bash', [join(repoRoot, 'scripts', 'base-image.sh'), '--force'], {
        env: { ...process.env, SLOTLINE_CONTAINERS_DIR: join(work, 'base-store') },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    results.base_image_cold_s = seconds(base.ms);
    rmSync(join(work, 'base-store'), { recursive: true, force: true });
  }
  const cached = timed(() =>
    execFileSync('bash', [join(repoRoot, 'scripts', 'base-image.sh')], { stdio: 'ignore' }),
  );
  results.base_image_cached_s = seconds(cached.ms);

  // The fresh store gets only the base image, so the first build has no layer cache at all.
  log('copying the base image into a fresh store');
  const archive = join(work, 'base.tar');
  execFileSync(
    'buildah',
    [
      ...storageFlags(mainStore),
      'push',
      '--quiet',
      'localhost/slotline/python-base:bookworm',
      `oci-archive:${archive}`,
    ],
    { stdio: 'ignore' },
  );
  execFileSync('buildah', ['pull', '--quiet', `oci-archive:${archive}`], {
    env: { ...process.env, ...containerEnv },
    stdio: 'ignore',
  });
  const imported = execFileSync('buildah', ['images', '--quiet'], {
    env: { ...process.env, ...containerEnv },
    encoding: 'utf8',
  })
    .trim()
    .split('\n')[0];
  execFileSync('buildah', ['tag', imported, 'localhost/slotline/python-base:bookworm'], {
    env: { ...process.env, ...containerEnv },
  });
  rmSync(archive);

  const app = join(work, 'app');
  cpSync(join(repoRoot, 'examples', 'flask-app'), app, {
    recursive: true,
    filter: (src) => !src.includes('__pycache__') && !src.includes('static-build'),
  });

  log('cold build');
  const cold = timed(() => buildWithAction(app));
  log('warm rebuild, nothing changed');
  const warm = timed(() => buildWithAction(app));
  log('rebuild after an app code change');
  writeFileSync(join(app, 'portal', 'bench_marker.py'), `BUILT_AT = ${Date.now()}\n`);
  const changed = timed(() => buildWithAction(app));

  for (const [name, run] of Object.entries({ cold, warm, code_change: changed })) {
    results[`${name}_s`] = seconds(run.ms);
    results[`${name}_build_s`] = seconds(run.value['build-duration-ms']);
    results[`${name}_cache_hits`] = `${run.value['cache-hits']}/${run.value.steps}`;
  }
  results.image_size_mb = Math.round(cold.value['size-bytes'] / 1e5) / 10;
  results.layers = cold.value.layers;
  console.log(JSON.stringify(results, null, 2));
} finally {
  // vfs stores a full copy per layer: remove the bench store (several GB) right away.
  spawnSync('buildah', ['rm', '--all'], { env: { ...process.env, ...containerEnv }, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
