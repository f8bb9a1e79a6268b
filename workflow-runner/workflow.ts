// Loading a workflow and refusing what the runner does not support, before anything runs.
// @actions/workflow-parser validates against GitHub's schema and converts; what the converted template lacks
// (a step's with, shell, working-directory, timeout-minutes; a job's permissions, defaults…) is read from the
// raw token tree.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  convertWorkflowTemplate,
  isMapping,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from '@actions/workflow-parser';
import { ErrorPolicy } from '@actions/workflow-parser/model/convert';
import type { Job, ReusableWorkflowJob, Step } from '@actions/workflow-parser/model/workflow-template';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { parse as parseYaml } from 'yaml';
import { CONTAINER_PORT, parseOptions, parsePort, serviceKind } from './services.js';
import { STAND_INS } from './stand-ins.js';

/** This work tree: `owner/slotline/...@ref` references resolve here. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A feature the runner does not support, or a workflow GitHub would reject: the run does not start. */
export class Refused extends Error {}

export interface LoadedWorkflow {
  path: string;
  /** The path shown in messages (relative to the work tree). */
  rel: string;
  template: WorkflowTemplate;
  raw: MappingToken;
}

export const where = (wf: { rel: string }, token: TemplateToken | undefined) =>
  `${wf.rel}:${token?.line ?? 1}`;

export function child(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  return token !== undefined && isMapping(token) ? token.find(key) : undefined;
}

/** The key token of an entry (its line is where the entry starts). */
export function keyToken(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (token === undefined || !isMapping(token)) return undefined;
  for (const pair of token) if (isString(pair.key) && pair.key.value === key) return pair.key;
  return undefined;
}

export function keys(token: TemplateToken | undefined): string[] {
  if (token === undefined || !isMapping(token)) return [];
  return [...token].map(({ key }) => (isString(key) ? key.value : String(key)));
}

export function sequence(token: TemplateToken | undefined): TemplateToken[] {
  if (token === undefined || !isSequence(token)) return [];
  const items: TemplateToken[] = [];
  for (let i = 0; i < token.count; i++) items.push(token.get(i));
  return items;
}

/** Parsed workflows by path, size and modification time: a file changed between runs is read again. */
const cache = new Map<string, Promise<LoadedWorkflow>>();

export function loadWorkflow(path: string): Promise<LoadedWorkflow> {
  const full = resolve(path);
  const stat = existsSync(full) ? statSync(full) : undefined;
  const key = `${full}\0${stat?.size}\0${stat?.mtimeMs}`;
  let loaded = cache.get(key);
  if (!loaded) {
    loaded = load(full);
    cache.set(key, loaded);
    loaded.catch(() => cache.delete(key));
  }
  return loaded;
}

async function load(path: string): Promise<LoadedWorkflow> {
  if (!existsSync(path)) throw new Refused(`workflow file not found: ${path}`);
  const rel = relative(repoRoot, path).startsWith('..') ? path : relative(repoRoot, path);
  const content = readFileSync(path, 'utf8');
  const parsed = parseWorkflow({ name: rel, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || !parsed.value) throw new Refused(errors.join('\n') || `${rel}: empty workflow`);
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, undefined, {
    errorPolicy: ErrorPolicy.ReturnErrorsOnly,
  });
  const convertErrors = parsed.context.errors.getErrors().map((e) => e.message);
  if (convertErrors.length > 0) throw new Refused(convertErrors.join('\n'));
  return { path, rel, template, raw: parsed.value as MappingToken };
}

export const rawJob = (wf: LoadedWorkflow, id: string) => child(child(wf.raw, 'jobs'), id) as MappingToken;

export function rawSteps(wf: LoadedWorkflow, id: string): MappingToken[] {
  return sequence(child(rawJob(wf, id), 'steps')) as MappingToken[];
}

/** The `on:` entry for one event, or undefined when the workflow is not triggered by it. */
export function eventsOf(wf: LoadedWorkflow): string[] {
  const on = child(wf.raw, 'on');
  if (on === undefined) return [];
  if (isString(on)) return [on.value];
  if (isSequence(on)) return sequence(on).map((t) => (isString(t) ? t.value : ''));
  return keys(on);
}

// ---------------------------------------------------------------------------------------------------------
// Actions

