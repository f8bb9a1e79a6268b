import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse, parseDocument } from 'yaml';
import { parseInputs as gateOnMetricsInputs } from '../../src/gate-on-metrics/inputs.js';
import { inputEnv, repoRoot } from '../helpers/runner.js';

/**
 * The YAML users copy: every ```yaml block in the hand-written examples (examples/<action>/README.md), the
 * README and docs/*.md, and every starter workflow. Each block must parse, and every step that uses one of slotline's actions must
 * name an action that exists and pass only inputs its action.yml declares (actionlint cannot know them).
 * gate-on-metrics steps' inputs (checks, thresholds, durations) must also pass the action's own parser.
 * Complete workflows among the blocks (with `on:` and `jobs:`) also go through actionlint in
 * `npm run lint:workflows`.
 */

interface Block {
  where: string;
  text: string;
}

const OWN_USES = /^slotline\/slotline\/actions\/([a-z0-9-]+)@\S+$/;

function yamlBlocks(path: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    blocks.push({ where: `${path}:${start + 1}`, text: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

function declaredInputs(action: string): string[] | undefined {
  const file = join(repoRoot, 'actions', action, 'action.yml');
  if (!existsSync(file)) return undefined;
  return Object.keys((parse(readFileSync(file, 'utf8')) as { inputs?: object }).inputs ?? {});
}

interface OwnStep {
  action: string;
  with: Record<string, unknown>;
}

/** Every step in a block that uses one of slotline's actions. */
function ownSteps(block: Block): OwnStep[] {
  const steps: OwnStep[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const step = node as { uses?: unknown; with?: unknown };
    const match = typeof step.uses === 'string' ? OWN_USES.exec(step.uses) : null;
    if (match) steps.push({ action: match[1]!, with: (step.with as Record<string, unknown> | null) ?? {} });
    Object.values(node).forEach(visit);
  };
  visit(parse(block.text));
  return steps;
}

/**
 * A gate-on-metrics step's inputs through the action's parser. Values that are workflow expressions are
 * left out (the runner fills them in); required ones the example leaves to "the same inputs" get samples.
 */
async function gateInputProblems(step: OwnStep): Promise<string | undefined> {
  const given = Object.fromEntries(
    Object.entries(step.with)
      .map(([k, v]) => [k, String(v)] as const)
      .filter(([, v]) => !v.includes('${{')),
  );
  try {
    await gateOnMetricsInputs(
      inputEnv({
        'subscription-id': '00000000-0000-4000-8000-000000000000',
        'resource-group': 'rg',
        'app-name': 'web',
        ...given,
      }),
    );
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Problems of one block: YAML errors, unknown slotline actions, inputs an action does not declare. */
function blockProblems(block: Block): string[] {
  const doc = parseDocument(block.text, { uniqueKeys: true });
  if (doc.errors.length > 0) return doc.errors.map((e) => `${block.where}: ${e.message.split('\n')[0]}`);
  const problems: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const step = node as { uses?: unknown; with?: unknown };
    const match = typeof step.uses === 'string' ? OWN_USES.exec(step.uses) : null;
    if (match) {
      const inputs = declaredInputs(match[1]!);
      if (!inputs) problems.push(`${block.where}: ${step.uses} names no action in actions/`);
      else
        for (const key of Object.keys((step.with as object | null) ?? {}))
          if (!inputs.includes(key)) problems.push(`${block.where}: ${step.uses} has no input "${key}"`);
    }
    Object.values(node).forEach(visit);
  };
  visit(doc.toJS());
  return problems;
}

const examples = existsSync(join(repoRoot, 'examples'))
  ? readdirSync(join(repoRoot, 'examples'))
      .filter((dir) => existsSync(join(repoRoot, 'examples', dir, 'README.md')))
      .map((dir) => `examples/${dir}/README.md`)
  : [];
const pages = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const starters = readdirSync(join(repoRoot, 'workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `workflows/${f}`);

const blocks: Block[] = [
  ...[...examples, ...pages].flatMap((path) => yamlBlocks(path, readFileSync(join(repoRoot, path), 'utf8'))),
  ...starters.map((path) => ({ where: path, text: readFileSync(join(repoRoot, path), 'utf8') })),
];

test('the hand-written examples and starters hold YAML to check, gate-on-metrics among them', () => {
  expect(examples).toContain('examples/gate-on-metrics/README.md');
  expect(starters).toContain('workflows/gate-on-metrics.yml');
  expect(blocks.filter((b) => b.where.startsWith('examples/gate-on-metrics/')).length).toBeGreaterThan(2);
  // The pinning examples in the README and docs/pipeline.md.
  expect(blocks.filter((b) => b.where.startsWith('README.md:')).length).toBeGreaterThan(0);
  expect(blocks.filter((b) => b.where.startsWith('docs/pipeline.md:')).length).toBeGreaterThan(0);
});

describe.each(blocks.map((b) => [b.where, b] as const))('%s', (_where, block) => {
  test("parses, and uses slotline's actions with declared inputs only", () => {
    expect(blockProblems(block)).toEqual([]);
  });

  test("its gate-on-metrics steps' inputs pass the action's parser", async () => {
    const gates = ownSteps(block).filter((s) => s.action === 'gate-on-metrics');
    const problems = await Promise.all(gates.map(gateInputProblems));
    expect(problems.filter((p) => p !== undefined)).toEqual([]);
  });
});

test("a gate-on-metrics step with a bad check fails the parser's check", async () => {
  const [step] = ownSteps({
    where: 'bad.md:1',
    text: '- uses: slotline/slotline/actions/gate-on-metrics@v1\n  with:\n    checks: |\n      - name: error-rate\n        threshold: "< 1ms"\n',
  });
  expect(await gateInputProblems(step!)).toMatch(/threshold uses ms/);
  expect(
    await gateInputProblems({
      action: 'gate-on-metrics',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, left out of the parse.
      with: { count: '${{ inputs.count }}', interval: '1m' },
    }),
  ).toBeUndefined();
});

test('rejects a block that does not parse, a duplicate key, an unknown action and an undeclared input', () => {
  const bad = (text: string) => blockProblems({ where: 'bad.md:1', text });
  expect(bad('steps:\n  - uses: [unterminated\n')).not.toEqual([]);
  expect(bad('with:\n  a: 1\n  a: 2\n')).not.toEqual([]);
  expect(bad('- uses: slotline/slotline/actions/no-such-action@v1\n')).toEqual([
    'bad.md:1: slotline/slotline/actions/no-such-action@v1 names no action in actions/',
  ]);
  expect(
    bad(
      'jobs:\n  a:\n    steps:\n      - uses: slotline/slotline/actions/gate-on-metrics@v1\n        with:\n          app-name: web\n          threshold: 1\n',
    ),
  ).toEqual(['bad.md:1: slotline/slotline/actions/gate-on-metrics@v1 has no input "threshold"']);
});

test('finds every ```yaml block of a Markdown file, and only those', () => {
  const md = ['# t', '```yaml', 'a: 1', '```', 'text', '```json', '{}', '```', '```yml', 'b: 2', '```'].join(
    '\n',
  );
  expect(yamlBlocks('x.md', md)).toEqual([
    { where: 'x.md:3', text: 'a: 1' },
    { where: 'x.md:10', text: 'b: 2' },
  ]);
});
