import { isObject } from './expressions.js';

/** One entry of WhatIfChange.delta (WhatIfPropertyChange in Azure's schema). */
export interface PropertyChange {
  path: string;
  propertyChangeType: 'Create' | 'Delete' | 'Modify' | 'Array' | 'NoEffect';
  before?: unknown;
  after?: unknown;
  children?: PropertyChange[];
}

const sameLocation = (a: unknown, b: unknown) =>
  typeof a === 'string' &&
  typeof b === 'string' &&
  a.toLowerCase().replace(/\s+/g, '') === b.toLowerCase().replace(/\s+/g, '');

/**
 * The property changes a PUT of `desired` would make to `current`, incremental style: only what the template
 * sets is compared (a property the template leaves out is kept by the PUT and is no change). Object keys match
 * case-insensitively; strings that are resource ids compare case-insensitively, locations ignoring spaces.
 */
export function propertyDelta(
  current: Record<string, unknown>,
  desired: Record<string, unknown>,
): PropertyChange[] {
  const out: PropertyChange[] = [];
  for (const [key, after] of Object.entries(desired)) {
    const currentKey = Object.keys(current).find((k) => k.toLowerCase() === key.toLowerCase());
    const before = currentKey === undefined ? undefined : current[currentKey];
    if (key === 'location' && sameLocation(before, after)) continue;
    out.push(...diff(key, before, after));
  }
  return out;
}

function diff(path: string, before: unknown, after: unknown): PropertyChange[] {
  if (equalValues(before, after)) return [];
  if (before === undefined || before === null) return [{ path, propertyChangeType: 'Create', after }];
  if (isObject(before) && isObject(after)) {
    const children: PropertyChange[] = [];
    for (const [k, v] of Object.entries(after)) {
      const bk = Object.keys(before).find((x) => x.toLowerCase() === k.toLowerCase());
      children.push(...diff(`${path}.${k}`, bk === undefined ? undefined : before[bk], v));
    }
    return children;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const children: PropertyChange[] = [];
    const n = Math.max(before.length, after.length);
    for (let i = 0; i < n; i++) {
      if (i >= after.length)
        children.push({ path: String(i), propertyChangeType: 'Delete', before: before[i] });
      else children.push(...diff(String(i), before[i], after[i]));
    }
    return [{ path, propertyChangeType: 'Array', before, after, children }];
  }
  return [{ path, propertyChangeType: 'Modify', before, after }];
}

function equalValues(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string')
    return a === b || (a.startsWith('/subscriptions/') && a.toLowerCase() === b.toLowerCase());
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => equalValues(x, b[i]));
  if (isObject(a) && isObject(b))
    return Object.entries(b).every(([k, v]) => {
      const ak = Object.keys(a).find((x) => x.toLowerCase() === k.toLowerCase());
      return ak !== undefined && equalValues(a[ak], v);
    });
  return a === b;
}
