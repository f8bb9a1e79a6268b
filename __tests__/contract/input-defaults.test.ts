import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { parseInputs as buildImageInputs } from '../../src/build-image/inputs.js';
import { parseInputs as deployInfraInputs } from '../../src/deploy-infra/inputs.js';
import { parseInputs as deploySlotInputs } from '../../src/deploy-slot/inputs.js';
import { parseInputs as gateOnMetricsInputs } from '../../src/gate-on-metrics/inputs.js';
import { parseInputs as securityScanInputs } from '../../src/security-scan/inputs.js';
import { parseInputs as smokeTestInputs } from '../../src/smoke-test/inputs.js';
import { parseInputs as verifyAutoscaleInputs } from '../../src/verify-autoscale/inputs.js';
import { inputEnv, repoRoot } from '../helpers/runner.js';

// One source for each input's default: action.yml. The runner always passes a declared default, but the
// parsers also run without it (tests, `npm run sandbox` users, a future runner), so each parser's own
// fallback must give exactly what action.yml's default gives. Parsing with the input unset and with it set
// to action.yml's default must agree.

interface InputSpec {
  required?: boolean;
  default?: string;
}

const scanDir = mkdtempSync(join(tmpdir(), 'slotline-input-defaults-'));
afterAll(() => rmSync(scanDir, { recursive: true, force: true }));

/** Each action's parser, and the inputs it needs besides the one under test. */
const parsers: Record<
  string,
  { parse: (env: Record<string, string>) => Promise<unknown>; base: Record<string, string> }
> = {
  'build-image': {
    parse: buildImageInputs,
    base: { registry: 'registry.example.test', repository: 'contoso/portal' },
  },
  'deploy-infra': {
    // The repository's own template, found from the workspace as on a runner.
    parse: (env) => deployInfraInputs({ ...env, GITHUB_WORKSPACE: repoRoot }),
    base: {
      'subscription-id': '00000000-0000-4000-8000-000000000000',
      'resource-group': 'rg',
      template: 'infra/main.json',
    },
  },
  'deploy-slot': {
    parse: deploySlotInputs,
    base: {
      'subscription-id': '00000000-0000-4000-8000-000000000000',
      'tenant-id': '11111111-1111-4111-8111-111111111111',
      'client-id': '22222222-2222-4222-8222-222222222222',
      'client-secret': 'not-a-real-secret',
      'resource-group': 'rg',
      'app-name': 'web',
      image: 'ghcr.io/org/web:1.2.3',
    },
  },
  'gate-on-metrics': {
    parse: gateOnMetricsInputs,
    base: {
      'subscription-id': '00000000-0000-4000-8000-000000000000',
      'tenant-id': '11111111-1111-4111-8111-111111111111',
      'client-id': '22222222-2222-4222-8222-222222222222',
      'client-secret': 'not-a-real-secret',
      'resource-group': 'rg',
      'app-name': 'web',
    },
  },
  'security-scan': { parse: (env) => securityScanInputs(env, scanDir), base: {} },
  'smoke-test': { parse: smokeTestInputs, base: { url: 'https://app.example.test' } },
  'verify-autoscale': {
    parse: verifyAutoscaleInputs,
    base: {
      'subscription-id': '00000000-0000-4000-8000-000000000000',
      'resource-group': 'rg',
      'app-name': 'web',
    },
  },
};

/** Comparable form of a parsed value: URLs, sets, maps and patterns by content. */
function comparable(value: unknown): unknown {
  if (value instanceof URL) return value.href;
  if (value instanceof RegExp) return String(value);
  if (value instanceof Set) return [...value].map(comparable);
  if (value instanceof Map) return [...value].map(([k, v]) => [comparable(k), comparable(v)]);
  if (typeof value === 'function') return `function ${value.name}`;
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

const actions = readdirSync(join(repoRoot, 'actions')).sort();

test('every action has a parser here', () => {
  expect(actions).toEqual(Object.keys(parsers).sort());
});

describe.each(actions)('%s', (name) => {
  const inputs = (parse(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')).inputs ??
    {}) as Record<string, InputSpec>;
  const defaults = Object.entries(inputs)
    .filter(([, spec]) => spec.default !== undefined)
    .map(([input, spec]) => [input, spec.default!] as const);
  const parser = parsers[name]!;

  test('its required inputs have no default, and the inputs this test sets are declared', () => {
    for (const [input, spec] of Object.entries(inputs))
      if (spec.required) expect([input, spec.default]).toEqual([input, undefined]);
    for (const input of Object.keys(parser.base)) expect(Object.keys(inputs)).toContain(input);
  });

  test.each(defaults)("%s: unset parses as action.yml's default %p", async (input, value) => {
    const unset = await parser.parse(inputEnv(parser.base));
    const declared = await parser.parse(inputEnv({ ...parser.base, [input]: value }));
    expect(comparable(unset)).toEqual(comparable(declared));
  });

  test('a changed value changes the parse (the comparison can tell inputs apart)', async () => {
    const unset = comparable(await parser.parse(inputEnv(parser.base)));
    const changed = await Promise.all(
      defaults.map(async ([input]) => {
        const alternative = ALTERNATIVES[`${name}/${input}`];
        if (alternative === undefined) return undefined;
        return comparable(await parser.parse(inputEnv({ ...parser.base, [input]: alternative })));
      }),
    );
    for (const parsed of changed.filter((p) => p !== undefined)) expect(parsed).not.toEqual(unset);
    expect(changed.filter((p) => p !== undefined).length).toBeGreaterThan(0);
  });
});

/** A valid value other than the default, one input per action at least. */
const ALTERNATIVES: Record<string, string> = {
  'build-image/push': 'false',
  'build-image/builder': 'buildah',
  'deploy-infra/operation': 'what-if',
  'deploy-infra/timeout': '30m',
  'deploy-slot/slot': 'preview',
  'deploy-slot/health-timeout': '90s',
  'gate-on-metrics/slot': 'canary',
  'gate-on-metrics/interval': '30s',
  'gate-on-metrics/count': '3',
  'gate-on-metrics/ingestion-delay': '5m',
  'gate-on-metrics/on-inconclusive': 'neutral',
  'security-scan/fail-on': 'critical',
  'security-scan/require-scanners': 'true',
  'smoke-test/wait-timeout': '30s',
  'smoke-test/concurrency': '2',
  'verify-autoscale/mode': 'observe',
  'verify-autoscale/users': '50',
  'verify-autoscale/sample-interval': '10s',
};
