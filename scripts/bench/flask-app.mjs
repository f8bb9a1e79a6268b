// Load test of the reference app: 1000 concurrent connections for 30 s with wrk, against the built image
// under podman (default) or the app under gunicorn directly (--mode=gunicorn). Real PostgreSQL and Redis
// run on free loopback ports. Prints requests/s, p50/p95/p99 and errors, and checks the target
// (p95 < 2 s, 0 errors).
//
// Usage: node scripts/bench/flask-app.mjs [--mode=image|gunicorn] [--connections=1000] [--duration=30] [--think-ms=0]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { podmanFlags, storeDir as sharedStoreDir, storageFlags } from '../lib/containers.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const appDir = join(repoRoot, 'examples', 'flask-app');
const storeDir = sharedStoreDir();
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'];
  }),
);
const mode = args.mode ?? 'image';
const connections = Number(args.connections ?? 1000);
const duration = Number(args.duration ?? 30);
// 0: each connection sends its next request as soon as the last one returns (saturation). > 0: each
// connection is a user who waits this long between requests (wrk's delay()), the "1000 users" model.
const thinkMs = Number(args['think-ms'] ?? 0);
const PY = '/usr/bin/python3';

const cleanups = [];
const log = (msg) => console.error(`[bench flask-app] ${msg}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port }, () => {
        sock.end();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port}`);
}

function startDaemon(cmd, cmdArgs, opts = {}) {
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
  cleanups.push(
    () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  );
  return child;
}

async function startPostgres() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
  const asPostgres = (cmd) =>
    process.getuid() === 0 ? ['runuser', ['-u', 'postgres', '--', ...cmd]] : [cmd[0], cmd.slice(1)];
  if (process.getuid() === 0) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const bin = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], {
    encoding: 'utf8',
  }).trim();
  const [c, a] = asPostgres([
    `${bin}/initdb`,
    '-D',
    `${dir}/data`,
    '-U',
    'portal',
    '--auth=trust',
    '--no-sync',
  ]);
  execFileSync(c, a, { stdio: 'ignore' });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const [pc, pa] = asPostgres([
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
    'max_connections=100',
  ]);
  startDaemon(pc, pa, { stdio: 'ignore' });
  await waitForPort(port);
  await new Promise((r) => setTimeout(r, 500));
  return `postgresql://portal@127.0.0.1:${port}/postgres`;
}

async function startRedis() {
  const port = await freePort();
  startDaemon('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await waitForPort(port);
  return `redis://127.0.0.1:${port}/0`;
}

function podman(extra) {
  return [...podmanFlags(storeDir), ...extra];
}

function buildImage() {
  const base = execFileSync('bash', [join(repoRoot, 'scripts', 'base-image.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  log(`building the reference image on ${base}`);
  execFileSync(
    'buildah',
    [
      ...storageFlags(storeDir),
      'build',
      '--isolation',
      'chroot',
      '--layers',
      '--format',
      'docker',
      '--build-arg',
      `BASE_IMAGE=${base}`,
      '-t',
      'localhost/slotline/portal:bench',
      appDir,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return 'localhost/slotline/portal:bench';
}

async function startApp(port, databaseUrl, redisUrl) {
  const env = {
    WEBSITES_PORT: String(port),
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    APP_VERSION: 'bench',
  };
  if (mode === 'gunicorn') {
    const assets = mkdtempSync(join(tmpdir(), 'bench-assets-'));
    cleanups.push(() => rmSync(assets, { recursive: true, force: true }));
    startDaemon(PY, ['-m', 'gunicorn', '-c', 'gunicorn.conf.py', 'portal.wsgi:app'], {
      cwd: appDir,
      env: { ...process.env, ...env, ASSET_DIR: assets },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
  } else {
    const image = buildImage();
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const id = execFileSync(
      'podman',
      podman([
        'run',
        '-d',
        '--no-healthcheck',
        '--network',
        'host',
        '--ulimit',
        'nofile=20000:20000',
        '--ulimit',
        'nproc=1000:1000',
        ...envArgs,
        image,
      ]),
      { encoding: 'utf8' },
    ).trim();
    cleanups.push(() => {
      spawnSync('podman', podman(['stop', '-t', '3', id]), { stdio: 'ignore' });
      spawnSync('podman', podman(['rm', '-f', id]), { stdio: 'ignore' });
    });
  }
  await waitForPort(port);
}

const LUA = `
local paths = {}
local i = 0
local think = tonumber(os.getenv("THINK_MS") or "0")
init = function(args) for _, p in ipairs(args) do table.insert(paths, p) end end
if think > 0 then
  delay = function() return math.random(math.floor(think / 2), think + math.floor(think / 2)) end
end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"p50_ms":%.1f,"p95_ms":%.1f,"p99_ms":%.1f,"max_ms":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50)/1000, latency:percentile(95)/1000,
    latency:percentile(99)/1000, latency.max/1000, e.connect, e.read, e.write, e.status, e.timeout))
end
`;

async function main() {
  for (const tool of ['wrk', 'redis-server', 'podman', 'buildah']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`${tool} missing: run scripts/install-system-deps.sh`);
  }
  const [databaseUrl, redisUrl] = await Promise.all([startPostgres(), startRedis()]);
  const port = await freePort();
  await startApp(port, databaseUrl, redisUrl);
  const base = `http://127.0.0.1:${port}`;
  // Warm up: schema, seed, cache, and find the fingerprinted asset names the page links.
  let html = '';
  for (let i = 0; i < 50; i++) {
    try {
      html = await (await fetch(`${base}/`)).text();
      if ((await fetch(`${base}/readyz`)).status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  const assets = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
  await fetch(`${base}/api/documents`);
  const paths = ['/', '/api/documents', '/api/documents?status=approved', '/healthz', ...new Set(assets)];
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'mix.lua'), LUA);
  log(`${mode}: wrk -t2 -c${connections} -d${duration}s think ${thinkMs} ms over ${paths.join(' ')}`);
  const wrk = spawnSync(
    'wrk',
    [
      '-t2',
      `-c${connections}`,
      `-d${duration}s`,
      '--timeout',
      '10s',
      '-s',
      join(dir, 'mix.lua'),
      base,
      '--',
      ...paths,
    ],
    { encoding: 'utf8', timeout: (duration + 60) * 1000, env: { ...process.env, THINK_MS: String(thinkMs) } },
  );
  const line = (wrk.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk failed: ${wrk.stderr}\n${wrk.stdout}`);
  const r = JSON.parse(line.slice('RESULT '.length));
  const errors = r.connect + r.read + r.write + r.status + r.timeout;
  const result = {
    mode,
    connections,
    think_ms: thinkMs,
    duration_s: duration,
    requests: r.requests,
    requests_per_s: Math.round(r.requests / (r.duration_us / 1e6)),
    p50_ms: r.p50_ms,
    p95_ms: r.p95_ms,
    p99_ms: r.p99_ms,
    max_ms: r.max_ms,
    errors,
    error_detail: {
      connect: r.connect,
      read: r.read,
      write: r.write,
      status_not_2xx_3xx: r.status,
      timeout: r.timeout,
    },
    target_met: r.p95_ms < 2000 && errors === 0,
  };
  console.log(JSON.stringify(result, null, 2));
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
