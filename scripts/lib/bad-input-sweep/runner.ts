import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PLANTED } from './kinds.js';
import type { ActionManifest, Trial } from './plan.js';

const LOOPBACK_STEP = fileURLToPath(new URL('./loopback-step.mjs', import.meta.url));

/** Each trial's main and post step are killed after this long. */
export const TRIAL_TIMEOUT_MS = 15_000;
/** Output kept per stream: a runaway log must not exhaust the sweep's memory. */
const MAX_CAPTURE = 4 * 1024 * 1024;

/** What one step (main or post) left behind, as the runner sees it. */
export interface StepRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  durationMs: number;
}

export interface TrialRun {
  main: StepRun;
  post?: StepRun;
  /** Files created or changed outside RUNNER_TEMP, relative to the trial folder (`workspace/...`, `tmp/...`). */
  strayFiles: string[];
  /** Whether the action wrote files inside the workspace (allowed only for an accepted value). */
  workspaceFiles: string[];
}

/**
 * `GITHUB_OUTPUT` / `GITHUB_STATE` files as @actions/core writes them: `name<<delimiter` blocks, or
 * `name=value` lines.
 */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!);
      values[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      values[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return values;
}

/** The runner's rule for input variables: spaces to underscores, uppercased, hyphens kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** The command prefix that runs a program with no network at all (only a loopback that is down). */
export function isolationCommand(): string[] {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? ['unshare', '--net', '--'] : ['unshare', '--user', '--map-root-user', '--net', '--'];
}

/**
 * Prove the isolation works here before any trial runs: inside it, a TCP connection to a public
 * address must fail at once. Throws with the reason otherwise.
 */
export function verifyIsolation(node: string): void {
  const probe =
    "const s=require('net').connect(443,'1.1.1.1');s.setTimeout(3000);" +
    "s.on('connect',()=>{console.log('CONNECTED');process.exit(2)});" +
    "s.on('timeout',()=>{console.log('TIMEOUT');process.exit(3)});" +
    "s.on('error',e=>{console.log('ERR',e.code);process.exit(0)})";
  const [cmd, ...args] = isolationCommand();
  const result = spawnSync(cmd!, [...args, node, '-e', probe], { encoding: 'utf8', timeout: 10_000 });
  const out = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  if (result.error) throw new Error(`cannot run ${cmd} for network isolation: ${result.error.message}`);
  if (result.status !== 0 || !/ERR (ENETUNREACH|EHOSTUNREACH|EACCES|EPERM)/.test(out))
    throw new Error(
      `network isolation does not hold (${[cmd, ...args].join(' ')}): ${out || `exit ${result.status}`}`,
    );
}

/** Node 24, as the node24 runtime: the running one when it is 24, else the project's node_modules/.bin/node. */
export function node24(repoRoot: string): string {
  if (process.version.startsWith('v24.')) return process.execPath;
  return join(repoRoot, 'node_modules', '.bin', 'node');
}

interface StepOptions {
  node: string;
  script: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  isolate: boolean;
  loopbackPort?: number;
  files: { output: string; state: string; summary: string };
}

/** Process groups of the steps running now, so that a stopped sweep leaves none behind. */
const running = new Set<number>();

/** Kill every step still running (for the sweep's own SIGINT/SIGTERM). */
export function killRunningSteps(): void {
  for (const pid of running) killGroup(pid);
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    // The step runs as its own process group: this also ends any child (a scanner, a builder) it left.
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}

function runStep(opts: StepOptions): Promise<StepRun> {
  for (const f of Object.values(opts.files)) writeFileSync(f, '');
  const env = {
    ...opts.env,
    GITHUB_OUTPUT: opts.files.output,
    GITHUB_STATE: opts.files.state,
    GITHUB_STEP_SUMMARY: opts.files.summary,
  };
  const step = opts.loopbackPort
    ? [opts.node, LOOPBACK_STEP, String(opts.loopbackPort), opts.script]
    : [opts.node, opts.script];
  const argv = [...(opts.isolate ? isolationCommand() : []), ...step];
  const started = Date.now();
  return new Promise((resolvePromise) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        cwd: opts.cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (error) {
      // E2BIG and the like: the runner could not start such a step either, so the value is not a trial.
      throw new Error(`cannot start the step: ${(error as Error).message}`);
    }
    if (child.pid !== undefined) running.add(child.pid);
    const capture = { stdout: '', stderr: '' };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      if (capture[stream].length < MAX_CAPTURE) capture[stream] += chunk.toString('utf8');
    };
    child.stdout!.on('data', collect('stdout'));
    child.stderr!.on('data', collect('stderr'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs);
    const finish = (exitCode: number | null, signal: string | null) => {
      clearTimeout(timer);
      killGroup(child.pid);
      if (child.pid !== undefined) running.delete(child.pid);
      const read = (f: string) => {
        try {
          return readFileSync(f, 'utf8');
        } catch {
          return '';
        }
      };
      resolvePromise({
        exitCode,
        signal,
        timedOut,
        stdout: capture.stdout,
        stderr: capture.stderr,
        outputs: parseCommandFile(read(opts.files.output)),
        state: parseCommandFile(read(opts.files.state)),
        summary: read(opts.files.summary),
        durationMs: Date.now() - started,
      });
    };
    child.on('error', (error) => {
      capture.stderr += `sweep: cannot start the step: ${error.message}\n`;
      finish(null, null);
    });
    child.on('close', finish);
  });
}

