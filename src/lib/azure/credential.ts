import type { TokenCredential } from '@azure/core-auth';
import { ActionError } from '../errors.js';
import type { Env } from '../inputs.js';
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
  /** GitHub's OIDC token for an audience; default `core.getIDToken`. Called again for every Azure token. */
  getIDToken?: (audience: string) => Promise<string>;
}

/**
 * The credential the inputs select. Identity is loaded on demand so actions that never touch Azure do not
 * pay for it at start-up.
 */
export async function createAzureCredential(
  inputs: AzureInputs,
  deps: CredentialDeps = {},
): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  const options = {
    authorityHost: inputs.authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority; a sovereign or local one is not listed.
    disableInstanceDiscovery: !PUBLIC_AUTHORITIES.has(new URL(inputs.authorityHost).hostname),
  };
  if (inputs.credentialKind === 'azure-cli') {
    return new identity.AzureCliCredential(inputs.tenantId ? { tenantId: inputs.tenantId } : {});
  }
  if (inputs.credentialKind === 'client-secret') {
    return new identity.ClientSecretCredential(
      inputs.tenantId!,
      inputs.clientId!,
      inputs.clientSecret!,
      options,
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
    (async (audience: string) => {
      const core = await import('@actions/core');
      return core.getIDToken(audience);
    });
  // The callback runs for every token acquisition, so a long job signs in again with a fresh GitHub token
  // rather than replaying one that expired after a few minutes.
  return new identity.ClientAssertionCredential(
    inputs.tenantId!,
    inputs.clientId!,
    () => getIDToken(TOKEN_EXCHANGE_AUDIENCE),
    options,
  );
}
