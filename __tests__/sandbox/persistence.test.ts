import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';
import { waitFor } from '../helpers/wait.js';
import {
  call,
  FAST,
  removeDir,
  type SandboxProcess,
  siteId,
  startSandbox,
  tempDir,
  tokenFor,
} from './helpers.js';

// The CLI contract (ready line, connection.json, signals, --port) and persistence: a restart with the same
// state dir keeps resources, identities, keys and the CA; a new state dir starts from the config.

const CONNECTION_FIELDS = [
  'armEndpoint',
  'authorityHost',
  'tenantId',
  'subscriptionId',
  'clientId',
  'clientSecret',
  'caCertPath',
  'resourceGroup',
  'siteName',
  'planName',
  'autoscaleSettingName',
  'oidcRequestUrl',
  'oidcRequestToken',
  'adminEndpoint',
].sort();

const dirs: string[] = [];
const running: SandboxProcess[] = [];

afterAll(async () => {
  for (const sb of running) await sb.stop();
  for (const dir of dirs) removeDir(dir);
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('restart with the same state dir keeps resources, identities, signing keys and the CA; a new dir starts from the config', async () => {
  const stateDir = tempDir('persist');
  dirs.push(stateDir);
  const port = await freePort();
  const first = await startSandbox({ stateDir, config: FAST, port });
  running.push(first);

  // The interface: one ready line, connection.json with exactly the fields, the requested port.
  expect(first.readyLine).toMatch(
    new RegExp(
      `^sandbox: ready; ARM at https://127\\.0\\.0\\.1:${port}, connection details in .*connection\\.json$`,
    ),
  );
  expect(Object.keys(first.conn).sort()).toEqual(CONNECTION_FIELDS);
  expect(first.conn).toMatchObject({
    armEndpoint: `https://127.0.0.1:${port}`,
    resourceGroup: 'slotline-demo',
    siteName: 'slotline-demo-web',
    planName: 'slotline-demo-plan',
    autoscaleSettingName: 'slotline-demo-autoscale',
    caCertPath: join(stateDir, 'ca.pem'),
  });
  expect(first.conn.oidcRequestUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/.+\?api-version=2\.0$/);
  expect(first.conn.adminEndpoint).not.toBe(first.conn.armEndpoint);
  // Secrets on disk are for the owner only.
  expect(statSync(join(stateDir, 'connection.json')).mode & 0o077).toBe(0);
  expect(statSync(join(stateDir, 'state.json')).mode & 0o077).toBe(0);

  const token = await tokenFor(first);
  const base = `${first.conn.armEndpoint}${siteId(first.conn)}`;
  const put = await call(first, 'PUT', `${base}/slots/canary?api-version=2025-05-01`, {
    token,
    body: { location: 'West Europe', properties: {} },
  });
  expect(put.status).toBe(202);
  await waitFor(async () => (await call(first, 'GET', put.headers['location']!, { token })).status === 200, {
    timeoutMs: FAST.operationDurationMs + 10_000,
    what: 'the slot creation to finish',
  });
  const settings = await call(
    first,
    'PUT',
    `${base}/slots/canary/config/appsettings?api-version=2025-05-01`,
    {
      token,
      body: { properties: { RELEASE: '2026.11.26' } },
    },
  );
  expect(settings.status).toBe(200);
  const ca = readFileSync(first.conn.caCertPath, 'utf8');
  // SIGINT stops it cleanly too.
  expect(await first.stop('SIGINT')).toBe(0);
  expect(first.output()).toContain('sandbox: SIGINT received, stopping');

  const second = await startSandbox({ stateDir, config: FAST });
  running.push(second);
  for (const field of [
    'tenantId',
    'subscriptionId',
    'clientId',
    'clientSecret',
    'oidcRequestToken',
    'caCertPath',
  ] as const) {
    expect(second.conn[field]).toBe(first.conn[field]);
  }
  expect(readFileSync(second.conn.caCertPath, 'utf8')).toBe(ca);
  // A token issued before the restart still verifies: the signing keys persisted.
  const base2 = `${second.conn.armEndpoint}${siteId(second.conn)}`;
  const slot = await call(second, 'GET', `${base2}/slots/canary?api-version=2025-05-01`, { token });
  expect(slot.status).toBe(200);
  const kept = await call(
    second,
    'POST',
    `${base2}/slots/canary/config/appsettings/list?api-version=2025-05-01`,
    { token },
  );
  expect((kept.body as { properties: Record<string, string> }).properties).toEqual({ RELEASE: '2026.11.26' });
  expect(await second.stop()).toBe(0);

  const freshDir = tempDir('fresh');
  dirs.push(freshDir);
  const fresh = await startSandbox({
    stateDir: freshDir,
    config: {
      ...FAST,
      defaults: {
        resourceGroup: 'slotline-demo',
        siteName: 'slotline-demo-web',
        planName: 'slotline-demo-plan',
        autoscaleSettingName: 'slotline-demo-autoscale',
      },
    },
  });
  running.push(fresh);
  expect(fresh.conn.subscriptionId).not.toBe(first.conn.subscriptionId);
  const freshToken = await tokenFor(fresh);
  const slots = await call(
    fresh,
    'GET',
    `${fresh.conn.armEndpoint}${siteId(fresh.conn)}/slots?api-version=2025-05-01`,
    { token: freshToken },
  );
  expect((slots.body as { value: { name: string }[] }).value.map((s) => s.name)).toEqual([
    'slotline-demo-web/staging',
  ]);
  expect(await fresh.stop()).toBe(0);
}, 90_000);

test('a config file that does not match the schema is refused with the path of the problem', async () => {
  const stateDir = tempDir('badconfig');
  dirs.push(stateDir);
  await expect(
    startSandbox({ stateDir, config: { resourceGroups: [{ name: 'rg', sites: [{ name: 'web' }] }] } }),
  ).rejects.toThrow(/sandbox: config .*resourceGroups\[0\]\.sites\[0\] must have required property 'plan'/);
});

test('`npm run sandbox` is the interface: ready line, and SIGTERM to npm stops the sandbox behind it', async () => {
  const stateDir = tempDir('npm');
  dirs.push(stateDir);
  const npm = process.env['npm_execpath'];
  const child = npm
    ? spawn(process.execPath, [npm, 'run', '--silent', 'sandbox', '--', '--state-dir', stateDir, '--quiet'], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn('npm', ['run', '--silent', 'sandbox', '--', '--state-dir', stateDir, '--quiet'], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor(() => output.includes('sandbox: ready'), { timeoutMs: 30_000, what: 'sandbox: ready' });
  expect(output).toMatch(
    /^sandbox: ready; ARM at https:\/\/127\.0\.0\.1:\d+, connection details in .*connection\.json\n$/,
  );
  const conn = JSON.parse(readFileSync(join(stateDir, 'connection.json'), 'utf8')) as { armEndpoint: string };
  const port = Number(new URL(conn.armEndpoint).port);
  process.kill(child.pid!, 'SIGTERM');
  await exited;
  // Nothing keeps listening once npm is gone: the signal reached the sandbox itself.
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  await waitFor(async () => !(await listening()), {
    timeoutMs: 5_000,
    intervalMs: 100,
    what: `port ${port} to close`,
  });
  expect(output).toContain('sandbox: SIGTERM received, stopping');
}, 60_000);
