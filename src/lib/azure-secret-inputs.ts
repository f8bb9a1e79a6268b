/**
 * The credential among the six shared Azure inputs (src/lib/azure/inputs.ts). Every Azure action adds
 * these to its own SECRET_INPUTS. The other five (tenant and client IDs, subscription, endpoints) are
 * identifiers, and `authority-host` in particular must stay readable in error messages.
 */
export const AZURE_SECRET_INPUTS = ['client-secret'] as const;
