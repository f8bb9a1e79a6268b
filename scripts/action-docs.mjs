// Generates action-docs/<name>.md from each action.yml, so the reference can never drift from the
// declarations. Hand-written examples live in examples/<action>/ and are linked, not generated, so
// action-docs/ holds only generated pages.
//
// action.yml's descriptions stay at most 125 characters (GitHub shows no more; the contract test checks
// it). Detail beyond that lives in actions/<name>/details.yml: `description` (the action's), and
// `inputs` and `outputs` maps keyed by name. Each entry is added after the matching description; an entry
// for an input or output action.yml does not declare fails the generation.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { actionNames, repoRoot } from './actions.mjs';

const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

/** Problems of a details.yml against its action.yml: keys that name nothing the action declares. */
export function detailsProblems(name, action, details) {
  const problems = [];
  for (const key of Object.keys(details ?? {}))
    if (!['description', 'inputs', 'outputs'].includes(key))
      problems.push(`actions/${name}/details.yml: unknown key "${key}" (description, inputs, outputs)`);
  for (const kind of ['inputs', 'outputs'])
    for (const key of Object.keys(details?.[kind] ?? {}))
      if (!(key in (action[kind] ?? {})))
        problems.push(`actions/${name}/details.yml: ${kind}.${key} is not declared in action.yml`);
  return problems;
}

const withDetail = (description, detail) =>
  detail ? `${cell(description)} ${cell(detail)}` : cell(description);

export function renderActionDoc(name, action, details = {}) {
  const inputs = Object.entries(action.inputs ?? {});
  const outputs = Object.entries(action.outputs ?? {});
  const example = inputs
    .filter(([, spec]) => spec.required)
    .map(([input]) => `          ${input}: ...`)
    .join('\n');
  const lines = [
    `# ${name}`,
    '',
    `<!-- Generated from actions/${name}/action.yml and details.yml by \`npm run docs\`. Do not edit. -->`,
    '',
    cell(action.description),
    '',
    ...(details.description ? [cell(details.description), ''] : []),
    '## Usage',
    '',
    '```yaml',
    `      - uses: <owner>/slotline/actions/${name}@v1`,
    ...(example ? ['        with:', example] : []),
    '```',
    '',
    '## Inputs',
    '',
    '| Name | Required | Default | Description |',
    '| --- | --- | --- | --- |',
    ...inputs.map(
      ([input, spec]) =>
        `| \`${input}\` | ${spec.required ? 'yes' : 'no'} | ${spec.default === undefined ? '' : `\`${cell(spec.default)}\``} | ${withDetail(spec.description, details.inputs?.[input])} |`,
    ),
    '',
    '## Outputs',
    '',
    '| Name | Description |',
    '| --- | --- |',
    ...outputs.map(
      ([output, spec]) => `| \`${output}\` | ${withDetail(spec.description, details.outputs?.[output])} |`,
    ),
    '',
    `Runs on \`${action.runs?.using}\`.`,
  ];
  if (existsSync(join(repoRoot, 'examples', name, 'README.md'))) {
    lines.push('', `See [examples/${name}](../examples/${name}/README.md) for examples and notes.`);
  }
  return `${lines.join('\n')}\n`;
}

/** actions/<name>/details.yml, or {} when the action has none. */
export function readDetails(name) {
  const file = join(repoRoot, 'actions', name, 'details.yml');
  return existsSync(file) ? (parse(readFileSync(file, 'utf8')) ?? {}) : {};
}

export function writeActionDocs(outDir) {
  mkdirSync(outDir, { recursive: true });
  for (const name of actionNames()) {
    const action = parse(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8'));
    const details = readDetails(name);
    const problems = detailsProblems(name, action, details);
    if (problems.length > 0) throw new Error(problems.join('\n'));
    writeFileSync(join(outDir, `${name}.md`), renderActionDoc(name, action, details));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  writeActionDocs(join(repoRoot, 'action-docs'));
