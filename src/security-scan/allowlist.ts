import picomatch from 'picomatch';
import { InputError } from '../lib/errors.js';
import type { JsonSchema } from '../lib/schema.js';
import { validateAgainstSchema } from '../lib/schema.js';
import { type FingerprintedFinding, SCANNER_NAMES, type ScannerName } from './findings.js';

export interface AllowlistEntry {
  rule?: string;
  fingerprint?: string;
  /** Glob over the finding's path, relative to the scanned folder. Default: every path. */
  path?: string;
  tool?: ScannerName;
  reason: string;
  /** YYYY-MM-DD, valid through that day (UTC). */
  expires: string;
}

export const ALLOWLIST_EXPECTED =
  'a YAML list of entries with rule and/or fingerprint, optional path glob and tool, reason and expires (YYYY-MM-DD)';

export const ALLOWLIST_SCHEMA: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['reason', 'expires'],
    anyOf: [{ required: ['rule'] }, { required: ['fingerprint'] }],
    properties: {
      rule: { type: 'string', minLength: 1 },
      fingerprint: { type: 'string', pattern: '^[0-9a-f]{16}(:\\d+)?$' },
      path: { type: 'string', minLength: 1 },
      tool: { enum: [...SCANNER_NAMES] },
      reason: { type: 'string', minLength: 1 },
      expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    },
  },
};

function isRealDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/**
 * Parse and validate an allowlist file's text. Errors name the input and the entry, on one line.
 * `yaml` core schema keeps an unquoted 2027-01-31 a string, so dates need no quoting.
 */
export async function parseAllowlist(text: string, file: string): Promise<AllowlistEntry[]> {
  let doc: unknown;
  try {
    const { parse } = await import('yaml');
    doc = parse(text) ?? [];
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
    throw new InputError(
      `Input "allowlist" must name a YAML file (${ALLOWLIST_EXPECTED}); ${file}: ${reason}`,
    );
  }
  // An unquoted date in a YAML 1.1 document would arrive as a Date; accept it as the day it names.
  if (Array.isArray(doc)) {
    for (const entry of doc) {
      if (entry && typeof entry === 'object' && (entry as { expires?: unknown }).expires instanceof Date) {
        (entry as { expires: unknown }).expires = ((entry as { expires: Date }).expires as Date)
          .toISOString()
          .slice(0, 10);
      }
    }
  }
  const problem = await validateAgainstSchema(ALLOWLIST_SCHEMA, doc);
  if (problem) throw new InputError(`Input "allowlist" must be ${ALLOWLIST_EXPECTED}; ${file}: ${problem}.`);
  const entries = doc as AllowlistEntry[];
  entries.forEach((entry, index) => {
    if (!isRealDate(entry.expires))
      throw new InputError(
        `Input "allowlist": ${file} entry ${index + 1} has expires ${entry.expires}, not a real date.`,
      );
    if (entry.path) {
      try {
        picomatch(entry.path);
      } catch {
        throw new InputError(
          `Input "allowlist": ${file} entry ${index + 1} has an invalid path glob ${entry.path}.`,
        );
      }
    }
  });
  return entries;
}

export function describeEntry(entry: AllowlistEntry, index: number): string {
  const what = [
    entry.rule ? `rule ${entry.rule}` : undefined,
    entry.fingerprint ? `fingerprint ${entry.fingerprint}` : undefined,
    entry.path ? `path ${entry.path}` : undefined,
    entry.tool ? `tool ${entry.tool}` : undefined,
  ].filter(Boolean);
  return `allowlist entry ${index + 1} (${what.join(', ')})`;
}

export function isExpired(entry: AllowlistEntry, today: string): boolean {
  return entry.expires < today;
}

/** Does the entry cover the finding? Every field the entry sets must match. */
export function matcher(entry: AllowlistEntry): (finding: FingerprintedFinding) => boolean {
  const pathMatches = entry.path ? picomatch(entry.path, { dot: true }) : () => true;
  return (finding) =>
    (entry.rule === undefined || entry.rule === finding.ruleId) &&
    (entry.fingerprint === undefined ||
      entry.fingerprint === finding.fingerprint ||
      entry.fingerprint === finding.fingerprint.split(':')[0]) &&
    (entry.tool === undefined || entry.tool === finding.tool) &&
    pathMatches(finding.location.path);
}
