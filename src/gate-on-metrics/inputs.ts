import { type AzureInputs, readAppInputs, readAzureInputs, SLOT_NAME } from '../lib/azure/inputs.js';
import { formatDuration } from '../lib/duration.js';
import { type Env, InputReader } from '../lib/inputs.js';
import {
  CHECKS_EXPECTED,
  CHECKS_SCHEMA,
  type CheckSpec,
  DEFAULT_CHECKS,
  type GateCheck,
  normalizeChecks,
} from './checks.js';
import type { GateSettings } from './gate.js';

export type OnInconclusive = 'fail' | 'pass' | 'neutral';

export interface GateInputs extends GateSettings {
  azure: AzureInputs;
  resourceGroup: string;
  appName: string;
  /** `production`, or a deployment slot's name. */
  slot: string;
  baseline: 'production' | 'none';
  /** The grain as Azure Monitor takes it: PT1M, or the sandbox's PT1S..PT30S. */
  grain: string;
  onInconclusive: OnInconclusive;
  checks: GateCheck[];
}

/** Azure Monitor's grains for App Service metrics; below PT1M only the slotline sandbox answers. */
const AZURE_GRAINS: Record<string, number> = {
  PT1M: 60_000,
  PT5M: 300_000,
  PT15M: 900_000,
  PT30M: 1_800_000,
  PT1H: 3_600_000,
};
const SANDBOX_GRAIN = /^PT([1-9]|[12][0-9]|30)S$/;

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** The only place that knows gate-on-metrics' input names. */
export async function parseInputs(env: Env): Promise<GateInputs> {
  const reader = new InputReader(env);
  const azure = readAzureInputs(reader);
  const { resourceGroup, appName } = readAppInputs(reader);
  const slotText = reader.string('slot', {
    default: 'staging',
    pattern: SLOT_NAME,
    expected: "'production' or a deployment slot name (letters, digits and hyphens)",
  })!;
  const slot = slotText.toLowerCase() === 'production' ? 'production' : slotText;
  const baseline = reader.enum(
    'baseline',
    ['production', 'none'] as const,
    slot === 'production' ? 'none' : 'production',
  );
  if (slot === 'production' && baseline === 'production')
    reader.fail(
      'baseline',
      'must be none when slot is production (production cannot be its own baseline)',
      baseline,
    );

  const grain = (reader.string('grain', { default: 'PT1M' }) ?? 'PT1M').toUpperCase();
  let grainMs = AZURE_GRAINS[grain];
  if (grainMs === undefined && SANDBOX_GRAIN.test(grain)) {
    if (!isLoopback(azure.armEndpoint))
      reader.fail(
        'grain',
        "must be PT1M or longer: Azure Monitor's smallest grain is PT1M (PT1S..PT30S are the local sandbox's)",
        grain,
      );
    grainMs = Number(SANDBOX_GRAIN.exec(grain)![1]) * 1000;
  }
  if (grainMs === undefined)
    reader.fail(
      'grain',
      `must be one of ${Object.keys(AZURE_GRAINS).join(', ')} (or PT1S..PT30S on the local sandbox)`,
      grain,
    );

  const count = reader.number('count', { default: 5, min: 1, max: 100, integer: true })!;
  const intervalMs = reader.duration('interval', { default: '1m', min: 1000, max: 3_600_000 })!;
  const initialDelayMs = reader.duration('initial-delay', { default: '0s', min: 0, max: 6 * 3_600_000 })!;
  const failureLimit = reader.number('failure-limit', { default: 0, min: 0, max: 100, integer: true })!;
  const inconclusiveLimit = reader.number('inconclusive-limit', {
    default: 0,
    min: 0,
    max: 100,
    integer: true,
  })!;
  const consecutiveErrorLimit = reader.number('consecutive-error-limit', {
    default: 4,
    min: 0,
    max: 100,
    integer: true,
  })!;
  const ingestionDelayMs = reader.duration('ingestion-delay', { default: '3m', min: 0, max: 3_600_000 })!;
  const defaultWindow = Math.max(intervalMs, 5 * grainMs);
  const windowMs = reader.duration('window', {
    default: formatDuration(defaultWindow),
    min: grainMs,
    max: 24 * 3_600_000,
  })!;
  if (windowMs < grainMs)
    reader.fail('window', `must be at least one grain (${grain})`, reader.raw('window'));
  const onInconclusive = reader.enum('on-inconclusive', ['fail', 'pass', 'neutral'] as const, 'fail');

  const specs = (await reader.yaml<CheckSpec[]>('checks', CHECKS_SCHEMA, CHECKS_EXPECTED)) ?? [
    ...DEFAULT_CHECKS,
  ];
  const checks = normalizeChecks(specs, { hasBaseline: baseline === 'production' });

  return {
    azure,
    resourceGroup,
    appName,
    slot,
    baseline,
    grain,
    grainMs,
    count,
    intervalMs,
    initialDelayMs,
    failureLimit,
    inconclusiveLimit,
    consecutiveErrorLimit,
    ingestionDelayMs,
    windowMs,
    onInconclusive,
    checks,
  };
}
