import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';

/**
 * scripts/release.mjs against real git repositories in a temporary folder (and a bare one as the remote
 * for --push). git is found through a wrapper on PATH that logs each call before running the real git, so
 * a test can tell that a refused tag ran nothing.
 */

const script = join(repoRoot, 'scripts', 'release.mjs');
const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

let root: string;
let shims: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'slotline-release-'));
  shims = join(root, 'bin');
  mkdirSync(shims);
  writeFileSync(join(shims, 'git'), `#!/bin/sh\necho "$*" >> "$GIT_CALLS"\nexec ${realGit} "$@"\n`);
  chmodSync(join(shims, 'git'), 0o755);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CHANGELOG = `# Changelog

## [Unreleased]

### Added

- Something not released yet.

## [1.1.0] - 2026-12-01

### Added

- The second thing.

## [1.0.1] - 2026-11-20

### Fixed

- A fix.

## [1.0.0] - 2026-11-15

### Added

- The first thing.

[1.1.0]: https://example.invalid/compare/v1.0.0...v1.1.0
[1.0.0]: https://example.invalid/releases/v1.0.0
`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let count = 0;
/** A fresh repository with one commit on main; its git env has no user or system config. */
function newRepo() {
  const dir = join(root, `repo-${++count}`);
  mkdirSync(dir);
  const calls = join(root, `calls-${count}`);
  const env = {
    ...process.env,
    PATH: `${shims}:${process.env['PATH']}`,
    GIT_CALLS: calls,
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
  };
  const git = (...args: string[]) =>
    execFileSync(realGit, args, { cwd: dir, env, encoding: 'utf8', timeout: 10_000 }).trim();
  git('init', '--quiet', '--initial-branch=main');
  writeFileSync(join(dir, 'CHANGELOG.md'), CHANGELOG);
  let n = 0;
  const commit = (message = `commit ${++n}`) => {
    git('commit', '--quiet', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  commit();
  const run = (...args: string[]) =>
    new Promise<Result>((resolve) => {
      execFile(
        process.execPath,
        [script, ...args],
        { cwd: dir, env, timeout: 20_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  /** Where vX points, or '' when it does not exist. */
  const at = (ref: string) => {
    try {
      return git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`);
    } catch {
      return '';
    }
  };
  return { dir, git, commit, run, at, calls };
}

/** A refusal: exit 1, nothing on stdout, exactly one line on stderr. */
function refused(result: Result): string {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('move-major', () => {
  test('creates v1 at the first release, moves it on a newer minor, and not back for an older patch', async () => {
    const repo = newRepo();
    const first = repo.commit();
    repo.git('tag', 'v1.0.0'); // lightweight
    const created = await repo.run('move-major', 'v1.0.0');
    expect(created).toEqual({
      code: 0,
      stdout: `v1: (none) -> ${first.slice(0, 12)} (v1.0.0)\n`,
      stderr: '',
    });
    expect(repo.at('v1')).toBe(first);
    // The major tag is lightweight: it names the commit itself.
    expect(repo.git('cat-file', '-t', 'refs/tags/v1')).toBe('commit');

    const second = repo.commit();
    repo.git('tag', '-a', '-m', 'v1.1.0', 'v1.1.0'); // annotated
    const moved = await repo.run('move-major', 'v1.1.0');
    expect(moved.stdout).toBe(`v1: ${first.slice(0, 12)} (v1.0.0) -> ${second.slice(0, 12)} (v1.1.0)\n`);
    expect(repo.at('v1')).toBe(second);
    expect(repo.git('cat-file', '-t', 'refs/tags/v1')).toBe('commit');

    // A patch of 1.0 tagged after 1.1.0, on a branch from v1.0.0.
    repo.git('checkout', '--quiet', '-b', 'release-1.0', 'v1.0.0');
    repo.commit();
    repo.git('tag', 'v1.0.1');
    const line = refused(await repo.run('move-major', 'v1.0.1'));
    expect(line).toBe('release: v1.0.1 is below v1.1.0: v1 stays where it is');
    expect(repo.at('v1')).toBe(second);

    // Again at the same release: nothing moves, and it says so.
    expect((await repo.run('move-major', 'v1.1.0')).stdout).toBe(
      `v1: already at ${second.slice(0, 12)} (v1.1.0)\n`,
    );
  });

  test('a new major gets its own tag and leaves the old one; v0 works like any major', async () => {
    const repo = newRepo();
    const zero = repo.commit();
    repo.git('tag', 'v0.1.0');
    const one = repo.commit();
    repo.git('tag', 'v1.0.0');
    expect((await repo.run('move-major', 'v0.1.0')).code).toBe(0);
    expect((await repo.run('move-major', 'v1.0.0')).code).toBe(0);
    expect([repo.at('v0'), repo.at('v1')]).toEqual([zero, one]);
  });

  test('refuses a pre-release, a missing tag and a tag on a tree, leaving the major tag alone', async () => {
    const repo = newRepo();
    const first = repo.commit();
    repo.git('tag', 'v1.0.0');
    await repo.run('move-major', 'v1.0.0');
    repo.commit();
    repo.git('tag', 'v1.1.0-rc.1');
    expect(refused(await repo.run('move-major', 'v1.1.0-rc.1'))).toBe(
      'release: v1.1.0-rc.1 is a pre-release; only a vX.Y.Z release is released here and moves v1',
    );
    for (const command of ['check', 'notes'])
      expect(refused(await repo.run(command, 'v1.1.0-rc.1'))).toMatch(
        /^release: v1\.1\.0-rc\.1 is a pre-release/,
      );
    expect(refused(await repo.run('move-major', 'v1.2.0'))).toBe(
      'release: tag v1.2.0 does not exist here or does not point at a commit',
    );
    repo.git('tag', 'v1.3.0', 'HEAD^{tree}');
    expect(refused(await repo.run('move-major', 'v1.3.0'))).toMatch(/^release: tag v1\.3\.0 does not exist/);
    expect(repo.at('v1')).toBe(first);
  });

  test('--push creates and then force-moves the tag on the remote', async () => {
    const repo = newRepo();
    const remote = join(root, `remote-${count}.git`);
    execFileSync(realGit, ['init', '--quiet', '--bare', remote]);
    repo.git('remote', 'add', 'origin', remote);
    const remoteAt = () =>
      execFileSync(realGit, ['--git-dir', remote, 'rev-parse', '--verify', '--quiet', 'refs/tags/v1'], {
        encoding: 'utf8',
      }).trim();

    const first = repo.commit();
    repo.git('tag', 'v1.0.0');
    repo.git('push', '--quiet', 'origin', 'main', 'v1.0.0');
    const created = await repo.run('move-major', 'v1.0.0', '--push', 'origin');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`v1 on origin: (none) -> ${first.slice(0, 12)}\n`);
    expect(remoteAt()).toBe(first);

    const second = repo.commit();
    repo.git('tag', 'v1.1.0');
    const moved = await repo.run('move-major', 'v1.1.0', '--push', 'origin');
    expect(moved.stdout).toContain(`v1 on origin: ${first.slice(0, 12)} -> ${second.slice(0, 12)}\n`);
    expect(remoteAt()).toBe(second);

    // Pushing when the remote already has it changes nothing.
    const again = await repo.run('move-major', 'v1.1.0', '--push', 'origin');
    expect(again.stdout).toContain(`v1 on origin: already at ${second.slice(0, 12)}\n`);

    expect(refused(await repo.run('move-major', 'v1.1.0', '--push', '--upload-pack=touch pwned'))).toBe(
      'release: --push "--upload-pack=touch pwned" is not a remote name',
    );
    expect(refused(await repo.run('move-major', 'v1.1.0', '--push', 'no-such-remote'))).toMatch(
      /^release: git ls-remote failed: .*no-such-remote/,
    );
    expect(existsSync(join(repo.dir, 'pwned'))).toBe(false);
  });
});

describe('notes', () => {
  test("prints the version's CHANGELOG section and nothing of the next one", async () => {
    const repo = newRepo();
    expect(await repo.run('notes', 'v1.0.1')).toEqual({
      code: 0,
      stdout: '### Fixed\n\n- A fix.\n',
      stderr: '',
    });
    // The last section ends before the link definitions at the bottom.
    expect((await repo.run('notes', 'v1.0.0')).stdout).toBe('### Added\n\n- The first thing.\n');
  });

  test('refuses a missing section, an undated one and a missing file in one line naming them', async () => {
    const repo = newRepo();
    expect(refused(await repo.run('notes', 'v2.0.0'))).toBe(
      'release: CHANGELOG.md has no "## [2.0.0] - YYYY-MM-DD" section',
    );
    writeFileSync(join(repo.dir, 'UNDATED.md'), '## [0.9.0]\n\n- Undated.\n');
    expect(refused(await repo.run('notes', 'v0.9.0', '--changelog', 'UNDATED.md'))).toBe(
      'release: UNDATED.md: "## [0.9.0]" is not "## [0.9.0] - YYYY-MM-DD"',
    );
    writeFileSync(join(repo.dir, 'EMPTY.md'), '## [0.9.0] - 2026-01-01\n\n## [0.8.0] - 2025-12-01\n\n- x\n');
    expect(refused(await repo.run('notes', 'v0.9.0', '--changelog', 'EMPTY.md'))).toBe(
      'release: EMPTY.md: the "## [0.9.0]" section is empty',
    );
    expect(refused(await repo.run('notes', 'v1.0.0', '--changelog', 'NOPE.md'))).toBe(
      'release: cannot read NOPE.md: ENOENT',
    );
  });
});

describe('check', () => {
  test('passes a release on main with a CHANGELOG section above the releases of its major', async () => {
    const repo = newRepo();
    repo.commit();
    repo.git('tag', 'v1.0.0');
    const commit = repo.commit();
    repo.git('tag', '-a', '-m', 'v1.1.0', 'v1.1.0');
    expect(await repo.run('check', 'v1.0.0', '--branch', 'main')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'release: v1.0.0 is below v1.1.0, already released in v1\n',
    });
    const ok = await repo.run('check', 'v1.1.0');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      `v1.1.0: ${commit.slice(0, 12)} on main, newest in v1, CHANGELOG.md section of 3 line(s)\n`,
    );
  });

  test('refuses a tag whose commit is not on the branch, and a branch that does not exist', async () => {
    const repo = newRepo();
    repo.git('checkout', '--quiet', '-b', 'side');
    const side = repo.commit();
    repo.git('tag', 'v1.0.0');
    repo.git('checkout', '--quiet', 'main');
    expect(refused(await repo.run('check', 'v1.0.0'))).toBe(
      `release: v1.0.0 (${side.slice(0, 12)}) is not on main`,
    );
    expect(refused(await repo.run('check', 'v1.0.0', '--branch', 'origin/main'))).toBe(
      'release: --branch origin/main does not exist here (fetch it: actions/checkout with fetch-depth: 0)',
    );
    expect(refused(await repo.run('check', 'v1.0.0', '--branch', '--all'))).toBe(
      'release: --branch "--all" is not a branch name',
    );
    // Merged into main, it passes.
    repo.git('merge', '--quiet', '--ff-only', 'side');
    expect((await repo.run('check', 'v1.0.0')).code).toBe(0);
  });
});

describe('hostile and malformed tags are refused before git runs', () => {
  test.each([
    'v1.0.0; rm -rf /',
    '--force',
    '$(touch pwned)',
    'v1.0.0\n::error::injected',
    '1.0.0',
    'v1.0',
    'v01.0.0',
    'v1.0.0+build.1',
    'refs/tags/v1.0.0',
    '',
  ])('%j', async (tag) => {
    const repo = newRepo();
    repo.git('tag', 'v1.0.0');
    for (const command of ['check', 'notes', 'move-major']) {
      const line = refused(await repo.run(command, tag));
      expect(line).toMatch(/^release: /);
      if (tag.startsWith('v')) expect(line).toContain(JSON.stringify(tag));
    }
    expect(existsSync(repo.calls)).toBe(false);
    expect(existsSync(join(repo.dir, 'pwned'))).toBe(false);
    expect(repo.at('v1')).toBe('');
  });

  test('the git wrapper does see the calls of a valid tag (the check above can fail)', async () => {
    const repo = newRepo();
    repo.git('tag', 'v1.0.0');
    expect((await repo.run('move-major', 'v1.0.0')).code).toBe(0);
    expect(existsSync(repo.calls)).toBe(true);
  });

  test('an unknown subcommand or option is refused too', async () => {
    const repo = newRepo();
    expect(refused(await repo.run('publish', 'v1.0.0'))).toMatch(/^release: usage: /);
    expect(refused(await repo.run('notes', 'v1.0.0', '--push', 'origin'))).toBe(
      'release: notes: unknown option "--push"',
    );
    expect(existsSync(repo.calls)).toBe(false);
  });
});
