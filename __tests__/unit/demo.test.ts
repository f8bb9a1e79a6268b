import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { readGuide, subjectFor } from '../../demo/guide.js';
import { judge } from '../../demo/outcome.js';
import type { TrafficReport } from '../../demo/traffic.js';
import { callerWorkflow, demoOverrides, STARTER } from '../../demo/workspace.js';
import type { JobRecord, RunResult } from '../../workflow-runner/runner.js';
import { repoRoot } from '../helpers/runner.js';

// npm run demo's pure parts: the caller it derives from the push-to-main starter, and its verdict on a
// scenario. The demo itself runs end to end in __tests__/integration/demo.test.ts.

const pipelineInputs = Object.keys(
  parse(readFileSync(join(repoRoot, '.github', 'workflows', 'pipeline.yml'), 'utf8')).on.workflow_call.inputs,
);
const overrides = (firstRelease: boolean) =>
  demoOverrides({
    armEndpoint: 'https://127.0.0.1:1',
    authorityHost: 'https://127.0.0.1:2',
    version: '2.0.0',
    firstRelease,
  });

describe("the demo's caller workflow", () => {
  const starter = parse(readFileSync(STARTER, 'utf8'));
  const caller = parse(callerWorkflow(overrides(false)));

  test('is the starter: same trigger, permissions and reusable workflow, every other with: value as the starter has it', () => {
    expect(caller.on).toEqual(starter.on);
    expect(caller.permissions).toEqual(starter.permissions);
    expect(caller.jobs.pipeline.uses).toBe(starter.jobs.pipeline.uses);
    expect(caller.jobs.pipeline.permissions).toEqual(starter.jobs.pipeline.permissions);
    const changed = new Set(overrides(false).map(([key]) => key));
    for (const [key, value] of Object.entries(starter.jobs.pipeline.with as Record<string, unknown>))
      if (!changed.has(key)) expect([key, caller.jobs.pipeline.with[key]]).toEqual([key, value]);
  });

  test('changes only inputs pipeline.yml declares, with values of the declared type, and says why in the file', () => {
    const text = callerWorkflow(overrides(false));
    for (const [key, value, why] of overrides(false)) {
      expect(pipelineInputs).toContain(key);
      expect(caller.jobs.pipeline.with[key]).toEqual(value);
      expect(text).toContain(`#   ${key}: ${why}`);
    }
    expect(caller.jobs.pipeline.with['build-layers']).toBe(false);
  });

  test('the first release has no canary (nothing in production to compare with); the next one has one step', () => {
    expect(parse(callerWorkflow(overrides(true))).jobs.pipeline.with['ramp-steps']).toBe('');
    expect(caller.jobs.pipeline.with['ramp-steps']).toBe('50');
  });
});

const jobRecord = (key: string, result: JobRecord['result']): JobRecord => ({
  key: `pipeline/${key}`,
  name: key,
  result,
  durationMs: 1000,
  steps: [],
  summary: '',
  outputs: {},
});
const run = (success: boolean, jobs: [string, JobRecord['result']][]): RunResult => ({
  success,
  jobs: jobs.map(([k, r]) => jobRecord(k, r)),
  outputs: {},
  annotations: [],
  reportPath: '/tmp/report.md',
  durationMs: 30_000,
});
const traffic = (errors: number, versions: string[]): TrafficReport =>
  ({
    load: { requests: 1000, errors, errorsByKind: errors ? { 'status 502': errors } : {} },
    versions: versions.map((version, i) => ({ atS: i, version })),
  }) as unknown as TrafficReport;

