import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxClock } from '../clock.js';
import type { SigningKeys } from '../keys.js';
import type { GithubRunClaims, Principal, ResourceStore } from '../store.js';
import { type AccessTokenClaims, EntraId, type SignIn } from './entra-id.js';
import { GithubOidc } from './github-oidc.js';

/**
 * The login listener: Entra ID (`/{tenant}/...`) and GitHub's OIDC token service (`/github/...`) on one
 * port. ARM and the registry login servers verify the tokens it issues.
 */
export class IdentityService {
  /** The login server's base URL, set once it listens (the authority host). */
  authorityHost = '';
  private readonly github: GithubOidc;
  private readonly entra: EntraId;

  constructor(store: ResourceStore, keys: SigningKeys, clock: SandboxClock) {
    this.github = new GithubOidc(store, keys, clock, () => this.authorityHost);
    this.entra = new EntraId(store, keys, clock, this.github, () => this.authorityHost);
  }

  get tenantId(): string {
    return this.entra.tenantId;
  }

  get githubIssuer(): string {
    return this.github.githubIssuer;
  }

  resolveIssuer(issuer: string): string {
    return this.github.resolveIssuer(issuer);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (await this.github.handle(req, res, url)) return;
    await this.entra.handle(req, res, url);
  }

  signIns(): SignIn[] {
    return this.entra.signIns();
  }

  createRequestToken(claims: GithubRunClaims): string {
    return this.github.createRequestToken(claims);
  }

  mintAccessToken(
    principal: Principal,
    audience: string,
    lifetimeSeconds: number,
    kind: 'secret' | 'assertion' = 'secret',
  ): Promise<string> {
    return this.entra.mintAccessToken(principal, audience, lifetimeSeconds, kind);
  }

  verifyAccessToken(token: string, audiences: string[]): Promise<AccessTokenClaims> {
    return this.entra.verifyAccessToken(token, audiences);
  }
}
