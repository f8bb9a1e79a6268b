import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateKeyPair, SignJWT } from 'jose';
import {
  admin,
  call,
  FAST,
  runClient,
  type SandboxProcess,
  siteId,
  startSandbox,
  tokenFor,
} from './helpers.js';

// Security: ARM refuses missing, expired, tampered and wrong-audience tokens with 401; a Reader gets 403
// on writes; Entra ID refuses federated assertions whose subject, audience, issuer or signature is wrong;
// and the sandbox never logs a secret or a token.

const READER = {
  clientId: '6f1d3c2a-8b7e-4f5a-9c0d-1e2f3a4b5c6d',
  clientSecret: 'rdr8Q~reader-secret-for-tests-only-000000',
};

/** Contributor on the default resource group only, as a pipeline's identity should be. */
const SUBSCRIPTION = '6d1f3a2e-0c4b-4e7a-9f61-2b8d5c7e9a10';
const GROUP_DEPLOYER = {
  clientId: 'c0ffee00-1111-4222-8333-444455556666',
  clientSecret: 'grp8Q~group-deployer-secret-for-tests-only',
};
/** Another principal with the same role on the same group: it did not start the first one's operations. */
const OTHER_GROUP_DEPLOYER = {
  clientId: 'c0ffee00-7777-4888-9999-aaaabbbbcccc',
  clientSecret: 'oth8Q~other-group-deployer-secret-for-tests',
};

let sb: SandboxProcess;
let token: string;
const issued: string[] = [];

beforeAll(async () => {
  sb = await startSandbox({
    config: {
      ...FAST,
      subscriptionId: SUBSCRIPTION,
      principals: [
        {
          name: 'slotline-deployer',
          role: 'Contributor',
          federatedCredentials: [
            { name: 'prod', issuer: 'github', subject: 'repo:slotline-demo/slotline:environment:production' },
          ],
        },
        { name: 'auditor', role: 'Reader', ...READER },
        {
          name: 'group-deployer',
          role: 'Contributor',
          scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/slotline-demo`,
          ...GROUP_DEPLOYER,
        },
        {
          name: 'other-group-deployer',
          role: 'Contributor',
          scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/slotline-demo`,
          ...OTHER_GROUP_DEPLOYER,
        },
      ],
    },
  });
  token = await tokenFor(sb);
  issued.push(token);
}, 60_000);

afterAll(async () => {
  await sb?.stop();
});

function inputsFor(clientId: string, clientSecret: string): Record<string, string> {
  return {
    'INPUT_SUBSCRIPTION-ID': sb.conn.subscriptionId,
    'INPUT_TENANT-ID': sb.conn.tenantId,
    'INPUT_CLIENT-ID': clientId,
    'INPUT_CLIENT-SECRET': clientSecret,
    'INPUT_ARM-ENDPOINT': sb.conn.armEndpoint,
    'INPUT_AUTHORITY-HOST': sb.conn.authorityHost,
  };
}

const site = () => `${sb.conn.armEndpoint}${siteId(sb.conn)}?api-version=2025-05-01`;
const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

