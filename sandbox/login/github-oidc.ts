import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type JWK, SignJWT } from 'jose';
import type { SandboxClock } from '../clock.js';
import { GITHUB_ISSUER } from '../config.js';
import { sendJson } from '../http.js';
import type { SigningKeys } from '../keys.js';
import type { GithubRunClaims, ResourceStore } from '../store.js';

/**
 * GitHub Actions' OIDC token service, the one `core.getIDToken()` calls (`/github/oidc/token`), with its
 * discovery document and keys. Entra ID verifies the tokens it signs as federated client assertions.
 */
export class GithubOidc {
  constructor(
    private readonly store: ResourceStore,
    private readonly keys: SigningKeys,
    private readonly clock: SandboxClock,
    /** The login server's base URL, known once it listens. */
    private readonly authorityHost: () => string,
  ) {}

  get githubIssuer(): string {
    return `${this.authorityHost()}/github`;
  }

  get publicJwk(): JWK {
    return this.keys.github.publicJwk;
  }

  /** Config files name the sandbox's own issuer `github`; everything else is taken as written. */
  resolveIssuer(issuer: string): string {
    return issuer === GITHUB_ISSUER ? this.githubIssuer : issuer;
  }

  /** Answers the request and returns true when the path is one of GitHub's; false leaves it to Entra ID. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const lower = url.pathname.toLowerCase();
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
      return true;
    }
    if (req.method === 'GET' && lower === '/github/.well-known/jwks') {
      sendJson(res, 200, { keys: [this.keys.github.publicJwk] });
      return true;
    }
    if (req.method === 'GET' && lower === '/github/oidc/token') {
      await this.issueGithubToken(req, res, url);
      return true;
    }
    return false;
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
    const [owner, name] = run.repository.split('/');
    const audience = url.searchParams.get('audience') || `https://github.com/${owner}`;
    const immutable = run.ownerId !== undefined && run.repositoryId !== undefined;
    const repo = immutable ? `${owner}@${run.ownerId}/${name}@${run.repositoryId}` : run.repository;
    // GitHub's subject: the environment when the job has one, else `pull_request` for that event, else the
    // ref. https://docs.github.com/en/actions/reference/security/oidc#example-subject-claims
    const eventName = run.eventName ?? 'push';
    const subject = run.environment
      ? `repo:${repo}:environment:${run.environment}`
      : eventName === 'pull_request'
        ? `repo:${repo}:pull_request`
        : `repo:${repo}:ref:${run.ref}`;
    const now = Math.floor(this.clock.now() / 1000);
    const value = await new SignJWT({
      ref: run.ref,
      sha: randomBytes(20).toString('hex'),
      repository: run.repository,
      repository_owner: owner,
      ...(immutable
        ? { repository_owner_id: String(run.ownerId), repository_id: String(run.repositoryId) }
        : {}),
      actor: run.actor,
      workflow: 'deploy',
      event_name: eventName,
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
