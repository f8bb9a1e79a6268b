// The sandbox runs in a zone far from UTC, so a time read in the machine's local zone shows up as an
// 11-hour shift. Jest gives the test its own copy of process.env, which spawn does not inherit, so the
// zone is passed to each child explicitly; the first test checks that a child really sees it.
const ZONE = { TZ: 'Australia/Sydney' };

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import { call, FAST, type SandboxProcess, siteId, startSandbox, tokenFor } from './helpers.js';

// What clients other than slotline's own SDK calls run into first (issue 11): cloud discovery, the
// subscription list every login makes, the classic ARM audience, publishing profiles, and Metrics
// timespans as other HTTP stacks send them.

const READER = {
  clientId: '6f1d2c3b-0000-4000-8000-00000000aa01',
  clientSecret: 'reader-secret-for-client-gaps',
};

let sb: SandboxProcess;
let token: string;

beforeAll(async () => {
  sb = await startSandbox({
    env: ZONE,
    config: {
      ...FAST,
      principals: [
        { name: 'slotline-deployer', role: 'Contributor' },
        { name: 'auditor', role: 'Reader', ...READER },
      ],
    },
  });
  token = await tokenFor(sb);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

test('a child started the way the sandbox is runs in Australia/Sydney, not UTC', () => {
  const offset = execFileSync(
    process.execPath,
    ['-e', 'console.log(new Date(2026, 0, 1).getTimezoneOffset())'],
    {
      encoding: 'utf8',
      env: { ...process.env, ...ZONE },
    },
  );
  // Sydney is UTC+11 in January: getTimezoneOffset() is -660.
  expect(Number(offset.trim())).toBe(-660);
});

describe('GET /metadata/endpoints', () => {
  test('answers without a token, in the 2015-01-01 shape', async () => {
    const reply = await call(sb, 'GET', `${sb.conn.armEndpoint}/metadata/endpoints?api-version=2015-01-01`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    const body = reply.body as Record<string, unknown>;
    expect(body).toEqual({
      galleryEndpoint: expect.any(String),
      graphEndpoint: expect.any(String),
      portalEndpoint: expect.any(String),
      authentication: {
        loginEndpoint: `${sb.conn.authorityHost}/`,
        audiences: expect.arrayContaining(['https://management.core.windows.net/']),
      },
    });
  });

  test('any other api-version answers the newer list of clouds, still without a token', async () => {
    const reply = await call(sb, 'GET', `${sb.conn.armEndpoint}/metadata/endpoints?api-version=2022-09-01`);
    expect(reply.status).toBe(200);
    const clouds = reply.body as Record<string, unknown>[];
    expect(Array.isArray(clouds)).toBe(true);
    expect(clouds[0]).toMatchObject({
      name: 'AzureCloud',
      resourceManager: `${sb.conn.armEndpoint}/`,
      authentication: {
        loginEndpoint: sb.conn.authorityHost,
        audiences: expect.arrayContaining(['https://management.core.windows.net/']),
        tenant: 'common',
      },
    });
  });

  test('other ARM paths still need a token', async () => {
    const reply = await call(sb, 'GET', `${sb.conn.armEndpoint}/subscriptions?api-version=2022-12-01`);
    expect(reply.status).toBe(401);
  });
});

describe('subscriptions and providers', () => {
  const API = 'api-version=2022-12-01';

  test('GET /subscriptions lists the subscription the caller has a role on; GET by id agrees', async () => {
    const list = await call(sb, 'GET', `${sb.conn.armEndpoint}/subscriptions?${API}`, { token });
    expect(list.status).toBe(200);
    const body = list.body as { value: Record<string, unknown>[]; count: unknown };
    expect(body.value).toHaveLength(1);
    expect(body.count).toEqual({ type: 'Total', value: 1 });
    expect(body.value[0]).toMatchObject({
      id: `/subscriptions/${sb.conn.subscriptionId}`,
      subscriptionId: sb.conn.subscriptionId,
      tenantId: sb.conn.tenantId,
      state: 'Enabled',
      authorizationSource: 'RoleBased',
    });
    const one = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}/subscriptions/${sb.conn.subscriptionId}?${API}`,
      {
        token,
      },
    );
    expect(one.status).toBe(200);
    expect(one.body).toEqual(body.value[0]);
  });

  test('GET /subscriptions/{id}/providers/{namespace} describes a registered provider, case-insensitively', async () => {
    const reply = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}/subscriptions/${sb.conn.subscriptionId}/providers/microsoft.web?api-version=2021-04-01`,
      { token },
    );
    expect(reply.status).toBe(200);
    const body = reply.body as {
      id: string;
      namespace: string;
      registrationState: string;
      resourceTypes: { resourceType: string; locations: string[]; apiVersions: string[] }[];
    };
    expect(body.id).toBe(`/subscriptions/${sb.conn.subscriptionId}/providers/Microsoft.Web`);
    expect(body.namespace).toBe('Microsoft.Web');
    expect(body.registrationState).toBe('Registered');
    const sites = body.resourceTypes.find((t) => t.resourceType === 'sites');
    expect(sites?.apiVersions).toContain('2024-04-01');
    expect(sites?.locations.length).toBeGreaterThan(0);
    expect(body.resourceTypes.map((t) => t.resourceType)).toContain('sites/slots');

    const insights = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}/subscriptions/${sb.conn.subscriptionId}/providers/Microsoft.Insights?api-version=2021-04-01`,
      { token },
    );
    expect(insights.status).toBe(200);
    expect(
      (insights.body as { resourceTypes: { resourceType: string }[] }).resourceTypes.map(
        (t) => t.resourceType,
      ),
    ).toEqual(expect.arrayContaining(['autoscalesettings', 'metrics', 'metricDefinitions']));
  });

  test('an unknown namespace is InvalidResourceNamespace (404)', async () => {
    const reply = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}/subscriptions/${sb.conn.subscriptionId}/providers/Microsoft.Nope?api-version=2021-04-01`,
      { token },
    );
    expect(reply.status).toBe(404);
    expect((reply.body as { error: { code: string } }).error.code).toBe('InvalidResourceNamespace');
  });
});

