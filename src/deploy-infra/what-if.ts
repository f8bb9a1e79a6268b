/**
 * Pure logic over ARM's what-if result: counts per change type, the changes fail-on-change-types forbids,
 * and the rows of the summary's table (resource, change type, changed properties before → after), with
 * secure parameter values redacted. No Azure.
 */

/** ARM's what-if change types (WhatIfChange.changeType). */
export const CHANGE_TYPES = [
  'Create',
  'Delete',
  'Ignore',
  'Deploy',
  'NoChange',
  'Modify',
  'Unsupported',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** A property change inside a what-if change (WhatIfPropertyChange). */
export interface PropertyChange {
  path: string;
  propertyChangeType: string;
  before?: unknown;
  after?: unknown;
  children?: PropertyChange[];
}

/** One resource's predicted change (WhatIfChange). */
export interface WhatIfChange {
  resourceId: string;
  changeType: string;
  unsupportedReason?: string;
  delta?: PropertyChange[];
}

/** `{ Create: 2, Modify: 1 }`: how many changes of each type, in CHANGE_TYPES order, zero counts left out. */
export function countChanges(changes: readonly WhatIfChange[]): Record<string, number> {
  const counts: Record<string, number> = {};
  const order = [...CHANGE_TYPES, ...new Set(changes.map((c) => c.changeType))];
  for (const type of new Set(order)) {
    const n = changes.filter((c) => c.changeType === type).length;
    if (n > 0) counts[type] = n;
  }
  return counts;
}

/** The changes whose type fail-on-change-types lists. */
export function forbiddenChanges(
  changes: readonly WhatIfChange[],
  failOn: readonly ChangeType[],
): WhatIfChange[] {
  return changes.filter((c) => (failOn as readonly string[]).includes(c.changeType));
}

/** `Microsoft.Web/sites/app` from a full resource id; the id itself when it has no provider part. */
export function shortResource(resourceId: string): string {
  const i = resourceId.toLowerCase().lastIndexOf('/providers/');
  if (i < 0) return resourceId;
  const parts = resourceId.slice(i + '/providers/'.length).split('/');
  // namespace/type/name[/type/name...] → namespace/type[/type]/name[/name]
  const namespace = parts[0] ?? '';
  const types: string[] = [];
  const names: string[] = [];
  for (let k = 1; k < parts.length; k += 2) {
    types.push(parts[k] ?? '');
    if (parts[k + 1] !== undefined) names.push(parts[k + 1]!);
  }
  return `${[namespace, ...types].join('/')}/${names.join('/')}`;
}

const MAX_VALUE = 60;

/** Replace every secure value inside a text with ***. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s) out = out.split(s).join('***');
  return out;
}

/** A before or after value in one short line. */
export function valueText(value: unknown, secrets: readonly string[] = []): string {
  if (value === undefined) return '(none)';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  text = redact(text, secrets);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** The leaf property changes as `path: before → after`, NoEffect left out, Array changes by their items. */
export function propertyLines(
  delta: readonly PropertyChange[] | undefined,
  secrets: readonly string[] = [],
  prefix = '',
): string[] {
  const lines: string[] = [];
  for (const p of delta ?? []) {
    const path = prefix ? (/^\d+$/.test(p.path) ? `${prefix}[${p.path}]` : `${prefix}.${p.path}`) : p.path;
    if (p.propertyChangeType === 'NoEffect') continue;
    if (p.children && p.children.length > 0) {
      lines.push(...propertyLines(p.children, secrets, path));
      continue;
    }
    const before = p.propertyChangeType === 'Create' ? '(none)' : valueText(p.before, secrets);
    const after = p.propertyChangeType === 'Delete' ? '(removed)' : valueText(p.after, secrets);
    lines.push(`${path}: ${before} → ${after}`);
  }
  return lines;
}

export interface ChangeRow {
  resource: string;
  changeType: string;
  properties: string[];
}

/** How many rows the summary's table shows; the rest are counted in a last line. */
export const MAX_ROWS = 50;
const MAX_PROPERTIES = 5;

/**
 * The summary's rows: changes other than NoChange and Ignore first (in ARM's order), then those; at most
 * `max`, and how many more there are. Each row's properties at most five, then `+K more`.
 */
export function changeRows(
  changes: readonly WhatIfChange[],
  secrets: readonly string[] = [],
  max = MAX_ROWS,
): { rows: ChangeRow[]; more: number } {
  const quiet = (c: WhatIfChange) => c.changeType === 'NoChange' || c.changeType === 'Ignore';
  const ordered = [...changes.filter((c) => !quiet(c)), ...changes.filter(quiet)];
  const rows = ordered.slice(0, max).map((c) => {
    const lines = propertyLines(c.delta, secrets);
    const properties =
      lines.length > MAX_PROPERTIES
        ? [...lines.slice(0, MAX_PROPERTIES), `+${lines.length - MAX_PROPERTIES} more`]
        : lines;
    if (c.changeType === 'Unsupported' && c.unsupportedReason)
      properties.unshift(redact(c.unsupportedReason, secrets));
    return { resource: shortResource(c.resourceId), changeType: c.changeType, properties };
  });
  return { rows, more: Math.max(0, ordered.length - max) };
}
