import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { CliRuntime, type Exec } from '../../sandbox/dataplane/runtime.js';
import { repoRoot } from '../helpers/runner.js';

// The container network of slot instances (sandbox/dataplane/runtime.ts), with a recorded podman: the
// command line and the env file each `run` hands it.

const secretsDir = mkdtempSync(join(tmpdir(), 'slotline-runtime-'));
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

function recorder(portLine = '8000/tcp -> 127.0.0.1:41234\n') {
  const calls: { args: readonly string[]; env?: string }[] = [];
  const exec: Exec = async (_file, args) => {
    const envFile = args[args.indexOf('--env-file') + 1];
    calls.push({ args, ...(args.includes('--env-file') ? { env: readFileSync(envFile!, 'utf8') } : {}) });
    if (args.includes('run')) return { stdout: 'c0ffee0123456789\n', stderr: '' };
    if (args.includes('port')) return { stdout: portLine, stderr: '' };
    return { stdout: '', stderr: '' };
  };
  return { calls, exec };
}

const spec = {
  image: 'localhost/app:1',
  env: { WEBSITES_PORT: '8000', DATABASE_URL: 'x' },
  containerPort: 8000,
};

test('bridge (default): the container port is published on 127.0.0.1 and the app settings go in unchanged', async () => {
  const { calls, exec } = recorder();
  const runtime = new CliRuntime('podman', secretsDir, '/store', exec);
  expect(await runtime.run(spec)).toEqual({ id: 'c0ffee0123456789', hostPort: 41234 });
  const run = calls[0]!;
  expect(run.args).toEqual(expect.arrayContaining(['-p', '127.0.0.1::8000']));
  expect(run.args).not.toContain('--network');
  expect(run.env).toBe('WEBSITES_PORT=8000\nDATABASE_URL=x');
  expect(calls[1]!.args).toEqual(expect.arrayContaining(['port', 'c0ffee0123456789', '8000']));
});

test("host: --network host, no published port, and each instance's own free port as WEBSITES_PORT and PORT", async () => {
  const { calls, exec } = recorder();
  const runtime = new CliRuntime('podman', secretsDir, '/store', exec, 'host');
  const first = await runtime.run(spec);
  const second = await runtime.run(spec);
  expect(calls.map((c) => c.args.find((a) => a === 'run' || a === 'port'))).toEqual(['run', 'run']);
  for (const [i, started] of [first, second].entries()) {
    expect(started.id).toBe('c0ffee0123456789');
    expect(started.hostPort).toBeGreaterThan(0);
    expect(started.hostPort).not.toBe(8000);
    const run = calls[i]!;
    expect(run.args).toEqual(expect.arrayContaining(['--network', 'host']));
    expect(run.args).not.toContain('-p');
    expect(run.env).toBe(`WEBSITES_PORT=${started.hostPort}\nDATABASE_URL=x\nPORT=${started.hostPort}`);
  }
});

test('the command line refuses an unknown --container-network in one line, before it starts anything', () => {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'sandbox', 'cli.ts'),
      '--state-dir',
      join(secretsDir, 'state'),
      '--container-network',
      'overlay',
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 },
  );
  expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({
    status: 2,
    stderr: 'sandbox: --container-network must be bridge or host, got "overlay"',
  });
});
