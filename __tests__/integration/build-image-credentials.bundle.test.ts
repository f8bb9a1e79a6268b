import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  type ContainerEnv,
  containerEnv,
  type Registry,
  requireTools,
  startRegistry,
} from '../helpers/containers.js';
import { inputEnv, parseOutputFile, repoRoot } from '../helpers/runner.js';
import { sleep } from '../helpers/servers.js';
import { selfSignedCert } from '../helpers/tls.js';

/**
 * build-image's registry credentials, run as the runner runs the bundle (GITHUB_STATE, RUNNER_TEMP, real
 * signals, then the post step with the saved state), with real buildah. The fakes listen over TLS on
 * 127.0.0.1 and record every request: an Entra ID that issues tokens, and a registry that answers the
 * ACR exchange, checks a basic-auth login and can hold a push forever (so a signal lands mid-push).
 */

const USER = 'ci-pusher';
const PASSWORD = 'Reg1stry-Pa55-for-credential-tests';
const TENANT = '00000000-0000-4000-8000-000000000002';
const CLIENT = '00000000-0000-4000-8000-000000000003';
const CLIENT_SECRET = 'Cl1ent~secret-for-credential-tests';

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

interface Fake {
  host: string;
  origin: string;
  seen: Seen[];
  close(): Promise<void>;
}

let cert: { key: string; cert: string };
let certFile: string;
let work: string;
let context: string;
let containers: ContainerEnv;
let entra: Fake;
let fakeRegistry: Fake;
let realRegistry: Registry;
/** Requests the fake registry holds without an answer (a push that never ends). */
const held: ServerResponse[] = [];

