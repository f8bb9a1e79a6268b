import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { whichOnPath } from '../../src/lib/which.js';
import { defaultDeps, run, type SecurityScanDeps } from '../../src/security-scan/main.js';
import { runInProcess, type StepResult } from '../helpers/runner.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';
import {
  lineOf,
  type PlantedApp,
  plantSecurityApp,
  SCAN_PATH,
  SECURITY_APP,
} from '../helpers/security-fixture.js';

const NOW = new Date('2026-11-26T10:00:00Z');
const realDeps: Partial<SecurityScanDeps> = { which: () => whichOnPath(SCAN_PATH), now: () => NOW };

/**
 * @actions/core caches the summary file path on first use; the runner starts a process per step, these
 * tests do not, so each in-process run starts from a fresh summary.
 */
function freshSummary(): void {
  (core.summary as unknown as { _filePath?: string })._filePath = undefined;
  core.summary.emptyBuffer();
}

function scan(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  deps: Partial<SecurityScanDeps> = realDeps,
): Promise<StepResult> {
  freshSummary();
  // Every fixture lives under the system temp folder, which stands in for the runner's RUNNER_TEMP.
  return runInProcess(() => run(process.env, { ...defaultDeps(), ...deps }), inputs, {
    RUNNER_TEMP: tmpdir(),
    ...env,
  });
}

const errorLines = (log: string) => log.split('\n').filter((l) => l.startsWith('::error::'));

describe('the planted fixture app', () => {
  let app: PlantedApp;
  let sarifFile: string;
  let result: StepResult;
  const env = () => ({
    GITHUB_WORKSPACE: app.dir,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'octo/app',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  });

  beforeAll(async () => {
    app = plantSecurityApp();
    sarifFile = join(app.dir, 'out', 'security.sarif');
    result = await scan(
      { path: app.dir, scanners: 'bandit, shellcheck, secretlint', 'sarif-file': sarifFile },
      env(),
    );
  });
  afterAll(() => app.cleanup());

  test('fails on the high and critical findings with one line', () => {
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      expect.stringMatching(
        /^::error::security-scan: 2 finding\(s\) at or above fail-on high \(1 critical, 1 high\): secretlint @secretlint\/secretlint-rule-aws at config\/settings.ini:3; bandit B602 at app\/jobs.py:5$/,
      ),
    ]);
  });

  test('outputs: passed, sarif-file, counts by severity and tool, findings, suppressed', () => {
    expect(result.outputs['passed']).toBe('false');
    expect(result.outputs['sarif-file']).toBe(sarifFile);
    const counts = JSON.parse(result.outputs['counts']!) as Record<string, unknown>;
    expect(counts).toMatchObject({ critical: 1, high: 1, medium: 2 });
    expect(counts['byTool']).toMatchObject({
      bandit: { high: 1, medium: 2 },
      shellcheck: { low: 1 },
      secretlint: { critical: 1, total: 1 },
    });
    expect(Number(result.outputs['findings'])).toBe(counts['total']);
    expect(result.outputs['suppressed']).toBe('0');
  });

  test('writes a schema-valid SARIF file even though the gate failed', () => {
    const log = JSON.parse(readFileSync(sarifFile, 'utf8')) as unknown;
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  test('annotates findings at or above report-on with file and line', () => {
    const jobs = lineOf(join(app.dir, 'app', 'jobs.py'), 'shell=True');
    expect(result.log).toContain(`::error title=bandit B602 (high),file=app/jobs.py,line=${jobs}`);
    expect(result.log).toMatch(/::notice title=shellcheck SC2086 \(low\),file=scripts\/deploy.sh,line=5/);
  });

  test('job summary: scanners, counts per tool and severity, top findings with links', () => {
    expect(result.summary).toContain('## Security scan: failed');
    expect(result.summary).toMatch(/\| bandit \| ran \| 1\.\d+\.\d+ \| 4 \|/);
    expect(result.summary).toContain('| npm-audit | skipped: not in the scanners input |');
    expect(result.summary).toMatch(/\| bandit \| 0 \| 1 \| 2 \| 1 \| 4 \|/);
    expect(result.summary).toContain(
      '[app/jobs.py:5](https://github.com/octo/app/blob/0123456789abcdef0123456789abcdef01234567/app/jobs.py#L5)',
    );
  });

  test('the planted key reaches no log, output, summary or SARIF file', () => {
    for (const text of [
      result.log,
      result.summary,
      JSON.stringify(result.outputs),
      readFileSync(sarifFile, 'utf8'),
    ])
      expect(text).not.toContain(app.secret);
  });
});

