import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Refused } from '../../workflow-runner/workflow.js';
import { repoRoot } from '../helpers/runner.js';
import { startServer } from '../helpers/servers.js';
import { run } from './helpers.js';

// Each behaviour as GitHub documents it; the page is cited above each test.

describe('needs', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idneeds
  // "Use jobs.<job_id>.needs to identify any jobs that must complete successfully before this job will run."
  test('a job starts only after every job it needs; independent jobs may overlap; needs.<id>.outputs/result', async () => {
    const r = await run('needs');
    expect(r.result.success).toBe(true);
    expect(r.at('✓ a ')).toBeGreaterThanOrEqual(0);
    expect(r.at('✓ a ')).toBeLessThan(r.at('▶ b'));
    expect(r.at('✓ a ')).toBeLessThan(r.at('▶ c'));
    expect(r.at('✓ b ')).toBeLessThan(r.at('▶ d'));
    expect(r.at('✓ c ')).toBeLessThan(r.at('▶ d'));
    // b sleeps, so c (started with b, at most 2 at once) finishes first: they ran side by side.
    expect(r.at('▶ c')).toBeLessThan(r.at('✓ b '));
    expect(r.text).toContain('d sees from-b from-c success');
    expect(r.result.jobs.map((j) => j.result)).toEqual(['success', 'success', 'success', 'success']);
  });
});

describe('if and the status functions', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/expressions#status-check-functions
  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idneeds
  // ("If a job fails or is skipped, all jobs that need it are skipped unless the jobs use a conditional
  // expression that causes the job to continue"; failure() is true when any ancestor job failed.)
  test('jobs: a failed job skips its dependents; always() and failure() run; cancelled() does not', async () => {
    const r = await run('status');
    expect(r.result.success).toBe(false);
    expect(r.job('fails')?.result).toBe('failure');
    expect(r.job('dependent')?.result).toBe('skipped');
    expect(r.text).not.toContain('│ dependent-must-not-run');
    expect(r.job('cleanup')?.result).toBe('success');
    expect(r.text).toContain('cleanup sees failure');
    expect(r.job('grandchild-on-failure')?.result).toBe('success');
    expect(r.text).toContain('failure() of an ancestor, dependent=skipped');
    expect(r.job('independent')?.result).toBe('success');
    expect(r.job('not-cancelled')?.result).toBe('skipped');
    expect(r.text).not.toContain('│ cancelled-must-not-run');
  });

  // https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#steps-context
  // (continue-on-error: outcome failure, conclusion success) and the status functions for steps.
  test('steps: success() by default, failure() and always() after a failure, continue-on-error', async () => {
    const r = await run('status');
    expect(r.text).toContain('soft outcome=failure conclusion=success');
    expect(r.text).not.toContain('│ after-failure-must-not-run');
    expect(r.text).toContain('failure() step ran, hard=failure');
    expect(r.text).toContain('always() step ran, job.status=failure');
    expect(r.text).not.toContain('│ success-step-must-not-run');
    const steps = r.job('fails')!.steps;
    expect(steps.map((s) => [s.outcome, s.conclusion])).toEqual([
      ['failure', 'success'],
      ['success', 'success'],
      ['failure', 'failure'],
      ['skipped', 'skipped'],
      ['success', 'success'],
      ['success', 'success'],
      ['skipped', 'skipped'],
    ]);
  });
});

describe('the workspace and RUNNER_TEMP', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/variables#default-environment-variables
  // (GITHUB_WORKSPACE: the default working directory; RUNNER_TEMP: emptied at the start and end of each job).
  test('steps start in GITHUB_WORKSPACE (--workspace); each run gets its own empty RUNNER_TEMP', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'slotline-wr-ws-'));
    const temps: string[] = [];
    for (const ws of [repoRoot, workspace]) {
      const r = await run('workspace', { workspace: ws });
      expect(r.result.success).toBe(true);
      const m = /│ workspace=(\S+) pwd=(\S+) temp=(\S+)/.exec(r.text)!;
      expect([m[1], m[2]]).toEqual([ws.replace(/\/$/, ''), ws.replace(/\/$/, '')]);
      temps.push(m[3]);
    }
    expect(temps[0]).not.toBe(temps[1]);
  });
});

