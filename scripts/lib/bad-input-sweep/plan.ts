import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  ACTION_PLANS,
  type ActionPlan,
  type BadValue,
  COMMON_VALUES,
  FREE_KINDS,
  FREE_TEXT_COMMON_KINDS,
  KIND_VALUES,
  type Kind,
} from './kinds.js';

/** What the sweep needs from one actions/<name>/action.yml. */
export interface ActionManifest {
  name: string;
  dir: string;
  /** Absolute path of runs.main. */
  main: string;
  /** Absolute path of runs.post, when the action has a post step. */
  post?: string;
  inputs: Record<string, { required: boolean; default?: string }>;
  outputs: string[];
}

export interface Trial {
  /** `<action>/<input>/<label>`: unique and stable. */
  id: string;
  action: string;
  input: string;
  kind: Kind;
  label: string;
  value: string;
  /** The action may accept the value (exit 0, or a later failure that names no input). */
  acceptable: boolean;
  /** The input holds a credential: its value may be masked, and must never be printed. */
  secretInput: boolean;
  /** Every input of the step, defaults filled in as the runner does, with `value` in `input`. */
  inputs: Record<string, string>;
  workspace: Record<string, string>;
  /** See ActionPlan.loopbackPort. */
  loopbackPort?: number;
}

function asString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return String(value);
}

export function readManifests(repoRoot: string): ActionManifest[] {
  const actionsDir = join(repoRoot, 'actions');
  return readdirSync(actionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(actionsDir, entry.name, 'action.yml')))
    .map((entry) => {
      const dir = join(actionsDir, entry.name);
      const doc = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as {
        inputs?: Record<string, { required?: boolean | string; default?: unknown } | null>;
        outputs?: Record<string, unknown>;
        runs?: { main?: string; post?: string };
      };
      if (!doc.runs?.main) throw new Error(`actions/${entry.name}/action.yml has no runs.main`);
      const inputs: ActionManifest['inputs'] = {};
      for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
        const def = asString(spec?.default);
        inputs[name] = {
          required: spec?.required === true || spec?.required === 'true',
          ...(def === undefined ? {} : { default: def }),
        };
      }
      return {
        name: entry.name,
        dir,
        main: resolve(dir, doc.runs.main),
        ...(doc.runs.post ? { post: resolve(dir, doc.runs.post) } : {}),
        inputs,
        outputs: Object.keys(doc.outputs ?? {}),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Inputs declared in an action.yml that the kind table does not know: each must be added to kinds.ts. */
export function uncoveredInputs(
  manifests: readonly ActionManifest[],
  plans: Record<string, ActionPlan> = ACTION_PLANS,
): string[] {
  const missing: string[] = [];
  for (const m of manifests) {
    const plan = plans[m.name];
    for (const input of Object.keys(m.inputs)) if (!plan?.inputs[input]) missing.push(`${m.name}/${input}`);
  }
  return missing;
}

/** Entries of the kind table whose action or input no action.yml declares (stale after a rename). */
export function staleEntries(
  manifests: readonly ActionManifest[],
  plans: Record<string, ActionPlan> = ACTION_PLANS,
): string[] {
  const stale: string[] = [];
  for (const [action, plan] of Object.entries(plans)) {
    const m = manifests.find((x) => x.name === action);
    if (!m) stale.push(action);
    else for (const input of Object.keys(plan.inputs)) if (!m.inputs[input]) stale.push(`${action}/${input}`);
  }
  return stale;
}

/** The bad values tried on one input, with whether the action may accept each. */
export function valuesFor(kind: Kind, required: boolean): { value: BadValue; acceptable: boolean }[] {
  const free = FREE_KINDS.has(kind);
  const common = COMMON_VALUES.map((value) => ({ value, isCommon: true }));
  const own = KIND_VALUES[kind].map((value) => ({ value, isCommon: false }));
  return [...common, ...own].map(({ value, isCommon }) => {
    const blank = value.value.trim() === '';
    const freeText = free || (isCommon && FREE_TEXT_COMMON_KINDS.has(kind));
    return { value, acceptable: blank ? !required : freeText || value.acceptable === true };
  });
}

/**
 * Every trial: one input changed to one bad value, every other input at the action's base value or its
 * action.yml default (the runner passes defaults as INPUT_ variables too).
 */
export function planTrials(
  manifests: readonly ActionManifest[],
  plans: Record<string, ActionPlan> = ACTION_PLANS,
): Trial[] {
  const missing = uncoveredInputs(manifests, plans);
  if (missing.length > 0)
    throw new Error(`inputs without a kind in scripts/lib/bad-input-sweep/kinds.ts: ${missing.join(', ')}`);
  const trials: Trial[] = [];
  for (const m of manifests) {
    const plan = plans[m.name]!;
    for (const [input, declared] of Object.entries(m.inputs)) {
      const spec = plan.inputs[input]!;
      const base: Record<string, string> = {};
      for (const [name, d] of Object.entries(m.inputs)) if (d.default !== undefined) base[name] = d.default;
      Object.assign(base, plan.base, spec.base ?? {});
      for (const { value, acceptable } of valuesFor(spec.kind, declared.required)) {
        if (spec.skip?.includes(value.label)) continue;
        trials.push({
          id: `${m.name}/${input}/${value.label}`,
          action: m.name,
          input,
          kind: spec.kind,
          label: value.label,
          value: value.value,
          acceptable: acceptable || (spec.accepts?.includes(value.label) ?? false),
          secretInput: spec.kind === 'secret',
          inputs: { ...base, [input]: value.value },
          workspace: plan.workspace,
          ...(plan.loopbackPort ? { loopbackPort: plan.loopbackPort } : {}),
        });
      }
    }
  }
  return trials;
}

/** Labels of the quick subset: the injection, bidi and blank cases, plus the first two values of each kind. */
const QUICK_COMMON = new Set(['empty', 'newline-command', 'bidi-override', 'very-long']);

/** A fixed subset of the plan, small enough for the jest suite, that still touches every input. */
export function quickSubset(trials: readonly Trial[]): Trial[] {
  const firstOfKind = new Map<Kind, Set<string>>();
  for (const [kind, values] of Object.entries(KIND_VALUES) as [Kind, readonly BadValue[]][])
    firstOfKind.set(kind, new Set(values.slice(0, 2).map((v) => v.label)));
  return trials.filter((t) => QUICK_COMMON.has(t.label) || (firstOfKind.get(t.kind)?.has(t.label) ?? false));
}
