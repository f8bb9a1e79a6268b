// node scripts/bench/sandbox.mjs [--calls N]: control-plane sandbox (--no-containers) start-up time (fresh state dir, then a restart of the
// same dir) and the latency of one token request + one ARM GET, p50/p95 over N calls (default 50, at most
// 500). Prints one line per measurement.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quantile } from 'simple-statistics';
import { Agent, request } from 'undici';
import { repoRoot } from '../actions.mjs';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '50' } } });
const calls = Math.min(500, Math.max(1, Number(values.calls) || 50));

function start(stateDir) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'sandbox', 'cli.ts'),
      '--state-dir',
      stateDir,
      '--quiet',
      '--no-containers',
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('sandbox: ready')) resolve({ child, ms: performance.now() - started });
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${out}`)));
  });
}

async function stop(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

const dir = mkdtempSync(join(tmpdir(), 'slotline-bench-sandbox-'));
try {
  const cold = await start(dir);
  await stop(cold.child);
  const warm = await start(dir);
  console.log(`sandbox start-up (new state dir: CA, keys, seed): ${cold.ms.toFixed(0)} ms`);
  console.log(`sandbox start-up (restart of an existing state dir): ${warm.ms.toFixed(0)} ms`);

  const conn = JSON.parse(readFileSync(join(dir, 'connection.json'), 'utf8'));
  const agent = new Agent({ connect: { ca: readFileSync(conn.caCertPath, 'utf8') } });
  const site = `${conn.armEndpoint}/subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Web/sites/${conn.siteName}?api-version=2025-05-01`;
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: conn.clientId,
    client_secret: conn.clientSecret,
    scope: 'https://management.azure.com/.default',
  }).toString();
  const roundTrips = [];
  const armOnly = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const tokenRes = await request(`${conn.authorityHost}/${conn.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
      dispatcher: agent,
    });
    const { access_token: token } = await tokenRes.body.json();
    const t1 = performance.now();
    const armRes = await request(site, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
    await armRes.body.json();
    if (armRes.statusCode !== 200) throw new Error(`ARM GET returned ${armRes.statusCode}`);
    const t2 = performance.now();
    roundTrips.push(t2 - t0);
    armOnly.push(t2 - t1);
  }
  const fmt = (xs) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p95 ${quantile(xs, 0.95).toFixed(1)} ms`;
  console.log(`token + ARM GET site round trip (${calls} calls, keep-alive): ${fmt(roundTrips)}`);
  console.log(`ARM GET site alone (${calls} calls): ${fmt(armOnly)}`);
  await agent.close();
  await stop(warm.child);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
