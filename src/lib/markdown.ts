/** Pure builders for job-summary Markdown. The writer is runner-facing: src/lib/runner/summary.ts. */

function escapeCell(value: unknown): string {
  return String(value ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

export function markdownTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [
    `| ${headers.map(escapeCell).join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${headers.map((_, i) => escapeCell(row[i])).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

function mermaidLabel(text: string): string {
  return `"${text.replace(/"/g, "'").replace(/[\r\n]+/g, ' ')}"`;
}

/** A Mermaid `xychart-beta` bar chart: one bar per label. */
export function mermaidBarChart(opts: {
  title: string;
  yLabel: string;
  bars: readonly { label: string; value: number }[];
}): string {
  const max = Math.max(1, ...opts.bars.map((b) => b.value));
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${mermaidLabel(opts.title)}`,
    `  x-axis [${opts.bars.map((b) => mermaidLabel(b.label)).join(', ')}]`,
    `  y-axis ${mermaidLabel(opts.yLabel)} 0 --> ${Math.ceil((max * 11) / 10)}`,
    `  bar [${opts.bars.map((b) => Number(b.value.toFixed(1))).join(', ')}]`,
    '```',
    '',
  ].join('\n');
}

/** A Mermaid `gantt` chart of sequential phases, for timelines of deploys and waits. */
export function mermaidTimeline(opts: {
  title: string;
  phases: readonly { name: string; startMs: number; durationMs: number; failed?: boolean }[];
}): string {
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${opts.title.replace(/[:#\n]/g, ' ')}`,
    '  dateFormat x',
    '  axisFormat %M:%S',
  ];
  for (const phase of opts.phases) {
    const tag = phase.failed ? 'crit, ' : '';
    const name = phase.name.replace(/[:#\n]/g, ' ');
    lines.push(
      `  ${name} : ${tag}${Math.round(phase.startMs)}, ${Math.max(1, Math.round(phase.durationMs))}ms`,
    );
  }
  lines.push('```', '');
  return lines.join('\n');
}

/** A Mermaid `xychart-beta` line chart: one line per series over shared x labels (Mermaid draws no legend). */
export function mermaidLineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  x: readonly string[];
  lines: readonly (readonly number[])[];
}): string {
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${mermaidLabel(opts.title)}`,
    `  x-axis ${mermaidLabel(opts.xLabel)} [${opts.x.map(mermaidLabel).join(', ')}]`,
    `  y-axis ${mermaidLabel(opts.yLabel)}`,
    ...opts.lines.map(
      (line) => `  line [${line.map((v) => (Number.isFinite(v) ? Number(v.toPrecision(4)) : 0)).join(', ')}]`,
    ),
    '```',
    '',
  ].join('\n');
}
