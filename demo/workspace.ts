// The repository the demo's pipeline runs on: a git repository holding the reference app
// (examples/flask-app) and the push-to-main starter workflow (workflows/pipeline.yml) as a user copies
// it, with the few `with:` values that point it at this machine instead of Azure (DEMO_OVERRIDES, each
// with its reason, written into the file's header). Each release is a commit on main.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMap, parseDocument } from 'yaml';

const repoRoot = join(import.meta.dirname, '..');
export const STARTER = join(repoRoot, 'workflows', 'pipeline.yml');
export const CALLER = join('.github', 'workflows', 'pipeline.yml');
export const APP_PATH = join('examples', 'flask-app');

/** A `with:` key of the starter's job, the demo's value and why the demo changes it. */
export type Override = [key: string, value: string | boolean, why: string];

/** The starter's `with:` values the demo changes, and why. */
export function demoOverrides(opts: {
  armEndpoint: string;
  authorityHost: string;
  version: string;
  firstRelease: boolean;
}): Override[] {
  return [
    ['arm-endpoint', opts.armEndpoint, 'the sandbox instead of management.azure.com'],
    ['authority-host', opts.authorityHost, 'the sandbox instead of login.microsoftonline.com'],
    ['registry-login', 'acr-oidc', 'the sandbox login server is not *.azurecr.io, where auto picks acr-oidc'],
    [
      'build-args',
      'BASE_IMAGE=localhost/slotline/python-base:bookworm',
      'Docker Hub is out of reach: the base image is built from Debian packages (npm run base-image)',
    ],
    [
      'build-layers',
      false,
      "this machine's container storage is vfs, where each cached layer is a full copy (84 s a build with layers, 10 s without)",
    ],
    ['setup-command', '', "PyPI is out of reach: Debian's python3 packages provide the dependencies"],
    [
      'test-command',
      'TEST_DATABASE_URL="$DATABASE_URL" TEST_REDIS_URL="$REDIS_URL" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests',
      "Debian's python3 (the dependencies are its packages)",
    ],
    ['version', opts.version, 'a readable release name instead of main-<short sha>'],
    [
      'ramp-steps',
      opts.firstRelease ? '' : '50',
      opts.firstRelease ? 'the first release has no production to compare with' : 'one canary step, for time',
    ],
    [
      'gate-initial-delay',
      '10s',
      'the sandbox reports metrics per second (grain PT1S), so a gate needs seconds, not minutes',
    ],
    ['gate-interval', '1s', 'as above'],
    ['gate-count', '3', 'as above'],
    ['gate-ingestion-delay', '1s', 'as above'],
    ['gate-grain', 'PT1S', 'as above'],
    [
      'gate-window',
      '10s',
      'ten one-second grains per measurement: enough per-instance samples for the comparison with production to be decisive',
    ],
    [
      'autoscale-policy',
      'require: [cpu, requests]',
      "the demo plan's autoscale setting has no business-hours profile",
    ],
  ];
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'slotline demo',
      GIT_AUTHOR_EMAIL: 'demo@localhost',
      GIT_COMMITTER_NAME: 'slotline demo',
      GIT_COMMITTER_EMAIL: 'demo@localhost',
    },
  });
}

/**
 * A starter workflow with `overrides` set on the `with:` of each named job, each key and its reason listed
 * once in a header under `title`; the starter's comments are kept.
 */
export function starterWith(starter: string, jobs: Record<string, Override[]>, title: string): string {
  const doc = parseDocument(readFileSync(starter, 'utf8'));
  const reasons = new Map<string, string>();
  for (const [job, overrides] of Object.entries(jobs)) {
    const withMap = doc.getIn(['jobs', job, 'with'], true);
    if (!isMap(withMap)) throw new Error(`${starter}: jobs.${job}.with is not a mapping`);
    for (const [key, value, why] of overrides) {
      withMap.set(key, value);
      reasons.set(key, why);
    }
  }
  const header = [
    `# ${title}, with these with: values changed for this machine:`,
    ...[...reasons].map(([key, why]) => `#   ${key}: ${why}`),
  ].join('\n');
  return `${header}\n${doc.toString({ lineWidth: 0 })}`;
}

/** The starter with `overrides` set on its one job's `with:`; its comments are kept. */
export function callerWorkflow(overrides: Override[]): string {
  return starterWith(STARTER, { pipeline: overrides }, 'npm run demo: workflows/pipeline.yml');
}

/** An empty git repository on main; returns its path. */
export function initRepository(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  return dir;
}

/** A git repository on main with the app; returns its path. */
export function createWorkspace(dir: string): string {
  initRepository(dir);
  cpSync(join(repoRoot, APP_PATH), join(dir, APP_PATH), {
    recursive: true,
    filter: (src) => !/(^|\/)(\.env|__pycache__|\.pytest_cache|node_modules)$/.test(src),
  });
  return dir;
}

/** Writes the caller workflow (at `caller`, default the pipeline's) and commits everything as one release. */
export function commitRelease(dir: string, workflow: string, message: string, caller = CALLER): string {
  mkdirSync(dirname(join(dir, caller)), { recursive: true });
  writeFileSync(join(dir, caller), workflow);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', '--short', 'HEAD').trim();
}

/** A change to the app's source: one exact text replaced (the demo stops if the text is not there). */
export function changeApp(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, APP_PATH, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from))
    throw new Error(
      `${join(APP_PATH, file)} no longer contains ${JSON.stringify(from)}: update demo/workspace.ts`,
    );
  writeFileSync(path, text.replace(from, to));
}

/** v2: a visible change to the page. */
export function goodChange(dir: string): string {
  changeApp(
    dir,
    join('portal', 'templates', 'index.html'),
    '<p>Policies, audit reports and registers, with their owners and review dates.</p>',
    '<p>Policies, audit reports and registers, with their owners and review dates. New: filter by status.</p>',
  );
  return 'v2: say on the page that documents can be filtered by status';
}

/**
 * The bad release: the document list becomes slow (0.4 s per request, as an unindexed query would make
 * it). The unit tests and the smoke test of / still pass; the canary's response time does not.
 */
export function badChange(dir: string): string {
  changeApp(
    dir,
    join('portal', 'app.py'),
    '    def list_documents():\n',
    "    def list_documents():\n        time.sleep(0.4)  # the demo's bad release: a slow query\n",
  );
  return 'v2: a document list that takes 0.4 s (a bad release)';
}
