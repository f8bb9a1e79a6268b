import { realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type AzureInputs, readAzureInputs, readResourceGroup } from '../lib/azure/inputs.js';
import { InputError } from '../lib/errors.js';
import { type Env, InputReader } from '../lib/inputs.js';
import { findControlCharacter } from '../lib/log-safe.js';
import { isInside } from '../lib/which.js';
import {
  DEPLOYMENT_NAME,
  declaredList,
  declaredName,
  defaultDeploymentName,
  isSecureType,
  type ParameterValue,
  readParametersFile,
  readTemplate,
  secureValues,
  type TemplateInfo,
  typeOverride,
} from './template.js';
import { CHANGE_TYPES, type ChangeType } from './what-if.js';

/** deploy: validate, what-if, create. what-if: validate and what-if only (pull requests). validate: validate only. */
export type Operation = 'deploy' | 'what-if' | 'validate';
export const OPERATIONS: readonly Operation[] = ['deploy', 'what-if', 'validate'];

/** ARM refuses a template over 4 MiB; a larger file is not read. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** The longest deployment deadline: a job runs at most 6 h on GitHub's runners. */
const MAX_TIMEOUT_MS = 6 * 3_600_000;

export interface DeployInfraInputs {
  azure: AzureInputs;
  resourceGroup: string;
  /** The template file as given (relative to the workspace), for messages. */
  templatePath: string;
  template: TemplateInfo;
  /** The parameters file's values, then the overrides, by the template's spelling of each name. */
  parameters: Record<string, ParameterValue>;
  /** The values of securestring and secureobject parameters, from the file and the overrides, to mask. */
  secrets: string[];
  operation: Operation;
  deploymentName: string;
  failOnChangeTypes: ChangeType[];
  timeoutMs: number;
}

/**
 * A JSON file inside the workspace (GITHUB_WORKSPACE, else the working directory), checked as written and
 * with symlinks resolved, read and parsed. Every refusal names the input.
 */
async function readWorkspaceJson(
  reader: InputReader,
  name: string,
  value: string,
  env: Env,
): Promise<unknown> {
  const expected = 'must be the path of a JSON file inside the workspace (GITHUB_WORKSPACE)';
  const control = findControlCharacter(value);
  if (control) reader.fail(name, `${expected}, without control characters (found ${control})`);
  const root = resolve(env['GITHUB_WORKSPACE'] || process.cwd());
  const file = resolve(root, value);
  if (!isInside(file, root) || file === root) reader.fail(name, expected, value);
  let real: string;
  let size: number;
  try {
    real = realpathSync(file);
    const stat = statSync(real);
    if (!stat.isFile()) reader.fail(name, `${expected}; it is not a file`, value);
    size = stat.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    return reader.fail(name, `${expected}; it does not exist`, value);
  }
  let realRoot = root;
  try {
    realRoot = realpathSync(root);
  } catch {
    // The workspace itself is missing: the file check above already failed.
  }
  if (!isInside(real, realRoot)) reader.fail(name, `${expected}; it links outside the workspace`, value);
  if (size > MAX_FILE_BYTES) reader.fail(name, `${expected} of at most 4 MiB (ARM's limit)`, value);
  try {
    return JSON.parse(await readFile(real, 'utf8'));
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0] ?? '';
    throw new InputError(`Input "${name}" must be a JSON file; ${JSON.stringify(value)} is not: ${reason}.`);
  }
}

async function readTemplateInput(
  reader: InputReader,
  env: Env,
): Promise<{ path: string; info: TemplateInfo }> {
  const path = reader.required('template');
  const doc = await readWorkspaceJson(reader, 'template', path, env);
  const info = readTemplate(doc);
  if (typeof info === 'string')
    reader.fail('template', `must be an ARM JSON template (with $schema and resources); ${info}`, path);
  return { path, info };
}

async function readParametersInput(
  reader: InputReader,
  env: Env,
  info: TemplateInfo,
): Promise<Record<string, ParameterValue>> {
  const path = reader.raw('parameters');
  if (path === undefined) return {};
  const doc = await readWorkspaceJson(reader, 'parameters', path, env);
  const values = readParametersFile(doc);
  if (typeof values === 'string')
    reader.fail('parameters', `must be a deploymentParameters JSON file; ${values}`, path);
  const out: Record<string, ParameterValue> = {};
  for (const [name, entry] of Object.entries(values)) {
    const declared = declaredName(info, name);
    if (!declared)
      throw new InputError(
        `Input "parameters" sets parameter "${name}", which the template does not declare (${declaredList(info)}).`,
      );
    out[declared] = entry;
  }
  return out;
}

