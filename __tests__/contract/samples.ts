/**
 * A valid value for every input that some action declares as required (or needs in some modes), so the
 * contract test can call each action's parseInputs() and watch which inputs it reads. Add an entry when
 * an action adds a required input.
 */
export const REQUIRED_INPUT_SAMPLES: Record<string, string> = {
  url: 'https://app.example.test',
  // The shared Azure inputs (src/lib/azure/inputs.ts): required where the action calls Resource Manager.
  'subscription-id': '00000000-0000-4000-8000-000000000000',
  registry: 'registry.example.test',
  repository: 'team/portal',
  // deploy-slot
  'resource-group': 'slotline-demo',
  'app-name': 'slotline-demo-web',
  // deploy-infra: relative to the workspace (the working directory when GITHUB_WORKSPACE is unset).
  template: 'infra/main.json',
};
