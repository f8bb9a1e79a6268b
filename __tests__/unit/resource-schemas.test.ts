import { describe, expect, test } from '@jest/globals';
import { ResourceSchemas } from '../../sandbox/arm/resource-schemas.js';

// The sandbox's resource schemas (sandbox/arm/resource-schemas.ts): lazy, cached, case-insensitive lookups,
// and faults a person can act on (the path and Ajv's reason, without the expression branch's noise).

const storage = (properties: Record<string, unknown>) => ({
  type: 'Microsoft.Storage/storageAccounts',
  apiVersion: '2026-04-01',
  name: 'stdata',
  location: 'westeurope',
  kind: 'StorageV2',
  sku: { name: 'Standard_LRS' },
  properties,
});

describe('ResourceSchemas', () => {
  test('reads nothing until first used, then compiles each type once', () => {
    const schemas = new ResourceSchemas();
    expect(schemas.timings.size).toBe(0);
    expect(schemas.lookup('microsoft.storage/STORAGEACCOUNTS', '2026-04-01')).toEqual({
      kind: 'found',
      type: 'Microsoft.Storage/storageAccounts',
      apiVersion: '2026-04-01',
      schema: '2026-04-01/Microsoft.Storage.json#/resourceDefinitions/storageAccounts',
    });
    expect([...schemas.timings.keys()]).toEqual(['index']);
    const first = performance.now();
    expect(schemas.validate('Microsoft.Storage/storageAccounts', '2026-04-01', storage({}))).toEqual([]);
    const compiled = performance.now() - first;
    const again = performance.now();
    schemas.validate('Microsoft.Storage/storageAccounts', '2026-04-01', storage({}));
    expect(performance.now() - again).toBeLessThan(compiled);
    expect([...schemas.timings.keys()]).toEqual(['index', 'Microsoft.Storage/storageAccounts@2026-04-01']);
  });

  test('a type with other api-versions lists them; an unknown type is unknown', () => {
    const schemas = new ResourceSchemas();
    expect(schemas.lookup('Microsoft.Insights/components', '2015-05-01')).toEqual({
      kind: 'other-versions',
      apiVersions: ['2020-02-02'],
    });
    expect(schemas.lookup('Microsoft.Storage/storageAcounts', '2026-04-01')).toEqual({
      kind: 'unknown-type',
    });
  });

  test.each([
    [
      { supportsHttpsTrafficOnly: 'yes' },
      [{ path: 'properties.supportsHttpsTrafficOnly', reason: 'must be boolean' }],
    ],
    [
      { accessTier: 'Freezing' },
      [{ path: 'properties.accessTier', reason: expect.stringMatching(/^must be one of "Hot", "Cool"/) }],
    ],
    // An ARM expression stands for any value.
    [{ supportsHttpsTrafficOnly: "[parameters('https')]" }, []],
  ])('%j: %j', (properties, faults) => {
    const schemas = new ResourceSchemas();
    expect(schemas.validate('Microsoft.Storage/storageAccounts', '2026-04-01', storage(properties))).toEqual(
      faults,
    );
  });
});
