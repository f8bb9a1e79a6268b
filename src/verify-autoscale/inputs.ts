import { type AzureInputs, readAppInputs, readAzureInputs } from '../lib/azure/inputs.js';
import { type Env, InputReader } from '../lib/inputs.js';
import { normalizePolicy, POLICY_EXPECTED, POLICY_SCHEMA, type Policy, type PolicySpec } from './policy.js';

/** `policy` checks the autoscale setting; `observe` loads the app and watches it scale; `both` does both. */
export type Mode = 'policy' | 'observe' | 'both';
export const MODES: readonly Mode[] = ['policy', 'observe', 'both'];

/** `builtin`: the action drives the load; `external`: something else does, the action only watches. */
export type LoadSource = 'builtin' | 'external';

/** The most virtual users the built-in load generator runs (its own limit). */
export const MAX_USERS = 100_000;
const HOUR = 3_600_000;
/** The longest any observe wait may be: a job runs at most 6 h on GitHub's runners. */
const MAX_WAIT_MS = 6 * HOUR;

/** Observe mode's inputs; parsed (and so validated) in every mode. */
export interface ObserveOptions {
  load: LoadSource;
  /** Undefined: production's `https://<defaultHostName>`. */
  targetUrl?: URL;
  users: number;
  thinkTimeMs: number;
  rampUpMs: number;
  durationMs: number;
  /** Undefined: the active profile's minimum + 1. */
  expectCapacity?: number;
  scaleOutWithinMs: number;
  /** When set, capacity must return to the minimum within this long after the load stops. */
  scaleInWithinMs?: number;
  sampleIntervalMs: number;
}

export interface VerifyAutoscaleInputs {
  azure: AzureInputs;
  resourceGroup: string;
  appName: string;
  mode: Mode;
  policy: Policy;
  observe: ObserveOptions;
}

function readObserve(reader: InputReader): ObserveOptions {
  const load = reader.enum<LoadSource>('load', ['builtin', 'external'], 'builtin');
  const targetUrl = reader.url('target-url');
  const users = reader.number('users', { default: 1000, min: 1, max: MAX_USERS, integer: true })!;
  const thinkTimeMs = reader.duration('think-time', { default: '1s', max: HOUR })!;
  const durationMs = reader.duration('duration', { default: '5m', min: 1000, max: MAX_WAIT_MS })!;
  const rampUpMs = reader.duration('ramp-up', { default: '0s', max: MAX_WAIT_MS })!;
  if (rampUpMs >= durationMs && rampUpMs > 0)
    reader.fail(
      'ramp-up',
      'must be shorter than duration (the load would end before every user started)',
      reader.raw('ramp-up'),
    );
  const expectCapacity = reader.number('expect-capacity', { min: 1, max: 1000, integer: true });
  const scaleOutWithinMs = reader.duration('scale-out-within', {
    default: '10m',
    min: 1000,
    max: MAX_WAIT_MS,
  })!;
  const scaleInWithinMs = reader.duration('scale-in-within', { min: 1000, max: MAX_WAIT_MS });
  const sampleIntervalMs = reader.duration('sample-interval', { default: '30s', min: 1000, max: 600_000 })!;
  return {
    load,
    ...(targetUrl ? { targetUrl } : {}),
    users,
    thinkTimeMs,
    rampUpMs,
    durationMs,
    ...(expectCapacity === undefined ? {} : { expectCapacity }),
    scaleOutWithinMs,
    ...(scaleInWithinMs === undefined ? {} : { scaleInWithinMs }),
    sampleIntervalMs,
  };
}

/** The only place that knows verify-autoscale's input names. */
export async function parseInputs(env: Env): Promise<VerifyAutoscaleInputs> {
  const reader = new InputReader(env);
  const azure = readAzureInputs(reader);
  const { resourceGroup, appName } = readAppInputs(reader);
  const mode = reader.enum<Mode>('mode', MODES, 'policy');
  const spec = await reader.yaml<PolicySpec | null>('policy', POLICY_SCHEMA, POLICY_EXPECTED);
  const policy = normalizePolicy(spec, reader);
  const observe = readObserve(reader);
  return { azure, resourceGroup, appName, mode, policy, observe };
}
