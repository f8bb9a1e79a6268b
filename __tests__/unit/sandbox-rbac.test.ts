import { expect, test } from '@jest/globals';
import { authorize } from '../../sandbox/arm/auth.js';
import { defaultConfig } from '../../sandbox/config.js';
import { HttpProblem } from '../../sandbox/http.js';
import { seedState } from '../../sandbox/seed.js';
import { ResourceStore } from '../../sandbox/store.js';

// The sandbox's built-in roles as Azure defines them for what templates need: Contributor may do everything
// but write Microsoft.Authorization (its NotActions), User Access Administrator only reads and writes
// Microsoft.Authorization, Reader only reads; a POST action (listKeys) needs a role that may write.

const GROUP_OF = (sub: string) => `/subscriptions/${sub}/resourceGroups/rg-one`;

async function store(role: 'Owner' | 'Contributor' | 'Reader' | 'User Access Administrator') {
  const base = defaultConfig();
  const config = {
    ...base,
    principals: [{ name: 'p', role, scope: '/subscriptions/{subscription}/resourceGroups/rg-one' }],
  };
  const { state } = await seedState(config, { now: () => Date.parse('2026-01-01T00:00:00Z') });
  const s = new ResourceStore(state, undefined);
  const caller = {
    oid: state.principals[0]!.objectId,
    appid: state.principals[0]!.clientId,
    tid: state.tenantId,
  };
  const group = GROUP_OF(state.subscriptionId);
  const allowed = (method: string, path: string) => {
    try {
      authorize(caller, method, `${group}${path}`, s);
      return true;
    } catch (error) {
      expect(error).toBeInstanceOf(HttpProblem);
      return false;
    }
  };
  return allowed;
}

const SITE = '/providers/Microsoft.Web/sites/app';
const ASSIGNMENT = `${SITE}/providers/Microsoft.Authorization/roleAssignments/3f1c0c3e-0000-4000-8000-000000000001`;
const KEYS = '/providers/Microsoft.Cache/redis/cache/listKeys';

test.each([
  // role, GET site, PUT site, PUT role assignment, POST listKeys
  ['Owner', true, true, true, true],
  ['Contributor', true, true, false, true],
  ['User Access Administrator', true, false, true, false],
  ['Reader', true, false, false, false],
] as const)(
  '%s: read %s, write %s, assign roles %s, listKeys %s',
  async (role, read, write, assign, keys) => {
    const allowed = await store(role);
    expect([
      allowed('GET', SITE),
      allowed('PUT', SITE),
      allowed('PUT', ASSIGNMENT),
      allowed('POST', KEYS),
    ]).toEqual([read, write, assign, keys]);
    expect(allowed('DELETE', ASSIGNMENT)).toBe(assign);
  },
);
