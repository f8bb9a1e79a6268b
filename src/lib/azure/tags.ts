import type { ArmClient } from './arm.js';

/**
 * ARM's Tags API: how a resource's tags change without the resource provider (App Service's site PATCH
 * has no `tags`), and without replacing the whole map, so tags other tools write survive ours.
 */
export const TAGS_API_VERSION = '2021-04-01';

export type TagsPatchOperation = 'Merge' | 'Replace' | 'Delete';

function tagsPath(resourceId: string): string {
  return `${resourceId}/providers/Microsoft.Resources/tags/default`;
}

interface TagsResource {
  properties?: { tags?: Record<string, string> | null };
}

/** The resource's tags (GET `{resourceId}/providers/Microsoft.Resources/tags/default`). */
export async function getTags(
  client: ArmClient,
  resourceId: string,
  opts: { abortSignal?: AbortSignal } = {},
): Promise<Record<string, string>> {
  const response = await client.request<TagsResource>('GET', tagsPath(resourceId), {
    apiVersion: TAGS_API_VERSION,
    ...(opts.abortSignal ? { abortSignal: opts.abortSignal } : {}),
  });
  return { ...(response.body?.properties?.tags ?? {}) };
}

/**
 * PATCH the tags: `Merge` adds or updates the given names, `Delete` removes them (a name with a value is
 * removed only while it still has that value), `Replace` sets the whole map. Returns the tags ARM reports.
 */
export async function patchTags(
  client: ArmClient,
  resourceId: string,
  operation: TagsPatchOperation,
  tags: Record<string, string>,
  opts: { abortSignal?: AbortSignal } = {},
): Promise<Record<string, string>> {
  const response = await client.request<TagsResource>('PATCH', tagsPath(resourceId), {
    apiVersion: TAGS_API_VERSION,
    body: { operation, properties: { tags } },
    ...(opts.abortSignal ? { abortSignal: opts.abortSignal } : {}),
  });
  return { ...(response.body?.properties?.tags ?? {}) };
}
