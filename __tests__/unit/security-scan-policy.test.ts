import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { type AllowlistEntry, parseAllowlist } from '../../src/security-scan/allowlist.js';
import type { FingerprintedFinding, ScannerName } from '../../src/security-scan/findings.js';
import { type Inventory, takeInventory } from '../../src/security-scan/inventory.js';
import { applyPolicy } from '../../src/security-scan/policy.js';
import { selectScanners } from '../../src/security-scan/scanners.js';
import { SEVERITY_SCORE, type Severity, severityFromScore } from '../../src/security-scan/severity.js';
import { repoRoot } from '../helpers/runner.js';

const TODAY = '2026-11-26';

function finding(severity: Severity, ruleId: string, path = 'app/app.py', line = 10): FingerprintedFinding {
  return {
    tool: 'bandit',
    toolName: 'Bandit',
    ruleId,
    message: `${ruleId} finding`,
    severity,
    score: SEVERITY_SCORE[severity],
    nativeSeverity: severity.toUpperCase(),
    location: { path, startLine: line },
    fingerprint: `${ruleId
      .toLowerCase()
      .padEnd(16, '0')
      .slice(0, 16)
      .replace(/[^0-9a-f]/g, 'a')}:1`,
  };
}

describe('severity policy', () => {
  test('fail-on high with only medium findings passes', () => {
    const result = applyPolicy([finding('medium', 'B608'), finding('low', 'B404')], [], {
      failOn: 'high',
      reportOn: 'low',
      today: TODAY,
    });
    expect(result.passed).toBe(true);
    expect(result.failure).toBeUndefined();
    expect(result.reported).toHaveLength(2);
  });

  test('a high finding fails, and the message names it', () => {
    const result = applyPolicy([finding('medium', 'B608'), finding('high', 'B602', 'app/jobs.py', 19)], [], {
      failOn: 'high',
      reportOn: 'low',
      today: TODAY,
    });
    expect(result.passed).toBe(false);
    expect(result.failure).toBe(
      '1 finding(s) at or above fail-on high (1 high): bandit B602 at app/jobs.py:19',
    );
  });

  test('an allowlisted high finding passes and is listed as suppressed with its reason', () => {
    const entry: AllowlistEntry = {
      rule: 'B602',
      path: 'app/**',
      reason: 'input is a fixed list',
      expires: '2027-01-31',
    };
    const high = finding('high', 'B602');
    const result = applyPolicy([high, finding('medium', 'B608')], [entry], {
      failOn: 'high',
      reportOn: 'low',
      today: TODAY,
    });
    expect(result.passed).toBe(true);
    expect(result.suppressed).toEqual([{ finding: high, entry, entryIndex: 0 }]);
    expect(result.active.map((f) => f.ruleId)).toEqual(['B608']);
  });

  test('an entry is valid through its expiry day', () => {
    const entry: AllowlistEntry = { rule: 'B602', reason: 'r', expires: TODAY };
    expect(
      applyPolicy([finding('high', 'B602')], [entry], { failOn: 'high', reportOn: 'low', today: TODAY })
        .passed,
    ).toBe(true);
  });

  test('an expired entry fails the run with its expiry date, and suppresses nothing', () => {
    const entry: AllowlistEntry = {
      rule: 'B602',
      path: 'app/**',
      reason: 'temporary',
      expires: '2026-11-25',
    };
    const result = applyPolicy([finding('high', 'B602')], [entry], {
      failOn: 'high',
      reportOn: 'low',
      today: TODAY,
    });
    expect(result.passed).toBe(false);
    expect(result.suppressed).toEqual([]);
    expect(result.failure).toContain('allowlist entry 1 (rule B602, path app/**) expired on 2026-11-25');
  });

  test('an expired entry fails even when nothing else would', () => {
    const entry: AllowlistEntry = { fingerprint: 'aaaaaaaaaaaaaaaa', reason: 'old', expires: '2025-01-31' };
    const result = applyPolicy([], [entry], { failOn: 'none', reportOn: 'low', today: TODAY });
    expect(result.passed).toBe(false);
    expect(result.failure).toMatch(/expired on 2025-01-31/);
  });

  test('entries match on every field they set: rule, fingerprint, path glob, tool', () => {
    const high = finding('high', 'B602', 'app/app.py');
    const run = (entry: AllowlistEntry) =>
      applyPolicy([high], [entry], { failOn: 'high', reportOn: 'low', today: TODAY }).suppressed.length;
    expect(run({ rule: 'B602', path: 'other/**', reason: 'r', expires: '2027-01-01' })).toBe(0);
    expect(run({ rule: 'B602', tool: 'shellcheck', reason: 'r', expires: '2027-01-01' })).toBe(0);
    expect(run({ rule: 'B999', reason: 'r', expires: '2027-01-01' })).toBe(0);
    expect(run({ fingerprint: high.fingerprint, reason: 'r', expires: '2027-01-01' })).toBe(1);
    expect(run({ fingerprint: high.fingerprint.split(':')[0]!, reason: 'r', expires: '2027-01-01' })).toBe(1);
    expect(run({ rule: 'B602', path: '**/*.py', tool: 'bandit', reason: 'r', expires: '2027-01-01' })).toBe(
      1,
    );
  });

  test('fail-on none never fails on findings; report-on filters what is reported', () => {
    const result = applyPolicy([finding('critical', 'X'), finding('low', 'Y')], [], {
      failOn: 'none',
      reportOn: 'high',
      today: TODAY,
    });
    expect(result.passed).toBe(true);
    expect(result.reported.map((f) => f.ruleId)).toEqual(['X']);
    expect(result.active).toHaveLength(2);
  });

  test('GitHub bands, half-open: 9.0 critical, 8.95 high, 3.95 low, 0 none', () => {
    expect([9.0, 8.95, 7.0, 6.99, 4.0, 3.95, 0.1, 0, 10.5].map(severityFromScore)).toEqual([
      'critical',
      'high',
      'high',
      'medium',
      'medium',
      'low',
      'low',
      undefined,
      undefined,
    ]);
  });
});

