import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { SandboxConnection } from '../../sandbox/sandbox.js';
import { repoRoot } from '../helpers/runner.js';

/** connection.json, exactly the fields issue 3 names. */
export type Connection = SandboxConnection;

export interface SandboxProcess {
  conn: Connection;
  stateDir: string;
  pid: number;
  /** Everything the sandbox printed so far. */
  output(): string;
  readyLine: string;
  /** SIGTERM by pid; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  agent: Agent;
}

const TSX = ['--import', 'tsx'];

/** A config that keeps long-running operations short so the suite stays quick. */
export const FAST = { operationDurationMs: 400, retryAfterSeconds: 1 };

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `slotline-${prefix}-`));
}

/**
 * Start `sandbox/cli.ts` as its own process on ephemeral ports, the way `npm run sandbox` does (node with
 * the tsx loader, without npm in between so the pid is the sandbox's own).
 */
export async function startSandbox(
  opts: {
    config?: Record<string, unknown>;
    stateDir?: string;
    port?: number;
    /** Run the data plane (real containers); the control-plane tests leave it off. */
    /** `network: 'host'`: containers share the machine's network (`--container-network host`). */
    dataPlane?: { timeScale: number; storageRoot: string; network?: 'bridge' | 'host' };
    /** Extra environment for the sandbox process (jest's process.env is not what spawn inherits). */
    env?: Record<string, string>;
  } = {},
): Promise<SandboxProcess> {
  // Directories this helper made are removed when the sandbox stops; a caller's own state dir is kept.
  const owned: string[] = [];
  const stateDir = opts.stateDir ?? tempDir('sandbox');
  if (!opts.stateDir) owned.push(stateDir);
  const args = [...TSX, join(repoRoot, 'sandbox', 'cli.ts'), '--state-dir', stateDir];
  if (opts.dataPlane) {
    args.push('--time-scale', String(opts.dataPlane.timeScale), '--storage-root', opts.dataPlane.storageRoot);
    if (opts.dataPlane.network) args.push('--container-network', opts.dataPlane.network);
  } else args.push('--no-containers');
  if (opts.config) {
    const configDir = tempDir('sandbox-config');
    owned.push(configDir);
    const file = join(configDir, 'config.json');
    writeFileSync(file, JSON.stringify(opts.config));
    args.push('--config', file);
  }
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const readyLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sandbox did not become ready in 30 s:\n${output}`)),
      30_000,
    );
    const check = () => {
      const line = output.split('\n').find((l) => l.startsWith('sandbox: ready'));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      for (const dir of owned) removeDir(dir);
      reject(new Error(`sandbox exited with ${code} before it was ready:\n${output}`));
    });
  });
  const conn = JSON.parse(readFileSync(join(stateDir, 'connection.json'), 'utf8')) as Connection;
  const agent = new Agent({ connect: { ca: readFileSync(conn.caCertPath, 'utf8') } });
  return {
    conn,
    stateDir,
    pid: child.pid!,
    readyLine,
    agent,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (!agent.destroyed && !agent.closed) await agent.close();
      // A child that already ended by a signal has no exit code but a signal code: don't signal it again.
      const running = () => child.exitCode === null && child.signalCode === null;
      if (running()) process.kill(child.pid!, signal);
      const timer = setTimeout(() => running() && process.kill(child.pid!, 'SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      for (const dir of owned) removeDir(dir);
      return code;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  text: string;
}

/** An HTTPS call that trusts the sandbox CA through an undici agent (the jest worker started without NODE_EXTRA_CA_CERTS). */
export async function call(
  sb: SandboxProcess,
  method: string,
  url: string,
  opts: {
    token?: string;
    body?: unknown;
    form?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await request(url, { method: method as 'GET', headers, body, dispatcher: sb.agent });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return { status: res.statusCode, headers: flat, body: parsed, text };
}

export async function tokenFor(
  sb: SandboxProcess,
  clientId = sb.conn.clientId,
  clientSecret = sb.conn.clientSecret,
): Promise<string> {
  const reply = await call(sb, 'POST', `${sb.conn.authorityHost}/${sb.conn.tenantId}/oauth2/v2.0/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'https://management.azure.com/.default',
    },
  });
  if (reply.status !== 200) throw new Error(`token request failed: ${reply.status} ${reply.text}`);
  return (reply.body as { access_token: string }).access_token;
}

export async function admin(
  sb: SandboxProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply> {
  return call(sb, method, `${sb.conn.adminEndpoint}${path}`, body === undefined ? {} : { body });
}

/**
 * The Azure inputs every slotline action takes, signing in to the sandbox as its default principal with
 * a client secret: subscription, tenant, client id and secret, and the ARM and Entra endpoints.
 */
export function signInInputs(
  conn: Pick<
    Connection,
    'subscriptionId' | 'tenantId' | 'clientId' | 'clientSecret' | 'armEndpoint' | 'authorityHost'
  >,
): Record<string, string> {
  return {
    'subscription-id': conn.subscriptionId,
    'tenant-id': conn.tenantId,
    'client-id': conn.clientId,
    'client-secret': conn.clientSecret,
    'arm-endpoint': conn.armEndpoint,
    'authority-host': conn.authorityHost,
  };
}

export function siteId(conn: Connection, slot?: string): string {
  const base = `/subscriptions/${conn.subscriptionId}/resourceGroups/${conn.resourceGroup}/providers/Microsoft.Web/sites/${conn.siteName}`;
  return slot ? `${base}/slots/${slot}` : base;
}

export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The JSON object the script printed last. */
  result: Record<string, unknown>;
}

/**
 * Run a client script in a fresh Node process that trusts the sandbox CA through NODE_EXTRA_CA_CERTS, as a
 * GitHub runner step would. The script reads the connection from SANDBOX_CONNECTION.
 */
export function runClient(
  sb: SandboxProcess,
  script: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...TSX, join(repoRoot, '__tests__', 'sandbox', 'clients', script)],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env['PATH'] ?? '',
          HOME: process.env['HOME'] ?? tmpdir(),
          NODE_EXTRA_CA_CERTS: sb.conn.caCertPath,
          SANDBOX_CONNECTION: join(sb.stateDir, 'connection.json'),
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      let result: Record<string, unknown> = {};
      try {
        result = last ? JSON.parse(last) : {};
      } catch {
        result = {};
      }
      resolve({ code, stdout, stderr, result });
    });
  });
}