describe('allowlist', () => {
  let app: PlantedApp;
  beforeAll(() => {
    app = plantSecurityApp();
  });
  afterAll(() => app.cleanup());

  function allowlist(text: string): string {
    const file = join(app.dir, 'allow.yml');
    writeFileSync(file, text);
    return file;
  }

  test('allowlisted high and critical findings pass and are listed as suppressed', async () => {
    const file = allowlist(
      [
        '- rule: B602',
        '  path: "app/**"',
        '  reason: archive() only receives folder names from a fixed list',
        '  expires: 2027-01-31',
        '- rule: "@secretlint/secretlint-rule-aws"',
        '  path: config/settings.ini',
        '  reason: test credentials, revoked',
        '  expires: 2026-12-15',
      ].join('\n'),
    );
    const result = await scan(
      {
        path: app.dir,
        scanners: 'bandit,shellcheck,secretlint',
        allowlist: file,
        'sarif-file': join(app.dir, 'a.sarif'),
      },
      { GITHUB_WORKSPACE: app.dir },
    );
    expect(errorLines(result.log)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.outputs['passed']).toBe('true');
    expect(result.outputs['suppressed']).toBe('2');
    expect(result.summary).toContain('### Suppressed by the allowlist');
    expect(result.summary).toContain('archive() only receives folder names from a fixed list | 2027-01-31 |');
    expect(result.summary).toContain('test credentials, revoked | 2026-12-15 |');
    const log = JSON.parse(readFileSync(join(app.dir, 'a.sarif'), 'utf8')) as {
      runs: { results: { ruleId: string; suppressions?: { justification: string }[] }[] }[];
    };
    const suppressed = log.runs.flatMap((r) => r.results).filter((r) => r.suppressions);
    expect(suppressed.map((r) => r.ruleId).sort()).toEqual(['@secretlint/secretlint-rule-aws', 'B602']);
  });

  test('an expired entry fails the run with its expiry date', async () => {
    const file = allowlist('- rule: B602\n  reason: temporary\n  expires: 2026-10-31\n');
    const result = await scan(
      {
        path: join(app.dir, 'app'),
        scanners: 'bandit',
        allowlist: file,
        'sarif-file': join(app.dir, 'b.sarif'),
      },
      { GITHUB_WORKSPACE: app.dir },
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      expect.stringContaining('allowlist entry 1 (rule B602) expired on 2026-10-31'),
    ]);
    expect(result.summary).toContain('### Expired allowlist entries (these fail the run)');
  });
});

