import { describe, expect, test } from '@jest/globals';
import {
  changeRows,
  countChanges,
  forbiddenChanges,
  propertyLines,
  shortResource,
  valueText,
  type WhatIfChange,
} from '../../src/deploy-infra/what-if.js';

const RG = '/subscriptions/s/resourceGroups/rg/providers';
const change = (changeType: string, name: string, extra: Partial<WhatIfChange> = {}): WhatIfChange => ({
  resourceId: `${RG}/Microsoft.Web/sites/${name}`,
  changeType,
  ...extra,
});

describe('countChanges', () => {
  test('counts per change type, in ARM order, without zeros', () => {
    expect(
      countChanges([
        change('Modify', 'a'),
        change('Create', 'b'),
        change('NoChange', 'c'),
        change('Create', 'd'),
      ]),
    ).toEqual({ Create: 2, NoChange: 1, Modify: 1 });
    expect(JSON.stringify(countChanges([change('Modify', 'a'), change('Create', 'b')]))).toBe(
      '{"Create":1,"Modify":1}',
    );
    expect(countChanges([])).toEqual({});
  });
});

test('forbiddenChanges: the changes of the listed types', () => {
  const changes = [change('Modify', 'a'), change('Create', 'b'), change('Delete', 'c')];
  expect(forbiddenChanges(changes, ['Delete', 'Modify']).map((c) => c.resourceId)).toEqual([
    `${RG}/Microsoft.Web/sites/a`,
    `${RG}/Microsoft.Web/sites/c`,
  ]);
  expect(forbiddenChanges(changes, [])).toEqual([]);
});

test('shortResource: namespace, types, then names', () => {
  expect(shortResource(`${RG}/Microsoft.Web/sites/app`)).toBe('Microsoft.Web/sites/app');
  expect(shortResource(`${RG}/Microsoft.Web/sites/app/slots/staging`)).toBe(
    'Microsoft.Web/sites/slots/app/staging',
  );
  expect(shortResource('/subscriptions/s/resourceGroups/rg')).toBe('/subscriptions/s/resourceGroups/rg');
});

describe('property changes', () => {
  test('before → after for each leaf, NoEffect left out, arrays by item', () => {
    expect(
      propertyLines([
        { path: 'properties.httpsOnly', propertyChangeType: 'Modify', before: false, after: true },
        { path: 'tags.env', propertyChangeType: 'Create', after: 'prod' },
        { path: 'tags.old', propertyChangeType: 'Delete', before: 'x' },
        { path: 'properties.reserved', propertyChangeType: 'NoEffect', before: 1, after: 1 },
        {
          path: 'properties.ipRules',
          propertyChangeType: 'Array',
          children: [{ path: '0', propertyChangeType: 'Modify', before: '10.0.0.0/8', after: '10.1.0.0/16' }],
        },
      ]),
    ).toEqual([
      'properties.httpsOnly: false → true',
      'tags.env: (none) → "prod"',
      'tags.old: "x" → (removed)',
      'properties.ipRules[0]: "10.0.0.0/8" → "10.1.0.0/16"',
    ]);
  });

  test('long values are cut, secure values replaced by ***', () => {
    expect(valueText('a'.repeat(100))).toHaveLength(60);
    expect(valueText('user=admin;password=hunter2-long', ['hunter2-long'])).toBe('"user=admin;password=***"');
    expect(
      propertyLines(
        [{ path: 'p', propertyChangeType: 'Modify', before: 'old', after: 'hunter2-long' }],
        ['hunter2-long'],
      ),
    ).toEqual(['p: "old" → "***"']);
  });
});

describe('changeRows', () => {
  test('changes first, NoChange and Ignore after; at most N rows and how many more', () => {
    const changes = [
      change('NoChange', 'quiet'),
      change('Create', 'new'),
      ...Array.from({ length: 5 }, (_, i) => change('Modify', `m${i}`)),
    ];
    const { rows, more } = changeRows(changes, [], 4);
    expect(rows.map((r) => `${r.changeType} ${r.resource}`)).toEqual([
      'Create Microsoft.Web/sites/new',
      'Modify Microsoft.Web/sites/m0',
      'Modify Microsoft.Web/sites/m1',
      'Modify Microsoft.Web/sites/m2',
    ]);
    expect(more).toBe(3);
  });

  test("a row's properties: at most five, then +K more; Unsupported says why", () => {
    const delta = Array.from({ length: 7 }, (_, i) => ({
      path: `p${i}`,
      propertyChangeType: 'Modify',
      before: i,
      after: i + 1,
    }));
    const { rows } = changeRows([
      change('Modify', 'a', { delta }),
      change('Unsupported', 'b', { unsupportedReason: 'uses reference()' }),
    ]);
    expect(rows[0]!.properties).toEqual([
      'p0: 0 → 1',
      'p1: 1 → 2',
      'p2: 2 → 3',
      'p3: 3 → 4',
      'p4: 4 → 5',
      '+2 more',
    ]);
    expect(rows[1]!.properties).toEqual(['uses reference()']);
  });
});
