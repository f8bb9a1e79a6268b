import { armGuid, uniqueString } from './hash.js';

/** A template error as ARM reports it: code `InvalidTemplate` (or another ARM code) and one message. */
export class TemplateError extends Error {
  /** Where in the template the fault is (`resources[4].properties.x`), when known: ARM's TemplateViolation path. */
  path?: string;

  constructor(
    message: string,
    readonly code = 'InvalidTemplate',
  ) {
    super(message);
  }

  /** Records where the fault is, unless a deeper place already did. */
  at(path: string | undefined): this {
    if (this.path === undefined && path !== undefined) this.path = path;
    return this;
  }
}

/** `a.b[2].c`: a JSON path one step deeper. */
export const childPath = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'prop'; target: Node; name: string }
  | { k: 'index'; target: Node; index: Node };

/** What an expression can see: the template's parameters and variables, loops, and the deployment's scope. */
export interface EvalScope {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  copyIndex(loop: string | undefined): number;
  resourceGroup(): Record<string, unknown>;
  subscription(): Record<string, unknown>;
  deployment(): Record<string, unknown>;
  /** The resource's GET body (`full`) or its `properties`; throws DeferredValue when it is not there yet. */
  reference(id: string, apiVersion: string | undefined, full: boolean): unknown;
  /** A `list*()` call (`listKeys`…) on a resource: the action's response body. Without it, list* is unsupported. */
  list?(fn: string, id: string, apiVersion: string): unknown;
}

/** A string is an expression when it starts with `[` and ends with `]`; `[[` escapes a literal `[`. */
export function isExpression(value: string): boolean {
  return value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[');
}

/** Evaluate a template string: an expression, an escaped literal (`[[…` loses one `[`), or a plain string. */
export function evaluateString(value: string, scope: EvalScope): unknown {
  if (value.startsWith('[[')) return value.slice(1);
  if (!isExpression(value)) return value;
  return evaluate(parse(value.slice(1, -1)), scope);
}

/** Evaluate every string in a JSON value. */
export function evaluateDeep(value: unknown, scope: EvalScope): unknown {
  if (typeof value === 'string') return evaluateString(value, scope);
  if (Array.isArray(value)) return value.map((v) => evaluateDeep(v, scope));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[String(evaluateDeep(k, scope))] = evaluateDeep(v, scope);
    return out;
  }
  return value;
}

/**
 * Check every expression in a JSON value (keys included) before anything is evaluated, as ARM validates a
 * whole template on submission: a syntax error or a function ARM does not know fails even where the
 * expression would never be evaluated (an unused variable, a false `condition`'s body).
 */
export function checkExpressions(value: unknown, path = ''): void {
  const visit = (node: Node): void => {
    if (node.k === 'call') {
      const name = node.name.toLowerCase();
      if (name !== 'if' && !UNSUPPORTED.test(name) && !LIST.test(name) && !FUNCTIONS[name])
        throw new TemplateError(
          `The template function '${node.name}' is not valid. Please see https://aka.ms/arm-functions for usage details.`,
        ).at(path);
      for (const arg of node.args) visit(arg);
    } else if (node.k === 'prop') visit(node.target);
    else if (node.k === 'index') {
      visit(node.target);
      visit(node.index);
    }
  };
  if (typeof value === 'string') {
    if (!isExpression(value)) return;
    try {
      visit(parse(value.slice(1, -1)));
    } catch (error) {
      if (error instanceof TemplateError) error.at(path);
      throw error;
    }
  } else if (Array.isArray(value))
    value.forEach((v, i) => {
      checkExpressions(v, childPath(path, i));
    });
  else if (isObject(value))
    for (const [k, v] of Object.entries(value)) {
      checkExpressions(k, path);
      checkExpressions(v, childPath(path, k));
    }
}

/**
 * The first arguments of the `reference()` calls in a JSON value's expressions, evaluated where they can be
 * without a deployed resource (for ARM's implicit dependencies).
 */
