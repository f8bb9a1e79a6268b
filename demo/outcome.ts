// Whether the demo's scenario behaved as it should, from what the runner, production and the traffic
// report say, and the closing summary. Pure: tested in __tests__/unit/demo-outcome.test.ts.
import type { JobRecord, RunResult } from '../workflow-runner/runner.js';
import type { TrafficReport } from './traffic.js';

export type Scenario = 'good' | 'bad-release';

export interface Outcome {
  behaved: boolean;
  /** One line per expectation, with ✓ or ✗. */
  checks: string[];
}

/** The job of the called pipeline whose id is `id` (keys are `<caller job>/<id>`). */
export function job(result: RunResult, id: string): JobRecord | undefined {
  return result.jobs.find((j) => j.key === id || j.key.endsWith(`/${id}`));
}

export function judge(scenario: Scenario, v2: RunResult, served: string, traffic: TrafficReport): Outcome {
  const checks: [boolean, string][] = [];
  const errors = traffic.load.errors;
  const servedV2 = traffic.versions.some((v) => v.version === '2.0.0');
  if (scenario === 'good') {
    checks.push([v2.success, 'the pipeline of 2.0.0 succeeded']);
    checks.push([served === '2.0.0', `production serves 2.0.0 (it serves ${served})`]);
    checks.push([
      traffic.load.requests > 0 && errors === 0,
      `no request to production failed during the release (${errors} of ${traffic.load.requests} failed)`,
    ]);
  } else {
    const stopped =
      job(v2, 'deploy-production')?.result === 'failure' ||
      job(v2, 'integration-tests')?.result === 'failure' ||
      job(v2, 'smoke-production')?.result === 'failure';
    checks.push([!v2.success && stopped, 'the pipeline of 2.0.0 failed at a gate or a smoke test']);
    checks.push([
      job(v2, 'rollback')?.result === 'success',
      `the rollback job ran and succeeded (${job(v2, 'rollback')?.result ?? 'absent'})`,
    ]);
    checks.push([served === '1.0.0', `production still serves 1.0.0 (it serves ${served})`]);
    checks.push([!servedV2, 'production never answered as 2.0.0 (only the canary served it)']);
  }
  return {
    behaved: checks.every(([ok]) => ok),
    checks: checks.map(([ok, line]) => `${ok ? '✓' : '✗'} ${line}`),
  };
}

const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : `${ms.toFixed(0)} ms`);

export function summary(run: {
  scenario: Scenario;
  productionUrl: string;
  served: string;
  v1: RunResult;
  v2: RunResult;
  traffic: TrafficReport;
  outcome: Outcome;
  totalS: number;
}): string {
  const { load } = run.traffic;
  const kinds = Object.entries(load.errorsByKind)
    .map(([kind, n]) => `${kind}: ${n}`)
    .join(', ');
  const stages = (r: RunResult) =>
    r.jobs
      .map(
        (j) =>
          `${j.key.split('/').at(-1)} ${j.result}${j.result === 'skipped' ? '' : ` ${(j.durationMs / 1000).toFixed(1)} s`}`,
      )
      .join(', ');
  return [
    '',
    `════ slotline demo, scenario ${run.scenario}: ${run.outcome.behaved ? 'behaved as it should' : 'did NOT behave as it should'} (${run.totalS.toFixed(1)} s in all) ════`,
    `production ${run.productionUrl} serves ${run.served}`,
    `release 1.0.0: ${run.v1.success ? 'succeeded' : 'failed'} in ${(run.v1.durationMs / 1000).toFixed(1)} s: ${stages(run.v1)}`,
    `release 2.0.0: ${run.v2.success ? 'succeeded' : 'failed'} in ${(run.v2.durationMs / 1000).toFixed(1)} s: ${stages(run.v2)}`,
    `traffic on production during 2.0.0: ${load.requests} requests in ${(load.durationMs / 1000).toFixed(1)} s (${load.requestsPerSecond.toFixed(1)}/s), ${load.errors} failed${kinds ? ` (${kinds})` : ''}; p50 ${s(load.latency.p50Ms)}, p99 ${s(load.latency.p99Ms)}`,
    `version on production's /healthz: ${run.traffic.versions.map((v) => `${v.version} from ${v.atS.toFixed(1)} s`).join(' → ')}`,
    ...run.outcome.checks,
    '',
  ].join('\n');
}