type Snapshot = Map<string, string>;

/** Every file and folder under `root` with its size and mtime, up to a bound (a runaway tree is itself stray). */
function snapshot(root: string, skip: ReadonlySet<string>, limit = 20_000): Snapshot {
  const seen: Snapshot = new Map();
  const stack = [root];
  while (stack.length > 0 && seen.size < limit) {
    const dir = stack.pop()!;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of entries) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip.has(rel)) continue;
      let stat: ReturnType<typeof lstatSync>;
      try {
        stat = lstatSync(path);
      } catch {
        continue;
      }
      seen.set(rel, stat.isDirectory() ? 'dir' : `${stat.size}:${stat.mtimeMs}`);
      if (stat.isDirectory() && !stat.isSymbolicLink()) stack.push(path);
    }
  }
  return seen;
}

function changed(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [path, sig] of after) if (before.get(path) !== sig && sig !== 'dir') out.push(path);
  for (const [path, sig] of after) if (sig === 'dir' && !before.has(path)) out.push(`${path}/`);
  return out.sort();
}

/** The trial folder's layout, mirroring a hosted runner's (/home/runner/work/<repo>/<repo>). */
export const LAYOUT = {
  workspace: 'home/runner/work/repo/repo',
  runnerTemp: 'home/runner/work/_temp',
  home: 'home/runner',
  tmp: 'tmp',
  outside: 'outside',
  step: 'step',
} as const;

export function expandPlaceholders(value: string, trialRoot: string): string {
  return value.replaceAll('{{outside}}', join(trialRoot, LAYOUT.outside));
}

export interface RunOptions {
  repoRoot: string;
  node: string;
  /** Parent folder for trial folders; each trial's is removed after it. */
  scratch: string;
  isolate?: boolean;
  timeoutMs?: number;
}

/** The runner's environment for a step: its variables, planted tokens, and nothing from the sweep's own. */
function runnerEnv(trialRoot: string, inputs: Record<string, string>): Record<string, string> {
  const at = (p: string) => join(trialRoot, p);
  const eventPath = join(at(LAYOUT.step), 'event.json');
  writeFileSync(
    eventPath,
    JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo/repo' } }),
  );
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: at(LAYOUT.home),
    TMPDIR: at(LAYOUT.tmp),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: at(LAYOUT.workspace),
    GITHUB_REPOSITORY: 'octo/repo',
    GITHUB_REPOSITORY_OWNER: 'octo',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'sweep',
    GITHUB_ACTION: 'sweep',
    GITHUB_ACTOR: 'octo',
    GITHUB_WORKFLOW: 'sweep',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'sweep',
    RUNNER_TEMP: at(LAYOUT.runnerTemp),
    RUNNER_TOOL_CACHE: join(at(LAYOUT.runnerTemp), 'toolcache'),
    ACTIONS_RUNTIME_URL: 'https://pipelines.actions.example/',
    ACTIONS_RUNTIME_TOKEN: PLANTED.runtimeToken,
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.actions.example/idtoken',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: PLANTED.idTokenRequestToken,
  };
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value;
  return env;
}

