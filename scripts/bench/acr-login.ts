// ACR login through the sandbox: latency of each hop build-image makes before the builder logs in (Entra
// token, /oauth2/exchange) and the one buildah/skopeo make per scope (/oauth2/token), sequentially, in-process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { loadConfig } from '../../sandbox/config.js';
import { startSandbox } from '../../sandbox/sandbox.js';
import { percentile } from '../../src/lib/stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const stateDir = mkdtempSync(join(tmpdir(), 'slotline-bench-acr-'));
const config = { ...(await loadConfig(undefined)), containerRegistries: [{ name: 'slotlinebench' }] };
const sandbox = await startSandbox({ stateDir, config });
const conn = sandbox.connection;
const loginServer = conn.containerRegistries![0]!.loginServer;
const dispatcher = new Agent({ connect: { ca: readFileSync(conn.caCertPath, 'utf8') } });

async function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    dispatcher,
  });
  const body = (await res.body.json()) as Record<string, string>;
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${JSON.stringify(body)}`);
  return body;
}

const timings: Record<string, number[]> = { 'Entra token': [], '/oauth2/exchange': [], '/oauth2/token': [] };
async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings[name]!.push(performance.now() - started);
  return result;
}

try {
  for (let i = 0; i < ROUNDS; i++) {
    const aad = await timed('Entra token', () =>
      post(`${conn.authorityHost}/${conn.tenantId}/oauth2/v2.0/token`, {
        grant_type: 'client_credentials',
        client_id: conn.clientId,
        client_secret: conn.clientSecret,
        scope: 'https://containerregistry.azure.net/.default',
      }),
    );
    const exchanged = await timed('/oauth2/exchange', () =>
      post(`https://${loginServer}/oauth2/exchange`, {
        grant_type: 'access_token',
        service: loginServer,
        tenant: conn.tenantId,
        access_token: aad['access_token']!,
      }),
    );
    await timed('/oauth2/token', () =>
      post(`https://${loginServer}/oauth2/token`, {
        grant_type: 'refresh_token',
        service: loginServer,
        scope: 'repository:team/portal:pull,push',
        refresh_token: exchanged['refresh_token']!,
      }),
    );
  }
  console.log(`ACR login hops against the sandbox, ${ROUNDS} sequential rounds, keep-alive TLS, in-process`);
  for (const [name, values] of Object.entries(timings)) {
    const p = (q: number) => (percentile(values, q / 100) ?? Number.NaN).toFixed(2);
    console.log(`  ${name.padEnd(18)} p50 ${p(50)} ms  p95 ${p(95)} ms  p99 ${p(99)} ms`);
  }
} finally {
  await dispatcher.close();
  await sandbox.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
