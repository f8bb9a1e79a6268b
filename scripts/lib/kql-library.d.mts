// Types for kql-library.mjs, which tests import from TypeScript.
export interface LibraryQuery {
  /** File name, e.g. http-5xx-rate.kql. */
  file: string;
  /** The leading comment block, `// ` removed. */
  header: string;
  /** Everything after the header: the query a workspace (or an alert, or a dashboard tile) runs. */
  body: string;
}
export const queriesDir: string;
export function splitQuery(file: string, text: string): LibraryQuery;
export function libraryQueries(dir?: string): LibraryQuery[];
