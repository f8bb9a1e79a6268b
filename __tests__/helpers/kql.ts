import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { queriesDir } from '../../scripts/lib/kql-library.mjs';

/**
 * The operations query library (infra/queries/*.kql) and Microsoft's Kusto language service
 * (@kusto/language-service-next: Kusto.Language compiled to JavaScript), bound to the table schemas in
 * infra/queries/schema/. Everything is local: no workspace, no network.
 */

export { queriesDir };

const schemaDir = join(queriesDir, 'schema');

export interface Column {
  name: string;
  type: string;
}

export interface TableEntry {
  source?: string;
  columns?: Column[];
  categoryColumns?: Record<string, { source?: string; columns: Column[] }>;
}

export type Schema = Record<string, TableEntry>;

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** tables.json (the shared reference, copied unchanged) and extra-tables.json (what this repository adds). */
export const sharedTables = (): Schema => readJson<Schema>(join(schemaDir, 'tables.json'));
export const extraTables = (): Schema => readJson<Schema>(join(schemaDir, 'extra-tables.json'));

/**
 * The two merged: a new table is added whole; an entry for a table tables.json has may only add
 * AzureDiagnostics-style categories it lacks. Throws on anything that would replace what tables.json says.
 */
export function mergeSchemas(base: Schema, extra: Schema): Schema {
  const merged: Schema = structuredClone(base);
  for (const [name, entry] of Object.entries(extra)) {
    const existing = merged[name];
    if (!existing) {
      merged[name] = entry;
      continue;
    }
    if (entry.columns) throw new Error(`extra-tables.json: ${name} replaces the columns tables.json has`);
    for (const [category, cols] of Object.entries(entry.categoryColumns ?? {})) {
      if (existing.categoryColumns?.[category])
        throw new Error(`extra-tables.json: ${name} category ${category} is already in tables.json`);
      existing.categoryColumns = { ...existing.categoryColumns, [category]: cols };
    }
  }
  return merged;
}

/** A table's columns: its own plus every category's, one per name (the first type wins). */
export function tableColumns(entry: TableEntry): Column[] {
  const all = [
    ...(entry.columns ?? []),
    ...Object.values(entry.categoryColumns ?? {}).flatMap((c) => c.columns),
  ];
  return [...new Map(all.map((c) => [c.name, c] as const)).values()];
}

// Kusto.Language's JavaScript build (Bridge.NET) defines the globals `Bridge` and `Kusto` when loaded.
interface KustoDiagnostic {
  Severity: string;
  Code: string;
  Start: number;
  Length: number;
  Message: string;
}
interface KustoCode {
  GetDiagnostics(): unknown;
  ResultType: { Columns: unknown } | null;
}
interface KustoGlobals {
  Kusto: {
    Language: {
      Symbols: {
        TableSymbol: { $ctor7: new (name: string, schema: string, description: null) => unknown };
        DatabaseSymbol: { $ctor2: new (name: string, description: null, members: unknown[]) => unknown };
      };
      GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
      KustoCode: { ParseAndAnalyze(text: string, globals: unknown): KustoCode };
    };
  };
  Bridge: { toArray<T>(list: unknown): T[] };
}

let loaded: KustoGlobals | undefined;

/** Loads the language service once per process (about 0.4 s). */
function kusto(): KustoGlobals {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    require('@kusto/language-service-next/bridge.js');
    require('@kusto/language-service-next');
    loaded = globalThis as unknown as KustoGlobals;
  }
  return loaded;
}

export interface Analysis {
  diagnostics: KustoDiagnostic[];
  /** The result's columns as name:type. */
  columns: string[];
}

/** An analyzer bound to a schema: every table becomes a table symbol of one database. */
export function analyzer(schema: Schema): (query: string) => Analysis {
  const { Kusto, Bridge } = kusto();
  const S = Kusto.Language.Symbols;
  const tables = Object.entries(schema).map(
    ([name, entry]) =>
      new S.TableSymbol.$ctor7(
        name,
        `(${tableColumns(entry)
          .map((c) => `['${c.name}']:${c.type}`)
          .join(', ')})`,
        null,
      ),
  );
  const globals = Kusto.Language.GlobalState.Default.WithDatabase(
    new S.DatabaseSymbol.$ctor2('workspace', null, tables),
  );
  return (query) => {
    const code = Kusto.Language.KustoCode.ParseAndAnalyze(query, globals);
    const columns = code.ResultType
      ? Bridge.toArray<{ Name: string; Type: { Name: string } }>(code.ResultType.Columns).map(
          (c) => `${c.Name}:${c.Type.Name}`,
        )
      : [];
    return { diagnostics: Bridge.toArray<KustoDiagnostic>(code.GetDiagnostics()), columns };
  };
}

// The library's reader is shared with the dashboard generator (scripts/workbooks.mjs).
export { type LibraryQuery, libraryQueries, splitQuery } from '../../scripts/lib/kql-library.mjs';
