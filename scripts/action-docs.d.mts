// Types for action-docs.mjs, which the contract test imports from TypeScript.
interface ActionYml {
  description?: string;
  inputs?: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description?: string }>;
  runs?: { using?: string };
}
export interface ActionDetails {
  description?: string;
  inputs?: Record<string, string>;
  outputs?: Record<string, string>;
}
export function detailsProblems(name: string, action: ActionYml, details: object): string[];
export function renderActionDoc(name: string, action: ActionYml, details?: ActionDetails): string;
export function readDetails(name: string): ActionDetails;
export function writeActionDocs(outDir: string): void;
