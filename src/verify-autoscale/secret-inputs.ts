import { AZURE_SECRET_INPUTS } from '../lib/azure-secret-inputs.js';

/** The verify-autoscale inputs whose values are masked (see src/lib/runner/secrets.ts): the Azure credential. */
export const SECRET_INPUTS = [...AZURE_SECRET_INPUTS] as const;
