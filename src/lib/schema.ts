import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';

/**
 * One shared Ajv instance, loaded on first use: most runs of most actions never validate a document, and
 * loading Ajv up front costs every cold start. Each schema is compiled once and cached.
 */
let ajv: Ajv | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

async function getAjv(): Promise<Ajv> {
  if (!ajv) {
    // Ajv is CommonJS: its class is a named export under Node; a bundle may expose only `default`.
    const mod = (await import('ajv')) as unknown as { Ajv?: typeof Ajv; default: { Ajv: typeof Ajv } };
    const AjvClass = mod.Ajv ?? mod.default.Ajv;
    ajv = new AjvClass({ allErrors: false, strict: false, useDefaults: false });
  }
  return ajv;
}

export type JsonSchema = Record<string, unknown>;

/** Render an Ajv error as `[0].expect-status: must be …`, the path a user can find in their YAML. */
export function describeSchemaError(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') {
    message = `has unknown key "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  } else if (error.keyword === 'enum') {
    message = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return path ? `${path} ${message}` : message;
}

/** Validate a parsed document; returns the first problem as a one-line description, or undefined. */
export async function validateAgainstSchema(schema: JsonSchema, value: unknown): Promise<string | undefined> {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = (await getAjv()).compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return undefined;
  const first = validate.errors?.[0];
  return first ? describeSchemaError(first) : 'is invalid';
}
