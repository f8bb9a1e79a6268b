import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { CREDENTIALS_STATE, CredentialsDir, sweepCredentials } from '../../src/build-image/credentials.js';
import { execFile } from '../../src/lib/exec.js';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function runnerTemp(): string {
  return mkdtempSync(join(tmpdir(), 'slotline-runner-temp-'));
}

describe('CredentialsDir', () => {
  test('the path is saved as step state before the directory exists; it is private and under RUNNER_TEMP', () => {
    const temp = runnerTemp();
    const saved: [string, string, boolean][] = [];
    const dir = new CredentialsDir(temp, (name, value) => saved.push([name, value, existsSync(value)]));
    const path = dir.create();
    expect(saved).toEqual([[CREDENTIALS_STATE, path, false]]);
    expect(path).toMatch(new RegExp(`^${temp}/slotline-build-image-auth-[0-9a-f-]{36}$`));
    expect(statSync(path).mode & 0o777).toBe(0o700);
    expect(dir.create()).toBe(path);
    writeFileSync(join(path, 'auth.json'), '{}');
    dir.remove();
    dir.remove();
    expect(readdirSync(temp)).toEqual([]);
  });

  test('no RUNNER_TEMP, or one that does not exist: a one-line error in words, after the state was saved', () => {
    expect(() => new CredentialsDir(undefined, () => {}).create()).toThrow(
      /^the runner variable RUNNER_TEMP is not set/,
    );
    const saved: string[] = [];
    expect(() => new CredentialsDir('/nonexistent/runner/temp', (_n, v) => saved.push(v)).create()).toThrow(
      'cannot create the registry credentials directory in RUNNER_TEMP (/nonexistent/runner/temp): no such file or directory (ENOENT)',
    );
    expect(saved).toHaveLength(1);
  });
});

describe('the post step sweeps only what looks like ours', () => {
  test('removes our directory directly in RUNNER_TEMP', () => {
    const temp = runnerTemp();
    const ours = join(temp, `slotline-build-image-auth-${UUID}`);
    mkdirSync(ours);
    writeFileSync(join(ours, 'auth.json'), '{"auths":{}}');
    expect(sweepCredentials(ours, temp)).toBe(
      `removed the registry credentials the main step left behind (${ours})`,
    );
    expect(existsSync(ours)).toBe(false);
    expect(sweepCredentials(ours, temp)).toBe('no registry credentials were left behind');
  });

  test.each<[string, (temp: string, elsewhere: string) => string]>([
    ['outside RUNNER_TEMP', (_t, elsewhere) => join(elsewhere, `slotline-build-image-auth-${UUID}`)],
    ['nested below RUNNER_TEMP', (t) => join(t, 'x', `slotline-build-image-auth-${UUID}`)],
    ['RUNNER_TEMP itself', (t) => t],
    ['another name', (t) => join(t, 'workspace')],
    ['a look-alike name', (t) => join(t, `slotline-build-image-auth-${UUID}-x`)],
    ['a relative path', () => `slotline-build-image-auth-${UUID}`],
    ['.. out of RUNNER_TEMP', (t) => join(t, 'sub', '..', '..', `slotline-build-image-auth-${UUID}`)],
  ])('leaves alone: %s', (_name, make) => {
    const temp = runnerTemp();
    const elsewhere = runnerTemp();
    const target = make(temp, elsewhere);
    const victim = target.includes('..') || !target.startsWith('/') ? join(elsewhere, 'keep') : target;
    mkdirSync(victim, { recursive: true });
    writeFileSync(join(victim, 'keep.txt'), 'keep');
    expect(sweepCredentials(target, temp)).toMatch(/left alone/);
    expect(existsSync(join(victim, 'keep.txt'))).toBe(true);
  });

  test('a symlink with our name pointing elsewhere is not followed', () => {
    const temp = runnerTemp();
    const elsewhere = runnerTemp();
    writeFileSync(join(elsewhere, 'keep.txt'), 'keep');
    const link = join(temp, `slotline-build-image-auth-${UUID}`);
    symlinkSync(elsewhere, link);
    expect(sweepCredentials(link, temp)).toMatch(/is not a directory: left alone/);
    expect(existsSync(join(elsewhere, 'keep.txt'))).toBe(true);
  });
});

describe('execFile, as build-image runs builders', () => {
  test('a program that is not on PATH exits 127 with the reason in words', async () => {
    const result = await execFile('slotline-no-such-program', ['version']);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain('slotline-no-such-program: program not found on PATH (ENOENT)');
  });

  test('an abort stops the program', async () => {
    const controller = new AbortController();
    const running = execFile('sleep', ['30'], { signal: controller.signal, killGraceMs: 3_000 });
    setTimeout(() => controller.abort(), 100);
    const result = await running;
    // SIGTERM first (sleep dies of it at once), so the grace period's SIGKILL is never needed.
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM', cancelled: true });
  });
});
