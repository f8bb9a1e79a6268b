import type { Cause, Verdict } from './judge.js';
import type { Trial } from './plan.js';

export interface TrialResult {
  id: string;
  action: string;
  input: string;
  kind: string;
  label: string;
  acceptable: boolean;
  outcome: Verdict['outcome'];
  problems: Verdict['problems'];
  errorLine?: string;
  exitCode: number | null;
  durationMs: number;
}

export function toResult(
  trial: Trial,
  verdict: Verdict,
  exitCode: number | null,
  durationMs: number,
): TrialResult {
  return {
    id: trial.id,
    action: trial.action,
    input: trial.input,
    kind: trial.kind,
    label: trial.label,
    acceptable: trial.acceptable,
    outcome: verdict.outcome,
    problems: verdict.problems,
    ...(verdict.errorLine !== undefined ? { errorLine: verdict.errorLine.slice(0, 300) } : {}),
    exitCode,
    durationMs,
  };
}

export interface Summary {
  trials: number;
  failed: number;
  inputs: number;
  byAction: Record<
    string,
    { trials: number; inputs: number; rejected: number; accepted: number; failed: number }
  >;
  byCause: Record<string, { trials: number; example: { id: string; detail: string } }>;
}

export function summarize(results: readonly TrialResult[]): Summary {
  const byAction: Summary['byAction'] = {};
  const byCause: Summary['byCause'] = {};
  const inputs = new Set<string>();
  for (const r of results) {
    inputs.add(`${r.action}/${r.input}`);
    byAction[r.action] ??= { trials: 0, inputs: 0, rejected: 0, accepted: 0, failed: 0 };
    const a = byAction[r.action]!;
    a.trials++;
    a[r.outcome]++;
    const causes = new Set<Cause>(r.problems.map((p) => p.cause));
    for (const cause of causes) {
      byCause[cause] ??= {
        trials: 0,
        example: { id: r.id, detail: r.problems.find((p) => p.cause === cause)!.detail },
      };
      byCause[cause]!.trials++;
    }
  }
  for (const [action, a] of Object.entries(byAction))
    a.inputs = [...inputs].filter((i) => i.startsWith(`${action}/`)).length;
  return {
    trials: results.length,
    failed: results.filter((r) => r.outcome === 'failed').length,
    inputs: inputs.size,
    byAction,
    byCause,
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One table per action (a row per input), then failures by cause with one example each, then the total. */
export function formatReport(results: readonly TrialResult[]): string {
  const out: string[] = [];
  const actions = [...new Set(results.map((r) => r.action))];
  for (const action of actions) {
    const rows = results.filter((r) => r.action === action);
    out.push(`\n${action}`);
    out.push(`  ${pad('input', 22)} ${pad('kind', 15)} trials rejected accepted failed`);
    for (const input of [...new Set(rows.map((r) => r.input))]) {
      const of = rows.filter((r) => r.input === input);
      const count = (o: TrialResult['outcome']) => String(of.filter((r) => r.outcome === o).length);
      out.push(
        `  ${pad(input, 22)} ${pad(of[0]!.kind, 15)} ${pad(String(of.length), 6)} ${pad(count('rejected'), 8)} ${pad(count('accepted'), 8)} ${count('failed')}`,
      );
    }
  }
  const summary = summarize(results);
  const causes = Object.entries(summary.byCause).sort((a, b) => b[1].trials - a[1].trials);
  if (causes.length > 0) {
    out.push('\nFailures by cause (a trial can have several):');
    for (const [cause, { trials, example }] of causes)
      out.push(
        `  ${pad(cause, 22)} ${pad(String(trials), 5)} e.g. ${example.id}: ${example.detail.slice(0, 220)}`,
      );
  }
  const perAction = Object.entries(summary.byAction)
    .map(([a, s]) => `${a} ${s.trials}`)
    .join(', ');
  out.push(
    `\n${summary.trials} trials over ${summary.inputs} inputs (${perAction}), ${summary.failed} failed`,
  );
  return out.join('\n');
}
