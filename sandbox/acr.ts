import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { SandboxClock } from './clock.js';
import { readBody, sendJson } from './http.js';
import { armAudiences, TokenProblem } from './login/entra-id.js';
import type { IdentityService } from './login/identity.js';
import type { ResourceStore, RoleAssignment } from './store.js';
import type { CaIssuedSigningKey } from './tls.js';

/**
 * Azure Container Registry's authentication endpoints on one registry's login server, in front of a real
 * `docker-registry` configured for token auth (`auth.token`, realm = this server's `/oauth2/token`):
 *
 * - `POST /oauth2/exchange`: an Entra ID access token the sandbox issued → an ACR refresh token
 *   (`az acr login --expose-token` and slotline's build-image call this).
 * - `GET|POST /oauth2/token`: the Docker registry v2 token endpoint. Basic auth with the null-GUID user and
 *   the refresh token (what `docker|buildah|skopeo login` send), or `grant_type=refresh_token` (OAuth2 form),
 *   → an access token JWT with the `access` claim for the requested `scope`s, signed by a key whose
 *   certificate (in `x5c`) the sandbox CA issued; docker-registry verifies that chain against the CA.
 * - everything else (`/v2/...`) is passed through, byte for byte, to the docker-registry upstream, which
 *   alone decides whether a token allows a request. The login server does no authorization of its own.
 *
 * Roles on the registry's resource id (or a scope above it): Reader → pull; Contributor and Owner → pull,
 * push and delete (ACR's AcrPull/AcrPush roles do not exist in the sandbox).
 */

/** The audience ACR's exchange accepts besides ARM's: Entra's resource id for container registries. */
export const ACR_AUDIENCE = 'https://containerregistry.azure.net';
/** ACR's `iss` in refresh and access tokens; docker-registry's `auth.token.issuer` must say the same. */
export const ACR_TOKEN_ISSUER = 'Azure Container Registry';
const REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
const REFRESH_TOKEN_LIFETIME_SECONDS = 3 * 3600;
const ACCESS_TOKEN_LIFETIME_SECONDS = 75 * 60;

export interface RegistryEndpoint {
  name: string;
  resourceId: string;
  /** `http://127.0.0.1:PORT` of the docker-registry behind this login server; none answers 502. */
  upstream?: string;
}

interface Grant {
  type: string;
  name: string;
  actions: string[];
}

class AcrProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class AcrService {
  /** host:port of this login server, set once it listens; also the token service name (`aud`). */
  loginServer = '';

  constructor(
    readonly registry: RegistryEndpoint,
    private readonly store: ResourceStore,
    private readonly identity: IdentityService,
    private readonly signingKey: CaIssuedSigningKey,
    private readonly clock: SandboxClock,
    private readonly armEndpoint: () => string,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    try {
      if (path === '/oauth2/exchange') {
        if (req.method !== 'POST') throw new AcrProblem(405, 'UNSUPPORTED', 'use POST');
        return sendJson(res, 200, {
          refresh_token: await this.exchange(new URLSearchParams(await readBody(req))),
        });
      }
      if (path === '/oauth2/token') {
        if (req.method !== 'GET' && req.method !== 'POST')
          throw new AcrProblem(405, 'UNSUPPORTED', 'use GET or POST');
        // GET with the scope in the query (Basic auth), or the OAuth2 form in a POST body.
        const params = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
        const token = await this.accessToken(req, params);
        // Both names: the Docker spec says `token`, ACR and OAuth2 clients read `access_token`.
        return sendJson(res, 200, {
          access_token: token,
          token,
          expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
          issued_at: new Date(this.clock.now()).toISOString(),
        });
      }
      if (path.startsWith('/oauth2/')) throw new AcrProblem(404, 'NOT_FOUND', `no endpoint ${path}`);
    } catch (error) {
      if (!(error instanceof AcrProblem)) throw error;
      return sendJson(
        res,
        error.status,
        { errors: [{ code: error.code, message: error.message }] },
        error.status === 401
          ? {
              'www-authenticate': `Bearer realm="https://${this.loginServer}/oauth2/token",service="${this.loginServer}"`,
            }
          : {},
      );
    }
    this.proxy(req, res, url);
  }