describe("the demo's verdict", () => {
  const released = run(true, [
    ['deploy-production', 'success'],
    ['rollback', 'skipped'],
  ]);
  const gated = run(false, [
    ['deploy-production', 'failure'],
    ['rollback', 'success'],
  ]);

  test('good: the release succeeded, production serves 2.0.0 and no request failed', () => {
    expect(judge('good', released, '2.0.0', traffic(0, ['1.0.0', '2.0.0'])).behaved).toBe(true);
  });

  test.each([
    ['a failed request', released, '2.0.0', traffic(1, ['1.0.0', '2.0.0'])],
    ['production on the old version', released, '1.0.0', traffic(0, ['1.0.0'])],
    ['a failed pipeline', gated, '1.0.0', traffic(0, ['1.0.0'])],
  ])('good misbehaves with %s', (_what, result, served, report) => {
    const outcome = judge('good', result, served, report);
    expect(outcome.behaved).toBe(false);
    expect(outcome.checks.some((c) => c.startsWith('✗'))).toBe(true);
  });

  test('bad-release: stopped at a gate, rolled back, production on 1.0.0 all along', () => {
    const outcome = judge('bad-release', gated, '1.0.0', traffic(0, ['1.0.0']));
    expect(outcome).toEqual({
      behaved: true,
      checks: expect.arrayContaining([expect.stringMatching(/^✓ the rollback job ran/)]),
    });
  });

  test.each([
    ['a release that went through', released, '2.0.0', traffic(0, ['1.0.0', '2.0.0'])],
    ['production answering as 2.0.0 for a while', gated, '1.0.0', traffic(0, ['1.0.0', '2.0.0', '1.0.0'])],
    [
      'no rollback job',
      run(false, [
        ['deploy-production', 'failure'],
        ['rollback', 'skipped'],
      ]),
      '1.0.0',
      traffic(0, ['1.0.0']),
    ],
    [
      'a failure before any gate',
      run(false, [
        ['build-image', 'failure'],
        ['rollback', 'success'],
      ]),
      '1.0.0',
      traffic(0, ['1.0.0']),
    ],
  ])('bad-release misbehaves with %s', (_what, result, served, report) => {
    expect(judge('bad-release', result, served, report).behaved).toBe(false);
  });
});

describe('docs/getting-started.md, as the demo reads it', () => {
  test("the pipeline's two subjects (main and the production environment) in the immutable form, and its four least-privilege roles", () => {
    const guide = readGuide();
    expect(guide.subjects).toEqual([
      'repo:$OWNER@$OWNER_ID/$REPO@$REPO_ID:ref:refs/heads/main',
      'repo:$OWNER@$OWNER_ID/$REPO@$REPO_ID:environment:production',
    ]);
    expect(subjectFor(guide.subjects[0]!, { owner: 'o', name: 'r', ownerId: 1, repositoryId: 2 })).toBe(
      'repo:o@1/r@2:ref:refs/heads/main',
    );
    const of = (assignee: string) =>
      guide.assignments.filter((a) => a.assignee === assignee).map((a) => `${a.role} @ ${a.scope}`);
    expect(of('PIPELINE_PRINCIPAL_ID')).toEqual([
      'AcrPush @ ACR_ID',
      'Website Contributor @ APP_ID',
      'Tag Contributor @ APP_ID',
      'Monitoring Reader @ RG_ID',
    ]);
    expect(of('APP_PRINCIPAL_ID')).toEqual(['AcrPull @ ACR_ID']);
    // No role at subscription scope and no Contributor or Owner anywhere.
    expect(guide.assignments.map((a) => a.role)).not.toContain('Contributor');
    expect(guide.assignments.map((a) => a.role)).not.toContain('Owner');
  });

  test.each([
    [
      'an unknown role',
      '```sh\naz identity federated-credential create --issuer https://token.actions.githubusercontent.com --audiences api://AzureADTokenExchange --subject "repo:x"\naz role assignment create --assignee-object-id "$P" --role "Storage Owner" --scope "$RG_ID"\n```',
      /role 'Storage Owner' has no sandbox equivalent/,
    ],
    [
      'a credential for another issuer',
      '```sh\naz identity federated-credential create --issuer https://example.test --audiences api://AzureADTokenExchange --subject "repo:x"\n```',
      /issuer is not GitHub's/,
    ],
    [
      'a scope that is not a variable',
      '```sh\naz identity federated-credential create --issuer https://token.actions.githubusercontent.com --audiences api://AzureADTokenExchange --subject "repo:x"\naz role assignment create --assignee-object-id "$P" --role Reader --scope /subscriptions/1\n```',
      /without --role, --assignee-object-id/,
    ],
    ['nothing to read', '# no commands', /no federated credentials or role assignments/],
  ])('refuses a guide with %s, naming it', (_what, markdown, message) => {
    expect(() => readGuide(markdown)).toThrow(message);
  });
});
