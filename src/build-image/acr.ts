import { ActionError } from '../lib/errors.js';
import type { HttpRequest, HttpResponse } from '../lib/http.js';
import { redact } from '../lib/secrets.js';

/**
 * Azure Container Registry login without a password: exchange an Entra ID access token (from GitHub
 * OIDC federation) for an ACR refresh token at `POST https://<registry>/oauth2/exchange`, then log the
 * builder in with the fixed null-GUID user and the refresh token as the password. This is what
 * `az acr login --expose-token` does; no admin user is involved.
 *
 * Not yet wired into action.yml: the Entra token comes from the shared Azure client of the sandbox work,
 * which the lead connects later. The HTTP function is injected so the request/response handling is
 * tested against a real local HTTPS server.
 */

/** The user name ACR expects with a refresh token as the password. */
export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

export type SendRequest = (request: HttpRequest) => Promise<HttpResponse>;

export interface AcrExchangeOptions {
  /** Login server host, e.g. myregistry.azurecr.io (a port is allowed for tests). */
  registry: string;
  tenantId: string;
  /** An Entra ID access token for the ARM audience (https://management.azure.com/.default). */
  accessToken: string;
  send: SendRequest;
  /** https except in tests that serve plain HTTP on loopback. */
  scheme?: 'https' | 'http';
}

export interface AcrCredentials {
  username: string;
  /** The ACR refresh token: a secret, mask it before anything logs. */
  password: string;
}

function acrErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      errors?: { code?: string; message?: string }[];
      error?: string;
      error_description?: string;
    };
    const first = parsed.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
    if (parsed.error) return [parsed.error, parsed.error_description].filter(Boolean).join(': ');
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return body.trim().split('\n')[0]?.slice(0, 200) ?? '';
}

export async function exchangeAcrRefreshToken(options: AcrExchangeOptions): Promise<AcrCredentials> {
  const { registry, tenantId, accessToken, send } = options;
  const url = `${options.scheme ?? 'https'}://${registry}/oauth2/exchange`;
  const form = new URLSearchParams({
    grant_type: 'access_token',
    service: registry,
    tenant: tenantId,
    access_token: accessToken,
  });
  let response: HttpResponse;
  try {
    response = await send({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
  } catch (error) {
    const reason = redact(error instanceof Error ? error.message : String(error), [accessToken]);
    throw new ActionError(`ACR token exchange with ${registry} failed: ${reason}`);
  }
  const text = response.body.toString('utf8');
  if (response.status !== 200) {
    const hint =
      response.status === 401 || response.status === 403
        ? ' (does the federated identity have the AcrPush role on this registry?)'
        : '';
    throw new ActionError(
      `ACR token exchange with ${registry} was refused with HTTP ${response.status}${hint}: ${redact(acrErrorText(text), [accessToken])}`,
    );
  }
  let refreshToken: unknown;
  try {
    refreshToken = (JSON.parse(text) as { refresh_token?: unknown }).refresh_token;
  } catch {
    refreshToken = undefined;
  }
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new ActionError(`ACR token exchange with ${registry} answered 200 without a refresh_token`);
  }
  return { username: ACR_REFRESH_TOKEN_USER, password: refreshToken };
}