describe('job timeout-minutes', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idtimeout-minutes
  // ("before GitHub automatically cancels it") and expressions#cancelled / #always.
  test('a job past its timeout is cancelled: only cancelled() and always() steps still run', async () => {
    const r = await run('job-timeout');
    expect(r.result.success).toBe(false);
    expect(r.job('slow')?.result).toBe('cancelled');
    expect(r.job('slow')?.steps.map((s) => s.outcome)).toEqual([
      'cancelled',
      'skipped',
      'skipped',
      'success',
      'success',
    ]);
    expect(r.text).not.toContain('│ after-timeout-must-not-run');
    expect(r.text).not.toContain('│ failure-step-must-not-run');
    expect(r.text).toContain('cancelled() step ran, job.status=cancelled');
    expect(r.text).toContain('always() step ran');
    expect(r.text).toContain('slow was cancelled');
  });
});

describe('expressions', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/expressions (literals, operators,
  // contains, startsWith, format, toJSON, fromJSON) and
  // https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#inputs-context (typed inputs).
  test('in names, env, if and timeout-minutes, with typed inputs, vars and github', async () => {
    const r = await run('expressions', { inputs: { word: 'world' }, vars: { COLOUR: 'blue' } });
    expect(r.result.success).toBe(true);
    expect(r.text).toContain('▶ e (job for world)');
    expect(r.text).toContain('▸ step for world');
    expect(r.text).toContain(
      'fmt=world-3 bool=false not=true contains=true var=blue missing=[] event=workflow_dispatch case=big',
    );
    expect(r.text).toContain('json={"a":[1,2]}');
    expect(r.text).not.toContain('│ flag-step-must-not-run');
    expect(r.text).toContain('startsWith step ran');
  });

  test('a boolean input given as true flips the conditions', async () => {
    const r = await run('expressions', { inputs: { word: 'word', flag: 'true' } });
    expect(r.text).toContain('bool=true not=false');
    expect(r.text).toContain('│ flag-step-must-not-run');
  });

  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#onworkflow_dispatchinputs
  test('a required workflow_dispatch input that is missing, or an unknown one, is refused', async () => {
    await expect(run('expressions')).rejects.toThrow(/input 'word' is required/);
    await expect(run('expressions', { inputs: { word: 'w', nope: '1' } })).rejects.toThrow(Refused);
  });
});

describe('block scalars with expressions', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/expressions ("an expression in a
  // string"): the expression is part of the YAML value, so a literal block's indentation is gone before it
  // is evaluated, and a multi-line value is inserted as it is.
  test('expressions are expanded in the value YAML reads, not in its indented source', async () => {
    const r = await run('block-scalar', { inputs: { lines: 'a: 1\nb: 2' } });
    expect(r.result.success).toBe(true);
    const printed = r.lines.filter((l) => l.startsWith('[block]    │ ')).map((l) => l.slice(13));
    expect(printed).toEqual([
      '[a: 1',
      'b: 2',
      'last: workflow_dispatch',
      ']',
      '[back',
      '  indented: kept}}]',
      '[one workflow_dispatch two]',
      'script: workflow_dispatch',
    ]);
  });
});

describe('env, defaults and file commands', () => {
  // https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/use-variables
  // ("the most specific variable will be used"); GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY:
  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#environment-files
  // shells: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell
  test('workflow < job < step env; GITHUB_ENV and GITHUB_PATH reach later steps; defaults.run', async () => {
    const r = await run('env');
    expect(r.text).toContain('A=workflow B=job C=step pwd=workflow-runner');
    expect(r.text).toContain('FROM_FILE=set by GITHUB_ENV / set by GITHUB_ENV');
    expect(r.text).toContain('MULTI=line one|line two');
    expect(r.text).toContain('tool on PATH');
    expect(r.text).toContain('override=step wins pwd=__tests__');
    expect(r.job('env')?.summary).toContain('# Summary heading');
    expect(r.report).toContain('# Summary heading');
  });

  test('shell: bash has pipefail, bash -e {0} has not; timeout-minutes cancels the step', async () => {
    const r = await run('env');
    const steps = Object.fromEntries(r.job('env')!.steps.map((s) => [s.name, s.outcome]));
    expect(steps['default bash -e has no pipefail']).toBe('success');
    expect(steps['shell bash has pipefail']).toBe('failure');
    expect(r.text).toContain('sh says failure');
    expect(steps['timed out']).toBe('failure');
    expect(r.text).toContain('slow outcome=failure');
    expect(r.text).toMatch(/timed out: the step exceeded its timeout-minutes/);
    expect(r.result.success).toBe(true);
  });
});

