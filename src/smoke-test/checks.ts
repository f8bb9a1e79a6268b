import { parseDuration } from '../lib/duration.js';
import { InputError } from '../lib/errors.js';
import { parseStatusItem, type StatusItem } from '../lib/http-status.js';
import { findControlCharacter } from '../lib/log-safe.js';
import type { JsonSchema } from '../lib/schema.js';
import { parseJsonPath } from './json-path.js';

/** A smoke check as the user writes it in the `checks` YAML input. */
export interface CheckSpec {
  name?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string | number | boolean>;
  body?: unknown;
  'expect-status'?: number | string | (number | string)[];
  'expect-body'?: string;
  'expect-body-regex'?: string;
  'expect-json'?: Record<string, unknown>;
  'max-latency'?: string | number;
  page?: boolean;
}

/** A validated check, ready to run. */
export interface SmokeCheck {
  name: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  expectStatus: StatusItem[];
  expectBody?: string;
  expectBodyRegex?: RegExp;
  expectJson?: Record<string, unknown>;
  maxLatencyMs?: number;
  page: boolean;
}

const STATUS_ITEM = {
  oneOf: [
    { type: 'integer', minimum: 100, maximum: 599 },
    { type: 'string', pattern: '^([1-5][xX][xX]|[1-5][0-9][0-9])$' },
  ],
};

export const CHECKS_SCHEMA: JsonSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 200,
  items: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      path: { type: 'string', pattern: '^/' },
      method: { type: 'string', enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] },
      headers: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
      body: {},
      'expect-status': { oneOf: [STATUS_ITEM, { type: 'array', minItems: 1, items: STATUS_ITEM }] },
      'expect-body': { type: 'string' },
      'expect-body-regex': { type: 'string' },
      'expect-json': { type: 'object' },
      'max-latency': { type: ['string', 'number'] },
      page: { type: 'boolean' },
    },
  },
};

export const CHECKS_EXPECTED =
  'a YAML list of checks (name, path, method, headers, body, expect-status, ...)';

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const DEFAULT_CHECK: CheckSpec = { name: 'GET /', path: '/' };

/**
 * Turn schema-valid specs into runnable checks. Cross-field rules the schema cannot express (unique
 * names, regexes that compile, durations) fail here with the check's index in the message.
 */
export function normalizeChecks(specs: readonly CheckSpec[], inputName = 'checks'): SmokeCheck[] {
  const seen = new Set<string>();
  return specs.map((spec, index) => {
    const where = `Input "${inputName}" item [${index}]`;
    const method = spec.method ?? 'GET';
    const path = spec.path ?? '/';
    const name = spec.name ?? `${method} ${path}`;
    // A name is printed on log lines and is a key of the results output: a newline in it once
    // printed forged workflow commands. Header values go on the wire, where undici would refuse them.
    const pathControl = findControlCharacter(path);
    if (pathControl) {
      throw new InputError(`${where} path must not contain control characters (found ${pathControl}).`);
    }
    const nameControl = findControlCharacter(name);
    if (nameControl) {
      throw new InputError(`${where} name must not contain control characters (found ${nameControl}).`);
    }
    for (const [header, value] of Object.entries(spec.headers ?? {})) {
      if (!HEADER_NAME.test(header)) {
        throw new InputError(
          `${where} header name ${JSON.stringify(header)} is not a valid HTTP header name.`,
        );
      }
      const control = findControlCharacter(String(value));
      if (control) {
        throw new InputError(
          `${where} header "${header}" has a control character in its value (${control}; value hidden).`,
        );
      }
    }
    if (seen.has(name)) {
      throw new InputError(`${where} repeats the check name "${name}"; names must be unique (set "name").`);
    }
    seen.add(name);
    let expectBodyRegex: RegExp | undefined;
    if (spec['expect-body-regex'] !== undefined) {
      try {
        expectBodyRegex = new RegExp(spec['expect-body-regex']);
      } catch {
        throw new InputError(`${where} expect-body-regex must be a valid regular expression.`);
      }
    }
    let maxLatencyMs: number | undefined;
    if (spec['max-latency'] !== undefined) {
      maxLatencyMs =
        typeof spec['max-latency'] === 'number' ? spec['max-latency'] : parseDuration(spec['max-latency']);
      if (maxLatencyMs === undefined || maxLatencyMs <= 0) {
        throw new InputError(`${where} max-latency must be a duration such as 500ms, 2s or PT1S.`);
      }
    }
    for (const path of Object.keys(spec['expect-json'] ?? {})) {
      if (!parseJsonPath(path)) {
        throw new InputError(
          `${where} expect-json key "${path}" must be a path like status or data.items[0].id.`,
        );
      }
    }
    const statuses = spec['expect-status'] ?? '2xx';
    const expectStatus = (Array.isArray(statuses) ? statuses : [statuses]).map((s) => parseStatusItem(s)!);
    const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const body =
      spec.body === undefined
        ? undefined
        : typeof spec.body === 'string'
          ? spec.body
          : JSON.stringify(spec.body);
    if (
      body !== undefined &&
      typeof spec.body !== 'string' &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
    ) {
      headers['content-type'] = 'application/json';
    }
    return {
      name,
      path,
      method,
      headers,
      body,
      expectStatus,
      expectBody: spec['expect-body'],
      expectBodyRegex,
      expectJson: spec['expect-json'],
      maxLatencyMs,
      page: spec.page ?? false,
    };
  });
}
