import { expect, test } from '@jest/globals';
// @ts-expect-error: a plain .mjs build script without type declarations
import { checkLocalUses } from '../../scripts/lib/local-uses.mjs';
import { repoRoot } from '../helpers/runner.js';

const workflow = (step: string) => `on: push\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n${step}`;

test.each([
  ['      - uses: ./actions/smoke-test\n        with:\n          url: https://x\n', []],
  [
    '      - uses: ./actions/smoke-test\n        with:\n          url: https://x\n          urll: y\n',
    ['input "urll" is not declared by the action'],
  ],
  [
    '      - uses: ./actions/smoke-test\n        with:\n          checks: "- path: /"\n',
    ['required input "url" is not passed'],
  ],
  ['      - uses: ./actions/nope\n', ['no action.yml at ./actions/nope']],
  ['      - uses: actions/checkout@v4\n', []],
  // slotline's own actions by their published name are checked against this work tree's actions/.
  ['      - uses: slotline/slotline/actions/smoke-test@v1\n        with:\n          url: https://x\n', []],
  [
    '      - uses: slotline/slotline/actions/smoke-test@v1\n        with:\n          url: https://x\n          urll: y\n',
    ['input "urll" is not declared by the action'],
  ],
  ['      - uses: slotline/slotline/actions/nope@v1\n', ['no action.yml at ./actions/nope']],
])('%#: local action inputs are checked', (step, expected) => {
  const problems: string[] = checkLocalUses(workflow(step), 'w.yml', repoRoot);
  expect(problems.map((p) => p.replace(/^.*\): /, ''))).toEqual(expected);
});
