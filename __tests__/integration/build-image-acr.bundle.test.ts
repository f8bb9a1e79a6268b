import { spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SignJWT } from 'jose';
import { request } from 'undici';
import type { ContainerRegistryConnection } from '../../sandbox/sandbox.js';
import {
  type ContainerEnv,
  containerEnv,
  freePort,
  type Registry,
  requireTools,
  startTokenRegistry,
} from '../helpers/containers.js';
import { runBundle, type StepResult } from '../helpers/runner.js';
import { admin, call, type SandboxProcess, startSandbox } from '../sandbox/helpers.js';

/**
 * build-image's ACR login by OIDC, for real: the sandbox is Entra ID, GitHub's OIDC token service and an
 * ACR login server (sandbox/acr.ts: /oauth2/exchange and /oauth2/token); behind the login server a real
 * docker-registry with token auth stores the images and checks every token itself (issuer, audience,
 * expiry, the x5c chain against the sandbox CA, and the `access` claim). The action runs as the bundle,
 * buildah pushes, skopeo checks what the registry serves.
 */

type RegistryConnection = ContainerRegistryConnection;

const READER_ID = '5b0a6f0e-7d3c-4c1b-9d8e-2f4a6c8e0b13';
const READER_SECRET = 'Rdr8Q~reader-secret-for-acr-tests-0123456';
const REFRESH_USER = '00000000-0000-0000-0000-000000000000';
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

let sb: SandboxProcess;
let acr: RegistryConnection;
let upstream: Registry;
let containers: ContainerEnv;
let toolEnv: Record<string, string>;
let context: string;

beforeAll(async () => {
  requireTools('buildah', 'skopeo', 'docker-registry');
  const upstreamPort = await freePort();
  sb = await startSandbox({
    config: {
      containerRegistries: [{ name: 'slotlinedemo', upstream: `http://127.0.0.1:${upstreamPort}` }],
      principals: [
        {
          name: 'slotline-deployer',
          role: 'Contributor',
          federatedCredentials: [
            {
              name: 'github-production',
              issuer: 'github',
              subject: 'repo:slotline-demo/slotline:environment:production',
            },
          ],
        },
        { name: 'registry-reader', clientId: READER_ID, clientSecret: READER_SECRET, role: 'Reader' },
      ],
    },
  });
  acr = (sb.conn as unknown as { containerRegistries: RegistryConnection[] }).containerRegistries[0]!;
  upstream = await startTokenRegistry(upstreamPort, {
    realm: acr.tokenRealm,
    service: acr.tokenService,
    issuer: acr.tokenIssuer,
    rootCertBundle: acr.rootCertBundle,
  });
  // The login server is verified TLS (tls-verify stays true): buildah and skopeo trust the sandbox CA
  // through SSL_CERT_FILE, which Go reads for its system pool; Node through NODE_EXTRA_CA_CERTS.
  containers = containerEnv([]);
  toolEnv = { ...containers.env, SSL_CERT_FILE: sb.conn.caCertPath, RUNNER_TEMP: containers.dir };
  context = mkdtempSync(join(tmpdir(), 'slotline-acr-context-'));
  writeFileSync(join(context, 'hello.txt'), 'pushed with an ACR refresh token\n');
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
  writeFileSync(join(context, 'event.json'), JSON.stringify({ repository: { name: 'portal' } }));
}, 60_000);

afterAll(async () => {
  await upstream?.stop();
  await sb?.stop();
  containers?.cleanup();
  if (context) rmSync(context, { recursive: true, force: true });
});

function runAction(
  tag: string,
  credential: { clientId: string; clientSecret?: string },
  env: Record<string, string> = {},
): Promise<StepResult> {
  return runBundle(
    'build-image',
    {
      registry: acr.loginServer,
      repository: 'team/portal',
      context,
      builder: 'buildah',
      tags: `type=raw,value=${tag}`,
      // A 127.0.0.1 login server is not an ACR name, so auto would send no Entra token: name it explicitly.
      // No subscription-id: a registry sign-in does not need one.
      'registry-login': 'acr-oidc',
      'tenant-id': sb.conn.tenantId,
      'client-id': credential.clientId,
      ...(credential.clientSecret ? { 'client-secret': credential.clientSecret } : {}),
      'arm-endpoint': sb.conn.armEndpoint,
      'authority-host': sb.conn.authorityHost,
    },
    {
      ...toolEnv,
      NODE_EXTRA_CA_CERTS: sb.conn.caCertPath,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: join(context, 'event.json'),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: '90dd6032fac8bda1b6c4436a2e65de27961ed071',
      GITHUB_REPOSITORY: 'contoso/portal',
      GITHUB_SERVER_URL: 'https://github.com',
      ...env,
    },
    90_000,
  );
}

