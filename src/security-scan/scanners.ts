import { copyFile, mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ActionError } from '../lib/errors.js';
import { type Exec, type ExecResult, firstLine } from '../lib/exec.js';
import type { Which } from '../lib/which.js';
import { isInside } from '../lib/which.js';
import { asOperand, batchesBySize } from './files.js';
import { DEFAULT_REQUIRED, type Finding, type RequireScanners, type ScannerName } from './findings.js';
import type { Inventory } from './inventory.js';
import { parseBanditJson } from './parsers/bandit.js';
import { parseGitleaksJson } from './parsers/gitleaks.js';
import { parseNpmAuditJson } from './parsers/npm-audit.js';
import { parsePipAuditJson } from './parsers/pip-audit.js';
import { parseShellcheckJson1 } from './parsers/shellcheck.js';
import { parseTrivyJson } from './parsers/trivy.js';
import { runSecretlint } from './secretlint.js';

/** A scanner that crashed, timed out or printed something other than its report. Never a pass. */
export class ScannerFailedError extends ActionError {}

export interface ScannerContext {
  root: string;
  inventory: Inventory;
  image?: string;
  exec: Exec;
  /** A private temporary folder for config and report files. */
  tmpDir: string;
  timeoutMs: number;
  /** The scrubbed environment every external scanner gets (see scrubbedEnv). */
  env: NodeJS.ProcessEnv;
  /** Aborted on cancel or when the scan's time budget runs out: running scanners are killed. */
  signal?: AbortSignal;
}

export interface ScannerOutcome {
  findings: Finding[];
  version?: string;
  /** Time spent inside the scanner's own processes. */
  scannerMs: number;
  /** Non-fatal remarks for the log, e.g. files bandit could not parse. */
  notes: string[];
}

interface ScannerSpec {
  name: ScannerName;
  toolName: string;
  /** The executable looked up on PATH; none for scanners that run inside this process. */
  command?: string;
  install: string;
  run(binary: string | undefined, ctx: ScannerContext): Promise<ScannerOutcome>;
}

/** Exit codes other than `ok`, signals and timeouts are crashes; the message is one line. */
function checkExit(name: string, result: ExecResult, ok: readonly number[], timeoutMs: number): void {
  if (result.cancelled) throw new ScannerFailedError(`${name} was stopped`);
  if (result.timedOut)
    throw new ScannerFailedError(`${name} timed out after ${Math.round(timeoutMs / 1000)}s and was stopped`);
  if (result.exitCode === null)
    throw new ScannerFailedError(`${name} was killed by signal ${result.signal ?? 'unknown'}`);
  if (!ok.includes(result.exitCode)) {
    const why = firstLine(result.stderr) || firstLine(result.stdout) || 'no output';
    throw new ScannerFailedError(`${name} failed with exit code ${result.exitCode}: ${why.slice(0, 200)}`);
  }
}

function run(ctx: ScannerContext, binary: string, args: string[], cwd = ctx.root): Promise<ExecResult> {
  return ctx.exec(binary, args, { cwd, env: ctx.env, timeoutMs: ctx.timeoutMs, signal: ctx.signal });
}

async function versionOf(ctx: ScannerContext, binary: string, args: string[]): Promise<string | undefined> {
  const result = await ctx.exec(binary, args, {
    cwd: ctx.tmpDir,
    env: ctx.env,
    timeoutMs: 30_000,
    signal: ctx.signal,
  });
  if (result.exitCode !== 0) return undefined;
  return /\d+\.\d+(?:\.\d+)?/.exec(result.stdout + result.stderr)?.[0];
}

/**
 * bandit before 1.7 never visits string constants on Python 3.8+ (it dispatches on `ast.Str`, which the
 * parser no longer produces), so SQL-injection (B608), hard-coded password and temp-dir checks stay
 * silent. Debian 12 still ships 1.6.2. This launcher adds the missing visitor (a no-op on 1.7+, which has
 * it), reports bandit's version on stderr (saving a second Python start for `--version`), then runs
 * bandit's own CLI unchanged.
 */
const BANDIT_LAUNCHER = [
  'import sys',
  'import bandit',
  'from bandit.core import node_visitor as nv',
  'def visit_Constant(self, node):',
  '    if isinstance(node.value, str): return self.visit_Str(node)',
  '    if isinstance(node.value, bytes): return self.visit_Bytes(node)',
  'if not hasattr(nv.BanditNodeVisitor, "visit_Constant"): nv.BanditNodeVisitor.visit_Constant = visit_Constant',
  'sys.stderr.write("slotline-bandit-version: %s\\n" % getattr(bandit, "__version__", "unknown"))',
  'from bandit.cli.main import main',
  'sys.argv[0] = "bandit"',
  'sys.exit(main())',
].join('\n');
const BANDIT_VERSION_LINE = /^slotline-bandit-version: (\S+)\n?/m;

