import type { TokenCredential } from '@azure/core-auth';
import { translateAzureError } from '../lib/azure/errors.js';
import { type AzureInputs, armScope } from '../lib/azure/inputs.js';
import { ActionError } from '../lib/errors.js';
import type { HttpRequest, HttpResponse } from '../lib/http.js';
import { redact } from '../lib/redact.js';

/**
 * Azure Container Registry login without a password: exchange an Entra ID access token (from GitHub
 * OIDC federation) for an ACR refresh token at `POST https://<registry>/oauth2/exchange`, then log the
 * builder in with the fixed null-GUID user and the refresh token as the password. This is what
 * `az acr login --expose-token` does; no admin user is involved.
 *
 * The Entra token comes from the shared Azure credential (src/lib/azure: client secret or GitHub OIDC).
 * The HTTP function is injected so the request/response handling is tested against a real local HTTPS
 * server; the whole flow is tested against the sandbox's ACR token service and a real docker-registry.
 */

/** Entra ID's resource for Azure Container Registry data-plane tokens. */
export const ACR_TOKEN_SCOPE = 'https://containerregistry.azure.net/.default';

/** ACR's own scope in the public cloud (and the local sandbox); elsewhere ARM's, which ACR accepts too. */
export function acrTokenScope(armEndpoint: string): string {
  const scope = armScope(armEndpoint);
  return scope === 'https://management.azure.com/.default' ? ACR_TOKEN_SCOPE : scope;
}

/** The `tid` claim of an Entra access token (read, not verified: ACR verifies it). */
function tenantOf(accessToken: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload.tid === 'string' ? payload.tid : undefined;
  } catch {
    return undefined;
  }
}

export interface AcrSignInOptions {
  registry: string;
  azure: AzureInputs;
  credential: TokenCredential;
  send: SendRequest;
  /** Registers a secret with the runner before anything could log it. */
  mask: (secret: string) => void;
  /** Cancels the Entra ID token request (the step was cancelled). */
  abortSignal?: AbortSignal;
}

/** Entra ID access token → ACR refresh token, both masked as soon as they exist. */
export async function signInToAcr(options: AcrSignInOptions): Promise<AcrCredentials> {
  const { registry, azure, credential } = options;
  let accessToken: string;
  try {
    const token = await credential.getToken(acrTokenScope(azure.armEndpoint), {
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    });
    if (!token) throw new ActionError('Microsoft Entra ID returned no access token');
    accessToken = token.token;
  } catch (error) {
    throw translateAzureError(error, azure);
  }
  options.mask(accessToken);
  const tenantId = tenantOf(accessToken) ?? azure.tenantId ?? '';
  const credentials = await exchangeAcrRefreshToken({ registry, tenantId, accessToken, send: options.send });
  options.mask(credentials.password);
  return credentials;
}

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
