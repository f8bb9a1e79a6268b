import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/runner.js';

/**
 * Docs claim only inputs and outputs that exist. In the prose and tables of README.md, docs/*.md,
 * docs/runbooks/*.md, action-docs/*.md and examples/<action>/README.md (code blocks are docs-yaml.test.ts's),
 * a name counts as claimed when the text says what it is:
 *  - `<action>'s \`name\``: an input or output of that action;
 *  - `\`a\`, \`b\` and \`c\` inputs` (or outputs, or `input \`a\``): inputs (outputs) of the page's action
 *    on action-docs/<action>.md and examples/<action>/README.md, elsewhere of some action or reusable
 *    workflow;
 * and docs/pipeline.md's "## Inputs" lists exactly pipeline.yml's workflow_call inputs, and README's
 * Actions table links each action's reference page and the tests that prove its row.
 * Other backticked words (values, tags, metric names) are not claims and are left alone.
 */

interface Declared {
  inputs: Set<string>;
  outputs: Set<string>;
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

const actions = new Map<string, Declared>(
  readdirSync(join(repoRoot, 'actions'))
    .filter((a) => existsSync(join(repoRoot, 'actions', a, 'action.yml')))
    .map((a) => {
      const yml = parse(read(`actions/${a}/action.yml`)) as { inputs?: object; outputs?: object };
      return [
        a,
        { inputs: new Set(Object.keys(yml.inputs ?? {})), outputs: new Set(Object.keys(yml.outputs ?? {})) },
      ];
    }),
);

const reusable = readdirSync(join(repoRoot, '.github/workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map(
    (f) =>
      parse(read(`.github/workflows/${f}`)) as {
        on?: { workflow_call?: { inputs?: object; outputs?: object } };
      },
  )
  .map((w) => w.on?.workflow_call)
  .filter((call) => call !== undefined && call !== null);

/** Everything some action or reusable workflow declares: the scope of a claim on a page of no one action. */
const anywhere: Declared = {
  inputs: new Set([
    ...[...actions.values()].flatMap((d) => [...d.inputs]),
    ...reusable.flatMap((c) => Object.keys(c.inputs ?? {})),
  ]),
  outputs: new Set([
    ...[...actions.values()].flatMap((d) => [...d.outputs]),
    ...reusable.flatMap((c) => Object.keys(c.outputs ?? {})),
  ]),
};

/** The Markdown outside fenced code blocks, line numbers kept (code lines blanked). */
function prose(markdown: string): string[] {
  let inCode = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      inCode = !inCode;
      return '';
    }
    return inCode ? '' : line;
  });
}

const LIST = `((?:\`[a-z][a-z0-9-]*\`(?:, |,? and |,? or |/))*\`[a-z][a-z0-9-]*\`)`;
const names = (list: string) => [...list.matchAll(/`([a-z][a-z0-9-]*)`/g)].map((m) => m[1]!);

/** The input and output names a page claims that its scope does not declare. */
function nameProblems(path: string, markdown: string, own: Declared | undefined): string[] {
  const scope = own ?? anywhere;
  const problems = new Set<string>();
  const actionAlternatives = [...actions.keys()].join('|');
  const possessive = `(${actionAlternatives})'s `;
  prose(markdown).forEach((line, i) => {
    const where = `${path}:${i + 1}`;
    for (const m of line.matchAll(new RegExp(`\\b${possessive}${LIST}(?: (input|output)s?\\b)?`, 'g'))) {
      const declared = actions.get(m[1]!)!;
      for (const name of names(m[2]!)) {
        const ok =
          m[3] === 'input'
            ? declared.inputs.has(name)
            : m[3] === 'output'
              ? declared.outputs.has(name)
              : declared.inputs.has(name) || declared.outputs.has(name);
        if (!ok) problems.add(`${where}: ${m[1]} has no ${m[3] ?? 'input or output'} "${name}"`);
      }
    }
    // A list right after "<action>'s " is that action's, checked above.
    const claims = [
      ...[
        ...line.matchAll(
          new RegExp(
            `(?<!(?:${actionAlternatives})'s (?:\`[a-z0-9-]+\`(?:, |,? and |,? or |/))*)${LIST} (input|output)s?\\b`,
            'g',
          ),
        ),
      ].map((m) => [m[2]!, m[1]!] as const),
      ...[...line.matchAll(new RegExp(`\\b(input|output)s? ${LIST}`, 'g'))].map(
        (m) => [m[1]!, m[2]!] as const,
      ),
    ];
    for (const [kind, list] of claims)
      for (const name of names(list))
        if (!(kind === 'input' ? scope.inputs : scope.outputs).has(name))
          problems.add(
            `${where}: ${own ? "the page's action has" : 'nothing declares'} no ${kind} "${name}"`,
          );
  });
  return [...problems];
}

