import { type Env, InputReader } from '../lib/inputs.js';
import {
  CHECKS_EXPECTED,
  CHECKS_SCHEMA,
  type CheckSpec,
  DEFAULT_CHECK,
  normalizeChecks,
  type SmokeCheck,
} from './checks.js';

export interface SmokeTestInputs {
  url: URL;
  checks: SmokeCheck[];
  waitTimeoutMs: number;
  headers: Record<string, string>;
  pageLoadBudgetMs: number;
  concurrency: number;
}

/** The only place that knows smoke-test's input names. */
export async function parseInputs(env: Env): Promise<SmokeTestInputs> {
  const input = new InputReader(env);
  const url = input.url('url', { required: true })!;
  const specs = (await input.yaml<CheckSpec[]>('checks', CHECKS_SCHEMA, CHECKS_EXPECTED)) ?? [DEFAULT_CHECK];
  return {
    url,
    checks: normalizeChecks(specs),
    waitTimeoutMs: input.duration('wait-timeout', { default: '2m', min: 0, max: 6 * 3_600_000 })!,
    headers: input.headers('headers'),
    pageLoadBudgetMs: input.duration('page-load-budget', { default: '2s', min: 1, max: 6 * 3_600_000 })!,
    concurrency: input.number('concurrency', { default: 4, min: 1, max: 64, integer: true })!,
  };
}
