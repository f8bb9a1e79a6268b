import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { buildAll, buildWorkbook, readWorkbookSource } from '../../scripts/workbooks.mjs';
import {
  type Analysis,
  analyzer,
  extraTables,
  type LibraryQuery,
  libraryQueries,
  mergeSchemas,
  queriesDir,
  type Schema,
  sharedTables,
  splitQuery,
  tableColumns,
} from '../helpers/kql.js';

/**
 * Every query in infra/queries/ is checked by Microsoft's Kusto language service against the Log Analytics
 * table schemas in infra/queries/schema/ (Microsoft's documented columns; see PROVENANCE.md): it must parse,
 * name only tables and columns that exist, with the types they have, and document itself (purpose,
 * parameters as let lines, tables, how to run it).
 */

const queries = libraryQueries();
const schema = mergeSchemas(sharedTables(), extraTables());
let analyze: (query: string) => Analysis;

beforeAll(() => {
  analyze = analyzer(schema);
});

const problems = (a: Analysis) =>
  a.diagnostics.map((d) => `${d.Severity} ${d.Code} at ${d.Start}: ${d.Message}`);

/** The section of a header that starts with `Name:`, up to the next `Word:` at the start of a line. */
function section(header: string, name: string): string {
  const match = new RegExp(`^${name}:([\\s\\S]*?)(?=^[A-Z][a-z]+:|$(?![\\s\\S]))`, 'm').exec(header);
  return match?.[1] ?? '';
}

const PARAMETER = /^\s*([a-zA-Z]\w*)\s+(timespan|string|dynamic|long|real|bool)\s/;

function headerProblems(q: LibraryQuery): string[] {
  const found: string[] = [];
  for (const name of ['Purpose', 'Parameters', 'Tables', 'Run'])
    if (!section(q.header, name).trim()) found.push(`${q.file}: header has no "${name}:" section`);
  const parameters = section(q.header, 'Parameters')
    .split('\n')
    .map((l) => PARAMETER.exec(l)?.[1])
    .filter((p) => p !== undefined);
  if (parameters.length === 0) found.push(`${q.file}: header documents no parameter`);
  // One line each, so a run can change a default with sed (infra/queries/README.md).
  for (const p of parameters)
    if (!new RegExp(`^let ${p} = [^\\n]*;$`, 'm').test(q.body))
      found.push(`${q.file}: parameter ${p} has no "let ${p} = <default>;" line`);
  const run = section(q.header, 'Run');
  if (!run.includes('az monitor log-analytics query') || !run.includes(`infra/queries/${q.file}`))
    found.push(`${q.file}: Run does not show az monitor log-analytics query on infra/queries/${q.file}`);
  const tables = section(q.header, 'Tables');
  for (const table of Object.keys(schema))
    if (new RegExp(`\\b${table}\\b`).test(q.body) && !new RegExp(`\\b${table}\\b`).test(tables))
      found.push(`${q.file}: reads ${table} but its Tables section does not say so`);
  return found;
}

test('the library holds the queries the runbooks and alerts use', () => {
  expect(queries.map((q) => q.file)).toEqual(
    expect.arrayContaining([
      'app-logs-search.kql',
      'audit-trail.kql',
      'autoscale-actions.kql',
      'deploy-timeline.kql',
      'exceptions.kql',
      'failed-dependencies.kql',
      'http-4xx-flood.kql',
      'http-5xx-by-route.kql',
      'http-5xx-rate.kql',
      'keyvault-access-denied.kql',
      'off-hours-changes.kql',
      'slow-requests.kql',
      'user-activity.kql',
    ]),
  );
});

describe.each(queries.map((q) => [q.file, q] as const))('%s', (_file, q) => {
  test('binds against the table schemas without a diagnostic, and returns columns', () => {
    const result = analyze(q.body);
    expect(problems(result)).toEqual([]);
    expect(result.columns.length).toBeGreaterThan(0);
  });

  test('documents purpose, parameters (each a let line), tables and how to run it', () => {
    expect(headerProblems(q)).toEqual([]);
  });

  test('a union is fuzzy: a workspace has no table until its first record, and a plain union fails then', () => {
    expect(
      q.body.match(/^union\b.*$/gm)?.filter((line) => !line.startsWith('union isfuzzy=true')) ?? [],
    ).toEqual([]);
  });
});

/**
 * The dashboards run the library's queries with their own lookback (and sometimes other parameters): each
 * tile's KQL, as the template deploys it, goes through the same check.
 */
const tiles = buildAll().flatMap((w) => w.tiles.map((t) => [`${w.name}: ${t.title}`, t.query] as const));

test('the dashboards have tiles to check', () => {
  expect(tiles.length).toBeGreaterThanOrEqual(16);
});

describe.each(tiles)('dashboard tile %s', (_tile, query) => {
  test('binds against the table schemas without a diagnostic, and returns columns', () => {
    const result = analyze(query);
    expect(problems(result)).toEqual([]);
    expect(result.columns.length).toBeGreaterThan(0);
  });
});

test('a tile whose parameter value breaks the query fails the check', () => {
  const source = readWorkbookSource('business') as {
    items: { name: string; content: Record<string, unknown> }[];
  };
  source.items.find((i) => i.name === 'routes-chart')!.content.queryLet = { maxRows: '"ten"' };
  const tile = buildWorkbook('business', source).tiles.find((t) => t.name === 'routes-chart')!;
  expect(problems(analyze(tile.query))).not.toEqual([]);
});