test('fail-on high with only medium findings passes; paths stay relative to the repository', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-medium-'));
  try {
    mkdirSync(join(dir, 'svc'));
    cpSync(join(SECURITY_APP, 'app', 'db.py'), join(dir, 'svc', 'db.py'));
    const result = await scan(
      { path: join(dir, 'svc'), scanners: 'bandit', 'fail-on': 'high', 'sarif-file': join(dir, 'm.sarif') },
      { GITHUB_WORKSPACE: dir },
    );
    expect(errorLines(result.log)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.outputs['counts']!)).toMatchObject({ medium: 2, high: 0, critical: 0 });
    expect(result.log).toContain('file=svc/db.py');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("annotations stop at GitHub's 10 per kind per step, with a note saying how many were left out", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-many-'));
  try {
    const lines = ['#!/bin/sh', ...Array.from({ length: 60 }, (_, i) => `echo $v${i}`)];
    writeFileSync(join(dir, 'many.sh'), `${lines.join('\n')}\n`);
    const result = await scan(
      { path: dir, scanners: 'shellcheck', 'sarif-file': join(dir, 's.sarif') },
      { GITHUB_WORKSPACE: dir },
    );
    expect(result.exitCode).toBe(0);
    // 60 x SC2154 (warning, medium) and 60 x SC2086 (info, low).
    expect(result.outputs['findings']).toBe('120');
    expect(result.log.match(/^::warning title=shellcheck/gm)).toHaveLength(10);
    expect(result.log.match(/^::notice title=shellcheck/gm)).toHaveLength(9);
    expect(result.log).toContain(
      '::notice::101 more finding(s) not annotated: GitHub shows 10 annotations of each kind per step.',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('scanner failures are errors, never passes', () => {
  let bin: string;
  let app: PlantedApp;
  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'slotline-fake-bin-'));
    app = plantSecurityApp();
  });
  afterAll(() => {
    rmSync(bin, { recursive: true, force: true });
    app.cleanup();
  });

  function fakeTool(name: string, script: string): SecurityScanDeps['which'] {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
    return () => whichOnPath(bin);
  }

  test('a requested scanner that is not installed', async () => {
    const sarif = join(app.dir, 'missing.sarif');
    const result = await scan(
      { path: app.dir, scanners: 'bandit', 'sarif-file': sarif },
      {},
      { which: () => whichOnPath('/nonexistent') },
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      '::error::security-scan: scanner bandit was requested, but `bandit` is not on PATH (install: apt-get install bandit, or pip install bandit)',
    ]);
    expect(existsSync(sarif)).toBe(false);
  });

  test('scanners: auto when the content needs a scanner that is not installed', async () => {
    const result = await scan(
      { path: app.dir, 'sarif-file': join(app.dir, 'x.sarif') },
      {},
      { which: () => whichOnPath('/nonexistent') },
    );
    // require-scanners' default (bandit, shellcheck): the planted app's Python needs bandit.
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      expect.stringMatching(
        /^::error::security-scan: Input "require-scanners" requires bandit: \d+ Python file\(s\) need bandit, but `bandit` is not on PATH \(install: [^;]*\); Input "require-scanners" requires shellcheck: /,
      ),
    ]);
  });

  test('a scanner that crashes', async () => {
    const which = fakeTool('bandit', 'echo "Traceback (most recent call last): boom" >&2; exit 2');
    const result = await scan(
      { path: app.dir, scanners: 'bandit', 'sarif-file': join(app.dir, 'c.sarif') },
      {},
      { which },
    );
    expect(result.exitCode).toBe(1);
    expect(result.outputs['passed']).toBe('false');
    expect(errorLines(result.log)).toEqual([
      '::error::security-scan: bandit failed with exit code 2: Traceback (most recent call last): boom',
    ]);
  });

  test('a scanner that prints something other than its report', async () => {
    const which = fakeTool('shellcheck', 'echo "Segmentation fault"; exit 0');
    const result = await scan(
      { path: app.dir, scanners: 'shellcheck', 'sarif-file': join(app.dir, 'd.sarif') },
      {},
      { which },
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      expect.stringMatching(
        /^::error::security-scan: shellcheck did not print JSON \(.*\); output began "Segmentation fault"$/,
      ),
    ]);
  });

  test('a scanner killed by a signal', async () => {
    const which = fakeTool('shellcheck', 'kill -9 $$');
    const result = await scan(
      { path: app.dir, scanners: 'shellcheck', 'sarif-file': join(app.dir, 'e.sarif') },
      {},
      { which },
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      '::error::security-scan: shellcheck was killed by signal SIGKILL',
    ]);
  });
});

