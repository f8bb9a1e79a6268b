import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, test } from '@jest/globals';
import { repoRoot } from '../helpers/runner.js';

/**
 * The runbooks (docs/runbooks/) and the alerting template point at each other and at the query library:
 * every file they name must exist, every runbook must cite the queries it uses, and on-call.md's alert
 * table must list exactly the template's alert rules with their severities.
 */

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

test.each(runbooks)('%s cites query files that exist, and its relative links resolve', (path) => {
  const text = read(path);
  const cited = [...text.matchAll(/infra\/queries\/([a-z0-9-]+\.kql)/g)].map((m) => m[1]!);
  expect(cited.length).toBeGreaterThan(0);
  expect(cited.filter((f) => !existsSync(join(repoRoot, 'infra', 'queries', f)))).toEqual([]);
  const links = [...text.matchAll(/\]\((?!https?:|#)([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
  expect(links.filter((l) => !existsSync(join(repoRoot, dirname(path), l)))).toEqual([]);
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
