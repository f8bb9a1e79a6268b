import { formatDuration } from '../lib/duration.js';
import { markdownTable, mermaidTimeline } from '../lib/markdown.js';
import type { RunResult } from './context.js';

/** The step outputs, as strings; every one is set on success and on failure. */
export function outputs(result: RunResult): Record<string, string> {
  return {
    'slot-url': result.slotUrl ?? '',
    'production-url': result.targetUrl ?? '',
    image: result.image ?? '',
    'previous-image': result.previousImage ?? '',
    swapped: String(result.swapped),
    'rolled-back': String(result.rolledBack),
    'duration-seconds': (result.durationMs / 1000).toFixed(1),
  };
}

/** The job summary: outcome, a Mermaid timeline of the phases, their table and the images before and after. */
export function summaryMarkdown(result: RunResult, app: string, slot: string, target: string): string {
  const outcome = result.succeeded
    ? '✅ succeeded'
    : result.rolledBack
      ? '↩️ failed, rolled back'
      : '❌ failed';
  const lines = [
    `### deploy-slot ${result.action} of ${app}: ${outcome}`,
    '',
    result.message,
    '',
    mermaidTimeline({
      title: `deploy-slot ${result.action} of ${app}`,
      phases: result.phases.map((p) => ({
        name: p.name,
        startMs: p.startMs,
        durationMs: p.durationMs,
        failed: p.failed,
      })),
    }),
    markdownTable(
      ['Phase', 'Result', 'Duration', 'Detail'],
      result.phases.map((p) => [
        p.name,
        p.failed ? 'failed' : 'ok',
        formatDuration(p.durationMs),
        p.detail ?? '',
      ]),
    ),
    markdownTable(
      ['', `${target}`, `slot ${slot}`],
      [
        ['before', result.before.target ?? '—', result.before.slot ?? '—'],
        ['after', result.after.target ?? '—', result.after.slot ?? '—'],
      ],
    ),
    `Swapped: ${result.swapped} · rolled back: ${result.rolledBack} · ${formatDuration(result.durationMs)}${result.lockWaitMs > 1000 ? ` (of which ${formatDuration(result.lockWaitMs)} waiting for the lease)` : ''}`,
    '',
  ];
  return lines.join('\n');
}
