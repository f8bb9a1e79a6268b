import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from '../../src/lib/exec.js';
import { whichOnPath } from '../../src/lib/which.js';
import { type ScanReport, securityScan } from '../../src/security-scan/scan.js';
import { repoRoot } from '../helpers/runner.js';
import { sarifSchemaErrors } from '../helpers/sarif-schema.js';

/*
 * trivy, gitleaks and pip-audit are not installed on the development machine or in CI (no GitHub or PyPI
 * downloads), so these stand-ins are real executables that log their arguments and print the scanners'
 * recorded real output. They check the command lines and report handling; the parsers are checked
 * against the same recordings in unit/security-scan-parsers.test.ts.
 */
const outputs = join(repoRoot, '__tests__', 'fixtures', 'scanner-outputs');
let bin: string;
let repo: string;
let argsLog: string;
let report: ScanReport;

function standIn(name: string, body: string): void {
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${argsLog}'\n${body}\n`);
  chmodSync(file, 0o755);
}

beforeAll(async () => {
  bin = mkdtempSync(join(tmpdir(), 'slotline-standins-'));
  repo = mkdtempSync(join(tmpdir(), 'slotline-wiring-'));
  argsLog = join(bin, 'args.log');
  writeFileSync(join(repo, 'requirements.txt'), 'flask==0.5\n');
  standIn(
    'trivy',
    [
      'case "$1" in',
      '  --version) echo "Version: 0.58.1" ;;',
      `  fs) cat '${join(outputs, 'trivy', 'pnpm.json.golden')}' ;;`,
      `  image) cat '${join(outputs, 'trivy', 'alpine-39.json.golden')}' ;;`,
      'esac',
    ].join('\n'),
  );
  standIn(
    'gitleaks',
    [
      'if [ "$1" = version ]; then echo 8.21.2; exit 0; fi',
      `for a in "$@"; do case "$a" in --report-path=*) cp '${join(outputs, 'gitleaks', 'json_simple.json')}' "\${a#--report-path=}";; esac; done`,
    ].join('\n'),
  );
  standIn(
    'pip-audit',
    [
      'if [ "$1" = --version ]; then echo "pip-audit 2.7.3"; exit 0; fi',
      `cat '${join(repoRoot, '__tests__', 'fixtures', 'pip-audit', 'requirements-audit.json')}'`,
      'exit 1',
    ].join('\n'),
  );
  report = await securityScan(
    {
      root: repo,
      repoRoot: repo,
      scanners: ['trivy', 'trivy-image', 'gitleaks', 'pip-audit'],
      image: 'registry.example/app:1',
      failOn: 'critical',
      reportOn: 'low',
      allowlist: [],
      categoryPrefix: 'ci/security',
    },
    {
      exec: execFile,
      which: whichOnPath(bin),
      today: '2026-11-26',
      now: () => performance.now(),
      log: () => {},
    },
  );
});
afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(repo, { recursive: true, force: true });
});

test('each scanner is called with the command line the action documents', () => {
  const calls = readFileSync(argsLog, 'utf8').split('\n');
  // Our own config files live in the scan's private temporary folder.
  const own = '/tmp/slotline-security-[^/ ]+';
  const trivyConfig = `--config=${own}/trivy/trivy\\.yaml --ignorefile=${own}/trivy/trivyignore --secret-config=${own}/trivy/trivy-secret\\.yaml`;
  expect(calls).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        new RegExp(
          `^trivy fs ${trivyConfig} --format=json --quiet --exit-code=0 --scanners=vuln,secret,misconfig -- \\.$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^trivy image ${trivyConfig} --format=json --quiet --exit-code=0 -- registry\\.example/app:1$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^gitleaks detect --no-git --source=\\. --config=${own}/gitleaks\\.toml --gitleaks-ignore-path=${own}/gitleaksignore --report-format=json --report-path=${own}/gitleaks\\.json --redact --no-banner --exit-code=0 --log-level=error$`,
        ),
      ),
      'pip-audit --disable-pip --no-deps -r ./requirements.txt -f json --progress-spinner off',
    ]),
  );
});

