import { describe, expect, test } from '@jest/globals';
import {
  DEPLOYMENT_NAME,
  declaredName,
  defaultDeploymentName,
  readParametersFile,
  readTemplate,
  secureValues,
  type TemplateInfo,
  typeOverride,
} from '../../src/deploy-infra/template.js';

const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

function template(parameters: Record<string, unknown> = {}): TemplateInfo {
  const info = readTemplate({ $schema: SCHEMA, parameters, resources: [] });
  if (typeof info === 'string') throw new Error(info);
  return info;
}

describe('readTemplate', () => {
  test('takes an object with $schema and resources (an array, or an object in languageVersion 2.0)', () => {
    expect(typeof readTemplate({ $schema: SCHEMA, resources: [] })).toBe('object');
    expect(typeof readTemplate({ $schema: SCHEMA, languageVersion: '2.0', resources: {} })).toBe('object');
  });

  test.each([
    [[], 'it is not a JSON object'],
    ['text', 'it is not a JSON object'],
    [{ resources: [] }, 'it has no $schema'],
    [{ $schema: SCHEMA }, 'it has no resources'],
    [{ $schema: SCHEMA, resources: 'x' }, 'it has no resources'],
    [{ $schema: SCHEMA, resources: [], parameters: [] }, 'its parameters are not an object'],
  ])('refuses %p: %s', (doc, why) => {
    expect(readTemplate(doc)).toBe(why);
  });

  test('reads each parameter type without case, and refuses one ARM does not know', () => {
    const info = template({ a: { type: 'SecureString' }, b: { type: 'Int' }, c: { type: 'array' } });
    expect([...info.parameters]).toEqual([
      ['a', 'securestring'],
      ['b', 'int'],
      ['c', 'array'],
    ]);
    expect(readTemplate({ $schema: SCHEMA, resources: [], parameters: { x: { type: 'number' } } })).toMatch(
      /^its parameter "x" declares no type ARM knows/,
    );
  });

  test('finds a parameter by name without case, in the template spelling', () => {
    const info = template({ appName: { type: 'string' } });
    expect(declaredName(info, 'APPNAME')).toBe('appName');
    expect(declaredName(info, 'other')).toBeUndefined();
  });
});

describe('readParametersFile', () => {
  test('takes values and Key Vault references', () => {
    expect(
      readParametersFile({
        parameters: { a: { value: 1 }, b: { reference: { keyVault: { id: 'kv' }, secretName: 's' } } },
      }),
    ).toEqual({ a: { value: 1 }, b: { reference: { keyVault: { id: 'kv' }, secretName: 's' } } });
  });

  test('refuses a file without parameters, or a parameter with neither', () => {
    expect(readParametersFile({})).toBe('it has no parameters object');
    expect(readParametersFile({ parameters: { a: 1 } })).toBe(
      'its parameter "a" has neither a value nor a Key Vault reference',
    );
  });
});

describe('typeOverride', () => {
  test('string takes the scalar as written', () => {
    expect(typeOverride('string', { value: 1.1, text: '1.10' })).toEqual({ value: '1.10' });
    expect(typeOverride('securestring', { value: true, text: 'true' })).toEqual({ value: 'true' });
    expect(typeOverride('string', { value: { a: 1 } })).toEqual({ expected: 'a string' });
    expect(typeOverride('string', { value: null, text: '~' })).toEqual({ expected: 'a string' });
  });

  test('int takes a whole number, as a number or digits', () => {
    expect(typeOverride('int', { value: 3, text: '3' })).toEqual({ value: 3 });
    expect(typeOverride('int', { value: '-4' })).toEqual({ value: -4 });
    for (const value of [1.5, 'x', 1e20, true, [1]])
      expect(typeOverride('int', { value })).toEqual({ expected: 'a whole number' });
  });

  test('bool takes true or false', () => {
    expect(typeOverride('bool', { value: false })).toEqual({ value: false });
    expect(typeOverride('bool', { value: 'true' })).toEqual({ value: true });
    expect(typeOverride('bool', { value: 'yes' })).toEqual({ expected: 'true or false' });
  });

  test('object takes a mapping, array a list', () => {
    expect(typeOverride('object', { value: { a: [1] } })).toEqual({ value: { a: [1] } });
    expect(typeOverride('secureobject', { value: [1] })).toEqual({ expected: 'a mapping (an object)' });
    expect(typeOverride('array', { value: ['a', 2] })).toEqual({ value: ['a', 2] });
    expect(typeOverride('array', { value: { a: 1 } })).toEqual({ expected: 'a list (an array)' });
  });
});

describe('secureValues', () => {
  test('collects the values of securestring and secureobject parameters only', () => {
    const info = template({
      password: { type: 'securestring' },
      settings: { type: 'secureObject' },
      name: { type: 'string' },
    });
    const values = secureValues(info, {
      PASSWORD: { value: 'hunter2-long' },
      settings: { value: { key: 'sekrit-value', n: 12345, short: 'ab' } },
      name: { value: 'public-name' },
    });
    expect(values).toEqual(
      expect.arrayContaining([
        'hunter2-long',
        'sekrit-value',
        '12345',
        '{"key":"sekrit-value","n":12345,"short":"ab"}',
      ]),
    );
    expect(values).not.toContain('public-name');
    expect(values).not.toContain('ab');
  });

  test('a Key Vault reference has no value to mask', () => {
    const info = template({ password: { type: 'securestring' } });
    expect(secureValues(info, { password: { reference: { secretName: 's' } } })).toEqual([]);
  });
});

describe('defaultDeploymentName', () => {
  test('the template name, then the run id and attempt', () => {
    expect(defaultDeploymentName('infra/main.json', '12345678', '2')).toBe('main-12345678-2');
    expect(defaultDeploymentName('infra/main.json')).toBe('main');
    expect(defaultDeploymentName('a b+c.JSON', '1', undefined)).toBe('a-b-c-1-1');
  });

  test('at most 64 characters ARM allows, keeping the run id and attempt', () => {
    const name = defaultDeploymentName(`infra/${'x'.repeat(100)}.json`, '9876543210', '3');
    expect(name).toHaveLength(64);
    expect(name.endsWith('-9876543210-3')).toBe(true);
    expect(DEPLOYMENT_NAME.test(name)).toBe(true);
  });
});