  /** The Entra token must be one the sandbox issued, unexpired, for ACR or ARM, from this tenant. */
  private async exchange(form: URLSearchParams): Promise<string> {
    const grantType = form.get('grant_type');
    if (grantType !== 'access_token')
      throw new AcrProblem(400, 'UNSUPPORTED', `grant_type must be access_token, got '${grantType ?? ''}'`);
    this.checkService(form.get('service'));
    const accessToken = form.get('access_token');
    if (!accessToken) throw new AcrProblem(400, 'INVALID_REQUEST', 'access_token is required');
    let claims: Awaited<ReturnType<IdentityService['verifyAccessToken']>>;
    try {
      claims = await this.identity.verifyAccessToken(accessToken, [
        ACR_AUDIENCE,
        `${ACR_AUDIENCE}/`,
        ...armAudiences(this.armEndpoint()),
      ]);
    } catch (error) {
      if (error instanceof TokenProblem)
        throw new AcrProblem(
          401,
          'UNAUTHORIZED',
          `the Entra ID access token was refused (${error.code}): ${error.message}`,
        );
      throw error;
    }
    const tenant = form.get('tenant');
    if (tenant && tenant.toLowerCase() !== claims.tid.toLowerCase())
      throw new AcrProblem(
        401,
        'UNAUTHORIZED',
        `tenant '${tenant}' does not match the access token's tenant '${claims.tid}'`,
      );
    const now = Math.floor(this.clock.now() / 1000);
    return new SignJWT({
      grant_type: 'refresh_token',
      tenant: claims.tid,
      oid: claims.oid,
      appid: claims.appid,
      version: '1.0',
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [this.signingKey.certificateBase64] })
      .setJti(randomUUID())
      .setSubject(claims.oid)
      .setIssuer(ACR_TOKEN_ISSUER)
      .setAudience(this.loginServer)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + REFRESH_TOKEN_LIFETIME_SECONDS)
      .sign(this.signingKey.privateKey);
  }

  private async accessToken(req: IncomingMessage, params: URLSearchParams): Promise<string> {
    this.checkService(params.get('service'));
    let refreshToken: string | undefined;
    const basic = /^basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = decoded.slice(0, colon);
      if (user !== REFRESH_TOKEN_USER)
        throw new AcrProblem(
          401,
          'UNAUTHORIZED',
          `user '${user}' is unknown: sign in with ${REFRESH_TOKEN_USER} and an ACR refresh token (the registry has no admin user)`,
        );
      refreshToken = decoded.slice(colon + 1);
    } else if (params.get('grant_type') === 'refresh_token') {
      refreshToken = params.get('refresh_token') ?? '';
    } else if (params.get('grant_type') === 'password') {
      if (params.get('username') !== REFRESH_TOKEN_USER)
        throw new AcrProblem(401, 'UNAUTHORIZED', `user '${params.get('username') ?? ''}' is unknown`);
      refreshToken = params.get('password') ?? '';
    }
    if (!refreshToken)
      throw new AcrProblem(
        401,
        'UNAUTHORIZED',
        'authentication required: anonymous pull is disabled on this registry',
      );
    const principal = await this.verifyRefreshToken(refreshToken);
    const roles = this.rolesOf(principal.oid);
    if (roles.length === 0)
      throw new AcrProblem(
        401,
        'UNAUTHORIZED',
        `the identity ${principal.appid} has no role on ${this.registry.resourceId}: assign Reader (pull) or Contributor (push)`,
      );
    const allowed = new Set(
      roles.some((r) => r.role === 'Owner' || r.role === 'Contributor')
        ? ['pull', 'push', 'delete', '*']
        : ['pull'],
    );
    const grants: Grant[] = params
      .getAll('scope')
      .flatMap((s) => s.split(' '))
      .filter(Boolean)
      .map((scope) => {
        const first = scope.indexOf(':');
        const last = scope.lastIndexOf(':');
        if (first < 0 || last === first)
          throw new AcrProblem(400, 'INVALID_REQUEST', `scope '${scope}' is not type:name:actions`);
        const requested = scope.slice(last + 1).split(',');
        const type = scope.slice(0, first);
        const actions =
          type === 'repository'
            ? requested.filter((a) => allowed.has(a))
            : type === 'registry'
              ? requested
              : [];
        return { type, name: scope.slice(first + 1, last), actions };
      });
    const now = Math.floor(this.clock.now() / 1000);
    return new SignJWT({ access: grants, tenant: principal.tenant, version: '2.0' })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [this.signingKey.certificateBase64] })
      .setJti(randomUUID())
      .setSubject(principal.oid)
      .setIssuer(ACR_TOKEN_ISSUER)
      .setAudience(this.loginServer)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + ACCESS_TOKEN_LIFETIME_SECONDS)
      .sign(this.signingKey.privateKey);
  }

  private async verifyRefreshToken(token: string): Promise<{ oid: string; appid: string; tenant: string }> {
    try {
      const { payload } = await jwtVerify(token, this.signingKey.publicKey, {
        issuer: ACR_TOKEN_ISSUER,
        audience: this.loginServer,
        algorithms: ['ES256'],
        currentDate: new Date(this.clock.now()),
      });
      if (payload['grant_type'] !== 'refresh_token') throw new Error('not a refresh token');
      return {
        oid: String(payload['oid']),
        appid: String(payload['appid']),
        tenant: String(payload['tenant']),
      };
    } catch (error) {
      const why = error instanceof joseErrors.JWTExpired ? 'has expired' : 'is not valid for this registry';
      throw new AcrProblem(
        401,
        'UNAUTHORIZED',
        `the refresh token ${why}: exchange a new Entra ID token at /oauth2/exchange`,
      );
    }
  }

  private rolesOf(objectId: string): RoleAssignment[] {
    const id = this.registry.resourceId.toLowerCase();
    return this.store.state.roleAssignments.filter((a) => {
      const scope = a.scope.toLowerCase();
      return a.principalObjectId === objectId && (id === scope || id.startsWith(`${scope}/`));
    });
  }

  private checkService(service: string | null): void {
    if (service !== this.loginServer)
      throw new AcrProblem(
        400,
        'INVALID_REQUEST',
        `service must be '${this.loginServer}', got '${service ?? ''}'`,
      );
  }

  /** A plain pass-through: docker-registry sees the client's request (and token) unchanged. */
  private proxy(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!this.registry.upstream) {
      sendJson(res, 502, {
        errors: [{ code: 'UNAVAILABLE', message: 'this sandbox registry has no upstream' }],
      });
      return;
    }
    const upstream = new URL(this.registry.upstream);
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-host': this.loginServer },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      if (!res.headersSent)
        sendJson(res, 502, {
          errors: [{ code: 'UNAVAILABLE', message: `upstream registry: ${error.message}` }],
        });
      else res.destroy();
    });
    req.pipe(forward);
  }
}
