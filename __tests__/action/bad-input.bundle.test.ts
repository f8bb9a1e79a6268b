import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { repoRoot, runBundle } from '../helpers/runner.js';

// Bad input through the committed bundles, run as the runner runs them: the in-process input tests
// (unit/deploy-slot.test.ts, action/build-image-inputs.test.ts) cannot show that the bundle stops
// before its first network call or build.

test('deploy-slot exits 1 with one line naming the input, before any network call', async () => {
  const step = await runBundle('deploy-slot', {
    'subscription-id': '00000000-0000-4000-8000-000000000000',
    'tenant-id': '11111111-1111-4111-8111-111111111111',
    'client-id': '22222222-2222-4222-8222-222222222222',
    'client-secret': 'not-a-real-secret',
    'resource-group': 'rg',
    'app-name': 'web',
    image: 'ghcr.io/org/web:1.2.3',
    'health-timeout': 'forever',
  });
  expect(step.exitCode).toBe(1);
  const errors = step.log.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toEqual([
    expect.stringMatching(/^::error::deploy-slot: Input "health-timeout" must be a duration.*"forever"\.$/),
  ]);
  expect(step.log).not.toContain('not-a-real-secret');
});

test('build-image fails fast on a missing required input', async () => {
  const started = performance.now();
  const result = await runBundle('build-image', {
    context: join(repoRoot, 'examples', 'flask-app'),
    repository: 'contoso/portal',
  });
  expect(result.exitCode).toBe(1);
  expect(result.log).toContain('::error::build-image: Input "registry" is required and was not supplied.');
  expect(performance.now() - started).toBeLessThan(5_000);
});

test('the bundle refuses an image with port 99999 in one line, before any network call', async () => {
  const step = await runBundle('deploy-slot', {
    'subscription-id': '00000000-0000-4000-8000-000000000000',
    'resource-group': 'rg',
    'app-name': 'web',
    image: 'registry.example.com:99999/app:1',
  });
  expect(step.exitCode).toBe(1);
  const errors = step.log.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toEqual([
    expect.stringMatching(
      /^::error::deploy-slot: Input "image" must be a container image reference .*\(the registry port must be a number from 1 to 65535\), got "registry\.example\.com:99999\/app:1"\.$/,
    ),
  ]);
});