describe('ARM authentication', () => {
  test('no token: 401 AuthenticationFailed with a Bearer challenge naming the authority', async () => {
    const reply = await call(sb, 'GET', site());
    expect(reply.status).toBe(401);
    expect(errorCode(reply.body)).toBe('AuthenticationFailed');
    expect(reply.headers['www-authenticate']).toContain(
      `Bearer authorization_uri="${sb.conn.authorityHost}/${sb.conn.tenantId}"`,
    );
  });

  test('an expired token: 401 ExpiredAuthenticationToken', async () => {
    const minted = await admin(sb, 'POST', '/tokens', {
      clientId: sb.conn.clientId,
      expiresInSeconds: -3600,
    });
    const expired = (minted.body as { access_token: string }).access_token;
    issued.push(expired);
    const reply = await call(sb, 'GET', site(), { token: expired });
    expect(reply.status).toBe(401);
    expect(errorCode(reply.body)).toBe('ExpiredAuthenticationToken');
    expect(reply.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  test('a token for another resource: 401 InvalidAuthenticationTokenAudience', async () => {
    const minted = await admin(sb, 'POST', '/tokens', {
      clientId: sb.conn.clientId,
      expiresInSeconds: 600,
      audience: 'https://vault.azure.net',
    });
    const reply = await call(sb, 'GET', site(), {
      token: (minted.body as { access_token: string }).access_token,
    });
    expect(reply.status).toBe(401);
    expect(errorCode(reply.body)).toBe('InvalidAuthenticationTokenAudience');
  });

  test('a tampered token (claims changed, signature kept): 401 InvalidAuthenticationToken', async () => {
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.oid = '00000000-0000-0000-0000-000000000000';
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const reply = await call(sb, 'GET', site(), { token: tampered });
    expect(reply.status).toBe(401);
    expect(errorCode(reply.body)).toBe('InvalidAuthenticationToken');
    // The untampered token still works.
    expect((await call(sb, 'GET', site(), { token })).status).toBe(200);
  });

  test('a missing api-version: 400 MissingApiVersionParameter', async () => {
    const reply = await call(sb, 'GET', site().replace(/\?api-version=.*$/, ''), { token });
    expect(reply.status).toBe(400);
    expect(errorCode(reply.body)).toBe('MissingApiVersionParameter');
  });
});

describe('role assignments', () => {
  test('a Reader may read but gets 403 AuthorizationFailed on writes and actions', async () => {
    const readerToken = await tokenFor(sb, READER.clientId, READER.clientSecret);
    issued.push(readerToken);
    expect((await call(sb, 'GET', site(), { token: readerToken })).status).toBe(200);
    const base = `${sb.conn.armEndpoint}${siteId(sb.conn)}`;
    const put = await call(sb, 'PUT', `${base}/config/appsettings?api-version=2025-05-01`, {
      token: readerToken,
      body: { properties: { A: 'b' } },
    });
    expect(put.status).toBe(403);
    expect(errorCode(put.body)).toBe('AuthorizationFailed');
    expect((put.body as { error: { message: string } }).error.message).toContain(
      `The client '${READER.clientId}'`,
    );
    expect((put.body as { error: { message: string } }).error.message).toContain(
      "action 'Microsoft.Web/sites/config/write'",
    );
    const swap = await call(sb, 'POST', `${base}/slotsswap?api-version=2025-05-01`, {
      token: readerToken,
      body: { targetSlot: 'staging' },
    });
    expect(swap.status).toBe(403);
    const secrets = await call(sb, 'POST', `${base}/config/appsettings/list?api-version=2025-05-01`, {
      token: readerToken,
    });
    expect(secrets.status).toBe(403);
  });

  test("a Contributor on the resource group alone polls its swap's status URL at subscription scope, as on Azure, and nothing else there (not another principal's operations)", async () => {
    const groupToken = await tokenFor(sb, GROUP_DEPLOYER.clientId, GROUP_DEPLOYER.clientSecret);
    issued.push(groupToken);
    const base = `${sb.conn.armEndpoint}${siteId(sb.conn)}`;
    const swap = await call(sb, 'POST', `${base}/slotsswap?api-version=2025-05-01`, {
      token: groupToken,
      body: { targetSlot: 'staging' },
    });
    expect(swap.status).toBe(202);
    const location = swap.headers['location']!;
    expect(location).toMatch(
      new RegExp(
        `/subscriptions/${SUBSCRIPTION}/providers/Microsoft\\.Web/locations/[^/]+/operationResults/`,
        'i',
      ),
    );
    // Only its initiator, or a principal whose role reaches the subscription, reads it.
    const otherToken = await tokenFor(sb, OTHER_GROUP_DEPLOYER.clientId, OTHER_GROUP_DEPLOYER.clientSecret);
    issued.push(otherToken);
    const other = await call(sb, 'GET', location, { token: otherToken });
    expect(other.status).toBe(403);
    expect(errorCode(other.body)).toBe('AuthorizationFailed');
    const auditorToken = await tokenFor(sb, READER.clientId, READER.clientSecret);
    issued.push(auditorToken);
    expect([200, 202]).toContain((await call(sb, 'GET', location, { token: auditorToken })).status);
    // An id nobody started is no different from someone else's, for a principal without a role there.
    const unknown = location.replace(
      /operationResults\/[^/?]+/i,
      'operationResults/00000000-0000-0000-0000-000000000000',
    );
    expect((await call(sb, 'GET', unknown, { token: groupToken })).status).toBe(403);
    // Polled to the end, so the site is not locked for the tests after this one.
    let poll = await call(sb, 'GET', location, { token: groupToken });
    for (let i = 0; poll.status === 202 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 200));
      poll = await call(sb, 'GET', location, { token: groupToken });
    }
    expect(poll.status).toBe(200);
    // The exemption is for operation status only: the subscription's other resources stay out of reach.
    const list = await call(
      sb,
      'GET',
      `${sb.conn.armEndpoint}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Web/sites?api-version=2025-05-01`,
      { token: groupToken },
    );
    expect(list.status).toBe(403);
    expect(errorCode(list.body)).toBe('AuthorizationFailed');
  });

  test('the Reader 403 reaches an action as a hint to assign a role', async () => {
    const run = await runClient(sb, 'auth-hint.ts', {
      ...inputsFor(READER.clientId, READER.clientSecret),
      WRITE: '1',
    });
    expect(run.result['ok']).toBe(false);
    expect(run.result['message']).toMatch(
      new RegExp(
        `ARM refused Microsoft.Web/sites/config/list/action \\(403 AuthorizationFailed\\): principal ${READER.clientId} has no role`,
      ),
    );
  });

  test('a wrong client secret reaches an action as a hint to use the secret value', async () => {
    const run = await runClient(sb, 'auth-hint.ts', inputsFor(READER.clientId, 'wrong-secret'));
    expect(run.result['ok']).toBe(false);
    expect(run.result['message']).toMatch(
      /Entra ID refused the client secret \(AADSTS7000215\).*value \(not its ID\)/,
    );
  });
});

describe('federated credentials (GitHub OIDC → Entra ID)', () => {
  async function githubToken(requestToken: string, audience = 'api://AzureADTokenExchange'): Promise<string> {
    const reply = await call(
      sb,
      'GET',
      `${sb.conn.oidcRequestUrl}&audience=${encodeURIComponent(audience)}`,
      {
        headers: { authorization: `Bearer ${requestToken}` },
      },
    );
    expect(reply.status).toBe(200);
    return (reply.body as { value: string }).value;
  }

  async function exchange(assertion: string) {
    issued.push(assertion);
    const reply = await call(sb, 'POST', `${sb.conn.authorityHost}/${sb.conn.tenantId}/oauth2/v2.0/token`, {
      form: {
        grant_type: 'client_credentials',
        client_id: sb.conn.clientId,
        scope: 'https://management.azure.com/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      },
    });
    const body = reply.body as {
      error?: string;
      error_codes?: number[];
      error_description?: string;
      access_token?: string;
    };
    if (body.access_token) issued.push(body.access_token);
    return { status: reply.status, ...body };
  }

  test('the matching subject and audience: a token', async () => {
    const result = await exchange(await githubToken(sb.conn.oidcRequestToken));
    expect(result.status).toBe(200);
    expect(result.access_token).toBeDefined();
  });

  test("immutable ids: the subject takes GitHub's repo:<owner>@<id>/<repo>@<id> form, and a name-only credential no longer matches", async () => {
    const minted = await admin(sb, 'POST', '/github/request-tokens', {
      repository: 'slotline-demo/slotline',
      environment: 'production',
      ownerId: 123456,
      repositoryId: 456789,
    });
    const token = await githubToken((minted.body as { requestToken: string }).requestToken);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({
      sub: 'repo:slotline-demo@123456/slotline@456789:environment:production',
      repository: 'slotline-demo/slotline',
      repository_owner_id: '123456',
      repository_id: '456789',
    });
    // The deployer's credential names the repository by name only: Entra ID refuses the new form.
    const result = await exchange(token);
    expect(result.error_codes).toEqual([700213]);
  });

  // https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims: a pull_request job
  // without an environment is `repo:<repo>:pull_request`; an environment wins over the event.
  test('pull_request: the subject is repo:<repo>:pull_request, unless the job is in an environment', async () => {
    const claimsOf = async (body: Record<string, unknown>) => {
      const minted = await admin(sb, 'POST', '/github/request-tokens', {
        repository: 'slotline-demo/slotline',
        ref: 'refs/pull/7/merge',
        ...body,
      });
      expect(minted.status).toBe(201);
      const token = await githubToken((minted.body as { requestToken: string }).requestToken);
      return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
    };
    expect(await claimsOf({ eventName: 'pull_request' })).toMatchObject({
      sub: 'repo:slotline-demo/slotline:pull_request',
      event_name: 'pull_request',
      ref: 'refs/pull/7/merge',
    });
    expect(await claimsOf({ eventName: 'pull_request', environment: 'production' })).toMatchObject({
      sub: 'repo:slotline-demo/slotline:environment:production',
      event_name: 'pull_request',
    });
    expect(await claimsOf({ eventName: 'workflow_dispatch', ref: 'refs/heads/main' })).toMatchObject({
      sub: 'repo:slotline-demo/slotline:ref:refs/heads/main',
      event_name: 'workflow_dispatch',
    });
  });

  test('the sign-in log names the federated credential and subject of each token, and a secret sign-in as such', async () => {
    const before = ((await admin(sb, 'GET', '/sign-ins')).body as { value: unknown[] }).value.length;
    expect((await exchange(await githubToken(sb.conn.oidcRequestToken))).status).toBe(200);
    // A refused assertion is no sign-in.
    const minted = await admin(sb, 'POST', '/github/request-tokens', { repository: 'someone-else/fork' });
    expect(
      (await exchange(await githubToken((minted.body as { requestToken: string }).requestToken))).status,
    ).toBe(400);
    await tokenFor(sb, READER.clientId, READER.clientSecret);
    const log = ((await admin(sb, 'GET', '/sign-ins')).body as { value: Record<string, unknown>[] }).value;
    expect(log.slice(before)).toEqual([
      {
        timeMs: expect.any(Number),
        clientId: sb.conn.clientId,
        resource: 'https://management.azure.com',
        credential: 'federated',
        federatedCredential: 'prod',
        subject: 'repo:slotline-demo/slotline:environment:production',
      },
      {
        timeMs: expect.any(Number),
        clientId: READER.clientId,
        resource: 'https://management.azure.com',
        credential: 'secret',
      },
    ]);
    expect(JSON.stringify(log)).not.toContain(READER.clientSecret);
  });

  test('the GitHub token service refuses an unknown request token', async () => {
    const reply = await call(sb, 'GET', sb.conn.oidcRequestUrl, {
      headers: { authorization: 'Bearer not-a-request-token' },
    });
    expect(reply.status).toBe(401);
  });

  test('a wrong subject: AADSTS700213, naming the subject presented', async () => {
    const minted = await admin(sb, 'POST', '/github/request-tokens', {
      repository: 'someone-else/fork',
      environment: 'production',
    });
    const result = await exchange(await githubToken((minted.body as { requestToken: string }).requestToken));
    expect(result.status).toBe(400);
    expect(result.error).toBe('invalid_client');
    expect(result.error_codes).toEqual([700213]);
    expect(result.error_description).toContain(
      "Assertion Subject: 'repo:someone-else/fork:environment:production'",
    );
  });

  test('a wrong subject reaches an action as a hint naming the subject and where to add it', async () => {
    const minted = await admin(sb, 'POST', '/github/request-tokens', {
      repository: 'slotline-demo/slotline',
      ref: 'refs/heads/feature',
    });
    const run = await runClient(sb, 'auth-hint.ts', {
      'INPUT_SUBSCRIPTION-ID': sb.conn.subscriptionId,
      'INPUT_TENANT-ID': sb.conn.tenantId,
      'INPUT_CLIENT-ID': sb.conn.clientId,
      'INPUT_ARM-ENDPOINT': sb.conn.armEndpoint,
      'INPUT_AUTHORITY-HOST': sb.conn.authorityHost,
      ACTIONS_ID_TOKEN_REQUEST_URL: sb.conn.oidcRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: (minted.body as { requestToken: string }).requestToken,
    });
    expect(run.result['ok']).toBe(false);
    expect(run.result['message']).toContain(
      "no federated credential matches subject 'repo:slotline-demo/slotline:ref:refs/heads/feature'",
    );
    expect(run.result['message']).toContain('Federated credentials');
  });

  test('a wrong audience: AADSTS700212', async () => {
    const result = await exchange(await githubToken(sb.conn.oidcRequestToken, 'api://SomethingElse'));
    expect(result.status).toBe(400);
    expect(result.error_codes).toEqual([700212]);
  });

  test('an untrusted issuer: AADSTS700211', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'x' })
      .setIssuer('https://token.actions.githubusercontent.com')
      .setSubject('repo:slotline-demo/slotline:environment:production')
      .setAudience('api://AzureADTokenExchange')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    const result = await exchange(forged);
    expect(result.status).toBe(400);
    expect(result.error_codes).toEqual([700211]);
  });

  test("a forged signature under the sandbox issuer's name: AADSTS50013", async () => {
    const genuine = await githubToken(sb.conn.oidcRequestToken);
    const { privateKey } = await generateKeyPair('RS256');
    const claims = JSON.parse(Buffer.from(genuine.split('.')[1]!, 'base64url').toString());
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .sign(privateKey);
    const result = await exchange(forged);
    expect(result.status).toBe(400);
    expect(result.error_codes).toEqual([50013]);
    // And a genuine token whose signature bytes were altered.
    const [h, p, s] = genuine.split('.');
    const flipped = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expect((await exchange(flipped)).error_codes).toEqual([50013]);
  });

  test('an unknown client id and a wrong secret use Entra codes 700016 and 7000215', async () => {
    const form = (clientId: string, secret: string) => ({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'https://management.azure.com/.default',
    });
    const url = `${sb.conn.authorityHost}/${sb.conn.tenantId}/oauth2/v2.0/token`;
    const unknown = await call(sb, 'POST', url, { form: form('11111111-2222-3333-4444-555555555555', 'x') });
    expect((unknown.body as { error_codes: number[] }).error_codes).toEqual([700016]);
    const wrong = await call(sb, 'POST', url, { form: form(sb.conn.clientId, 'not-the-secret') });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });
});

// Declared last so it runs last (jest runs tests in declaration order) and sees every token issued above.
test('the sandbox log never holds a client secret, a request token or any issued token', () => {
  const log = sb.output();
  expect(log).toContain('login POST'); // the log is there and has request lines
  for (const secret of [sb.conn.clientSecret, READER.clientSecret, sb.conn.oidcRequestToken, ...issued]) {
    expect(log.includes(secret)).toBe(false);
    // Not even the signature part of a JWT.
    const signature = secret.split('.')[2];
    if (signature) expect(log.includes(signature)).toBe(false);
  }
});
