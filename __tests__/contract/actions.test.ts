import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { parse } from 'yaml';
import { detailsProblems, readDetails, renderActionDoc } from '../../scripts/action-docs.mjs';
import { InputReader } from '../../src/lib/inputs.js';
import { repoRoot } from '../helpers/runner.js';
import { REQUIRED_INPUT_SAMPLES } from './samples.js';

interface InputSpec {
  description?: string;
  required?: boolean;
  default?: string;
}
interface ActionYml {
  name: string;
  description: string;
  inputs?: Record<string, InputSpec>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main: string };
}

const actionNames = readdirSync(join(repoRoot, 'actions')).filter((n) =>
  existsSync(join(repoRoot, 'actions', n, 'action.yml')),
);
const actions = new Map<string, ActionYml>(
  actionNames.map((n) => [
    n,
    parse(readFileSync(join(repoRoot, 'actions', n, 'action.yml'), 'utf8')) as ActionYml,
  ]),
);

/** The env names parseInputs() reads, recorded through a Proxy over a sample environment. */
async function inputsRead(name: string, action: ActionYml): Promise<Set<string>> {
  const { parseInputs } = (await import(join(repoRoot, 'src', name, 'inputs.ts'))) as {
    parseInputs: (env: Record<string, string | undefined>) => unknown;
  };
  const env: Record<string, string> = {};
  for (const [input, spec] of Object.entries(action.inputs ?? {})) {
    const sample = REQUIRED_INPUT_SAMPLES[input];
    if (spec.required && sample === undefined)
      throw new Error(`add a sample for required input "${input}" to __tests__/contract/samples.ts`);
    // Inputs an action needs in some modes only (subscription-id) are given too, so that every read happens.
    if (sample !== undefined) env[`INPUT_${input.toUpperCase()}`] = sample;
  }
  const read = new Set<string>();
  const tracked = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string' && key.startsWith('INPUT_'))
        read.add(key.slice('INPUT_'.length).toLowerCase());
      return typeof key === 'string' ? target[key] : undefined;
    },
  });
  await parseInputs(tracked);
  return read;
}

const DESCRIPTION_LIMIT = 125;

type ParseInputs = (env: Record<string, string | undefined>) => unknown;

async function parserOf(name: string): Promise<ParseInputs> {
  return ((await import(join(repoRoot, 'src', name, 'inputs.ts'))) as { parseInputs: ParseInputs })
    .parseInputs;
}

