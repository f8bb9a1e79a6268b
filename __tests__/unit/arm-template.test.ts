import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import {
  evaluateString,
  SUPPORTED_FUNCTIONS,
  TemplateError,
} from '../../sandbox/arm/providers/resources/deployments/expressions.js';
import { armGuid, uniqueString, uuidV5 } from '../../sandbox/arm/providers/resources/deployments/hash.js';
import {
  type DeploymentTarget,
  TemplateRun,
} from '../../sandbox/arm/providers/resources/deployments/template.js';
import { propertyDelta } from '../../sandbox/arm/providers/resources/deployments/whatif.js';

// The sandbox's ARM template evaluator: the expression language, the functions, parameters, variables,
// copy, condition, dependsOn ordering and outputs, and the hashes behind uniqueString() and guid().

const SUB = '00000000-0000-0000-0000-000000000000';
const RG_ID = `/subscriptions/${SUB}/resourceGroups/my-rg`;
const target: DeploymentTarget = {
  subscriptionId: SUB,
  tenantId: '11111111-1111-1111-1111-111111111111',
  resourceGroup: { id: RG_ID, name: 'my-rg', location: 'westeurope' },
  deploymentName: 'main',
};

function run(template: Record<string, unknown>, parameters: Record<string, unknown> = {}): TemplateRun {
  return new TemplateRun(
    { contentVersion: '1.0.0.0', ...template },
    Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { value: v }])),
    target,
  );
}

/** Evaluate one expression with the template's parameters and variables. */
function ev(expression: string, template: Record<string, unknown> = {}, parameters = {}): unknown {
  return evaluateString(expression, run(template, parameters).scope());
}

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return `${(error as TemplateError).code}: ${(error as Error).message}`;
  }
  throw new Error('expected a TemplateError');
};

