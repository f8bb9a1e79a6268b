import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { refused, run } from './helpers.js';

describe('a local node24 JavaScript action', () => {
  // actions/runner docs/adrs/0361-wrapper-action.md (pre runs in step order at job setup, never for ./ actions),
  // https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#inputs (INPUT_<NAME>,
  // upper-cased, spaces to underscores; defaults), #runspre, #runspost ("post runs at the end of the job"),
  // #runspost-if, and workflow-commands#sending-values-to-the-pre-and-post-actions (GITHUB_STATE → STATE_*).
  test('inputs with defaults, pre steps first, post steps last in reverse order with their state', async () => {
    const r = await run('action');
    expect(r.result.success).toBe(false);
    expect(r.text).toContain('main: hello first (extra=from-default, run-id=1, state pre=ran)');
    expect(r.text).toContain('main: hi second (extra=from-default, run-id=1, state pre=ran)');
    expect(r.text).toContain('node v24.');
    expect(r.text).toContain('outputs=hello first / hi second');
    // Pre steps run first, in step order, for every step (its if is evaluated later), but not for ./ actions.
    expect(r.at('pre for first')).toBeLessThan(r.at('pre for second'));
    expect(r.at('pre for second')).toBeLessThan(r.at('main: hello first'));
    expect(r.text).not.toContain('pre for third');
    expect(r.text).not.toContain('pre for skipped');
    expect(r.text).toContain(
      "`pre` execution is not supported for local action from './__tests__/fixtures/workflow-actions/greet'",
    );
    expect(r.text).toContain('main: hello third (extra=from-default, run-id=1, state pre=undefined)');
    expect(r.at('main: hello third')).toBeLessThan(r.at('post for third (pre=undefined)'));
    expect(r.at('post for third')).toBeLessThan(r.at('post for second'));
    expect(r.at('post for second')).toBeLessThan(r.at('post for first'));
    // The skipped step's main never ran, so it has no post step.
    expect(r.text).not.toContain('post for skipped');
    expect(r.text).not.toContain('main: hello skipped');
    expect(r.result.annotations).toContainEqual({
      level: 'error',
      job: 'act',
      message: 'greet was asked to fail',
    });
  });

  test('a required input that is not given is refused before anything runs', async () => {
    const { message, lines } = await refused('missing-input');
    expect(message).toMatch(
      /missing-input\.yml:6: input 'who' required by \.\/__tests__\/fixtures\/workflow-actions\/greet/,
    );
    expect(lines).toEqual([]);
  });
});

describe('reusable workflows', () => {
  // https://docs.github.com/en/actions/how-tos/reuse-automations/reuse-workflows (inputs, secrets, inherit,
  // outputs through jobs.<id>.outputs; env of the caller is not propagated; id-token must be granted by the caller).
  test('with, secrets (explicit and inherit), outputs to needs, caller env not passed', async () => {
    const connection = join(process.env.TMPDIR ?? '/tmp', `slotline-wr-connection-${process.pid}.json`);
    writeFileSync(
      connection,
      JSON.stringify({ oidcRequestUrl: 'https://127.0.0.1:9/github/x', oidcRequestToken: 'bearer-123' }),
    );
    const r = await run('reusable-caller', {
      secrets: { KEY: 'explicit-key', DEPLOY_KEY: 'inherited-key' },
      connection,
    });
    expect(r.result.success).toBe(true);
    expect(r.text).toContain('deploying to staging retries=2 key=*** other=[]');
    expect(r.text).toContain('deploying to production retries=5 key=*** other=[]');
    expect(r.text).toContain('urls https://staging.example https://production.example success');
    expect(r.text).not.toContain('caller env A=[caller-only]');
    expect(r.text).not.toMatch(/explicit-key|inherited-key|bearer-123/);
    // The explicit caller grants id-token: write; the inheriting one has no permissions, so none.
    expect(r.lines).toContain('[explicit/deploy]    │ oidc=[https://127.0.0.1:9/github/x]');
    expect(r.lines).toContain('[inherited/deploy]    │ oidc=[none]');
    // A called job without permissions of its own gets the caller job's.
    expect(r.lines).toContain('[explicit/plain]    │ plain job oidc=[https://127.0.0.1:9/github/x]');
    expect(r.lines).toContain('[inherited/plain]    │ plain job oidc=[none]');
    expect(r.result.jobs.map((j) => [j.key, j.result])).toEqual(
      expect.arrayContaining([
        ['explicit/deploy', 'success'],
        ['explicit/plain', 'success'],
        ['explicit', 'success'],
        ['inherited/deploy', 'success'],
        ['inherited/plain', 'success'],
        ['inherited', 'success'],
        ['report', 'success'],
      ]),
    );
    expect(r.result.jobs).toHaveLength(7);
    // The result keeps each job's outputs: a caller job's are its called workflow's.
    expect(r.job('explicit')?.outputs).toEqual({ url: 'https://staging.example' });
    expect(r.job('inherited')?.outputs).toEqual({ url: 'https://production.example' });
    expect(r.job('report')?.outputs).toEqual({});
  });

  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#onworkflow_calloutputs
  test('on.workflow_call.outputs come from jobs.<id>.outputs', async () => {
    const r = await run('reusable-called', {
      event: 'workflow_call',
      inputs: { target: 'qa' },
      secrets: { DEPLOY_KEY: 'k' },
    });
    expect(r.result.success).toBe(true);
    expect(r.result.outputs).toEqual({ url: 'https://qa.example' });
  });
});