/** The error parseInputs() throws for an env (INPUT_* from the given inputs), or undefined when it parses. */
async function parseError(name: string, inputs: Record<string, string>): Promise<string | undefined> {
  const parseInputs = await parserOf(name);
  const env = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  try {
    await parseInputs(env);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Samples for the inputs action.yml marks required, and nothing else. */
function requiredOnly(action: ActionYml): Record<string, string> {
  return Object.fromEntries(
    Object.entries(action.inputs ?? {})
      .filter(([, spec]) => spec.required)
      .map(([input]) => [input, REQUIRED_INPUT_SAMPLES[input] ?? '']),
  );
}

afterEach(() => {
  jest.restoreAllMocks();
});

test('there is at least one action', () => {
  expect(actionNames.length).toBeGreaterThan(0);
});

describe.each(actionNames)('action %s', (name) => {
  const action = actions.get(name)!;

  test('runs on node24 from its committed bundle', () => {
    expect(action.runs.using).toBe('node24');
    expect(action.runs.main).toBe(`../../dist/${name}/index.js`);
    expect(existsSync(join(repoRoot, 'actions', name, action.runs.main))).toBe(true);
  });

  test('has the source layout every action shares', () => {
    for (const file of ['index.ts', 'main.ts', 'inputs.ts'])
      expect(existsSync(join(repoRoot, 'src', name, file))).toBe(true);
    expect(readFileSync(join(repoRoot, 'src', name, 'index.ts'), 'utf8')).toMatch(/await run\(\)/);
  });

  test('every declared input is read, and every input read is declared', async () => {
    const declared = new Set(Object.keys(action.inputs ?? {}));
    const read = await inputsRead(name, action);
    expect([...declared].filter((i) => !read.has(i))).toEqual([]);
    expect([...read].filter((i) => !declared.has(i))).toEqual([]);
  });

  // `required` in action.yml is what users read (GitHub does not enforce it): it must be what the parser
  // does. Conditional needs ("image is required when action is release") stay optional in action.yml and
  // say so in their description.
  test("action.yml's required flags are the parser's: no optional input is required at run time", async () => {
    const unconditional = new Set<string>();
    const original = InputReader.prototype.required;
    jest.spyOn(InputReader.prototype, 'required').mockImplementation(function (
      this: InputReader,
      input,
      opts,
    ) {
      unconditional.add(input);
      return original.call(this, input, opts);
    });
    await inputsRead(name, action);
    const markedRequired = Object.keys(requiredOnly(action));
    expect([...unconditional].filter((i) => !markedRequired.includes(i))).toEqual([]);
    expect(markedRequired.filter((i) => !unconditional.has(i))).toEqual([]);
    // The inputs marked required are enough to parse.
    expect(await parseError(name, requiredOnly(action))).toBeUndefined();
  });

  test('without one of its required inputs, the parser fails naming it', async () => {
    const required = requiredOnly(action);
    for (const input of Object.keys(required)) {
      const { [input]: _left, ...others } = required;
      expect([input, await parseError(name, others)]).toEqual([
        input,
        `Input "${input}" is required and was not supplied.`,
      ]);
    }
  });

  test('every input and output is documented', () => {
    for (const [input, spec] of Object.entries(action.inputs ?? {}))
      expect([input, spec.description?.length ?? 0]).not.toEqual([input, 0]);
    for (const [output, spec] of Object.entries(action.outputs ?? {}))
      expect([output, spec.description?.length ?? 0]).not.toEqual([output, 0]);
  });

  // GitHub shows 125 characters of a description; the rest goes to actions/<name>/details.yml, which
  // `npm run docs` adds to the generated page.
  test("its descriptions (the action's, every input's and output's) are at most 125 characters", () => {
    const long = [
      ['description', action.description] as const,
      ...Object.entries(action.inputs ?? {}).map(([i, spec]) => [`inputs.${i}`, spec.description] as const),
      ...Object.entries(action.outputs ?? {}).map(([o, spec]) => [`outputs.${o}`, spec.description] as const),
    ]
      .filter(([, text]) => (text?.trim().length ?? 0) > DESCRIPTION_LIMIT)
      .map(([where, text]) => `${where}: ${text!.trim().length}`);
    expect(long).toEqual([]);
  });

  test('its details.yml names only what action.yml declares, and the generated page carries the details', () => {
    const details = readDetails(name);
    expect(detailsProblems(name, action, details)).toEqual([]);
    const page = readFileSync(join(repoRoot, 'action-docs', `${name}.md`), 'utf8');
    expect(page).toBe(renderActionDoc(name, action, details));
  });

  test('has generated docs', () => {
    expect(existsSync(join(repoRoot, 'action-docs', `${name}.md`))).toBe(true);
  });
});

/**
 * Same name, different meaning, on purpose: deploy-slot's `slot` receives the image while
 * gate-on-metrics' `slot` is the canary it measures (and may be production); smoke-test's `checks` are
 * HTTP checks, gate-on-metrics' are metric checks. Each is the name users of the action expect.
 */
const PER_ACTION_INPUTS = new Set(['slot', 'checks']);
// subscription-id is required where the action calls Resource Manager and optional in build-image, which
// only signs in to a registry; contract/azure-inputs.test.ts holds both declarations to the shared table.
PER_ACTION_INPUTS.add('subscription-id');
// deploy-infra's resource-group is the group its template deploys to, the Web actions' the app's group;
// its timeout is the deployment's deadline, security-scan's the scan's time budget.
PER_ACTION_INPUTS.add('resource-group');
PER_ACTION_INPUTS.add('timeout');

test('inputs with the same name are declared identically in every action', () => {
  const seen = new Map<string, { action: string; spec: InputSpec }>();
  const mismatches: string[] = [];
  for (const [name, action] of actions) {
    for (const [input, spec] of Object.entries(action.inputs ?? {})) {
      if (PER_ACTION_INPUTS.has(input)) continue;
      const first = seen.get(input);
      const normal = {
        description: spec.description,
        required: spec.required ?? false,
        default: spec.default,
      };
      if (!first) seen.set(input, { action: name, spec: normal });
      else if (JSON.stringify(first.spec) !== JSON.stringify(normal))
        mismatches.push(`${input}: ${first.action} vs ${name}`);
    }
  }
  expect(mismatches).toEqual([]);
});

test('details.yml entries that name nothing the action declares are reported, and details reach the page', () => {
  const action: ActionYml = {
    name: 'x',
    description: 'Short.',
    inputs: { a: { description: 'Input a.' } },
    outputs: { o: { description: 'Output o.' } },
    runs: { using: 'node24', main: 'index.js' },
  };
  expect(detailsProblems('x', action, { inputs: { b: 'more' }, outputs: { a: 'more' }, extra: 1 })).toEqual([
    'actions/x/details.yml: unknown key "extra" (description, inputs, outputs)',
    'actions/x/details.yml: inputs.b is not declared in action.yml',
    'actions/x/details.yml: outputs.a is not declared in action.yml',
  ]);
  const page = renderActionDoc('x', action, {
    description: 'Long story.',
    inputs: { a: 'More on a.' },
    outputs: { o: 'More on o.' },
  });
  expect(page).toContain('Short.\n\nLong story.\n');
  expect(page).toContain('| `a` | no |  | Input a. More on a. |');
  expect(page).toContain('| `o` | Output o. More on o. |');
});
