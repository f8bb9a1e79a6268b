import type { InputReader } from '../inputs.js';

/**
 * The inputs every action that calls Resource Manager declares, identically (the contract test compares
 * action.yml files against this table). Copy the entries into an action.yml as they are.
 */
export const AZURE_INPUT_SPECS = {
  // Required: readAzureInputs() refuses to run without it.
  'subscription-id': {
    description: 'Azure subscription ID that holds the resources.',
    required: true,
  },
  'tenant-id': {
    description:
      'Microsoft Entra tenant ID (GUID or domain). Needed with client-id; leave both empty to use an Azure CLI login.',
    required: false,
  },
  'client-id': {
    description:
      'Application (client) ID of the app registration or managed identity to sign in as. Leave empty to use an Azure CLI login.',
    required: false,
  },
  'client-secret': {
    description:
      "Client secret of the app registration. Empty: GitHub OIDC (workload identity federation; needs 'id-token: write').",
    required: false,
  },
  'arm-endpoint': {
    description: 'Azure Resource Manager endpoint.',
    required: false,
    default: 'https://management.azure.com',
  },
  'authority-host': {
    description: 'Microsoft Entra authority host.',
    required: false,
    default: 'https://login.microsoftonline.com',
  },
} as const;

/**
 * The same inputs for an action that only signs in to a container registry (build-image, through
 * readAzureSignInInputs()): no Resource Manager call, so subscription-id is optional there.
 */
export const AZURE_SIGN_IN_INPUT_SPECS = {
  ...AZURE_INPUT_SPECS,
  'subscription-id': {
    description:
      'Azure subscription ID. A registry sign-in does not need it; checked to be a GUID when given.',
    required: false,
  },
} as const;

export type AzureCredentialKind = 'client-secret' | 'github-oidc' | 'azure-cli';

export interface AzureInputs {
  subscriptionId: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Origin of the ARM endpoint, without a trailing slash. */
  armEndpoint: string;
  /** Origin of the authority host, without a trailing slash. */
  authorityHost: string;
  credentialKind: AzureCredentialKind;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TENANT =
  /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+)$/;

/**
 * Read the six shared Azure inputs. The credential follows from which are set: client-secret → client
 * secret; client-id without secret → GitHub OIDC federation; no client-id → the Azure CLI login.
 */
export function readAzureInputs(reader: InputReader): AzureInputs {
  return readAzureInputsWith(reader, reader.required('subscription-id'));
}

/**
 * The shared Azure inputs for a sign-in that calls no ARM API (a registry token): subscription-id is
 * optional there, validated when given, and '' when not.
 */
export function readAzureSignInInputs(reader: InputReader): AzureInputs {
  return readAzureInputsWith(reader, reader.raw('subscription-id') ?? '');
}

function readAzureInputsWith(reader: InputReader, subscriptionId: string): AzureInputs {
  if (subscriptionId !== '' && !GUID.test(subscriptionId))
    reader.fail('subscription-id', 'must be a subscription ID (a GUID)', subscriptionId);
  const tenantId = reader.string('tenant-id', {
    pattern: TENANT,
    expected: 'a tenant ID (a GUID) or a domain such as contoso.onmicrosoft.com',
  });
  const clientId = reader.string('client-id', {
    pattern: GUID,
    expected: 'an application (client) ID (a GUID)',
  });
  const clientSecret = reader.string('client-secret', { secret: true });
  const armEndpoint =
    reader.url('arm-endpoint', { protocols: ['https:'] })?.origin ??
    AZURE_INPUT_SPECS['arm-endpoint'].default;
  const authorityHost =
    reader.url('authority-host', { protocols: ['https:'] })?.origin ??
    AZURE_INPUT_SPECS['authority-host'].default;
  if (clientId && !tenantId) reader.fail('tenant-id', 'is required when client-id is set');
  if (clientSecret && !clientId) reader.fail('client-id', 'is required when client-secret is set');
  const credentialKind: AzureCredentialKind = !clientId
    ? 'azure-cli'
    : clientSecret
      ? 'client-secret'
      : 'github-oidc';
  return {
    subscriptionId,
    ...(tenantId ? { tenantId } : {}),
    ...(clientId ? { clientId } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    armEndpoint,
    authorityHost,
    credentialKind,
  };
}

/** The token scope for ARM: the public ARM audience for public Azure and local sandboxes, else the endpoint's own. */
export function armScope(armEndpoint: string): string {
  const { hostname, origin } = new URL(armEndpoint);
  const local = hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  return local || hostname === 'management.azure.com'
    ? 'https://management.azure.com/.default'
    : `${origin}/.default`;
}

// ARM: 1-90 characters, and Azure refuses a name that ends in a period.
const RESOURCE_GROUP = /^[-\w._()]{0,89}[-\w()]$/;
const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]?$/;
/** A deployment slot's name, as App Service allows it. */
export const SLOT_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,58}$/;

/** `resource-group`, required, as ARM names a resource group. */
export function readResourceGroup(reader: InputReader): string {
  const resourceGroup = reader.required('resource-group');
  if (!RESOURCE_GROUP.test(resourceGroup))
    reader.fail(
      'resource-group',
      'must be a resource group name (1-90 letters, digits, _ - . ( ), not ending in a period)',
      resourceGroup,
    );
  return resourceGroup;
}

/** The App Service app every Web action works on: `resource-group` and `app-name`, both required. */
export function readAppInputs(reader: InputReader): { resourceGroup: string; appName: string } {
  const resourceGroup = readResourceGroup(reader);
  const appName = reader.required('app-name');
  if (!APP_NAME.test(appName))
    reader.fail('app-name', 'must be an App Service app name (2-60 letters, digits and hyphens)', appName);
  return { resourceGroup, appName };
}
