import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { untilAborted } from '../cancellation.js';
import { ActionError, errorMessage } from '../errors.js';
import { HttpError, httpRequestWithRetry, networkErrorInWords } from '../http.js';
import type { Env } from '../inputs.js';
import {
  type AzureBounds,
  AzureNetworkError,
  AzureTimeoutError,
  anySignal,
  boundedHttpClient,
  cancellationOf,
  type Endpoint,
  resolveBounds,
  seconds,
  type TokenRequestContext,
  tokenRequestContext,
} from './bounds.js';
import type { AzureInputs } from './inputs.js';

/** The audience Entra ID expects in a GitHub OIDC token exchanged for an Azure token. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

const PUBLIC_AUTHORITIES = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

export interface CredentialDeps {
  env?: Env;
  /**
   * GitHub's OIDC token for an audience; default: asked of ACTIONS_ID_TOKEN_REQUEST_URL as
   * `core.getIDToken` does, but bounded. Called again for every Azure token. Must stop when `signal` aborts.
   */
  getIDToken?: (audience: string, signal: AbortSignal) => Promise<string>;
  /** Timeouts and caps (tests use short ones); see DEFAULT_AZURE_BOUNDS. */
  bounds?: Partial<AzureBounds>;
  /** Retries of Entra ID requests; the SDK's (3, from 800 ms) unless set. */
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number };
}

/**
 * GitHub's OIDC token, fetched as `core.getIDToken` does (the request URL plus `&audience=`, the request
 * token as bearer) but with a deadline and an abort signal; core.getIDToken has neither.
 */