test('their reports become findings per tool, with versions', () => {
  expect(report.failures).toEqual([]);
  expect(report.scanners.map((s) => [s.name, s.version, s.findings])).toEqual([
    ['trivy', '0.58.1', 2],
    ['trivy-image', '0.58.1', 6],
    ['gitleaks', '8.21.2', 1],
    ['pip-audit', '2.7.3', 2],
  ]);
});

test('trivy fs and trivy image share a driver name but not a category; the file is valid SARIF', () => {
  expect(sarifSchemaErrors(report.sarif.log)).toEqual([]);
  expect(report.sarif.log.runs.map((r) => [r.tool.driver.name, r.automationDetails?.id])).toEqual([
    ['Trivy', 'ci/security/trivy/'],
    ['Trivy', 'ci/security/trivy-image/'],
    ['gitleaks', 'ci/security/gitleaks/'],
    ['pip-audit', 'ci/security/pip-audit/'],
  ]);
});

test('fail-on critical fails on trivy and gitleaks criticals', () => {
  expect(report.policy.passed).toBe(false);
  expect(report.policy.failure).toMatch(/^4 finding\(s\) at or above fail-on critical \(4 critical\)/);
});

describe('file names from the tree never parse as options, and no tree config is used', () => {
  // Names a pull request could add; each would be an option if passed as written.
  const HOSTILE = ['-r.py', '--output=x.py', '-f.sh', '--norc.sh', '-x/requirements.txt'];
  let hostileBin: string;
  let tree: string;
  let calls: { tool: string; cwd: string; args: string[] }[];

  function recordingStandIn(name: string, body: string): void {
    const file = join(hostileBin, name);
    writeFileSync(
      file,
      [
        '#!/bin/sh',
        `f=$(mktemp '${hostileBin}/call.XXXXXX')`,
        `{ echo "${name}"; pwd; for a in "$@"; do echo "$a"; done; } > "$f"`,
        body,
      ].join('\n'),
    );
    chmodSync(file, 0o755);
  }

  beforeAll(async () => {
    hostileBin = mkdtempSync(join(tmpdir(), 'slotline-hostile-bin-'));
    tree = mkdtempSync(join(tmpdir(), 'slotline-hostile-tree-'));
    for (const name of HOSTILE) {
      mkdirSync(join(tree, dirname(name)), { recursive: true });
      writeFileSync(join(tree, name), name.endsWith('.sh') ? '#!/bin/sh\necho hi\n' : '');
    }
    writeFileSync(join(tree, 'package.json'), '{"name":"x","version":"1.0.0"}\n');
    writeFileSync(join(tree, 'package-lock.json'), '{"name":"x","lockfileVersion":3,"packages":{}}\n');
    writeFileSync(join(tree, '.npmrc'), 'registry=http://127.0.0.1:9/\n');
    writeFileSync(join(tree, '.gitleaks.toml'), '[allowlist]\npaths = [".*"]\n');
    writeFileSync(join(tree, 'trivy.yaml'), 'scan:\n  skip-dirs: ["."]\n');
    writeFileSync(join(tree, '.trivyignore'), 'CVE-2024-0001\n');
    writeFileSync(join(tree, '.shellcheckrc'), 'disable=all\n');
    const version = 'case "$1" in --version|version) echo "1.2.3"; exit 0;; esac';
    recordingStandIn('bandit', `${version}\necho '{"results":[],"errors":[]}'`);
    recordingStandIn('shellcheck', `${version}\necho '{"comments":[]}'`);
    recordingStandIn('trivy', `${version}\necho '{"Results":[]}'`);
    recordingStandIn(
      'gitleaks',
      `${version}\nfor a in "$@"; do case "$a" in --report-path=*) echo '[]' > "\${a#--report-path=}";; esac; done\nwhile [ $# -gt 0 ]; do if [ "$1" = --report-path ]; then echo '[]' > "$2"; fi; shift; done`,
    );
    recordingStandIn('pip-audit', `${version}\necho '{"dependencies":[]}'`);
    recordingStandIn(
      'npm',
      `${version}\necho '{"auditReportVersion":2,"vulnerabilities":{},"metadata":{"vulnerabilities":{"total":0}}}'`,
    );
    await securityScan(
      {
        root: tree,
        repoRoot: tree,
        scanners: ['bandit', 'shellcheck', 'trivy', 'gitleaks', 'pip-audit', 'npm-audit'],
        failOn: 'critical',
        reportOn: 'low',
        allowlist: [],
        categoryPrefix: 'ci/security',
      },
      {
        exec: execFile,
        which: whichOnPath(hostileBin),
        today: '2026-11-26',
        now: () => performance.now(),
        log: () => {},
      },
    );
    calls = readdirSync(hostileBin)
      .filter((f) => f.startsWith('call.'))
      .map((f) => readFileSync(join(hostileBin, f), 'utf8').split('\n').slice(0, -1))
      .map(([tool, cwd, ...args]) => ({ tool: tool!, cwd: cwd!, args }))
      .filter((c) => !['--version', 'version'].includes(c.args[0] ?? ''));
  });
  afterAll(() => {
    rmSync(hostileBin, { recursive: true, force: true });
    rmSync(tree, { recursive: true, force: true });
  });

  test("a tree's own .gitleaksignore stops the gitleaks scan (gitleaks always reads it)", async () => {
    const leaky = mkdtempSync(join(tmpdir(), 'slotline-gitleaksignore-'));
    try {
      writeFileSync(join(leaky, 'config.txt'), 'token = x\n');
      writeFileSync(join(leaky, '.gitleaksignore'), 'config.txt:generic-api-key:1\n');
      const scan = securityScan(
        {
          root: leaky,
          repoRoot: leaky,
          scanners: ['gitleaks'],
          failOn: 'critical',
          reportOn: 'low',
          allowlist: [],
          categoryPrefix: 'ci/security',
        },
        {
          exec: execFile,
          which: whichOnPath(hostileBin),
          today: '2026-11-26',
          now: () => performance.now(),
          log: () => {},
        },
      );
      // A requested scanner that fails fails the action (main), naming why.
      const report = await scan;
      expect(report.scanners.find((x) => x.name === 'gitleaks')?.error).toMatch(/own \.gitleaksignore/);
      expect(report.findings).toEqual([]);
    } finally {
      rmSync(leaky, { recursive: true, force: true });
    }
  });

  test('every scanner ran once over the tree', () => {
    expect(calls.map((c) => c.tool).sort()).toEqual([
      'bandit',
      'gitleaks',
      'npm',
      'pip-audit',
      'shellcheck',
      'trivy',
    ]);
  });

  test('no argument is a tree path as written: they arrive as ./-prefixed paths', () => {
    for (const call of calls) for (const name of HOSTILE) expect(call.args).not.toContain(name);
    const args = (tool: string) => calls.find((c) => c.tool === tool)!.args;
    expect(args('bandit')).toEqual(expect.arrayContaining(['./-r.py', './--output=x.py']));
    expect(args('bandit').indexOf('--')).toBeLessThan(args('bandit').indexOf('./-r.py'));
    expect(args('shellcheck')).toEqual(expect.arrayContaining(['--', './-f.sh', './--norc.sh']));
    expect(args('pip-audit')).toEqual(expect.arrayContaining(['./-x/requirements.txt']));
  });

  test("no tree config: shellcheck --norc, gitleaks and trivy get ours, npm audit runs outside the tree, pip-audit can't run setup.py", () => {
    const args = (tool: string) => calls.find((c) => c.tool === tool)!.args;
    expect(args('shellcheck')).toContain('--norc');
    expect(args('gitleaks')).toEqual(expect.arrayContaining([expect.stringMatching(/^--config=\/.+/)]));
    expect(args('gitleaks').join(' ')).not.toContain(tree + '/.gitleaks.toml');
    expect(args('trivy')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--config=\/.+/),
        expect.stringMatching(/^--ignorefile=\/.+/),
      ]),
    );
    // Our config files, never the tree's trivy.yaml / .trivyignore / trivy-secret.yaml.
    for (const arg of args('trivy')) expect(arg).not.toContain(tree);
    expect(args('pip-audit')).toEqual(expect.arrayContaining(['--disable-pip', '--no-deps']));
    const npm = calls.find((c) => c.tool === 'npm')!;
    expect(npm.cwd.startsWith(tree)).toBe(false);
    expect(npm.args).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--userconfig=\/.+/),
        expect.stringMatching(/^--globalconfig=\/.+/),
      ]),
    );
    for (const call of calls) if (call.tool !== 'npm') expect(call.cwd).toBe(tree);
  });
});

