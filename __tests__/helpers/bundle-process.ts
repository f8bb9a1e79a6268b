import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputEnv, parseOutputFile, repoRoot } from './runner.js';

/**
 * A bundle run as the runner runs it, but left running so a test can watch its log and send it real
 * signals: GITHUB_OUTPUT, GITHUB_STATE and GITHUB_STEP_SUMMARY files, INPUT_* env with hyphens kept.
 * `state` (from a main step) is handed on as `STATE_<name>` variables, as the runner does for a post step.
 * BUNDLE_UNDER_TEST_DIR, when set, replaces `dist/` (to run a test against an older build).
 */
export interface BundleRun {
  child: ChildProcess;
  /** Resolves once a log line matches; rejects when the process ends first or after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<BundleResult>;
}

export interface BundleResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  outputs: Record<string, string>;
  /** What the step saved for its post step (GITHUB_STATE). */
  state: Record<string, string>;
  log: string;
  /** performance.now() when the process ended. */
  endedAt: number;
}

export function startBundle(
  name: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
  opts: { state?: Record<string, string>; timeoutMs?: number } = {},
): BundleRun {
  const dir = mkdtempSync(join(tmpdir(), 'slotline-bundle-'));
  const files = { output: join(dir, 'output'), state: join(dir, 'state'), summary: join(dir, 'summary') };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('STATE_')) env[k] = v;
  Object.assign(env, inputEnv(inputs), extraEnv, {
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
  });
  for (const [k, v] of Object.entries(opts.state ?? {})) env[`STATE_${k}`] = v;
  const bundleDir = process.env['BUNDLE_UNDER_TEST_DIR'] ?? join(repoRoot, 'dist');
  const child = spawn(process.execPath, [join(bundleDir, name, 'index.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  const watchers = new Set<{ pattern: RegExp; resolve: () => void }>();
  const onData = (d: Buffer) => {
    raw += d;
    for (const w of watchers)
      if (w.pattern.test(raw)) {
        watchers.delete(w);
        w.resolve();
      }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const done = new Promise<BundleResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const endedAt = performance.now();
      clearTimeout(timer);
      const result: BundleResult = {
        exitCode: code,
        signal,
        outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
        state: parseOutputFile(readFileSync(files.state, 'utf8')),
        log: raw
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
        endedAt,
      };
      rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
  return {
    child,
    done,
    waitForLog: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(raw)) return resolve();
        const watcher = {
          pattern,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        };
        const t = setTimeout(() => {
          watchers.delete(watcher);
          reject(new Error(`no log line matched ${pattern} within ${timeoutMs} ms:\n${raw.slice(-2000)}`));
        }, timeoutMs);
        watchers.add(watcher);
        void done.then(() => {
          if (!watchers.has(watcher)) return;
          watchers.delete(watcher);
          clearTimeout(t);
          reject(new Error(`the process ended before a log line matched ${pattern}:\n${raw.slice(-2000)}`));
        });
      }),
  };
}
