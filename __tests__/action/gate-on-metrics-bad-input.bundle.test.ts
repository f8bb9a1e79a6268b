import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { runBundle } from '../helpers/runner.js';

// Bad input through the built gate-on-metrics bundle, run as the runner runs it: one line naming the
// input, exit 1, no outputs, and not one connection to Entra ID or Azure Monitor. Both endpoints point at
// a listener that counts connections, so "before any network call" is measured, not assumed.

let listener: Server;
let connections = 0;
let endpoint = '';

beforeAll(async () => {
  listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(listener.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
});

const BASE = {
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  'tenant-id': '11111111-1111-4111-8111-111111111111',
  'client-id': '22222222-2222-4222-8222-222222222222',
  'client-secret': 'not-a-real-secret-3f9c',
  'resource-group': 'rg',
  'app-name': 'web',
};

test.each([
  ['malformed checks YAML', { checks: '- name: [unclosed' }, /^Input "checks" must be valid YAML/],
  [
    'an unknown metric',
    { checks: '- name: errors\n  metric: Http5xxx\n  threshold: "< 1"' },
    /^Input "checks" item \[0\] \(errors\) metric "Http5xxx" is not an Azure Monitor metric/,
  ],
  [
    'an unknown aggregation',
    { checks: '- name: latency\n  metric: HttpResponseTime\n  aggregation: P95\n  threshold: "< 1s"' },
    /^Input "checks" item \[0\] \(latency\) aggregation must be one of Total, Average, Maximum, Minimum, Count, got "P95"/,
  ],
  [
    'a threshold without a comparison',
    { checks: '- name: latency\n  metric: HttpResponseTime\n  threshold: 800ms' },
    /^Input "checks" item \[0\] \(latency\) threshold must start with a comparison/,
  ],
  ['a negative count', { count: '-1' }, /^Input "count" must be a whole number from 1 to 100, got "-1"/],
  [
    'a seconds grain on public Azure',
    { grain: 'PT1S', 'arm-endpoint': 'https://management.azure.com' },
    /^Input "grain" must be PT1M or longer/,
  ],
])('%s: one line naming the input, exit 1, no network call', async (_what, inputs, message) => {
  const before = connections;
  const step = await runBundle('gate-on-metrics', {
    ...BASE,
    'arm-endpoint': endpoint,
    'authority-host': endpoint,
    ...inputs,
  });
  expect(step.exitCode).toBe(1);
  const errors = step.log.split('\n').filter((line) => line.startsWith('::error::'));
  expect(errors).toHaveLength(1);
  expect(errors[0]!.replace('::error::gate-on-metrics: ', '')).toMatch(message);
  expect(step.outputs).toEqual({});
  expect(step.log).not.toContain('not-a-real-secret-3f9c');
  expect(connections).toBe(before);
});
