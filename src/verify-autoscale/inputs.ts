import { type AzureInputs, readAppInputs, readAzureInputs } from '../lib/azure/inputs.js';
import { type Env, InputReader } from '../lib/inputs.js';
import { normalizePolicy, POLICY_EXPECTED, POLICY_SCHEMA, type Policy, type PolicySpec } from './policy.js';

/** `policy` checks the autoscale setting; `observe` and `both` (load and watch it scale) come later. */
export type Mode = 'policy';

export interface VerifyAutoscaleInputs {
  azure: AzureInputs;
  resourceGroup: string;
  appName: string;
  mode: Mode;
  policy: Policy;
}

/** The only place that knows verify-autoscale's input names. */
export async function parseInputs(env: Env): Promise<VerifyAutoscaleInputs> {
  const reader = new InputReader(env);
  const azure = readAzureInputs(reader);
  const { resourceGroup, appName } = readAppInputs(reader);
  const mode = reader.raw('mode') ?? 'policy';
  if (mode !== 'policy')
    reader.fail(
      'mode',
      mode === 'observe' || mode === 'both'
        ? 'must be policy for now: observe mode (load the app and watch it scale) is not built yet'
        : 'must be policy (observe and both are planned; observe mode is not built yet)',
      mode,
    );
  const spec = await reader.yaml<PolicySpec | null>('policy', POLICY_SCHEMA, POLICY_EXPECTED);
  const policy = normalizePolicy(spec, reader);
  return { azure, resourceGroup, appName, mode: 'policy', policy };
}
