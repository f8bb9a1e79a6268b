// Types for workbooks.mjs, which the contract tests import from TypeScript.
export interface Tile {
  name: string;
  title: string;
  visualization: string;
  durationMs: number;
  queryFile: string;
  /** The library parameters the tile sets: lookback (its time range) and any queryLet. */
  lets: Record<string, string>;
  /** The KQL the tile runs. */
  query: string;
}
export interface Workbook {
  name: string;
  title: string;
  description: string;
  /** The Notebook/1.0 object the template deploys as serializedData. */
  serialized: { version: string; items: unknown[] } & Record<string, unknown>;
  tiles: Tile[];
}
export const workbooksDir: string;
export const dashboardsDir: string;
export const operationsTemplatePath: string;
export function workbookNames(dir?: string): string[];
export function readWorkbookSource(name: string, dir?: string): Record<string, unknown>;
export function timespan(ms: number): string;
export function timeRangeText(ms: number): string;
export function buildWorkbook(name: string, source: unknown, queries?: Map<string, string>): Workbook;
export function serializedData(workbook: Workbook): string;
export function renderWorkbookDoc(workbook: Workbook): string;
export function renderDashboardsIndex(workbooks: Workbook[]): string;
export function templateWithWorkbooks(text: string, workbooks: Workbook[]): string;
export function buildAll(): Workbook[];
export function writeWorkbooks(): void;