/** The Python that bandit's script names, when it names one directly (not through /usr/bin/env). */
async function banditPython(binary: string): Promise<string | undefined> {
  const head = (await readFile(binary, 'utf8').catch(() => '')).split('\n')[0] ?? '';
  const interpreter = /^#!\s*(\S+)/.exec(head)?.[1];
  return interpreter && /\/python[\d.]*$/.test(interpreter) ? interpreter : undefined;
}

/** A regular expression matching a path git ignores (a folder when it ends in /), relative to the root. */
function ignoredPathRegex(path: string): string {
  const escaped = path.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return path.endsWith('/') ? `^${escaped}/` : `^${escaped}$`;
}

export const SCANNERS: Record<ScannerName, ScannerSpec> = {
  bandit: {
    name: 'bandit',
    toolName: 'Bandit',
    command: 'bandit',
    install: 'apt-get install bandit, or pip install bandit',
    async run(binary, ctx) {
      const python = await banditPython(binary!);
      // -I: isolated mode. With `-c`, Python would put the working directory (the scanned tree) first
      // on the import path, so a pull request's own `bandit/` package would be imported and run.
      const [file, prefix] = python ? [python, ['-I', '-W', 'ignore', '-c', BANDIT_LAUNCHER]] : [binary!, []];
      const version = python ? undefined : versionOf(ctx, binary!, ['--version']);
      const outcome: ScannerOutcome = { findings: [], scannerMs: 0, notes: [] };
      for (const files of batchesBySize(ctx.inventory.pythonFiles.map(asOperand))) {
        // --ignore-nosec: a `# nosec` comment is written by whoever wrote the code, a pull request's author
        // included; suppressing a finding is the allowlist's job (read at the base commit on pull requests).
        const result = await run(ctx, file, [
          ...prefix,
          '-f',
          'json',
          '-q',
          '--ignore-nosec',
          '--',
          ...files,
        ]);
        const reported = BANDIT_VERSION_LINE.exec(result.stderr);
        if (reported) {
          outcome.version = reported[1];
          result.stderr = result.stderr.replace(BANDIT_VERSION_LINE, '');
        }
        outcome.scannerMs += result.durationMs;
        checkExit('bandit', result, [0, 1], ctx.timeoutMs);
        outcome.findings.push(...parseBanditJson(result.stdout, ctx.root));
        const errors =
          (JSON.parse(result.stdout) as { errors?: { filename: string; reason: string }[] }).errors ?? [];
        for (const e of errors) outcome.notes.push(`bandit could not scan ${e.filename}: ${e.reason}`);
      }
      if (version) outcome.version = await version;
      return outcome;
    },
  },
  shellcheck: {
    name: 'shellcheck',
    toolName: 'ShellCheck',
    command: 'shellcheck',
    install: 'apt-get install shellcheck',
    async run(binary, ctx) {
      // The version probe runs alongside the scan: it is for the report, not for the scan.
      const version = versionOf(ctx, binary!, ['--version']);
      const outcome: ScannerOutcome = { findings: [], scannerMs: 0, notes: [] };
      for (const files of batchesBySize(ctx.inventory.shellFiles.map(asOperand))) {
        // --norc: a .shellcheckrc in the tree could disable every check.
        const result = await run(ctx, binary!, ['--norc', '-f', 'json1', '-S', 'style', '--', ...files]);
        outcome.scannerMs += result.durationMs;
        checkExit('shellcheck', result, [0, 1], ctx.timeoutMs);
        outcome.findings.push(...parseShellcheckJson1(result.stdout, ctx.root));
      }
      outcome.version = await version;
      return outcome;
    },
  },
  secretlint: {
    name: 'secretlint',
    toolName: 'secretlint',
    install: 'nothing to install: it runs inside the action',
    async run(_binary, ctx) {
      const started = performance.now();
      const { findings, version, notes } = await runSecretlint(ctx.root, ctx.inventory.files, ctx.signal);
      return { findings, version, scannerMs: performance.now() - started, notes };
    },
  },
  gitleaks: {
    name: 'gitleaks',
    toolName: 'gitleaks',
    command: 'gitleaks',
    install: 'see https://github.com/gitleaks/gitleaks#installing',
    async run(binary, ctx) {
      const version = versionOf(ctx, binary!, ['version']);
      const report = join(ctx.tmpDir, 'gitleaks.json');
      // Our config (the default rules, plus git's ignored paths) and an empty ignore file: never the
      // tree's .gitleaks.toml or .gitleaksignore.
      const config = join(ctx.tmpDir, 'gitleaks.toml');
      const paths = ctx.inventory.ignored.map((p) => JSON.stringify(ignoredPathRegex(p)));
      await writeFile(
        config,
        `[extend]\nuseDefault = true\n${paths.length ? `\n[allowlist]\npaths = [\n${paths.join(',\n')}\n]\n` : ''}`,
      );
      // gitleaks always also reads <source>/.gitleaksignore, whatever --gitleaks-ignore-path says: a pull
      // request could silence its own leak with one. Refuse to run rather than let it.
      if (ctx.inventory.files.includes('.gitleaksignore'))
        throw new ScannerFailedError(
          "gitleaks would obey the scanned tree's own .gitleaksignore (it always reads it): remove the file and use the allowlist input, or scan secrets with secretlint",
        );
      const ignoreFile = join(ctx.tmpDir, 'gitleaksignore');
      await writeFile(ignoreFile, '');
      const result = await run(ctx, binary!, [
        'detect',
        '--no-git',
        '--source=.',
        `--config=${config}`,
        `--gitleaks-ignore-path=${ignoreFile}`,
        '--report-format=json',
        `--report-path=${report}`,
        '--redact',
        '--no-banner',
        '--exit-code=0',
        '--log-level=error',
      ]);
      checkExit('gitleaks', result, [0], ctx.timeoutMs);
      const text = await readFile(report, 'utf8').catch(() => {
        throw new ScannerFailedError('gitleaks exited 0 but wrote no report');
      });
      return {
        findings: parseGitleaksJson(text, ctx.root),
        version: await version,
        scannerMs: result.durationMs,
        notes: [],
      };
    },
  },
  trivy: {
    name: 'trivy',
    toolName: 'Trivy',
    command: 'trivy',
    install: 'see https://trivy.dev/latest/getting-started/installation/',
    async run(binary, ctx) {
      const version = versionOf(ctx, binary!, ['--version']);
      const result = await run(ctx, binary!, [
        'fs',
        ...(await trivyOwnConfig(ctx)),
        '--format=json',
        '--quiet',
        '--exit-code=0',
        '--scanners=vuln,secret,misconfig',
        '--',
        '.',
      ]);
      checkExit('trivy', result, [0], ctx.timeoutMs);
      return {
        findings: parseTrivyJson(result.stdout, { root: ctx.root, tool: 'trivy' }),
        version: await version,
        scannerMs: result.durationMs,
        notes: [],
      };
    },
  },
  'trivy-image': {
    name: 'trivy-image',
    toolName: 'Trivy',
    command: 'trivy',
    install: 'see https://trivy.dev/latest/getting-started/installation/',
    async run(binary, ctx) {
      const version = versionOf(ctx, binary!, ['--version']);
      const result = await run(
        ctx,
        binary!,
        [
          'image',
          ...(await trivyOwnConfig(ctx)),
          '--format=json',
          '--quiet',
          '--exit-code=0',
          '--',
          ctx.image ?? '',
        ],
        ctx.tmpDir,
      );
      checkExit('trivy image', result, [0], ctx.timeoutMs);
      return {
        findings: parseTrivyJson(result.stdout, { root: ctx.root, tool: 'trivy-image' }),
        version: await version,
        scannerMs: result.durationMs,
        notes: [],
      };
    },
  },
  'npm-audit': {
    name: 'npm-audit',
    toolName: 'npm audit',
    command: 'npm',
    install: 'install Node.js (npm comes with it)',
    async run(binary, ctx) {
      const version = versionOf(ctx, binary!, ['--version']);
      const lockfile = ctx.inventory.npmLockfile ?? 'package-lock.json';
      // In a folder of our own holding only the manifest and lockfile, with empty user and global
      // npmrc: a .npmrc in the tree could point npm at another registry or run with other settings.
      const workDir = join(ctx.tmpDir, 'npm-audit');
      await mkdir(workDir, { recursive: true });
      await copyFile(join(ctx.root, lockfile), join(workDir, basename(lockfile)));
      // Only a package.json the inventory lists (it skips symlinks, which could lead anywhere).
      if (ctx.inventory.files.includes('package.json'))
        await copyFile(join(ctx.root, 'package.json'), join(workDir, 'package.json')).catch(() => {});
      // Two files: npm refuses to load one file as both.
      const userRc = join(ctx.tmpDir, 'npmrc-user');
      const globalRc = join(ctx.tmpDir, 'npmrc-global');
      await writeFile(userRc, '');
      await writeFile(globalRc, '');
      const result = await run(
        ctx,
        binary!,
        ['audit', '--json', '--package-lock-only', `--userconfig=${userRc}`, `--globalconfig=${globalRc}`],
        workDir,
      );
      // npm audit exits 1 both for "vulnerabilities found" and for "could not reach the registry"; the
      // JSON tells them apart (an "error" object), and the parser turns the latter into a failure.
      checkExit('npm audit', result, [0, 1], ctx.timeoutMs);
      if (result.stdout.trim() === '')
        throw new ScannerFailedError(
          `npm audit printed no report: ${firstLine(result.stderr) || 'no output'}`,
        );
      return {
        findings: parseNpmAuditJson(result.stdout, {
          lockfilePath: lockfile,
          lockfileText: await readFile(join(ctx.root, lockfile), 'utf8').catch(() => undefined),
        }),
        version: await version,
        scannerMs: result.durationMs,
        notes: [],
      };
    },
  },
  'pip-audit': {
    name: 'pip-audit',
    toolName: 'pip-audit',
    command: 'pip-audit',
    install: 'pip install pip-audit',
    async run(binary, ctx) {
      const outcome: ScannerOutcome = {
        findings: [],
        version: await versionOf(ctx, binary!, ['--version']),
        scannerMs: 0,
        notes: [],
      };
      for (const requirements of ctx.inventory.requirementsFiles) {
        // --disable-pip --no-deps: no pip resolution, so a `-e .` line can't run the tree's setup.py.
        const result = await run(ctx, binary!, [
          '--disable-pip',
          '--no-deps',
          '-r',
          asOperand(requirements),
          '-f',
          'json',
          '--progress-spinner',
          'off',
        ]);
        outcome.scannerMs += result.durationMs;
        checkExit('pip-audit', result, [0, 1], ctx.timeoutMs);
        outcome.findings.push(...parsePipAuditJson(result.stdout, { requirementsPath: requirements }));
      }
      return outcome;
    },
  },
};