describe('scanners the tree needs but the runner lacks', () => {
  let dir: string;
  beforeAll(() => {
    // Python with requirements, a shell script and a Dockerfile: bandit, shellcheck, pip-audit and trivy.
    dir = mkdtempSync(join(tmpdir(), 'slotline-needs-'));
    writeFileSync(join(dir, 'app.py'), 'print("hello")\n');
    writeFileSync(join(dir, 'requirements.txt'), 'flask==3.0.0\n');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM python:3.12-slim\n');
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Nothing on PATH: only secretlint, which runs inside the action, can run. */
  const nothingInstalled = { which: () => whichOnPath('/nonexistent') };
  const warnings = (log: string) => log.split('\n').filter((l) => l.startsWith('::warning'));

  test('require-scanners: false: each one is a warning annotation and "not run" in the summary; the scan passes', async () => {
    const result = await scan(
      { path: dir, 'require-scanners': 'false', 'sarif-file': join(dir, 'a.sarif') },
      { GITHUB_WORKSPACE: dir },
      nothingInstalled,
    );
    expect(result.exitCode).toBe(0);
    expect(errorLines(result.log)).toEqual([]);
    expect(warnings(result.log)).toEqual([
      '::warning title=bandit not run::bandit not run: 1 Python file(s) need bandit, but `bandit` is not on PATH (install: apt-get install bandit, or pip install bandit). List it in require-scanners to make this an error.',
      '::warning title=shellcheck not run::shellcheck not run: 1 shell script(s) need shellcheck, but `shellcheck` is not on PATH (install: apt-get install shellcheck). List it in require-scanners to make this an error.',
      '::warning title=trivy not run::trivy not run: 2 container, IaC or dependency file(s) need trivy, but `trivy` is not on PATH (install: see https://trivy.dev/latest/getting-started/installation/). List it in require-scanners to make this an error.',
      '::warning title=pip-audit not run::pip-audit not run: 1 requirements file(s) need pip-audit, but `pip-audit` is not on PATH (install: pip install pip-audit). List it in require-scanners to make this an error.',
    ]);
    expect(result.summary).toContain('## Security scan: passed, 4 needed scanner(s) not run');
    expect(result.summary).toContain(
      '| pip-audit | **not run**: 1 requirements file(s) need pip-audit, but `pip-audit` is not on PATH |',
    );
    expect(result.summary).toContain(
      '| trivy | **not run**: 2 container, IaC or dependency file(s) need trivy, but `trivy` is not on PATH |',
    );
    expect(result.summary).toMatch(/\| secretlint \| ran \|/);
    expect(result.outputs['passed']).toBe('true');
  });

  test('require-scanners: true: one error line naming the input and every missing scanner, exit 1, no SARIF', async () => {
    const sarif = join(dir, 'b.sarif');
    const result = await scan(
      { path: dir, 'require-scanners': 'true', 'sarif-file': sarif },
      { GITHUB_WORKSPACE: dir },
      nothingInstalled,
    );
    expect(result.exitCode).toBe(1);
    const errors = errorLines(result.log);
    expect(errors).toHaveLength(1);
    for (const name of ['bandit', 'shellcheck', 'trivy', 'pip-audit'])
      expect(errors[0]).toContain(`Input "require-scanners" requires ${name}: `);
    expect(existsSync(sarif)).toBe(false);
  });

  test('require-scanners: pip-audit: that one fails the run, the rest are warnings', async () => {
    const result = await scan(
      { path: dir, 'require-scanners': 'pip-audit', 'sarif-file': join(dir, 'c.sarif') },
      { GITHUB_WORKSPACE: dir },
      nothingInstalled,
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      '::error::security-scan: Input "require-scanners" requires pip-audit: 1 requirements file(s) need pip-audit, but `pip-audit` is not on PATH (install: pip install pip-audit)',
    ]);
  });

  test('a bad require-scanners value is a one-line input error', async () => {
    const result = await scan(
      { path: dir, 'require-scanners': 'bandit, yes', 'sarif-file': join(dir, 'd.sarif') },
      { GITHUB_WORKSPACE: dir },
      nothingInstalled,
    );
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      '::error::security-scan: Input "require-scanners" must be true, false or a comma-separated list of bandit, shellcheck, secretlint, gitleaks, trivy, trivy-image, npm-audit, pip-audit, got "yes".',
    ]);
  });
});

