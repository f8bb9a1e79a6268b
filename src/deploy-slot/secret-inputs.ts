import { AZURE_SECRET_INPUTS } from '../lib/azure-secret-inputs.js';

/** The deploy-slot inputs whose values are masked (see src/lib/runner/secrets.ts). */
export const SECRET_INPUTS = ['registry-password', 'github-token', ...AZURE_SECRET_INPUTS] as const;