/**
 * trivy's configuration is ours: an empty trivy.yaml, ignore file and secret config instead of the
 * tree's trivy.yaml, .trivyignore and trivy-secret.yaml, plus git's ignored paths as skip rules.
 */
async function trivyOwnConfig(ctx: ScannerContext): Promise<string[]> {
  const dir = join(ctx.tmpDir, 'trivy');
  await mkdir(dir, { recursive: true });
  const dirs = ctx.inventory.ignored.filter((p) => p.endsWith('/')).map((p) => p.replace(/\/$/, ''));
  const files = ctx.inventory.ignored.filter((p) => !p.endsWith('/'));
  const config = join(dir, 'trivy.yaml');
  await writeFile(
    config,
    `${JSON.stringify({ scan: { 'skip-dirs': dirs, 'skip-files': files } }, null, 2)}\n`,
  );
  const ignore = join(dir, 'trivyignore');
  await writeFile(ignore, '');
  const secretConfig = join(dir, 'trivy-secret.yaml');
  await writeFile(secretConfig, '{}\n');
  return [`--config=${config}`, `--ignorefile=${ignore}`, `--secret-config=${secretConfig}`];
}

/**
 * Find each scanner's executable on PATH (never inside the scanned tree: `which` skips it, and this
 * checks again). In-process scanners are always there.
 */
