// Generates action-docs/<name>.md from each action.yml, so the reference can never drift from the
// declarations. Hand-written examples live in examples/<action>/ and are linked, not generated, so
// action-docs/ holds only generated pages.
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

export function renderActionDoc(name, action) {
  const inputs = Object.entries(action.inputs ?? {});
  const outputs = Object.entries(action.outputs ?? {});
  const example = inputs
    .filter(([, spec]) => spec.required)
    .map(([input]) => `          ${input}: ...`)
    .join('\n');
  const lines = [
    `# ${name}`,
    '',
    '<!-- Generated from actions/' + name + '/action.yml by `npm run build`. Do not edit. -->',
    '',
    cell(action.description),
    '',
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
        `| \`${input}\` | ${spec.required ? 'yes' : 'no'} | ${spec.default === undefined ? '' : `\`${cell(spec.default)}\``} | ${cell(spec.description)} |`,
    ),
    '',
    '## Outputs',
    '',
    '| Name | Description |',
    '| --- | --- |',
    ...outputs.map(([output, spec]) => `| \`${output}\` | ${cell(spec.description)} |`),
    '',
    `Runs on \`${action.runs?.using}\`.`,
  ];
  if (existsSync(join(repoRoot, 'examples', name, 'README.md'))) {
    lines.push('', `See [examples/${name}](../examples/${name}/README.md) for examples and notes.`);
  }
  return `${lines.join('\n')}\n`;
}

export function writeActionDocs(outDir) {
  mkdirSync(outDir, { recursive: true });
  for (const name of actionNames()) {
    const action = parse(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8'));
    writeFileSync(join(outDir, `${name}.md`), renderActionDoc(name, action));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  writeActionDocs(join(repoRoot, 'action-docs'));
