import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Agent } from 'undici';
import { ACR_REFRESH_TOKEN_USER, exchangeAcrRefreshToken } from '../../src/build-image/acr.js';
import { httpRequest } from '../../src/lib/http.js';
import { selfSignedCert } from '../helpers/tls.js';

/**
 * The ACR /oauth2/exchange request and response handling, against a real HTTPS server on 127.0.0.1 that
 * answers as the documented ACR protocol does. This proves the wire format only: no Entra ID and no
 * real registry are involved (see the build-image report).
 */

const ENTRA_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-access-token.signature';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const REFRESH = 'acr-refresh-token-eyJhbGciOiJSUzI1NiJ9';

let server: Server;
let host: string;
let agent: Agent;
let reply: (form: URLSearchParams) => { status: number; body: string };
const seen: { method?: string; path?: string; contentType?: string; form?: URLSearchParams }[] = [];

beforeAll(async () => {
  const { key, cert } = selfSignedCert();
  server = createServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push({ method: req.method, path: req.url, contentType: req.headers['content-type'], form });
      const answer = reply(form);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new Agent({ connect: { ca: cert } });
});

afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = (request: Parameters<typeof httpRequest>[0]) =>
  httpRequest(request, { dispatcher: agent, timeoutMs: 5_000 });

describe('exchangeAcrRefreshToken', () => {
  test('posts the documented form over TLS and returns the null-GUID user with the refresh token', async () => {
    reply = (form) =>
      form.get('grant_type') === 'access_token' && form.get('access_token') === ENTRA_TOKEN
        ? { status: 200, body: JSON.stringify({ refresh_token: REFRESH }) }
        : { status: 400, body: '{"errors":[{"code":"BAD_REQUEST","message":"malformed"}]}' };
    const credentials = await exchangeAcrRefreshToken({
      registry: host,
      tenantId: TENANT,
      accessToken: ENTRA_TOKEN,
      send,
    });
    expect(credentials).toEqual({ username: ACR_REFRESH_TOKEN_USER, password: REFRESH });
    const request = seen.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/oauth2/exchange');
    expect(request.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(request.form!)).toEqual({
      grant_type: 'access_token',
      service: host,
      tenant: TENANT,
      access_token: ENTRA_TOKEN,
    });
  });

  test("a 401 explains the missing role and carries ACR's error, never the Entra token", async () => {
    reply = () => ({
      status: 401,
      body: JSON.stringify({
        errors: [{ code: 'UNAUTHORIZED', message: `token ${ENTRA_TOKEN} is not authorized` }],
      }),
    });
    const error = (await exchangeAcrRefreshToken({
      registry: host,
      tenantId: TENANT,
      accessToken: ENTRA_TOKEN,
      send,
    }).catch((e: Error) => e)) as Error;
    expect(error.message).toBe(
      `ACR token exchange with ${host} was refused with HTTP 401 (does the federated identity have the AcrPush role on this registry?): UNAUTHORIZED: token *** is not authorized`,
    );
  });

  test('a 200 without a refresh_token is an error, not an empty password', async () => {
    reply = () => ({ status: 200, body: '{"access_token":"wrong-kind"}' });
    await expect(
      exchangeAcrRefreshToken({ registry: host, tenantId: TENANT, accessToken: ENTRA_TOKEN, send }),
    ).rejects.toThrow(`ACR token exchange with ${host} answered 200 without a refresh_token`);
  });

  test('an untrusted certificate fails the exchange (TLS is verified)', async () => {
    reply = () => ({ status: 200, body: JSON.stringify({ refresh_token: REFRESH }) });
    const error = (await exchangeAcrRefreshToken({
      registry: host,
      tenantId: TENANT,
      accessToken: ENTRA_TOKEN,
      send: (request) => httpRequest(request, { timeoutMs: 5_000 }),
    }).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(
      new RegExp(`^ACR token exchange with ${host} failed: .*(certificate|self.signed)`, 'i'),
    );
    expect(error.message).not.toContain(ENTRA_TOKEN);
  });
});
