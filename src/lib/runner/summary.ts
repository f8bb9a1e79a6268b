import { accessSync, constants } from 'node:fs';
import * as core from '@actions/core';
import { describeSystemError, errorMessage } from '../errors.js';

/** Append Markdown to the job summary. A summary is a report, not the result: failures only warn. */
export async function writeSummary(markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown, true).write();
  } catch (error) {
    core.warning(`Could not write the job summary: ${summaryFileProblem() ?? errorMessage(error)}`);
  }
}

/** What is wrong with GITHUB_STEP_SUMMARY, named in one line; undefined when the file looks writable. */
function summaryFileProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env['GITHUB_STEP_SUMMARY'];
  if (!path) return "the runner's GITHUB_STEP_SUMMARY variable is not set";
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    return describeSystemError({ code: (error as NodeJS.ErrnoException).code ?? 'EACCES', path }, env);
  }
}
