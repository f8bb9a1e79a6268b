/**
 * Compare a response with an example's response by shape: every key the example has must be present
 * with the same JSON type, recursively; arrays compare their first elements. Values are not compared:
 * ids, names, times and hosts are naturally instance-specific. `ignore` lists dotted paths (with `[]`
 * for array elements) whose presence or type is not compared, each with a reason at the call site.
 */
export function shapeMismatches(
  expected: unknown,
  actual: unknown,
  ignore: string[] = [],
  path = '',
): string[] {
  if (ignore.includes(path)) return [];
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  // A null in an example says nothing about the type.
  if (expected === null) return [];
  if (kind(expected) !== kind(actual))
    return [`${path || '(root)'}: expected ${kind(expected)}, got ${kind(actual)}`];
  if (Array.isArray(expected)) {
    const items = actual as unknown[];
    if (expected.length === 0 || items.length === 0)
      return expected.length > 0 && items.length === 0 ? [`${path}: expected a non-empty array`] : [];
    return shapeMismatches(expected[0], items[0], ignore, `${path}[]`);
  }
  if (kind(expected) === 'object') {
    const out: string[] = [];
    const got = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected as Record<string, unknown>)) {
      const child = path ? `${path}.${key}` : key;
      if (ignore.includes(child)) continue;
      if (!(key in got)) out.push(`${child}: missing`);
      else out.push(...shapeMismatches(value, got[key], ignore, child));
    }
    return out;
  }
  return [];
}
