import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { GITHUB_ISSUER } from './config.js';
import { readBody, sendJson } from './http.js';
import type { SigningKeys } from './keys.js';
import type { GithubRunClaims, Principal, ResourceStore } from './store.js';

export interface SandboxClock {
  now(): number;
}

/** Audiences ARM accepts: the public-cloud ARM resource ids (with and without a slash) and the sandbox's own URL. */
export function armAudiences(armEndpoint: string): string[] {
  const origin = new URL(armEndpoint).origin;
  return [
    'https://management.azure.com',
    'https://management.azure.com/',
    'https://management.core.windows.net/',
    origin,
    `${origin}/`,
  ];
}

export interface AccessTokenClaims extends JWTPayload {
  appid: string;
  oid: string;
  tid: string;
}

interface EntraError {
  status: number;
  error: string;
  code: number;
  description: string;
}

/**
 * Entra ID's v2 endpoints (the ones MSAL calls with `disableInstanceDiscovery`), plus GitHub Actions' OIDC
 * token service that `core.getIDToken()` calls. Both live on the login port; ARM verifies the tokens.
 */
export class IdentityService {
  /** The login server's base URL, set once it listens (the authority host). */
  authorityHost = '';

  constructor(
    private readonly store: ResourceStore,
    private readonly keys: SigningKeys,
    private readonly clock: SandboxClock,
  ) {}

  get tenantId(): string {
    return this.store.state.tenantId;
  }

  /** The `iss` of access tokens: the v1 issuer, as Entra puts in ARM tokens (ARM's app accepts v1 tokens). */
  get tokenIssuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  get githubIssuer(): string {
    return `${this.authorityHost}/github`;
  }

