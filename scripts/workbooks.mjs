// Generates the dashboards from their sources: each infra/workbooks/<name>.workbook.json (an Azure Workbook in
// the Notebook/1.0 format whose query tiles name a file of the query library instead of holding KQL) becomes
//  - the serializedData string of its Microsoft.Insights/workbooks resource in infra/operations.json, and
//  - docs/dashboards/<name>.md (its tiles and the query behind each), with docs/dashboards/README.md as index.
// `npm run docs` runs it; a contract test regenerates everything in memory and compares, so the template, the
// docs and the sources cannot drift. Tiles take their KQL from infra/queries/ so alerts, hand-run queries and
// dashboards share one text.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './actions.mjs';
import { libraryQueries } from './lib/kql-library.mjs';

export const workbooksDir = join(repoRoot, 'infra', 'workbooks');
export const dashboardsDir = join(repoRoot, 'docs', 'dashboards');
export const operationsTemplatePath = join(repoRoot, 'infra', 'operations.json');

const SUFFIX = '.workbook.json';
const WORKSPACE = 'microsoft.operationalinsights/workspaces';
const WORKBOOK_TYPE = 'Microsoft.Insights/workbooks';
// The KqlItem visualizations of the workbook format that these dashboards use or may use.
const VISUALIZATIONS = new Set([
  'table',
  'timechart',
  'barchart',
  'piechart',
  'areachart',
  'linechart',
  'categoricalbar',
  'unstackedbar',
  'tiles',
]);

