import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/runner.js';

/**
 * The reusable workflows of issue 14 (.github/workflows/{pipeline,pr-checks,release,rollback}.yml) and
 * their starter callers (workflows/): what each promises in its header, checked on the files themselves.
 */

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  uses?: string;
  environment?: string | { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  permissions?: Record<string, string>;
  services?: Record<string, unknown>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, unknown>; secrets?: unknown } | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const load = (path: string) => parse(read(path)) as Workflow;
const REUSABLE = ['pipeline', 'pr-checks', 'release', 'rollback'];
const reusable = Object.fromEntries(REUSABLE.map((n) => [n, load(`.github/workflows/${n}.yml`)]));
const pipeline = reusable['pipeline']!;
const release = reusable['release']!;

// biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
const ENVIRONMENT = '${{ inputs.environment }}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
const BUILT_IMAGE = '${{ needs.build-image.outputs.image }}';

const own = (step: Step) => /^slotline\/slotline\/actions\/([a-z-]+)@/.exec(step.uses ?? '')?.[1];
/** The actions that sign in to Azure (build-image only when it pushes). */
const signsIn = (step: Step) =>
  ['deploy-slot', 'gate-on-metrics', 'verify-autoscale'].includes(own(step) ?? '') ||
  (own(step) === 'build-image' && String(step.with?.['push']) !== 'false');

describe.each(REUSABLE)('.github/workflows/%s.yml', (name) => {
  const workflow = reusable[name]!;

  test('is only a reusable workflow, with no secrets: OIDC signs in', () => {
    expect(Object.keys(workflow.on)).toEqual(['workflow_call']);
    expect(workflow.on['workflow_call']?.secrets).toBeUndefined();
    expect(read(`.github/workflows/${name}.yml`)).not.toMatch(/\bsecrets\.|client-secret|registry-password/);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  test('each job has its own permissions; id-token: write exactly where a step signs in to Azure', () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      expect([id, job.permissions !== undefined]).toEqual([id, true]);
      const needsToken = (job.steps ?? []).some(signsIn);
      expect([id, job.permissions?.['id-token'] === 'write']).toEqual([id, needsToken]);
      for (const [scope, level] of Object.entries(job.permissions ?? {}))
        if (level === 'write')
          expect([id, scope]).toContainEqual(expect.stringMatching(/id-token|security-events/));
    }
  });
});

describe('pipeline.yml', () => {
  test('has the eight stages as jobs, in order, then rollback on failure', () => {
    expect(Object.keys(pipeline.jobs)).toEqual([
      'commit',
      'test',
      'security-scan',
      'build-image',
      'deploy-staging',
      'integration-tests',
      'deploy-production',
      'smoke-production',
      'rollback',
    ]);
    const needs = (id: string) => [pipeline.jobs[id]!.needs ?? []].flat();
    expect(needs('build-image')).toEqual(['commit', 'test', 'security-scan']);
    expect(needs('deploy-staging')).toContain('build-image');
    expect(needs('integration-tests')).toEqual(['deploy-staging']);
    expect(needs('deploy-production')).toEqual(expect.arrayContaining(['build-image', 'integration-tests']));
    expect(needs('smoke-production')).toEqual(['deploy-production']);
    expect(needs('rollback').sort()).toEqual(
      Object.keys(pipeline.jobs)
        .filter((j) => j !== 'rollback')
        .sort(),
    );
    expect(pipeline.jobs['rollback']!.if).toBe('failure()');
  });

  test('tests run with PostgreSQL and Redis service containers', () => {
    expect(Object.keys(pipeline.jobs['test']!.services ?? {})).toEqual(['postgres', 'redis']);
  });

  test('deploys by digest, and the swap names the digest this run built', () => {
    const steps = [...pipeline.jobs['deploy-staging']!.steps!, ...pipeline.jobs['deploy-production']!.steps!];
    const deploy = steps.find((s) => s.with?.['action'] === 'deploy')!;
    const swap = steps.find((s) => s.with?.['action'] === 'swap')!;
    for (const step of [deploy, swap]) expect(step.with?.['image']).toBe(BUILT_IMAGE);
  });

  test('rollback runs deploy-slot rollback only when this run swapped and the swap did not undo itself', () => {
    const step = pipeline.jobs['rollback']!.steps!.find((s) => s.with?.['action'] === 'rollback')!;
    expect(step.if).toBe(
      "needs.deploy-production.outputs.swapped == 'true' && needs.deploy-production.outputs.rolled-back != 'true'",
    );
    expect(pipeline.jobs['rollback']!.steps!.at(-1)!.if).toBe('always()');
  });
});