test('in a git work tree, trivy and gitleaks get what git ignores as skip rules in our own configs', async () => {
  const standIns = mkdtempSync(join(tmpdir(), 'slotline-skip-bin-'));
  const work = mkdtempSync(join(tmpdir(), 'slotline-skip-tree-'));
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: work,
        env: { PATH: '/usr/bin:/bin', HOME: work, GIT_CONFIG_NOSYSTEM: '1' },
      });
    git('init', '-q');
    writeFileSync(join(work, '.gitignore'), '.tmp/\nlocal.env\n');
    writeFileSync(join(work, 'app.py'), 'print(1)\n');
    mkdirSync(join(work, '.tmp', 'store'), { recursive: true });
    writeFileSync(join(work, '.tmp', 'store', 'm.py'), 'print(2)\n');
    writeFileSync(join(work, 'local.env'), 'A=1\n');
    const copyConfig = (name: string) =>
      `for a in "$@"; do case "$a" in --config=*) cp "\${a#--config=}" '${join(standIns, name)}';; --report-path=*) echo '[]' > "\${a#--report-path=}";; esac; done`;
    for (const [tool, config, out] of [
      ['trivy', 'trivy.yaml', `echo '{"Results":[]}'`],
      ['gitleaks', 'gitleaks.toml', ''],
    ] as const) {
      writeFileSync(
        join(standIns, tool),
        `#!/bin/sh\ncase "$1" in --version|version) echo 1.2.3; exit 0;; esac\n${copyConfig(config)}\n${out}\n`,
      );
      chmodSync(join(standIns, tool), 0o755);
    }
    const scanned = await securityScan(
      {
        root: work,
        repoRoot: work,
        scanners: ['trivy', 'gitleaks'],
        failOn: 'critical',
        reportOn: 'low',
        allowlist: [],
        categoryPrefix: 'ci/security',
      },
      {
        exec: execFile,
        which: whichOnPath(`${standIns}:/usr/bin:/bin`),
        today: '2026-11-26',
        now: () => performance.now(),
        log: () => {},
      },
    );
    expect(scanned.failures).toEqual([]);
    expect(JSON.parse(readFileSync(join(standIns, 'trivy.yaml'), 'utf8'))).toEqual({
      scan: { 'skip-dirs': ['.tmp'], 'skip-files': ['local.env'] },
    });
    const gitleaks = readFileSync(join(standIns, 'gitleaks.toml'), 'utf8');
    expect(gitleaks).toContain('useDefault = true');
    expect(gitleaks).toContain(JSON.stringify('^\\.tmp/'));
    expect(gitleaks).toContain(JSON.stringify('^local\\.env$'));
  } finally {
    rmSync(standIns, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});