export async function locateScanners(
  which: Which,
  root: string,
  names: readonly ScannerName[],
): Promise<Map<ScannerName, string>> {
  const found = new Map<ScannerName, string>();
  const realRoot = await realpath(root).catch(() => root);
  for (const name of names) {
    const spec = SCANNERS[name];
    if (spec.command === undefined) {
      found.set(name, 'in-process');
      continue;
    }
    const binary = await which(spec.command);
    if (binary === undefined) continue;
    const real = await realpath(binary).catch(() => binary);
    if ([binary, real].some((p) => isInside(p, root) || isInside(p, realRoot))) continue;
    found.set(name, binary);
  }
  return found;
}

export interface Selection {
  run: ScannerName[];
  skipped: { name: ScannerName; reason: string }[];
  /**
   * Scanners the content needs that are not installed and not required: each gets a warning and a
   * "not run" row in the summary, never a silent skip.
   */
  notRun: { name: ScannerName; reason: string; install: string }[];
}

function missing(name: ScannerName, why: string): string {
  const spec = SCANNERS[name];
  return `${why}, but \`${spec.command ?? name}\` is not on PATH (install: ${spec.install})`;
}

/** The one-line reason a needed scanner did not run, for the warning and the summary. */
export function notRunReason(name: ScannerName, why: string): string {
  return `${why}, but \`${SCANNERS[name].command ?? name}\` is not on PATH`;
}

