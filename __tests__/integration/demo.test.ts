import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { podmanArgs } from '../../sandbox/container-storage.js';
import { stateDir } from '../../scripts/lib/containers.mjs';
import { requireTools } from '../helpers/containers.js';
import { repoRoot } from '../helpers/runner.js';

// Issue 14: `npm run demo`, the main job, end to end: the push-to-main starter runs the real
// .github/workflows/pipeline.yml through the local workflow runner against the sandbox (real containers,
// its ACR login server before a real docker-registry, PostgreSQL and Redis). A good release and a bad one
// must each behave as they should (the demo judges that and exits 0); Ctrl-C in the middle of a deploy must
// leave no process, container or folder behind.

requireTools('buildah', 'podman', 'skopeo', 'docker-registry', 'mmdebstrap', 'redis-server');

const RUN_TIMEOUT_MS = 8 * 60_000;
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

interface DemoRun {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDemo(args: string[]): DemoRun {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'demo', 'cli.ts'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  void exited.then(() => clearTimeout(timer));
  return { child, output: () => output, exited };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * What a run started and must have stopped: the processes it named (sandbox, docker-registry), the ports
 * of its PostgreSQL and Redis and of the pipeline's test services (5432, 6379), its work folder, and the
 * slot containers in the demo's store.
 */
async function leftovers(output: string) {
  const pids = [...output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
  const ports = [
    5432,
    6379,
    ...[...output.matchAll(/(?:PostgreSQL|Redis) on 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])),
  ];
  const open: number[] = [];
  for (const port of ports) if (await listening(port)) open.push(port);
  const work = /work folder (\S+)/.exec(output)?.[1];
  const containers = spawnSync(
    'podman',
    [...podmanArgs(stateDir('demo-store')), 'ps', '-a', '--format', '{{.Names}}'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return {
    pids,
    ports,
    open,
    running: pids.filter(alive),
    work,
    workLeft: work !== undefined && existsSync(work),
    containers: containers.stdout.split('\n').filter(Boolean),
  };
}

/** No access token, refresh token or client secret in what the demo printed (JWTs start with eyJ). */
function expectNoTokens(output: string) {
  expect(output).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]*/);
  expect(output).not.toMatch(/client_secret=|DOCKER_REGISTRY_SERVER_PASSWORD[=:] *\S/);
}

describe('npm run demo', () => {
  test(
    'good release: 1.0.0, then 2.0.0 through ramp, gate and swap under traffic with no failed request; then everything stops',
    async () => {
      const run = startDemo([]);
      const code = await run.exited;
      const output = run.output();
      expect({ code, tail: output.slice(-3000) }).toEqual({
        code: 0,
        tail: expect.stringContaining('scenario good: behaved as it should'),
      });
      // The real pipeline ran: every stage of 2.0.0, the canary step and its gate, then the swap.
      expect(output).toMatch(/50% of contoso-web's production traffic now goes to slot staging/);
      expect(output).toMatch(/gate-on-metrics: pass/);
      expect(output).toMatch(/✓ pipeline\/smoke-production success/);
      expect(output).toMatch(/production https:\/\/127\.0\.0\.1:\d+ serves 2\.0\.0/);
      const traffic = /traffic on production during 2\.0\.0: (\d+) requests .*?, (\d+) failed/.exec(output);
      expect(Number(traffic?.[1])).toBeGreaterThan(100);
      expect(Number(traffic?.[2])).toBe(0);
      // Production went from 1.0.0 to 2.0.0 once, at the swap, and never back.
      expect(/version on production's \/healthz: (.*)/.exec(output)?.[1]).toMatch(
        /^1\.0\.0 from [\d.]+ s → 2\.0\.0 from [\d.]+ s$/,
      );
      expectNoTokens(output);
      const left = await leftovers(output);
      expect(left.pids.length).toBeGreaterThanOrEqual(2);
      expect(left).toMatchObject({ running: [], open: [], workLeft: false, containers: [] });
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  test(
    'bad release: the gate stops the slow 2.0.0 on the canary, the rollback job runs, production serves 1.0.0 throughout',
    async () => {
      const run = startDemo(['--scenario', 'bad-release']);
      const code = await run.exited;
      const output = run.output();
      expect({ code, tail: output.slice(-3000) }).toEqual({
        code: 0,
        tail: expect.stringContaining('scenario bad-release: behaved as it should'),
      });
      expect(output).toMatch(/the gate on slot staging of contoso-web failed: response-time/);
      expect(output).toMatch(/All of contoso-web's production traffic goes to production/);
      expect(output).toMatch(/✓ pipeline\/rollback success/);
      expect(output).toMatch(/- pipeline\/smoke-production skipped/);
      expect(output).toMatch(/production https:\/\/127\.0\.0\.1:\d+ serves 1\.0\.0/);
      expect(/version on production's \/healthz: (.*)/.exec(output)?.[1]).toMatch(/^1\.0\.0 from [\d.]+ s$/);
      expectNoTokens(output);
      expect(await leftovers(output)).toMatchObject({
        running: [],
        open: [],
        workLeft: false,
        containers: [],
      });
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  test(
    'SIGTERM while the environment is still starting: the sandbox already started is stopped too',
    async () => {
      const run = startDemo([]);
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      while (
        !/sandbox ready \(pid \d+\)/.test(run.output()) &&
        run.child.exitCode === null &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 50));
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(130);
      const left = await leftovers(run.output());
      expect(left.pids.length).toBeGreaterThanOrEqual(1);
      expect(left).toMatchObject({ running: [], open: [], workLeft: false, containers: [] });
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  test(
    'SIGINT while the staging slot deploys: exit 130, and no process, container, port or folder is left',
    async () => {
      const run = startDemo([]);
      const deadline = Date.now() + RUN_TIMEOUT_MS;
      while (
        !/▶ pipeline\/deploy-staging/.test(run.output()) &&
        run.child.exitCode === null &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 200));
      expect(run.output()).toMatch(/▶ pipeline\/deploy-staging/);
      run.child.kill('SIGINT');
      const stopped = Date.now();
      const code = await run.exited;
      expect(code).toBe(130);
      expect(Date.now() - stopped).toBeLessThan(60_000);
      const left = await leftovers(run.output());
      expect(left.pids.length).toBeGreaterThanOrEqual(2);
      expect(left.ports.length).toBe(4);
      expect(left).toMatchObject({ running: [], open: [], workLeft: false, containers: [] });
    },
    RUN_TIMEOUT_MS + 60_000,
  );
});
