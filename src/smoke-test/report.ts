import { formatDuration } from '../lib/duration.js';
import { markdownTable, mermaidBarChart } from '../lib/markdown.js';
import { redactQuery, redactUrl } from '../lib/redact.js';
import type { CheckResult, SmokeReport } from './smoke.js';

/** The `results` output: one entry per check name. */
export function resultsOutput(report: SmokeReport): Record<string, unknown> {
  return Object.fromEntries(
    report.results.map((r) => [
      r.name,
      {
        passed: r.passed,
        status: r.status ?? null,
        'latency-ms': r.latencyMs === undefined ? null : Math.round(r.latencyMs),
        attempts: r.attempts,
        reason: r.reason ?? null,
        ...(r.page
          ? {
              page: {
                'load-ms': Math.round(r.page.loadMs),
                'budget-ms': r.page.budgetMs,
                assets: r.page.assets.length - 1,
                'uncompressed-text': r.page.uncompressedText,
                'short-cache': r.page.shortCache,
              },
            }
          : {}),
      },
    ]),
  );
}

/** One line naming each failed check and why, for the failure message. */
export function failureMessage(report: SmokeReport): string {
  const failed = report.results.filter((r) => !r.passed);
  const parts = failed.map(
    (r) => `"${r.name}" (${r.reason ?? 'failed'}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`,
  );
  return `${failed.length} of ${report.results.length} smoke check${report.results.length === 1 ? '' : 's'} failed: ${parts.join('; ')}`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : formatDuration(value);
}

function pageSection(r: CheckResult): string {
  if (!r.page) return '';
  const p = r.page;
  const rows = p.assets.map((a) => [
    a.kind,
    new URL(a.url).pathname,
    a.error ?? a.status,
    a.bytes,
    ms(a.latencyMs),
    a.compressed ? 'yes' : 'no',
    a.kind === 'document' ? 'n/a' : a.longLivedCache ? 'yes' : 'no',
  ]);
  return [
    `#### Page load: ${r.name}`,
    '',
    `Loaded in **${ms(p.loadMs)}** against a budget of ${ms(p.budgetMs)}: ${p.withinBudget ? 'within budget' : '**over budget**'}.`,
    '',
    markdownTable(['Kind', 'Path', 'Status', 'Bytes', 'Time', 'Compressed', 'Long-lived cache'], rows),
  ].join('\n');
}

/** Path and query of a check's URL, query values redacted: `/health?token=***`. */
function requestTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${redactQuery(parsed.search)}`;
}

export function summaryMarkdown(report: SmokeReport, baseUrl: string): string {
  const rows = report.results.map((r) => [
    r.passed ? '✅' : '❌',
    r.name,
    `${r.method} ${requestTarget(r.url)}`,
    r.status ?? '–',
    ms(r.latencyMs),
    r.attempts,
    r.reason ?? '',
  ]);
  const bars = report.results
    .filter((r) => r.latencyMs !== undefined)
    .map((r) => ({ label: r.name, value: r.latencyMs! }));
  return [
    `## Smoke test: ${report.passed ? 'passed' : 'failed'}`,
    '',
    `${report.results.length - report.failed} of ${report.results.length} checks passed against ${redactUrl(baseUrl)}; p95 latency ${ms(report.p95LatencyMs)}.`,
    '',
    markdownTable(['', 'Check', 'Request', 'Status', 'Latency', 'Attempts', 'Failure'], rows),
    bars.length > 0 ? mermaidBarChart({ title: 'Latency per check', yLabel: 'ms', bars }) : '',
    ...report.results.map(pageSection),
  ].join('\n');
}
