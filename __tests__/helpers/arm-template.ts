import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './runner.js';

/*
 * Offline reading of infra/main.json: ARM template expressions parsed to a tree, checked against the list
 * of ARM template functions, and evaluated for the subset the template needs, with one parameter file's
 * values. What only Azure knows at deploy time (reference(), list*(), a securestring's value) evaluates
 * to a Deferred: a placeholder that keeps a readable text, so a test can see a value is deferred and what
 * it is made of, and can never mistake it for a literal.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Template {
  $schema: string;
  contentVersion: string;
  metadata?: Record<string, Json>;
  parameters: Record<string, TemplateParameter>;
  variables: Record<string, Json>;
  resources: TemplateResource[];
  outputs: Record<string, { type: string; value: Json }>;
}

export interface TemplateParameter {
  type: string;
  defaultValue?: Json;
  allowedValues?: Json[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
  maxLength?: number;
}

export interface TemplateResource {
  type: string;
  apiVersion: string;
  name: string;
  condition?: Json;
  scope?: string;
  dependsOn?: string[];
  [key: string]: Json | undefined;
}

export interface ParameterFile {
  $schema: string;
  contentVersion: string;
  parameters: Record<string, { value?: Json; reference?: Json }>;
}

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const infraDir = join(repoRoot, 'infra');
export const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
export const loadTemplate = (): Template => readJson<Template>(join(infraDir, 'main.json'));
export const loadParameters = (env: Environment): ParameterFile =>
  readJson<ParameterFile>(join(infraDir, 'parameters', `${env}.json`));

// ---------------------------------------------------------------------------------------------------------
// Parsing

export type Node =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'property'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

/** A JSON string that ARM evaluates: `[...]`, but not `[[...` (an escaped literal). */
export const isExpression = (text: string): boolean =>
  text.startsWith('[') && text.endsWith(']') && !text.startsWith('[[');

