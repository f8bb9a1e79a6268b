import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { repoRoot } from './runner.js';

/** The official OASIS SARIF 2.1.0 (errata01) schema, JSON Schema draft-04, as recorded in the fixtures. */
const schema = JSON.parse(
  readFileSync(
    join(repoRoot, '__tests__', 'fixtures', 'scanner-outputs', 'sarif-schema', 'sarif-schema-2.1.0.json'),
    'utf8',
  ),
) as Record<string, unknown>;

// A CommonJS module: Node's ESM loader hands over module.exports, jest's hands over its default. Take either.
type AjvDraft04 = { compile(schema: object): ValidateFunction };
type AjvClass = new (options: Options) => AjvDraft04;
const loaded = AjvDraft04Module as unknown as AjvClass | { default: AjvClass };
const AjvDraft04 = 'default' in loaded ? loaded.default : loaded;
type FormatsPlugin = (ajv: AjvDraft04) => void;
const formats = addFormats as unknown as FormatsPlugin | { default: FormatsPlugin };

const ajv = new AjvDraft04({ allErrors: true, strict: false });
('default' in formats ? formats.default : formats)(ajv);
const validate = ajv.compile(schema);

/** Schema problems as `path message` lines; empty when the log is valid SARIF 2.1.0. */
export function sarifSchemaErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`,
  );
}
