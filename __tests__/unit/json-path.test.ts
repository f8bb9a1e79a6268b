import { expect, test } from '@jest/globals';
import { jsonExpectationFailures, lookupJsonPath, parseJsonPath } from '../../src/smoke-test/json-path.js';

test.each([
  ['status', ['status']],
  ['$.status', ['status']],
  ['data.items[0].id', ['data', 'items', 0, 'id']],
  ['[2]', [2]],
  ['a["odd.key"].b', ['a', 'odd.key', 'b']],
  ['x-version', ['x-version']],
])('parseJsonPath(%p)', (path, segments) => expect(parseJsonPath(path)).toEqual(segments));

test.each(['', 'a..b', '.a', 'a[', 'a[x]', 'a.[0]', '$'])('parseJsonPath(%p) is invalid', (path) =>
  expect(parseJsonPath(path)).toBeUndefined(),
);

const doc = { status: 'ok', data: { items: [{ id: 3, tags: ['a'] }], count: 1, empty: null } };

test.each([
  [{ status: 'ok' }, []],
  [{ 'data.items[0].id': 3 }, []],
  [{ 'data.items[0].tags': ['a'] }, []],
  [{ 'data.empty': null }, []],
  [{ status: 'down' }, ['JSON status is "ok", expected "down"']],
  [{ 'data.count': '1' }, ['JSON data.count is 1, expected "1"']],
  [{ 'data.items[5].id': 3 }, ['JSON data.items[5].id is missing (expected 3)']],
  [{ 'data.items[0].tags': ['a', 'b'] }, ['JSON data.items[0].tags is ["a"], expected ["a","b"]']],
])('expect-json %p → %p', (expected, failures) => {
  expect(jsonExpectationFailures(doc, expected)).toEqual(failures);
});

test('lookup distinguishes missing from null', () => {
  expect(lookupJsonPath(doc, ['data', 'empty'])).toEqual({ found: true, value: null });
  expect(lookupJsonPath(doc, ['data', 'nothing'])).toEqual({ found: false });
  expect(lookupJsonPath(doc, ['status', 'length'])).toEqual({ found: false });
});
