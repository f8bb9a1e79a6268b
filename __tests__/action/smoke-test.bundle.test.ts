import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { brokenApp, echoApp, htmlApp } from '../helpers/apps.js';
import { inputEnv, repoRoot, runBundle } from '../helpers/runner.js';
import { startServer, type TestServer } from '../helpers/servers.js';
import { workflowCommands } from '../helpers/workflow-commands.js';

// The committed bundle, run as a child process exactly as the runner runs `node24` actions.
let healthy: TestServer;
let broken: TestServer;
beforeAll(async () => {
  healthy = await echoApp();
  broken = await brokenApp();
});
afterAll(async () => {
  await healthy.close();
  await broken.close();
});

test('runs on Node 24', () => {
  expect(process.version).toMatch(/^v24\./);
});

test('healthy server: passed=true in GITHUB_OUTPUT, exit 0', async () => {
  const step = await runBundle('smoke-test', {
    url: healthy.url,
    'wait-timeout': '10s',
    'page-load-budget': '5s',
  });
  expect(step.exitCode).toBe(0);
  expect(step.outputs['passed']).toBe('true');
  expect(step.summary).toContain('Smoke test: passed');
});

test('server answering 500: exit 1 naming the check', async () => {
  const step = await runBundle('smoke-test', {
    url: broken.url,
    'wait-timeout': '1s',
    checks: '- name: landing page\n  path: /',
  });
  expect(step.exitCode).toBe(1);
  expect(step.log).toMatch(/::error::smoke-test: 1 of 1 smoke check failed: "landing page" \(status 500/);
  expect(step.outputs['passed']).toBe('false');
});

test('url unset: exit 1 with an error naming url', async () => {
  const step = await runBundle('smoke-test', {});
  expect(step.exitCode).toBe(1);
  expect(step.log.trim()).toBe('::error::smoke-test: Input "url" is required and was not supplied.');
});

test('a newline and ::error:: in a check name: no injected command, one error naming the input', async () => {
  const step = await runBundle('smoke-test', {
    url: healthy.url,
    checks: '- name: "home\\n::error::forged annotation"\n  path: /',
  });
  expect(step.exitCode).toBe(1);
  expect(workflowCommands(step.log)).toEqual([
    {
      name: 'error',
      data: 'smoke-test: Input "checks" item [0] name must not contain control characters (found U+000A).',
      line: expect.any(String),
    },
  ]);
  expect(step.outputs).toEqual({});
});

test('a server answer with ##[error] and a bidi override issues no command through the bundle', async () => {
  const forging = await startServer(
    (_req, res) =>
      void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: '##[error]forged by the server\u202e' })),
  );
  try {
    const step = await runBundle('smoke-test', {
      url: forging.url,
      checks: '- name: api\n  path: /\n  expect-json: { status: ok }',
      'wait-timeout': '0s',
    });
    expect(step.exitCode).toBe(1);
    expect(workflowCommands(step.log).map((c) => c.name)).toEqual(['group', 'endgroup', 'error']);
    expect(step.log).not.toMatch(/\u202e/u);
  } finally {
    await forging.close();
  }
});

test('URL userinfo, query values and fragment are redacted in the log, summary and outputs', async () => {
  const port = new URL(broken.url).port;
  const step = await runBundle('smoke-test', {
    url: `http://ci:pa55w0rd-in-url@127.0.0.1:${port}/#frag-s3cret`,
    checks: '- name: landing\n  path: /?token=q-s3cret-token',
    'wait-timeout': '0s',
  });
  expect(step.exitCode).toBe(1);
  const shown = [step.log, step.summary, JSON.stringify(step.outputs)].join('\n');
  for (const secret of ['pa55w0rd-in-url', 'q-s3cret-token', 'frag-s3cret'])
    expect(shown).not.toContain(secret);
  expect(step.summary).toContain(`against http://***@127.0.0.1:${port}/#***`);
  expect(step.summary).toContain('| GET /?token=*** |');
});

/** The bundle with the runner's file variables set as the test says, which runBundle does not allow. */
function runWithRunnerFiles(
  files: { GITHUB_OUTPUT?: string; GITHUB_STEP_SUMMARY?: string },
  inputs: Record<string, string>,
): Promise<{ exitCode: number; log: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('GITHUB_')) env[k] = v;
  Object.assign(env, inputEnv(inputs), files);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'smoke-test', 'index.js')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => {
      log += d;
    });
    child.stderr.on('data', (d) => {
      log += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 1, log });
    });
  });
}

/** Lines the runner shows: no mask or debug commands, no blank lines. */
const visibleLines = (log: string): string[] =>
  log.split('\n').filter((l) => l !== '' && !l.startsWith('::debug::') && !l.startsWith('::add-mask::'));

test('GITHUB_OUTPUT in a missing directory: one line naming it, before any request is sent', async () => {
  const before = healthy.requests.length;
  const output = '/nonexistent/slotline-runner/output';
  const step = await runWithRunnerFiles({ GITHUB_OUTPUT: output }, { url: healthy.url });
  expect(step.exitCode).toBe(1);
  expect(visibleLines(step.log)).toEqual([
    `::error::smoke-test: the runner's GITHUB_OUTPUT file ${output} cannot be written: no such file or directory (ENOENT); the runner sets GITHUB_OUTPUT to a writable file`,
  ]);
  expect(healthy.requests.length).toBe(before);
});

test('GITHUB_STEP_SUMMARY in a missing directory: the checks still pass, one warning names it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-step-'));
  const summary = '/nonexistent/slotline-runner/summary';
  writeFileSync(join(dir, 'output'), '');
  try {
    const step = await runWithRunnerFiles(
      { GITHUB_OUTPUT: join(dir, 'output'), GITHUB_STEP_SUMMARY: summary },
      { url: healthy.url },
    );
    expect(step.exitCode).toBe(0);
    expect(visibleLines(step.log).filter((l) => /^::(warning|error)/.test(l))).toEqual([
      `::warning::Could not write the job summary: the runner's GITHUB_STEP_SUMMARY file ${summary}: no such file or directory (ENOENT)`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a page over its budget fails', async () => {
  const app = await htmlApp(400);
  try {
    const step = await runBundle('smoke-test', {
      url: app.url,
      checks: '- name: home\n  path: /\n  page: true',
      'page-load-budget': '200ms',
      'wait-timeout': '0s',
    });
    expect(step.exitCode).toBe(1);
    expect(step.log).toMatch(/"home" \(page load \d+ ms exceeds page-load-budget 200 ms/);
    expect(step.summary).toContain('**over budget**');
  } finally {
    await app.close();
  }
});