/** The expression tree of `[...]` text; throws one line naming the text on a syntax error. */
export function parseExpression(text: string): Node {
  const src = text.slice(1, -1);
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i} of ${text}`);
  };
  const skip = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++;
  };
  const expect = (ch: string) => {
    skip();
    if (src[i] !== ch) fail(`expected "${ch}"`);
    i++;
  };
  const identifier = (): string => {
    skip();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (!m) return fail('expected a name');
    i += m[0].length;
    return m[0];
  };
  const primary = (): Node => {
    skip();
    const ch = src[i];
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) fail('unterminated string');
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i++];
      }
      return { kind: 'string', value };
    }
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(i));
    if (num) {
      i += num[0].length;
      return { kind: 'number', value: Number(num[0]) };
    }
    const name = identifier();
    expect('(');
    const args: Node[] = [];
    skip();
    if (src[i] === ')') i++;
    else
      for (;;) {
        args.push(expression());
        skip();
        if (src[i] === ',') {
          i++;
          continue;
        }
        expect(')');
        break;
      }
    return { kind: 'call', name, args };
  };
  const expression = (): Node => {
    let node = primary();
    for (;;) {
      skip();
      if (src[i] === '.') {
        i++;
        node = { kind: 'property', target: node, name: identifier() };
      } else if (src[i] === '[') {
        i++;
        const index = expression();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const root = expression();
  skip();
  if (i !== src.length) fail('unexpected text');
  return root;
}

/** Every call in a tree, outermost first. */
export function callsIn(node: Node): Extract<Node, { kind: 'call' }>[] {
  switch (node.kind) {
    case 'call':
      return [node, ...node.args.flatMap(callsIn)];
    case 'property':
      return callsIn(node.target);
    case 'index':
      return [...callsIn(node.target), ...callsIn(node.index)];
    default:
      return [];
  }
}

/** Every string (values and object keys) in a JSON tree, with its JSON path. */
export function stringsIn(value: Json | undefined, path = '$'): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [
      { path: `${path} (key)`, text: k },
      ...stringsIn(v, `${path}.${k}`),
    ]);
  return [];
}

/**
 * The ARM template functions (Learn: azure-resource-manager/templates/template-functions, "Template
 * functions" by category: any, array, CIDR, comparison, date, deployment, lambda, logical, numeric,
 * object, resource, scope, string). ARM compares function names without case; so does the check.
 * Besides these, every `list*` function (listKeys, listSecrets, ...) is a resource function.
 */
export const ARM_FUNCTIONS = new Set(
  [
    // any
    'any',
    // array
    'array',
    'concat',
    'contains',
    'createArray',
    'empty',
    'first',
    'flatten',
    'indexFromEnd',
    'indexOf',
    'intersection',
    'last',
    'lastIndexOf',
    'length',
    'max',
    'min',
    'range',
    'skip',
    'take',
    'tryGet',
    'tryIndexFromEnd',
    'union',
    // CIDR
    'parseCidr',
    'cidrSubnet',
    'cidrHost',
    // comparison
    'coalesce',
    'equals',
    'greater',
    'greaterOrEquals',
    'less',
    'lessOrEquals',
    // date
    'dateTimeAdd',
    'dateTimeFromEpoch',
    'dateTimeToEpoch',
    'utcNow',
    // deployment
    'deployer',
    'deployment',
    'environment',
    'parameters',
    'variables',
    // lambda
    'filter',
    'groupBy',
    'lambda',
    'lambdaVariables',
    'map',
    'mapValues',
    'reduce',
    'sort',
    'toObject',
    // logical
    'and',
    'bool',
    'false',
    'if',
    'not',
    'or',
    'true',
    // numeric
    'add',
    'copyIndex',
    'div',
    'float',
    'int',
    'mod',
    'mul',
    'sub',
    // object
    'createObject',
    'items',
    'json',
    'null',
    'objectKeys',
    'shallowMerge',
    // resource
    'extensionResourceId',
    'managementGroupResourceId',
    'pickZones',
    'providers',
    'reference',
    'references',
    'resourceId',
    'subscriptionResourceId',
    'tenantResourceId',
    // scope
    'managementGroup',
    'resourceGroup',
    'subscription',
    'tenant',
    // string
    'base64',
    'base64ToJson',
    'base64ToString',
    'dataUri',
    'dataUriToString',
    'endsWith',
    'format',
    'guid',
    'join',
    'newGuid',
    'padLeft',
    'replace',
    'split',
    'startsWith',
    'string',
    'substring',
    'toLower',
    'toUpper',
    'trim',
    'uniqueString',
    'uri',
    'uriComponent',
    'uriComponentToString',
  ].map((name) => name.toLowerCase()),
);

export const isArmFunction = (name: string): boolean =>
  ARM_FUNCTIONS.has(name.toLowerCase()) || /^list[A-Za-z0-9]*$/i.test(name);

// ---------------------------------------------------------------------------------------------------------
// Evaluation

/** A value only Azure knows at deploy time; `text` shows what it is made of. */
export class Deferred {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Value = Json | Deferred | Value[] | { [key: string]: Value };

export interface Scope {
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  location: string;
}

export const TEST_SCOPE: Scope = {
  subscriptionId: '00000000-0000-4000-8000-000000000001',
  tenantId: '00000000-0000-4000-8000-000000000002',
  resourceGroup: 'rg-slotline-test',
  location: 'australiaeast',
};

const hash = (parts: string[]) => createHash('sha256').update(parts.join('-')).digest();

function evalArgs(values: Value[]): Deferred | undefined {
  const d = values.find((v) => v instanceof Deferred);
  return d as Deferred | undefined;
}

/** A template with one environment's parameters: evaluates expressions and JSON trees. */
export class Evaluator {
  private readonly params = new Map<string, Value>();
  private readonly vars = new Map<string, Value>();
  private readonly evaluating = new Set<string>();

  constructor(
    readonly template: Template,
    parameterFile: ParameterFile,
    readonly scope: Scope = TEST_SCOPE,
  ) {
    for (const [name, declared] of Object.entries(template.parameters)) {
      const given = parameterFile.parameters[name];
      if (given && 'value' in given) this.params.set(name, given.value as Json);
      else if (declared.type.toLowerCase().startsWith('secure'))
        this.params.set(name, new Deferred(`<${name}>`));
      else if (declared.defaultValue !== undefined) this.params.set(name, this.value(declared.defaultValue));
      else throw new Error(`parameter ${name} has no value and no default`);
    }
  }

  parameter(name: string): Value {
    if (!this.params.has(name)) throw new Error(`parameters('${name}') is not declared`);
    return this.params.get(name)!;
  }

  variable(name: string): Value {
    if (this.vars.has(name)) return this.vars.get(name)!;
    if (!(name in this.template.variables)) throw new Error(`variables('${name}') is not declared`);
    if (this.evaluating.has(name)) throw new Error(`variables('${name}') refers to itself`);
    this.evaluating.add(name);
    const v = this.value(this.template.variables[name]!);
    this.evaluating.delete(name);
    this.vars.set(name, v);
    return v;
  }

  /** A JSON tree with every expression (values and keys) evaluated. */
  value(json: Json): Value {
    if (typeof json === 'string') {
      if (isExpression(json)) return this.evaluate(parseExpression(json));
      return json.startsWith('[[') ? json.slice(1) : json;
    }
    if (Array.isArray(json)) return json.map((v) => this.value(v));
    if (json && typeof json === 'object')
      return Object.fromEntries(Object.entries(json).map(([k, v]) => [String(this.value(k)), this.value(v)]));
    return json;
  }

  evaluate(node: Node): Value {
    switch (node.kind) {
      case 'string':
      case 'number':
        return node.value;
      case 'property': {
        const target = this.evaluate(node.target);
        if (target instanceof Deferred) return new Deferred(`${target.text}.${node.name}`);
        if (target && typeof target === 'object' && !Array.isArray(target)) {
          const key = Object.keys(target).find((k) => k.toLowerCase() === node.name.toLowerCase());
          if (key === undefined) throw new Error(`no property ${node.name}`);
          return (target as Record<string, Value>)[key]!;
        }
        throw new Error(`.${node.name} of a non-object`);
      }
      case 'index': {
        const target = this.evaluate(node.target);
        const index = this.evaluate(node.index);
        if (target instanceof Deferred || index instanceof Deferred)
          return new Deferred(`${String(target)}[${String(index)}]`);
        if (Array.isArray(target) && typeof index === 'number') return target[index]!;
        if (target && typeof target === 'object' && typeof index === 'string')
          return (target as Record<string, Value>)[index]!;
        throw new Error('bad index');
      }
      case 'call':
        return this.call(node);
    }
  }

  private call(node: Extract<Node, { kind: 'call' }>): Value {
    const name = node.name.toLowerCase();
    // if() evaluates only the branch it takes, as ARM does.
    if (name === 'if') {
      const cond = this.evaluate(node.args[0]!);
      if (cond instanceof Deferred) return new Deferred(`if(${cond.text}, ...)`);
      return this.evaluate(node.args[cond ? 1 : 2]!);
    }
    const args = node.args.map((a) => this.evaluate(a));
    if (name === 'reference' || name === 'references' || name.startsWith('list'))
      return new Deferred(`${node.name}(${args.map(String).join(', ')})`);
    if (name === 'format') {
      const [fmt, ...rest] = args;
      const text = String(fmt).replace(/\{(\d+)(:[^}]*)?\}/g, (_, n: string) => String(rest[Number(n)]));
      return evalArgs(args) ? new Deferred(text) : text;
    }
    const deferred = evalArgs(args);
    if (deferred) return new Deferred(`${node.name}(${args.map(String).join(', ')})`);
    const s = this.scope;
    const rgId = `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}`;
    switch (name) {
      case 'parameters':
        return this.parameter(String(args[0]));
      case 'variables':
        return this.variable(String(args[0]));
      case 'resourcegroup':
        return { id: rgId, name: s.resourceGroup, location: s.location };
      case 'subscription':
        return {
          id: `/subscriptions/${s.subscriptionId}`,
          subscriptionId: s.subscriptionId,
          tenantId: s.tenantId,
        };
      case 'resourceid':
        return resourceId(args.map(String), s);
      case 'subscriptionresourceid': {
        const [type, ...names] = args.map(String);
        return `/subscriptions/${s.subscriptionId}${providerPath(type!, names)}`;
      }
      case 'extensionresourceid': {
        const [scopeId, type, ...names] = args.map(String);
        return `${scopeId}${providerPath(type!, names)}`;
      }
      case 'concat':
        return args.every(Array.isArray) ? (args as Value[][]).flat() : args.map(String).join('');
      case 'string':
        return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
      case 'int':
        return Number.parseInt(String(args[0]), 10);
      case 'bool':
        return args[0] === true || String(args[0]).toLowerCase() === 'true';
      case 'true':
        return true;
      case 'false':
        return false;
      case 'equals':
        return JSON.stringify(args[0]) === JSON.stringify(args[1]);
      case 'not':
        return !args[0];
      case 'and':
        return args.every(Boolean);
      case 'or':
        return args.some(Boolean);
      case 'tolower':
        return String(args[0]).toLowerCase();
      case 'toupper':
        return String(args[0]).toUpperCase();
      case 'take':
        return Array.isArray(args[0])
          ? args[0].slice(0, Number(args[1]))
          : String(args[0]).slice(0, Number(args[1]));
      case 'length':
        return Array.isArray(args[0]) ? args[0].length : String(args[0]).length;
      case 'empty':
        return Array.isArray(args[0]) || typeof args[0] === 'string' ? args[0].length === 0 : args[0] == null;
      case 'createarray':
        return args;
      case 'uniquestring':
        // A stand-in with the right shape (13 lower-case base32 characters), not Azure's MurmurHash64A.
        return [...hash(args.map(String)).subarray(0, 13)]
          .map((b) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32])
          .join('');
      case 'guid': {
        const h = hash(args.map(String)).toString('hex');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
      }
      case 'cidrsubnet':
        return cidrSubnet(String(args[0]), Number(args[1]), Number(args[2]));
      case 'uricomponent':
        return encodeURIComponent(String(args[0]));
      default:
        if (!isArmFunction(node.name)) throw new Error(`${node.name}() is not an ARM template function`);
        return new Deferred(`${node.name}(${args.map(String).join(', ')}) (not evaluated offline)`);
    }
  }

  /** The resources this environment deploys (condition true), evaluated. */
  resources(): EvaluatedResource[] {
    return this.template.resources
      .filter((r) => r.condition === undefined || this.value(r.condition) === true)
      .map((r) => {
        const evaluated = this.value(r as unknown as Json) as EvaluatedResource;
        return { ...evaluated, id: idOf(evaluated, this.scope) };
      });
  }
}

export interface EvaluatedResource {
  type: string;
  name: string;
  id: string;
  scope?: string;
  properties?: Record<string, Value>;
  [key: string]: Value | undefined;
}

function providerPath(type: string, names: string[]): string {
  const [namespace, ...types] = type.split('/');
  if (types.length !== names.length) throw new Error(`resourceId of ${type} needs ${types.length} names`);
  return `/providers/${namespace}${types.map((t, i) => `/${t}/${names[i]}`).join('')}`;
}

/** resourceId([subscriptionId], [resourceGroupName], type, name...), resource-group scope. */
function resourceId(args: string[], s: Scope): string {
  const typeAt = args.findIndex((a) => /^[A-Za-z0-9]+\.[A-Za-z0-9.]+\/[A-Za-z0-9/]+$/.test(a));
  if (typeAt < 0) throw new Error(`resourceId(${args.join(', ')}) has no resource type`);
  const before = args.slice(0, typeAt);
  const sub = before.length === 2 ? before[0] : s.subscriptionId;
  const rg = before.length >= 1 ? before[before.length - 1] : s.resourceGroup;
  return `/subscriptions/${sub}/resourceGroups/${rg}${providerPath(args[typeAt]!, args.slice(typeAt + 1))}`;
}

/** The id a resource declared at the top level gets (`parent/child` names split over the type's segments). */
function idOf(r: EvaluatedResource, s: Scope): string {
  if (typeof r.name !== 'string') return `<deferred ${r.type}>`;
  const names = r.name.split('/');
  const base = `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}`;
  const scope = typeof r.scope === 'string' ? `${base}/providers/${r.scope}` : base;
  return `${scope}${providerPath(r.type, names)}`;
}

/** ARM's cidrSubnet for IPv4: the `index`th subnet of length `bits` in `network`. */
export function cidrSubnet(network: string, bits: number, index: number): string {
  const [address, length] = network.split('/');
  const prefix = Number(length);
  if (bits < prefix || bits > 32) throw new Error(`cidrSubnet(${network}, ${bits}): bad length`);
  const base = address!.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const start = base + index * 2 ** (32 - bits);
  if (index >= 2 ** (bits - prefix))
    throw new Error(`cidrSubnet(${network}, ${bits}, ${index}): out of range`);
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256);
  return `${octets.join('.')}/${bits}`;
}