/** An Entra token for ACR, exchanged for a refresh token: the way `az acr login --expose-token` gets one. */
async function refreshTokenFor(clientId: string, clientSecret: string): Promise<string> {
  const aad = await call(sb, 'POST', `${sb.conn.authorityHost}/${sb.conn.tenantId}/oauth2/v2.0/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      scope: 'https://containerregistry.azure.net/.default',
    },
  });
  const exchanged = await exchange((aad.body as { access_token: string }).access_token);
  if (exchanged.status !== 200) throw new Error(`exchange failed: ${exchanged.text}`);
  return (exchanged.body as { refresh_token: string }).refresh_token;
}

function exchange(accessToken: string) {
  return call(sb, 'POST', `https://${acr.loginServer}/oauth2/exchange`, {
    form: {
      grant_type: 'access_token',
      service: acr.loginServer,
      tenant: sb.conn.tenantId,
      access_token: accessToken,
    },
  });
}

/** The same claims, signed by a fresh key with a self-signed certificate in x5c: not from the sandbox CA. */
async function selfSignedToken(claims: Record<string, unknown>): Promise<string> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as never);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=not the sandbox CA',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    keys,
    signingAlgorithm: algorithm,
  });
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [Buffer.from(cert.rawData).toString('base64')] })
    .sign(keys.privateKey);
}

function skopeo(args: string[]): { ok: boolean; out: string } {
  const result = spawnSync('skopeo', args, {
    encoding: 'utf8',
    env: { ...process.env, ...toolEnv },
    timeout: 30_000,
  });
  return { ok: result.status === 0, out: result.status === 0 ? result.stdout : result.stderr };
}

/** The digest docker-registry serves, read directly (plain HTTP on loopback) and through the login server. */
function servedDigests(reference: string, refreshToken: string): string[] {
  const creds = `--creds=${REFRESH_USER}:${refreshToken}`;
  const direct = reference.replace(acr.loginServer, upstream.host);
  return [
    skopeo(['inspect', creds, `docker://${reference}`]),
    skopeo(['inspect', creds, '--tls-verify=false', `docker://${direct}`]),
  ].map(({ ok, out }) => {
    if (!ok) throw new Error(`skopeo inspect failed: ${out}`);
    return JSON.parse(out).Digest as string;
  });
}

function expectNoTokensInLog(result: StepResult, secrets: string[]): void {
  // The refresh token and the Entra token were registered as secrets before anything could print them.
  const masked = result.masked.filter((m) => JWT.test(m));
  const claims = masked.map((m) => JSON.parse(Buffer.from(m.split('.')[1]!, 'base64url').toString()));
  expect(claims.some((c) => c.grant_type === 'refresh_token' && c.aud === acr.loginServer)).toBe(true);
  expect(claims.some((c) => c.aud === 'https://containerregistry.azure.net')).toBe(true);
  for (const secret of [...masked, ...secrets]) expect(result.log).not.toContain(secret);
  // No token of any kind (Entra, GitHub, ACR refresh or access) reaches the log, masked or not.
  expect(result.log).not.toMatch(JWT);
}

describe('build-image signs in to ACR with an Entra ID token (sandbox token server, real docker-registry)', () => {
  test('client secret: exchange, buildah login with the refresh token, push; the registry serves the digest', async () => {
    const result = await runAction('secret', {
      clientId: sb.conn.clientId,
      clientSecret: sb.conn.clientSecret,
    });
    if (result.exitCode !== 0) throw new Error(`action failed:\n${result.log.slice(-3000)}`);
    const digest = result.outputs['digest']!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.outputs['image']).toBe(`${acr.loginServer}/team/portal@${digest}`);
    expect(result.log).toContain(
      'Exchanging a Microsoft Entra ID token (client-secret) for an ACR refresh token',
    );

    const refresh = await refreshTokenFor(sb.conn.clientId, sb.conn.clientSecret);
    expect(servedDigests(`${acr.loginServer}/team/portal:secret`, refresh)).toEqual([digest, digest]);
    expectNoTokensInLog(result, [sb.conn.clientSecret]);

    // Anonymous pulls are refused by the token server, and docker-registry wants a token either way.
    const anonymous = skopeo(['inspect', '--no-creds', `docker://${acr.loginServer}/team/portal:secret`]);
    expect(anonymous.ok).toBe(false);
    expect(anonymous.out).toContain('anonymous pull is disabled');
    const direct = skopeo([
      'inspect',
      '--no-creds',
      '--tls-verify=false',
      `docker://${upstream.host}/team/portal:secret`,
    ]);
    expect(direct.ok).toBe(false);
  }, 90_000);

  test('GitHub OIDC: a federated GitHub token becomes the Entra token, then the same push', async () => {
    const result = await runAction(
      'oidc',
      { clientId: sb.conn.clientId },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: sb.conn.oidcRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: sb.conn.oidcRequestToken,
      },
    );
    if (result.exitCode !== 0) throw new Error(`action failed:\n${result.log.slice(-3000)}`);
    expect(result.log).toContain('Exchanging a Microsoft Entra ID token (github-oidc)');
    const refresh = await refreshTokenFor(sb.conn.clientId, sb.conn.clientSecret);
    const digest = result.outputs['digest']!;
    expect(servedDigests(`${acr.loginServer}/team/portal:oidc`, refresh)).toEqual([digest, digest]);
    expectNoTokensInLog(result, [sb.conn.oidcRequestToken]);
  }, 90_000);

  test('a Reader signs in and may pull, but its push is refused by docker-registry with a clear error', async () => {
    const result = await runAction('reader', { clientId: READER_ID, clientSecret: READER_SECRET });
    expect(result.exitCode).toBe(1);
    const error = result.log.split('\n').find((l) => l.startsWith('::error::'));
    // docker-registry's refusal (the token only grants pull), and what to change.
    expect(error).toContain(`pushing ${acr.loginServer}/team/portal:reader failed`);
    expect(error).toContain('denied: requested access to the resource is denied');
    expect(error).toContain('give it the AcrPush, Contributor or Owner role on the registry');
    expectNoTokensInLog(result, [READER_SECRET]);
    // Pull works with the Reader's token: it reads what the Contributor pushed.
    const refresh = await refreshTokenFor(READER_ID, READER_SECRET);
    expect(servedDigests(`${acr.loginServer}/team/portal:secret`, refresh)).toHaveLength(2);
  }, 90_000);

  test('a wrong client secret fails before anything is built, with the Entra error and no secret in the log', async () => {
    const wrong = 'Wrg8Q~not-the-secret-of-this-application-0';
    const result = await runAction('wrong', { clientId: sb.conn.clientId, clientSecret: wrong });
    expect(result.exitCode).toBe(1);
    expect(result.log).toMatch(/::error::.*AADSTS7000215/);
    expect(result.log).not.toContain('Building');
    expect(result.log).not.toContain(wrong);
  }, 60_000);
});