describe('permissions, environment and concurrency', () => {
  // https://docs.github.com/en/actions/reference/security/oidc ("you must set id-token: write") and
  // https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#permissions
  // https://docs.github.com/en/actions/how-tos/write-workflows/choose-when-workflows-run/control-workflow-concurrency
  test('only id-token: write (or write-all) jobs get ACTIONS_ID_TOKEN_REQUEST_*; one group runs one job at a time', async () => {
    const connection = join(process.env.TMPDIR ?? '/tmp', `slotline-wr-connection-p-${process.pid}.json`);
    writeFileSync(
      connection,
      JSON.stringify({ oidcRequestUrl: 'https://127.0.0.1:9/oidc', oidcRequestToken: 'tok-456' }),
    );
    const r = await run('permissions', { connection });
    expect(r.result.success).toBe(true);
    expect(r.text).toContain('url=[https://127.0.0.1:9/oidc] token=[***]');
    expect(r.text).toContain('no-oidc url=[none]');
    expect(r.text).toContain('write-all url=[https://127.0.0.1:9/oidc]');
    expect(r.text).not.toContain('tok-456');
    expect(r.text).toContain("environment 'production': auto-approved");
    expect(r.at('✓ login ')).toBeLessThan(r.at('▶ no-oidc'));
  });

  // https://docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/review-deployments
  // (a rejected job fails). --approve asks; without it every environment is auto-approved.
  test('with --approve a rejected environment fails the job before any step; an approved one runs', async () => {
    const questions: string[] = [];
    const rejected = await run('permissions', {
      approve: async (question) => {
        questions.push(question);
        return false;
      },
    });
    expect(questions).toEqual(["[login] deploy to environment 'production'? [y/N] "]);
    expect(rejected.job('login')?.result).toBe('failure');
    expect(rejected.job('login')?.steps).toEqual([]);
    expect(rejected.text).not.toContain('login done');
    expect(rejected.result.success).toBe(false);
    const approved = await run('permissions', { approve: async () => true });
    expect(approved.text).toContain("environment 'production': approved");
    expect(approved.result.success).toBe(true);
  });

  test('without --connection the OIDC variables are absent and the run says so', async () => {
    const r = await run('permissions');
    expect(r.text).toContain('url=[none] token=[none]');
    expect(r.text).toContain('no --connection');
  });
});

describe('stand-ins for third-party actions', () => {
  // Each stand-in's difference from the real action is in workflow-runner/README.md. Artifacts:
  // https://docs.github.com/en/actions/tutorials/store-and-share-data (a job downloads what an earlier job uploaded).
  test('checkout, upload/download-artifact, upload-sarif and azure/login', async () => {
    const connection = join(process.env.TMPDIR ?? '/tmp', `slotline-wr-connection-s-${process.pid}.json`);
    writeFileSync(
      connection,
      JSON.stringify({ oidcRequestUrl: 'https://127.0.0.1:9/oidc', oidcRequestToken: 'stand-in-token' }),
    );
    const r = await run('stand-ins', { connection });
    expect(r.result.success).toBe(true);
    expect(r.text).toContain('stand-in for actions/checkout@');
    expect(r.text).toContain('│ artifact body');
    expect(r.text).toMatch(/SARIF .*r\.sarif: 1 run\(s\), 1 result\(s\)/);
    expect(r.text).toContain('OIDC login for client c in tenant t');
    // Without id-token: write the login fails, as azure/login does when it cannot get a token.
    expect(r.text).toContain('login without id-token failure');
    expect(r.text).not.toContain("input 'persist-credentials' has no effect");
  });
});

describe('what the runner refuses', () => {
  test('an unknown action, naming it and its file:line, before any step runs', async () => {
    const { message, lines } = await refused('refused-unknown-action');
    expect(message).toMatch(/refused-unknown-action\.yml:7: unknown action someone\/unknown-action@v1/);
    expect(lines).toEqual([]);
  });

  test('a matrix strategy and a container job', async () => {
    expect((await refused('refused-matrix')).message).toMatch(
      /refused-matrix\.yml:5: job test: matrix strategies/,
    );
    expect((await refused('refused-container')).message).toMatch(
      /refused-container\.yml:5: job test: container jobs/,
    );
  });
});
