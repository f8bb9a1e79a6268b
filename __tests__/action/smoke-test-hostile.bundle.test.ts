import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { echoApp } from '../helpers/apps.js';
import { runBundle, type StepResult } from '../helpers/runner.js';
import type { TestServer } from '../helpers/servers.js';
import { workflowCommands } from '../helpers/workflow-commands.js';

// Every smoke-test input, given values that carry control, bidi and invisible characters or workflow
// command syntax, through the bundle as the runner runs it. Judged on what a user and the runner see.

let app: TestServer;
beforeAll(async () => {
  app = await echoApp();
});
afterAll(async () => {
  await app.close();
});

const HOSTILE = [
  '\n::error::forged',
  '\r::warning::forged',
  '##[error]forged',
  'a\u202eb',
  'a\u2066b\u2069',
  'a\u200bb',
  '\ufeffa',
  'a\u2028b',
  'a\u0000b',
  'a\u001b[31mb',
];

/** Where a hostile part goes in each input: the rest of the value is valid. */
const TEMPLATES: Record<string, (h: string) => Record<string, string>> = {
  url: (h) => ({ url: `${app.url}/${h}` }),
  'checks (name)': (h) => ({ checks: `- name: ${JSON.stringify(`n${h}`)}\n  path: /` }),
  'checks (path)': (h) => ({ checks: `- path: ${JSON.stringify(`/p${h}`)}` }),
  'checks (header)': (h) => ({ checks: `- path: /\n  headers: { X-A: ${JSON.stringify(`v${h}`)} }` }),
  'checks (expect-body)': (h) => ({ checks: `- path: /\n  expect-body: ${JSON.stringify(`v${h}`)}` }),
  'wait-timeout': (h) => ({ 'wait-timeout': `2s${h}` }),
  headers: (h) => ({ headers: `X-A: v${h}` }),
  'page-load-budget': (h) => ({ 'page-load-budget': `2s${h}` }),
  concurrency: (h) => ({ concurrency: `4${h}` }),
};

const RAW_UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** What is wrong with one run, as a list of reasons; empty when it is right. */
function judge(step: StepResult, input: string): string[] {
  const problems: string[] = [];
  // Mask commands carry the secret exactly as given (the runner needs it so). runner.ts leaves one in
  // the log when the value holds U+2028, which a JavaScript `.` does not match.
  const log = step.log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  const commands = workflowCommands(log);
  const unexpected = commands.filter((c) => !['group', 'endgroup', 'error', 'warning'].includes(c.name));
  if (unexpected.length > 0) problems.push(`issued ${unexpected.map((c) => c.line).join(' | ')}`);
  const errors = commands.filter((c) => c.name === 'error');
  if (errors.length > 1) problems.push(`${errors.length} error lines`);
  for (const c of commands)
    if (c.name === 'error' && !c.line.startsWith('::error::smoke-test: ')) problems.push(`forged: ${c.line}`);
  for (const line of log.split('\n'))
    if (RAW_UNSAFE.test(line)) problems.push(`raw control character in ${JSON.stringify(line)}`);
  if (log.includes('unexpected error')) problems.push('unexpected error');
  if (/^\s+at .+:\d+:\d+\)?$/m.test(log)) problems.push('stack trace');
  const inputName = input.replace(/ \(.*\)$/, '');
  if (step.exitCode !== 0 && errors.length === 1 && !errors[0]!.data.includes(`Input "${inputName}"`)) {
    // A check that ran and failed on a hostile expect-body is a fair result, not an input error.
    if (!/smoke checks? failed/.test(errors[0]!.data)) problems.push(`error does not name "${inputName}"`);
  }
  return problems;
}

test('hostile values in every input: no injected command, no raw control character, errors name the input', async () => {
  const failures: string[] = [];
  let trials = 0;
  for (const [input, template] of Object.entries(TEMPLATES)) {
    for (const hostile of HOSTILE) {
      const inputs = { url: app.url, 'wait-timeout': '0s', ...template(hostile) };
      // An environment variable cannot hold NUL, so the runner cannot pass one either.
      if (Object.values(inputs).some((v) => v.includes('\u0000'))) continue;
      const step = await runBundle('smoke-test', inputs, {}, 30_000);
      trials++;
      for (const problem of judge(step, input))
        failures.push(`${input} ${JSON.stringify(hostile)}: ${problem}`);
    }
  }
  console.log(`smoke-test hostile-value trials: ${trials}, failed: ${failures.length}`);
  expect(failures).toEqual([]);
}, 300_000);
