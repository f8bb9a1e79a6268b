import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  Masker,
  parseKeyValueFile,
  parsePathFile,
  parseWorkflowCommand,
} from '../../workflow-runner/commands.js';
import { evaluate } from '../../workflow-runner/expressions.js';
import { Refused, resolveAction, resolveWorkflowRef } from '../../workflow-runner/workflow.js';
import { repoRoot } from '../helpers/runner.js';

// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#environment-files
describe('file commands', () => {
  test('name=value lines and name<<DELIMITER blocks; = inside a value is kept', () => {
    expect(
      parseKeyValueFile('a=1\nurl=https://x/?q=1\n\nmulti<<EOF\nline 1\nline 2\nEOF\nb=2\n', 'GITHUB_OUTPUT'),
    ).toEqual({
      a: '1',
      url: 'https://x/?q=1',
      multi: 'line 1\nline 2',
      b: '2',
    });
  });

  test('an unterminated block or a line without a name is an error, as in actions/runner', () => {
    expect(() => parseKeyValueFile('x<<EOF\nvalue\n', 'GITHUB_ENV')).toThrow(
      /matching delimiter not found 'EOF'/,
    );
    expect(() => parseKeyValueFile('=value\n', 'GITHUB_ENV')).toThrow(/no name/);
    expect(() => parseKeyValueFile('just text\n', 'GITHUB_ENV')).toThrow(/invalid line/);
  });

  test('GITHUB_PATH: the last line written comes first', () => {
    expect(parsePathFile('/a\n\n/b\n')).toEqual(['/b', '/a']);
  });
});

// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
describe('workflow commands and masking', () => {
  test('properties and data are unescaped', () => {
    expect(parseWorkflowCommand('::error file=a%2Cb.ts,line=3,title=T%3A x::line1%0Aline2 100%25')).toEqual({
      command: 'error',
      properties: { file: 'a,b.ts', line: '3', title: 'T: x' },
      message: 'line1\nline2 100%',
    });
    expect(parseWorkflowCommand('not :: a command')).toBeUndefined();
  });

  test('the longest secret is masked whole, and each line of a multi-line secret', () => {
    const masker = new Masker();
    masker.add('abc');
    masker.add('abcdef');
    masker.add('first line\nsecond line');
    expect(masker.mask('x abcdef y abc z')).toBe('x *** y *** z');
    expect(masker.mask('only the second line here')).toBe('only the *** here');
    expect(masker.containsSecret('has abc inside')).toBe(true);
    expect(masker.containsSecret('clean')).toBe(false);
  });
});

// https://docs.github.com/en/actions/reference/workflows-and-actions/expressions#literals
describe('expressions', () => {
  test("every '' in a string literal is one quote (the lexer alone unescapes only the first)", () => {
    expect(evaluate("format('a ''|'' b {0}', 1)", {})).toBe("a '|' b 1");
  });

  test('status functions exist only where a status is given', () => {
    expect(evaluate('success() && always()', {}, { success: true, failure: false, cancelled: false })).toBe(
      true,
    );
    expect(() => evaluate('success()', {})).toThrow(/success/);
  });
});

describe('references resolved to this work tree', () => {
  test('<owner>/slotline/actions/<name>@<ref> loads the action.yml of this work tree', () => {
    const action = resolveAction('slotline/slotline/actions/deploy-slot@v1', repoRoot, 'x.yml:1');
    expect(action.kind).toBe('local');
    if (action.kind === 'local') {
      expect(action.manifest.dir).toBe(join(repoRoot, 'actions', 'deploy-slot'));
      expect(action.manifest.runs.using).toBe('node24');
    }
    expect(
      resolveAction('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683', repoRoot, 'x.yml:1'),
    ).toEqual({
      kind: 'stand-in',
      name: 'actions/checkout',
    });
    expect(() => resolveAction('docker://alpine:3', repoRoot, 'x.yml:4')).toThrow(/x\.yml:4: docker actions/);
    expect(() => resolveAction('someone/else@v1', repoRoot, 'x.yml:5')).toThrow(Refused);
  });

  test('owner/repo/.github/workflows/x.yml@ref is the same file here', () => {
    expect(resolveWorkflowRef('acme/app/.github/workflows/ci.yml@v1', '/elsewhere', 'x.yml:1')).toBe(
      join(repoRoot, '.github', 'workflows', 'ci.yml'),
    );
    expect(resolveWorkflowRef('./.github/workflows/ci.yml', '/ws', 'x.yml:1')).toBe(
      '/ws/.github/workflows/ci.yml',
    );
  });
});
