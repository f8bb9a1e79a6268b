import { INJECTED_MARK, SECRET_MARK } from './kinds.js';
import type { StepRun, TrialRun } from './runner.js';

/** Why a trial failed; reports group failures by it. */
export type Cause =
  | 'timeout'
  | 'crash'
  | 'no-error-line'
  | 'several-error-lines'
  | 'input-not-named'
  | 'bad-value-accepted'
  | 'stack-trace'
  | 'unexpected-error'
  | 'injected-command'
  | 'control-chars'
  | 'secret-leak'
  | 'secret-printed-masked'
  | 'masked-non-secret'
  | 'overlong-error-line'
  | 'stray-output'
  | 'stray-file'
  | 'post-step';

export interface Problem {
  cause: Cause;
  detail: string;
}

export interface Verdict {
  /** rejected: exit 1 naming the input; accepted: an acceptable value taken; failed: any problem. */
  outcome: 'rejected' | 'accepted' | 'failed';
  problems: Problem[];
  /** The failure line as the runner shows it, when there is one. */
  errorLine?: string;
}

/** What the judge needs to know about a trial. */
export interface TrialFacts {
  input: string;
  acceptable: boolean;
  secretInput: boolean;
  /** Output names action.yml declares. */
  outputs: readonly string[];
}

/** Workflow commands an action may legitimately write. Any other `::name` line is an injection. */
const ALLOWED_COMMANDS = new Set(['add-mask', 'debug', 'error', 'warning', 'notice', 'group', 'endgroup']);
/** Raw C0/C1 controls (tab and newline allowed), bidi controls, zero-width and other invisible format characters. */
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point.
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff]/;
const STACK_FRAME = /^\s+at\s+(?:.+\(.+:\d+:\d+\)|.+:\d+:\d+|.*\(native\)|.*<anonymous>)\s*$/m;
const UNEXPECTED =
  /unexpected error|Maximum call stack|Cannot read propert|is not a function|is not iterable|\bundefined is not|\b(?:Type|Range|Reference)Error\b|node:internal|\bERR_[A-Z_]{3,}\b/;
/** A failure line longer than this is not "one line" a user can read. */
export const MAX_ERROR_LINE = 1000;

function decodeCommandData(text: string): string {
  return text.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
}

function describe(text: string, at: number): string {
  const start = Math.max(0, at - 40);
  return JSON.stringify(text.slice(start, at + 40));
}

function hasNamedInput(line: string, input: string): boolean {
  const name = input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `["'\`\u201c\u2018]${name}["'\`\u201d\u2019]|\\binputs?\\s+${name}(?![\\w-])|(?<![\\w-])${name}\\s+input\\b`,
    'i',
  ).test(line);
}

/** The log as the runner shows it: add-mask lines consumed, each masked value replaced by `***`. */
export function runnerView(step: Pick<StepRun, 'stdout' | 'stderr'>): { lines: string[]; masks: string[] } {
  const masks: string[] = [];
  const lines: string[] = [];
  for (const line of `${step.stdout}\n${step.stderr}`.split('\n')) {
    const mask = /^::add-mask::(.*)$/.exec(line);
    if (mask) {
      const value = decodeCommandData(mask[1]!);
      if (value !== '') masks.push(value);
    } else lines.push(line);
  }
  return { lines, masks };
}

export function applyMasks(line: string, masks: readonly string[]): string {
  let out = line;
  for (const m of [...masks].sort((a, b) => b.length - a.length)) out = out.split(m).join('***');
  return out;
}

