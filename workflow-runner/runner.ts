// Runs a workflow as GitHub would, for the features slotline's workflows use (README.md). Everything it
// prints goes through the masker.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isBasicExpression, isString } from '@actions/workflow-parser';
import type { Job, ReusableWorkflowJob, WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { Agent, request } from 'undici';
import { Masker, parseKeyValueFile, parsePathFile, parseWorkflowCommand } from './commands.js';
import {
  asString,
  type Contexts,
  condition,
  evaluateStringMap,
  evaluateToken,
  expandString,
  type Json,
  type Status,
} from './expressions.js';
import { renderReport } from './report.js';
import {
  parsePort,
  portFree,
  type RunningService,
  type ServiceSpec,
  serviceKind,
  startService,
} from './services.js';
import { STAND_INS } from './stand-ins.js';
import {
  type ActionManifest,
  check,
  child,
  eventsOf,
  keys,
  type LoadedWorkflow,
  loadWorkflow,
  Refused,
  rawJob,
  rawSteps,
  repoRoot,
  resolveAction,
  resolveWorkflowRef,
  where,
} from './workflow.js';

export type Result = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface RunOptions {
  file: string;
  event?: string;
  inputs?: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** The sandbox's connection.json: its oidcRequestUrl/oidcRequestToken feed id-token: write jobs. */
  connection?: string;
  workspace?: string;
  report?: string;
  /** Receives every line the runner prints, already masked. Default: stdout. */
  write?: (line: string) => void;
  /** Jobs running at once (default 2). */
  maxParallel?: number;
  /**
   * Asks whether a job may deploy to an environment (--approve); absent: every environment is
   * auto-approved. A rejected job fails without running a step, as a rejected deployment review does.
   */
  approve?: (question: string) => Promise<boolean>;
  /** Keep the run's folder (workspaces of file commands, artifacts, RUNNER_TEMP) after the run (--keep). */
  keepTemp?: boolean;
}

export interface StepRecord {
  name: string;
  outcome: Result;
  conclusion: Result;
  durationMs: number;
}

export interface JobRecord {
  key: string;
  name: string;
  result: Result;
  durationMs: number;
  steps: StepRecord[];
  summary: string;
  /** The job's outputs as its dependents' `needs.<id>.outputs` see them (a caller job: its workflow's). */
  outputs: Record<string, string>;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  job: string;
  message: string;
}

export interface RunResult {
  success: boolean;
  jobs: JobRecord[];
  outputs: Record<string, string>;
  annotations: Annotation[];
  reportPath: string;
  durationMs: number;
}

interface JobOutcome {
  result: Result;
  outputs: Record<string, string>;
}

/** What a called workflow gets from its caller, or the top-level run from the command line. */
interface Call {
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  /** Display prefix for its jobs: `caller/`. */
  prefix: string;
  /** For a called workflow: whether the caller job may hand out id-token: write. */
  idTokenCap?: boolean;
}

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    return () => {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

/** Process groups of the steps running now: stopped on Ctrl-C (each step runs in its own group). */
const activeGroups = new Set<number>();

export function stopRunningSteps(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const pid of activeGroups) {
    try {
      process.kill(-pid, signal);
    } catch {
      /* already gone */
    }
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const DOCS = 'https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax';

/** Which permissions grant id-token: write. */
function grantsIdToken(value: Json | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'write-all') return true;
  if (typeof value === 'string') return false;
  if (value && typeof value === 'object' && !Array.isArray(value)) return value['id-token'] === 'write';
  return false;
}

export class WorkflowRun {
  readonly masker = new Masker();
  readonly jobs: JobRecord[] = [];
  readonly annotations: Annotation[] = [];
  private readonly semaphore: Semaphore;
  private readonly groups = new Map<string, Promise<void>>();
  private readonly temp: string;
  private readonly workspace: string;
  private readonly vars: Record<string, string>;
  private readonly connection?: {
    oidcRequestUrl?: string;
    oidcRequestToken?: string;
    adminEndpoint?: string;
    caCertPath?: string;
  };
  private github: Record<string, Json> = {};
  private readonly node: string;
  private readonly write: (line: string) => void;

  constructor(private readonly opts: RunOptions) {
    this.semaphore = new Semaphore(opts.maxParallel ?? 2);
    this.temp = mkdtempSync(join(tmpdir(), 'slotline-workflow-'));
    this.workspace = resolve(opts.workspace ?? repoRoot);
    this.vars = opts.vars ?? {};
    for (const value of Object.values(opts.secrets ?? {})) this.masker.add(value);
    if (opts.connection) {
      this.connection = JSON.parse(readFileSync(opts.connection, 'utf8'));
      if (this.connection?.oidcRequestToken) this.masker.add(this.connection.oidcRequestToken);
    }
    const bundled = join(repoRoot, 'node_modules', '.bin', 'node');
    this.node = existsSync(bundled) ? bundled : process.execPath;
    const sink = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    this.write = (line) => sink(this.masker.mask(line));
  }

  print(line: string): void {
    this.write(line);
  }

  async run(): Promise<RunResult> {
    try {
      return await this.runOnce();
    } finally {
      // Every job's RUNNER_TEMP and artifacts live here; nothing of a run outlives it unless asked.
      if (this.opts.keepTemp) this.print(`run folder kept: ${this.temp}`);
      else rmSync(this.temp, { recursive: true, force: true });
    }
  }

  private async runOnce(): Promise<RunResult> {
    const started = Date.now();
    const wf = await loadWorkflow(this.opts.file);
    const problems = await check(wf, this.workspace);
    if (problems.length > 0) throw new Refused(problems.join('\n'));
    const events = eventsOf(wf);
    const event =
      this.opts.event ?? (events.includes('workflow_dispatch') ? 'workflow_dispatch' : events[0]!);
    if (!events.includes(event))
      throw new Refused(`${wf.rel}: the workflow is not triggered by ${event} (on: ${events.join(', ')})`);
    const inputs = this.topInputs(wf, event);
    this.github = this.githubContext(wf, event, inputs);
    this.print(`workflow ${wf.rel} (event ${event}, workspace ${this.workspace})`);
    const runName = child(wf.raw, 'run-name');
    if (runName)
      this.print(
        `run-name: ${asString(evaluateToken(runName, { github: this.github, inputs, vars: this.vars }))}`,
      );
    const outcome = await this.runWorkflow(wf, { inputs, secrets: this.opts.secrets ?? {}, prefix: '' });
    const success = outcome.result === 'success';
    const durationMs = Date.now() - started;
    // Beside the run's folder, not in it: the report is what the user reads after the folder is gone.
    const reportPath = this.opts.report ?? `${this.temp}-report.md`;
    const result: RunResult = {
      success,
      jobs: this.jobs,
      outputs: outcome.outputs,
      annotations: this.annotations,
      reportPath,
      durationMs,
    };
    writeFileSync(reportPath, this.masker.mask(renderReport(wf.rel, result)));
    this.printEnd(result);
    return result;
  }

  private printEnd(result: RunResult): void {
    this.print('');
    this.print('stage                                    result     duration');
    for (const job of result.jobs)
      this.print(
        `${job.key.padEnd(40)} ${job.result.padEnd(10)} ${job.result === 'skipped' ? '' : seconds(job.durationMs)}`,
      );
    for (const job of result.jobs.filter((j) => j.summary.trim() !== '')) {
      this.print('');
      this.print(`── summary of ${job.key} ──`);
      for (const line of job.summary.trimEnd().split('\n')) this.print(line);
    }
    for (const a of result.annotations) this.print(`${a.level}: [${a.job}] ${a.message}`);
    for (const [name, value] of Object.entries(result.outputs)) this.print(`output ${name}=${value}`);
    this.print(`report: ${result.reportPath}`);
    this.print(`workflow ${result.success ? 'succeeded' : 'failed'} in ${seconds(result.durationMs)}`);
  }

  /** workflow_dispatch / workflow_call inputs from --input, typed and defaulted by the workflow. */
  private topInputs(wf: LoadedWorkflow, event: string): Record<string, Json> {
    const given = this.opts.inputs ?? {};
    const definitions = child(child(child(wf.raw, 'on'), event), 'inputs');
    const inputs: Record<string, Json> = {};
    for (const name of keys(definitions)) {
      const def = evaluateToken(child(definitions, name), {
        github: {},
        inputs: {},
        vars: this.vars,
      }) as Record<string, Json>;
      const value = given[name] ?? (def?.default === undefined ? undefined : asString(def.default));
      if (value === undefined) {
        if (def?.required) throw new Refused(`${wf.rel}: input '${name}' is required (--input ${name}=...)`);
        inputs[name] = def?.type === 'boolean' ? false : def?.type === 'number' ? null : '';
        continue;
      }
      inputs[name] = typed(value, def?.type);
    }
    for (const name of Object.keys(given))
      if (!(name in inputs)) throw new Refused(`${wf.rel}: unexpected input '${name}' for ${event}`);
    return inputs;
  }

  private githubContext(
    wf: LoadedWorkflow,
    event: string,
    inputs: Record<string, Json>,
  ): Record<string, Json> {
    const git = (...args: string[]) => {
      try {
        return execFileSync('git', args, {
          cwd: this.workspace,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim();
      } catch {
        return '';
      }
    };
    const branch = git('rev-parse', '--abbrev-ref', 'HEAD') || 'main';
    const name = child(wf.raw, 'name');
    const repository = 'slotline/slotline';
    const sha = git('rev-parse', 'HEAD') || '0'.repeat(40);
    // pull_request: pull request #1 from the work tree's branch into main of the same repository (not a
    // fork), as GitHub runs it on the merge ref.
    // https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#pull_request
    const pullRequest = event === 'pull_request';
    const eventPayload: Record<string, Json> =
      event === 'workflow_dispatch'
        ? { inputs }
        : pullRequest
          ? {
              number: 1,
              pull_request: {
                number: 1,
                head: { ref: branch, sha, repo: { full_name: repository } },
                base: { ref: 'main', repo: { full_name: repository } },
              },
            }
          : {};
    const eventPath = join(this.temp, 'event.json');
    writeFileSync(eventPath, JSON.stringify(eventPayload));
    return {
      event_name: event,
      event: eventPayload,
      event_path: eventPath,
      repository,
      repository_owner: 'slotline',
      ref: pullRequest ? 'refs/pull/1/merge' : `refs/heads/${branch}`,
      ref_name: pullRequest ? '1/merge' : branch,
      ref_type: 'branch',
      head_ref: pullRequest ? branch : '',
      base_ref: pullRequest ? 'main' : '',
      sha,
      run_id: String(Date.now()),
      run_number: '1',
      run_attempt: '1',
      actor: 'local',
      triggering_actor: 'local',
      workflow: name && isString(name) ? name.value : wf.rel,
      workflow_ref: `slotline/slotline/${wf.rel}@refs/heads/${branch}`,
      workspace: this.workspace,
      server_url: 'https://github.com',
      api_url: 'https://api.github.com',
      graphql_url: 'https://api.github.com/graphql',
      token: '',
      retention_days: '0',
    };
  }

  private runnerContext(): Record<string, Json> {
    return {
      os: 'Linux',
      arch: 'X64',
      name: 'slotline-local',
      environment: 'self-hosted',
      temp: this.temp,
      tool_cache: join(this.temp, 'tool-cache'),
      debug: '',
    };
  }

  /** Runs every job of a workflow in `needs` order; the outcome carries on.workflow_call.outputs. */
  private async runWorkflow(wf: LoadedWorkflow, call: Call): Promise<JobOutcome> {
    const base: Contexts = {
      github: this.github,
      inputs: call.inputs,
      vars: this.vars,
      secrets: call.secrets,
    };
    const env = evaluateStringMap(child(wf.raw, 'env'), base);
    // Workflow-level concurrency: this invocation runs one instance of each workflow, so the group never waits.
    const concurrency = child(wf.raw, 'concurrency');
    if (concurrency) {
      const value = evaluateToken(concurrency, base);
      const group =
        value && typeof value === 'object' && !Array.isArray(value)
          ? asString(value.group ?? '')
          : asString(value);
      this.print(
        `  ${call.prefix || wf.rel}: workflow concurrency group '${group}' (no other run of it in this invocation)`,
      );
    }
    const byId = new Map(wf.template.jobs.map((job) => [job.id.value, job]));
    const done = new Map<string, Promise<JobOutcome>>();
    const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
      for (const need of byId.get(id)?.needs ?? []) {
        if (seen.has(need.value)) continue;
        seen.add(need.value);
        ancestors(need.value, seen);
      }
      return seen;
    };
    const outcomes = new Map<string, JobOutcome>();
    const schedule = (job: WorkflowJob): Promise<JobOutcome> => {
      const id = job.id.value;
      let promise = done.get(id);
      if (promise) return promise;
      promise = (async () => {
        await Promise.all((job.needs ?? []).map((need) => schedule(byId.get(need.value)!)));
        const results = [...ancestors(id)].map((a) => outcomes.get(a)!.result);
        const status: Status = {
          success: results.every((r) => r === 'success'),
          failure: results.some((r) => r === 'failure'),
          // cancelled() is true when the workflow run is cancelled, which one local invocation never is.
          cancelled: false,
        };
        const needs: Record<string, Json> = {};
        for (const need of job.needs ?? []) needs[need.value] = outcomes.get(need.value)! as unknown as Json;
        const outcome = await this.runJob(wf, job, call, env, needs, status);
        outcomes.set(id, outcome);
        return outcome;
      })();
      done.set(id, promise);
      return promise;
    };
    await Promise.all(wf.template.jobs.map(schedule));
    const results = [...outcomes.values()].map((o) => o.result);
    const result: Result = results.some((r) => r === 'failure' || r === 'cancelled') ? 'failure' : 'success';
    const outputs: Record<string, string> = {};
    const definitions = child(child(child(wf.raw, 'on'), 'workflow_call'), 'outputs');
    const jobs: Record<string, Json> = {};
    for (const [id, o] of outcomes) jobs[id] = o as unknown as Json;
    for (const name of keys(definitions))
      outputs[name] = asString(evaluateToken(child(child(definitions, name), 'value'), { ...base, jobs }));
    return { result, outputs };
  }

  private async runJob(
    wf: LoadedWorkflow,
    job: WorkflowJob,
    call: Call,
    workflowEnv: Record<string, string>,
    needs: Record<string, Json>,
    status: Status,
  ): Promise<JobOutcome> {
    const id = job.id.value;
    const raw = rawJob(wf, id);
    const key = `${call.prefix}${id}`;
    const ctx: Contexts = {
      github: { ...this.github, job: id },
      needs,
      vars: this.vars,
      inputs: call.inputs,
      strategy: {},
      matrix: {},
    };
    let run: boolean;
    try {
      run = condition(job.if.expression, ctx, status);
    } catch (error) {
      this.print(`✗ ${key}: if: ${(error as Error).message} (${where(wf, child(raw, 'if'))})`);
      this.record(key, id, 'failure', 0, [], '');
      return { result: 'failure', outputs: {} };
    }
    if (!run) {
      this.print(`- ${key} skipped (if: ${job.if.expression})`);
      this.record(key, id, 'skipped', 0, [], '');
      return { result: 'skipped', outputs: {} };
    }
    const releaseGroup = await this.concurrency(wf, raw, key, { ...ctx, secrets: call.secrets });
    try {
      const ownPermissions = child(raw, 'permissions') ?? child(wf.raw, 'permissions');
      // A job without permissions (its own or its workflow's) gets the default token, which has no
      // id-token; in a called workflow it gets the caller job's, which it can only lower.
      // https://docs.github.com/en/actions/how-tos/reuse-automations/reuse-workflows#access-and-permissions
      const granted =
        grantsIdToken(ownPermissions ? evaluateToken(ownPermissions, ctx) : undefined) ??
        call.idTokenCap ??
        false;
      const idToken = granted && (call.idTokenCap ?? true);
      if (job.type === 'reusableWorkflowJob')
        return await this.runCaller(wf, job as ReusableWorkflowJob, raw, call, ctx, key, idToken);
      const release = await this.semaphore.acquire();
      try {
        return await new JobExecution(
          this,
          wf,
          job as Job,
          raw,
          key,
          { ...ctx, secrets: call.secrets },
          workflowEnv,
          idToken,
        ).run();
      } finally {
        release();
      }
    } finally {
      releaseGroup();
    }
  }

  /** `concurrency:` serialises jobs of the same group inside this invocation. */
  private async concurrency(
    wf: LoadedWorkflow,
    raw: MappingToken,
    key: string,
    ctx: Contexts,
  ): Promise<() => void> {
    const token = child(raw, 'concurrency');
    if (token === undefined) return () => {};
    const value = evaluateToken(token, ctx);
    const group = (
      typeof value === 'object' && value && !Array.isArray(value)
        ? asString(value.group ?? '')
        : asString(value)
    ).toLowerCase();
    const running = this.groups.get(group);
    const previous = running ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    this.groups.set(
      group,
      previous.then(() => mine),
    );
    if (running) this.print(`  ${key}: waits for concurrency group '${group}' (${where(wf, token)})`);
    await previous;
    return release;
  }

  private async runCaller(
    wf: LoadedWorkflow,
    job: ReusableWorkflowJob,
    raw: MappingToken,
    call: Call,
    ctx: Contexts,
    key: string,
    idToken: boolean,
  ): Promise<JobOutcome> {
    const started = Date.now();
    const called = await loadWorkflow(
      resolveWorkflowRef(job.ref.value, this.workspace, where(wf, child(raw, 'uses'))),
    );
    this.print(`▶ ${key} → ${called.rel}`);
    const given = evaluateStringMapJson(child(raw, 'with'), { ...ctx });
    const definitions = child(child(child(called.raw, 'on'), 'workflow_call'), 'inputs');
    const inputs: Record<string, Json> = {};
    const fail = (message: string): JobOutcome => {
      this.print(`✗ ${key}: ${message}`);
      this.annotations.push({ level: 'error', job: key, message });
      this.record(key, id(job), 'failure', Date.now() - started, [], '');
      return { result: 'failure', outputs: {} };
    };
    for (const name of keys(definitions)) {
      const def = evaluateToken(child(definitions, name), ctx) as Record<string, Json>;
      if (name in given) inputs[name] = typed(given[name]!, def?.type);
      else if (def?.default !== undefined) inputs[name] = typed(def.default, def?.type);
      else if (def?.required) return fail(`input '${name}' required by ${called.rel} is not given`);
      else inputs[name] = def?.type === 'boolean' ? false : def?.type === 'number' ? 0 : '';
    }
    for (const name of Object.keys(given))
      if (!(name in inputs)) return fail(`${called.rel} has no input '${name}'`);
    const secretsToken = child(raw, 'secrets');
    const secrets =
      secretsToken && isString(secretsToken) && secretsToken.value === 'inherit'
        ? { ...call.secrets }
        : evaluateStringMap(secretsToken, { ...ctx, secrets: call.secrets });
    const secretDefs = child(child(child(called.raw, 'on'), 'workflow_call'), 'secrets');
    for (const name of keys(secretDefs)) {
      const def = evaluateToken(child(secretDefs, name), {}) as Record<string, Json> | null;
      if (def?.required && !(name in secrets))
        return fail(`secret '${name}' required by ${called.rel} is not given`);
    }
    const outcome = await this.runWorkflow(called, {
      inputs,
      secrets,
      prefix: `${key}/`,
      idTokenCap: idToken,
    });
    const outputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(outcome.outputs)) {
      if (this.masker.containsSecret(value)) {
        this.print(`  ${key}: output ${name} is not passed on: it contains a secret`);
        continue;
      }
      outputs[name] = value;
    }
    this.print(`${outcome.result === 'success' ? '✓' : '✗'} ${key} (${seconds(Date.now() - started)})`);
    this.record(key, id(job), outcome.result, Date.now() - started, [], '', outputs);
    return { result: outcome.result, outputs };
  }

  private approvals: Promise<unknown> = Promise.resolve();

  /** The environment gate: auto-approved, or one question at a time with --approve. */
  async approval(key: string, environment: string): Promise<boolean> {
    const ask = this.opts.approve;
    if (!ask) {
      this.print(`[${key}]  environment '${environment}': auto-approved (local runner, no protection rules)`);
      return true;
    }
    const answer = this.approvals.then(() => ask(`[${key}] deploy to environment '${environment}'? [y/N] `));
    this.approvals = answer.catch(() => false);
    const approved = await answer;
    this.print(`[${key}]  environment '${environment}': ${approved ? 'approved' : 'rejected'}`);
    return approved;
  }

  record(
    key: string,
    name: string,
    result: Result,
    durationMs: number,
    steps: StepRecord[],
    summary: string,
    outputs: Record<string, string> = {},
  ): void {
    this.jobs.push({ key, name, result, durationMs, steps, summary, outputs });
  }

  annotate(a: Annotation): void {
    this.annotations.push(a);
  }

  get temporary(): string {
    return this.temp;
  }
  get root(): string {
    return this.workspace;
  }
  get nodeBinary(): string {
    return this.node;
  }
  get runner(): Record<string, Json> {
    return this.runnerContext();
  }
  /**
   * The OIDC request URL and token for a job. GitHub's token names the job's environment in its subject
   * (`repo:<repo>:environment:<name>`), else `repo:<repo>:pull_request` on that event, else the ref
   * (`repo:<repo>:ref:<ref>`): with the sandbox's admin
   * endpoint the runner asks for a request token with exactly those claims, so a federated credential
   * that lacks one of the subjects fails as it would on Azure. Without it: connection.json's one token.
   */
  async oidcFor(environment: string | undefined, perJob = true): Promise<{ url?: string; token?: string }> {
    const url = this.connection?.oidcRequestUrl;
    const admin = this.connection?.adminEndpoint;
    if (!url || !admin || !perJob) return { url, token: this.connection?.oidcRequestToken };
    const ca = this.connection?.caCertPath ? readFileSync(this.connection.caCertPath, 'utf8') : undefined;
    const dispatcher = new Agent({ connect: { ...(ca ? { ca } : {}), timeout: 10_000 } });
    try {
      const res = await request(`${admin}/github/request-tokens`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          repository: this.github.repository,
          ref: this.github.ref,
          actor: this.github.actor,
          eventName: this.github.event_name,
          ...(environment ? { environment } : {}),
        }),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const body = (await res.body.json()) as { requestToken?: string };
      if (res.statusCode !== 201 || !body.requestToken)
        throw new Error(`the sandbox's admin endpoint answered ${res.statusCode}`);
      this.masker.add(body.requestToken);
      return { url, token: body.requestToken };
    } finally {
      await dispatcher.close();
    }
  }
}

const id = (job: WorkflowJob) => job.id.value;

function evaluateStringMapJson(token: TemplateToken | undefined, ctx: Contexts): Record<string, Json> {
  const value = token ? evaluateToken(token, ctx) : {};
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** An input value as its declared type sees it: booleans and numbers are not strings in `inputs`. */
function typed(value: Json, type: Json | undefined): Json {
  if (type === 'boolean') return value === true || value === 'true';
  if (type === 'number') return typeof value === 'number' ? value : Number(value);
  return typeof value === 'string' ? value : asString(value);
}

/** The environment a step inherits from the runner's own: without the variables the runner sets itself. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !/^(GITHUB_|INPUT_|STATE_|ACTIONS_|RUNNER_)/.test(name)) env[name] = value;
  return env;
}

interface ProcessResult {
  exitCode: number | null;
  timedOut: boolean;
  outputs: Record<string, string>;
  state: Record<string, string>;
  error?: string;
}

interface PostStep {
  name: string;
  condition: string;
  run: () => Promise<boolean>;
}

/** One job: its steps, then the post steps in reverse order. */
class JobExecution {
  private readonly env: Record<string, string> = {};
  private readonly paths: string[] = [];
  private readonly steps: Record<string, Json> = {};
  private readonly records: StepRecord[] = [];
  private readonly posts: PostStep[] = [];
  /** job.services: each started service's ports (container port → host port). */
  private readonly services: Record<string, Json> = {};
  private summary = '';
  private failed = false;
  /** Set when the job's timeout-minutes passes: GitHub then cancels the job. */
  private cancelled = false;
  private deadline = Number.POSITIVE_INFINITY;
  private counter = 0;
  /** RUNNER_TEMP: a fresh folder per job of the run, as GitHub empties it for each job. */
  private readonly temp: string;
  private readonly defaults: { shell?: string; 'working-directory'?: string };

  constructor(
    private readonly run_: WorkflowRun,
    private readonly wf: LoadedWorkflow,
    private readonly job: Job,
    private readonly raw: MappingToken,
    private readonly key: string,
    private readonly ctx: Contexts,
    workflowEnv: Record<string, string>,
    private readonly idToken: boolean,
  ) {
    Object.assign(this.env, workflowEnv);
    this.temp = mkdtempSync(join(run_.temporary, `${key.replace(/\W+/g, '_')}-`));
    const defaults = (token: TemplateToken | undefined) =>
      evaluateStringMap(child(child(token, 'defaults'), 'run'), { ...ctx, env: workflowEnv });
    this.defaults = { ...defaults(wf.raw), ...defaults(raw) };
  }

  /** A line inside the job, prefixed with its key: jobs run side by side and their lines interleave. */
  private print(line: string): void {
    this.run_.print(`[${this.key}]${line}`);
  }

  private contexts(extraEnv: Record<string, string> = {}): Contexts {
    return {
      ...this.ctx,
      env: { ...this.env, ...extraEnv },
      steps: this.steps,
      job: { status: this.jobStatus(), container: {}, services: this.services },
      runner: { ...this.run_.runner, temp: this.temp },
    };
  }

  private jobStatus(): Result {
    return this.cancelled ? 'cancelled' : this.failed ? 'failure' : 'success';
  }

  /**
   * For steps: success() while nothing failed, failure() after a failure, cancelled() once the job timed
   * out (then neither success() nor failure(), so only always() and cancelled() steps run).
   * https://docs.github.com/en/actions/reference/workflows-and-actions/expressions#status-check-functions
   */
  private status(): Status {
    return {
      success: this.jobStatus() === 'success',
      failure: this.jobStatus() === 'failure',
      cancelled: this.cancelled,
    };
  }

  /** timeout-minutes of the job: once it has passed, the job is cancelled. */
  private checkJobTimeout(): boolean {
    if (this.cancelled || Date.now() < this.deadline) return false;
    this.cancelled = true;
    this.error('the job exceeded its timeout-minutes and was cancelled');
    return true;
  }

  async run(): Promise<JobOutcome> {
    const started = Date.now();
    const name =
      asString(evaluateToken(child(this.raw, 'name'), this.contexts()) ?? this.job.id.value) ||
      this.job.id.value;
    this.run_.print(`▶ ${this.key}${name !== this.job.id.value ? ` (${name})` : ''}`);
    Object.assign(this.env, evaluateStringMap(child(this.raw, 'env'), this.contexts()));
    const timeout = evaluateToken(child(this.raw, 'timeout-minutes'), this.contexts());
    this.deadline = started + (typeof timeout === 'number' ? timeout : 360) * 60_000;
    const environment = child(this.raw, 'environment');
    let envName: string | undefined;
    if (environment) {
      const value = evaluateToken(environment, this.contexts());
      envName =
        value && typeof value === 'object' && !Array.isArray(value)
          ? asString(value.name ?? '')
          : asString(value);
      if (!(await this.run_.approval(this.key, envName))) {
        this.error(`deployment to environment '${envName}' was rejected`);
        this.failed = true;
        const duration = Date.now() - started;
        this.run_.print(`✗ ${this.key} failure (${seconds(duration)})`);
        this.run_.record(this.key, name, 'failure', duration, this.records, this.summary);
        return { result: 'failure', outputs: {} };
      }
    }
    if (this.idToken) {
      const { url, token } = await this.run_.oidcFor(envName).catch((error: Error) => {
        this.print(
          `  id-token: no job-specific OIDC request token (${error.message}); using connection.json's`,
        );
        return this.run_.oidcFor(undefined, false);
      });
      if (url && token) {
        this.env.ACTIONS_ID_TOKEN_REQUEST_URL = url;
        this.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = token;
      } else this.print('  id-token: write, but no --connection: ACTIONS_ID_TOKEN_REQUEST_* are not set');
    }
    // Services start before the first step (pre steps included) and stop after the last post step,
    // whatever the outcome. https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idservices
    const services: RunningService[] = [];
    try {
      if (await this.startServices(services)) await this.runSteps();
    } finally {
      await this.stopServices(services);
    }
    const result: Result = this.jobStatus();
    // Job outputs, evaluated at the end of the job; one that contains a secret is not passed on.
    // https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/pass-job-outputs
    const outputs: Record<string, string> = {};
    const outputsToken = child(this.raw, 'outputs');
    for (const name of keys(outputsToken)) {
      const value = asString(evaluateToken(child(outputsToken, name), this.contexts()));
      if (this.run_.masker.containsSecret(value)) {
        this.print(`  ${this.key}: output ${name} is not passed on: it contains a secret`);
        continue;
      }
      outputs[name] = value;
    }
    const duration = Date.now() - started;
    this.run_.print(`${result === 'success' ? '✓' : '✗'} ${this.key} ${result} (${seconds(duration)})`);
    this.run_.record(this.key, name, result, duration, this.records, this.summary, outputs);
    return { result, outputs };
  }

  /** Pre steps, steps, then post steps in reverse order. */
  private async runSteps(): Promise<void> {
    const raws = rawSteps(this.wf, this.job.id.value);
    const plans = this.job.steps.map((step, i) => ({ step, raw: raws[i]! }));
    // Pre steps run first, in order (runs.pre-if, default always()).
    // https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#runspre
    const actions = new Map<number, { manifest: ActionManifest; state: Record<string, string> }>();
    for (const [i, { raw }] of plans.entries()) {
      const uses = child(raw, 'uses');
      if (!uses || !isString(uses)) continue;
      const resolved = resolveAction(uses.value, this.run_.root, where(this.wf, uses));
      if (resolved.kind !== 'local') continue;
      const entry = { manifest: resolved.manifest, state: {} as Record<string, string> };
      actions.set(i, entry);
      if (!resolved.manifest.runs.pre) continue;
      // A local action's pre step does not run on GitHub: the job sets up before the repository is checked
      // out (actions/runner ADR 0361). The runner prints a warning; so does this one.
      if (uses.value.startsWith('./')) {
        this.print(`  warning: \`pre\` execution is not supported for local action from '${uses.value}'`);
        continue;
      }
      await this.step(
        `Pre ${this.stepName(raw, i)}`,
        raw,
        resolved.manifest.runs['pre-if'] ?? 'always()',
        async (stepEnv) => {
          const r = await this.runAction(entry.manifest, 'pre', raw, stepEnv, entry.state, i);
          Object.assign(entry.state, r.state);
          return r;
        },
        undefined,
      );
    }
    for (const [i, { step, raw }] of plans.entries()) {
      const stepId = step.id;
      const action = actions.get(i);
      const uses = child(raw, 'uses');
      await this.step(
        this.stepName(raw, i),
        raw,
        step.if?.expression ?? 'success()',
        async (stepEnv) => {
          if ('run' in step) return this.runScript(raw, stepEnv);
          if (action) {
            const r = await this.runAction(action.manifest, 'main', raw, stepEnv, action.state, i);
            Object.assign(action.state, r.state);
            if (action.manifest.runs.post) {
              this.posts.push({
                name: `Post ${this.stepName(raw, i)}`,
                condition: action.manifest.runs['post-if'] ?? 'always()',
                run: async () => {
                  return (
                    (await this.runAction(action.manifest, 'post', raw, stepEnv, action.state, i))
                      .exitCode === 0
                  );
                },
              });
            }
            return r;
          }
          return this.runStandIn(uses && isString(uses) ? uses.value : '', raw, stepEnv);
        },
        stepId,
      );
    }
    // Post steps: after every step, in reverse order, each under its post-if.
    for (const post of [...this.posts].reverse()) {
      await this.step(
        post.name,
        undefined,
        post.condition,
        async () => {
          const ok = await post.run();
          return { exitCode: ok ? 0 : 1, timedOut: false, outputs: {}, state: {} };
        },
        undefined,
      );
    }
  }

  /** Starts the job's services (services.ts) in order; false, with the job failed, when one cannot start. */
  private async startServices(services: RunningService[]): Promise<boolean> {
    const token = child(this.raw, 'services');
    for (const name of keys(token)) {
      const started = Date.now();
      const serviceToken = child(token, name)!;
      const at = where(this.wf, serviceToken);
      const stepName = `Start service ${name}`;
      try {
        const value = evaluateToken(serviceToken, this.contexts());
        const spec = serviceSpec(name, value);
        this.print(
          `  ▸ ${stepName}: ${spec.image} → Debian's ${spec.kind === 'postgres' ? 'PostgreSQL' : 'Redis'} on the host (no container)`,
        );
        if (child(serviceToken, 'credentials'))
          this.print('    │ credentials have no effect: no image is pulled');
        const service = await startService(spec, (line) => this.print(`    │ ${line}`));
        services.push(service);
        this.services[name] = {
          id: `local-${service.kind}-${service.port}`,
          network: '',
          ports: service.ports,
        };
        const duration = Date.now() - started;
        this.print(
          `  ✓ ${stepName}: 127.0.0.1:${service.port}, folder ${service.dir} (${seconds(duration)})`,
        );
        this.records.push({
          name: stepName,
          outcome: 'success',
          conclusion: 'success',
          durationMs: duration,
        });
      } catch (error) {
        this.error(`${at}: service ${name}: ${(error as Error).message}`);
        this.failed = true;
        this.records.push({
          name: stepName,
          outcome: 'failure',
          conclusion: 'failure',
          durationMs: Date.now() - started,
        });
        return false;
      }
    }
    return true;
  }

  private async stopServices(services: RunningService[]): Promise<void> {
    for (const service of [...services].reverse()) {
      await service.stop();
      if (await portFree(service.port))
        this.print(`  ✓ Stop service ${service.name} (127.0.0.1:${service.port} free)`);
      else this.print(`  warning: Stop service ${service.name}: 127.0.0.1:${service.port} is still in use`);
    }
  }

  private stepName(raw: MappingToken, i: number): string {
    const name = child(raw, 'name');
    if (name) {
      try {
        return asString(evaluateToken(name, this.contexts()));
      } catch {
        /* fall through to the default name */
      }
    }
    const run = child(raw, 'run');
    const text = run && isString(run) ? run.value : run && isBasicExpression(run) ? (run.source ?? '') : '';
    if (text) return `Run ${text.trim().split('\n')[0]}`;
    const uses = child(raw, 'uses');
    if (uses && isString(uses)) return `Run ${uses.value}`;
    return `step ${i + 1}`;
  }

  /** Evaluates a step's `if`, runs it, and records outcome and conclusion. */
  private async step(
    name: string,
    raw: MappingToken | undefined,
    ifExpression: string,
    body: (stepEnv: Record<string, string>) => Promise<ProcessResult>,
    stepId: string | undefined,
  ): Promise<void> {
    const started = Date.now();
    let outcome: Result;
    let continueOnError = false;
    let outputs: Record<string, string> = {};
    try {
      this.checkJobTimeout();
      if (!condition(ifExpression, this.contexts(), this.status())) {
        this.print(`  - ${name} skipped`);
        this.records.push({ name, outcome: 'skipped', conclusion: 'skipped', durationMs: 0 });
        if (stepId) this.steps[stepId] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        return;
      }
      const stepEnv = evaluateStringMap(child(raw, 'env'), this.contexts());
      const coe = evaluateToken(child(raw, 'continue-on-error'), this.contexts(stepEnv));
      continueOnError = coe === true || coe === 'true';
      this.print(`  ▸ ${name}`);
      const r = await body(stepEnv);
      outputs = r.outputs;
      if (r.error) this.error(`${name}: ${r.error}`);
      if (r.timedOut && this.checkJobTimeout()) outcome = 'cancelled';
      else {
        if (r.timedOut) this.error(`${name}: the step exceeded its timeout-minutes and was cancelled`);
        else if (r.exitCode !== 0) this.error(`${name}: process completed with exit code ${r.exitCode}`);
        outcome = r.exitCode === 0 && !r.timedOut && !r.error ? 'success' : 'failure';
      }
    } catch (error) {
      this.error(`${name}: ${(error as Error).message}`);
      outcome = 'failure';
    }
    // continue-on-error: the outcome stays failure, the conclusion is success.
    // https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#steps-context
    const conclusion: Result = outcome === 'failure' && continueOnError ? 'success' : outcome;
    if (conclusion === 'failure') this.failed = true;
    const durationMs = Date.now() - started;
    this.print(
      `  ${outcome === 'success' ? '✓' : conclusion === 'success' ? '!' : '✗'} ${name} (${seconds(durationMs)})`,
    );
    this.records.push({ name, outcome, conclusion, durationMs });
    if (stepId) this.steps[stepId] = { outputs, outcome, conclusion };
  }

  private error(message: string): void {
    this.print(`  error: ${message}`);
    this.run_.annotate({ level: 'error', job: this.key, message });
  }

  private stepTimeout(raw: MappingToken | undefined, stepEnv: Record<string, string>): number {
    const value = evaluateToken(child(raw, 'timeout-minutes'), this.contexts(stepEnv));
    const own = typeof value === 'number' ? value * 60_000 : Number.POSITIVE_INFINITY;
    // After the job timed out, the always()/cancelled() steps that still run have only their own timeout.
    return Math.max(0, this.cancelled ? own : Math.min(own, this.deadline - Date.now()));
  }

  /**
   * A `run:` step. Shells as GitHub runs them on Linux: unspecified → `bash -e {0}`, `bash` →
   * `bash --noprofile --norc -eo pipefail {0}`, `sh` → `sh -e {0}`, or a custom command with `{0}`.
   * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell
   */
  private async runScript(raw: MappingToken, stepEnv: Record<string, string>): Promise<ProcessResult> {
    const ctx = this.contexts(stepEnv);
    const script = asString(evaluateToken(child(raw, 'run'), ctx));
    const shellToken = child(raw, 'shell');
    const shell = shellToken ? asString(evaluateToken(shellToken, ctx)) : this.defaults.shell;
    const wdToken = child(raw, 'working-directory');
    const wd = wdToken ? asString(evaluateToken(wdToken, ctx)) : this.defaults['working-directory'];
    const file = join(this.temp, `${randomUUID()}.sh`);
    writeFileSync(file, script);
    let argv: string[];
    if (shell === undefined) argv = ['bash', '-e', file];
    else if (shell === 'bash') argv = ['bash', '--noprofile', '--norc', '-eo', 'pipefail', file];
    else if (shell === 'sh') argv = ['sh', '-e', file];
    else if (shell.includes('{0}')) argv = shell.split(/\s+/).map((a) => a.replace('{0}', file));
    else
      throw new Error(
        `shell '${shell}' is not supported (bash, sh, or a command with {0}; ${DOCS}#jobsjob_idstepsshell)`,
      );
    const cwd = wd ? resolve(this.run_.root, wd) : this.run_.root;
    if (!existsSync(cwd)) throw new Error(`working-directory ${wd} does not exist`);
    return this.spawnStep(argv, cwd, stepEnv, {}, this.stepTimeout(raw, stepEnv), '');
  }

  /** One phase (pre, main, post) of a node24 JavaScript action. */
  private async runAction(
    manifest: ActionManifest,
    phase: 'pre' | 'main' | 'post',
    raw: MappingToken,
    stepEnv: Record<string, string>,
    state: Record<string, string>,
    index: number,
  ): Promise<ProcessResult> {
    const ctx = this.contexts(stepEnv);
    const given = evaluateStringMap(child(raw, 'with'), ctx);
    const extra: Record<string, string> = {};
    for (const name of Object.keys(given))
      if (!(name in manifest.inputs) && phase === 'main')
        this.print(`  warning: unexpected input '${name}' for ${manifest.ref}`);
    // INPUT_<NAME>: spaces to underscores, upper-cased, hyphens kept; defaults from action.yml (they may hold
    // expressions). https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax#inputs
    for (const [name, def] of Object.entries(manifest.inputs)) {
      let value = given[name];
      if (value === undefined && def?.default !== undefined) value = expandString(String(def.default), ctx);
      if (value === undefined && def?.required)
        throw new Error(`input '${name}' required by ${manifest.ref} is not given`);
      extra[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value ?? '';
    }
    for (const [name, value] of Object.entries(given))
      extra[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    for (const [name, value] of Object.entries(state)) extra[`STATE_${name}`] = value;
    extra.GITHUB_ACTION_PATH = manifest.dir;
    extra.GITHUB_ACTION_REPOSITORY = manifest.ref.startsWith('./') ? '' : manifest.ref.split('@')[0]!;
    const entry = resolve(manifest.dir, manifest.runs[phase === 'main' ? 'main' : phase]!);
    return this.spawnStep(
      [this.run_.nodeBinary, entry],
      this.run_.root,
      stepEnv,
      extra,
      this.stepTimeout(raw, stepEnv),
      `${index}`,
    );
  }

  private async runStandIn(
    uses: string,
    raw: MappingToken,
    stepEnv: Record<string, string>,
  ): Promise<ProcessResult> {
    const name = uses.split('@')[0]!.toLowerCase();
    const standIn = STAND_INS[name]!;
    this.print(`    stand-in for ${uses}: ${standIn.differs}`);
    const inputs = evaluateStringMap(child(raw, 'with'), this.contexts(stepEnv));
    for (const input of Object.keys(inputs))
      if (!standIn.inputs.includes(input))
        this.print(`    warning: input '${input}' has no effect on the stand-in`);
    const env: Record<string, string> = { ...this.env, ...stepEnv };
    const { outputs } = await standIn.run({
      inputs,
      env,
      workspace: this.run_.root,
      store: this.run_.temporary,
      print: (line) => this.print(`    │ ${line}`),
    });
    return { exitCode: 0, timedOut: false, outputs, state: {} };
  }

  /** Starts a step's process in its own process group, with the file commands, and reads them after. */
  private async spawnStep(
    argv: string[],
    cwd: string,
    stepEnv: Record<string, string>,
    extra: Record<string, string>,
    timeoutMs: number,
    action: string,
  ): Promise<ProcessResult> {
    const n = ++this.counter;
    const dir = join(this.temp, '_runner_file_commands');
    mkdirSync(dir, { recursive: true });
    const files = {
      GITHUB_OUTPUT: join(dir, `output_${this.key.replace(/\W/g, '_')}_${n}`),
      GITHUB_ENV: join(dir, `env_${this.key.replace(/\W/g, '_')}_${n}`),
      GITHUB_PATH: join(dir, `path_${this.key.replace(/\W/g, '_')}_${n}`),
      GITHUB_STEP_SUMMARY: join(dir, `summary_${this.key.replace(/\W/g, '_')}_${n}`),
      GITHUB_STATE: join(dir, `state_${this.key.replace(/\W/g, '_')}_${n}`),
    };
    for (const file of Object.values(files)) writeFileSync(file, '');
    const github = this.ctx.github as Record<string, string>;
    const base = baseEnv();
    const env: Record<string, string> = {
      ...base,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: this.run_.root,
      GITHUB_EVENT_NAME: github.event_name!,
      GITHUB_EVENT_PATH: github.event_path!,
      GITHUB_REPOSITORY: github.repository!,
      GITHUB_REPOSITORY_OWNER: github.repository_owner!,
      GITHUB_SHA: github.sha!,
      GITHUB_REF: github.ref!,
      GITHUB_REF_NAME: github.ref_name!,
      GITHUB_HEAD_REF: github.head_ref!,
      GITHUB_BASE_REF: github.base_ref!,
      GITHUB_REF_TYPE: github.ref_type!,
      GITHUB_RUN_ID: github.run_id!,
      GITHUB_RUN_NUMBER: github.run_number!,
      GITHUB_RUN_ATTEMPT: github.run_attempt!,
      GITHUB_ACTOR: github.actor!,
      GITHUB_WORKFLOW: github.workflow!,
      GITHUB_WORKFLOW_REF: github.workflow_ref!,
      GITHUB_JOB: this.job.id.value,
      GITHUB_ACTION: action || `__run_${n}`,
      GITHUB_SERVER_URL: github.server_url!,
      GITHUB_API_URL: github.api_url!,
      GITHUB_GRAPHQL_URL: github.graphql_url!,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_NAME: 'slotline-local',
      RUNNER_ENVIRONMENT: 'self-hosted',
      RUNNER_TEMP: this.temp,
      RUNNER_TOOL_CACHE: join(this.run_.temporary, 'tool-cache'),
      ...this.env,
      ...stepEnv,
      ...extra,
      ...files,
    };
    const basePath = stepEnv.PATH ?? this.env.PATH ?? base.PATH ?? '';
    env.PATH = [...this.paths, basePath].filter(Boolean).join(':');
    const result = await this.spawnProcess(argv, cwd, env, timeoutMs);
    const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    try {
      Object.assign(this.env, parseKeyValueFile(read(files.GITHUB_ENV), 'GITHUB_ENV'));
      this.paths.unshift(...parsePathFile(read(files.GITHUB_PATH)));
      const summary = read(files.GITHUB_STEP_SUMMARY);
      if (summary.trim() !== '') this.summary += `${summary.endsWith('\n') ? summary : `${summary}\n`}`;
      return {
        ...result,
        outputs: parseKeyValueFile(read(files.GITHUB_OUTPUT), 'GITHUB_OUTPUT'),
        state: parseKeyValueFile(read(files.GITHUB_STATE), 'GITHUB_STATE'),
      };
    } catch (error) {
      return { ...result, outputs: {}, state: {}, error: (error as Error).message };
    }
  }

  private spawnProcess(
    argv: string[],
    cwd: string,
    env: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ exitCode: number | null; timedOut: boolean }> {
    return new Promise((done) => {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let timedOut = false;
      let grouped = false;
      const lines = (stream: NodeJS.ReadableStream) => {
        let buffer = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          buffer += chunk;
          const parts = buffer.split('\n');
          buffer = parts.pop()!;
          for (const line of parts)
            this.line(
              line.replace(/\r$/, ''),
              () => grouped,
              (g) => (grouped = g),
            );
        });
        stream.on('end', () => {
          if (buffer !== '')
            this.line(
              buffer,
              () => grouped,
              (g) => (grouped = g),
            );
        });
      };
      lines(child.stdout!);
      lines(child.stderr!);
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          /* already gone */
        }
      };
      let killer: NodeJS.Timeout | undefined;
      const timer =
        Number.isFinite(timeoutMs) && timeoutMs < 2 ** 31
          ? setTimeout(() => {
              timedOut = true;
              kill('SIGTERM');
              killer = setTimeout(() => kill('SIGKILL'), 3000);
            }, timeoutMs)
          : undefined;
      child.on('error', (error) => {
        this.print(`    │ ${error.message}`);
      });
      if (child.pid) activeGroups.add(child.pid);
      child.on('close', (code) => {
        if (child.pid) activeGroups.delete(child.pid);
        clearTimeout(timer);
        clearTimeout(killer);
        done({ exitCode: code, timedOut });
      });
    });
  }

  /** One line of a step's output: a workflow command, or text to print (masked). */
  private line(line: string, grouped: () => boolean, setGrouped: (g: boolean) => void): void {
    const command = parseWorkflowCommand(line);
    const indent = grouped() ? '    │   ' : '    │ ';
    if (!command) {
      this.print(`${indent}${line}`);
      return;
    }
    switch (command.command) {
      case 'add-mask':
        this.run_.masker.add(command.message);
        return;
      case 'error':
      case 'warning':
      case 'notice': {
        const at = command.properties.file
          ? ` (${command.properties.file}${command.properties.line ? `:${command.properties.line}` : ''})`
          : '';
        const message = `${command.properties.title ? `${command.properties.title}: ` : ''}${command.message}${at}`;
        this.run_.annotate({ level: command.command, job: this.key, message });
        this.print(`${indent}${command.command}: ${message}`);
        return;
      }
      case 'group':
        this.print(`    ▾ ${command.message}`);
        setGrouped(true);
        return;
      case 'endgroup':
        setGrouped(false);
        return;
      case 'debug':
        if (process.env.RUNNER_DEBUG === '1') this.print(`${indent}debug: ${command.message}`);
        return;
      default:
        // set-output, save-state, stop-commands, echo…: not supported; the line is shown as it is.
        this.print(`${indent}${line}`);
    }
  }
}

/** A service as its evaluated `services.<name>` says; an image other than postgres or redis is refused. */
function serviceSpec(name: string, value: Json): ServiceSpec {
  const service = (typeof value === 'string' ? { image: value } : value) as Record<string, Json> | null;
  if (!service || typeof service !== 'object' || Array.isArray(service)) throw new Error('not a mapping');
  const image = asString(service.image ?? '');
  const kind = serviceKind(image);
  if (!kind)
    throw new Error(
      `image '${image}' not supported: only postgres and redis images, stood in by Debian's PostgreSQL and Redis`,
    );
  const env: Record<string, string> = {};
  const given = service.env;
  if (given && typeof given === 'object' && !Array.isArray(given))
    for (const [k, v] of Object.entries(given)) env[k] = asString(v);
  const ports = Array.isArray(service.ports) ? service.ports.map((p) => parsePort(asString(p))) : [];
  return { name, image, kind, env, ports, options: asString(service.options ?? '') };
}

export async function runWorkflow(opts: RunOptions): Promise<RunResult> {
  return new WorkflowRun(opts).run();
}