describe('masking and workflow commands', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#masking-a-value-in-a-log
  // https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/pass-job-outputs
  // ("Outputs containing secrets are redacted on the runner and not sent to GitHub Actions.")
  test('a secret and an ::add-mask:: value never appear in the output or the report', async () => {
    const r = await run('masking', { secrets: { API_KEY: 'abc-secret-123' } });
    expect(r.result.success).toBe(true);
    for (const where of [r.text, r.report]) {
      expect(where).not.toContain('abc-secret-123');
      expect(where).not.toContain('runtime-generated-value');
    }
    expect(r.text).toContain('secret is ***');
    expect(r.text).toContain('env secret is ***');
    expect(r.text).toContain('later: ***');
    expect(r.report).toContain('## summary with ***');
    expect(r.text).toContain('leaked=[] fine=ok');
    expect(r.result.annotations).toContainEqual({
      level: 'warning',
      job: 'mask',
      message: 'Careful: a warning',
    });
    expect(r.text).toContain('▾ Details');
    expect(r.text).not.toContain('::group::');
  });
});

describe('the pull_request event and per-job OIDC claims', () => {
  // https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#pull_request
  // (GITHUB_REF refs/pull/<n>/merge, GITHUB_HEAD_REF and GITHUB_BASE_REF; the payload's pull_request) and
  // https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims (a job in an
  // environment gets its subject; otherwise the pull_request event's): the runner asks the sandbox's admin
  // endpoint for each job's request token with the claims that decide the subject.
  async function withAdmin(event: string) {
    const bodies: Record<string, unknown>[] = [];
    const admin = await startServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ requestToken: `request-token-${bodies.length}` }));
    });
    const dir = mkdtempSync(join(tmpdir(), 'slotline-wr-pr-'));
    const connection = join(dir, 'connection.json');
    writeFileSync(
      connection,
      JSON.stringify({
        oidcRequestUrl: 'https://127.0.0.1:9/github/oidc/token',
        oidcRequestToken: 'default-request-token',
        adminEndpoint: admin.url,
      }),
    );
    try {
      return { r: await run('pull-request', { event, connection }), bodies };
    } finally {
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('a same-repository pull request: merge ref, head and base refs, payload; the event in the claims', async () => {
    const { r, bodies } = await withAdmin('pull_request');
    expect(r.result.success).toBe(true);
    expect(r.text).toMatch(/check ref=refs\/pull\/1\/merge head=\[[^\]]+\] base=\[main\] pr=\[1\]/);
    expect(r.text).toContain('env GITHUB_REF=refs/pull/1/merge GITHUB_BASE_REF=[main] token=[***]');
    expect(r.text).not.toMatch(/request-token-\d/);
    expect(bodies).toEqual([
      expect.objectContaining({ eventName: 'pull_request', ref: 'refs/pull/1/merge' }),
      expect.objectContaining({ eventName: 'pull_request', environment: 'dev' }),
    ]);
    expect(bodies[0]).not.toHaveProperty('environment');
  });

  test('push: the branch ref, no pull request in the payload', async () => {
    const { r, bodies } = await withAdmin('push');
    expect(r.result.success).toBe(true);
    expect(r.text).toMatch(/check ref=refs\/heads\/\S+ head=\[\] base=\[\] pr=\[\]/);
    expect(bodies.map((b) => b['eventName'])).toEqual(['push', 'push']);
  });
});