async function startFake(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Fake> {
  const seen: Seen[] = [];
  const server: Server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      seen.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    origin: `https://${host}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  requireTools('buildah', 'docker-registry', 'htpasswd');
  cert = selfSignedCert();
  work = mkdtempSync(join(tmpdir(), 'slotline-credentials-test-'));
  certFile = join(work, 'ca.pem');
  writeFileSync(certFile, cert.cert);
  context = join(work, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'hello.txt'), `credentials test ${Date.now()}\n`);
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  writeFileSync(join(work, 'event.json'), JSON.stringify({ repository: { name: 'portal' } }));

  entra = await startFake((req, res) => {
    const base = `${entra.origin}/${TENANT}`;
    if (req.url?.includes('openid-configuration')) {
      return json(res, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
      });
    }
    const payload = Buffer.from(JSON.stringify({ tid: TENANT, aud: 'https://containerregistry.azure.net' }));
    json(res, 200, {
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: `eyJhbGciOiJub25lIn0.${payload.toString('base64url')}.c2ln`,
    });
  });
  fakeRegistry = await startFake((req, res) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    if (path === '/oauth2/exchange') return json(res, 200, { refresh_token: 'fake-acr-refresh-token' });
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    if (req.headers.authorization !== basic) {
      return json(
        res,
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        { 'www-authenticate': 'Basic realm="fake registry"' },
      );
    }
    if (path === '/v2/' || path === '/v2') return json(res, 200, {});
    held.push(res); // a push that never gets an answer
  });
  realRegistry = await startRegistry({ [USER]: PASSWORD });
  containers = containerEnv([realRegistry.host, fakeRegistry.host]);
}, 60_000);

afterAll(async () => {
  for (const res of held) res.destroy();
  await entra?.close();
  await fakeRegistry?.close();
  await realRegistry?.stop();
  containers?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Step {
  child: ChildProcess;
  runnerTemp: string;
  tmp: string;
  stateFile: string;
  /** The log so far. */
  log(): string;
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; state: Record<string, string> }>;
}

/** A step the way the runner starts it: inputs as INPUT_*, step files, RUNNER_TEMP; `state` makes it the post step. */
function startStep(
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; state?: Record<string, string>; runnerTemp?: string } = {},
): Step {
  const stepDir = mkdtempSync(join(work, 'step-'));
  const runnerTemp = options.runnerTemp ?? mkdtempSync(join(work, 'runner-temp-'));
  // A private TMPDIR: nothing credential-like may land in it.
  const tmp = mkdtempSync(join(work, 'tmp-'));
  const files = {
    output: join(stepDir, 'output'),
    summary: join(stepDir, 'summary'),
    state: join(stepDir, 'state'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('STATE_')) env[k] = v;
  Object.assign(
    env,
    containers.env,
    {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: join(work, 'event.json'),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: '90dd6032fac8bda1b6c4436a2e65de27961ed071',
      GITHUB_REPOSITORY: 'contoso/portal',
      GITHUB_SERVER_URL: 'https://github.com',
      NODE_EXTRA_CA_CERTS: certFile,
      RUNNER_TEMP: runnerTemp,
      TMPDIR: tmp,
    },
    inputEnv(inputs),
    Object.fromEntries(Object.entries(options.state ?? {}).map(([k, v]) => [`STATE_${k}`, v])),
    { GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary, GITHUB_STATE: files.state },
    options.env ?? {},
  );
  for (const [k, v] of Object.entries(options.env ?? {})) if (v === '') delete env[k];
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'build-image', 'index.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => {
    log += d;
  });
  child.stderr!.on('data', (d) => {
    log += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<{
    exitCode: number | null;
    signal: NodeJS.Signals | null;
    state: Record<string, string>;
  }>((resolve) => {
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, state: parseOutputFile(readFileSync(files.state, 'utf8')) });
    });
  });
  return { child, runnerTemp, tmp, stateFile: files.state, log: () => log, done };
}

const push = (registry: string, extra: Record<string, string> = {}) => ({
  builder: 'buildah',
  context,
  registry,
  repository: 'team/app',
  tags: 'type=raw,value=t1',
  'tls-verify': 'false',
  ...extra,
});

const azure = {
  // Given here as a shared workflow env would: with it, the old code got as far as sending a token.
  'subscription-id': '00000000-0000-4000-8000-000000000001',
  'tenant-id': TENANT,
  'client-id': CLIENT,
  'client-secret': CLIENT_SECRET,
  'authority-host': '', // set per test: the fake's origin
};

/** What the runner shows: `::add-mask::` commands are consumed, not printed. */
function shown(log: string): string {
  return log
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

function errorLines(log: string): string[] {
  return log.split('\n').filter((l) => l.startsWith('::error::'));
}

/** Wait, with a deadline, until `check` holds. */
async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The saved credentials path, read from GITHUB_STATE while the step runs. */
function savedDir(step: Step): string | undefined {
  return parseOutputFile(readFileSync(step.stateFile, 'utf8'))['credentialsDir'];
}

/** Processes whose command line mentions `text` (a buildah still pushing with our auth file). */
function processesMentioning(text: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

describe('item 10: an Entra token goes to ACR only', () => {
  test('client-id with registry-login auto and a registry that is not ACR: no token requested, no exchange', async () => {
    const entraBefore = entra.seen.length;
    const registryBefore = fakeRegistry.seen.length;
    const step = startStep(push(fakeRegistry.host, { ...azure, 'authority-host': entra.origin }));
    const { exitCode } = await step.done;
    const log = step.log();
    expect(entra.seen.slice(entraBefore)).toEqual([]);
    const reached = fakeRegistry.seen.slice(registryBefore);
    expect(reached.filter((r) => r.path.startsWith('/oauth2'))).toEqual([]);
    // containers/image answers a Basic challenge with empty credentials (":"); nothing else may arrive.
    expect(reached.filter((r) => r.authorization && r.authorization !== 'Basic Og==')).toEqual([]);
    expect(log).toContain(
      `::warning::registry-login is auto and ${fakeRegistry.host} is not an ACR login server`,
    );
    // No sign-in, so the registry refuses the anonymous push: a clear error, nothing unexpected.
    expect(exitCode).toBe(1);
    expect(errorLines(log)).toEqual([expect.stringMatching(/^::error::build-image: pushing .* failed/)]);
    expect(shown(log)).not.toContain(CLIENT_SECRET);
  }, 90_000);

  test('push: false signs in nowhere, even with registry-login: acr-oidc', async () => {
    const entraBefore = entra.seen.length;
    const registryBefore = fakeRegistry.seen.length;
    const step = startStep(
      push(fakeRegistry.host, {
        ...azure,
        'authority-host': entra.origin,
        'registry-login': 'acr-oidc',
        push: 'false',
      }),
    );
    const { exitCode, state } = await step.done;
    if (exitCode !== 0) throw new Error(`build-image failed:\n${step.log().slice(-3000)}`);
    expect(entra.seen.slice(entraBefore)).toEqual([]);
    expect(fakeRegistry.seen.slice(registryBefore)).toEqual([]);
    expect(step.log()).toContain(`push is false: not signing in to ${fakeRegistry.host}`);
    expect(state['credentialsDir']).toBeUndefined();
    expect(readdirSync(step.runnerTemp)).toEqual([]);
  }, 90_000);
});

describe('item 11: registry credentials live in RUNNER_TEMP and never outlive the step', () => {
  test('normal end: the auth file was under RUNNER_TEMP, saved as state, and is gone', async () => {
    const step = startStep(push(realRegistry.host, { username: USER, password: PASSWORD }));
    const { exitCode, state } = await step.done;
    if (exitCode !== 0) throw new Error(`build-image failed:\n${step.log().slice(-3000)}`);
    const dir = state['credentialsDir'];
    expect(dir).toMatch(new RegExp(`^${step.runnerTemp}/slotline-build-image-auth-[0-9a-f-]{36}$`));
    expect(state['isPost']).toBe('true');
    expect(existsSync(dir!)).toBe(false);
    expect(readdirSync(step.runnerTemp)).toEqual([]);
    expect(readdirSync(step.tmp)).toEqual([]);
    expect(shown(step.log())).not.toContain(PASSWORD);
  }, 90_000);

  test('SIGKILL mid-push leaves the auth file; the post step with the saved state removes it', async () => {
    const step = startStep(push(fakeRegistry.host, { username: USER, password: PASSWORD }));
    const before = held.length;
    await until('the push to reach the registry', () => held.length > before);
    const dir = savedDir(step);
    expect(dir).toBeDefined();
    const auth = readFileSync(join(dir!, 'auth.json'), 'utf8');
    expect(auth).toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
    expect(readdirSync(step.tmp).filter((f) => /auth/.test(f))).toEqual([]);

    step.child.kill('SIGKILL');
    const killed = await step.done;
    expect(killed.signal).toBe('SIGKILL');
    // buildah was its child: end it too, as the runner ends the job's processes.
    for (const line of processesMentioning(dir!))
      process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    expect(existsSync(join(dir!, 'auth.json'))).toBe(true);

    const post = startStep(push(fakeRegistry.host, { username: USER, password: PASSWORD }), {
      state: killed.state,
      runnerTemp: step.runnerTemp,
    });
    const { exitCode } = await post.done;
    expect(exitCode).toBe(0);
    expect(post.log()).toContain('removed the registry credentials the main step left behind');
    expect(existsSync(dir!)).toBe(false);
    expect(readdirSync(step.runnerTemp)).toEqual([]);
  }, 90_000);

  test.each<NodeJS.Signals>(['SIGTERM', 'SIGINT'])(
    '%s mid-push removes the auth file, stops buildah and fails in one line',
    async (signal) => {
      const step = startStep(push(fakeRegistry.host, { username: USER, password: PASSWORD }));
      const before = held.length;
      await until('the push to reach the registry', () => held.length > before);
      const dir = savedDir(step)!;
      expect(existsSync(join(dir, 'auth.json'))).toBe(true);
      step.child.kill(signal);
      const { exitCode } = await step.done;
      expect(exitCode).toBe(1);
      expect(existsSync(dir)).toBe(false);
      expect(readdirSync(step.runnerTemp)).toEqual([]);
      expect(errorLines(step.log())).toEqual([
        `::error::build-image: cancelled by ${signal}: the build was stopped and the registry credentials removed`,
      ]);
      await until('buildah to exit', () => processesMentioning(dir).length === 0, 10_000);
    },
    90_000,
  );
});

describe('item 15: a missing runner variable or program is named in one line', () => {
  test.each(['GITHUB_REF', 'GITHUB_SHA', 'GITHUB_EVENT_NAME', 'GITHUB_REPOSITORY'])(
    '%s unset',
    async (name) => {
      const step = startStep(push(realRegistry.host, { username: USER, password: PASSWORD }), {
        env: { [name]: '' },
      });
      const { exitCode } = await step.done;
      expect(exitCode).toBe(1);
      expect(errorLines(step.log())).toEqual([
        `::error::build-image: the runner variable ${name} is not set: build-image computes the image's tags and labels from it, so run it as a step of a GitHub Actions job`,
      ]);
    },
    30_000,
  );

  test('a builder that is not installed: "podman: program not found on PATH (ENOENT)"', async () => {
    const step = startStep(push(realRegistry.host, { builder: 'podman' }), {
      env: { PATH: join(work, 'empty') },
    });
    const { exitCode } = await step.done;
    expect(exitCode).toBe(1);
    expect(errorLines(step.log())).toEqual([
      '::error::build-image: builder "podman" was chosen but "podman version" failed: podman: program not found on PATH (ENOENT)',
    ]);
  }, 30_000);
});