export interface ActionManifest {
  name: string;
  dir: string;
  /** How the action is shown. */
  ref: string;
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string; pre?: string; 'pre-if'?: string; post?: string; 'post-if'?: string };
}

export type ResolvedAction = { kind: 'local'; manifest: ActionManifest } | { kind: 'stand-in'; name: string };

/**
 * `./path` (from the workspace) and `<owner>/slotline/<path>@<ref>` (this work tree) load action.yml; the
 * third-party actions in the stand-in table are served locally; anything else is refused.
 */
export function resolveAction(uses: string, workspace: string, at: string): ResolvedAction {
  let dir: string | undefined;
  if (uses.startsWith('./')) dir = join(workspace, uses);
  else if (uses.startsWith('docker://'))
    throw new Refused(`${at}: docker actions are not supported (uses: ${uses})`);
  else {
    const m = /^([^/@]+)\/([^/@]+)(?:\/([^@]+))?@(.+)$/.exec(uses);
    if (!m) throw new Refused(`${at}: invalid action reference (uses: ${uses})`);
    const standIn = `${m[1]}/${m[2]}${m[3] ? `/${m[3]}` : ''}`.toLowerCase();
    if (STAND_INS[standIn]) return { kind: 'stand-in', name: standIn };
    if (m[2] !== 'slotline' || !m[3])
      throw new Refused(
        `${at}: unknown action ${uses}: only local actions, <owner>/slotline/<path>@<ref> and the stand-ins (${Object.keys(STAND_INS).join(', ')}) are supported`,
      );
    dir = join(repoRoot, m[3]);
  }
  const file = ['action.yml', 'action.yaml'].map((f) => join(dir, f)).find(existsSync);
  if (!file) throw new Refused(`${at}: no action.yml in ${relative(repoRoot, dir) || '.'} (uses: ${uses})`);
  const doc = parseYaml(readFileSync(file, 'utf8')) as Partial<ActionManifest> | null;
  const runs = doc?.runs;
  if (!runs || typeof runs !== 'object') throw new Refused(`${at}: ${uses}: action.yml has no runs:`);
  if (runs.using !== 'node24')
    throw new Refused(
      `${at}: ${uses}: runs.using '${runs.using}' is not supported (only node24 JavaScript actions)`,
    );
  if (typeof runs.main !== 'string') throw new Refused(`${at}: ${uses}: runs.main is missing`);
  return {
    kind: 'local',
    manifest: {
      name: doc?.name ?? uses,
      dir,
      ref: uses,
      inputs: (doc?.inputs ?? {}) as ActionManifest['inputs'],
      outputs: (doc?.outputs ?? {}) as ActionManifest['outputs'],
      runs,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Static checks

const WORKFLOW_KEYS = new Set([
  'name',
  'run-name',
  'on',
  'env',
  'defaults',
  'permissions',
  'concurrency',
  'jobs',
]);
const JOB_KEYS = new Set([
  'name',
  'needs',
  'if',
  'runs-on',
  'env',
  'defaults',
  'steps',
  'outputs',
  'permissions',
  'environment',
  'concurrency',
  'timeout-minutes',
  'services',
]);
const CALLER_KEYS = new Set(['name', 'needs', 'if', 'uses', 'with', 'secrets', 'permissions', 'concurrency']);
const STEP_KEYS = new Set([
  'id',
  'name',
  'if',
  'run',
  'uses',
  'with',
  'env',
  'shell',
  'working-directory',
  'timeout-minutes',
  'continue-on-error',
]);
const FEATURE_NAMES: Record<string, string> = {
  strategy: 'matrix strategies (strategy:)',
  container: 'container jobs (container:)',
  'continue-on-error': 'job-level continue-on-error',
  snapshot: 'custom image snapshots (snapshot:)',
};

/** Resolves a reusable workflow reference to a file of this work tree. */
export function resolveWorkflowRef(ref: string, workspace: string, at: string): string {
  if (ref.startsWith('./')) return join(workspace, ref);
  const m = /^[^/@]+\/[^/@]+\/(\.github\/workflows\/[^@]+)@.+$/.exec(ref);
  if (!m) throw new Refused(`${at}: unsupported reusable workflow reference ${ref}`);
  return join(repoRoot, m[1]!);
}

/** Every reason the workflow (and what it calls) cannot run here; empty when it can. */
export async function check(wf: LoadedWorkflow, workspace: string, depth = 1): Promise<string[]> {
  const problems: string[] = [];
  if (depth > 10) return [`${wf.rel}: reusable workflows nest deeper than GitHub's 10 levels`];
  for (const key of keys(wf.raw))
    if (!WORKFLOW_KEYS.has(key))
      problems.push(`${where(wf, keyToken(wf.raw, key))}: unsupported workflow key ${key}`);
  for (const job of wf.template.jobs) {
    const id = job.id.value;
    const raw = rawJob(wf, id);
    const allowed = job.type === 'job' ? JOB_KEYS : CALLER_KEYS;
    for (const key of keys(raw))
      if (!allowed.has(key))
        problems.push(
          `${where(wf, keyToken(raw, key))}: job ${id}: ${FEATURE_NAMES[key] ?? `key ${key}`} not supported`,
        );
    if (job.type === 'reusableWorkflowJob') {
      const ref = (job as ReusableWorkflowJob).ref.value;
      try {
        const called = await loadWorkflow(resolveWorkflowRef(ref, workspace, where(wf, child(raw, 'uses'))));
        if (!eventsOf(called).includes('workflow_call'))
          problems.push(`${where(wf, child(raw, 'uses'))}: ${called.rel} is not triggered by workflow_call`);
        problems.push(...(await check(called, workspace, depth + 1)));
      } catch (error) {
        problems.push((error as Error).message);
      }
      continue;
    }
    problems.push(...checkServices(wf, id, child(raw, 'services')));
    const steps = rawSteps(wf, id);
    (job as Job).steps.forEach((step: Step, i: number) => {
      const rawStep = steps[i]!;
      for (const key of keys(rawStep))
        if (!STEP_KEYS.has(key))
          problems.push(`${where(wf, keyToken(rawStep, key))}: step key ${key} not supported`);
      const uses = child(rawStep, 'uses');
      if (!('run' in step) && uses === undefined)
        problems.push(`${where(wf, rawStep)}: unsupported step kind`);
      if (uses === undefined || !isString(uses)) return;
      try {
        const action = resolveAction(uses.value, workspace, where(wf, uses));
        if (action.kind === 'local') {
          const given = new Set(keys(child(rawStep, 'with')));
          for (const [name, input] of Object.entries(action.manifest.inputs))
            if (input?.required && input.default === undefined && !given.has(name))
              problems.push(`${where(wf, uses)}: input '${name}' required by ${uses.value} is not given`);
        }
      } catch (error) {
        problems.push((error as Error).message);
      }
    });
  }
  return problems;
}

const SERVICE_KEYS = new Set(['image', 'env', 'ports', 'options', 'credentials']);

/**
 * Services: PostgreSQL and Redis images only (stood in by Debian's servers, services.ts). What is literal is
 * checked here; an image, port or option given by an expression is checked when the job starts.
 */
function checkServices(wf: LoadedWorkflow, id: string, services: TemplateToken | undefined): string[] {
  const problems: string[] = [];
  for (const name of keys(services)) {
    const service = child(services, name)!;
    const at = (token: TemplateToken | undefined) =>
      `${where(wf, token ?? service)}: job ${id}: service ${name}`;
    const image = isString(service) ? service : child(service, 'image');
    for (const key of keys(service))
      if (!SERVICE_KEYS.has(key))
        problems.push(
          `${at(keyToken(service, key))}: ${key} not supported (no container: the service runs on the host)`,
        );
    const kind = image && isString(image) ? serviceKind(image.value) : undefined;
    if (image && isString(image) && !kind)
      problems.push(
        `${at(image)}: image ${image.value} not supported: only postgres and redis images, stood in by Debian's PostgreSQL and Redis`,
      );
    for (const port of sequence(child(service, 'ports'))) {
      if (!isString(port)) continue;
      try {
        const mapping = parsePort(port.value);
        if (kind && mapping.container !== CONTAINER_PORT[kind])
          problems.push(
            `${at(port)}: port ${mapping.container}: the ${kind} image listens only on ${CONTAINER_PORT[kind]}`,
          );
      } catch (error) {
        problems.push(`${at(port)}: ${(error as Error).message}`);
      }
    }
    const options = child(service, 'options');
    if (options && isString(options))
      try {
        parseOptions(options.value);
      } catch (error) {
        problems.push(`${at(options)}: options: ${(error as Error).message}`);
      }
  }
  return problems;
}