describe('sarif-file stays inside GITHUB_WORKSPACE or RUNNER_TEMP', () => {
  let dir: string;
  let ws: string;
  let runnerTemp: string;
  let elsewhere: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slotline-sarif-path-'));
    ws = join(dir, 'workspace');
    runnerTemp = join(dir, 'runner-temp');
    elsewhere = join(dir, 'elsewhere');
    for (const d of [ws, runnerTemp, elsewhere]) mkdirSync(d);
    writeFileSync(join(ws, 'app.py'), 'print(1)\n');
    symlinkSync(elsewhere, join(ws, 'link'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const listing = () => [ws, runnerTemp, elsewhere, dir].map((d) => readdirSync(d).sort().join(','));

  test.each([
    ['..', () => '../escaped.sarif', () => join(dir, 'escaped.sarif')],
    ['an absolute path elsewhere', () => join(elsewhere, 'x.sarif'), () => join(elsewhere, 'x.sarif')],
    [
      'a newline with ::error::',
      () => 'a.sarif\n::error::injected',
      () => join(ws, 'a.sarif\n::error::injected'),
    ],
    ['a symlink out of the workspace', () => 'link/x.sarif', () => join(elsewhere, 'x.sarif')],
  ])('%s is an input error and nothing is written', async (_case, value, target) => {
    const before = listing();
    const cwd = process.cwd();
    process.chdir(ws);
    let result: StepResult;
    try {
      result = await scan(
        { path: ws, scanners: 'bandit', 'sarif-file': value() },
        { GITHUB_WORKSPACE: ws, RUNNER_TEMP: runnerTemp },
        { which: () => whichOnPath('/nonexistent') },
      );
    } finally {
      process.chdir(cwd);
    }
    expect(result.exitCode).toBe(1);
    const errors = errorLines(result.log);
    expect(errors).toEqual([
      expect.stringMatching(
        /^::error::security-scan: Input "sarif-file" must be a file path inside GITHUB_WORKSPACE or RUNNER_TEMP/,
      ),
    ]);
    expect(result.log).not.toMatch(/^::error::injected/m);
    expect(existsSync(target())).toBe(false);
    expect(listing()).toEqual(before);
    expect(result.outputs).toEqual({});
  });

  test('a path inside the workspace but past PATH_MAX is an input error before the scan, not ENAMETOOLONG after it', async () => {
    const cwd = process.cwd();
    process.chdir(ws);
    let result: StepResult;
    try {
      result = await scan(
        { path: ws, scanners: 'bandit', 'fail-on': 'none', 'sarif-file': `${'a/'.repeat(3000)}x.sarif` },
        { GITHUB_WORKSPACE: ws, RUNNER_TEMP: runnerTemp },
      );
    } finally {
      process.chdir(cwd);
    }
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.log)).toEqual([
      '::error::security-scan: Input "sarif-file" must be a file path inside GITHUB_WORKSPACE or RUNNER_TEMP, with a path shorter than 4096 bytes.',
    ]);
    expect(existsSync(join(ws, 'a'))).toBe(false);
  });

  test('inside RUNNER_TEMP and inside the workspace are fine', async () => {
    for (const file of [join(runnerTemp, 'r.sarif'), join(ws, 'out', 'w.sarif')]) {
      const result = await scan(
        { path: ws, scanners: 'bandit', 'sarif-file': file, 'fail-on': 'none' },
        { GITHUB_WORKSPACE: ws, RUNNER_TEMP: runnerTemp },
      );
      expect(errorLines(result.log)).toEqual([]);
      expect(existsSync(file)).toBe(true);
    }
  });
});

