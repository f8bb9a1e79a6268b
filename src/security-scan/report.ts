import { markdownTable } from '../lib/markdown.js';
import { describeEntry } from './allowlist.js';
import type { FingerprintedFinding, ScannerName } from './findings.js';
import type { ScanReport } from './scan.js';
import { SEVERITIES, type Severity } from './severity.js';

export type SeverityCounts = Record<Severity, number> & { total: number };
export interface Counts extends SeverityCounts {
  byTool: Partial<Record<ScannerName, SeverityCounts>>;
}

function emptyCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, total: 0 };
}

/** Counts of active (not suppressed) findings, by severity and by tool: the `counts` output. */
export function countFindings(
  findings: readonly FingerprintedFinding[],
  tools: readonly ScannerName[],
): Counts {
  const counts: Counts = { ...emptyCounts(), byTool: {} };
  for (const tool of tools) counts.byTool[tool] = emptyCounts();
  for (const f of findings) {
    counts[f.severity]++;
    counts.total++;
    const perTool = counts.byTool[f.tool] ?? emptyCounts();
    counts.byTool[f.tool] = perTool;
    perTool[f.severity]++;
    perTool.total++;
  }
  return counts;
}

export interface Annotation {
  kind: 'error' | 'warning' | 'notice';
  message: string;
  title: string;
  file: string;
  startLine: number;
  endLine?: number;
  startColumn?: number;
}

/** GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job). */
export const ANNOTATIONS_PER_KIND = 10;

function kindOf(f: FingerprintedFinding): Annotation['kind'] {
  return f.severity === 'critical' || f.severity === 'high'
    ? 'error'
    : f.severity === 'medium'
      ? 'warning'
      : 'notice';
}

/**
 * Annotations for reported findings, worst first, at most `perKind` of each kind: more would be dropped
 * by GitHub without a word. When some are left out, one notice slot is kept free for the note that says so.
 */
export function annotationsFor(
  reported: readonly FingerprintedFinding[],
  perKind = ANNOTATIONS_PER_KIND,
): { annotations: Annotation[]; omitted: number } {
  const used = { error: 0, warning: 0, notice: 0 };
  const annotations: Annotation[] = [];
  let omitted = 0;
  for (const f of reported) {
    const kind = kindOf(f);
    if (used[kind] >= perKind) {
      omitted++;
      continue;
    }
    used[kind]++;
    annotations.push({
      kind,
      title: `${f.tool} ${f.ruleId} (${f.severity})`,
      message: f.message,
      file: f.location.path,
      startLine: f.location.startLine,
      ...(f.location.endLine && f.location.endLine >= f.location.startLine
        ? { endLine: f.location.endLine }
        : {}),
      // GitHub only honours columns on single-line annotations.
      ...(f.location.startColumn && (f.location.endLine ?? f.location.startLine) === f.location.startLine
        ? { startColumn: f.location.startColumn }
        : {}),
    });
  }
  if (omitted > 0 && used.notice >= perKind) {
    const last = annotations.map((a) => a.kind).lastIndexOf('notice');
    annotations.splice(last, 1);
    omitted++;
  }
  return { annotations, omitted };
}

export interface LinkContext {
  serverUrl?: string;
  repository?: string;
  sha?: string;
}