export function referenceArguments(value: unknown, scope: EvalScope): string[] {
  const out: string[] = [];
  const walkNode = (node: Node): void => {
    if (node.k === 'call') {
      if (node.name.toLowerCase() === 'reference' && node.args[0]) {
        try {
          const arg = evaluate(node.args[0], scope);
          if (typeof arg === 'string') out.push(arg);
        } catch {
          // An argument that cannot be evaluated yet adds no implicit dependency.
        }
      }
      for (const a of node.args) walkNode(a);
    } else if (node.k === 'prop') walkNode(node.target);
    else if (node.k === 'index') {
      walkNode(node.target);
      walkNode(node.index);
    }
  };
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && isExpression(v)) {
      try {
        walkNode(parse(v.slice(1, -1)));
      } catch {
        // A syntax error is reported when the value is evaluated.
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- parsing

interface Token {
  t: 'id' | 'str' | 'num' | '(' | ')' | ',' | '.' | '[' | ']';
  v: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw syntax(text, 'a string literal is not terminated');
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += text[i++];
      }
      tokens.push({ t: 'str', v: s });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] ?? ''))) {
      const m = /^-?[0-9]+/.exec(text.slice(i))!;
      tokens.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i))!;
      tokens.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if ('(),.[]'.includes(c)) {
      tokens.push({ t: c as Token['t'], v: c });
      i++;
    } else {
      throw syntax(text, `the character '${c}' is not expected`);
    }
  }
  return tokens;
}

function syntax(text: string, why: string): TemplateError {
  return new TemplateError(`The template language expression '${text}' is not valid: ${why}.`);
}

/** Parse the inside of `[…]` into a tree. */
export function parse(text: string): Node {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (t: Token['t']) => {
    const tok = tokens[pos++];
    if (tok?.t !== t) throw syntax(text, `expected '${t}' at token ${pos}`);
    return tok;
  };
  const primary = (): Node => {
    const tok = tokens[pos++];
    if (!tok) throw syntax(text, 'the expression ended early');
    if (tok.t === 'str') return { k: 'lit', v: tok.v };
    if (tok.t === 'num') return { k: 'lit', v: Number(tok.v) };
    if (tok.t !== 'id') throw syntax(text, `the token '${tok.v}' is not expected`);
    expect('(');
    const args: Node[] = [];
    if (peek()?.t !== ')') {
      for (;;) {
        args.push(accessors(primary()));
        if (peek()?.t === ',') {
          pos++;
          continue;
        }
        break;
      }
    }
    expect(')');
    return { k: 'call', name: tok.v, args };
  };
  const accessors = (node: Node): Node => {
    for (;;) {
      const tok = peek();
      if (tok?.t === '.') {
        pos++;
        const name = expect('id');
        node = { k: 'prop', target: node, name: name.v };
      } else if (tok?.t === '[') {
        pos++;
        const index = accessors(primary());
        expect(']');
        node = { k: 'index', target: node, index };
      } else return node;
    }
  };
  const node = accessors(primary());
  if (pos !== tokens.length) throw syntax(text, `unexpected '${tokens[pos]!.v}' after the expression`);
  if (node.k === 'lit') throw syntax(text, 'the expression must be a function call');
  return node;
}

// ---------------------------------------------------------------- evaluation

function evaluate(node: Node, scope: EvalScope): unknown {
  switch (node.k) {
    case 'lit':
      return node.v;
    case 'prop':
      return member(evaluate(node.target, scope), node.name);
    case 'index': {
      const target = evaluate(node.target, scope);
      const index = evaluate(node.index, scope);
      if (Array.isArray(target)) {
        if (typeof index !== 'number' || index < 0 || index >= target.length)
          throw new TemplateError(
            `The language expression property array index '${String(index)}' is out of bounds.`,
          );
        return target[index];
      }
      return member(target, String(index));
    }
    case 'call':
      return call(node, scope);
  }
}