describe.each([
  ['pipeline', pipeline],
  ['release', release],
])('%s.yml deploy-production', (_name, workflow) => {
  const job = workflow.jobs['deploy-production']!;

  test('runs in the environment, one at a time, never cancelled', () => {
    expect(job.environment).toMatchObject({ name: ENVIRONMENT });
    expect(job.concurrency).toEqual({
      group: `deploy-${ENVIRONMENT}`,
      'cancel-in-progress': false,
    });
  });

  test('gates every ramp step with gate-on-metrics, then swaps', () => {
    const actions = job.steps!.filter((s) => own(s)).map((s) => `${own(s)}:${s.with?.['action'] ?? ''}`);
    expect(actions).toEqual([
      'deploy-slot:ramp',
      'gate-on-metrics:',
      'deploy-slot:ramp',
      'gate-on-metrics:',
      'deploy-slot:ramp',
      'gate-on-metrics:',
      'deploy-slot:swap',
      'deploy-slot:ramp',
    ]);
    const steps = job.steps!;
    for (let i = 1; i <= 3; i++) {
      const gated = steps.filter((s) => s.if === `steps.plan.outputs.p${i} != ''`);
      expect(gated.map(own)).toEqual(['deploy-slot', 'gate-on-metrics']);
    }
    expect(steps.at(-1)).toMatchObject({
      if: "failure() && steps.plan.outputs.p1 != ''",
      with: { percentage: 0 },
    });
  });
});

test("release.yml's stages 5 to 8 and rollback are pipeline.yml's, reading the image from the image job", () => {
  const asRelease = (job: Job) =>
    JSON.parse(
      JSON.stringify({ ...job, needs: undefined })
        .replaceAll('needs.build-image.outputs.image', 'needs.image.outputs.image')
        .replaceAll('needs.commit.outputs.version', 'needs.image.outputs.version'),
    ) as Job;
  for (const id of [
    'deploy-staging',
    'integration-tests',
    'deploy-production',
    'smoke-production',
    'rollback',
  ])
    expect([id, { ...release.jobs[id]!, needs: undefined }]).toEqual([id, asRelease(pipeline.jobs[id]!)]);
  expect(Object.keys(release.jobs)).toEqual([
    'image',
    'deploy-staging',
    'integration-tests',
    'deploy-production',
    'smoke-production',
    'rollback',
  ]);
});

test('pr-checks.yml builds without push or sign-in, and nothing in it may sign in', () => {
  const workflow = reusable['pr-checks']!;
  expect(Object.keys(workflow.jobs)).toEqual(['test', 'security-scan', 'build-image']);
  const build = workflow.jobs['build-image']!.steps!.find((s) => own(s) === 'build-image')!;
  expect(build.with).toMatchObject({ push: false, 'registry-login': 'none' });
  for (const job of Object.values(workflow.jobs)) expect(job.permissions?.['id-token']).toBeUndefined();
});

describe.each([
  ['pipeline', 'push'],
  ['pr-checks', 'pull_request'],
  ['release', 'workflow_dispatch'],
  ['rollback', 'workflow_dispatch'],
])('the starter workflows/%s.yml', (name, event) => {
  const text = read(`workflows/${name}.yml`);
  const starter = parse(text) as Workflow;

  test(`runs on ${event} and is one job calling the reusable workflow`, () => {
    expect(Object.keys(starter.on)).toEqual([event]);
    const jobs = Object.values(starter.jobs);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.uses).toBe(`slotline/slotline/.github/workflows/${name}.yml@v1`);
    // A few lines a user copies: the header comment aside, at most 40.
    expect(text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length).toBeLessThanOrEqual(
      40,
    );
  });

  test('grants the called jobs the most they need, and id-token never on pull requests', () => {
    const permissions = Object.values(starter.jobs)[0]!.permissions!;
    const called = reusable[name]!;
    const needed = new Set(
      Object.values(called.jobs).flatMap((j) =>
        Object.entries(j.permissions ?? {})
          .filter(([, v]) => v === 'write')
          .map(([k]) => k),
      ),
    );
    expect(
      Object.keys(permissions)
        .filter((k) => permissions[k] === 'write')
        .sort(),
    ).toEqual([...needed].sort());
    if (event === 'pull_request') expect(permissions['id-token']).toBeUndefined();
  });
});