/**
 * Run one trial as the runner would: main step, then the post step when action.yml has one (with the
 * same inputs and STATE_ variables from the saved state), in a fresh folder that is removed afterwards.
 */
export async function runTrial(trial: Trial, manifest: ActionManifest, opts: RunOptions): Promise<TrialRun> {
  const trialRoot = mkdtempSync(join(opts.scratch, 'trial-'));
  try {
    for (const dir of Object.values(LAYOUT)) mkdirSync(join(trialRoot, dir), { recursive: true });
    for (const [path, text] of Object.entries(trial.workspace)) {
      const file = join(trialRoot, LAYOUT.workspace, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    const inputs = Object.fromEntries(
      Object.entries(trial.inputs).map(([k, v]) => [k, expandPlaceholders(v, trialRoot)]),
    );
    const env = runnerEnv(trialRoot, inputs);
    const skip = new Set<string>([LAYOUT.step, LAYOUT.runnerTemp]);
    const before = snapshot(trialRoot, skip);
    const files = (prefix: string) => ({
      output: join(trialRoot, LAYOUT.step, `${prefix}-output`),
      state: join(trialRoot, LAYOUT.step, `${prefix}-state`),
      summary: join(trialRoot, LAYOUT.step, `${prefix}-summary`),
    });
    const common = {
      node: opts.node,
      cwd: join(trialRoot, LAYOUT.workspace),
      timeoutMs: opts.timeoutMs ?? TRIAL_TIMEOUT_MS,
      isolate: opts.isolate ?? true,
      ...(trial.loopbackPort ? { loopbackPort: trial.loopbackPort } : {}),
    };
    const main = await runStep({ ...common, script: manifest.main, env, files: files('main') });
    let post: StepRun | undefined;
    if (manifest.post) {
      const stateEnv = Object.fromEntries(Object.entries(main.state).map(([k, v]) => [`STATE_${k}`, v]));
      post = await runStep({
        ...common,
        script: manifest.post,
        env: { ...env, ...stateEnv },
        files: files('post'),
      });
    }
    const after = snapshot(trialRoot, skip);
    const diff = changed(before, after);
    const inWorkspace = (p: string) => p === LAYOUT.workspace || p.startsWith(`${LAYOUT.workspace}/`);
    return {
      main,
      ...(post ? { post } : {}),
      strayFiles: diff.filter((p) => !inWorkspace(p)),
      workspaceFiles: diff.filter(inWorkspace).map((p) => relative(LAYOUT.workspace, p)),
    };
  } finally {
    rmSync(trialRoot, { recursive: true, force: true });
  }
}

/** Run trials `parallel` at a time, in plan order, reporting each as it ends. */
export async function runTrials<T>(
  trials: readonly Trial[],
  manifests: readonly ActionManifest[],
  opts: RunOptions & { parallel?: number },
  onResult: (trial: Trial, run: TrialRun) => T,
): Promise<T[]> {
  const byName = new Map(manifests.map((m) => [m.name, m]));
  const results: T[] = new Array(trials.length);
  let next = 0;
  const worker = async () => {
    while (next < trials.length) {
      const index = next++;
      const trial = trials[index]!;
      const run = await runTrial(trial, byName.get(trial.action)!, opts);
      results[index] = onResult(trial, run);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel ?? 2 }, worker));
  return results;
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'slotline-sweep-'));
}
