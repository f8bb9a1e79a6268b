import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, scrubbedEnv } from '../../src/lib/exec.js';
import { trustedPathEntries, whichOnPath } from '../../src/lib/which.js';
import { asOperand, batchesBySize } from '../../src/security-scan/files.js';
import { SECRETLINT_VERSION } from '../../src/security-scan/secretlint.js';
import { repoRoot } from '../helpers/runner.js';

/** Running, and not a zombie waiting to be reaped (a killed process is dead even before its reaping). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false; // gone between the two checks
  }
}

async function gone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slotline-exec-unit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('execFile', () => {
  const env = { PATH: '/usr/bin:/bin' };
  /** A shell that starts a sleeping child, writes its pid, and waits (or exits at once). */
  const script = (pidFile: string, then: string) => ['-c', `sleep 300 & echo $! > '${pidFile}'; ${then}`];

  test('a timeout kills the whole group, the scanner and its children', async () => {
    const pidFile = join(dir, 'timeout.pid');
    const result = await execFile('/bin/sh', script(pidFile, 'wait'), {
      cwd: dir,
      env,
      timeoutMs: 300,
    });
    expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  test('a descendant that left the group and keeps the output open does not keep the run waiting', async () => {
    const pidFile = join(dir, 'setsid.pid');
    const started = Date.now();
    const result = await execFile('/bin/sh', ['-c', `setsid sleep 300 & echo $! > '${pidFile}'; echo done`], {
      cwd: dir,
      env,
      timeoutMs: 60_000,
    });
    const straggler = Number(readFileSync(pidFile, 'utf8'));
    try {
      expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'done\n' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      process.kill(straggler, 'SIGKILL');
    }
  });

  test('an abort kills the whole group', async () => {
    const pidFile = join(dir, 'abort.pid');
    const controller = new AbortController();
    const running = execFile('/bin/sh', script(pidFile, 'wait'), {
      cwd: dir,
      env,
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    for (let i = 0; i < 100 && !readFileSafe(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ cancelled: true, timedOut: false });
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  test('what a scanner leaves running when it exits is stopped too', async () => {
    const pidFile = join(dir, 'straggler.pid');
    const result = await execFile('/bin/sh', script(pidFile, 'echo done; exit 0'), {
      cwd: dir,
      env,
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'done\n' });
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  test('the child sees exactly the environment given', async () => {
    const result = await execFile('/usr/bin/env', [], {
      cwd: dir,
      env: { PATH: '/usr/bin', ONLY: 'this' },
      timeoutMs: 10_000,
    });
    expect(result.stdout.trim().split('\n').sort()).toEqual(['ONLY=this', 'PATH=/usr/bin']);
  });

  test('input goes to stdin, never into argv', async () => {
    const result = await execFile('/bin/sh', ['-c', 'read line; echo "got $line"; echo "$@"', 'sh'], {
      env,
      input: 'Pa55-w0rd!\n',
    });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'got Pa55-w0rd!\n\n' });
  });

  test('with a kill grace, an abort sends SIGTERM first and SIGKILL only to a program that ignores it', async () => {
    const controller = new AbortController();
    const pidFile = join(dir, 'grace.pid');
    // The shell traps TERM (a builder removing its mounts), so only the SIGKILL after the grace ends it.
    const running = execFile(
      '/bin/sh',
      ['-c', `trap 'echo TERM' TERM; echo $$ > '${pidFile}'; while :; do sleep 0.05; done`],
      { env, signal: controller.signal, killGraceMs: 300 },
    );
    for (let i = 0; i < 100 && !readFileSafe(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const result = await running;
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL', cancelled: true });
    expect(result.stdout).toContain('TERM');
  });

  test('a program that cannot be started exits 127 with the reason in words', async () => {
    const result = await execFile('slotline-no-such-program', [], { env });
    expect(result).toMatchObject({ exitCode: 127, cancelled: false });
    expect(result.stderr).toBe('slotline-no-such-program: program not found on PATH (ENOENT)\n');
  });

  test('an abort before the start runs nothing', async () => {
    const result = await execFile('/bin/sh', ['-c', `touch '${join(dir, 'ran')}'`], {
      env,
      signal: AbortSignal.abort(),
    });
    expect(result).toMatchObject({ exitCode: null, cancelled: true });
    expect(readFileSafe(join(dir, 'ran'))).toBeUndefined();
  });
});

function readFileSafe(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

test('scrubbedEnv keeps locale, TZ, proxies and CA variables; drops tokens, inputs and credentials', () => {
  const env = scrubbedEnv(
    {
      PATH: '/runner/path',
      HOME: '/home/runner',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
      https_proxy: 'http://proxy:3128',
      NO_PROXY: 'localhost',
      SSL_CERT_FILE: '/etc/ssl/ca.pem',
      NODE_EXTRA_CA_CERTS: '/etc/ssl/extra.pem',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'x',
      ACTIONS_RUNTIME_TOKEN: 'x',
      GITHUB_TOKEN: 'x',
      INPUT_ALLOWLIST: 'x',
      AZURE_CLIENT_SECRET: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      NODE_OPTIONS: '--require /tmp/evil.js',
      PYTHONPATH: '/tmp/evil',
      LD_PRELOAD: '/tmp/evil.so',
    },
    { path: '/usr/bin:/bin', home: '/tmp/h', tmp: '/tmp/t' },
  );
  expect(env).toEqual({
    PATH: '/usr/bin:/bin',
    HOME: '/tmp/h',
    TMPDIR: '/tmp/t',
    TMP: '/tmp/t',
    TEMP: '/tmp/t',
    XDG_CONFIG_HOME: '/tmp/h/.config',
    XDG_CACHE_HOME: '/tmp/h/.cache',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    https_proxy: 'http://proxy:3128',
    NO_PROXY: 'localhost',
    SSL_CERT_FILE: '/etc/ssl/ca.pem',
    NODE_EXTRA_CA_CERTS: '/etc/ssl/extra.pem',
  });
});

describe('PATH lookups never lead into the scanned tree', () => {
  let tree: string;
  let outside: string;
  beforeAll(() => {
    tree = join(dir, 'tree');
    outside = join(dir, 'outside');
    mkdirSync(join(tree, 'bin'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(tree, 'bin', 'bandit'), '#!/bin/sh\n');
    chmodSync(join(tree, 'bin', 'bandit'), 0o755);
    symlinkSync(join(tree, 'bin'), join(dir, 'link-to-tree-bin'));
    symlinkSync(join(tree, 'bin', 'bandit'), join(outside, 'bandit'));
  });

  test('trustedPathEntries drops empty, relative and in-tree entries, as written and through symlinks', () => {
    const path = ['', '.', 'bin', join(tree, 'bin'), join(dir, 'link-to-tree-bin'), '/usr/bin', outside].join(
      ':',
    );
    expect(trustedPathEntries(path, [tree])).toEqual(['/usr/bin', outside]);
  });

  test('whichOnPath skips a program outside the tree that is a symlink into it', async () => {
    expect(await whichOnPath(outside, [])('bandit')).toBe(join(outside, 'bandit'));
    expect(await whichOnPath(outside, [tree])('bandit')).toBeUndefined();
    expect(await whichOnPath(join(tree, 'bin'), [tree])('bandit')).toBeUndefined();
  });
});

test('batches of paths stay under the size limit and keep every path in order', () => {
  const paths = Array.from({ length: 5000 }, (_, i) => asOperand(`pkg/${'d'.repeat(i % 90)}/m${i}.py`));
  const batches = batchesBySize(paths, 64 * 1024);
  expect(batches.length).toBeGreaterThan(1);
  for (const batch of batches)
    expect(batch.reduce((n, p) => n + Buffer.byteLength(p) + 1, 0)).toBeLessThanOrEqual(64 * 1024);
  expect(batches.flat()).toEqual(paths);
  expect(asOperand('-x.py')).toBe('./-x.py');
});

test("the secretlint version reported is the bundled @secretlint/core's", () => {
  const pkg = JSON.parse(
    readFileSync(join(repoRoot, 'node_modules', '@secretlint', 'core', 'package.json'), 'utf8'),
  );
  expect(SECRETLINT_VERSION).toBe(pkg.version);
});
