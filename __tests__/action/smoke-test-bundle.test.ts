import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { brokenApp, echoApp } from '../helpers/apps.js';
import { runBundle } from '../helpers/runner.js';
import type { TestServer } from '../helpers/servers.js';

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