function locationLink(f: FingerprintedFinding, link: LinkContext): string {
  const text = `${f.location.path}:${f.location.startLine}`;
  if (!link.serverUrl || !link.repository || !link.sha) return `\`${text}\``;
  const path = f.location.path.split('/').map(encodeURIComponent).join('/');
  return `[${text}](${link.serverUrl}/${link.repository}/blob/${link.sha}/${path}#L${f.location.startLine})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export const TOP_FINDINGS = 20;
export const SUPPRESSED_ROWS = 50;

export function summaryMarkdown(
  report: ScanReport,
  opts: { failOn: string; reportOn: string; sarifFile: string; link: LinkContext },
): string {
  const { policy } = report;
  const notRun = report.selection.notRun.length;
  const status = `${report.failures.length > 0 ? 'scanner failure' : policy.passed ? 'passed' : 'failed'}${notRun > 0 ? `, ${notRun} needed scanner(s) not run` : ''}`;
  const parts: string[] = [
    `## Security scan: ${status}\n`,
    `fail-on **${opts.failOn}**, report-on **${opts.reportOn}**; ${policy.active.length} finding(s), ${policy.reported.length} reported, ${policy.suppressed.length} suppressed. SARIF: \`${opts.sarifFile}\`.\n`,
  ];
  const scannerRows: unknown[][] = report.scanners.map((s) => [
    s.name,
    s.error ? `failed: ${s.error}` : 'ran',
    s.version ?? '',
    s.error ? '' : s.findings,
    seconds(s.wallMs),
  ]);
  for (const s of report.selection.notRun) scannerRows.push([s.name, `**not run**: ${s.reason}`, '', '', '']);
  for (const s of report.selection.skipped) scannerRows.push([s.name, `skipped: ${s.reason}`, '', '', '']);
  parts.push(
    '### Scanners\n',
    markdownTable(['Scanner', 'Status', 'Version', 'Findings', 'Time'], scannerRows),
  );

  const counts = countFindings(
    policy.active,
    report.scanners.filter((s) => !s.error).map((s) => s.name),
  );
  const countRows = Object.entries(counts.byTool).map(([tool, c]) => [
    tool,
    ...SEVERITIES.map((s) => c![s]),
    c!.total,
  ]);
  countRows.push(['**all**', ...SEVERITIES.map((s) => counts[s]), counts.total]);
  parts.push(
    '\n### Findings by tool and severity\n',
    markdownTable(['Tool', ...SEVERITIES, 'total'], countRows),
  );

  if (policy.reported.length > 0) {
    const top = policy.reported.slice(0, TOP_FINDINGS);
    parts.push(
      `\n### Top findings${policy.reported.length > top.length ? ` (${top.length} of ${policy.reported.length})` : ''}\n`,
      markdownTable(
        ['Severity', 'Tool', 'Rule', 'Location', 'Message'],
        top.map((f) => [f.severity, f.tool, f.ruleId, locationLink(f, opts.link), f.message]),
      ),
    );
  }
  if (policy.suppressed.length > 0) {
    // A broad entry (B101 in tests/**) can suppress hundreds; the summary has a 1 MiB budget.
    const shown = policy.suppressed.slice(0, SUPPRESSED_ROWS);
    parts.push(
      `\n### Suppressed by the allowlist${shown.length < policy.suppressed.length ? ` (${shown.length} of ${policy.suppressed.length})` : ''}\n`,
      markdownTable(
        ['Severity', 'Tool', 'Rule', 'Location', 'Reason', 'Expires'],
        shown.map(({ finding, entry }) => [
          finding.severity,
          finding.tool,
          finding.ruleId,
          locationLink(finding, opts.link),
          entry.reason,
          entry.expires,
        ]),
      ),
    );
  }
  if (policy.expired.length > 0) {
    parts.push(
      '\n### Expired allowlist entries (these fail the run)\n',
      markdownTable(
        ['Entry', 'Reason', 'Expired on'],
        policy.expired.map(({ entry, index }) => [describeEntry(entry, index), entry.reason, entry.expires]),
      ),
    );
  }
  const truncated = Object.entries(report.sarif.truncated);
  if (truncated.length > 0)
    parts.push(
      `\n> GitHub accepts at most 25,000 results per run; left out of the SARIF file: ${truncated.map(([t, n]) => `${t} ${n}`).join(', ')}.\n`,
    );
  parts.push(
    `\nScan ${seconds(report.timings.totalMs)}: scanners ${seconds(report.timings.scanPhaseMs)} (their own processes ${seconds(report.timings.scannerMs)}), slotline ${seconds(report.timings.totalMs - report.timings.scanPhaseMs)}.\n`,
  );
  return parts.join('');
}