describe('the check fails when a query is wrong', () => {
  const body = (file: string) => queries.find((q) => q.file === file)!.body;

  test('a misspelled column', () => {
    const result = analyze(body('http-5xx-by-route.kql').replaceAll('ScStatus', 'ScStatuss'));
    expect(problems(result)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Error KS142 .*'ScStatuss' does not refer to any known/),
      ]),
    );
  });

  test('a column name in the wrong case (Log Analytics names are case-sensitive)', () => {
    expect(problems(analyze(body('slow-requests.kql').replace('DurationMs', 'DurationMS')))).not.toEqual([]);
  });

  test('a misspelled table', () => {
    const result = analyze(body('http-5xx-rate.kql').replace('AppServiceHTTPLogs', 'AppServiceHttpLogs'));
    expect(problems(result)).toEqual([
      expect.stringMatching(/^Error KS204 .*'AppServiceHttpLogs' does not refer to any known table/),
    ]);
  });

  test("another table's column, a type mismatch, and a syntax error", () => {
    expect(problems(analyze('AppRequests | project CIp'))).not.toEqual([]);
    expect(problems(analyze('AppServiceHTTPLogs | where ScStatus > "500"'))).not.toEqual([]);
    expect(problems(analyze('AppRequests | where'))).not.toEqual([]);
  });

  test('an AzureDiagnostics column no category in the schema documents', () => {
    expect(problems(analyze('AzureDiagnostics | project identity_claim_upn_s'))).not.toEqual([]);
  });

  test('the Key Vault query needs the tables extra-tables.json adds (the extra schema is used)', () => {
    const without = analyzer(sharedTables());
    expect(problems(without(body('keyvault-access-denied.kql')))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Warning KS205 .*'AZKVAuditLogs' does not refer to any known/),
        expect.stringMatching(/^Error KS142 .*'identity_claim_appid_g' does not refer to any known/),
      ]),
    );
  });

  test('a misspelled table inside a fuzzy union is still reported (a warning, which fails the check too)', () => {
    const result = analyze(body('app-logs-search.kql').replace('(AppTraces', '(AppTrace'));
    expect(problems(result)).toEqual([
      expect.stringMatching(/^Warning KS205 .*fuzzy name 'AppTrace' does not refer to any known/),
    ]);
  });

  test('a header that leaves out a parameter, its let line or the Run section', () => {
    const text = [
      '// x: y',
      '// Purpose:    z',
      '// Parameters: lookback   timespan  how far',
      '//             minCount   long      how many',
      '// Tables:     AppRequests.',
      'let lookback = 1h;',
      'AppRequests | where TimeGenerated > ago(lookback)',
    ].join('\n');
    expect(headerProblems(splitQuery('x.kql', text))).toEqual([
      'x.kql: header has no "Run:" section',
      'x.kql: parameter minCount has no "let minCount = <default>;" line',
      'x.kql: Run does not show az monitor log-analytics query on infra/queries/x.kql',
    ]);
    expect(
      headerProblems(splitQuery('x.kql', text.replace('Tables:     AppRequests.', 'Tables: none'))),
    ).toContain('x.kql: reads AppRequests but its Tables section does not say so');
  });
});

test("the library's README lists every query file, and only those", () => {
  const readme = readFileSync(join(queriesDir, 'README.md'), 'utf8');
  const listed = [...readme.matchAll(/^\| `([a-z0-9-]+\.kql)`\s*\|/gm)].map((m) => m[1]);
  expect(listed.sort()).toEqual(queries.map((q) => q.file).sort());
});

describe('the schemas', () => {
  test('tables.json is the shared reference unchanged: its sha256 is the one PROVENANCE.md records', () => {
    const schemaDir = join(queriesDir, 'schema');
    const sha = createHash('sha256')
      .update(readFileSync(join(schemaDir, 'tables.json')))
      .digest('hex');
    expect(readFileSync(join(schemaDir, 'PROVENANCE.md'), 'utf8')).toContain(`sha256 \`${sha}\``);
  });

  test('every table and category cites its source, and every column has a KQL type', () => {
    const types = new Set([
      'string',
      'datetime',
      'real',
      'long',
      'int',
      'bool',
      'dynamic',
      'guid',
      'timespan',
    ]);
    for (const [name, entry] of Object.entries(schema)) {
      expect([name, typeof entry.source]).toEqual([name, 'string']);
      for (const [category, cols] of Object.entries(entry.categoryColumns ?? {}))
        expect([name, category, typeof cols.source]).toEqual([name, category, 'string']);
      for (const c of tableColumns(entry))
        expect([name, c.name, types.has(c.type)]).toEqual([name, c.name, true]);
    }
  });

  test('extra-tables.json adds tables and categories, and cannot replace what tables.json says', () => {
    const base: Schema = { T: { source: 's', columns: [{ name: 'a', type: 'string' }] } };
    expect(() => mergeSchemas(base, { T: { source: 'x', columns: [] } })).toThrow(/replaces the columns/);
    const withCategory: Schema = { T: { ...base.T, categoryColumns: { C: { columns: [] } } } };
    expect(() => mergeSchemas(withCategory, { T: { categoryColumns: { C: { columns: [] } } } })).toThrow(
      /category C is already/,
    );
    const merged = mergeSchemas(sharedTables(), extraTables());
    expect(Object.keys(merged)).toContain('AZKVAuditLogs');
    expect(Object.keys(merged.AzureDiagnostics!.categoryColumns!)).toEqual(
      expect.arrayContaining(['FrontDoorAccessLog', 'AuditEvent']),
    );
  });
});