/** Object keys match case-insensitively, as in ARM. */
function member(target: unknown, name: string): unknown {
  if (!isObject(target))
    throw new TemplateError(
      `The language expression property '${name}' can't be evaluated, property name must be a string.`,
    );
  const key = Object.keys(target).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined)
    throw new TemplateError(
      `The language expression property '${name}' doesn't exist, available properties are '${Object.keys(target).join(', ')}'.`,
    );
  return target[key];
}

type Fn = (args: unknown[], scope: EvalScope, name: string) => unknown;

function call(node: Extract<Node, { k: 'call' }>, scope: EvalScope): unknown {
  const name = node.name.toLowerCase();
  if (name === 'if') {
    arity(node.name, node.args, 3, 3);
    const test = evaluate(node.args[0]!, scope);
    if (typeof test !== 'boolean') throw argType(node.name, 'a boolean');
    return evaluate(node.args[test ? 1 : 2]!, scope);
  }
  if (LIST.test(name) && scope.list) {
    const args = node.args.map((a) => evaluate(a, scope));
    arity(node.name, args, 2, 3);
    return scope.list(node.name, str(node.name, args[0]), str(node.name, args[1]));
  }
  if (UNSUPPORTED.test(name) || LIST.test(name))
    throw new TemplateError(`The template function '${node.name}' is not supported in the slotline sandbox.`);
  const fn = FUNCTIONS[name];
  if (!fn)
    throw new TemplateError(
      `The template function '${node.name}' is not valid. Please see https://aka.ms/arm-functions for usage details.`,
    );
  const args = node.args.map((a) => evaluate(a, scope));
  return fn(args, scope, node.name);
}

/** ARM functions the sandbox does not evaluate: refused as unsupported rather than as unknown. */
const UNSUPPORTED =
  /^(pickzones|providers|utcnow|newguid|datetimeadd|datetimefromepoch|datetimetoepoch|datauri|datauritostring|base64tojson|uri|uricomponenttostring|intersection|items|objectkeys|shallowmerge|tryget|filter|map|reduce|sort|toobject|lambda|lambdavariables|managementgroup|managementgroupresourceid|tenant|tenantresourceid|indexfromend|flatten|parsecidr|cidrhost)$/;

/** `listKeys`, `listSecrets`…: resource actions, evaluated through the scope's `list` (the deployment's). */
const LIST = /^list[a-z0-9]*$/;

function arity(name: string, args: unknown[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new TemplateError(
      `Unable to evaluate template language function '${name}': function requires ${expected} argument(s) while ${args.length} were provided. Please see https://aka.ms/arm-functions for usage details.`,
    );
  }
}

function argType(name: string, what: string): TemplateError {
  return new TemplateError(
    `Unable to evaluate template language function '${name}': the argument must be ${what}. Please see https://aka.ms/arm-functions for usage details.`,
  );
}

const str = (name: string, v: unknown): string => {
  if (typeof v !== 'string') throw argType(name, 'a string');
  return v;
};
const int = (name: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argType(name, 'an integer');
  return v;
};
const bool = (name: string, v: unknown): boolean => {
  if (typeof v !== 'boolean') throw argType(name, 'a boolean');
  return v;
};

function nonZero(name: string, v: number): number {
  if (v === 0)
    throw new TemplateError(`Unable to evaluate template language function '${name}': the divisor is zero.`);
  return v;
}

/** min/max take integers or one array of them. */
function numbers(name: string, args: unknown[]): number[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (list.length === 0) throw argType(name, 'at least one integer');
  return list.map((x) => int(name, x));
}

/** greater/less: two integers or two strings (ordinal). */
function compare(name: string, x: unknown, y: unknown): number {
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  throw argType(name, 'two integers or two strings');
}

/** A value as `concat`, `format` and `string` write it. */
function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

