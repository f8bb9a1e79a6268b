import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { inputEnv, parseOutputFile, repoRoot } from '../helpers/runner.js';
import { plantSecurityApp } from '../helpers/security-fixture.js';
import { requireTool } from '../helpers/tools.js';

/*
 * A pull request controls the scanned tree: its file names, its configs, its node_modules and whatever
 * it plants. These tests run the bundle the way the runner does, against such trees, with the real
 * bandit and shellcheck and with stand-ins for what is not installed here.
 */

const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';
const B602 = 'import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n';
const SC2086 = '#!/bin/sh\necho $1\n';

interface BundleRun {
  exitCode: number;
  log: string;
  outputs: Record<string, string>;
}

const scratch: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function write(root: string, path: string, text: string, mode?: number): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  if (mode !== undefined) chmodSync(file, mode);
  return file;
}

/**
 * Start dist/security-scan/index.js as the runner does: inputs as INPUT_<NAME>, the runner's own
 * variables, its PATH. Only the variables given reach it (no jest environment).
 */
function startBundle(
  inputs: Record<string, string>,
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<BundleRun> } {
  const stepDir = tempDir('slotline-step-');
  const output = write(stepDir, 'output', '');
  const summary = write(stepDir, 'summary', '');
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'security-scan', 'index.js')], {
    cwd: env['GITHUB_WORKSPACE'] ?? stepDir,
    env: {
      PATH: SYSTEM_PATH,
      HOME: stepDir,
      ...env,
      ...inputEnv(inputs),
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => {
    log += d;
  });
  child.stderr!.on('data', (d) => {
    log += d;
  });
  const done = new Promise<BundleRun>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 1, log, outputs: parseOutputFile(readFileSync(output, 'utf8')) });
    });
  });
  return { child, done };
}

const runBundle = (inputs: Record<string, string>, env: Record<string, string>) =>
  startBundle(inputs, env).done;
const errorLines = (log: string) => log.split('\n').filter((l) => l.startsWith('::error::'));
const warningLines = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning::'));

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: SYSTEM_PATH,
      HOME: cwd,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  }).trim();
}

function sarifResults(file: string): { tool: string; rule: string; path: string }[] {
  const log = JSON.parse(readFileSync(file, 'utf8')) as {
    runs: {
      tool: { driver: { name: string } };
      results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[];
    }[];
  };
  return log.runs.flatMap((run) =>
    run.results.map((r) => ({
      tool: run.tool.driver.name,
      rule: r.ruleId,
      path: r.locations[0]!.physicalLocation.artifactLocation.uri,
    })),
  );
}

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

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

beforeAll(() => {
  requireTool('bandit');
  requireTool('shellcheck');
  requireTool('git');
});

test('an empty -x.py alone does not turn bandit off', async () => {
  const ws = tempDir('slotline-hostile-x-');
  write(ws, 'app.py', B602);
  write(ws, '-x.py', '');
  const result = await runBundle(
    { path: '.', scanners: 'bandit', 'fail-on': 'high', 'sarif-file': join(ws, 'out.sarif') },
    { GITHUB_WORKSPACE: ws },
  );
  expect(result.outputs['passed']).toBe('false');
  expect(errorLines(result.log)).toEqual([expect.stringMatching(/bandit B602 at app\.py:5$/)]);
  expect(result.exitCode).toBe(1);
});

test("a pull request's `# nosec` comment does not hide its finding: only the allowlist suppresses", async () => {
  const ws = tempDir('slotline-hostile-nosec-');
  write(ws, 'app.py', B602.replace('shell=True)', 'shell=True)  # nosec'));
  const result = await runBundle(
    { path: '.', scanners: 'bandit', 'fail-on': 'high', 'sarif-file': join(ws, 'out.sarif') },
    { GITHUB_WORKSPACE: ws },
  );
  expect(errorLines(result.log)).toEqual([expect.stringMatching(/bandit B602 at app\.py:5$/)]);
  expect(result.exitCode).toBe(1);
});

