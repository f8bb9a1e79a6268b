import type { Document as YamlDocument } from 'yaml';
import { parseDuration } from './duration.js';
import { InputError } from './errors.js';
import { findControlCharacter } from './log-safe.js';
import { redactUrlAsWritten } from './redact.js';
import { type JsonSchema, validateAgainstSchema } from './schema.js';

/** The process environment, or a plain record in tests: inputs arrive as `INPUT_<NAME>`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The runner's rule: spaces become underscores, the name is uppercased, hyphens are kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

interface Common {
  /** Never echo the value in an error message. */
  secret?: boolean;
}

const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

/**
 * No action input needs more than a few levels; a deeper document is a mistake or an attack, and the
 * schema check's recursion would end in "Maximum call stack size exceeded".
 */
const MAX_YAML_DEPTH = 32;

/** How deeply arrays and objects nest in a parsed document, counted without recursion. */
function nestingDepth(doc: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[doc, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > MAX_YAML_DEPTH) return deepest;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The one-line error for YAML that does not parse. */
function yamlError(name: string, expected: string, error: unknown): InputError {
  const reason =
    // The parser recurses per level, and reports its own stack overflow as a parse error.
    error instanceof RangeError || /Maximum call stack/.test(String((error as Error)?.message))
      ? 'it is nested too deeply to read'
      : error instanceof Error
        ? (error.message.split('\n')[0] ?? '')
        : '';
  return new InputError(`Input "${name}" must be valid YAML (${expected}): ${reason}`);
}

function quote(value: string): string {
  const oneLine = value.replace(/\s*\n\s*/g, ' ');
  return JSON.stringify(oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine);
}

/**
 * Typed, validated reads of action inputs. Every method throws an InputError whose one-line message
 * names the input, the expected form and (unless secret) the value received.
 */
export class InputReader {
  constructor(private readonly env: Env) {}

  /** The trimmed value, or undefined when unset or empty (the runner passes unset inputs as ''). */
  raw(name: string): string | undefined {
    const value = this.env[inputEnvName(name)]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  fail(name: string, expected: string, value?: string, opts: Common = {}): never {
    const got = value === undefined ? '' : opts.secret ? ' (value hidden)' : `, got ${quote(value)}`;
    throw new InputError(`Input "${name}" ${expected}${got}.`);
  }

  required(name: string, opts: Common = {}): string {
    const value = this.raw(name);
    if (value === undefined) this.fail(name, 'is required and was not supplied', undefined, opts);
    return value;
  }

  string(
    name: string,
    opts: Common & { default?: string; pattern?: RegExp; expected?: string } = {},
  ): string | undefined {
    const value = this.raw(name) ?? opts.default;
    if (value !== undefined && opts.pattern && !opts.pattern.test(value)) {
      this.fail(name, `must be ${opts.expected ?? `a value matching ${opts.pattern}`}`, value, opts);
    }
    return value;
  }

  url(name: string, opts: Common & { required?: boolean; protocols?: string[] } = {}): URL | undefined {
    const value = opts.required ? this.required(name, opts) : this.raw(name);
    if (value === undefined) return undefined;
    // The URL parser drops tabs and newlines silently: a URL that needs them is not the one given.
    const control = findControlCharacter(value);
    if (control)
      this.fail(name, `must be a URL without control characters (found ${control})`, undefined, opts);
    const protocols = opts.protocols ?? ['http:', 'https:'];
    const expected = `must be an absolute ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`;
    // The value is echoed redacted: a URL may carry a password or a token even when it is wrong.
    const shown = redactUrlAsWritten(value);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.fail(name, expected, shown, opts);
    }
    if (!protocols.includes(url.protocol)) this.fail(name, expected, shown, opts);
    return url;
  }

  /** Strict YAML 1.2 core booleans, as `core.getBooleanInput`: a typo is an error, never `false`. */
  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return defaultValue;
    if (TRUE.has(value)) return true;
    if (FALSE.has(value)) return false;
    this.fail(name, 'must be true or false', value);
  }

  number(
    name: string,
    opts: { default?: number; min?: number; max?: number; integer?: boolean } = {},
  ): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return opts.default;
    const range =
      opts.min !== undefined && opts.max !== undefined
        ? ` from ${opts.min} to ${opts.max}`
        : opts.min !== undefined
          ? ` of at least ${opts.min}`
          : opts.max !== undefined
            ? ` of at most ${opts.max}`
            : '';
    const expected = `must be ${opts.integer ? 'a whole number' : 'a number'}${range}`;
    if (!/^-?\d+(\.\d+)?$/.test(value)) this.fail(name, expected, value);
    const parsed = Number(value);
    if (opts.integer && !Number.isInteger(parsed)) this.fail(name, expected, value);
    if (opts.min !== undefined && parsed < opts.min) this.fail(name, expected, value);
    if (opts.max !== undefined && parsed > opts.max) this.fail(name, expected, value);
    return parsed;
  }

  enum<T extends string>(name: string, allowed: readonly T[], defaultValue: T): T {
    const value = this.raw(name);
    if (value === undefined) return defaultValue;
    if (!(allowed as readonly string[]).includes(value))
      this.fail(name, `must be one of ${allowed.join(', ')}`, value);
    return value as T;
  }

  /** Milliseconds. */
  duration(name: string, opts: { default?: string; min?: number; max?: number } = {}): number | undefined {
    const value = this.raw(name) ?? opts.default;
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    const expected = 'must be a duration such as 30s, 5m, 1h30m or PT5M';
    if (ms === undefined) this.fail(name, expected, value);
    if (opts.min !== undefined && ms < opts.min)
      this.fail(name, `${expected}, at least ${opts.min / 1000}s`, value);
    if (opts.max !== undefined && ms > opts.max)
      this.fail(name, `${expected}, at most ${opts.max / 1000}s`, value);
    return ms;
  }

  /** Newline- (and optionally comma-) separated list, blank lines and `#` comments dropped. */
  list(name: string, opts: { comma?: boolean } = {}): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    return value
      .split(opts.comma ? /[\n,]/ : /\n/)
      .map((item) => item.trim())
      .filter((item) => item !== '' && !item.startsWith('#'));
  }

  /**
   * A multi-line YAML input as a parsed document (nodes, with each scalar's source text), for inputs
   * whose values must stay exactly as written. Undefined when unset.
   */
  async yamlDocument(name: string, expected: string): Promise<YamlDocument | undefined> {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      // Loaded on use, like Ajv: a cold start that needs no YAML should not pay for the parser.
      const { parseDocument } = await import('yaml');
      const doc = parseDocument(value);
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc;
    } catch (error) {
      throw yamlError(name, expected, error);
    }
  }

  /** A multi-line YAML input, parsed and validated against a JSON schema. */
  async yaml<T>(name: string, schema: JsonSchema, expected: string): Promise<T | undefined> {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let doc: unknown;
    try {
      // Loaded on use, like Ajv: a cold start that needs no YAML should not pay for the parser.
      const { parse } = await import('yaml');
      doc = parse(value);
    } catch (error) {
      throw yamlError(name, expected, error);
    }
    if (nestingDepth(doc) > MAX_YAML_DEPTH)
      throw new InputError(
        `Input "${name}" must be ${expected}: it is nested more than ${MAX_YAML_DEPTH} levels deep.`,
      );
    const problem = await validateAgainstSchema(schema, doc);
    if (problem) throw new InputError(`Input "${name}" must be ${expected}: ${problem}.`);
    return doc as T;
  }

  /**
   * `Name: value` lines. Values are returned as given; the caller masks them. Error messages name the
   * line number, never the value, because header values are usually credentials.
   */
  headers(name: string): Record<string, string> {
    const headers: Record<string, string> = {};
    this.list(name).forEach((line, index) => {
      const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:\s*(.*)$/.exec(line);
      if (!match || match[2] === '') {
        throw new InputError(
          `Input "${name}" must be lines of "Name: value"; line ${index + 1} is not (value hidden).`,
        );
      }
      const control = findControlCharacter(match[2]!);
      if (control) {
        throw new InputError(
          `Input "${name}" line ${index + 1} (${match[1]}) has a control character in its value (${control}; value hidden).`,
        );
      }
      headers[match[1]!] = match[2]!;
    });
    return headers;
  }
}
