import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { AZURE_INPUT_SPECS, AZURE_SIGN_IN_INPUT_SPECS } from '../../src/lib/azure/inputs.js';
import { repoRoot } from '../helpers/runner.js';

// Every Azure action declares the shared Azure inputs exactly as src/lib/azure/inputs.ts describes them,
// so one parser (readAzureInputs) serves all of them and users configure every action the same way. An
// action whose parser reads them with readAzureSignInInputs (a registry sign-in, no Resource Manager call)
// declares AZURE_SIGN_IN_INPUT_SPECS instead: subscription-id optional.

interface InputSpec {
  description?: string;
  required?: boolean;
  default?: string;
}

const actions = readdirSync(join(repoRoot, 'actions'))
  .filter((n) => existsSync(join(repoRoot, 'actions', n, 'action.yml')))
  .map((n) => ({
    name: n,
    inputs: (parse(readFileSync(join(repoRoot, 'actions', n, 'action.yml'), 'utf8')).inputs ?? {}) as Record<
      string,
      InputSpec
    >,
  }));

test('the shared Azure inputs are the six the suite agreed on', () => {
  expect(Object.keys(AZURE_INPUT_SPECS).sort()).toEqual([
    'arm-endpoint',
    'authority-host',
    'client-id',
    'client-secret',
    'subscription-id',
    'tenant-id',
  ]);
});

test('an action that declares one shared Azure input declares all six, exactly as specified', () => {
  const problems: string[] = [];
  for (const action of actions) {
    const declared = Object.keys(action.inputs).filter((n) => n in AZURE_INPUT_SPECS);
    if (declared.length === 0) continue;
    const signInOnly = readFileSync(join(repoRoot, 'src', action.name, 'inputs.ts'), 'utf8').includes(
      'readAzureSignInInputs(',
    );
    for (const [name, spec] of Object.entries(signInOnly ? AZURE_SIGN_IN_INPUT_SPECS : AZURE_INPUT_SPECS)) {
      const got = action.inputs[name];
      if (!got) {
        problems.push(`${action.name}: missing input ${name}`);
        continue;
      }
      const expected = {
        description: spec.description,
        required: spec.required,
        default: 'default' in spec ? spec.default : undefined,
      };
      const actual = {
        description: got.description?.trim(),
        required: got.required ?? false,
        default: got.default,
      };
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        problems.push(
          `${action.name}: input ${name} is declared as ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
        );
    }
  }
  expect(problems).toEqual([]);
});

test('subscription-id is required where Resource Manager is called, optional for a registry sign-in only', () => {
  expect(AZURE_INPUT_SPECS['subscription-id'].required).toBe(true);
  expect(AZURE_SIGN_IN_INPUT_SPECS['subscription-id'].required).toBe(false);
  const { 'subscription-id': _a, ...shared } = AZURE_INPUT_SPECS;
  const { 'subscription-id': _b, ...signIn } = AZURE_SIGN_IN_INPUT_SPECS;
  expect(signIn).toEqual(shared);
});
