import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { AZURE_INPUT_SPECS } from '../../src/lib/azure/inputs.js';
import { AZURE_SECRET_INPUTS } from '../../src/lib/azure-secret-inputs.js';
import { repoRoot } from '../helpers/runner.js';

// Masking is by input (src/lib/runner/secrets.ts): an action masks the inputs its SECRET_INPUTS lists and no
// others. This contract keeps the lists complete: an input whose name says it holds a credential must
// be on its action's list, and every name on a list must be an input the action declares.

/** Names that say "this is a credential". `authority-host` is not one: it is a host name. */
const CREDENTIAL_LIKE = /(password|secret|token|key|credential)/i;

/** What is wrong with one action's list; empty when it is complete and exact. */
function secretInputProblems(
  action: string,
  declaredInputs: readonly string[],
  secretInputs: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const input of declaredInputs)
    if (CREDENTIAL_LIKE.test(input) && !secretInputs.includes(input))
      problems.push(`${action}: input "${input}" looks like a credential but is not in its SECRET_INPUTS`);
  for (const input of secretInputs)
    if (!declaredInputs.includes(input))
      problems.push(`${action}: SECRET_INPUTS names "${input}", which action.yml does not declare`);
  return problems;
}

const actions = readdirSync(join(repoRoot, 'actions')).filter((n) =>
  existsSync(join(repoRoot, 'actions', n, 'action.yml')),
);

function declaredInputs(action: string): string[] {
  const yml = parse(readFileSync(join(repoRoot, 'actions', action, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, unknown>;
  };
  return Object.keys(yml.inputs ?? {});
}

async function secretInputsOf(action: string): Promise<readonly string[]> {
  const module = (await import(join(repoRoot, 'src', action, 'secret-inputs.ts'))) as {
    SECRET_INPUTS?: readonly string[];
  };
  if (!module.SECRET_INPUTS) throw new Error(`src/${action}/secret-inputs.ts must export SECRET_INPUTS`);
  return module.SECRET_INPUTS;
}

test('every action has been found', () => {
  expect(actions).toEqual(
    expect.arrayContaining([
      'build-image',
      'deploy-infra',
      'deploy-slot',
      'gate-on-metrics',
      'security-scan',
      'smoke-test',
      'verify-autoscale',
    ]),
  );
});

describe.each(actions)('action %s', (action) => {
  test('declares every credential-like input as secret, and only inputs it has', async () => {
    expect(secretInputProblems(action, declaredInputs(action), await secretInputsOf(action))).toEqual([]);
  });

  test('passes its SECRET_INPUTS to runAction', () => {
    const main = readFileSync(join(repoRoot, 'src', action, 'main.ts'), 'utf8');
    expect(main).toMatch(/runAction\(\s*'[^']+',\s*SECRET_INPUTS,/);
  });

  test('an action with the shared Azure inputs lists their credentials too', async () => {
    const declared = declaredInputs(action);
    if (!Object.keys(AZURE_INPUT_SPECS).some((name) => declared.includes(name))) return;
    expect(await secretInputsOf(action)).toEqual(expect.arrayContaining([...AZURE_SECRET_INPUTS]));
  });
});

test('the shared Azure secret inputs are exactly the credential-like ones among the six', () => {
  expect([...AZURE_SECRET_INPUTS]).toEqual(
    Object.keys(AZURE_INPUT_SPECS).filter((n) => CREDENTIAL_LIKE.test(n)),
  );
});

describe('the contract catches a planted omission', () => {
  test('a new credential-like input left off the list is reported', async () => {
    const declared = [...declaredInputs('build-image'), 'api-token', 'signing-key'];
    expect(secretInputProblems('build-image', declared, await secretInputsOf('build-image'))).toEqual([
      'build-image: input "api-token" looks like a credential but is not in its SECRET_INPUTS',
      'build-image: input "signing-key" looks like a credential but is not in its SECRET_INPUTS',
    ]);
  });

  test('a secret input dropped from a list is reported', async () => {
    const list = (await secretInputsOf('deploy-slot')).filter((n) => n !== 'registry-password');
    expect(secretInputProblems('deploy-slot', declaredInputs('deploy-slot'), list)).toEqual([
      'deploy-slot: input "registry-password" looks like a credential but is not in its SECRET_INPUTS',
    ]);
  });

  test('a stale name on a list is reported', () => {
    expect(secretInputProblems('smoke-test', declaredInputs('smoke-test'), ['headers', 'api-key'])).toEqual([
      'smoke-test: SECRET_INPUTS names "api-key", which action.yml does not declare',
    ]);
  });
});
