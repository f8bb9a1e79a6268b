/**
 * Pure logic over an ARM JSON template and its parameters: what makes a file a template, the types its
 * parameters declare, typing `parameter-overrides` values by those types, merging a deploymentParameters
 * file with the overrides, and the default deployment name. No file system, no Azure.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The parameter types ARM templates declare, lower-cased (ARM compares them without case). */
export type ParameterType = 'string' | 'securestring' | 'int' | 'bool' | 'object' | 'secureobject' | 'array';
const PARAMETER_TYPES: readonly ParameterType[] = [
  'string',
  'securestring',
  'int',
  'bool',
  'object',
  'secureobject',
  'array',
];

export interface TemplateInfo {
  /** The template as parsed, sent to ARM as it is. */
  template: Record<string, Json>;
  /** Declared parameters by name as the template spells it, with their lower-cased types. */
  parameters: Map<string, ParameterType>;
}

/** A parameter as ARM takes it in a deployment: a value, or a Key Vault reference (from a parameters file). */
export type ParameterValue = { value: Json } | { reference: Json };

export const isSecureType = (type: ParameterType | undefined): boolean =>
  type === 'securestring' || type === 'secureobject';

const isObject = (v: unknown): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Why a parsed JSON document is not an ARM template, or its parameters. A template is an object with a
 * `$schema` string and `resources` (an array, or an object in languageVersion 2.0); each parameter
 * declares one of ARM's types.
 */
export function readTemplate(doc: unknown): TemplateInfo | string {
  if (!isObject(doc)) return 'it is not a JSON object';
  if (typeof doc['$schema'] !== 'string') return 'it has no $schema';
  const resources = doc['resources'];
  if (!Array.isArray(resources) && !isObject(resources)) return 'it has no resources';
  const declared = doc['parameters'] ?? {};
  if (!isObject(declared)) return 'its parameters are not an object';
  const parameters = new Map<string, ParameterType>();
  for (const [name, spec] of Object.entries(declared)) {
    const type = isObject(spec) && typeof spec['type'] === 'string' ? spec['type'].toLowerCase() : undefined;
    if (!type || !(PARAMETER_TYPES as readonly string[]).includes(type))
      return `its parameter ${JSON.stringify(name)} declares no type ARM knows (${PARAMETER_TYPES.join(', ')})`;
    parameters.set(name, type as ParameterType);
  }
  return { template: doc, parameters };
}

/** The template's own spelling of a parameter name (ARM matches names without case), or undefined. */
export function declaredName(info: Pick<TemplateInfo, 'parameters'>, name: string): string | undefined {
  if (info.parameters.has(name)) return name;
  const lower = name.toLowerCase();
  return [...info.parameters.keys()].find((n) => n.toLowerCase() === lower);
}

/** The declared names for an error message, at most ten. */
export function declaredList(info: Pick<TemplateInfo, 'parameters'>): string {
  const names = [...info.parameters.keys()];
  if (names.length === 0) return 'it declares none';
  return `it declares ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}`;
}

/**
 * A parameters file (deploymentParameters JSON): its `parameters`, each `{ value }` or `{ reference }`.
 * Returns why not, as a string, when it is not one.
 */
export function readParametersFile(doc: unknown): Record<string, ParameterValue> | string {
  if (!isObject(doc)) return 'it is not a JSON object';
  const parameters = doc['parameters'];
  if (!isObject(parameters)) return 'it has no parameters object';
  const out: Record<string, ParameterValue> = {};
  for (const [name, entry] of Object.entries(parameters)) {
    if (isObject(entry) && 'value' in entry) out[name] = { value: entry['value'] as Json };
    else if (isObject(entry) && isObject(entry['reference'])) out[name] = { reference: entry['reference'] };
    else return `its parameter ${JSON.stringify(name)} has neither a value nor a Key Vault reference`;
  }
  return out;
}

/** A YAML value as the override gave it: the parsed JS value and, for a scalar, its text as written. */
export interface OverrideValue {
  value: unknown;
  /** The scalar's source text (so `1.10` stays "1.10" for a string parameter); undefined for maps and lists. */
  text?: string;
}

const INT = /^[-+]?\d+$/;

/**
 * An override's value typed as the template declares its parameter: string/securestring take a scalar's
 * text as written; int a whole number; bool true or false; object/secureobject a mapping; array a list.
 * Returns the value, or what was expected as a string.
 */
export function typeOverride(
  type: ParameterType,
  given: OverrideValue,
): { value: Json } | { expected: string } {
  const { value, text } = given;
  switch (type) {
    case 'string':
    case 'securestring':
      if (value === null || typeof value === 'object') return { expected: 'a string' };
      return { value: text ?? String(value) };
    case 'int': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && INT.test(value)
            ? Number(value)
            : NaN;
      if (!Number.isSafeInteger(n)) return { expected: 'a whole number' };
      return { value: n };
    }
    case 'bool':
      if (typeof value === 'boolean') return { value };
      if (value === 'true' || value === 'false') return { value: value === 'true' };
      return { expected: 'true or false' };
    case 'object':
    case 'secureobject':
      if (!isObject(value)) return { expected: 'a mapping (an object)' };
      return { value };
    case 'array':
      if (!Array.isArray(value)) return { expected: 'a list (an array)' };
      return { value: value as Json[] };
  }
}

/**
 * The values of the secure parameters (securestring, secureobject) among the deployment's parameters, as
 * text to mask: each string leaf, at least 3 characters (shorter ones would mask ordinary words).
 */
export function secureValues(
  info: Pick<TemplateInfo, 'parameters'>,
  parameters: Record<string, ParameterValue>,
): string[] {
  const out = new Set<string>();
  const collect = (v: Json): void => {
    if (typeof v === 'string') {
      if (v.trim().length >= 3) out.add(v);
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      if (String(v).length >= 3) out.add(String(v));
    } else if (Array.isArray(v)) v.forEach(collect);
    else if (v !== null) Object.values(v).forEach(collect);
  };
  for (const [name, entry] of Object.entries(parameters)) {
    const declared = declaredName(info, name);
    if (declared && isSecureType(info.parameters.get(declared)) && 'value' in entry) {
      collect(entry.value);
      if (typeof entry.value === 'object' && entry.value !== null) out.add(JSON.stringify(entry.value));
    }
  }
  return [...out];
}

/** ARM's deployment names: 1-64 letters, digits, `-`, `_`, `.`, `(` and `)`. */
export const DEPLOYMENT_NAME = /^[-\w.()]{1,64}$/;

/**
 * The default deployment name: the template file's name without `.json`, then the run id and attempt
 * when GitHub sets them (`main-12345678-1`). Characters ARM refuses become `-`; the name part is cut so
 * that the whole stays within 64 characters and the run id and attempt are kept.
 */
export function defaultDeploymentName(templateFile: string, runId?: string, runAttempt?: string): string {
  const base = (templateFile.split('/').pop() ?? 'template').replace(/\.json$/i, '');
  const clean = (s: string) => s.replace(/[^-\w.()]/g, '-');
  const suffix = runId ? `-${clean(runId)}-${clean(runAttempt || '1')}` : '';
  const room = Math.max(1, 64 - suffix.length);
  const name = (clean(base) || 'template').slice(0, room);
  return `${name}${suffix}`.slice(0, 64);
}