/**
 * Which scanners run. `auto` picks by content: bandit for Python, shellcheck for shell scripts, a secret
 * scanner always (gitleaks when present, else secretlint), trivy for container, IaC and dependency files
 * (and whenever it is on PATH), npm audit for a root package-lock.json, pip-audit for requirements files.
 * A scanner the content needs that is not installed is an error when `required` covers it, else a
 * "not run" entry (which main turns into a warning): never a silent skip. A scanner the user names in
 * `requested`, or that the image input needs, is always required. Pure: everything it needs is passed in.
 */
export function selectScanners(opts: {
  requested: 'auto' | readonly ScannerName[];
  inventory: Inventory;
  available: ReadonlySet<ScannerName>;
  image?: string;
  /** Default DEFAULT_REQUIRED. */
  required?: RequireScanners;
}): Selection {
  const { inventory, available } = opts;
  const required = opts.required ?? DEFAULT_REQUIRED;
  const isRequired = (name: ScannerName): boolean => required === 'all' || required.includes(name);
  const errors: string[] = [];
  const run: ScannerName[] = [];
  const skipped: Selection['skipped'] = [];
  const notRun: Selection['notRun'] = [];
  if (opts.requested !== 'auto') {
    for (const name of opts.requested) {
      if (!available.has(name)) errors.push(missing(name, `scanner ${name} was requested`));
      else run.push(name);
    }
    for (const name of Object.keys(SCANNERS) as ScannerName[])
      if (!opts.requested.includes(name)) skipped.push({ name, reason: 'not in the scanners input' });
  } else {
    /** `why`: why the content needs it (undefined: it does not, skipped for `skipReason`). */
    const needed = (name: ScannerName, why: string | undefined, skipReason: string): void => {
      if (why === undefined) skipped.push({ name, reason: skipReason });
      else if (available.has(name)) run.push(name);
      else if (isRequired(name))
        errors.push(`Input "require-scanners" requires ${name}: ${missing(name, why)}`);
      else notRun.push({ name, reason: notRunReason(name, why), install: SCANNERS[name].install });
    };
    const count = (files: readonly string[], what: string): string | undefined =>
      files.length > 0 ? `${files.length} ${what}` : undefined;
    needed('bandit', count(inventory.pythonFiles, 'Python file(s) need bandit'), 'no Python files');
    needed('shellcheck', count(inventory.shellFiles, 'shell script(s) need shellcheck'), 'no shell scripts');
    if (available.has('gitleaks')) {
      run.push('gitleaks');
      skipped.push({ name: 'secretlint', reason: 'gitleaks is on PATH and scans for secrets' });
    } else if (required !== 'all' && required.includes('gitleaks')) {
      // Listed by name: the user wants gitleaks, not the bundled secretlint, to scan for secrets.
      needed('gitleaks', 'require-scanners lists gitleaks for the secret scan', '');
      skipped.push({ name: 'secretlint', reason: 'require-scanners lists gitleaks for the secret scan' });
    } else {
      skipped.push({ name: 'gitleaks', reason: 'gitleaks is not on PATH; secretlint scans for secrets' });
      needed('secretlint', 'every repository needs a secret scan', '');
    }
    const trivyWhy = count(inventory.trivyFiles, 'container, IaC or dependency file(s) need trivy');
    if (available.has('trivy')) run.push('trivy');
    else needed('trivy', trivyWhy, 'no container, IaC or dependency files, and `trivy` is not on PATH');
    // The image input names what to scan: like a requested scanner, it is always required.
    if (!opts.image) skipped.push({ name: 'trivy-image', reason: 'no image input' });
    else if (!available.has('trivy-image'))
      errors.push(missing('trivy-image', `the image input (${opts.image}) needs trivy`));
    else run.push('trivy-image');
    needed(
      'npm-audit',
      inventory.npmLockfile ? `${inventory.npmLockfile} needs npm audit` : undefined,
      'no package-lock.json at the root',
    );
    needed(
      'pip-audit',
      count(inventory.requirementsFiles, 'requirements file(s) need pip-audit'),
      'no requirements*.txt files',
    );
  }
  if (errors.length > 0) throw new ScannerFailedError(errors.join('; '));
  return { run, skipped, notRun };
}
