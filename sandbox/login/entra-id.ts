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
import type { SandboxClock } from '../clock.js';
import { readBody, sendJson } from '../http.js';
import type { SigningKeys } from '../keys.js';
import type { Principal, ResourceStore } from '../store.js';
import type { GithubOidc } from './github-oidc.js';

/** ARM's application id URIs: Entra issues tokens for either with the trailing slash in `aud`. */
const ARM_RESOURCES = ['https://management.azure.com/', 'https://management.core.windows.net/'];

/** Audiences ARM accepts: the public-cloud ARM resource ids (with and without a slash) and the sandbox's own URL. */
export function armAudiences(armEndpoint: string): string[] {
  const origin = new URL(armEndpoint).origin;
  return [...ARM_RESOURCES.flatMap((r) => [r, r.replace(/\/$/, '')]), origin, `${origin}/`];
}

/** The `aud` Entra puts in a token for a requested resource: an ARM resource id always ends in a slash. */
function audienceFor(resource: string): string {
  const known = ARM_RESOURCES.find((r) => r === resource || r === `${resource}/`);
  return known ?? resource;
}

export interface AccessTokenClaims extends JWTPayload {
  appid: string;
  oid: string;
  tid: string;
}

/**
 * One token the endpoint issued, as Entra's service principal sign-in log shows it: which credential
 * (a client secret, or which federated credential and the subject it matched).
 */
export interface SignIn {
  timeMs: number;
  clientId: string;
  resource: string;
  credential: 'secret' | 'federated';
  federatedCredential?: string;
  subject?: string;
}

/** Sign-ins kept (the newest): enough for a test's runs, bounded for a long-lived sandbox. */
const SIGN_IN_LIMIT = 1000;

interface EntraError {
  status: number;
  error: string;
  code: number;
  description: string;
}

/**
 * Entra ID's v2 endpoints (the ones MSAL calls with `disableInstanceDiscovery`): OpenID configuration, keys
 * and the token endpoint (client secrets and federated assertions from the sandbox's GitHub issuer).
 */
export class EntraId {
  private readonly signInLog: SignIn[] = [];

  constructor(
    private readonly store: ResourceStore,
    private readonly keys: SigningKeys,
    private readonly clock: SandboxClock,
    private readonly github: GithubOidc,
    private readonly authorityHostOf: () => string,
  ) {}

  private get authorityHost(): string {
    return this.authorityHostOf();
  }

  get tenantId(): string {
    return this.store.state.tenantId;
  }

  /** The tokens issued since the sandbox started, oldest first (not kept across restarts). */
  signIns(): SignIn[] {
    return [...this.signInLog];
  }

  /** The `iss` of access tokens: the v1 issuer, as Entra puts in ARM tokens (ARM's app accepts v1 tokens). */
  get tokenIssuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
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
    let federated: { federatedCredential: string; subject: string } | undefined;
    if (assertionType) {
      const checked = await this.checkAssertion(principal, form.get('client_assertion') ?? '');
      if ('error' in checked) return { error: checked };
      federated = checked;
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
    const accessToken = await this.mintAccessToken(principal, resource, lifetime, credentialKind);
    this.signInLog.push({
      timeMs: this.clock.now(),
      clientId: principal.clientId,
      resource,
      credential: federated ? 'federated' : 'secret',
      ...federated,
    });
    if (this.signInLog.length > SIGN_IN_LIMIT) this.signInLog.shift();
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
  private async checkAssertion(
    principal: Principal,
    assertion: string,
  ): Promise<EntraError | { federatedCredential: string; subject: string }> {
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
    const byIssuer = principal.federatedCredentials.filter(
      (f) => this.github.resolveIssuer(f.issuer) === iss,
    );
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
    if (iss !== this.github.githubIssuer) {
      return {
        status: 400,
        error: 'invalid_client',
        code: 50013,
        description: `Assertion failed signature validation. [Reason - The key was not found. The sandbox can only fetch keys for its own issuer '${this.github.githubIssuer}'.]`,
      };
    }
    try {
      await jwtVerify(assertion, createLocalJWKSet({ keys: [this.github.publicJwk] }), {
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
    return { federatedCredential: match.name, subject: sub };
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
      .setAudience(audienceFor(audience))
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
