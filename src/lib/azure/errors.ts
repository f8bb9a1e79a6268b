import { CancelledError } from '../cancellation.js';
import { ActionError } from '../errors.js';
import type { AzureInputs } from './inputs.js';

/** An ARM error body's nested `details` (a template validation's inner errors, for one). */
export interface ArmErrorDetail {
  code?: string;
  message?: string;
  details?: ArmErrorDetail[];
}

/** An ARM refusal: its status, ARM error code and message, the request id support asks for, and details. */
export class ArmError extends ActionError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly details?: ArmErrorDetail[],
  ) {
    super(message);
  }
}

/** An Entra ID or ARM auth failure, with a hint that says what to change. */
export class AzureAuthError extends ActionError {
  constructor(
    message: string,
    readonly aadCode?: number,
  ) {
    super(message);
  }
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`${name}: '([^']*)'`).exec(text)?.[1];
}

/**
 * Turn an @azure/identity or ARM error into one actionable line: what Entra ID or ARM said, and where
 * to fix it. Unknown errors pass through unchanged.
 */
export function translateAzureError(
  error: unknown,
  inputs: Pick<AzureInputs, 'clientId' | 'tenantId' | 'authorityHost' | 'armEndpoint' | 'credentialKind'>,
): Error {
  if (error instanceof ArmError) {
    if (error.status === 403 && error.code === 'AuthorizationFailed') {
      const action = /perform action '([^']+)'/.exec(error.message)?.[1];
      const scope = /over scope '([^']+)'/.exec(error.message)?.[1];
      return new AzureAuthError(
        `ARM refused ${action ?? 'the call'} (403 AuthorizationFailed): principal ${inputs.clientId ?? '(Azure CLI login)'} has no role that allows it on ${scope ?? 'that scope'}. Assign a role such as Website Contributor (web apps) or Monitoring Contributor (autoscale) at that scope or above.`,
      );
    }
    if (error.status === 401) {
      return new AzureAuthError(`ARM rejected the access token (${error.code}): ${error.message}`);
    }
    return error;
  }
  // Already in words (a network failure naming its input, a deadline, a refused origin, a cancellation).
  if (error instanceof ActionError || error instanceof CancelledError) return error;
  if (!(error instanceof Error)) return new ActionError(String(error));
  const text = error.message;
  const aad = /AADSTS(\d+)/.exec(text);
  const code = aad ? Number(aad[1]) : undefined;
  const app = inputs.clientId ?? '(client-id)';
  const where = `the app registration ${app} (Entra admin center > App registrations > ${app} > Certificates & secrets > Federated credentials)`;
  switch (code) {
    case 700213:
    case 70021: {
      const subject = field(text, 'Assertion Subject') ?? /assertion subject '([^']*)'/.exec(text)?.[1];
      const issuer = field(text, 'Assertion Issuer');
      return new AzureAuthError(
        `Entra ID refused the GitHub OIDC token (AADSTS${code}): no federated credential matches subject '${subject ?? 'unknown'}'${issuer ? ` from issuer '${issuer}'` : ''}. Add a federated credential with exactly that subject on ${where}, or run the job in the environment or branch an existing credential names.`,
        code,
      );
    }
    case 700211: {
      const issuer = /assertion issuer '([^']*)'/.exec(text)?.[1];
      return new AzureAuthError(
        `Entra ID refused the GitHub OIDC token (AADSTS700211): no federated credential trusts issuer '${issuer ?? 'unknown'}'. Add one with that issuer on ${where}.`,
        code,
      );
    }
    case 700212: {
      const audience = /assertion audience '([^']*)'/.exec(text)?.[1];
      return new AzureAuthError(
        `Entra ID refused the GitHub OIDC token (AADSTS700212): the token's audience '${audience ?? 'unknown'}' matches no federated credential; slotline requests 'api://AzureADTokenExchange', which the credential's audience must list (${where}).`,
        code,
      );
    }
    case 700024:
      return new AzureAuthError(
        'Entra ID refused the GitHub OIDC token as expired (AADSTS700024). slotline requests a fresh token for every sign-in, so check the runner clock.',
        code,
      );
    case 50013:
      return new AzureAuthError(
        `Entra ID could not verify the GitHub OIDC token's signature (AADSTS50013). ${text.split('\n')[0]}`,
        code,
      );
    case 7000215:
    case 7000222:
      return new AzureAuthError(
        `Entra ID refused the client secret (AADSTS${code}): it is wrong or expired. Put the secret's value (not its ID) for app ${app} in the client-secret input, or leave client-secret empty to use GitHub OIDC.`,
        code,
      );
    case 700016:
      return new AzureAuthError(
        `Entra ID has no application ${app} in tenant ${inputs.tenantId ?? '(tenant-id)'} (AADSTS700016): check client-id and tenant-id.`,
        code,
      );
    case 90002:
      return new AzureAuthError(
        `Entra ID has no tenant ${inputs.tenantId ?? '(tenant-id)'} (AADSTS90002): check tenant-id and authority-host.`,
        code,
      );
    default:
      break;
  }
  if (code !== undefined)
    return new AzureAuthError(`Entra ID refused the sign-in (AADSTS${code}): ${text.split('\n')[0]}`, code);
  if (
    /endpoints_resolution_error|ENOTFOUND|ECONNREFUSED|self[- ]signed|unable to verify|UNABLE_TO_GET_ISSUER_CERT/i.test(
      text,
    )
  ) {
    return new AzureAuthError(
      `Could not reach Entra ID at ${inputs.authorityHost} or ARM at ${inputs.armEndpoint}: ${text.split('\n')[0]}. Check the authority-host and arm-endpoint inputs; for a private CA, start the job with NODE_EXTRA_CA_CERTS set to its certificate.`,
    );
  }
  if (inputs.credentialKind === 'azure-cli' && /az login|Azure CLI/i.test(text)) {
    return new AzureAuthError(
      `No Azure CLI login to use (client-id is empty): ${text.split('\n')[0]}. Run azure/login earlier in the job, or set client-id and tenant-id.`,
    );
  }
  return error;
}
