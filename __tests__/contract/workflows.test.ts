import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/runner.js';

/**
 * Rules for every workflow slotline ships (the starters in workflows/) and runs (.github/workflows/).
 * Each rule is a function from a workflow file to its problems; each is also fed a bad example that it
 * must reject, so a rule that stops checking fails here too.
 */

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  /** A reusable workflow the job calls: its own jobs carry the timeouts. */
  uses?: string;
  with?: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  'timeout-minutes'?: unknown;
  steps?: Step[];
}
interface Workflow {
  on?: unknown;
  permissions?: Record<string, string> | string;
  jobs?: Record<string, Job>;
}
interface WorkflowFile {
  path: string;
  text: string;
  doc: Workflow;
}
type Rule = (file: WorkflowFile) => string[];

function load(path: string, text: string): WorkflowFile {
  return { path, text, doc: parse(text) as Workflow };
}

const jobsOf = (file: WorkflowFile): [string, Job][] => Object.entries(file.doc.jobs ?? {});
const stepsOf = (job: Job): Step[] => job.steps ?? [];

/**
 * slotline's own actions and reusable workflows: exempt from SHA pinning until a release exists, but the
 * line must say to pin.
 */
const OWN_ACTION = /^slotline\/slotline\/(?:actions\/[a-z-]+|\.github\/workflows\/[a-z-]+\.ya?ml)@v\d+$/;
const PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;