describe('uniqueString and guid', () => {
  // Vectors from a public bash port of ARM's uniqueString (uniquestring.sh, "verified against Bicep
  // uniqueString() output"); the algorithm as described in https://gist.github.com/maskati/23f329e7db43c00184143f04498e537c.
  test.each([
    [['test'], 'rbgf3xv4ufgzg'],
    [['hello', 'world'], 'a7wkljktk6wne'],
    [['abc'], 'cgtzqvhu4i23s'],
    [['/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg'], 'bmg7c6xu4tw46'],
    [['foo', 'bar', 'baz'], 'xzi4ioaxtmth4'],
  ])('uniqueString(%j) = %s', (args, expected) => {
    expect(uniqueString(args)).toBe(expected);
  });

  test('uniqueString(resourceGroup().id) in an expression', () => {
    expect(ev('[uniqueString(resourceGroup().id)]')).toBe('bmg7c6xu4tw46');
  });

  test('uuidV5 matches RFC 4122 v5 (Python: uuid5(NAMESPACE_DNS, "python.org"))', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  test("guid() is uuid5 in ARM's namespace over the arguments joined with '-' (values from Python's uuid5)", () => {
    expect(armGuid(['a'])).toBe('3703365d-5a9f-59b4-bca7-b9681389e4c1');
    expect(ev(`[guid(resourceGroup().id, 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]`)).toBe(
      uuidV5('11fb06fb-712d-4ddd-98c7-e71bbd588830', `${RG_ID}-acdd72a7-3385-48ef-bd42-f606fba81ae7`),
    );
  });
});

describe('expression language', () => {
  test('plain strings, escaped brackets and quoted quotes', () => {
    expect(ev('plain')).toBe('plain');
    expect(ev('[[not an expression]')).toBe('[not an expression]');
    expect(ev("[concat('it''s', ' ', 'ok')]")).toBe("it's ok");
  });

  test('property access and indexes, keys case-insensitive', () => {
    expect(ev('[json(\'{"a":{"B":[10,20]}}\').a.b[1]]')).toBe(20);
    expect(ev("[createObject('k', 'v')['K']]")).toBe('v');
    expect(ev('[resourceGroup().location]')).toBe('westeurope');
    expect(message(() => ev("[createObject('k', 1).missing]"))).toContain(
      "The language expression property 'missing' doesn't exist, available properties are 'k'",
    );
    expect(message(() => ev('[createArray(1)[3]]'))).toContain("array index '3' is out of bounds");
  });

  test('an unknown function is InvalidTemplate; listKeys is refused as unsupported', () => {
    expect(message(() => ev("[frobnicate('x')]"))).toBe(
      "InvalidTemplate: The template function 'frobnicate' is not valid. Please see https://aka.ms/arm-functions for usage details.",
    );
    expect(message(() => ev("[listKeys('id', '2023-01-01')]"))).toBe(
      "InvalidTemplate: The template function 'listKeys' is not supported in the slotline sandbox.",
    );
    expect(message(() => ev('[utcNow()]'))).toContain("'utcNow' is not supported in the slotline sandbox");
  });

  test('syntax errors and wrong argument counts', () => {
    expect(ev("[concat('a'")).toBe("[concat('a'"); // no closing bracket: a plain string
    expect(message(() => ev("[concat('a']"))).toContain('is not valid');
    expect(message(() => ev("['just a literal']"))).toContain('must be a function call');
    expect(message(() => ev("[toLower('a', 'b')]"))).toContain(
      "function 'toLower': function requires 1 argument(s)",
    );
  });

  test.each([
    ["[concat('a', 1, true())]", 'a1True'],
    ['[concat(createArray(1), createArray(2, 3))]', [1, 2, 3]],
    ["[format('{0}-{1}-{{x}}', 'a', 2)]", 'a-2-{x}'],
    ["[toLower('AbC')]", 'abc'],
    ["[toUpper('AbC')]", 'ABC'],
    ["[replace('a-b-c', '-', '')]", 'abc'],
    ["[substring('hello', 1, 3)]", 'ell'],
    ["[substring('hello', 2)]", 'llo'],
    ["[length('abc')]", 3],
    ['[length(createArray(1, 2))]', 2],
    ["[length(createObject('a', 1))]", 1],
    ["[if(equals(1, 1), 'yes', frobnicate())]", 'yes'],
    ["[equals(createObject('a', createArray(1)), json('{\"A\":[1]}'))]", true],
    ['[not(true())]', false],
    ['[and(true(), false())]', false],
    ['[or(false(), true())]', true],
    ["[empty('')]", true],
    ['[empty(createArray())]', true],
    ["[empty(createObject('a', 1))]", false],
    ["[contains('hello', 'ell')]", true],
    ['[contains(createArray(1, 2), 2)]', true],
    ["[contains(createObject('Key', 1), 'key')]", true],
    ["[union(createObject('a', 1, 'b', 2), createObject('b', 3))]", { a: 1, b: 3 }],
    ['[union(createArray(1, 2), createArray(2, 3))]', [1, 2, 3]],
    ['[json(\'{"x": [1]}\')]', { x: [1] }],
    ["[string(createObject('a', 1))]", '{"a":1}'],
    ['[string(5)]', '5'],
    ["[int('42')]", 42],
    ["[bool('TRUE')]", true],
    ['[bool(0)]', false],
    ["[first('abc')]", 'a'],
    ['[last(createArray(1, 2, 3))]', 3],
    ["[split('a,b;c', createArray(',', ';'))]", ['a', 'b', 'c']],
    ["[take('abcdef', 2)]", 'ab'],
    ['[skip(createArray(1, 2, 3), 2)]', [3]],
    ["[coalesce(null(), null(), 'x')]", 'x'],
    ['[deployment().name]', 'main'],
    ['[subscription().subscriptionId]', SUB],
    ['[environment().name]', 'AzureCloud'],
    ['[add(2, 3)]', 5],
    ['[sub(2, 3)]', -1],
    ['[mul(4, 3)]', 12],
    ['[div(-7, 2)]', -3],
    ['[mod(7, 3)]', 1],
    ['[min(createArray(3, 1, 2))]', 1],
    ['[max(3, 9, 2)]', 9],
    ['[greater(2, 1)]', true],
    ["[greaterOrEquals('a', 'b')]", false],
    ['[less(1, 2)]', true],
    ['[lessOrEquals(2, 2)]', true],
    ["[startsWith('Hello', 'he')]", true],
    ["[endsWith('Hello', 'LO')]", true],
    ["[indexOf('abcABC', 'B')]", 1],
    ["[lastIndexOf('abcABC', 'b')]", 4],
    ["[trim('  x  ')]", 'x'],
    ["[padLeft(7, 3, '0')]", '007'],
    ["[base64('one, two, three')]", 'b25lLCB0d28sIHRocmVl'],
    ["[base64ToString('b25lLCB0d28sIHRocmVl')]", 'one, two, three'],
    ['[range(5, 3)]', [5, 6, 7]],
    ["[array('x')]", ['x']],
    ["[join(createArray('a', 'b', 1), '-')]", 'a-b-1'],
  ])('%s', (expression, expected) => {
    expect(ev(expression)).toEqual(expected);
  });

  test('div and mod refuse a zero divisor', () => {
    expect(message(() => ev('[div(1, 0)]'))).toContain('the divisor is zero');
    expect(message(() => ev('[mod(1, 0)]'))).toContain('the divisor is zero');
  });

  test('format refuses alignment and format strings rather than ignore them', () => {
    expect(message(() => ev("[format('{0:N2}', 1)]"))).toContain(
      "the format item '{0:N2}' has an alignment or format string",
    );
  });

  test('union of objects merges nested objects; later values win', () => {
    expect(ev(`[union(json('{"a":{"x":1,"y":2},"b":1}'), json('{"a":{"y":3},"c":2}'))]`)).toEqual({
      a: { x: 1, y: 3 },
      b: 1,
      c: 2,
    });
  });

  test("substring out of range is ARM's error", () => {
    expect(message(() => ev("[substring('abc', 2, 5)]"))).toContain(
      'the index and length must refer to a location within the string',
    );
  });

  test('resourceId and subscriptionResourceId, with and without scope arguments, nested types', () => {
    expect(ev("[resourceId('Microsoft.Web/sites', 'app')]")).toBe(
      `${RG_ID}/providers/Microsoft.Web/sites/app`,
    );
    expect(ev("[resourceId('Microsoft.Web/sites/slots', 'app', 'staging')]")).toBe(
      `${RG_ID}/providers/Microsoft.Web/sites/app/slots/staging`,
    );
    expect(ev("[resourceId('other-rg', 'Microsoft.Web/serverfarms', 'plan')]")).toBe(
      `/subscriptions/${SUB}/resourceGroups/other-rg/providers/Microsoft.Web/serverfarms/plan`,
    );
    expect(ev("[resourceId('sub2', 'rg2', 'Microsoft.Web/sites', 'app')]")).toBe(
      '/subscriptions/sub2/resourceGroups/rg2/providers/Microsoft.Web/sites/app',
    );
    expect(ev("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')]")).toBe(
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/r1`,
    );
    expect(message(() => ev("[resourceId('Microsoft.Web/sites/slots', 'app')]"))).toContain(
      "requires '2' resource name argument(s)",
    );
  });
});

describe('the whole template is checked before anything is evaluated, as ARM validates it', () => {
  test.each([
    ['an unused variable', { variables: { unused: "[frobnicate('a')]" } }],
    [
      'a resource whose condition is false',
      {
        resources: [
          {
            condition: false,
            type: 'Microsoft.Storage/storageAccounts',
            apiVersion: '2023-05-01',
            name: "[frobnicate('a')]",
          },
        ],
      },
    ],
    ['an output', { outputs: { o: { type: 'string', value: "[concat('a', frobnicate())]" } } }],
    ['a property name', { variables: { v: { "[frobnicate('k')]": 1 } } }],
  ])('an unknown function in %s is refused', (_where, template) => {
    expect(message(() => run(template))).toContain("The template function 'frobnicate' is not valid");
  });

  test('functions the sandbox does not evaluate (listKeys) are not refused until they are evaluated', () => {
    expect(() => run({ variables: { unused: "[listKeys('id', '2024-01-01').primaryKey]" } })).not.toThrow();
  });
});

describe('parameters', () => {
  const parameters = {
    name: { type: 'string', minLength: 3, maxLength: 5 },
    size: { type: 'string', defaultValue: 'S1', allowedValues: ['S1', 'P1v3'] },
    count: { type: 'int', defaultValue: 2, minValue: 1, maxValue: 3 },
    label: { type: 'string', defaultValue: "[concat(parameters('name'), '-', parameters('size'))]" },
    secret: { type: 'securestring', defaultValue: 's3cret' },
  };

  test('defaults apply, may use earlier parameters, and secure values are left out of the record', () => {
    const r = run({ parameters }, { name: 'web' });
    expect(r.parameters).toEqual({
      name: { type: 'String', value: 'web' },
      size: { type: 'String', value: 'S1' },
      count: { type: 'Int', value: 2 },
      label: { type: 'String', value: 'web-S1' },
      secret: { type: 'SecureString' },
    });
    expect(evaluateString("[parameters('secret')]", r.scope())).toBe('s3cret');
  });

  test.each([
    [{}, "The value for the template parameter 'name' is not provided"],
    [{ name: 5 }, "Expected a value of type 'String', but received a value of type 'Integer'"],
    [{ name: 'ab' }, "The length '2' is less than the minimum length '3'"],
    [{ name: 'abcdef' }, "The length '6' is greater than the maximum length '5'"],
    [{ name: 'web', size: 'F1' }, "The value 'F1' is not part of the allowed value(s): 'S1,P1v3'"],
    [{ name: 'web', count: 4 }, "The value '4' is greater than the maximum value '3'"],
    [{ name: 'web', count: 0 }, "The value '0' is less than the minimum value '1'"],
    [{ name: 'web', extra: 1 }, "The template parameters 'extra' in the parameters file are not valid"],
  ])('%j is refused: %s', (supplied, expected) => {
    const text = message(() => run({ parameters }, supplied));
    expect(text).toMatch(/^InvalidTemplate: Deployment template validation failed: '/);
    expect(text).toContain(expected);
  });
});

describe('variables', () => {
  test('variables may use other variables; a cycle is refused', () => {
    const variables = {
      a: "[concat(variables('b'), '!')]",
      b: "[toUpper('x')]",
      self: "[variables('loop')]",
      loop: "[variables('self')]",
    };
    expect(ev("[variables('a')]", { variables })).toBe('X!');
    expect(message(() => ev("[variables('self')]", { variables }))).toContain('refers to itself');
    expect(message(() => ev("[variables('nope')]", { variables }))).toContain(
      "The template variable 'nope' is not found",
    );
  });

  test('copy in variables builds arrays with copyIndex of the loop', () => {
    const variables = {
      copy: [{ name: 'names', count: 3, input: "[concat('web-', copyIndex('names', 1))]" }],
    };
    expect(ev("[variables('names')]", { variables })).toEqual(['web-1', 'web-2', 'web-3']);
  });
});

const storage = (name: string, extra: Record<string, unknown> = {}) => ({
  type: 'Microsoft.Storage/storageAccounts',
  apiVersion: '2023-05-01',
  name,
  location: '[resourceGroup().location]',
  ...extra,
});

describe('resources', () => {
  test('dependsOn orders resources (ids, type/name or names); template order otherwise', () => {
    const r = run({
      resources: [
        storage('c', { dependsOn: ["[resourceId('Microsoft.Storage/storageAccounts', 'b')]"] }),
        storage('b', { dependsOn: ['Microsoft.Storage/storageAccounts/a'] }),
        storage('a'),
        storage('d'),
      ],
    });
    expect(r.plan().map((p) => p.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(r.plan()[0]!.id).toBe(`${RG_ID}/providers/Microsoft.Storage/storageAccounts/a`);
  });

  test('a circular dependsOn is refused with the resource in the cycle', () => {
    const text = message(() =>
      run({
        resources: [
          storage('a', { dependsOn: ['c'] }),
          storage('b', { dependsOn: ['a'] }),
          storage('c', { dependsOn: ['b'] }),
        ],
      }).plan(),
    );
    expect(text).toMatch(/Circular dependency detected on resource: '.*\/storageAccounts\/[abc]'/);
  });

  test('a dependsOn naming nothing in the template is refused', () => {
    expect(message(() => run({ resources: [storage('a', { dependsOn: ['ghost'] })] }).plan())).toContain(
      "The resource 'ghost' is not defined in the template",
    );
  });

  test('copy expands with copyIndex; dependsOn on the loop name waits for every instance; condition drops', () => {
    const r = run(
      {
        parameters: { withExtra: { type: 'bool', defaultValue: false } },
        resources: [
          storage('last', { dependsOn: ['accounts'] }),
          storage("[concat('st', copyIndex(1))]", { copy: { name: 'accounts', count: 3 } }),
          storage('extra', { condition: "[parameters('withExtra')]" }),
          storage('after-extra', { dependsOn: ['extra'] }),
        ],
      },
      {},
    );
    const plan = r.plan();
    expect(plan.map((p) => p.name)).toEqual(['st1', 'st2', 'st3', 'last', 'after-extra']);
    expect(plan.find((p) => p.name === 'last')!.dependsOn).toHaveLength(3);
    expect(plan.find((p) => p.name === 'after-extra')!.dependsOn).toEqual([]);
  });

  test('name segments must match the type; nested resources and languageVersion 2 are refused clearly', () => {
    expect(
      message(() =>
        run({ resources: [{ type: 'Microsoft.Web/sites/slots', apiVersion: 'x', name: 'only-one' }] }).plan(),
      ),
    ).toContain('has incorrect segment lengths');
    expect(message(() => run({ resources: [storage('a', { resources: [] })] }).plan())).toContain(
      "has nested 'resources'",
    );
    expect(message(() => run({ languageVersion: '2.0', resources: {} }))).toContain("languageVersion '2.0'");
  });

  test('reference() is not allowed in names; in bodies it reads what the run deployed', () => {
    expect(message(() => run({ resources: [storage("[reference('x').name]")] }).plan())).toContain(
      "The template function 'reference' is not expected at this location",
    );
    const r = run({
      resources: [
        storage('a', { properties: { tier: 'Hot' } }),
        storage('b', { dependsOn: ['a'], properties: { copyOf: "[reference('a').tier]" } }),
      ],
      outputs: {
        tier: {
          type: 'string',
          value: "[reference(resourceId('Microsoft.Storage/storageAccounts', 'a')).tier]",
        },
      },
    });
    const [a, b] = r.plan();
    // what-if: a is not deployed yet, so the value stays as the template wrote it.
    expect(r.body(b!, 'whatIf')['properties']).toEqual({ copyOf: "[reference('a').tier]" });
    expect(() => r.body(b!, 'deploy')).toThrow(/referenced before it is deployed/);
    r.deployed.set(a!.id.toLowerCase(), { properties: r.body(a!, 'deploy')['properties'] });
    expect(r.body(b!, 'deploy')).toEqual({ location: 'westeurope', properties: { copyOf: 'Hot' } });
    expect(r.outputs()).toEqual({ tier: { type: 'String', value: 'Hot' } });
  });

  test('reference() to a template resource is an implicit dependency, as in ARM', () => {
    const r = run({
      resources: [
        storage('b', {
          properties: { copyOf: "[reference(resourceId('Microsoft.Storage/storageAccounts', 'a')).tier]" },
        }),
        storage('a', { properties: { tier: 'Hot' } }),
      ],
    });
    expect(r.plan().map((p) => p.name)).toEqual(['a', 'b']);
    expect(r.plan()[1]!.dependsOn).toEqual([`${RG_ID}/providers/Microsoft.Storage/storageAccounts/a`]);
  });

  test('property copy builds an array property with copyIndex of its loop', () => {
    const r = run({
      resources: [
        storage('a', {
          properties: {
            copy: [{ name: 'rules', count: 2, input: { name: "[concat('rule', copyIndex('rules'))]" } }],
            other: 'kept',
          },
        }),
      ],
    });
    expect(r.body(r.plan()[0]!, 'deploy')['properties']).toEqual({
      rules: [{ name: 'rule0' }, { name: 'rule1' }],
      other: 'kept',
    });
  });

  test('outputs: condition, type checks', () => {
    // An unknown function fails the whole template before any evaluation (see above).
    expect(message(() => run({ outputs: { shown: { type: 'int', value: '[add1()]' } } }))).toContain(
      "The template function 'add1' is not valid",
    );
    const ok = run({
      outputs: {
        n: { type: 'int', value: '[length(createArray(1, 2))]' },
        hidden: { type: 'string', condition: '[false()]', value: 'x' },
        wrong: { type: 'bool', value: 'text' },
      },
    });
    expect(message(() => ok.outputs())).toContain(
      "The template output 'wrong' is not valid: expected a value of type 'Bool'",
    );
  });
});

describe('what-if property delta', () => {
  test('only what the template sets is compared; ids compare case-insensitively, locations without spaces', () => {
    const current = {
      location: 'West Europe',
      properties: { serverFarmId: '/subscriptions/S/resourceGroups/RG/x', keep: 1, rules: [1, 2] },
    };
    expect(
      propertyDelta(current, {
        location: 'westeurope',
        properties: { serverFarmId: '/subscriptions/s/resourcegroups/rg/x' },
      }),
    ).toEqual([]);
    expect(propertyDelta(current, { properties: { added: true, rules: [1] } })).toEqual([
      { path: 'properties.added', propertyChangeType: 'Create', after: true },
      {
        path: 'properties.rules',
        propertyChangeType: 'Array',
        before: [1, 2],
        after: [1],
        children: [{ path: '1', propertyChangeType: 'Delete', before: 2 }],
      },
    ]);
  });
});

test("sandbox/README.md's list of evaluated functions is exactly the evaluator's", () => {
  const readme = readFileSync(new URL('../../sandbox/README.md', import.meta.url), 'utf8');
  const paragraph = /Functions evaluated:([\s\S]*?)\n\n/.exec(readme)?.[1] ?? '';
  const listed = [...paragraph.matchAll(/`([A-Za-z0-9]+)`/g)].map((m) => m[1]!.toLowerCase());
  expect(listed.sort()).toEqual([...SUPPORTED_FUNCTIONS].sort());
});

describe('what infra/main.json needs: cidrSubnet, uriComponent, extension resources, list*, variables using reference()', () => {
  test('cidrSubnet (IPv4), uriComponent (RFC 3986, as .NET escapes), extensionResourceId', () => {
    expect(ev("[cidrSubnet('10.10.0.0/16', 24, 0)]")).toBe('10.10.0.0/24');
    expect(ev("[cidrSubnet('10.10.0.0/16', 24, 2)]")).toBe('10.10.2.0/24');
    expect(ev("[cidrSubnet('10.144.0.0/20', 26, 5)]")).toBe('10.144.1.64/26');
    expect(message(() => ev("[cidrSubnet('10.10.0.0/16', 24, 256)]"))).toContain(
      "subnet index '256' is out of range",
    );
    expect(message(() => ev("[cidrSubnet('10.10.0.0/16', 8, 0)]"))).toContain("prefix length '8'");
    expect(ev("[uriComponent('p@ss w/rd!*(x)')]")).toBe('p%40ss%20w%2Frd%21%2A%28x%29');
    expect(
      ev(
        "[extensionResourceId('/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v', 'Microsoft.Authorization/roleAssignments', 'abc')]",
      ),
    ).toBe(
      '/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v/providers/Microsoft.Authorization/roleAssignments/abc',
    );
  });

  test("a resource's scope makes an extension resource id; dependsOn reaches it through extensionResourceId", () => {
    const planned = run({
      resources: [
        { type: 'Microsoft.KeyVault/vaults', apiVersion: '1', name: 'kv' },
        {
          type: 'Microsoft.Authorization/roleAssignments',
          apiVersion: '1',
          name: 'ra',
          scope: 'Microsoft.KeyVault/vaults/kv',
          dependsOn: ["[resourceId('Microsoft.KeyVault/vaults', 'kv')]"],
        },
        {
          type: 'Microsoft.Web/sites',
          apiVersion: '1',
          name: 'app',
          dependsOn: [
            "[extensionResourceId(resourceId('Microsoft.KeyVault/vaults', 'kv'), 'Microsoft.Authorization/roleAssignments', 'ra')]",
          ],
        },
      ],
    }).plan();
    const ra = `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/ra`;
    expect(planned.map((r) => r.id)).toEqual([
      `${RG_ID}/providers/Microsoft.KeyVault/vaults/kv`,
      ra,
      `${RG_ID}/providers/Microsoft.Web/sites/app`,
    ]);
    expect(planned[2]!.dependsOn).toEqual([ra]);
    expect(
      message(() =>
        run({
          resources: [
            {
              type: 'Microsoft.Authorization/roleAssignments',
              apiVersion: '1',
              name: 'x',
              scope: '/subscriptions/other/resourceGroups/g',
            },
          ],
        }).plan(),
      ),
    ).toContain("outside the deployment's resource group");
  });

  test('list*() goes to the target (after the resource exists); a variable using reference() is evaluated where it is used', () => {
    const calls: string[] = [];
    const redis = `${RG_ID}/providers/Microsoft.Cache/redis/r`;
    const deployedTarget: DeploymentTarget = {
      ...target,
      read: (id) =>
        id === redis ? { id, properties: { hostName: 'r.redis.cache.windows.net' } } : undefined,
      list: (fn, id) => {
        calls.push(`${fn} ${id}`);
        return { primaryKey: 'k+/=' };
      },
    };
    const r = new TemplateRun(
      {
        variables: {
          url: "[format('rediss://:{0}@{1}:6380', uriComponent(listKeys(resourceId('Microsoft.Cache/redis', 'r'), '2024-11-01').primaryKey), reference(resourceId('Microsoft.Cache/redis', 'r')).hostName)]",
        },
        resources: [
          { type: 'Microsoft.Cache/redis', apiVersion: '1', name: 'r' },
          {
            type: 'Microsoft.Web/sites',
            apiVersion: '1',
            name: 'app',
            dependsOn: ['r'],
            properties: { url: "[variables('url')]" },
          },
        ],
      },
      {},
      deployedTarget,
    );
    const app = r.plan()[1]!;
    expect(r.body(app, 'deploy')).toEqual({
      properties: { url: 'rediss://:k%2B%2F%3D@r.redis.cache.windows.net:6380' },
    });
    expect(calls).toEqual([`listKeys ${redis}`]);
    // Where no resource can be read yet (a parameter default), reference() is refused as in ARM.
    expect(
      message(
        () =>
          new TemplateRun(
            {
              parameters: { p: { type: 'string', defaultValue: "[variables('url')]" } },
              variables: { url: "[reference('x').a]" },
            },
            {},
            deployedTarget,
          ),
      ),
    ).toContain("'reference' is not expected at this location");
  });
});