describe('allowlist file', () => {
  test('parses entries, unquoted dates stay dates', async () => {
    const entries = await parseAllowlist(
      '- rule: B602\n  path: "app/**"\n  reason: fixed command list\n  expires: 2027-01-31\n',
      'allow.yml',
    );
    expect(entries).toEqual([
      { rule: 'B602', path: 'app/**', reason: 'fixed command list', expires: '2027-01-31' },
    ]);
  });

  test.each([
    [
      '- reason: r\n  expires: 2027-01-01\n',
      /must have required property 'rule'|must match a schema in anyOf/,
    ],
    ['- rule: B602\n  expires: 2027-01-01\n', /must have required property 'reason'/],
    ['- rule: B602\n  reason: r\n', /must have required property 'expires'/],
    ['- rule: B602\n  reason: r\n  expires: next year\n', /expires must match pattern/],
    ['- rule: B602\n  reason: r\n  expires: 2027-02-30\n', /expires 2027-02-30, not a real date/],
    ['- rule: B602\n  reason: r\n  expires: 2027-01-01\n  owner: me\n', /has unknown key "owner"/],
    ['- rule: B602\n  tool: semgrep\n  reason: r\n  expires: 2027-01-01\n', /tool must be one of/],
    ['rule: B602\n', /must be array/],
    ['- rule: [B602\n', /must name a YAML file/],
  ])('rejects %j with a one-line error naming the input', async (text, message) => {
    const error = await parseAllowlist(text, 'allow.yml').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Input "allowlist"/);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('scanners: auto', () => {
  const inventory = (over: Partial<Inventory> = {}): Inventory => ({
    pythonFiles: ['app.py'],
    shellFiles: ['deploy.sh'],
    requirementsFiles: [],
    trivyFiles: [],
    files: ['app.py', 'deploy.sh', 'README.md'],
    fileCount: 3,
    capped: false,
    ignored: [],
    fromGit: false,
    ...over,
  });
  const all = new Set(['bandit', 'shellcheck', 'secretlint', 'npm-audit'] as const);

  test('picks by content and says why the others were skipped', () => {
    const selection = selectScanners({ requested: 'auto', inventory: inventory(), available: all });
    expect(selection.run).toEqual(['bandit', 'shellcheck', 'secretlint']);
    expect(selection.notRun).toEqual([]);
    expect(Object.fromEntries(selection.skipped.map((s) => [s.name, s.reason]))).toEqual({
      gitleaks: 'gitleaks is not on PATH; secretlint scans for secrets',
      trivy: 'no container, IaC or dependency files, and `trivy` is not on PATH',
      'trivy-image': 'no image input',
      'npm-audit': 'no package-lock.json at the root',
      'pip-audit': 'no requirements*.txt files',
    });
  });

  test('prefers gitleaks for secrets when it is on PATH', () => {
    const selection = selectScanners({
      requested: 'auto',
      inventory: inventory({ pythonFiles: [], shellFiles: [] }),
      available: new Set(['gitleaks', 'secretlint']),
    });
    expect(selection.run).toEqual(['gitleaks']);
    expect(selection.skipped.find((s) => s.name === 'bandit')?.reason).toBe('no Python files');
  });

  test('content that needs a missing scanner is an error, not a skip', () => {
    expect(() =>
      selectScanners({
        requested: 'auto',
        inventory: inventory(),
        available: new Set(['shellcheck', 'secretlint']),
      }),
    ).toThrow(/1 Python file\(s\) need bandit, but `bandit` is not on PATH \(install: /);
  });

  test('an image needs trivy', () => {
    expect(() =>
      selectScanners({ requested: 'auto', inventory: inventory(), available: all, image: 'app:1' }),
    ).toThrow(/the image input \(app:1\) needs trivy, but `trivy` is not on PATH/);
  });

  const pythonApp = (): Inventory =>
    inventory({
      shellFiles: [],
      requirementsFiles: ['requirements.txt', 'requirements-dev.txt'],
      trivyFiles: ['Dockerfile', 'requirements-dev.txt', 'requirements.txt'],
      npmLockfile: 'package-lock.json',
    });

  test('needed but missing trivy, pip-audit and npm audit are "not run", each with why, by default', () => {
    const selection = selectScanners({
      requested: 'auto',
      inventory: pythonApp(),
      available: new Set(['bandit', 'secretlint']),
    });
    expect(selection.run).toEqual(['bandit', 'secretlint']);
    expect(selection.notRun.map(({ name, reason }) => ({ name, reason }))).toEqual([
      {
        name: 'trivy',
        reason: '3 container, IaC or dependency file(s) need trivy, but `trivy` is not on PATH',
      },
      { name: 'npm-audit', reason: 'package-lock.json needs npm audit, but `npm` is not on PATH' },
      { name: 'pip-audit', reason: '2 requirements file(s) need pip-audit, but `pip-audit` is not on PATH' },
    ]);
    expect(selection.skipped.map((s) => s.name)).not.toEqual(expect.arrayContaining(['trivy', 'pip-audit']));
  });

  test('require-scanners false: even missing bandit and shellcheck are "not run", not errors', () => {
    const selection = selectScanners({
      requested: 'auto',
      inventory: inventory(),
      available: new Set(['secretlint']),
      required: [],
    });
    expect(selection.run).toEqual(['secretlint']);
    expect(selection.notRun.map((n) => n.name)).toEqual(['bandit', 'shellcheck']);
  });

  test('require-scanners true: every needed scanner that is missing is one error naming the input', () => {
    const error = (() => {
      try {
        selectScanners({
          requested: 'auto',
          inventory: pythonApp(),
          available: new Set(['bandit', 'secretlint', 'npm-audit']),
          required: 'all',
        });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toBe(
      'Input "require-scanners" requires trivy: 3 container, IaC or dependency file(s) need trivy, but `trivy` is not on PATH (install: see https://trivy.dev/latest/getting-started/installation/); ' +
        'Input "require-scanners" requires pip-audit: 2 requirements file(s) need pip-audit, but `pip-audit` is not on PATH (install: pip install pip-audit)',
    );
  });

  test('require-scanners as a list: only the listed ones fail, the others are "not run"', () => {
    const select = (required: ScannerName[]) =>
      selectScanners({
        requested: 'auto',
        inventory: pythonApp(),
        available: new Set(['bandit', 'secretlint']),
        required,
      });
    expect(() => select(['pip-audit'])).toThrow(
      /^Input "require-scanners" requires pip-audit: 2 requirements/,
    );
    expect(select(['shellcheck']).notRun.map((n) => n.name)).toEqual(['trivy', 'npm-audit', 'pip-audit']);
    // Listed but not needed by the content: nothing to require.
    const noPython = selectScanners({
      requested: 'auto',
      inventory: inventory({ pythonFiles: [], shellFiles: [] }),
      available: new Set(['secretlint']),
      required: 'all',
    });
    expect(noPython.run).toEqual(['secretlint']);
    expect(noPython.notRun).toEqual([]);
  });

  test('require-scanners listing gitleaks makes it the secret scanner, required', () => {
    expect(() =>
      selectScanners({
        requested: 'auto',
        inventory: inventory({ pythonFiles: [], shellFiles: [] }),
        available: new Set(['secretlint']),
        required: ['gitleaks'],
      }),
    ).toThrow(/^Input "require-scanners" requires gitleaks: require-scanners lists gitleaks/);
  });

  test('trivy on PATH runs even when no file needs it', () => {
    const selection = selectScanners({
      requested: 'auto',
      inventory: inventory({ pythonFiles: [], shellFiles: [] }),
      available: new Set(['secretlint', 'trivy']),
      required: 'all',
    });
    expect(selection.run).toEqual(['secretlint', 'trivy']);
  });

  test('a requested scanner that is missing is an error', () => {
    expect(() =>
      selectScanners({ requested: ['shellcheck', 'pip-audit'], inventory: inventory(), available: all }),
    ).toThrow(/scanner pip-audit was requested, but `pip-audit` is not on PATH/);
  });
});

test('the inventory lists the container, IaC and dependency files that need trivy, and only those', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-trivy-files-'));
  try {
    const files = [
      'Dockerfile',
      'deploy/api.Dockerfile',
      'Containerfile.dev',
      'infra/main.tf',
      'infra/vars.tf.json',
      'charts/web/Chart.yaml',
      'requirements-dev.txt',
      'web/package-lock.json',
      'go.mod',
      'app.py',
      'README.md',
      'docs/dockerfile-notes.md',
      'infra/main.tfvars',
    ];
    for (const file of files) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    const inventory = await takeInventory(dir);
    expect(inventory.trivyFiles).toEqual([
      'Containerfile.dev',
      'Dockerfile',
      'charts/web/Chart.yaml',
      'deploy/api.Dockerfile',
      'go.mod',
      'infra/main.tf',
      'infra/vars.tf.json',
      'requirements-dev.txt',
      'web/package-lock.json',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the example allowlist in examples/security-scan parses', async () => {
  const text = readFileSync(join(repoRoot, 'examples', 'security-scan', 'allowlist.yml'), 'utf8');
  const entries = await parseAllowlist(text, 'examples/security-scan/allowlist.yml');
  expect(entries.map((e) => e.rule ?? e.fingerprint)).toEqual(['B602', 'B101', '3f1c9a0b7d2e4f65']);
});