/** Checks every step must pass, accepted or not: nothing injected, nothing leaked, nothing raw. */
function hygiene(step: StepRun, facts: TrialFacts, where: string, problems: Problem[]): void {
  const add = (cause: Cause, detail: string) => problems.push({ cause, detail: `${where}: ${detail}` });
  const { lines, masks } = runnerView(step);

  for (const line of lines) {
    if (line.startsWith('##[')) {
      add('injected-command', `runner command line ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    // A command of the step's own is fine; one whose text starts with a bad value's mark was smuggled in.
    const command = /^::([A-Za-z-]+)(?:\s[^:]*)?::(.*)$/.exec(line);
    if (command && (!ALLOWED_COMMANDS.has(command[1]!) || command[2]!.startsWith(INJECTED_MARK)))
      add('injected-command', `workflow command line ${JSON.stringify(line.slice(0, 80))}`);
  }

  // The visible log first, so a report's example shows what users see rather than a debug line.
  const texts: [string, string][] = [
    ['log', lines.filter((l) => !l.startsWith('::debug::')).join('\n')],
    ['debug log', lines.filter((l) => l.startsWith('::debug::')).join('\n')],
    ['summary', step.summary],
    ...Object.entries(step.outputs).map(([k, v]): [string, string] => [`output ${k}`, v]),
  ];
  for (const [name, text] of texts) {
    const m = CONTROL.exec(text);
    if (m && !problems.some((p) => p.cause === 'control-chars' && p.detail.startsWith(`${where}:`)))
      add(
        'control-chars',
        `raw U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase()} in ${name} at ${describe(text, m.index)}`,
      );
  }

  for (const [name, text] of texts) {
    const at = text.indexOf(SECRET_MARK);
    if (at === -1) continue;
    // In the log the runner would mask values the step registered; outputs and the summary leave as they are.
    const visible = name.endsWith('log') ? applyMasks(text, masks).includes(SECRET_MARK) : true;
    add(visible ? 'secret-leak' : 'secret-printed-masked', `secret in ${name} at ${describe(text, at)}`);
  }

  const visibleLog = lines.filter((l) => !l.startsWith('::debug::')).join('\n');
  const frame = STACK_FRAME.exec(visibleLog);
  if (frame) add('stack-trace', JSON.stringify(frame[0].trim().slice(0, 120)));
  const unexpected = UNEXPECTED.exec(visibleLog);
  if (unexpected) add('unexpected-error', describe(visibleLog, unexpected.index));

  const stray = Object.keys(step.outputs).filter((k) => !facts.outputs.includes(k));
  if (stray.length > 0) add('stray-output', `outputs not in action.yml: ${stray.join(', ')}`);

  if (step.timedOut) add('timeout', `killed after ${step.durationMs} ms`);
  else if (step.exitCode !== 0 && step.exitCode !== 1)
    add('crash', `exit ${step.exitCode ?? 'none'}${step.signal ? ` (${step.signal})` : ''}`);
}

/** Judge one trial's run. */
export function judge(facts: TrialFacts, run: TrialRun): Verdict {
  const problems: Problem[] = [];
  const { main } = run;
  hygiene(main, facts, 'main', problems);

  const { lines, masks } = runnerView(main);
  const errorLines = lines.filter((l) => /^::error(?:\s[^:]*)?::/.test(l));
  const raw = errorLines[0]
    ? decodeCommandData(errorLines[0].replace(/^::error(?:\s[^:]*)?::/, ''))
    : undefined;
  const errorLine = raw === undefined ? undefined : applyMasks(raw, masks);
  let outcome: Verdict['outcome'] = 'failed';

  if (!main.timedOut && main.exitCode === 0) {
    if (facts.acceptable) outcome = 'accepted';
    else problems.push({ cause: 'bad-value-accepted', detail: 'main: exit 0' });
  } else if (!main.timedOut && main.exitCode === 1) {
    if (errorLines.length === 0)
      problems.push({ cause: 'no-error-line', detail: 'main: exit 1 without ::error::' });
    if (errorLines.length > 1)
      problems.push({ cause: 'several-error-lines', detail: `main: ${errorLines.length} ::error lines` });
    if (errorLine !== undefined) {
      if (errorLine.length > MAX_ERROR_LINE)
        problems.push({ cause: 'overlong-error-line', detail: `main: ${errorLine.length} characters` });
      // The runner masks what the step registered: a non-secret input must stay readable.
      if (!facts.secretInput && errorLine !== raw && !raw!.includes(SECRET_MARK))
        problems.push({
          cause: 'masked-non-secret',
          detail: `main: the runner shows ${JSON.stringify(errorLine.slice(0, 160))}`,
        });
      if (hasNamedInput(errorLine, facts.input)) outcome = 'rejected';
      else if (facts.acceptable) outcome = 'accepted';
      else
        problems.push({
          cause: 'input-not-named',
          detail: `main: ${JSON.stringify(errorLine.slice(0, 200))}`,
        });
    }
  }

  if (outcome === 'rejected' && run.workspaceFiles.length > 0)
    problems.push({
      cause: 'stray-file',
      detail: `rejected, yet wrote ${run.workspaceFiles.slice(0, 5).join(', ')} in the workspace`,
    });
  if (run.strayFiles.length > 0)
    problems.push({
      cause: 'stray-file',
      detail: `outside RUNNER_TEMP and the workspace: ${run.strayFiles.slice(0, 5).join(', ')}`,
    });

  if (run.post) {
    hygiene(run.post, facts, 'post', problems);
    if (!run.post.timedOut && run.post.exitCode !== 0)
      problems.push({ cause: 'post-step', detail: `post: exit ${run.post.exitCode}` });
    const postErrors = runnerView(run.post).lines.filter((l) => l.startsWith('::error'));
    if (postErrors.length > 0)
      problems.push({ cause: 'post-step', detail: `post: ${JSON.stringify(postErrors[0]!.slice(0, 160))}` });
  }

  return {
    outcome: problems.length > 0 ? 'failed' : outcome,
    problems,
    ...(errorLine !== undefined ? { errorLine } : {}),
  };
}
