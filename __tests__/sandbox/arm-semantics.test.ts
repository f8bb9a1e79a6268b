import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '../helpers/wait.js';
import { call, FAST, type Reply, type SandboxProcess, siteId, startSandbox, tokenFor } from './helpers.js';

// ARM behaviour beyond the examples' shapes: case-insensitive paths, any api-version, the 409 lock while a
// long-running operation runs, swap with preview, slot settings and diffs, config validation, autoscale
// validation and updates, restart and instances.

let sb: SandboxProcess;
let token: string;

beforeAll(async () => {
  sb = await startSandbox({ config: FAST });
  token = await tokenFor(sb);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

const arm = (method: string, path: string, body?: unknown, apiVersion = '2025-05-01'): Promise<Reply> =>
  call(
    sb,
    method,
    `${sb.conn.armEndpoint}${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`,
    {
      token,
      ...(body === undefined ? {} : { body }),
    },
  );
const site = (slot?: string) => siteId(sb.conn, slot);
const code = (reply: Reply) => (reply.body as { error?: { code?: string } }).error?.code;
/** The long-running operation a 202 reply started has finished: its Location answers 200. */
const finished = async (accepted: Reply) => {
  expect(accepted.status).toBe(202);
  await waitFor(
    async () => (await call(sb, 'GET', accepted.headers['location']!, { token })).status === 200,
    {
      timeoutMs: FAST.operationDurationMs + 10_000,
      what: `${accepted.headers['location']} to answer 200`,
    },
  );
};
const settings = async (slot?: string) =>
  (
    (await arm('POST', `${site(slot)}/config/appsettings/list`)).body as {
      properties: Record<string, string>;
    }
  ).properties;

test('paths are case-insensitive and any api-version is accepted', async () => {
  const shouting = site().toUpperCase().replace(sb.conn.subscriptionId.toUpperCase(), sb.conn.subscriptionId);
  const reply = await arm('GET', shouting, undefined, '2016-08-01');
  expect(reply.status).toBe(200);
  // ARM keeps the casing the resource was created with.
  expect((reply.body as { id: string }).id).toBe(site());
  expect(
    (await arm('GET', `/subscriptions/${sb.conn.subscriptionId}/resourcegroups/${sb.conn.resourceGroup}`))
      .status,
  ).toBe(200);
});

test('unknown resource group and unknown subscription use ARM codes', async () => {
  const rg = await arm(
    'GET',
    site().replace(`/resourceGroups/${sb.conn.resourceGroup}/`, '/resourceGroups/nope/'),
  );
  expect([rg.status, code(rg)]).toEqual([404, 'ResourceGroupNotFound']);
  const sub = await arm(
    'GET',
    site().replace(sb.conn.subscriptionId, '00000000-0000-0000-0000-000000000000'),
  );
  expect([sub.status, code(sub)]).toEqual([404, 'SubscriptionNotFound']);
});

test('while a swap runs, writes to the site and its slots get 409 Conflict; reads still work', async () => {
  const swap = await arm('POST', `${site()}/slotsswap`, { targetSlot: 'staging', preserveVnet: true });
  expect(swap.status).toBe(202);
  expect(swap.headers['location']).toMatch(/\/operationResults\//);
  expect(swap.headers['retry-after']).toBe('1');
  expect(swap.text).toBe('');
  const blocked = await arm('PUT', `${site('staging')}/config/appsettings`, { properties: { A: 'b' } });
  expect([blocked.status, code(blocked)]).toEqual([409, 'Conflict']);
  expect((blocked.body as { error: { message: string } }).error.message).toContain(
    'another operation is in progress',
  );
  expect((await arm('GET', site('staging'))).status).toBe(200);
  const poll = await call(sb, 'GET', swap.headers['location']!, { token });
  expect(poll.status).toBe(202);
  await finished(swap);
  // Swap back to leave the demo as it was.
  await finished(await arm('POST', `${site()}/slotsswap`, { targetSlot: 'staging' }));
});

test('a swap needs targetSlot, and a slot cannot swap with itself', async () => {
  const missing = await arm('POST', `${site()}/slotsswap`, {});
  expect([missing.status, code(missing)]).toEqual([400, 'BadRequest']);
  const self = await arm('POST', `${site('staging')}/slotsswap`, { targetSlot: 'staging' });
  expect(self.status).toBe(400);
  const nowhere = await arm('POST', `${site()}/slotsswap`, { targetSlot: 'qa' });
  expect(nowhere.status).toBe(404);
});

test('swap with preview: applySlotConfig gives staging production sticky values, the swap completes, reset is a no-op after it', async () => {
  expect(await settings()).toMatchObject({ APP_SLOT_LABEL: 'production' });
  expect(
    (
      await arm('PUT', `${site('staging')}/config/appsettings`, {
        properties: { ...(await settings('staging')), RELEASE: 'v2' },
      })
    ).status,
  ).toBe(200);
  // Phase 1: the source slot (staging) runs with the target's (production's) sticky settings.
  expect(
    (
      await arm('POST', `${site('staging')}/applySlotConfig`, {
        targetSlot: 'production',
        preserveVnet: true,
      })
    ).status,
  ).toBe(200);
  expect(await settings('staging')).toMatchObject({ APP_SLOT_LABEL: 'production', RELEASE: 'v2' });
  const stagingSite = (await arm('GET', site('staging'))).body as { properties: { targetSwapSlot: string } };
  expect(stagingSite.properties.targetSwapSlot).toBe('production');
  // Phase 2: complete the swap.
  await finished(await arm('POST', `${site('staging')}/slotsswap`, { targetSlot: 'production' }));
  expect(await settings()).toMatchObject({ APP_SLOT_LABEL: 'production', RELEASE: 'v2' });
  expect(await settings('staging')).toMatchObject({ APP_SLOT_LABEL: 'staging' });
  expect(await settings('staging')).not.toHaveProperty('RELEASE');
  const after = (await arm('GET', site())).body as {
    properties: { targetSwapSlot: unknown; slotSwapStatus: Record<string, string> };
  };
  expect(after.properties.targetSwapSlot).toBeNull();
  expect(after.properties.slotSwapStatus).toMatchObject({
    sourceSlotName: 'staging',
    destinationSlotName: 'production',
  });
  // Roll back: the second swap.
  await finished(await arm('POST', `${site()}/slotsswap`, { targetSlot: 'staging' }));
  expect(await settings()).not.toHaveProperty('RELEASE');
});

test('swap with preview cancelled: resetSlotConfig restores the slot settings', async () => {
  const before = await settings('staging');
  expect((await arm('POST', `${site('staging')}/applySlotConfig`, { targetSlot: 'production' })).status).toBe(
    200,
  );
  expect((await settings('staging'))['APP_SLOT_LABEL']).toBe('production');
  expect((await arm('POST', `${site('staging')}/resetSlotConfig`)).status).toBe(200);
  expect(await settings('staging')).toEqual(before);
  const stagingSite = (await arm('GET', site('staging'))).body as { properties: { targetSwapSlot: unknown } };
  expect(stagingSite.properties.targetSwapSlot).toBeNull();
});

test('slotConfigNames decide what slotsdiffs reports as swapped or staying', async () => {
  const names = await arm('GET', `${site()}/config/slotConfigNames`);
  expect((names.body as { properties: { appSettingNames: string[] } }).properties.appSettingNames).toEqual([
    'APP_SLOT_LABEL',
  ]);
  const put = await arm('PUT', `${site()}/config/slotConfigNames`, {
    properties: { appSettingNames: ['APP_SLOT_LABEL', 'FEATURE_BANNER'] },
  });
  expect(put.status).toBe(200);
  await arm('PUT', `${site('staging')}/config/appsettings`, {
    properties: { ...(await settings('staging')), FEATURE_BANNER: 'on' },
  });
  const diffs = await arm('POST', `${site('staging')}/slotsdiffs`, { targetSlot: 'production' });
  expect(diffs.status).toBe(200);
  const byName = Object.fromEntries(
    (
      diffs.body as {
        value: { properties: { settingName: string; diffRule: string; settingType: string } }[];
      }
    ).value.map((d) => [d.properties.settingName, d.properties]),
  );
  expect(byName['APP_SLOT_LABEL']).toMatchObject({
    settingType: 'AppSetting',
    diffRule: 'SettingsNotSwapped',
  });
  expect(byName['FEATURE_BANNER']).toMatchObject({ diffRule: 'SettingsNotSwapped' });
  const bad = await arm('PUT', `${site()}/config/slotConfigNames`, {
    properties: { appSettingNames: 'APP_SLOT_LABEL' },
  });
  expect(bad.status).toBe(400);
  await arm('PUT', `${site()}/config/slotConfigNames`, {
    properties: { appSettingNames: ['APP_SLOT_LABEL'] },
  });
});

test('config/web PATCH sets linuxFxVersion, healthCheckPath and ramp-up rules, and validates them', async () => {
  const rules = [
    {
      name: 'staging',
      actionHostName: 'slotline-demo-web-staging.azurewebsites.net',
      reroutePercentage: 10,
      changeStep: 5,
      changeIntervalInMinutes: 1,
      maxReroutePercentage: 50,
    },
  ];
  const patched = await arm('PATCH', `${site()}/config/web`, {
    properties: { healthCheckPath: '/ready', experiments: { rampUpRules: rules } },
  });
  expect(patched.status).toBe(200);
  const config = (await arm('GET', `${site()}/config/web`)).body as { properties: Record<string, unknown> };
  expect(config.properties['healthCheckPath']).toBe('/ready');
  expect(config.properties['experiments']).toEqual({ rampUpRules: rules });
  expect(config.properties['linuxFxVersion']).toBe('DOCKER|ghcr.io/slotline-demo/web:1.0.0');
  const badPath = await arm('PATCH', `${site()}/config/web`, { properties: { healthCheckPath: 'ready' } });
  expect([badPath.status, code(badPath)]).toEqual([400, 'BadRequest']);
  const badRule = await arm('PATCH', `${site()}/config/web`, {
    properties: { experiments: { rampUpRules: [{ name: 'x', reroutePercentage: 150 }] } },
  });
  expect(badRule.status).toBe(400);
  const notJson = await call(sb, 'PUT', `${sb.conn.armEndpoint}${site()}/config/web?api-version=2025-05-01`, {
    token,
    headers: { 'content-type': 'application/json' },
    body: undefined,
  });
  expect(notJson.status).toBe(400);
  // Routing rules are slot-bound: a swap leaves them with production.
  await finished(await arm('POST', `${site()}/slotsswap`, { targetSlot: 'staging' }));
  const afterSwap = (await arm('GET', `${site()}/config/web`)).body as {
    properties: Record<string, unknown>;
  };
  expect(afterSwap.properties['experiments']).toEqual({ rampUpRules: rules });
  await finished(await arm('POST', `${site()}/slotsswap`, { targetSlot: 'staging' }));
  await arm('PATCH', `${site()}/config/web`, {
    properties: { healthCheckPath: '/healthz', experiments: { rampUpRules: [] } },
  });
});

test('restart answers 200 at once; instances follow the plan capacity', async () => {
  expect((await arm('POST', `${site()}/restart?softRestart=true&synchronous=false`)).status).toBe(200);
  const plan = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}/providers/Microsoft.Web/serverfarms/${sb.conn.planName}`;
  expect((await arm('PATCH', plan, { sku: { capacity: 3 } })).status).toBe(200);
  const instances = (await arm('GET', `${site()}/instances`)).body as {
    value: { name: string; properties: { state: string } }[];
  };
  expect(instances.value).toHaveLength(3);
  expect(instances.value.every((i) => i.properties.state === 'READY')).toBe(true);
  expect((await arm('PATCH', plan, { sku: { capacity: 2 } })).status).toBe(200);
});

describe('autoscale settings', () => {
  const group = () => `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}`;
  const setting = () =>
    `${group()}/providers/microsoft.insights/autoscalesettings/${sb.conn.autoscaleSettingName}`;

  test('PATCH changes the setting; list by subscription finds it', async () => {
    const current = (await arm('GET', setting(), undefined, '2022-10-01')).body as {
      properties: { profiles: { capacity: Record<string, string> }[] };
    };
    const profiles = current.properties.profiles.map((p, i) =>
      i === 0 ? { ...p, capacity: { ...p.capacity, maximum: '12' } } : p,
    );
    const patched = await arm(
      'PATCH',
      setting(),
      { tags: { owner: 'slotline' }, properties: { profiles } },
      '2022-10-01',
    );
    expect(patched.status).toBe(200);
    expect((patched.body as { tags: unknown }).tags).toEqual({ owner: 'slotline' });
    const list = await arm(
      'GET',
      `/subscriptions/${sb.conn.subscriptionId}/providers/microsoft.insights/autoscalesettings`,
      undefined,
      '2022-10-01',
    );
    const found = (
      list.body as {
        value: { name: string; properties: { profiles: { capacity: Record<string, string> }[] } }[];
      }
    ).value.find((s) => s.name === sb.conn.autoscaleSettingName);
    expect(found?.properties.profiles[0]?.capacity['maximum']).toBe('12');
  });

  test.each([
    [
      'capacity as numbers',
      (p: Record<string, unknown>) => ({ ...p, capacity: { minimum: 1, maximum: 5, default: 1 } }),
      'InvalidRequestContent',
      /capacity.minimum must be string/,
    ],
    [
      'minimum above maximum',
      (p: Record<string, unknown>) => ({ ...p, capacity: { minimum: '6', maximum: '5', default: '6' } }),
      'BadRequest',
      /default \(6\) must be between the minimum \(6\) and the maximum \(5\)/,
    ],
    [
      'an unknown operator',
      (p: Record<string, unknown>) => ({
        ...p,
        rules: [
          {
            ...(p['rules'] as Record<string, Record<string, unknown>>[])[0],
            metricTrigger: {
              ...(p['rules'] as Record<string, Record<string, unknown>>[])[0]!['metricTrigger'],
              operator: 'Above',
            },
          },
        ],
      }),
      'InvalidRequestContent',
      /operator must be one of/,
    ],
    [
      'a cooldown under a minute',
      (p: Record<string, unknown>) => ({
        ...p,
        rules: [
          {
            ...(p['rules'] as Record<string, Record<string, unknown>>[])[0],
            scaleAction: { direction: 'Increase', type: 'ChangeCount', value: '1', cooldown: 'PT30S' },
          },
        ],
      }),
      'BadRequest',
      /cooldown must be from PT1M to P7D/,
    ],
  ])('a PUT with %s is refused with an ARM error', async (_name, mutate, errorCode, message) => {
    const current = (await arm('GET', setting(), undefined, '2022-10-01')).body as {
      location: string;
      properties: { profiles: Record<string, unknown>[]; targetResourceUri: string };
    };
    const body = {
      location: current.location,
      properties: { ...current.properties, profiles: [mutate(current.properties.profiles[0]!)] },
    };
    const reply = await arm('PUT', setting(), body, '2022-10-01');
    expect(reply.status).toBe(400);
    expect(code(reply)).toBe(errorCode);
    expect((reply.body as { error: { message: string } }).error.message).toMatch(message);
  });
});

test('metric definitions and namespaces exist for sites, slots, plans and autoscale settings', async () => {
  const group = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}`;
  const cases: [string, string, string][] = [
    [site(), 'Microsoft.Web/sites', 'Requests'],
    [site('staging'), 'Microsoft.Web/sites/slots', 'Http5xx'],
    [
      `${group}/providers/Microsoft.Web/serverfarms/${sb.conn.planName}`,
      'Microsoft.Web/serverFarms',
      'CpuPercentage',
    ],
    [
      `${group}/providers/microsoft.insights/autoscalesettings/${sb.conn.autoscaleSettingName}`,
      'microsoft.insights/autoscalesettings',
      'ObservedCapacity',
    ],
  ];
  for (const [resource, namespace, metric] of cases) {
    const definitions = await arm(
      'GET',
      `${resource}/providers/microsoft.insights/metricDefinitions`,
      undefined,
      '2024-02-01',
    );
    const names = (definitions.body as { value: { name: { value: string }; namespace: string }[] }).value;
    expect(names.map((d) => d.name.value)).toContain(metric);
    expect(names[0]!.namespace).toBe(namespace);
    const spaces = await arm(
      'GET',
      `${resource}/providers/microsoft.insights/metricNamespaces`,
      undefined,
      '2024-02-01',
    );
    expect(
      (spaces.body as { value: { properties: { metricNamespaceName: string } }[] }).value[0]!.properties
        .metricNamespaceName,
    ).toBe(namespace);
    const values = await arm(
      'GET',
      `${resource}/providers/microsoft.insights/metrics?metricnames=${metric}&timespan=PT5M`,
      undefined,
      '2024-02-01',
    );
    expect(values.status).toBe(200);
  }
  const missing = await arm(
    'GET',
    `${group}/providers/Microsoft.Web/sites/ghost/providers/microsoft.insights/metrics`,
    undefined,
    '2024-02-01',
  );
  expect(missing.status).toBe(404);
});

test('server farms: list, and a plan with sites cannot be deleted', async () => {
  const group = `/subscriptions/${sb.conn.subscriptionId}/resourceGroups/${sb.conn.resourceGroup}`;
  const list = await arm('GET', `${group}/providers/Microsoft.Web/serverfarms`);
  const plan = (
    list.body as {
      value: { name: string; sku: { capacity: number }; properties: { numberOfSites: number } }[];
    }
  ).value.find((p) => p.name === sb.conn.planName);
  expect(plan).toMatchObject({ sku: { capacity: 2 }, properties: { numberOfSites: 1 } });
  const del = await arm('DELETE', `${group}/providers/Microsoft.Web/serverfarms/${sb.conn.planName}`);
  expect([del.status, code(del)]).toEqual([409, 'Conflict']);
});