test('-x.py does not turn bandit off, and shellcheck scans --help.sh and -f.sh', async () => {
  const ws = tempDir('slotline-hostile-names-');
  write(ws, 'app.py', B602);
  for (const name of ['-x.py', '--help.py', '-r']) write(ws, name, '');
  write(ws, '--help.sh', SC2086);
  write(ws, '-f.sh', SC2086);
  const sarif = join(ws, 'out.sarif');
  const result = await runBundle(
    { path: '.', scanners: 'bandit, shellcheck', 'fail-on': 'high', 'sarif-file': sarif },
    { GITHUB_WORKSPACE: ws },
  );
  expect(errorLines(result.log)).toEqual([
    expect.stringMatching(
      /^::error::security-scan: 1 finding\(s\) at or above fail-on high .*bandit B602 at app\.py:5$/,
    ),
  ]);
  expect(result.exitCode).toBe(1);
  expect(result.outputs['passed']).toBe('false');
  const shell = sarifResults(sarif)
    .filter((r) => r.tool === 'ShellCheck')
    .map((r) => r.path)
    .sort();
  expect(shell).toEqual(['--help.sh', '-f.sh']);
});

describe('nothing from the scanned tree runs', () => {
  test('secretlint runs in-process with our rules, bandit from its own installation', async () => {
    const app = plantSecurityApp();
    scratch.push(app.dir);
    const ws = app.dir;
    const marker = join(tempDir('slotline-marker-'), 'ran');
    const plant = `#!/bin/sh\necho "$0" >> '${marker}'\nexit 0\n`;
    write(ws, 'node_modules/.bin/secretlint', plant, 0o755);
    write(ws, 'evil-bin/shellcheck', plant, 0o755);
    write(ws, 'evil-bin/bandit', plant, 0o755);
    write(ws, 'evil-bin/git', plant, 0o755);
    write(ws, 'bandit/__init__.py', `open(${JSON.stringify(marker)}, "a").write("bandit package\\n")\n`);
    // A config that turns every rule off: the pull request must not be able to silence the scan.
    write(ws, '.secretlintrc.json', JSON.stringify({ rules: [] }));
    const sarif = join(ws, 'out.sarif');
    const result = await runBundle(
      { path: '.', scanners: 'bandit, secretlint', 'fail-on': 'high', 'sarif-file': sarif },
      {
        GITHUB_WORKSPACE: ws,
        PATH: [join(ws, 'node_modules', '.bin'), join(ws, 'evil-bin'), SYSTEM_PATH].join(':'),
      },
    );
    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : '').toBe('');
    expect(result.exitCode).toBe(1);
    const found = sarifResults(sarif).map((r) => `${r.tool} ${r.rule} ${r.path}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'Bandit B602 app/jobs.py',
        expect.stringMatching(/^secretlint @secretlint\/secretlint-rule-aws\S* config\/settings\.ini$/),
      ]),
    );
    expect(result.log).not.toContain(join(ws, 'node_modules'));
    expect(result.log).not.toContain(app.secret);
  });

  test('external scanners get a scrubbed environment and a private HOME', async () => {
    const ws = tempDir('slotline-env-');
    const bin = tempDir('slotline-env-bin-');
    const dump = join(bin, 'env.txt');
    write(ws, 'deploy.sh', SC2086);
    write(
      bin,
      'shellcheck',
      `#!/bin/sh\nif [ "$1" = --version ]; then echo "version: 0.9.0"; exit 0; fi\nenv > '${dump}'\necho '{"comments":[]}'\n`,
      0o755,
    );
    const runnerHome = tempDir('slotline-runner-home-');
    const result = await runBundle(
      { path: '.', scanners: 'shellcheck', 'sarif-file': join(ws, 'out.sarif') },
      {
        GITHUB_WORKSPACE: ws,
        PATH: [bin, SYSTEM_PATH].join(':'),
        HOME: runnerHome,
        LANG: 'C.UTF-8',
        HTTPS_PROXY: 'http://proxy.example:3128',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request-token-value',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/',
        ACTIONS_RUNTIME_TOKEN: 'runtime-token-value',
        ACTIONS_RESULTS_URL: 'https://results.example/',
        GITHUB_TOKEN: 'ghs_tokenvalue',
        AZURE_CLIENT_SECRET: 'azure-secret-value',
        INPUT_EXTRA: 'x',
      },
    );
    expect(result.exitCode).toBe(0);
    const seen = Object.fromEntries(
      readFileSync(dump, 'utf8')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    for (const name of Object.keys(seen)) expect(name).not.toMatch(/^(ACTIONS_|INPUT_|GITHUB_|AZURE_)/);
    expect(JSON.stringify(seen)).not.toMatch(/token-value|ghs_|azure-secret/);
    expect(seen['PATH']).toBe([bin, SYSTEM_PATH].join(':'));
    expect(seen['LANG']).toBe('C.UTF-8');
    expect(seen['HTTPS_PROXY']).toBe('http://proxy.example:3128');
    expect(seen['HOME']).toBeDefined();
    expect(seen['HOME']).not.toBe(runnerHome);
    expect(seen['TMPDIR']).toBeDefined();
    // Private, and gone when the action ends.
    expect(existsSync(seen['HOME']!)).toBe(false);
  });

  test('SIGTERM to the action stops the scanner and its children', async () => {
    const ws = tempDir('slotline-sigterm-');
    const bin = tempDir('slotline-sigterm-bin-');
    write(ws, 'deploy.sh', SC2086);
    write(
      bin,
      'shellcheck',
      [
        '#!/bin/sh',
        'if [ "$1" = --version ]; then echo "version: 0.9.0"; exit 0; fi',
        'sleep 300 &',
        `echo $! > '${join(bin, 'child.pid')}'`,
        `echo $$ > '${join(bin, 'scanner.pid')}'`,
        'wait',
      ].join('\n'),
      0o755,
    );
    const { child, done } = startBundle(
      { path: '.', scanners: 'shellcheck', 'sarif-file': join(ws, 'out.sarif') },
      { GITHUB_WORKSPACE: ws, PATH: [bin, SYSTEM_PATH].join(':') },
    );
    const pids: number[] = [];
    try {
      expect(
        await waitFor(
          () => existsSync(join(bin, 'child.pid')) && existsSync(join(bin, 'scanner.pid')),
          20_000,
        ),
      ).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      for (const f of ['scanner.pid', 'child.pid']) pids.push(Number(readFileSync(join(bin, f), 'utf8')));
      expect(pids.every(alive)).toBe(true);
      child.kill('SIGTERM');
      const result = await done;
      expect(result.exitCode).not.toBe(0);
      expect(await waitFor(() => !pids.some(alive), 5_000)).toBe(true);
      expect(errorLines(result.log)).toEqual([expect.stringMatching(/cancelled by SIGTERM/)]);
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
});

describe('allowlist on pull requests comes from the base commit', () => {
  const allowB602 = '- rule: B602\n  reason: reviewed\n  expires: 2999-01-01\n';
  let ws: string;
  let baseSha: string;

  /** A repository whose base commit holds app.py (B602) and, optionally, an allowlist. */
  function repo(baseAllowlist: string | undefined): void {
    ws = tempDir('slotline-pr-');
    git(ws, 'init', '-q', '-b', 'main');
    write(ws, 'app.py', B602);
    if (baseAllowlist !== undefined) write(ws, '.github/allowlist.yml', baseAllowlist);
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'base');
    baseSha = git(ws, 'rev-parse', 'HEAD');
  }

  function event(sha: string): Record<string, string> {
    const eventPath = write(
      tempDir('slotline-event-'),
      'event.json',
      JSON.stringify({ pull_request: { base: { sha } } }),
    );
    return { GITHUB_WORKSPACE: ws, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath };
  }

  const inputs = () => ({
    path: '.',
    scanners: 'bandit',
    'fail-on': 'high',
    allowlist: '.github/allowlist.yml',
    'sarif-file': join(ws, 'out.sarif'),
  });

  test('an entry the pull request adds does not take effect', async () => {
    repo('[]\n');
    write(ws, '.github/allowlist.yml', allowB602);
    git(ws, 'commit', '-q', '-am', 'allow my own finding');
    const result = await runBundle(inputs(), event(baseSha));
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([expect.stringMatching(/bandit B602 at app\.py:5$/)]);
    expect(result.outputs['suppressed']).toBe('0');
  });

  test('a pull request that deletes the file still gets the base entries', async () => {
    repo(allowB602);
    git(ws, 'rm', '-q', '.github/allowlist.yml');
    git(ws, 'commit', '-q', '-m', 'drop the allowlist');
    const result = await runBundle(inputs(), event(baseSha));
    expect(errorLines(result.log)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.outputs['suppressed']).toBe('1');
  });

  test('a shallow checkout without the base commit warns and uses the working copy', async () => {
    repo(allowB602);
    const result = await runBundle(inputs(), event('0123456789abcdef0123456789abcdef01234567'));
    expect(result.exitCode).toBe(0);
    expect(warningLines(result.log)).toEqual([
      expect.stringMatching(/base commit 0123456789ab.*not in this checkout.*fetch-depth: 2/),
    ]);
    expect(result.outputs['suppressed']).toBe('1');
  });
});

describe('only what git shows, within a time budget', () => {
  test('scans tracked and untracked-not-ignored files only', async () => {
    const ws = tempDir('slotline-ignored-');
    git(ws, 'init', '-q', '-b', 'main');
    write(ws, '.gitignore', '.tmp/\n');
    write(ws, 'tracked.py', B602);
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'base');
    write(ws, 'untracked.py', B602);
    for (let i = 0; i < 2000; i++) write(ws, `.tmp/store/${i % 20}/m${i}.py`, B602);
    const sarif = join(ws, 'out.sarif');
    const result = await runBundle(
      { path: '.', scanners: 'bandit', 'fail-on': 'none', 'sarif-file': sarif },
      { GITHUB_WORKSPACE: ws },
    );
    expect(result.exitCode).toBe(0);
    expect(
      sarifResults(sarif)
        .filter((r) => r.rule === 'B602')
        .map((r) => r.path)
        .sort(),
    ).toEqual(['tracked.py', 'untracked.py']);
    expect(result.log).toMatch(/Scanning 3 file\(s\) git tracks or would track/);
  }, 120_000);

  test('the timeout input bounds the whole scan and names the unfinished scanner', async () => {
    const ws = tempDir('slotline-timeout-');
    const bin = tempDir('slotline-timeout-bin-');
    write(ws, 'deploy.sh', SC2086);
    write(
      bin,
      'shellcheck',
      `#!/bin/sh\nif [ "$1" = --version ]; then echo "version: 0.9.0"; exit 0; fi\necho $$ > '${join(bin, 'pid')}'\nexec sleep 40\n`,
      0o755,
    );
    const sarif = join(ws, 'out.sarif');
    const result = await runBundle(
      { path: '.', scanners: 'shellcheck', timeout: '2s', 'sarif-file': sarif },
      { GITHUB_WORKSPACE: ws, PATH: [bin, SYSTEM_PATH].join(':') },
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      expect.stringMatching(
        /^::error::security-scan: the scan did not finish within timeout 2s; still running: shellcheck \(\d+(\.\d)?s\)$/,
      ),
    ]);
    expect(alive(Number(readFileSync(join(bin, 'pid'), 'utf8')))).toBe(false);
  });

  test('timeout: a bad value is an input error', async () => {
    const ws = tempDir('slotline-timeout-bad-');
    const result = await runBundle(
      { path: '.', timeout: 'soon', 'sarif-file': join(ws, 'o.sarif') },
      { GITHUB_WORKSPACE: ws },
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      expect.stringMatching(/^::error::security-scan: Input "timeout" must be a duration/),
    ]);
  });
});
