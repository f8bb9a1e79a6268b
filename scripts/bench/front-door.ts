// Front door overhead: the same closed-loop load against one test-app container, directly and through
// the sandbox's TLS front door, in the same run. Also the time a slot swap takes with two instances each.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { selfSignedCert } from '../../__tests__/helpers/tls.js';
import { SlotFleet } from '../../sandbox/dataplane/fleet.js';
import { listenFor, type Routing } from '../../sandbox/dataplane/front-door.js';
import { CliRuntime } from '../../sandbox/dataplane/runtime.js';
import { swap } from '../../sandbox/dataplane/swap.js';
import { buildTestImage } from '../../sandbox/testimage/build.js';
import { stateDir } from '../lib/containers.mjs';

const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const CONCURRENCY = 32;
const storage = stateDir('sandbox-store');
const secrets = mkdtempSync(join(tmpdir(), 'slotline-bench-'));
const image = 'localhost/slotline/testapp:bench';
const runtime = new CliRuntime('podman', secrets, storage);
const label = { name: 'slotline.bench', value: String(process.pid) };
const tls = selfSignedCert();

// wrk runs as a child process: the front door under test lives in this process's event loop.
async function wrk(url: string): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const { stdout: out } = await promisify(execFile)('wrk', [
    '-t2',
    `-c${CONCURRENCY}`,
    `-d${DURATION_MS / 1000}s`,
    '--latency',
    url,
  ]);
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[m[2]!]!;
  };
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: ms(' 50'),
    p99: ms(' 99'),
    errors: (errors ? errors.slice(1).reduce((t, n) => t + Number(n), 0) : 0) + Number(non2xx?.[1] ?? 0),
  };
}

await buildTestImage(image, storage);
const production = new SlotFleet(`bench-prod-${process.pid}`, { runtime, label, timeScale: 60 });
const staging = new SlotFleet(`bench-staging-${process.pid}`, { runtime, label, timeScale: 60 });
const env = (body: string) => ({ BODY: body, WEBSITES_PORT: '8080' });
try {
  await production.reconcile({ image, env: env('v1') }, 1);
  const direct = `http://127.0.0.1:${production.instances[0]!.port}/`;
  const routing = (): Routing => ({
    production: { resourceId: '/bench', slot: 'production', instances: production.instances },
    slots: new Map(),
    rampUp: [],
  });
  const listener = await listenFor({ production: true }, routing, { tls });
  // wrk, the same tool for both targets, in the same run.
  const a = await wrk(direct);
  const b = await wrk(`https://${listener.host}/`);
  console.log(
    `wrk: ${CONCURRENCY} connections, 2 threads, ${DURATION_MS / 1000} s each, one busybox test-app container`,
  );
  console.log(
    `  direct to container        ${a.rps.toFixed(0).padStart(6)} req/s  p50 ${a.p50} ms  p99 ${a.p99} ms  errors ${a.errors}`,
  );
  console.log(
    `  through TLS front door     ${b.rps.toFixed(0).padStart(6)} req/s  p50 ${b.p50} ms  p99 ${b.p99} ms  errors ${b.errors}`,
  );
  console.log(
    `  front door overhead        ${(100 * (1 - b.rps / Math.max(1, a.rps))).toFixed(1)}% throughput, ${(b.p99 - a.p99).toFixed(1)} ms p99`,
  );

  await production.reconcile({ image, env: env('v1') }, 2);
  await staging.reconcile({ image, env: { ...env('v2'), STICKY: 'staging' } }, 2);
  const started = Date.now();
  await swap(
    staging,
    production,
    {
      source: { image, appSettings: { ...env('v2'), STICKY: 'staging' } },
      target: { image, appSettings: { ...env('v1'), STICKY: 'production' } },
    },
    ['STICKY'],
    { capacity: 2, timeScale: 60 },
  );
  console.log(
    `swap with a sticky setting (restart 2 instances, warm-up, switch, restart 2): ${Date.now() - started} ms`,
  );
  await listener.close();
} finally {
  await production.stopAll();
  await staging.stopAll();
  rmSync(secrets, { recursive: true, force: true });
}