describe('the sandbox ACR token service', () => {
  test('/oauth2/exchange refuses expired, forged and wrong-audience Entra tokens with a clear error', async () => {
    const mint = async (expiresInSeconds: number, audience = 'https://containerregistry.azure.net') =>
      (
        (await admin(sb, 'POST', '/tokens', { clientId: sb.conn.clientId, expiresInSeconds, audience }))
          .body as {
          access_token: string;
        }
      ).access_token;
    const expired = await exchange(await mint(-600));
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: expect.stringContaining('ExpiredAuthenticationToken') }],
    });
    const valid = await mint(600);
    const [header, payload] = valid.split('.');
    const forged = await exchange(
      `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`,
    );
    expect(forged.status).toBe(401);
    expect(forged.text).toContain('InvalidAuthenticationToken');
    const vault = await exchange(await mint(600, 'https://vault.azure.net'));
    expect(vault.status).toBe(401);
    expect(vault.text).toContain('InvalidAuthenticationTokenAudience');
    // The management audience is accepted too, as ACR does (az acr login uses an ARM token).
    expect((await exchange(await mint(600, 'https://management.azure.com'))).status).toBe(200);
  });

  test('/oauth2/token grants what the role allows and refuses bad refresh tokens', async () => {
    const token = async (refresh: string, scope: string) => {
      const reply = await call(
        sb,
        'GET',
        `https://${acr.loginServer}/oauth2/token?service=${encodeURIComponent(acr.loginServer)}&scope=${encodeURIComponent(scope)}`,
        {
          headers: { authorization: `Basic ${Buffer.from(`${REFRESH_USER}:${refresh}`).toString('base64')}` },
        },
      );
      return reply;
    };
    const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    const contributor = await token(
      await refreshTokenFor(sb.conn.clientId, sb.conn.clientSecret),
      'repository:team/portal:pull,push',
    );
    expect(claims((contributor.body as { access_token: string }).access_token)).toMatchObject({
      iss: acr.tokenIssuer,
      aud: acr.loginServer,
      access: [{ type: 'repository', name: 'team/portal', actions: ['pull', 'push'] }],
    });
    const reader = await token(
      await refreshTokenFor(READER_ID, READER_SECRET),
      'repository:team/portal:pull,push',
    );
    expect(claims((reader.body as { access_token: string }).access_token).access).toEqual([
      { type: 'repository', name: 'team/portal', actions: ['pull'] },
    ]);
    // docker-registry itself checks each token: the genuine one reads the manifest; altered claims under
    // the old signature, or the same claims signed by a key the sandbox CA never certified, do not.
    const granted = (contributor.body as { access_token: string }).access_token;
    const manifest = async (bearer: string) =>
      (
        await request(`http://${upstream.host}/v2/team/portal/manifests/secret`, {
          headers: {
            authorization: `Bearer ${bearer}`,
            accept: 'application/vnd.docker.distribution.manifest.v2+json',
          },
        }).then(async (r) => ({ status: r.statusCode, text: await r.body.text() }))
      ).status;
    expect(await manifest(granted)).toBe(200);
    const [header, payload, signature] = granted.split('.');
    const altered = Buffer.from(JSON.stringify({ ...claims(granted), sub: 'someone-else' })).toString(
      'base64url',
    );
    expect(payload).not.toBe(altered);
    expect(await manifest(`${header}.${altered}.${signature}`)).toBe(401);
    expect(await manifest(await selfSignedToken(claims(granted)))).toBe(401);

    const bogus = await token('not-a-refresh-token', 'repository:team/portal:pull');
    expect(bogus.status).toBe(401);
    expect(bogus.text).toContain('refresh token is not valid');
  });
});