describe('the classic ARM audience https://management.core.windows.net/', () => {
  async function tokenForScope(scope: string): Promise<string> {
    const reply = await call(sb, 'POST', `${sb.conn.authorityHost}/${sb.conn.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'client_credentials',
        client_id: sb.conn.clientId,
        client_secret: sb.conn.clientSecret,
        scope,
      },
    });
    expect(reply.status).toBe(200);
    return (reply.body as { access_token: string }).access_token;
  }

  test.each([
    ['the resource with its slash', 'https://management.core.windows.net//.default'],
    ['the resource as MSAL trims it', 'https://management.core.windows.net/.default'],
  ])('%s: aud keeps the trailing slash, and ARM accepts the token', async (_, scope) => {
    const classic = await tokenForScope(scope);
    expect(decodeJwt(classic).aud).toBe('https://management.core.windows.net/');
    const reply = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}/subscriptions/${sb.conn.subscriptionId}/resourcegroups?api-version=2021-04-01`,
      { token: classic },
    );
    expect(reply.status).toBe(200);
  });
});

describe('POST {site}/publishxml', () => {
  test('answers a publishing profile with placeholder credentials, for the site and for a slot', async () => {
    for (const slot of [undefined, 'staging']) {
      const reply = await call(
        sb,
        'POST',
        `${sb.conn.armEndpoint}${siteId(sb.conn, slot)}/publishxml?api-version=2024-04-01`,
        { token, body: { format: 'WebDeploy' } },
      );
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toMatch(/^application\/xml/);
      const name = slot ? `${sb.conn.siteName}__${slot}` : sb.conn.siteName;
      expect(reply.text).toMatch(/^<publishData>/);
      expect(reply.text).toContain(`profileName="${name} - Web Deploy" publishMethod="MSDeploy"`);
      expect(reply.text).toContain(`userName="$${name}"`);
      expect(reply.text).toContain('publishMethod="ZipDeploy"');
      expect(reply.text).toMatch(/userPWD="sandbox-placeholder-[0-9a-f]+"/);
    }
  });

  test('a Reader may not download it (it is an action)', async () => {
    const readerToken = await tokenFor(sb, READER.clientId, READER.clientSecret);
    const reply = await call(
      sb,
      'POST',
      `${sb.conn.armEndpoint}${siteId(sb.conn)}/publishxml?api-version=2024-04-01`,
      {
        token: readerToken,
        body: {},
      },
    );
    expect(reply.status).toBe(403);
  });
});

describe('Metrics timespans', () => {
  const metricsUrl = (timespan: string) =>
    `${sb.conn.armEndpoint}${siteId(sb.conn)}/providers/Microsoft.Insights/metrics?api-version=2024-02-01&metricnames=Requests&interval=PT1M&aggregation=total&timespan=${timespan}`;

  async function echoedTimespan(timespan: string): Promise<string> {
    const reply = await call(sb, 'GET', metricsUrl(timespan), { token });
    expect(reply.status).toBe(200);
    return (reply.body as { timespan: string }).timespan;
  }

  test('a time without a zone is UTC, never the machine zone', async () => {
    expect(await echoedTimespan('2026-11-26T11:00:00/2026-11-26T11:04:00')).toBe(
      '2026-11-26T11:00:00Z/2026-11-26T11:04:00Z',
    );
    expect(await echoedTimespan('2026-11-26T11:00:00/PT4M')).toBe(
      '2026-11-26T11:00:00Z/2026-11-26T11:04:00Z',
    );
  });

  test('percent-encoded characters are decoded, even when encoded twice', async () => {
    const once = encodeURIComponent('2026-11-26T11:00:00Z/2026-11-26T11:04:00Z');
    expect(await echoedTimespan(once)).toBe('2026-11-26T11:00:00Z/2026-11-26T11:04:00Z');
    expect(await echoedTimespan(encodeURIComponent(once))).toBe('2026-11-26T11:00:00Z/2026-11-26T11:04:00Z');
  });

  test("an offset's '+' sent unencoded (a space once decoded) still reads as an offset", async () => {
    expect(await echoedTimespan('2026-11-26T22:00:00+11:00/2026-11-26T22:04:00+11:00')).toBe(
      '2026-11-26T11:00:00Z/2026-11-26T11:04:00Z',
    );
    expect(await echoedTimespan(encodeURIComponent('2026-11-26T22:00:00+11:00/PT4M'))).toBe(
      '2026-11-26T11:00:00Z/2026-11-26T11:04:00Z',
    );
  });

  test('loose dates are refused, not guessed', async () => {
    for (const bad of ['Nov%2026%202026/PT1H', '2026-13-01T00:00:00Z/PT1H']) {
      const reply = await call(sb, 'GET', metricsUrl(bad), { token });
      expect(reply.status).toBe(400);
    }
  });
});
