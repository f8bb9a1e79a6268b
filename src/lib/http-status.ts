/**
 * Lists of accepted HTTP statuses, as users write them in inputs: exact codes (`404`) and classes
 * (`2xx`), alone or comma-separated (`2xx,301`). One parser for smoke-test's `expect-status` and
 * deploy-slot's `health-statuses`.
 */

/** 200 matches exactly; `{ klass: 2 }` matches 200–299. */
export type StatusItem = { code: number } | { klass: number };

/** Whether a status is accepted. */
export type StatusMatcher = (status: number) => boolean;

/** `2xx`, `404` or 404 as one item; undefined when it is neither. */
export function parseStatusItem(value: number | string): StatusItem | undefined {
  const text = String(value).trim();
  if (/^[1-5]xx$/i.test(text)) return { klass: Number(text[0]) };
  if (/^[1-5]\d\d$/.test(text)) return { code: Number(text) };
  return undefined;
}

export function statusMatches(status: number, items: readonly StatusItem[]): boolean {
  return items.some((item) =>
    'code' in item ? item.code === status : Math.floor(status / 100) === item.klass,
  );
}

/** `200 or 2xx`, for messages. */
export function describeStatusItems(items: readonly StatusItem[]): string {
  return items.map((item) => ('code' in item ? String(item.code) : `${item.klass}xx`)).join(' or ');
}

/** `200`, `2xx,301` as a matcher; undefined when the list is empty or any item is not a code or class. */
export function parseStatusList(text: string): StatusMatcher | undefined {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const items = parts.map(parseStatusItem);
  if (parts.length === 0 || items.some((item) => item === undefined)) return undefined;
  return (status) => statusMatches(status, items as StatusItem[]);
}
