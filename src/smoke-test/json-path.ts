/**
 * The small JSON path dialect of `expect-json` keys: `status`, `data.items[0].id`, `$.a.b`, `a["odd.key"]`.
 * Returns the path's segments, or undefined when the syntax is wrong.
 */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  let rest = path.trim().replace(/^\$\.?/, '');
  const segments: (string | number)[] = [];
  const token = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\])/;
  while (rest.length > 0) {
    const match = token.exec(rest);
    if (!match || (segments.length === 0 && rest.startsWith('.'))) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(`"${match[3]}"`) as string);
    rest = rest.slice(match[0].length);
  }
  return segments.length > 0 ? segments : undefined;
}

export type Lookup = { found: true; value: unknown } | { found: false };

export function lookupJsonPath(document: unknown, segments: readonly (string | number)[]): Lookup {
  let current: unknown = document;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(current) || segment >= current.length) return { found: false };
      current = current[segment];
    } else {
      if (
        current === null ||
        typeof current !== 'object' ||
        Array.isArray(current) ||
        !(segment in current)
      ) {
        return { found: false };
      }
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return { found: true, value: current };
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Every mismatch between a parsed JSON body and the expected path → value map, as readable reasons. */
export function jsonExpectationFailures(document: unknown, expected: Record<string, unknown>): string[] {
  const failures: string[] = [];
  for (const [path, want] of Object.entries(expected)) {
    const segments = parseJsonPath(path);
    if (!segments) {
      failures.push(`expect-json path "${path}" is not a valid path`);
      continue;
    }
    const got = lookupJsonPath(document, segments);
    if (!got.found) failures.push(`JSON ${path} is missing (expected ${JSON.stringify(want)})`);
    else if (!deepEqual(got.value, want)) {
      failures.push(`JSON ${path} is ${JSON.stringify(got.value)}, expected ${JSON.stringify(want)}`);
    }
  }
  return failures;
}
