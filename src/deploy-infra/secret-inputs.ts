import { AZURE_SECRET_INPUTS } from '../lib/azure-secret-inputs.js';

/**
 * The deploy-infra inputs whose values are masked (see src/lib/runner/secrets.ts): the Azure credential.
 * The values of securestring and secureobject template parameters are masked too, by main.ts, once the
 * template says which parameters are secure.
 */
export const SECRET_INPUTS = [...AZURE_SECRET_INPUTS] as const;