/** `parameter-overrides`: a YAML mapping NAME: value, each typed as the template declares NAME. */
async function readOverrides(
  reader: InputReader,
  info: TemplateInfo,
): Promise<Record<string, ParameterValue>> {
  const name = 'parameter-overrides';
  const expected = 'a mapping of template parameter names to values';
  const doc = await reader.yamlDocument(name, expected);
  if (doc === undefined || doc.contents === null) return {};
  // Loaded on use, as InputReader loads it: a run without overrides does not pay for the parser.
  const { isMap, isScalar, isSeq } = await import('yaml');
  if (!isMap(doc.contents)) throw new InputError(`Input "${name}" must be ${expected}.`);
  const out: Record<string, ParameterValue> = {};
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== 'string' || key === '')
      throw new InputError(`Input "${name}" must be ${expected}; a key is not a name.`);
    const declared = declaredName(info, key);
    if (!declared)
      throw new InputError(
        `Input "${name}" names parameter ${JSON.stringify(key.slice(0, 80))}, which the template does not declare (${declaredList(info)}).`,
      );
    const type = info.parameters.get(declared)!;
    const node = pair.value;
    let value: unknown;
    try {
      // Aliases are expanded with yaml's default cap (an alias bomb fails here).
      value =
        node === null ? null : isScalar(node) || isMap(node) || isSeq(node) ? node.toJS(doc) : undefined;
    } catch (error) {
      throw new InputError(
        `Input "${name}" parameter "${declared}" could not be read: ${(error as Error).message.split('\n')[0]}.`,
      );
    }
    const text = isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
    const typed = typeOverride(type, { value, ...(text === undefined ? {} : { text }) });
    if ('expected' in typed) {
      const shown = isSecureType(type) ? ' (value hidden)' : '';
      throw new InputError(
        `Input "${name}" parameter "${declared}" must be ${typed.expected}: the template declares it ${type}${shown}.`,
      );
    }
    out[declared] = { value: typed.value };
  }
  return out;
}

function readFailOn(reader: InputReader): ChangeType[] {
  const items = reader.list('fail-on-change-types', { comma: true });
  const out: ChangeType[] = [];
  for (const item of items) {
    const type = CHANGE_TYPES.find((t) => t.toLowerCase() === item.toLowerCase());
    if (!type) reader.fail('fail-on-change-types', `must be a list of ${CHANGE_TYPES.join(', ')}`, item);
    if (!out.includes(type)) out.push(type);
  }
  return out;
}

/** The only place that knows deploy-infra's input names. Paths are relative to GITHUB_WORKSPACE. */
export async function parseInputs(env: Env): Promise<DeployInfraInputs> {
  const reader = new InputReader(env);
  const azure = readAzureInputs(reader);
  const resourceGroup = readResourceGroup(reader);
  const { path: templatePath, info: template } = await readTemplateInput(reader, env);
  const fromFile = await readParametersInput(reader, env, template);
  const overrides = await readOverrides(reader, template);
  const operation = reader.enum<Operation>('operation', OPERATIONS, 'deploy');
  const deploymentName =
    reader.string('deployment-name', {
      pattern: DEPLOYMENT_NAME,
      expected: "a deployment name (1-64 letters, digits, '-', '_', '.', '(' and ')')",
    }) ?? defaultDeploymentName(templatePath, env['GITHUB_RUN_ID'], env['GITHUB_RUN_ATTEMPT']);
  const failOnChangeTypes = readFailOn(reader);
  const timeoutMs = reader.duration('timeout', { default: '60m', min: 1000, max: MAX_TIMEOUT_MS })!;
  return {
    azure,
    resourceGroup,
    templatePath,
    template,
    parameters: { ...fromFile, ...overrides },
    // The file's too when an override replaces it: a secret is a secret whether or not it is deployed.
    secrets: [...new Set([...secureValues(template, fromFile), ...secureValues(template, overrides)])],
    operation,
    deploymentName,
    failOnChangeTypes,
    timeoutMs,
  };
}
