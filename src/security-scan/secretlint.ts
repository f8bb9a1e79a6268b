import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfCancelled } from '../lib/cancellation.js';
import type { Finding } from './findings.js';
import { secretlintFindings } from './parsers/secretlint.js';

/** Larger files are skipped (and said so): secrets live in config and source, not in data dumps. */
const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** git's own test: a NUL byte in the first 8000 bytes. */
const looksBinary = (content: Buffer): boolean => content.subarray(0, 8000).includes(0);

/**
 * secretlint, in this process, with the recommended preset and nothing else: no executable, no
 * `.secretlintrc*` or `.secretlintignore` from the scanned tree (a pull request could turn every rule
 * off), no install step. The library is loaded here, on first use, so a run with a bad input never
 * pays for it.
 */
export async function runSecretlint(
  root: string,
  files: readonly string[],
  signal?: AbortSignal,
): Promise<{ findings: Finding[]; version: string; notes: string[] }> {
  const [{ lintSource }, { creator }] = await Promise.all([
    import('@secretlint/core'),
    import('@secretlint/secretlint-rule-preset-recommend'),
  ]);
  const config = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] };
  const results: unknown[] = [];
  const notes: string[] = [];
  for (const rel of files) {
    throwIfCancelled(signal);
    const full = join(root, rel);
    const content = await readFile(full).catch(() => undefined);
    if (content === undefined) continue;
    if (content.length > MAX_FILE_BYTES) {
      notes.push(`secretlint skipped ${rel}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
      continue;
    }
    if (looksBinary(content)) continue;
    const result = await lintSource({
      source: { content: content.toString('utf8'), filePath: full, contentType: 'text' },
      options: { config, maskSecrets: true },
    });
    if (result.messages.length > 0) results.push(result);
  }
  return { findings: secretlintFindings(results, root), version: SECRETLINT_VERSION, notes };
}

/** @secretlint/core's version, which the bundle carries (kept in step with package.json by a test). */
export const SECRETLINT_VERSION = '12.0.0';
