// The Markdown report: the stage table, each job's steps, annotations and step summaries.
import type { RunResult } from './runner.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderReport(workflow: string, result: RunResult): string {
  const lines = [
    `# ${cell(workflow)}: ${result.success ? 'succeeded' : 'failed'} in ${seconds(result.durationMs)}`,
    '',
    '| job | result | duration |',
    '| --- | --- | --- |',
    ...result.jobs.map(
      (j) => `| ${cell(j.key)} | ${j.result} | ${j.result === 'skipped' ? '' : seconds(j.durationMs)} |`,
    ),
  ];
  if (result.annotations.length > 0) {
    lines.push('', '## Annotations', '');
    for (const a of result.annotations) lines.push(`- **${a.level}** (${cell(a.job)}): ${cell(a.message)}`);
  }
  if (Object.keys(result.outputs).length > 0) {
    lines.push('', '## Outputs', '', '| name | value |', '| --- | --- |');
    for (const [name, value] of Object.entries(result.outputs))
      lines.push(`| ${cell(name)} | ${cell(value)} |`);
  }
  for (const job of result.jobs) {
    if (job.steps.length === 0 && job.summary === '') continue;
    lines.push(
      '',
      `## ${job.key}: ${job.result}`,
      '',
      '| step | outcome | conclusion | duration |',
      '| --- | --- | --- | --- |',
    );
    for (const s of job.steps)
      lines.push(`| ${cell(s.name)} | ${s.outcome} | ${s.conclusion} | ${seconds(s.durationMs)} |`);
    if (job.summary.trim() !== '') lines.push('', job.summary.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
