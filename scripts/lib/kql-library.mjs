// The operations query library (infra/queries/*.kql): each file is a comment header and a query body.
// Shared by the dashboard generator (scripts/workbooks.mjs), which puts bodies into workbooks, and by the
// tests (__tests__/helpers/kql.ts), which check the same bodies; one reader, so both see the same query.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../actions.mjs';

export const queriesDir = join(repoRoot, 'infra', 'queries');

/** Splits a library file into its header (the leading `//` lines and blank lines) and its body. */
export function splitQuery(file, text) {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i].startsWith('//') || lines[i].trim() === '')) i++;
  return {
    file,
    header: lines
      .slice(0, i)
      .map((l) => l.replace(/^\/\/ ?/, ''))
      .join('\n'),
    body: lines.slice(i).join('\n').trimEnd(),
  };
}

/** Every library file, sorted by name. */
export function libraryQueries(dir = queriesDir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.kql'))
    .sort()
    .map((f) => splitQuery(f, readFileSync(join(dir, f), 'utf8')));
}
