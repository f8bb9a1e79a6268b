import { AZURE_SECRET_INPUTS } from '../lib/azure-secret-inputs.js';

/** The build-image inputs whose values are masked (see src/lib/runner/secrets.ts). */
export const SECRET_INPUTS = ['password', ...AZURE_SECRET_INPUTS] as const;
