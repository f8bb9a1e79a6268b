// node scripts/bench/security-scan.mjs [--path DIR] [--runs N]   (default: examples/flask-app if present, 5 runs)
// Scan time of an app with the committed security-scan bundle (as the runner starts it), and the action's
// overhead beyond the scanners' own run time, for the reference Flask app (examples/flask-app, or --path)
// when present and for the planted fixture app. Prints one line per measurement.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../actions.mjs';

const { values } = parseArgs({
  options: { path: { type: 'string' }, runs: { type: 'string', default: '5' } },
});
const runs = Number(values.runs);
const PATH = [join(repoRoot, 'node_modules', '.bin'), process.env.PATH].join(delimiter);

function plantFixtureApp() {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-bench-security-'));
  cpSync(join(repoRoot, '__tests__', 'fixtures', 'security-app'), dir, { recursive: true });
  const pick = (alphabet, n) => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
  mkdirSync(join(dir, 'config'));
  writeFileSync(
    join(dir, 'config', 'settings.ini'),
    `aws_access_key_id = AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}\naws_secret_access_key = ${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 40)}\n`,
  );
  return dir;
}

function filesWith(dir, exts, base = dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['.git', 'node_modules', '.venv', 'venv', '__pycache__'].includes(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) filesWith(full, exts, base, out);
    else if (exts.some((e) => entry.name.endsWith(e))) out.push(relative(base, full));
  }
  return out;
}

// The action runs Debian's bandit 1.6 through a launcher that adds the string-constant visitor it lacks on
// Python 3.8+ (BANDIT_CONSTANT_SHIM in src/security-scan/scanners.ts); the baseline must do the same work.
const BANDIT_SHIM = [
  'import sys',
  'from bandit.core import node_visitor as nv',
  'def visit_Constant(self, node):',
  '    if isinstance(node.value, str): return self.visit_Str(node)',
  '    if isinstance(node.value, bytes): return self.visit_Bytes(node)',
  'if not hasattr(nv.BanditNodeVisitor, "visit_Constant"): nv.BanditNodeVisitor.visit_Constant = visit_Constant',
  'from bandit.cli.main import main',
  'sys.argv[0] = "bandit"',
  'sys.exit(main())',
].join('\n');
function banditCommand() {
  const v = spawnSync('bandit', ['--version'], { encoding: 'utf8' });
  const m = /bandit (\d+)\.(\d+)/.exec(`${v.stdout}${v.stderr}`);
  const old = m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 7));
  return old ? ['/usr/bin/python3', ['-W', 'ignore', '-c', BANDIT_SHIM]] : ['bandit', []];
}
const [banditFile, banditPrefix] = banditCommand();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${Math.round(ms)} ms`;

function timed(cmd, args, opts) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { ms: performance.now() - t0, ...r };
}

function bench(app, label) {
  const py = filesWith(app, ['.py']);
  const sh = filesWith(app, ['.sh', '.bash']);
  const rc = join(mkdtempSync(join(tmpdir(), 'slotline-bench-rc-')), 'secretlintrc.json');
  writeFileSync(rc, JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] }));
  const sarif = join(tmpdir(), `slotline-bench-${process.pid}.sarif`);

  const bundle = [];
  const inner = [];
  const direct = [];
  for (let i = 0; i < runs + 1; i++) {
    const env = {
      ...process.env,
      PATH,
      GITHUB_WORKSPACE: app,
      // sarif-file must lie inside the workspace or RUNNER_TEMP, as on a runner.
      RUNNER_TEMP: tmpdir(),
      INPUT_PATH: app,
      INPUT_SCANNERS: 'bandit,shellcheck,secretlint',
      'INPUT_SARIF-FILE': sarif,
      'INPUT_FAIL-ON': 'none',
      GITHUB_OUTPUT: join(tmpdir(), `slotline-bench-out-${process.pid}`),
    };
    writeFileSync(env.GITHUB_OUTPUT, '');
    const run = timed(process.execPath, [join(repoRoot, 'dist', 'security-scan', 'index.js')], { env });
    if (run.status !== 0) {
      console.error(run.stdout, run.stderr);
      throw new Error(`security-scan bundle exited ${run.status}`);
    }
    const t =
      /Timing: total (\d+) ms, scanners (\d+) ms wall \((\d+) ms in their processes\), slotline (\d+) ms/.exec(
        run.stdout,
      );
    // The same three scanners, run directly one after the other with the commands the action uses.
    const d =
      (py.length
        ? timed(banditFile, [...banditPrefix, '-f', 'json', '-q', ...py], {
            cwd: app,
            env: { ...process.env, PATH },
          }).ms
        : 0) +
      (sh.length
        ? timed('shellcheck', ['-f', 'json1', '-S', 'style', '--', ...sh], {
            cwd: app,
            env: { ...process.env, PATH },
          }).ms
        : 0) +
      timed(
        'secretlint',
        [
          '--format',
          'json',
          '--secretlintrc',
          rc,
          '--output',
          join(tmpdir(), `sl-${process.pid}.json`),
          '**/*',
        ],
        {
          cwd: app,
          env: { ...process.env, PATH },
        },
      ).ms;
    if (i === 0) continue; // warm-up: page cache, Python bytecode
    bundle.push(run.ms);
    inner.push({
      total: Number(t[1]),
      scanWall: Number(t[2]),
      scannerProc: Number(t[3]),
      slotline: Number(t[4]),
    });
    direct.push(d);
  }
  rmSync(sarif, { force: true });

  const m = (key) => median(inner.map((x) => x[key]));
  console.log(
    `security-scan bench: ${label} (${py.length} Python, ${sh.length} shell files), ${runs} runs, medians`,
  );
  console.log(`  bundle wall time (node start to exit):            ${fmt(median(bundle))}`);
  console.log(`  scan inside the action:                           ${fmt(m('total'))}`);
  console.log(`  scanners phase (wall, 2 at a time):                ${fmt(m('scanWall'))}`);
  console.log(`  scanners' own processes (sum):                     ${fmt(m('scannerProc'))}`);
  console.log(`  same scanners run directly, one after another:     ${fmt(median(direct))}`);
  console.log(`  action overhead beyond scanners (bundle - phase):  ${fmt(median(bundle) - m('scanWall'))}`);
  console.log(`  bundle minus the direct sequential run:            ${fmt(median(bundle) - median(direct))}`);
  console.log(
    `    of which in-process (inventory, versions, parse, fingerprint, SARIF): ${fmt(m('slotline'))}`,
  );
}

// The reference Flask app when it is in the repository (or --path), and always the planted fixture app.
const reference = values.path ?? join(repoRoot, 'examples', 'flask-app');
if (existsSync(reference)) bench(reference, relative(repoRoot, reference) || reference);
const fixture = plantFixtureApp();
try {
  bench(fixture, 'planted fixture app (__tests__/fixtures/security-app)');
} finally {
  rmSync(fixture, { recursive: true, force: true });
}
