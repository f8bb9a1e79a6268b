import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import {
  parseOptions,
  parsePort,
  portFree,
  serviceKind,
  splitOptions,
} from '../../workflow-runner/services.js';
import { type Run, refused, run } from './helpers.js';

// Service containers stood in by Debian's PostgreSQL and Redis on the host (workflow-runner/README.md).
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idservices
// https://docs.github.com/en/actions/tutorials/use-containerized-services/create-postgresql-service-containers
// ("ports: Maps TCP port 5432 on service container to the host"; the job on the runner reaches it on localhost)

/** Holds a free 127.0.0.1 port until closed. */
function hold(): Promise<{ port: number; server: Server }> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done({ port: (server.address() as { port: number }).port, server }));
  });
}

async function freePorts(n: number): Promise<string[]> {
  const held = await Promise.all(Array.from({ length: n }, hold));
  await Promise.all(held.map(({ server }) => new Promise((r) => server.close(r))));
  return held.map(({ port }) => String(port));
}

/** The folders of the services a run started (printed when each starts), and the processes naming them. */
function leftovers(r: Run): string[] {
  const dirs = [...r.text.matchAll(/✓ Start service \S+: 127\.0\.0\.1:\d+, folder (\S+)/g)].map((m) => m[1]!);
  expect(dirs.length).toBeGreaterThan(0);
  // A process names its folder in its arguments (postgres) or works in it (redis retitles itself).
  const ps = readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const seen = `${readlinkSync(`/proc/${pid}/cwd`)} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8')}`;
        return dirs.some((dir) => seen.includes(dir)) ? [`${pid}: ${seen}`] : [];
      } catch {
        return []; // gone meanwhile, or not ours to read
      }
    });
  return [...dirs.filter(existsSync), ...ps];
}

describe('service containers: PostgreSQL and Redis from Debian', () => {
  test('steps write and read through postgres (trust, POSTGRES_DB) and redis on the mapped ports; job.services.<id>.ports; gone after the run', async () => {
    const [pg, redis, pg2, redis2] = await freePorts(4);
    const r = await run('services', {
      inputs: { 'pg-port': pg!, 'redis-port': redis!, 'pg2-port': pg2!, 'redis2-port': redis2! },
    });
    expect(r.job('trust')?.result).toBe('success');
    expect(r.text).toContain('│ pg read stored-in-pg');
    expect(r.text).toContain('│ redis read stored-in-redis');
    expect(r.text).toContain(`│ ports pg=${pg} redis=${redis}`);
    expect(r.text).toContain(`✓ Start service postgres: 127.0.0.1:${pg}`);
    // The service starts before the first step and stops after the last.
    expect(r.at('[trust]  ✓ Start service redis')).toBeLessThan(r.at('[trust]  ▸ write to PostgreSQL'));
    //MUT
    // POSTGRES_USER / POSTGRES_PASSWORD: the user and its database exist, a wrong password is refused.
    expect(r.job('password')?.result).toBe('success');
    expect(r.text).toContain('password authentication failed for user "portal"');
    expect(r.text).toContain('│ as portal@portal');
    // A failed step: the always() step still reaches the service; it is stopped after the job all the same.
    expect(r.job('fails')?.result).toBe('failure');
    expect(r.text).toContain('│ always step sees redis PONG');
    expect(r.at('always step sees redis')).toBeLessThan(r.at('[fails]  ✓ Stop service cache'));
    expect(r.result.success).toBe(false);
    for (const port of [pg, redis, pg2, redis2]) expect(await portFree(Number(port))).toBe(true);
    expect(leftovers(r)).toEqual([]);
  });

  test('a host port already in use fails the job before its first step, naming the port', async () => {
    const { port, server } = await hold();
    try {
      const [redis, pg2, redis2] = await freePorts(3);
      const r = await run('services', {
        inputs: { 'pg-port': String(port), 'redis-port': redis!, 'pg2-port': pg2!, 'redis2-port': redis2! },
      });
      expect(r.job('trust')?.result).toBe('failure');
      expect(r.text).toMatch(
        new RegExp(
          `services\\.yml:\\d+: service postgres: host port ${port} \\(ports: ${port}:5432\\) is already in use`,
        ),
      );
      expect(r.text).not.toContain('[trust]  ▸ write to PostgreSQL');
      expect(r.text).not.toContain('Start service redis');
      expect(r.job('trust')?.steps.map((s) => [s.name, s.outcome])).toEqual([
        ['Start service postgres', 'failure'],
      ]);
      expect(leftovers(r)).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('an image that is neither postgres nor redis: refused before the run (literal) or at job start (expression)', async () => {
    const { message, lines } = await refused('refused-service');
    expect(message).toMatch(/refused-service\.yml:7: job test: service db: image mysql:8 not supported/);
    expect(message).toMatch(/refused-service\.yml:12: job test: service cache: volumes not supported/);
    expect(lines).toEqual([]);
    const [pg, redis, pg2, redis2] = await freePorts(4);
    const r = await run('services', {
      inputs: {
        'postgres-image': 'mysql:8',
        'pg-port': pg!,
        'redis-port': redis!,
        'pg2-port': pg2!,
        'redis2-port': redis2!,
      },
    });
    expect(r.job('trust')?.result).toBe('failure');
    expect(r.text).toMatch(/services\.yml:\d+: service postgres: image 'mysql:8' not supported/);
    expect(r.text).not.toContain('[trust]  ▸ write to PostgreSQL');
    expect(leftovers(r)).toEqual([]);
  });

  test('image names, port mappings and health options', () => {
    for (const image of [
      'postgres',
      'postgres:16',
      'postgres:16-alpine',
      'docker.io/library/postgres:16',
      'library/postgres',
      `postgres@sha256:${'a'.repeat(64)}`,
    ])
      expect(serviceKind(image)).toBe('postgres');
    expect(serviceKind('redis:7-alpine')).toBe('redis');
    expect(serviceKind('docker.io/library/redis')).toBe('redis');
    for (const image of ['mysql:8', 'bitnami/postgresql', 'ghcr.io/x/postgres:16', 'postgres-custom', ''])
      expect(serviceKind(image)).toBeUndefined();
    expect(parsePort('5432:5432')).toEqual({ host: 5432, container: 5432 });
    expect(parsePort('127.0.0.1:15432:5432/tcp')).toEqual({ host: 15432, container: 5432 });
    expect(parsePort('6379')).toEqual({ host: undefined, container: 6379 });
    expect(() => parsePort('5432:5432/udp')).toThrow(/not supported/);
    expect(splitOptions(`--health-cmd "pg_isready -U postgres" --health-retries=10 --name 'a b'`)).toEqual([
      '--health-cmd',
      'pg_isready -U postgres',
      '--health-retries=10',
      '--name',
      'a b',
    ]);
    // Docker: unhealthy after `retries` failures `interval` apart, each up to `timeout`, after the start period.
    const health = parseOptions(
      '--health-cmd "redis-cli ping" --health-interval 5s --health-timeout 3s --health-retries 10 --health-start-period 1m --tmpfs /data',
    );
    expect(health).toEqual({
      cmd: 'redis-cli ping',
      deadlineMs: 60_000 + 10 * 8000,
      ignored: ['--tmpfs', '/data'],
    });
    expect(parseOptions('').deadlineMs).toBe(3 * 60_000);
    expect(() => parseOptions('--health-interval soon')).toThrow(/not a duration/);
  });
});