/** union() of objects: later values win; nested objects merge recursively (nested arrays are replaced). */
function mergeObjects(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const key = Object.keys(base).find((x) => x.toLowerCase() === k.toLowerCase()) ?? k;
    out[key] = isObject(v) && isObject(base[key]) ? mergeObjects(base[key] as Record<string, unknown>, v) : v;
  }
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => {
        const other = kb.find((x) => x.toLowerCase() === k.toLowerCase());
        return other !== undefined && deepEqual(a[k], b[other]);
      })
    );
  }
  return a === b;
}

/** A resource id from `[subscriptionId], [resourceGroupName], resourceType, names…`. */
function resourceIdOf(args: unknown[], scope: EvalScope, name: string, atGroup: boolean): string {
  arity(name, args, 2, Infinity);
  const strings = args.map((a) => str(name, a));
  const typeAt = strings.findIndex((s) => s.includes('/'));
  if (typeAt < 0) throw argType(name, "a resource type such as 'Microsoft.Web/sites'");
  const leading = strings.slice(0, typeAt);
  const type = strings[typeAt]!;
  const names = strings.slice(typeAt + 1);
  const typeParts = type.split('/');
  if (names.length !== typeParts.length - 1 || leading.length > (atGroup ? 2 : 1))
    throw new TemplateError(
      `Unable to evaluate template language function '${name}': the type '${type}' requires '${typeParts.length - 1}' resource name argument(s). Please see https://aka.ms/arm-resource-functions for usage details.`,
    );
  const sub =
    (atGroup ? (leading.length === 2 ? leading[0] : undefined) : leading[0]) ??
    String(scope.subscription()['subscriptionId']);
  let path = `/subscriptions/${sub}`;
  if (atGroup) {
    const rg = leading.length >= 1 ? leading[leading.length - 1] : String(scope.resourceGroup()['name']);
    path += `/resourceGroups/${rg}`;
  }
  path += `/providers/${typeParts[0]}`;
  typeParts.slice(1).forEach((t, i) => {
    path += `/${t}/${names[i]}`;
  });
  return path;
}

function formatString(name: string, args: unknown[]): string {
  arity(name, args, 1, Infinity);
  const fmt = str(name, args[0]);
  return fmt.replace(/\{\{|\}\}|\{(\d+)([,:][^}]*)?\}/g, (whole, index?: string, spec?: string) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (spec)
      throw new TemplateError(
        `Unable to evaluate template language function 'format': the format item '${whole}' has an alignment or format string, which the slotline sandbox does not support.`,
      );
    const i = Number(index) + 1;
    if (i >= args.length)
      throw new TemplateError(
        `Unable to evaluate template language function 'format': the format string refers to argument ${index}, which was not provided.`,
      );
    return asText(args[i]);
  });
}

/** cidrSubnet for IPv4: the `index`th subnet of prefix length `bits` inside `network`. */
function cidrSubnet(name: string, network: string, bits: number, index: number): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(network);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix > 32)
    throw argType(
      name,
      "an IPv4 network in CIDR notation such as '10.0.0.0/16' (the slotline sandbox has no IPv6)",
    );
  if (bits < prefix || bits > 32)
    throw new TemplateError(
      `Unable to evaluate template language function '${name}': the new CIDR prefix length '${bits}' must be between '${prefix}' and '32'.`,
    );
  if (index < 0 || index >= 2 ** (bits - prefix))
    throw new TemplateError(
      `Unable to evaluate template language function '${name}': the subnet index '${index}' is out of range for the network '${network}' and the prefix length '${bits}'.`,
    );
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const networkBase = prefix === 0 ? 0 : base - (base % 2 ** (32 - prefix));
  const start = networkBase + index * 2 ** (32 - bits);
  const ip = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256).join('.');
  return `${ip}/${bits}`;
}

/** A function whose argument count is checked before it runs. */
const fixed =
  (min: number, max: number, f: Fn): Fn =>
  (a, s, n) => {
    arity(n, a, min, max);
    return f(a, s, n);
  };

