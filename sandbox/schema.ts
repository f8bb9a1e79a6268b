import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * The sandbox's own JSON Schema check, for its config and for ARM request bodies. It shares no code with
 * src/lib/schema.ts: the sandbox is the oracle the tests trust, and must not inherit a bug it should catch.
 */
export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: false, strict: false, useDefaults: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** The first problem with the document, as one line (`profiles[0].capacity must have …`), or undefined. */
export function validateAgainstSchema(schema: JsonSchema, value: unknown): string | undefined {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return undefined;
  const first = validate.errors?.[0];
  return first ? describe(first) : 'is invalid';
}

/** An Ajv instance path (`/profiles/0/capacity`) as the dotted path ARM's errors use (`profiles[0].capacity`). */
export function dottedPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
}

/** Ajv's reason for one error, in words (`must be boolean`, `has unknown key "x"`, `must be one of "A", "B"`). */
export function reason(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties')
    return `has unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  if (error.keyword === 'enum')
    return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return error.message ?? 'is invalid';
}

function describe(error: ErrorObject): string {
  const path = dottedPath(error.instancePath);
  const message = reason(error);
  return path ? `${path} ${message}` : message;
}