describe('bad input: one line naming the input, exit 1, nothing written', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'slotline-bad-input-'));
    writeFileSync(join(dir, 'bad-allow.yml'), '- rule: B602\n  reason: r\n  expires: soon\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    [
      'path',
      { path: '/nonexistent/folder' },
      'Input "path" must be an existing folder, got "/nonexistent/folder".',
    ],
    [
      'scanners',
      { scanners: 'bandit, semgrep' },
      'Input "scanners" must be auto or a list of bandit, shellcheck, secretlint, gitleaks, trivy, trivy-image, npm-audit, pip-audit, got "bandit, semgrep".',
    ],
    ['scanners', { scanners: 'auto, bandit' }, 'Input "scanners" must be auto or a list of'],
    [
      'image',
      { image: 'bad image ref' },
      'Input "image" must be an image reference such as registry.example.com/team/app:1.0 (it holds a space or a control character), got "bad image ref".',
    ],
    ['image', { scanners: 'trivy-image' }, 'Input "image" is required when scanners includes trivy-image.'],
    [
      'image',
      { scanners: 'bandit', image: 'app:1' },
      'Input "image" is set, so scanners must include trivy-image (or be auto), got "app:1".',
    ],
    [
      'fail-on',
      { 'fail-on': 'severe' },
      'Input "fail-on" must be one of critical, high, medium, low, none, got "severe".',
    ],
    [
      'fail-on',
      { 'fail-on': 'low', 'report-on': 'high' },
      'Input "fail-on" must be at or above report-on (high)',
    ],
    [
      'report-on',
      { 'report-on': 'none' },
      'Input "report-on" must be one of critical, high, medium, low, got "none".',
    ],
    [
      'allowlist',
      { allowlist: '/nonexistent/allow.yml' },
      'Input "allowlist" must name a readable YAML file (a YAML list of entries with rule and/or fingerprint, optional path glob and tool, reason and expires (YYYY-MM-DD)), got "/nonexistent/allow.yml": no such file (leave allowlist unset until you accept a finding).',
    ],
    ['allowlist', { allowlist: 'BAD' }, 'Input "allowlist" must be a YAML list of entries'],
    [
      'sarif-file',
      { 'sarif-file': '/tmp' },
      'Input "sarif-file" must be a file path, not a folder, got "/tmp".',
    ],
    [
      'category-prefix',
      { 'category-prefix': 'bad prefix/' },
      'Input "category-prefix" must be letters, digits',
    ],
  ])('%s: %j', async (_name, inputs, message) => {
    const sarif = join(dir, 'never.sarif');
    const all: Record<string, string> = { path: dir, 'sarif-file': sarif, ...inputs };
    if (all['allowlist'] === 'BAD') all['allowlist'] = join(dir, 'bad-allow.yml');
    const result = await scan(all);
    expect(result.exitCode).toBe(1);
    const errors = errorLines(result.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`::error::security-scan: ${message}`);
    if (all['sarif-file'] === sarif) expect(existsSync(sarif)).toBe(false);
    expect(result.outputs).toEqual({});
  });

  // The bad-input sweep's image values that reached trivy before image took distribution's grammar.
  test.each([
    ['an upper-case repository', 'registry.example.com/App:1', 'the repository path must be lower-case'],
    ['an empty tag', 'registry.example.com/app:', 'the tag after ":" is empty'],
    [
      'a short digest',
      'registry.example.com/app@sha256:abc',
      'a sha256 digest has exactly 64 lower-case hex',
    ],
    ['two tags', 'registry.example.com/app:1:2', 'it has more than one tag'],
    ['a 129-character tag', `registry.example.com/app:${'t'.repeat(129)}`, 'the tag is longer than 128'],
    ['port 99999', 'registry.example.com:99999/app:1', 'the registry port must be a number from 1 to 65535'],
    [
      'a 64-character host label',
      `${'h'.repeat(64)}.example.com/app:1`,
      'a part of the registry host name between dots is longer than 63 characters',
    ],
    ['an https:// scheme', 'https://registry.example.com/app:1', 'an image reference has no scheme'],
    ['12,000 characters', 'a'.repeat(12_000), 'the repository path is longer than 255 characters'],
  ])('image with %s is refused before trivy is asked', async (_name, image, reason) => {
    const sarif = join(dir, 'never.sarif');
    const result = await scan({ path: dir, 'sarif-file': sarif, scanners: 'trivy-image', image });
    expect(result.exitCode).toBe(1);
    const errors = errorLines(result.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      `::error::security-scan: Input "image" must be an image reference such as registry.example.com/team/app:1.0 (${reason}`,
    );
    expect(errors[0]!.length).toBeLessThan(400);
    expect(existsSync(sarif)).toBe(false);
  });

  test.each([
    ['12,000 characters', 'a'.repeat(12_000)],
    ['a deep path', 'a/'.repeat(3000)],
    ['control and bidi characters', 'allow\u0007\u202e.yml'],
  ])('allowlist naming %s: one short line that shows only the start of it', async (_name, allowlist) => {
    const result = await scan({ path: dir, 'sarif-file': join(dir, 'never.sarif'), allowlist });
    expect(result.exitCode).toBe(1);
    const errors = errorLines(result.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('::error::security-scan: Input "allowlist" must name a readable YAML file');
    expect(errors[0]!.length).toBeLessThan(400);
    expect(errors[0]).not.toContain('\u0007');
    expect(errors[0]).not.toContain('\u202e');
  });
});