  resolveIssuer(issuer: string): string {
    return issuer === GITHUB_ISSUER ? this.githubIssuer : issuer;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const lower = path.toLowerCase();
    if (req.method === 'GET' && lower === '/github/.well-known/openid-configuration') {
      sendJson(res, 200, {
        issuer: this.githubIssuer,
        jwks_uri: `${this.githubIssuer}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: [
          'sub',
          'aud',
          'exp',
          'iat',
          'iss',
          'jti',
          'nbf',
          'ref',
          'repository',
          'environment',
          'actor',
        ],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid'],
      });
      return;
    }
    if (req.method === 'GET' && lower === '/github/.well-known/jwks') {
      sendJson(res, 200, { keys: [this.keys.github.publicJwk] });
      return;
    }
    if (req.method === 'GET' && lower === '/github/oidc/token') {
      await this.issueGithubToken(req, res, url);
      return;
    }
    const match =
      /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/token)$/i.exec(
        path,
      );
    if (!match) {
      sendJson(res, 404, {
        error: 'not_found',
        error_description: `No such endpoint: ${req.method} ${path}`,
      });
      return;
    }
    const tenant = match[1]!;
    if (tenant.toLowerCase() !== this.tenantId.toLowerCase()) {
      this.sendEntraError(res, {
        status: 400,
        error: 'invalid_request',
        code: 90002,
        description: `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      });
      return;
    }
    const endpoint = match[2]!.toLowerCase();
    const base = `${this.authorityHost}/${this.tenantId}`;
    if (req.method === 'GET' && endpoint.endsWith('openid-configuration')) {
      sendJson(res, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.authorityHost}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'oid', 'appid'],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      });
      return;
    }
    if (req.method === 'GET' && endpoint.endsWith('keys')) {
      sendJson(res, 200, { keys: [this.keys.entra.publicJwk] });
      return;
    }
    if (req.method === 'POST' && endpoint.endsWith('token')) {
      const requestId = url.searchParams.get('client-request-id') ?? randomUUID();
      const form = new URLSearchParams(await readBody(req));
      const outcome = await this.tokenRequest(form);
      if ('error' in outcome) this.sendEntraError(res, outcome.error, requestId);
      else
        sendJson(res, 200, outcome.body, {
          'client-request-id': requestId,
          'cache-control': 'no-store, no-cache',
        });
      return;
    }
    sendJson(res, 405, {
      error: 'invalid_request',
      error_description: `${req.method} is not supported here.`,
    });
  }

  private sendEntraError(res: ServerResponse, e: EntraError, correlationId: string = randomUUID()): void {
    const traceId = randomUUID();
    const timestamp = new Date(this.clock.now())
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    sendJson(res, e.status, {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.authorityHost}/error?code=${e.code}`,
    });
  }

  private async tokenRequest(
    form: URLSearchParams,
  ): Promise<{ error: EntraError } | { body: Record<string, unknown> }> {
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      return {
        error: {
          status: 400,
          error: 'unsupported_grant_type',
          code: 70003,
          description: `The app requested an unsupported grant type '${grantType ?? ''}'. The sandbox supports client_credentials only.`,
        },
      };
    }
    const clientId = form.get('client_id') ?? '';
    const principal = this.store.state.principals.find(
      (p) => p.clientId.toLowerCase() === clientId.toLowerCase(),
    );
    if (!principal) {
      return {
        error: {
          status: 400,
          error: 'unauthorized_client',
          code: 700016,
          description: `Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        },
      };
    }
    const scope = form.get('scope') ?? '';
    const resource = /^(.+)\/\.default$/.exec(scope.split(' ')[0] ?? '')?.[1];
    if (!resource) {
      return {
        error: {
          status: 400,
          error: 'invalid_scope',
          code: 1002012,
          description: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        },
      };
    }
    const assertionType = form.get('client_assertion_type');
    const secret = form.get('client_secret');
    let credentialKind: 'secret' | 'assertion';
    if (assertionType) {
      const problem = await this.checkAssertion(principal, form.get('client_assertion') ?? '');
      if (problem) return { error: problem };
      credentialKind = 'assertion';
    } else if (secret !== null) {
      if (!principal.clientSecret || !constantTimeEquals(secret, principal.clientSecret)) {
        return {
          error: {
            status: 401,
            error: 'invalid_client',
            code: 7000215,
            description: `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${principal.clientId}'.`,
          },
        };
      }
      credentialKind = 'secret';
    } else {
      return {
        error: {
          status: 401,
          error: 'invalid_client',
          code: 7000218,
          description:
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        },
      };
    }
    const lifetime = this.store.state.settings.tokenLifetimeSeconds;
    const accessToken = await this.mintAccessToken(
      principal,
      resource.replace(/\/$/, ''),
      lifetime,
      credentialKind,
    );
    return {
      body: {
        token_type: 'Bearer',
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: accessToken,
      },
    };
  }

  /** A federated client assertion: matched to a federated credential by issuer, subject and audience, then verified. */
  private async checkAssertion(principal: Principal, assertion: string): Promise<EntraError | undefined> {
    let claims: JWTPayload;
    try {
      decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      return {
        status: 400,
        error: 'invalid_client',
        code: 50027,
        description: 'JWT token is invalid or malformed.',
      };
    }
    const iss = String(claims.iss ?? '');
    const sub = String(claims.sub ?? '');
    const audiences = Array.isArray(claims.aud) ? claims.aud : [String(claims.aud ?? '')];
    const presented = `Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${audiences.join(',')}'.`;
    const docs = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
    const byIssuer = principal.federatedCredentials.filter((f) => this.resolveIssuer(f.issuer) === iss);
    if (byIssuer.length === 0) {
      return {
        status: 400,
        error: 'invalid_client',
        code: 700211,
        description: `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${docs}`,
      };
    }
    const bySubject = byIssuer.filter((f) => f.subject === sub);
    if (bySubject.length === 0) {
      return {
        status: 400,
        error: 'invalid_client',
        code: 700213,
        description: `No matching federated identity record found for presented assertion subject '${sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${presented} ${docs}`,
      };
    }
    const match = bySubject.find((f) => f.audiences.some((a) => audiences.includes(a)));
    if (!match) {
      return {
        status: 400,
        error: 'invalid_client',
        code: 700212,
        description: `No matching federated identity record found for presented assertion audience '${audiences.join(',')}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${presented} ${docs}`,
      };
    }
    // Only the sandbox's own GitHub issuer can be verified: Entra would fetch the issuer's keys over the
    // network, and the sandbox reaches no network.
    if (iss !== this.githubIssuer) {
      return {
        status: 400,
        error: 'invalid_client',
        code: 50013,
        description: `Assertion failed signature validation. [Reason - The key was not found. The sandbox can only fetch keys for its own issuer '${this.githubIssuer}'.]`,
      };
    }
    try {
      await jwtVerify(assertion, createLocalJWKSet({ keys: [this.keys.github.publicJwk] }), {
        issuer: iss,
        audience: match.audiences,
        currentDate: new Date(this.clock.now()),
        algorithms: ['RS256'],
      });
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired || error instanceof joseErrors.JWTClaimValidationFailed) {
        return {
          status: 400,
          error: 'invalid_client',
          code: 700024,
          description:
            'Client assertion is not within its valid time range. Current time: ' +
            new Date(this.clock.now()).toISOString() +
            `, assertion valid until ${claims.exp ? new Date(claims.exp * 1000).toISOString() : 'unknown'}.`,
        };
      }
      return {
        status: 400,
        error: 'invalid_client',
        code: 50013,
        description: `Assertion failed signature validation. [Reason - ${error instanceof Error ? error.message : 'invalid signature'}]`,
      };
    }
    return undefined;
  }

  async mintAccessToken(
    principal: Principal,
    audience: string,
    lifetimeSeconds: number,
    kind: 'secret' | 'assertion' = 'secret',
  ): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    return new SignJWT({
      appid: principal.clientId,
      appidacr: kind === 'secret' ? '1' : '2',
      idp: this.tokenIssuer,
      idtyp: 'app',
      oid: principal.objectId,
      tid: this.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.keys.entra.kid })
      .setIssuer(this.tokenIssuer)
      .setSubject(principal.objectId)
      .setAudience(audience === 'https://management.azure.com' ? 'https://management.azure.com/' : audience)
      .setIssuedAt(now)
      .setNotBefore(now - 300)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(this.keys.entra.privateKey);
  }

  /** Verify an ARM bearer token. Throws with the ARM error code that fits. */
  async verifyAccessToken(token: string, audiences: string[]): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [this.keys.entra.publicJwk] }), {
        issuer: this.tokenIssuer,
        currentDate: new Date(this.clock.now()),
        algorithms: ['RS256'],
        // ARM tolerates five minutes of clock skew.
        clockTolerance: 300,
      });
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.some((a) => a !== undefined && audiences.includes(a))) {
        throw new TokenProblem(
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource '${aud.join(',')}'. It should exactly match with one of the allowed audiences '${audiences.join("','")}'.`,
        );
      }
      return payload as AccessTokenClaims;
    } catch (error) {
      if (error instanceof TokenProblem) throw error;
      if (error instanceof joseErrors.JWTExpired) {
        const exp = (error.payload.exp ?? 0) * 1000;
        throw new TokenProblem(
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${new Date(exp).toUTCString()}' is earlier than current UTC time '${new Date(this.clock.now()).toUTCString()}'.`,
        );
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'iss') {
        throw new TokenProblem(
          'InvalidAuthenticationTokenTenant',
          'The access token is from the wrong issuer. It must match the tenant associated with this subscription.',
        );
      }
      throw new TokenProblem('InvalidAuthenticationToken', 'The access token is invalid.');
    }
  }

  /** A GitHub Actions request token, standing for one workflow run's claims. */
  createRequestToken(claims: GithubRunClaims): string {
    const token = randomBytes(24).toString('base64url');
    this.store.state.githubRequestTokens[token] = claims;
    this.store.persist();
    return token;
  }

  private async issueGithubToken(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const auth = req.headers.authorization ?? '';
    const presented = /^bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? '';
    const run = Object.hasOwn(this.store.state.githubRequestTokens, presented)
      ? this.store.state.githubRequestTokens[presented]
      : undefined;
    if (!run) {
      sendJson(res, 401, { message: 'Bad credentials' });
      return;
    }
    const [owner] = run.repository.split('/');
    const audience = url.searchParams.get('audience') || `https://github.com/${owner}`;
    const subject = run.environment
      ? `repo:${run.repository}:environment:${run.environment}`
      : `repo:${run.repository}:ref:${run.ref}`;
    const now = Math.floor(this.clock.now() / 1000);
    const value = await new SignJWT({
      ref: run.ref,
      sha: randomBytes(20).toString('hex'),
      repository: run.repository,
      repository_owner: owner,
      actor: run.actor,
      workflow: 'deploy',
      event_name: 'push',
      ref_type: 'branch',
      job_workflow_ref: `${run.repository}/.github/workflows/deploy.yml@${run.ref}`,
      runner_environment: 'github-hosted',
      run_id: String(now),
      run_attempt: '1',
      ...(run.environment ? { environment: run.environment } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.keys.github.kid })
      .setIssuer(this.githubIssuer)
      .setSubject(subject)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      // GitHub's ID tokens are short-lived, which is why long jobs must ask for a new one per Azure token.
      .setExpirationTime(now + 300)
      .sign(this.keys.github.privateKey);
    sendJson(res, 200, { count: 1, value });
  }
}

export class TokenProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
