import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/lib/errors.js';
import { InputReader, inputEnvName } from '../../src/lib/inputs.js';

const reader = (inputs: Record<string, string>) =>
  new InputReader(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputEnvName(k), v])));

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

async function asyncErrorOf(fn: () => Promise<unknown>): Promise<InputError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

test('input variable names keep hyphens and uppercase, as the runner sets them', () => {
  expect(inputEnvName('page-load-budget')).toBe('INPUT_PAGE-LOAD-BUDGET');
  expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
});

describe('boolean', () => {
  test.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['FALSE', false],
  ])('%p → %p', (text, value) => expect(reader({ flag: text }).boolean('flag', !value)).toBe(value));
  test('unset gives the default', () => expect(reader({}).boolean('flag', true)).toBe(true));
  test.each(['yes', '1', 'tru', 'on'])('%p is refused, naming the input', (text) => {
    expect(errorOf(() => reader({ flag: text }).boolean('flag', false)).message).toBe(
      `Input "flag" must be true or false, got "${text}".`,
    );
  });
});

describe('number', () => {
  test('in range', () => expect(reader({ n: '8' }).number('n', { min: 1, max: 64, integer: true })).toBe(8));
  test('default', () => expect(reader({}).number('n', { default: 4 })).toBe(4));
  test.each([
    ['0', 'must be a whole number from 1 to 64'],
    ['65', 'must be a whole number from 1 to 64'],
    ['1.5', 'must be a whole number from 1 to 64'],
    ['four', 'must be a whole number from 1 to 64'],
    ['4e2', 'must be a whole number from 1 to 64'],
  ])('%p is refused', (text, expected) => {
    expect(
      errorOf(() => reader({ n: text }).number('n', { min: 1, max: 64, integer: true })).message,
    ).toContain(`Input "n" ${expected}`);
  });
});

describe('enum, duration, list, url, required', () => {
  test('enum', () => {
    expect(reader({ mode: 'preview' }).enum('mode', ['direct', 'preview'] as const, 'direct')).toBe(
      'preview',
    );
    expect(
      errorOf(() => reader({ mode: 'x' }).enum('mode', ['direct', 'preview'] as const, 'direct')).message,
    ).toBe('Input "mode" must be one of direct, preview, got "x".');
  });
  test('duration with default and bounds', () => {
    expect(reader({}).duration('wait', { default: '2m' })).toBe(120_000);
    expect(reader({ wait: 'PT30S' }).duration('wait')).toBe(30_000);
    expect(errorOf(() => reader({ wait: 'soon' }).duration('wait')).message).toBe(
      'Input "wait" must be a duration such as 30s, 5m, 1h30m or PT5M, got "soon".',
    );
    expect(errorOf(() => reader({ wait: '0s' }).duration('wait', { min: 1 })).message).toContain('at least');
  });
  test('list drops blanks and comments', () => {
    expect(reader({ l: 'a\n\n# note\n b \n' }).list('l')).toEqual(['a', 'b']);
    expect(reader({ l: 'a, b\nc' }).list('l', { comma: true })).toEqual(['a', 'b', 'c']);
  });
  test('url', () => {
    expect(reader({ url: 'https://x.test/a' }).url('url')?.href).toBe('https://x.test/a');
    expect(errorOf(() => reader({ url: 'ftp://x' }).url('url')).message).toBe(
      'Input "url" must be an absolute http or https URL, got "ftp://x".',
    );
    expect(errorOf(() => reader({ url: '/relative' }).url('url')).message).toContain('Input "url"');
  });
  test('required', () => {
    expect(errorOf(() => reader({ url: '  ' }).required('url')).message).toBe(
      'Input "url" is required and was not supplied.',
    );
  });
  test('secret values are never echoed', () => {
    const message = errorOf(() =>
      reader({ token: 'hunter2' }).string('token', { pattern: /^x/, secret: true }),
    ).message;
    expect(message).not.toContain('hunter2');
    expect(message).toContain('value hidden');
  });
});

describe('headers', () => {
  test('parses Name: value lines', () => {
    expect(reader({ h: 'Authorization: Bearer abc\nX-Trace:  1 ' }).headers('h')).toEqual({
      Authorization: 'Bearer abc',
      'X-Trace': '1',
    });
  });
  test.each(['no colon here', 'Bad Name: x', 'Empty:'])('%p is refused without echoing the value', (line) => {
    const message = errorOf(() => reader({ h: `${line}` }).headers('h')).message;
    expect(message).toBe('Input "h" must be lines of "Name: value"; line 1 is not (value hidden).');
  });
});

describe('yaml with a schema', () => {
  const schema = {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: { path: { type: 'string' } },
    },
  };
  test('valid', async () => {
    expect(await reader({ y: '- path: /a\n- path: /b' }).yaml('y', schema, 'a list')).toEqual([
      { path: '/a' },
      { path: '/b' },
    ]);
  });
  test.each([
    ['- path: [', 'must be valid YAML (a list)'],
    ['path: /a', 'must be a list: must be array.'],
    ['- path: 3', 'must be a list: [0].path must be string.'],
    ['- {}', "must be a list: [0] must have required property 'path'."],
    ['- path: /a\n  extra: 1', 'must be a list: [0] has unknown key "extra".'],
  ])('%p is refused with its path', async (yaml, expected) => {
    expect((await asyncErrorOf(() => reader({ y: yaml }).yaml('y', schema, 'a list'))).message).toContain(
      `Input "y" ${expected}`,
    );
  });
  test.each([
    [
      '40 levels',
      `${'['.repeat(40)}${']'.repeat(40)}`,
      'must be a list: it is nested more than 32 levels deep.',
    ],
    [
      '20,000 levels',
      `${'- '.repeat(20_000)}x`,
      'must be valid YAML (a list): it is nested too deeply to read',
    ],
    [
      '20,000 flow levels',
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      'must be valid YAML (a list): it is nested too deeply to read',
    ],
  ])('a document nested %s deep is an input error, not a stack overflow', async (_depth, yaml, expected) => {
    expect((await asyncErrorOf(() => reader({ y: yaml }).yaml('y', schema, 'a list'))).message).toContain(
      `Input "y" ${expected}`,
    );
  });
});
