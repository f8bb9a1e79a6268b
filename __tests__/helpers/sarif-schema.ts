import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { repoRoot } from './runner.js';

/** The official OASIS SARIF 2.1.0 (errata01) schema, JSON Schema draft-04, as recorded in the fixtures. */
const schema = JSON.parse(
  readFileSync(
    join(repoRoot, '__tests__', 'fixtures', 'scanner-outputs', 'sarif-schema', 'sarif-schema-2.1.0.json'),
    'utf8',
  ),
) as Record<string, unknown>;

const ajv = new AjvDraft04({ allErrors: true, strict: false });
(addFormats as unknown as (a: unknown) => void)(ajv);
const validate = ajv.compile(schema);

/** Schema problems as `path message` lines; empty when the log is valid SARIF 2.1.0. */
export function sarifSchemaErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
}