const FUNCTIONS: Record<string, Fn> = {
  parameters: fixed(1, 1, (a, s, n) => s.parameter(str(n, a[0]))),
  variables: fixed(1, 1, (a, s, n) => s.variable(str(n, a[0]))),
  copyindex: (a, s, n) => {
    arity(n, a, 0, 2);
    const loop = typeof a[0] === 'string' ? a[0] : undefined;
    const offset = typeof a[0] === 'number' ? a[0] : a[1] === undefined ? 0 : int(n, a[1]);
    return s.copyIndex(loop) + offset;
  },
  concat: (a, _s, n) => {
    arity(n, a, 1, Infinity);
    if (a.every((x) => Array.isArray(x) || x === null)) return a.flatMap((x) => (x === null ? [] : x));
    return a.map(asText).join('');
  },
  format: (a, _s, n) => formatString(n, a),
  resourceid: (a, s, n) => resourceIdOf(a, s, n, true),
  subscriptionresourceid: (a, s, n) => resourceIdOf(a, s, n, false),
  resourcegroup: fixed(0, 0, (_a, s, _n) => s.resourceGroup()),
  subscription: fixed(0, 0, (_a, s, _n) => s.subscription()),
  deployment: fixed(0, 0, (_a, s, _n) => s.deployment()),
  environment: fixed(0, 0, () => ({
    name: 'AzureCloud',
    resourceManager: 'https://management.azure.com/',
    authentication: {
      loginEndpoint: 'https://login.microsoftonline.com/',
      audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'],
    },
    suffixes: { storage: 'core.windows.net', keyvaultDns: '.vault.azure.net' },
  })),
  reference: (a, s, n) => {
    arity(n, a, 1, 3);
    const full = typeof a[2] === 'string' && a[2].toLowerCase() === 'full';
    return s.reference(str(n, a[0]), a[1] === undefined ? undefined : str(n, a[1]), full);
  },
  uniquestring: fixed(1, Infinity, (a, _s, n) => uniqueString(a.map((x) => str(n, x)))),
  guid: fixed(1, Infinity, (a, _s, n) => armGuid(a.map((x) => str(n, x)))),
  tolower: fixed(1, 1, (a, _s, n) => str(n, a[0]).toLowerCase()),
  toupper: fixed(1, 1, (a, _s, n) => str(n, a[0]).toUpperCase()),
  replace: fixed(3, 3, (a, _s, n) => str(n, a[0]).split(str(n, a[1])).join(str(n, a[2]))),
  substring: (a, _s, n) => {
    arity(n, a, 1, 3);
    const s = str(n, a[0]);
    const start = a[1] === undefined ? 0 : int(n, a[1]);
    const length = a[2] === undefined ? s.length - start : int(n, a[2]);
    if (start < 0 || length < 0 || start + length > s.length)
      throw new TemplateError(
        `Unable to evaluate template language function 'substring': the index and length must refer to a location within the string. The index parameter: '${start}', the length parameter: '${length}', the length of the string parameter: '${s.length}'. Please see https://aka.ms/arm-functions for usage details.`,
      );
    return s.substring(start, start + length);
  },
  length: (a, _s, n) => {
    arity(n, a, 1, 1);
    const v = a[0];
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (isObject(v)) return Object.keys(v).length;
    throw argType(n, 'a string, an array or an object');
  },
  equals: fixed(2, 2, (a, _s, _n) => deepEqual(a[0], a[1])),
  not: fixed(1, 1, (a, _s, n) => !bool(n, a[0])),
  and: fixed(2, Infinity, (a, _s, n) => a.every((x) => bool(n, x))),
  or: fixed(2, Infinity, (a, _s, n) => a.some((x) => bool(n, x))),
  true: fixed(0, 0, (_a, _s, _n) => true),
  false: fixed(0, 0, (_a, _s, _n) => false),
  null: fixed(0, 0, (_a, _s, _n) => null),
  empty: (a, _s, n) => {
    arity(n, a, 1, 1);
    const v = a[0];
    if (v === null || v === undefined) return true;
    if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
    if (isObject(v)) return Object.keys(v).length === 0;
    throw argType(n, 'a string, an array, an object or null');
  },
  contains: (a, _s, n) => {
    arity(n, a, 2, 2);
    const [c, v] = a;
    if (typeof c === 'string') return c.includes(asText(v));
    if (Array.isArray(c)) return c.some((x) => deepEqual(x, v));
    if (isObject(c)) return Object.keys(c).some((k) => k.toLowerCase() === String(v).toLowerCase());
    throw argType(n, 'a string, an array or an object');
  },
  union: (a, _s, n) => {
    arity(n, a, 1, Infinity);
    if (a.every(Array.isArray)) {
      const out: unknown[] = [];
      for (const x of (a as unknown[][]).flat()) if (!out.some((y) => deepEqual(x, y))) out.push(x);
      return out;
    }
    if (a.every(isObject)) return (a as Record<string, unknown>[]).reduce(mergeObjects, {});
    throw argType(n, 'all arrays or all objects');
  },
  createobject: (a, _s, n) => {
    if (a.length % 2 !== 0) throw argType(n, 'key and value pairs');
    const out: Record<string, unknown> = {};
    for (let i = 0; i < a.length; i += 2) out[str(n, a[i])] = a[i + 1];
    return out;
  },
  createarray: (a) => [...a],
  json: (a, _s, n) => {
    arity(n, a, 1, 1);
    try {
      return JSON.parse(str(n, a[0]));
    } catch {
      throw argType(n, 'valid JSON');
    }
  },
  string: fixed(1, 1, (a, _s, _n) => asText(a[0])),
  int: (a, _s, n) => {
    arity(n, a, 1, 1);
    const v = typeof a[0] === 'string' ? Number(a[0].trim()) : a[0];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw argType(n, 'an integer or a string of one');
    return v;
  },
  bool: (a, _s, n) => {
    arity(n, a, 1, 1);
    const v = a[0];
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    throw argType(n, "a boolean, an integer or 'true'/'false'");
  },
  first: (a, _s, n) => {
    arity(n, a, 1, 1);
    const v = a[0];
    if (typeof v === 'string') return v.slice(0, 1);
    if (Array.isArray(v)) return v[0] ?? null;
    throw argType(n, 'a string or an array');
  },
  last: (a, _s, n) => {
    arity(n, a, 1, 1);
    const v = a[0];
    if (typeof v === 'string') return v.slice(-1);
    if (Array.isArray(v)) return v[v.length - 1] ?? null;
    throw argType(n, 'a string or an array');
  },
  split: (a, _s, n) => {
    arity(n, a, 2, 2);
    const s = str(n, a[0]);
    const delimiters = Array.isArray(a[1]) ? a[1].map((d) => str(n, d)) : [str(n, a[1])];
    let parts = [s];
    for (const d of delimiters) parts = parts.flatMap((p) => p.split(d));
    return parts;
  },
  take: (a, _s, n) => {
    arity(n, a, 2, 2);
    const count = Math.max(0, int(n, a[1]));
    if (typeof a[0] === 'string' || Array.isArray(a[0])) return a[0].slice(0, count);
    throw argType(n, 'a string or an array');
  },
  skip: (a, _s, n) => {
    arity(n, a, 2, 2);
    const count = Math.max(0, int(n, a[1]));
    if (typeof a[0] === 'string' || Array.isArray(a[0])) return a[0].slice(count);
    throw argType(n, 'a string or an array');
  },
  coalesce: fixed(1, Infinity, (a, _s, _n) => a.find((x) => x !== null && x !== undefined) ?? null),
  add: fixed(2, 2, (a, _s, n) => int(n, a[0]) + int(n, a[1])),
  sub: fixed(2, 2, (a, _s, n) => int(n, a[0]) - int(n, a[1])),
  mul: fixed(2, 2, (a, _s, n) => int(n, a[0]) * int(n, a[1])),
  div: fixed(2, 2, (a, _s, n) => Math.trunc(int(n, a[0]) / nonZero(n, int(n, a[1])))),
  mod: fixed(2, 2, (a, _s, n) => int(n, a[0]) % nonZero(n, int(n, a[1]))),
  min: fixed(1, Infinity, (a, _s, n) => Math.min(...numbers(n, a))),
  max: fixed(1, Infinity, (a, _s, n) => Math.max(...numbers(n, a))),
  greater: fixed(2, 2, (a, _s, n) => compare(n, a[0], a[1]) > 0),
  greaterorequals: fixed(2, 2, (a, _s, n) => compare(n, a[0], a[1]) >= 0),
  less: fixed(2, 2, (a, _s, n) => compare(n, a[0], a[1]) < 0),
  lessorequals: fixed(2, 2, (a, _s, n) => compare(n, a[0], a[1]) <= 0),
  // ARM compares these four case-insensitively.
  startswith: fixed(2, 2, (a, _s, n) => str(n, a[0]).toLowerCase().startsWith(str(n, a[1]).toLowerCase())),
  endswith: fixed(2, 2, (a, _s, n) => str(n, a[0]).toLowerCase().endsWith(str(n, a[1]).toLowerCase())),
  indexof: fixed(2, 2, (a, _s, n) => str(n, a[0]).toLowerCase().indexOf(str(n, a[1]).toLowerCase())),
  lastindexof: fixed(2, 2, (a, _s, n) => str(n, a[0]).toLowerCase().lastIndexOf(str(n, a[1]).toLowerCase())),
  trim: fixed(1, 1, (a, _s, n) => str(n, a[0]).trim()),
  padleft: fixed(2, 3, (a, _s, n) => {
    const pad = a[2] === undefined ? ' ' : str(n, a[2]);
    if (pad.length !== 1) throw argType(n, 'a single padding character');
    return asText(a[0]).padStart(int(n, a[1]), pad);
  }),
  base64: fixed(1, 1, (a, _s, n) => Buffer.from(str(n, a[0]), 'utf8').toString('base64')),
  base64tostring: fixed(1, 1, (a, _s, n) => Buffer.from(str(n, a[0]), 'base64').toString('utf8')),
  range: fixed(2, 2, (a, _s, n) => {
    const start = int(n, a[0]);
    const count = int(n, a[1]);
    if (count < 0 || count > 10000) throw argType(n, 'a count from 0 to 10000');
    return Array.from({ length: count }, (_, i) => start + i);
  }),
  array: fixed(1, 1, (a) => (Array.isArray(a[0]) ? a[0] : [a[0]])),
  // .NET's Uri.EscapeDataString (RFC 3986): encodeURIComponent plus ! ' ( ) *.
  uricomponent: fixed(1, 1, (a, _s, n) =>
    encodeURIComponent(str(n, a[0])).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    ),
  ),
  extensionresourceid: fixed(3, Infinity, (a, _s, n) => {
    const [scopeId, type, ...names] = a.map((x) => str(n, x));
    const typeParts = type!.split('/');
    if (names.length !== typeParts.length - 1)
      throw argType(n, `'${typeParts.length - 1}' resource name(s) for '${type}'`);
    let id = `${scopeId}/providers/${typeParts[0]}`;
    typeParts.slice(1).forEach((t, i) => {
      id += `/${t}/${names[i]}`;
    });
    return id;
  }),
  cidrsubnet: fixed(3, 3, (a, _s, n) => cidrSubnet(n, str(n, a[0]), int(n, a[1]), int(n, a[2]))),
  join: fixed(2, 2, (a, _s, n) => {
    if (!Array.isArray(a[0])) throw argType(n, 'an array');
    return a[0].map(asText).join(str(n, a[1]));
  }),
};

/** The functions the sandbox evaluates (lower-case), for the README and tests. */
export const SUPPORTED_FUNCTIONS = ['if', ...Object.keys(FUNCTIONS)];