/** 1. Third-party actions by full commit SHA, with the version in a comment on the same line. */
const pinnedBySha: Rule = (file) =>
  file.text.split('\n').flatMap((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(#.*)?$/.exec(line);
    if (!match) return [];
    const [, ref, comment] = match;
    const where = `${file.path}:${index + 1}`;
    if (ref!.startsWith('./') || ref!.startsWith('docker://')) return [];
    if (OWN_ACTION.test(ref!)) {
      return /pin/i.test(comment ?? '') ? [] : [`${where}: ${ref} needs a comment telling users to pin it`];
    }
    if (!PINNED.test(ref!)) return [`${where}: ${ref} is not pinned to a full commit SHA`];
    if (!/^#\s*v\d+\.\d+\.\d+/.test(comment ?? '')) return [`${where}: ${ref} has no "# vX.Y.Z" comment`];
    return [];
  });

function triggers(doc: Workflow): string[] {
  const on = doc.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return Object.keys(on ?? {});
}

const runsOnPullRequests = (doc: Workflow) =>
  triggers(doc).some((t) => t === 'pull_request' || t === 'pull_request_target');

/** A job whose `if` keeps it off pull-request events. */
// An `||` could let a pull request through the other side (`event_name == 'push' || <PR check>`).
const skipsPullRequests = (job: Job) =>
  !(job.if ?? '').includes('||') &&
  /github\.event_name\s*==\s*'(push|release|schedule|workflow_dispatch)'|github\.event_name\s*!=\s*'pull_request'/.test(
    job.if ?? '',
  );

/**
 * A call of slotline's infra workflow whose operation is what-if on pull requests: it signs in only to send
 * the template to ARM's validate and what-if, which run nothing and change nothing, as Azure/bicep-deploy's
 * pull-request what-if does. Nothing from the pull request runs in the job (deploy-infra comes from v1).
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
const PR_WHAT_IF = "${{ github.event_name == 'push' && 'deploy' || 'what-if' }}";
const whatIfOnPullRequests = (job: Job) =>
  /^slotline\/slotline\/\.github\/workflows\/infra\.yml@/.test(job.uses ?? '') &&
  ['what-if', PR_WHAT_IF].includes(String(job.with?.['operation']));

const writesIdToken = (permissions: Job['permissions']) =>
  permissions === 'write-all' || (typeof permissions === 'object' && permissions['id-token'] === 'write');

/** 2. No `id-token: write` where a pull request's code runs, and no push or sign-in from such a build. */
const noIdTokenOnPullRequests: Rule = (file) => {
  if (!runsOnPullRequests(file.doc)) return [];
  const problems: string[] = [];
  if (writesIdToken(file.doc.permissions))
    problems.push(`${file.path}: workflow-level id-token: write on a workflow that runs on pull requests`);
  for (const [name, job] of jobsOf(file)) {
    if (skipsPullRequests(job)) continue;
    if (writesIdToken(job.permissions) && !whatIfOnPullRequests(job))
      problems.push(`${file.path}: job ${name} runs on pull requests with id-token: write`);
    for (const step of stepsOf(job)) {
      if (!step.uses?.includes('/actions/build-image')) continue;
      const w = step.with ?? {};
      if (String(w['push']) !== 'false') problems.push(`${file.path}: job ${name} pushes on pull requests`);
      if (w['client-id'] !== undefined || w['password'] !== undefined || w['registry-login'] !== undefined)
        problems.push(`${file.path}: job ${name} signs in to a registry on pull requests`);
    }
  }
  return problems;
};

/** 3. A secret inside a YAML-valued input goes through toJSON(): a quote or a tab in it cannot break the YAML. */
const secretsInYamlThroughToJson: Rule = (file) =>
  jobsOf(file).flatMap(([name, job]) =>
    stepsOf(job).flatMap((step) =>
      Object.entries(step.with ?? {}).flatMap(([input, value]) => {
        const text = String(value);
        const yamlValued = text.includes('\n') || /^\s*[[{]/.test(text);
        if (!yamlValued) return [];
        const raw = [...text.matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)]
          .map((m) => m[1]!)
          .filter((expr) => /\bsecrets\./.test(expr) && !/^toJSON\(\s*secrets\.[\w-]+\s*\)$/.test(expr))
          // A secret alone on its line is YAML text itself (a block mapping of secure parameters), not a
          // value inside the YAML, so toJSON() would turn it into one string.
          .filter((expr) => !text.split('\n').some((line) => line.trim() === `\${{ ${expr} }}`));
        return raw.map(
          (expr) => `${file.path}: job ${name}, input ${input}: use \${{ toJSON(${expr}) }} inside YAML`,
        );
      }),
    ),
  );

/**
 * 4. Every job has timeout-minutes, set from its steps' worst case: the comment just above it adds the
 * steps' minutes up ("a 2 min + b 15 min = 17 min"), and the timeout is at least that sum. A job that
 * calls a reusable workflow cannot have one (GitHub refuses the key there): the called jobs carry theirs.
 */
const timeoutsFromWorstCase: Rule = (file) => {
  const problems: string[] = [];
  for (const [name, job] of jobsOf(file)) {
    if (job.uses !== undefined) continue;
    if (typeof job['timeout-minutes'] !== 'number')
      problems.push(`${file.path}: job ${name} has no numeric timeout-minutes`);
  }
  const lines = file.text.split('\n');
  lines.forEach((line, index) => {
    const match = /^\s*timeout-minutes:\s*(\d+)\s*$/.exec(line);
    if (!match) return;
    const timeout = Number(match[1]);
    const comment: string[] = [];
    for (let i = index - 1; i >= 0 && /^\s*#/.test(lines[i]!); i--)
      comment.unshift(lines[i]!.replace(/^\s*#\s?/, ''));
    const text = comment.join(' ');
    const where = `${file.path}:${index + 1}`;
    const sum = /=\s*(\d+)\s*min/.exec(text);
    if (!sum) {
      problems.push(`${where}: timeout-minutes needs a comment with the worst case ("... = N min")`);
      return;
    }
    // Parenthesised notes explain a term; only the minutes outside them are added.
    const terms = [
      ...text
        .slice(0, sum.index)
        .replace(/\([^)]*\)/g, '')
        .matchAll(/(\d+)\s*min\b/g),
    ].map((m) => Number(m[1]));
    const total = Number(sum[1]);
    if (terms.length < 2 || terms.reduce((a, b) => a + b, 0) !== total)
      problems.push(`${where}: the worst-case terms (${terms.join(' + ')}) do not add up to ${total} min`);
    if (timeout < total)
      problems.push(`${where}: timeout-minutes ${timeout} is below the worst case ${total} min`);
  });
  return problems;
};

/** 5. A security scan on pull requests checks out the base commit too, so the allowlist comes from the base. */
const scanKeepsBaseCommit: Rule = (file) => {
  if (!runsOnPullRequests(file.doc)) return [];
  return jobsOf(file).flatMap(([name, job]) => {
    if (!stepsOf(job).some((s) => s.uses?.includes('/actions/security-scan'))) return [];
    const checkout = stepsOf(job).find((s) => s.uses?.startsWith('actions/checkout@'));
    const depth = Number(checkout?.with?.['fetch-depth'] ?? 1);
    return depth === 0 || depth >= 2
      ? []
      : [
          `${file.path}: job ${name} scans pull requests without fetch-depth: 2 (the base branch's allowlist)`,
        ];
  });
};

const RULES: Record<string, Rule> = {
  'third-party actions are pinned by commit SHA with the version in a comment': pinnedBySha,
  'no id-token: write, push or sign-in on pull-request builds': noIdTokenOnPullRequests,
  'secrets reach YAML-valued inputs through toJSON()': secretsInYamlThroughToJson,
  "timeout-minutes comes from the steps' worst case, with the arithmetic": timeoutsFromWorstCase,
  'a pull-request security scan fetches the base commit': scanKeepsBaseCommit,
};

const BAD: Record<string, string> = {
  'third-party actions are pinned by commit SHA with the version in a comment': `
on: push
jobs:
  a:
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
      - uses: github/codeql-action/upload-sarif@dd903d2e4f5405488e5ef1422510ee31c8b32357
      - uses: slotline/slotline/actions/smoke-test@v1
`,
  'no id-token: write, push or sign-in on pull-request builds': `
on: [push, pull_request]
jobs:
  build:
    permissions:
      id-token: write
    steps:
      - uses: slotline/slotline/actions/build-image@v1
        with:
          push: \${{ github.event_name != 'pull_request' }}
          client-id: \${{ vars.AZURE_CLIENT_ID }}
`,
  'secrets reach YAML-valued inputs through toJSON()': `
on: workflow_dispatch
jobs:
  a:
    steps:
      - uses: slotline/slotline/actions/deploy-slot@v1
        with:
          app-settings: |
            API_KEY: { value: "\${{ secrets.API_KEY }}", secret: true }
`,
  "timeout-minutes comes from the steps' worst case, with the arithmetic": `
on: push
jobs:
  none:
    runs-on: ubuntu-24.04
  wrong-sum:
    # Worst case: build 10 min + push 5 min = 20 min.
    timeout-minutes: 20
  too-short:
    # Worst case: build 10 min + push 5 min = 15 min.
    timeout-minutes: 10
  no-comment:
    timeout-minutes: 30
`,
  'a pull-request security scan fetches the base commit': `
on: pull_request
jobs:
  scan:
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: slotline/slotline/actions/security-scan@v1
`,
};

const files = ['workflows', '.github/workflows'].flatMap((dir) =>
  existsSync(join(repoRoot, dir))
    ? readdirSync(join(repoRoot, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => load(`${dir}/${f}`, readFileSync(join(repoRoot, dir, f), 'utf8')))
    : [],
);

describe.each(Object.entries(RULES))('%s', (name, rule) => {
  test('holds for every workflow in workflows/ and .github/workflows/', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files.flatMap(rule)).toEqual([]);
  });

  test('rejects a bad example', () => {
    const problems = rule(load('bad.yml', BAD[name]!));
    expect(problems.length).toBeGreaterThan(0);
  });
});

test('each bad example breaks its own rule in every way it shows', () => {
  expect(
    pinnedBySha(
      load('bad.yml', BAD['third-party actions are pinned by commit SHA with the version in a comment']!),
    ),
  ).toHaveLength(3);
  expect(
    noIdTokenOnPullRequests(
      load('bad.yml', BAD['no id-token: write, push or sign-in on pull-request builds']!),
    ),
  ).toHaveLength(3);
  expect(
    timeoutsFromWorstCase(
      load('bad.yml', BAD["timeout-minutes comes from the steps' worst case, with the arithmetic"]!),
    ),
  ).toHaveLength(4);
});

test("slotline's own reusable workflows need the pin comment too; other repositories' need a SHA", () => {
  const text = (uses: string) => `on: push\njobs:\n  a:\n    uses: ${uses}\n`;
  expect(
    pinnedBySha(load('ok.yml', text('slotline/slotline/.github/workflows/pipeline.yml@v1 # pin it'))),
  ).toEqual([]);
  expect(
    pinnedBySha(load('bad.yml', text('slotline/slotline/.github/workflows/pipeline.yml@v1'))),
  ).toHaveLength(1);
  expect(
    pinnedBySha(load('bad.yml', text('other/repo/.github/workflows/pipeline.yml@v1 # pin it'))),
  ).toHaveLength(1);
  // A job that calls a reusable workflow has no timeout-minutes of its own; any other job still needs one.
  expect(timeoutsFromWorstCase(load('ok.yml', text('./.github/workflows/pipeline.yml')))).toEqual([]);
  expect(timeoutsFromWorstCase(load('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: x\n'))).toHaveLength(1);
});

test('the pull-request build of the build-image starter pushes nothing and the push job alone has id-token', () => {
  const starter = files.find((f) => f.path === 'workflows/build-image.yml')!;
  const jobs = Object.fromEntries(jobsOf(starter));
  const build = jobs['build']!;
  const push = jobs['push']!;
  expect(build.if).toBe("github.event_name == 'pull_request'");
  expect(build.permissions).toEqual({ contents: 'read' });
  expect(push.if).toBe("github.event_name == 'push'");
  expect(push.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
  expect(starter.doc.permissions).toEqual({ contents: 'read' });
});