export function workbookNames(dir = workbooksDir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

export function readWorkbookSource(name, dir = workbooksDir) {
  return JSON.parse(readFileSync(join(dir, `${name}${SUFFIX}`), 'utf8'));
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A KQL timespan literal for a duration: whole days as Nd, else whole hours Nh, else whole minutes Nm. */
export function timespan(ms) {
  if (ms % DAY === 0) return `${ms / DAY}d`;
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  return `${Math.round(ms / MINUTE)}m`;
}

/** The time range as the docs say it: "last 24 hours", "last 7 days". */
export function timeRangeText(ms) {
  const [n, unit] =
    ms % DAY === 0 && ms > DAY
      ? [ms / DAY, 'day']
      : ms % HOUR === 0
        ? [ms / HOUR, 'hour']
        : [ms / MINUTE, 'minute'];
  return `last ${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Replaces the `let <name> = …;` line of a library body (the library keeps one line per parameter). */
function setLet(body, name, value) {
  const line = new RegExp(`^let ${name} = [^\\n]*;$`, 'm');
  return line.test(body) ? body.replace(line, () => `let ${name} = ${value};`) : undefined;
}

const library = () => new Map(libraryQueries().map((q) => [q.file, q.body]));

/**
 * A workbook from its source: `serialized` is the Notebook/1.0 object the template deploys, `tiles` what the
 * docs list. A query tile's `queryFile` names a library file; the tile's time range becomes the query's
 * `lookback`, and `queryLet` may set other parameters. Every problem is one line naming the file; all are
 * reported at once.
 */
export function buildWorkbook(name, source, queries = library()) {
  const where = `infra/workbooks/${name}${SUFFIX}`;
  const problems = [];
  const { slotline: meta, ...notebook } = source ?? {};
  if (notebook.version !== 'Notebook/1.0') problems.push(`${where}: version must be "Notebook/1.0"`);
  if (typeof meta?.title !== 'string' || typeof meta?.description !== 'string')
    problems.push(`${where}: "slotline" must give a title and a description`);
  const items = Array.isArray(notebook.items) ? notebook.items : [];
  if (items.length === 0) problems.push(`${where}: has no items`);
  const names = new Set();
  const tiles = [];
  const built = items.map((item, i) => {
    const at = `${where}: items[${i}]`;
    if (typeof item?.name !== 'string' || names.has(item.name)) problems.push(`${at}: needs a unique name`);
    names.add(item?.name);
    if (item?.type === 1) {
      if (typeof item.content?.json !== 'string') problems.push(`${at}: a text item needs content.json`);
      return item;
    }
    if (item?.type !== 3) {
      problems.push(
        `${at}: only text (1) and query (3) items are supported, got ${JSON.stringify(item?.type)}`,
      );
      return item;
    }
    const { queryFile, queryLet = {}, query, ...content } = item.content ?? {};
    if (query !== undefined) problems.push(`${at}: takes its KQL from the library (queryFile), not inline`);
    if (typeof content.title !== 'string' || !content.title) problems.push(`${at}: needs a title`);
    if (content.version !== 'KqlItem/1.0') problems.push(`${at}: content.version must be "KqlItem/1.0"`);
    if (!VISUALIZATIONS.has(content.visualization))
      problems.push(
        `${at}: visualization ${JSON.stringify(content.visualization)} is not one of ${[...VISUALIZATIONS].join(', ')}`,
      );
    if (content.queryType !== 0 || content.resourceType !== WORKSPACE)
      problems.push(`${at}: must be a Logs query (queryType 0) on the workspace (resourceType ${WORKSPACE})`);
    const ms = content.timeContext?.durationMs;
    if (!Number.isInteger(ms) || ms < MINUTE)
      problems.push(`${at}: needs timeContext.durationMs (at least a minute)`);
    let text = queries.get(queryFile);
    if (text === undefined)
      problems.push(`${at}: queryFile ${JSON.stringify(queryFile)} is not in infra/queries/`);
    const lets = { lookback: Number.isInteger(ms) ? timespan(ms) : undefined, ...queryLet };
    for (const [parameter, value] of Object.entries(lets)) {
      if (text === undefined) break;
      text = setLet(text, parameter, value);
      if (text === undefined) problems.push(`${at}: ${queryFile} has no "let ${parameter} = …;" line`);
    }
    tiles.push({
      name: item.name,
      title: content.title,
      visualization: content.visualization,
      durationMs: ms,
      queryFile,
      lets,
      query: text ?? '',
    });
    return { ...item, content: { ...content, query: text ?? '' } };
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    name,
    title: meta.title,
    description: meta.description,
    serialized: { ...notebook, items: built },
    tiles,
  };
}

/** The string the template's serializedData holds. */
export const serializedData = (workbook) => JSON.stringify(workbook.serialized);

const cell = (text) => String(text).replace(/\|/g, '\\|');

export function renderWorkbookDoc(workbook) {
  const lines = [
    `# ${workbook.title}`,
    '',
    `<!-- Generated from infra/workbooks/${workbook.name}${SUFFIX} by \`npm run docs\`. Do not edit. -->`,
    '',
    workbook.description,
    '',
    `Deployed by [infra/operations.json](../../infra/operations.json) as a shared workbook on the Log Analytics`,
    "workspace: open it from the workspace's **Workbooks** page. Each tile runs its query over the tile's own",
    'time range; the query is a file of the [query library](../../infra/queries/README.md) with its `lookback`',
    'set to that range.',
    '',
    '## Tiles',
    '',
    '| # | Tile | Visualization | Time range | Query |',
    '| --- | --- | --- | --- | --- |',
    ...workbook.tiles.map(
      (t, i) =>
        `| ${i + 1} | ${cell(t.title)} | ${t.visualization} | ${timeRangeText(t.durationMs)} | [\`${t.queryFile}\`](../../infra/queries/${t.queryFile}) |`,
    ),
    '',
    '## Queries',
  ];
  workbook.tiles.forEach((t, i) => {
    const lets = Object.entries(t.lets)
      .map(([k, v]) => `\`${k}\` = \`${v}\``)
      .join(', ');
    lines.push(
      '',
      `### ${i + 1}. ${t.title}`,
      '',
      `\`infra/queries/${t.queryFile}\` with ${lets}:`,
      '',
      '```kql',
      t.query,
      '```',
    );
  });
  return `${lines.join('\n')}\n`;
}

export function renderDashboardsIndex(workbooks) {
  return `${[
    '# Dashboards',
    '',
    '<!-- Generated from infra/workbooks/*.workbook.json by `npm run docs`. Do not edit. -->',
    '',
    'Azure Workbooks that `infra/operations.json` deploys on the Log Analytics workspace, next to the alerts.',
    'Their sources are `infra/workbooks/<name>.workbook.json` (the Notebook/1.0 workbook format; each query tile',
    'names a file of the [query library](../../infra/queries/README.md)). `npm run docs` turns each source into',
    "the template's `serializedData` and into the page listed here; a test fails when either is out of date,",
    "and another checks every tile's query with the Kusto language service against the table schemas.",
    '',
    '| Dashboard | Tiles | What it shows |',
    '| --- | --- | --- |',
    ...workbooks.map(
      (w) =>
        `| [${cell(w.title)}](${w.name}.md) | ${w.tiles.length} | ${cell(w.description.replace(/\s*\n\s*/g, ' '))} |`,
    ),
  ].join('\n')}\n`;
}

/**
 * The template text with each workbook resource's serializedData set to what its source generates. The
 * resource names its source in metadata.comments. Only the string literal is replaced, so the rest of the
 * file keeps its formatting.
 */
export function templateWithWorkbooks(text, workbooks) {
  const template = JSON.parse(text);
  const byName = new Map(workbooks.map((w) => [w.name, w]));
  const seen = new Set();
  let out = text;
  for (const resource of template.resources.filter((r) => r.type === WORKBOOK_TYPE)) {
    const source = /^infra\/workbooks\/([a-z0-9-]+)\.workbook\.json\b/.exec(
      resource.metadata?.comments ?? '',
    )?.[1];
    const workbook = byName.get(source);
    if (!workbook)
      throw new Error(
        `infra/operations.json: workbook ${resource.name} does not name a source in infra/workbooks/ (metadata.comments)`,
      );
    seen.add(source);
    const old = JSON.stringify(resource.properties.serializedData);
    const next = JSON.stringify(serializedData(workbook));
    if (old === next) continue;
    if (out.split(old).length !== 2)
      throw new Error(
        `infra/operations.json: the serializedData of ${source} is not unique in the file; set it to "pending:${source}"`,
      );
    out = out.replace(old, () => next);
  }
  const missing = workbooks.filter((w) => !seen.has(w.name)).map((w) => w.name);
  if (missing.length > 0)
    throw new Error(`infra/operations.json: no workbook resource for ${missing.join(', ')}`);
  return out;
}

export function buildAll() {
  return workbookNames().map((name) => buildWorkbook(name, readWorkbookSource(name)));
}

export function writeWorkbooks() {
  const workbooks = buildAll();
  const text = readFileSync(operationsTemplatePath, 'utf8');
  const next = templateWithWorkbooks(text, workbooks);
  if (next !== text) writeFileSync(operationsTemplatePath, next);
  // Only generated pages live here: pages of removed workbooks go.
  if (existsSync(dashboardsDir)) rmSync(dashboardsDir, { recursive: true });
  mkdirSync(dashboardsDir, { recursive: true });
  for (const w of workbooks) writeFileSync(join(dashboardsDir, `${w.name}.md`), renderWorkbookDoc(w));
  writeFileSync(join(dashboardsDir, 'README.md'), renderDashboardsIndex(workbooks));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    writeWorkbooks();
  } catch (error) {
    // The problems name their file and item; a stack trace would only bury them.
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
