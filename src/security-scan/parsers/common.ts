import { isAbsolute, relative, sep } from 'node:path';
import { ActionError } from '../../lib/errors.js';

/** A scanner's output that is not what the scanner documents: the run cannot be trusted, so it fails. */
export class ScannerOutputError extends ActionError {}

export function parseJson(tool: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 120) : 'parse error';
    const trimmed = text.trim();
    // A report cut short can begin with file contents (secretlint embeds whole files): never quote it.
    if (trimmed.startsWith('{') || trimmed.startsWith('['))
      throw new ScannerOutputError(
        `${tool} printed a malformed or truncated JSON report of ${text.length} bytes`,
      );
    const head = trimmed.slice(0, 60).replace(/\s+/g, ' ');
    throw new ScannerOutputError(
      `${tool} did not print JSON (${reason}); output began ${JSON.stringify(head)}`,
    );
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function expectShape(tool: string, ok: boolean, what: string): asserts ok {
  if (!ok) throw new ScannerOutputError(`${tool} output is not in the expected shape: ${what}`);
}

/**
 * A path as GitHub wants it: relative to the scanned folder, forward slashes, no leading "./".
 * Absolute paths inside the folder are made relative; others are kept (GitHub then ignores them).
 */
export function repoPath(path: string, root: string): string {
  let result = path;
  if (isAbsolute(result) && root !== '') {
    const rel = relative(root, result);
    if (!rel.startsWith('..') && !isAbsolute(rel)) result = rel;
  }
  result = result.split(sep).join('/');
  while (result.startsWith('./')) result = result.slice(2);
  return result;
}

/** Columns must be >= 1 in SARIF. */
export function column(value: number | undefined, zeroBased: boolean): number | undefined {
  if (value === undefined) return undefined;
  return Math.max(1, zeroBased ? value + 1 : value);
}
