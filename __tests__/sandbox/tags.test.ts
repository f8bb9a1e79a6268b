import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { admin, call, FAST, type SandboxProcess, siteId, startSandbox, tokenFor } from './helpers.js';

// ARM's Tags API on the sandbox (`{scope}/providers/Microsoft.Resources/tags/default`): GET, PUT, PATCH
// with Merge / Replace / Delete, DELETE; a site PATCH's `tags` do not stick, as in App Service; the
// `ignore-write` fault answers a write as applied and loses it.

let sb: SandboxProcess;
let token: string;

beforeAll(async () => {
  sb = await startSandbox({ config: FAST });
  token = await tokenFor(sb);
}, 60_000);

afterEach(async () => {
  await admin(sb, 'DELETE', '/faults');
  await tags('PUT', { properties: { tags: {} } });
});

afterAll(async () => {
  await sb?.stop();
});

const API = 'api-version=2021-04-01';
const tagsUrl = (slot?: string) =>
  `${sb.conn.armEndpoint}${siteId(sb.conn, slot)}/providers/Microsoft.Resources/tags/default?${API}`;

async function tags(method: string, body?: unknown, slot?: string) {
  return call(sb, method, tagsUrl(slot), { token, ...(body === undefined ? {} : { body }) });
}

async function current(slot?: string): Promise<Record<string, string>> {
  const reply = await tags('GET', undefined, slot);
  expect(reply.status).toBe(200);
  return (reply.body as { properties: { tags: Record<string, string> } }).properties.tags;
}

describe('Tags API', () => {
  test('GET answers a TagsResource; PUT replaces the whole map', async () => {
    const put = await tags('PUT', { properties: { tags: { team: 'web', cost: 'c1' } } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      id: `${siteId(sb.conn)}/providers/Microsoft.Resources/tags/default`,
      name: 'default',
      type: 'Microsoft.Resources/tags',
      properties: { tags: { team: 'web', cost: 'c1' } },
    });
    await tags('PUT', { properties: { tags: { only: 'this' } } });
    expect(await current()).toEqual({ only: 'this' });
    // The site's own GET shows the same tags.
    const site = await call(sb, 'GET', `${sb.conn.armEndpoint}${siteId(sb.conn)}?${API}`, { token });
    expect((site.body as { tags: unknown }).tags).toEqual({ only: 'this' });
  });

  test('PATCH Merge keeps other tags and updates by name (case-insensitive)', async () => {
    await tags('PUT', { properties: { tags: { team: 'web', Owner: 'a' } } });
    const merged = await tags('PATCH', {
      operation: 'Merge',
      properties: { tags: { owner: 'b', new: '1' } },
    });
    expect(merged.status).toBe(200);
    expect(await current()).toEqual({ team: 'web', Owner: 'b', new: '1' });
  });

  test('PATCH Replace sets the map; PATCH Delete removes names, and name/value pairs only when the value matches', async () => {
    await tags('PATCH', { operation: 'Replace', properties: { tags: { a: '1', b: '2', c: '3' } } });
    expect(await current()).toEqual({ a: '1', b: '2', c: '3' });
    await tags('PATCH', { operation: 'Delete', properties: { tags: { a: '', b: 'not-2', c: '3' } } });
    expect(await current()).toEqual({ b: '2' });
  });

  test('DELETE removes every tag; slots have their own tags', async () => {
    await tags('PUT', { properties: { tags: { a: '1' } } });
    await tags('PUT', { properties: { tags: { s: 'slot' } } }, 'staging');
    expect((await tags('DELETE')).status).toBe(200);
    expect(await current()).toEqual({});
    expect(await current('staging')).toEqual({ s: 'slot' });
  });

  test('bad operation, a value over 256 characters and a missing resource are refused in ARM terms', async () => {
    const bad = await tags('PATCH', { operation: 'Upsert', properties: { tags: { a: '1' } } });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe('InvalidRequestContent');
    const long = await tags('PATCH', { operation: 'Merge', properties: { tags: { a: 'x'.repeat(257) } } });
    expect(long.status).toBe(400);
    expect((long.body as { error: { code: string } }).error.code).toBe('InvalidTagValueLength');
    const missing = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}${siteId(sb.conn)}-nope/providers/Microsoft.Resources/tags/default?${API}`,
      { token },
    );
    expect(missing.status).toBe(404);
    expect(await current()).toEqual({});
  });

  test('a site PATCH with tags changes no tag (SitePatchResource has none)', async () => {
    await tags('PUT', { properties: { tags: { keep: 'me' } } });
    const patch = await call(sb, 'PATCH', `${sb.conn.armEndpoint}${siteId(sb.conn)}?${API}`, {
      token,
      body: { tags: { replaced: 'all' }, properties: {} },
    });
    expect(patch.status).toBe(200);
    expect(await current()).toEqual({ keep: 'me' });
  });

  test('the ignore-write fault answers 200 with the would-be tags and changes nothing', async () => {
    const fault = await admin(sb, 'POST', '/faults', {
      type: 'ignore-write',
      method: 'PATCH',
      path: 'tags/default$',
      count: 1,
    });
    expect(fault.status).toBe(201);
    const lost = await tags('PATCH', { operation: 'Merge', properties: { tags: { lost: 'yes' } } });
    expect(lost.status).toBe(200);
    expect((lost.body as { properties: { tags: unknown } }).properties.tags).toEqual({ lost: 'yes' });
    expect(await current()).toEqual({});
    // Spent after one use: the next write sticks.
    await tags('PATCH', { operation: 'Merge', properties: { tags: { kept: 'yes' } } });
    expect(await current()).toEqual({ kept: 'yes' });
  });

  test('the ignore-write fault also loses a site PATCH (the tag writes of older clients)', async () => {
    const siteUrl = `${sb.conn.armEndpoint}${siteId(sb.conn)}?${API}`;
    const before = await call(sb, 'GET', siteUrl, { token });
    const state = (before.body as { properties: { clientAffinityEnabled?: boolean } }).properties
      .clientAffinityEnabled;
    await admin(sb, 'POST', '/faults', {
      type: 'ignore-write',
      method: 'PATCH',
      path: 'providers/microsoft\\.web/sites/[^/]+$',
      count: 1,
    });
    const lost = await call(sb, 'PATCH', siteUrl, {
      token,
      body: { properties: { clientAffinityEnabled: !state } },
    });
    expect(lost.status).toBe(200);
    expect(
      (lost.body as { properties: { clientAffinityEnabled: boolean } }).properties.clientAffinityEnabled,
    ).toBe(!state);
    const after = await call(sb, 'GET', siteUrl, { token });
    expect(
      (after.body as { properties: { clientAffinityEnabled?: boolean } }).properties.clientAffinityEnabled,
    ).toBe(state);
  });
});
