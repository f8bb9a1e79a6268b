import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunOptions, type RunResult, runWorkflow } from '../../workflow-runner/runner.js';
import { repoRoot } from '../helpers/runner.js';

export const FIXTURES = join(repoRoot, '__tests__', 'fixtures', 'workflows');

export interface Run {
  result: RunResult;
  lines: string[];
  text: string;
  report: string;
  /** Where a line containing `part` is first printed; -1 when it is not. */
  at: (part: string) => number;
  job: (key: string) => RunResult['jobs'][number] | undefined;
}

/** Runs a fixture workflow in-process, capturing everything the runner prints. */
export async function run(name: string, opts: Partial<RunOptions> = {}): Promise<Run> {
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'slotline-wr-test-'));
  const report = join(dir, 'report.md');
  let text: string;
  let result: RunResult;
  try {
    result = await runWorkflow({
      file: join(FIXTURES, `${name}.yml`),
      workspace: repoRoot,
      report,
      write: (line) => lines.push(line),
      ...opts,
    });
    text = readFileSync(opts.report ?? report, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    result,
    lines,
    text: lines.join('\n'),
    report: text,
    at: (part) => lines.findIndex((line) => line.includes(part)),
    job: (key) => result.jobs.find((j) => j.key === key),
  };
}

/** Runs a fixture that must be refused before anything runs; returns the refusal and what was printed. */
export async function refused(name: string): Promise<{ message: string; lines: string[] }> {
  const lines: string[] = [];
  try {
    await runWorkflow({
      file: join(FIXTURES, `${name}.yml`),
      workspace: repoRoot,
      write: (l) => lines.push(l),
    });
  } catch (error) {
    return { message: (error as Error).message, lines };
  }
  throw new Error(`${name} was not refused`);
}