export async function fetchGitHubIdToken(
  env: Env,
  audience: string,
  options: { deadlineMs: number; signal?: AbortSignal },
): Promise<string> {
  const requestUrl = env['ACTIONS_ID_TOKEN_REQUEST_URL'] ?? '';
  const requestToken = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'] ?? '';
  const deadline = AbortSignal.timeout(options.deadlineMs);
  const signal = anySignal(options.signal, deadline);
  const where = 'the GitHub OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL)';
  let response: Awaited<ReturnType<typeof httpRequestWithRetry>>;
  try {
    response = await httpRequestWithRetry(
      {
        url: `${requestUrl}&audience=${encodeURIComponent(audience)}`,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${requestToken}`,
          'user-agent': 'slotline',
        },
      },
      { timeoutMs: options.deadlineMs, signal, retries: 2, maxBodyBytes: 1024 * 1024 },
    );
  } catch (error) {
    if (options.signal?.aborted) throw cancellationOf(options.signal);
    if (deadline.aborted)
      throw new AzureTimeoutError(`${where} gave no ID token within ${seconds(options.deadlineMs)}`);
    throw new AzureNetworkError(
      `${where}: ${error instanceof HttpError ? error.message : networkErrorInWords(error)}`,
    );
  }
  let value: unknown;
  try {
    value = (JSON.parse(response.body.toString('utf8')) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (response.status !== 200 || typeof value !== 'string' || !value)
    throw new ActionError(
      `${where} answered ${response.status} without an ID token; check 'permissions: id-token: write' on the job`,
    );
  const core = await import('@actions/core');
  core.setSecret(value);
  return value;
}

/**
 * A credential whose every token has a deadline, the caller's abort reaching MSAL's requests (through
 * tokenRequestContext), and failures told in words naming authority-host.
 */
class BoundedCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly bounds: AzureBounds,
    private readonly endpoint: Endpoint,
  ) {}

  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
    const callerSignal = options.abortSignal as AbortSignal | undefined;
    if (callerSignal?.aborted) throw cancellationOf(callerSignal);
    const deadline = AbortSignal.timeout(this.bounds.tokenDeadlineMs);
    const context: TokenRequestContext = { signal: anySignal(callerSignal, deadline) };
    try {
      return await untilAborted(
        tokenRequestContext.run(context, () =>
          this.inner.getToken(scopes, { ...options, abortSignal: context.signal }),
        ),
        context.signal,
      );
    } catch (error) {
      if (callerSignal?.aborted) throw cancellationOf(callerSignal);
      const last = context.lastFailure ? ` (last attempt: ${networkErrorInWords(context.lastFailure)})` : '';
      if (deadline.aborted)
        throw new AzureTimeoutError(
          `${this.endpoint.input} ${this.endpoint.origin}: no access token within ${seconds(this.bounds.tokenDeadlineMs)}${last}`,
        );
      if (context.assertionFailure) throw context.assertionFailure;
      // MSAL reports a failed request as `network_error` (or, for the metadata, `endpoints_resolution_error`)
      // without the cause; the HTTP client saw it.
      if (/network_error|endpoints_resolution_error/.test(errorMessage(error)))
        throw new AzureNetworkError(
          `${this.endpoint.input} ${this.endpoint.origin}: ${context.lastFailure ? networkErrorInWords(context.lastFailure) : `could not reach Entra ID (${errorMessage(error).split(':')[0]})`}`,
        );
      throw error;
    }
  }
}

/**
 * The credential the inputs select. Identity is loaded on demand so actions that never touch Azure do not
 * pay for it at start-up.
 */
export async function createAzureCredential(
  inputs: AzureInputs,
  deps: CredentialDeps = {},
): Promise<TokenCredential> {
  const [identity, sdk] = await Promise.all([import('@azure/identity'), import('@azure/core-rest-pipeline')]);
  const bounds = resolveBounds(deps.bounds);
  const endpoint: Endpoint = { input: 'authority-host', origin: inputs.authorityHost };
  const options = {
    authorityHost: inputs.authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority; a sovereign or local one is not listed.
    disableInstanceDiscovery: !PUBLIC_AUTHORITIES.has(new URL(inputs.authorityHost).hostname),
    httpClient: boundedHttpClient(sdk.createDefaultHttpClient(), sdk, bounds),
    ...(deps.retryOptions ? { retryOptions: deps.retryOptions } : {}),
  };
  if (inputs.credentialKind === 'azure-cli') {
    return new BoundedCredential(
      // `az` is a child process the token deadline cannot abort: it gets the same bound as its timeout.
      new identity.AzureCliCredential({
        ...(inputs.tenantId ? { tenantId: inputs.tenantId } : {}),
        processTimeoutInMs: bounds.tokenDeadlineMs,
      }),
      bounds,
      endpoint,
    );
  }
  if (inputs.credentialKind === 'client-secret') {
    return new BoundedCredential(
      new identity.ClientSecretCredential(inputs.tenantId!, inputs.clientId!, inputs.clientSecret!, options),
      bounds,
      endpoint,
    );
  }
  const env = deps.env ?? process.env;
  if (!env['ACTIONS_ID_TOKEN_REQUEST_URL'] || !env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']) {
    throw new ActionError(
      "GitHub OIDC sign-in needs an ID token, but ACTIONS_ID_TOKEN_REQUEST_URL is not set: add 'permissions: id-token: write' to the job (or workflow), or set the client-secret input.",
    );
  }
  const getIDToken =
    deps.getIDToken ??
    ((audience: string, signal: AbortSignal) =>
      fetchGitHubIdToken(env, audience, { deadlineMs: bounds.oidcDeadlineMs, signal }));
  // The callback runs for every token acquisition, so a long job signs in again with a fresh GitHub token
  // rather than replaying one that expired after a few minutes. It runs inside the token's context, so
  // the token's deadline and the caller's abort stop it too.
  const getAssertion = async (): Promise<string> => {
    const context = tokenRequestContext.getStore();
    try {
      return await getIDToken(TOKEN_EXCHANGE_AUDIENCE, context?.signal ?? new AbortController().signal);
    } catch (error) {
      if (context && error instanceof Error) context.assertionFailure = error;
      throw error;
    }
  };
  return new BoundedCredential(
    new identity.ClientAssertionCredential(inputs.tenantId!, inputs.clientId!, getAssertion, options),
    bounds,
    endpoint,
  );
}
