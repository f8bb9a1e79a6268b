import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';

/**
 * The runbooks (docs/runbooks/) and the alerting template point at each other and at the query library:
 * every file they name must exist, every runbook must cite the queries it uses, every alert links to the
 * runbook section that says what to do (and the section exists), and on-call.md's alert table must list
 * exactly the template's alert rules with their severities.
 */

/** GitHub's heading anchor: lower case, punctuation dropped (hyphens kept), each space a hyphen. */
const githubSlug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a Markdown file's headings (ATX, outside code blocks). */
function anchorsOf(path: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of read(path).split('\n')) {
    if (/^```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) anchors.add(githubSlug(heading[1]!));
  }
  return anchors;
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const runbooks = readdirSync(join(repoRoot, 'docs', 'runbooks'))
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => `docs/runbooks/${f}`);

test('there is a runbook for each situation the on-call procedure names', () => {
  expect(runbooks).toEqual(
    expect.arrayContaining(
      [
        'rollback',
        'failed-swap',
        '5xx-spike',
        'database-saturation',
        'autoscale-at-max',
        'leaked-secret',
        'on-call',
      ].map((n) => `docs/runbooks/${n}.md`),
    ),
  );
});

test.each(runbooks)('%s cites query files that exist, and its relative links and anchors resolve', (path) => {
  const text = read(path);
  const cited = [...text.matchAll(/infra\/queries\/([a-z0-9-]+\.kql)/g)].map((m) => m[1]!);
  expect(cited.length).toBeGreaterThan(0);
  expect(cited.filter((f) => !existsSync(join(repoRoot, 'infra', 'queries', f)))).toEqual([]);
  const links = [...text.matchAll(/\]\((?!https?:)([^)#\s]*)(?:#([^)\s]*))?\)/g)].map((m) => ({
    file: m[1] ? join(dirname(path), m[1]) : path,
    anchor: m[2],
  }));
  expect(links.filter((l) => !existsSync(join(repoRoot, l.file)))).toEqual([]);
  expect(
    links.filter((l) => l.file.endsWith('.md') && l.anchor !== undefined && !anchorsOf(l.file).has(l.anchor)),
  ).toEqual([]);
  // Every query named by file name alone in the prose is a library file too.
  const named = [...text.matchAll(/`([a-z0-9-]+\.kql)`/g)].map((m) => m[1]!);
  expect(named.filter((f) => !existsSync(join(repoRoot, 'infra', 'queries', f)))).toEqual([]);
});

interface Rule {
  type: string;
  name: string;
  properties: { severity: number; description?: string };
}
const template = JSON.parse(read('infra/operations.json')) as { resources: Rule[] };
const alerts = template.resources
  .filter((r) =>
    ['Microsoft.Insights/metricAlerts', 'Microsoft.Insights/scheduledQueryRules'].includes(r.type),
  )
  .map((r) => ({
    name: /^\[format\('\{0\}-([a-z0-9-]+)', parameters\('prefix'\)\)\]$/.exec(r.name)?.[1],
    severity: r.properties.severity,
    text: JSON.stringify(r),
  }));

test('every alert names its runbook section, in its description and in its notification, and the section exists', () => {
  const links = template.resources
    .filter((r) =>
      ['Microsoft.Insights/metricAlerts', 'Microsoft.Insights/scheduledQueryRules'].includes(r.type),
    )
    .map((r) => {
      const link = / Runbook: (docs\/runbooks\/[a-z0-9-]+\.md)#([a-z0-9-]+)$/.exec(
        r.properties.description ?? '',
      );
      const actions = (r.properties as { actions?: unknown }).actions;
      // Metric alerts: webHookProperties per action group; log alerts: one customProperties for all.
      const custom = Array.isArray(actions)
        ? (actions as { webHookProperties?: Record<string, string> }[]).map((a) => a.webHookProperties)
        : [(actions as { customProperties?: Record<string, string> }).customProperties];
      return { rule: r.name, file: link?.[1], anchor: link?.[2], custom };
    });
  expect(links.length).toBeGreaterThanOrEqual(16);
  expect(links.filter((l) => !l.file).map((l) => l.rule)).toEqual([]);
  expect(links.filter((l) => !anchorsOf(l.file!).has(l.anchor!)).map((l) => `${l.file}#${l.anchor}`)).toEqual(
    [],
  );
  for (const l of links)
    for (const c of l.custom)
      expect([l.rule, c?.['runbook']]).toEqual([
        l.rule,
        `[format('{0}${l.file}#${l.anchor}', parameters('runbookBaseUrl'))]`,
      ]);
});

test('the anchor check can fail: a heading that is not there, and GitHub slugs', () => {
  expect(anchorsOf('docs/runbooks/5xx-spike.md').has('1-did-it-start-with-a-release-2-minutes')).toBe(true);
  expect(anchorsOf('docs/runbooks/5xx-spike.md').has('did-it-start-with-a-release')).toBe(false);
  expect(githubSlug('3. Roll back by hand (GitHub or the pipeline unavailable)')).toBe(
    '3-roll-back-by-hand-github-or-the-pipeline-unavailable',
  );
});

test('the paths infra/operations.json names (runbooks, queries) exist', () => {
  const text = read('infra/operations.json');
  const paths = [...text.matchAll(/(docs\/runbooks\/[a-z0-9-]+\.md|infra\/queries\/[a-z0-9-]+\.kql)/g)].map(
    (m) => m[1]!,
  );
  expect(paths.length).toBeGreaterThan(5);
  expect(paths.filter((p) => !existsSync(join(repoRoot, p)))).toEqual([]);
});

test("on-call.md's alert table lists exactly the template's alert rules, with their severities", () => {
  const table = read('docs/runbooks/on-call.md')
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  const listed = table.flatMap((row) => {
    const [names = '', , severity = ''] = row.split('|').slice(1);
    return [...names.matchAll(/`([a-z0-9-]+)`/g)].map((m) => ({
      name: m[1],
      severity: Number(severity.trim()),
    }));
  });
  expect(alerts.every((a) => a.name !== undefined)).toBe(true);
  const byName = (x: { name?: string }, y: { name?: string }) => x.name!.localeCompare(y.name!);
  expect(listed.sort(byName)).toEqual(
    alerts.map((a) => ({ name: a.name, severity: a.severity })).sort(byName),
  );
});
