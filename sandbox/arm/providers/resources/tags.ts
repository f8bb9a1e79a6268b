import { HttpProblem, isObject } from '../../../http.js';

/**
 * ARM's Tags API (`{scope}/providers/Microsoft.Resources/tags/default`, Tags_GetAtScope,
 * Tags_CreateOrUpdateAtScope, Tags_UpdateAtScope, Tags_DeleteAtScope): how real Azure changes a resource's
 * tags without the resource provider, and how several tools share one tag map without overwriting each
 * other's tags.
 */

export const TAGS_PATH = '/providers/microsoft\\.resources/tags/default';

/** Azure's limits: 50 tags per resource, names up to 512 characters, values up to 256. */
const MAX_TAGS = 50;
const MAX_NAME = 512;
const MAX_VALUE = 256;

export type TagsOperation = 'Merge' | 'Replace' | 'Delete';

/** The `properties.tags` of a request body, checked against Azure's limits. */
export function readTagsBody(body: unknown): Record<string, string> {
  const properties = isObject(body) ? body['properties'] : undefined;
  const tags = isObject(properties) ? properties['tags'] : undefined;
  if (tags !== undefined && tags !== null && !isObject(tags))
    throw new HttpProblem(400, 'InvalidRequestContent', "The 'properties.tags' property must be an object.");
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags ?? {})) {
    if (typeof value !== 'string')
      throw new HttpProblem(400, 'InvalidTagValue', `The value of tag '${name}' must be a string.`);
    if (name.length === 0 || name.length > MAX_NAME || /[<>%&\\?/]/.test(name))
      throw new HttpProblem(400, 'InvalidTagNameCharacters', `The tag name '${name}' is not valid.`);
    if (value.length > MAX_VALUE)
      throw new HttpProblem(
        400,
        'InvalidTagValueLength',
        `The tag value of '${name}' is ${value.length} characters; the limit is ${MAX_VALUE}.`,
      );
    out[name] = value;
  }
  return out;
}

/** The PATCH body's `operation` (case-insensitive, as ARM reads enums). */
export function readOperation(body: unknown): TagsOperation {
  const raw = isObject(body) ? body['operation'] : undefined;
  const found = (['Merge', 'Replace', 'Delete'] as const).find(
    (op) => typeof raw === 'string' && op.toLowerCase() === raw.toLowerCase(),
  );
  if (!found)
    throw new HttpProblem(
      400,
      'InvalidRequestContent',
      "The 'operation' property must be one of 'Replace', 'Merge' or 'Delete'.",
    );
  return found;
}

/** Tag names are case-insensitive in ARM: find the stored spelling of `name`. */
function storedName(tags: Record<string, string>, name: string): string | undefined {
  return Object.keys(tags).find((k) => k.toLowerCase() === name.toLowerCase());
}

/**
 * The tag map after a PATCH. `Merge` adds and updates; `Replace` sets the whole map; `Delete` removes the
 * names given, and where a value is given only when the stored value equals it ("name/value pairs").
 */
export function applyTagsPatch(
  current: Readonly<Record<string, string>>,
  operation: TagsOperation,
  given: Readonly<Record<string, string>>,
): Record<string, string> {
  let next: Record<string, string>;
  if (operation === 'Replace') next = { ...given };
  else if (operation === 'Merge') {
    next = { ...current };
    for (const [name, value] of Object.entries(given)) {
      const existing = storedName(next, name);
      if (existing !== undefined) delete next[existing];
      next[existing ?? name] = value;
    }
  } else {
    next = { ...current };
    for (const [name, value] of Object.entries(given)) {
      const existing = storedName(next, name);
      if (existing !== undefined && (value === '' || next[existing] === value)) delete next[existing];
    }
  }
  if (Object.keys(next).length > MAX_TAGS)
    throw new HttpProblem(
      400,
      'InvalidTagCount',
      `The resource would have ${Object.keys(next).length} tags; the limit is ${MAX_TAGS}.`,
    );
  return next;
}

/** The TagsResource body ARM answers with. */
export function tagsResourceBody(scope: string, tags: Readonly<Record<string, string>>) {
  return {
    id: `${scope}/providers/Microsoft.Resources/tags/default`,
    name: 'default',
    type: 'Microsoft.Resources/tags',
    properties: { tags: { ...tags } },
  };
}