const markdownIn = (dir: string) =>
  existsSync(join(repoRoot, dir))
    ? readdirSync(join(repoRoot, dir))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `${dir}/${f}`)
    : [];
const pages: { path: string; own: Declared | undefined }[] = [
  { path: 'README.md', own: undefined },
  ...markdownIn('docs').map((path) => ({ path, own: undefined })),
  ...markdownIn('docs/runbooks').map((path) => ({ path, own: undefined })),
  ...markdownIn('action-docs').map((path) => ({
    path,
    own: actions.get(path.slice('action-docs/'.length, -3)),
  })),
  ...readdirSync(join(repoRoot, 'examples'))
    .filter((d) => existsSync(join(repoRoot, 'examples', d, 'README.md')))
    .map((d) => ({ path: `examples/${d}/README.md`, own: actions.get(d) })),
];

test.each(pages.map((p) => [p.path, p] as const))(
  '%s names only inputs and outputs that exist',
  (_path, page) => {
    expect(nameProblems(page.path, read(page.path), page.own)).toEqual([]);
  },
);

test('the rule sees the claims the pages make (it has something to check)', () => {
  const claimed = pages.flatMap((p) =>
    prose(read(p.path)).flatMap((l) => [...l.matchAll(new RegExp(`${LIST} (input|output)s?\\b`, 'g'))]),
  );
  expect(claimed.length).toBeGreaterThan(5);
});

test('flags an undeclared input or output, and leaves other backticked words alone', () => {
  const gate = actions.get('gate-on-metrics')!;
  const md = [
    'The `verdict` output and the `checks` input.',
    'The `verdit` output, input `chekcs`, and `slot`, `baseline` and `nope` inputs.',
    "build-image's `image` output fits deploy-slot's `image`; deploy-slot's `imgae` does not.",
    "smoke-test's `url` and `checks` inputs; smoke-test's `passed` input is none.",
    'Values like `fail`, `error-rate` and `Http5xx` are no claims.',
    '```yaml',
    'the `nope` output',
    '```',
  ].join('\n');
  expect(nameProblems('x.md', md, gate)).toEqual([
    'x.md:2: the page\'s action has no output "verdit"',
    'x.md:2: the page\'s action has no input "chekcs"',
    'x.md:2: the page\'s action has no input "nope"',
    'x.md:3: deploy-slot has no input or output "imgae"',
    'x.md:4: smoke-test has no input "passed"',
  ]);
  expect(nameProblems('x.md', 'The `app-path` input and the `no-such-thing` output.', undefined)).toEqual([
    'x.md:1: nothing declares no output "no-such-thing"',
  ]);
});

test("docs/pipeline.md's Inputs section lists exactly pipeline.yml's inputs", () => {
  const doc = read('docs/pipeline.md');
  const section = /^## Inputs\n([\s\S]*?)^## /m.exec(doc)?.[1] ?? '';
  const listed = names(
    section
      .split('\n')
      .filter((l) => l.startsWith('- ') || l.startsWith('  '))
      .join('\n'),
  );
  const pipeline = parse(read('.github/workflows/pipeline.yml')) as {
    on: { workflow_call: { inputs: object } };
  };
  expect([...new Set(listed)].sort()).toEqual(Object.keys(pipeline.on.workflow_call.inputs).sort());
});

test("README's Actions table: every action has a row that links its reference page and tests that exist", () => {
  const readme = read('README.md');
  const table = /^## Actions\n\n((?:\|.*\n)+)/m.exec(readme)?.[1] ?? '';
  const rows = table
    .split('\n')
    .slice(2)
    .filter((r) => r.startsWith('|'));
  const byAction = new Map(rows.map((r) => [/`actions\/([a-z0-9-]+)`/.exec(r)?.[1], r] as const));
  expect([...byAction.keys()].sort()).toEqual([...actions.keys()].sort());
  for (const [action, row] of byAction) {
    const links = [...row.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect([action, links.filter((l) => !existsSync(join(repoRoot, l)))]).toEqual([action, []]);
    expect([action, links.includes(`action-docs/${action}.md`)]).toEqual([action, true]);
    expect([action, links.filter((l) => /^__tests__\/.+\.test\.ts$/.test(l)).length]).not.toEqual([
      action,
      0,
    ]);
  }
});
