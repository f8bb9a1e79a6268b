import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { inputVariable, parseCommandFile } from '../../scripts/lib/bad-input-sweep/runner.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** What a step leaves behind, read back the way the runner reads it. */
export interface StepResult {
  exitCode: number;
  outputs: Record<string, string>;
  summary: string;
  /**
   * What the runner shows in the log: stdout and stderr without `::add-mask::` commands (the runner
   * consumes them) and without `::debug::` lines (hidden unless step debugging is on).
   */
  log: string;
  /** The `::debug::` lines, decoded. */
  debug: string;
  /** The values the step asked the runner to mask. */
  masked: string[];
}

/** The runner's rule for input variables: uppercase, spaces to underscores, hyphens kept. */
export function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [inputVariable(k), v]));
}

/** Parse a GITHUB_OUTPUT or GITHUB_STATE file as the runner does: the sweep's parser, one for both. */
export const parseOutputFile = parseCommandFile;

function splitLog(raw: string): { log: string; debug: string; masked: string[] } {
  const masked: string[] = [];
  const debug: string[] = [];
  const kept: string[] = [];
  for (const line of raw.split('\n')) {
    const mask = /^::add-mask::(.*)$/.exec(line);
    if (mask) masked.push(mask[1]!);
    else if (line.startsWith('::debug::'))
      debug.push(decodeURIComponent(line.slice('::debug::'.length).replace(/%(?![0-9A-F]{2})/g, '%25')));
    else kept.push(line);
  }
  return { log: kept.join('\n'), debug: debug.join('\n'), masked };
}

function stepFiles(): { dir: string; output: string; summary: string } {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-step-'));
  const output = join(dir, 'output');
  const summary = join(dir, 'summary');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  return { dir, output, summary };
}

function readStep(
  files: { dir: string; output: string; summary: string },
  exitCode: number,
  raw: string,
): StepResult {
  const result = {
    exitCode,
    outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
    summary: readFileSync(files.summary, 'utf8'),
    ...splitLog(raw),
  };
  rmSync(files.dir, { recursive: true, force: true });
  return result;
}

/**
 * Run an action's `run()` in this process with inputs set exactly as the runner sets them, capturing
 * stdout, the output file and the summary file. Restores the environment and exit code afterwards.
 */
export async function runInProcess(
  run: () => Promise<void>,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): Promise<StepResult> {
  const files = stepFiles();
  const savedEnv = { ...process.env };
  const savedExit = process.exitCode;
  for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key];
  Object.assign(process.env, inputEnv(inputs), extraEnv, {
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
  });
  process.exitCode = undefined;
  // @actions/core caches the summary path on first use; a fresh step must get a fresh file, as on a runner.
  (core.summary as unknown as { _filePath?: string })._filePath = undefined;
  let raw = '';
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const capture = (chunk: string | Uint8Array): boolean => {
    raw += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  let exitCode: number;
  try {
    await run();
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    exitCode = Number(process.exitCode ?? 0);
    process.exitCode = savedExit;
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
  return readStep(files, exitCode, raw);
}

/** Run a committed bundle `dist/<name>/index.js` as a child process, the way the runner does. */
export function runBundle(
  name: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<StepResult> {
  const files = stepFiles();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('INPUT_')) env[k] = v;
  Object.assign(env, inputEnv(inputs), extraEnv, {
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', name, 'index.js')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let raw = '';
    child.stdout.on('data', (d) => {
      raw += d;
    });
    child.stderr.on('data', (d) => {
      raw += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(readStep(files, code ?? 1, raw));
    });
  });
}
