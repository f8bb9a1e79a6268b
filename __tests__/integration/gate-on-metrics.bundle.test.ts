import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type GateSandbox, startGateSandbox } from '../helpers/gate-sandbox.js';
import { runBundle, type StepResult } from '../helpers/runner.js';
import { workflowCommands } from '../helpers/workflow-commands.js';

// gate-on-metrics end to end: the built bundle, run as the runner runs it, against the sandbox with its data
// plane. Production and the staging slot are real podman containers of the busybox test app behind their
// TLS front doors; the load goes through those front doors, so Azure Monitor's Metrics_List reports what
// the traffic did. `--time-scale 60` and the sandbox's PT1S grain let each gate finish in seconds.

let gs: GateSandbox;

beforeAll(async () => {
  gs = await startGateSandbox();
}, 180_000);

afterAll(async () => {
  await gs?.stop();
});

/** Seconds-level gates: 4 measurements a second apart, each over the 4 s that ended 1 s before it. */
const FAST = { grain: 'PT1S', interval: '1s', count: '4', 'ingestion-delay': '1s', window: '4s' };

/**
 * Run the gate while load flows to the slots named in `traffic`. The load starts first and the gate waits
 * `initial-delay` (5 s) so its first window is full; the load stops by itself after 20 s.
 */
async function gateUnderLoad(
  inputs: Record<string, string>,
  traffic: { staging: boolean; production: boolean } = { staging: true, production: true },
): Promise<StepResult> {
  const loads = (['staging', 'production'] as const)
    .filter((slot) => traffic[slot])
    .map((slot) => gs.load(gs.hosts[slot], { concurrency: 6, durationMs: 20_000 }));
  try {
    return await runBundle(
      'gate-on-metrics',
      gs.inputs({ ...FAST, 'initial-delay': '5s', ...inputs }),
      gs.env(),
      90_000,
    );
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
  }
}

function errors(step: StepResult): string[] {
  return (
    workflowCommands(step.log)
      .filter((c) => c.name === 'error')
      // The runner's escapes, undone: %25 is %, %0D and %0A are CR and LF.
      .map((c) => c.data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
  );
}

interface MeasurementsFile {
  verdict: string;
  measurements: {
    queries: { filter: string; top: number; interval: string; error?: string }[];
    checks: Record<
      string,
      {
        result: string;
        canaryRequests?: number;
        comparison?: { test: string; pValue: number; samples: { canary: number; baseline: number } };
      }
    >;
  }[];
}

function measurementsOf(step: StepResult): MeasurementsFile {
  return JSON.parse(readFileSync(step.outputs['measurements']!, 'utf8'));
}

function expectNoSecret(step: StepResult): void {
  const secret = gs.conn.clientSecret;
  expect(step.log).not.toContain(secret);
  expect(step.summary).not.toContain(secret);
  expect(JSON.stringify(step.outputs)).not.toContain(secret);
}

describe('gate-on-metrics on the sandbox', () => {
  test('a healthy canary against a healthy production passes', async () => {
    await gs.setSlotSettings('staging', { ERROR_RATE: null, LATENCY_MS: null });
    const step = await gateUnderLoad({});
    expect(errors(step)).toEqual([]);
    expect(step.outputs['verdict']).toBe('pass');
    expect(step.outputs['failed-checks']).toBe('');
    expect(step.exitCode).toBe(0);
    const file = measurementsOf(step);
    expect(file.verdict).toBe('pass');
    expect(file.measurements).toHaveLength(4);
    // Every query asked for every instance (top above Azure's default of 10) at the sandbox grain.
    for (const q of file.measurements.flatMap((m) => m.queries)) {
      expect(q).toMatchObject({ filter: "Instance eq '*'", top: 100, interval: 'PT1S' });
      expect(q.error).toBeUndefined();
    }
    // Passed on data, not for want of it: requests in every window and a real comparison each time.
    for (const m of file.measurements) {
      expect(m.checks['error-rate']).toMatchObject({ result: 'pass', comparison: { test: 'proportions' } });
      expect(m.checks['error-rate']!.canaryRequests).toBeGreaterThanOrEqual(20);
      const latency = m.checks['response-time']!.comparison!;
      expect(latency.test).toBe('mann-whitney');
      expect(latency.samples.canary).toBeGreaterThanOrEqual(4);
      expect(latency.samples.baseline).toBeGreaterThanOrEqual(4);
    }
    expect(step.summary).toContain('## ✅ gate-on-metrics: pass');
    expect(step.summary).toContain('xychart-beta');
    expectNoSecret(step);
  }, 120_000);

  test('a canary serving 5% 500s fails on error-rate, named in the one error line', async () => {
    await gs.setSlotSettings('staging', { ERROR_RATE: '0.05', LATENCY_MS: null });
    const step = await gateUnderLoad({});
    expect(step.exitCode).toBe(1);
    expect(step.outputs['verdict']).toBe('fail');
    expect(step.outputs['failed-checks']!.split(',')).toContain('error-rate');
    const lines = errors(step);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^gate-on-metrics: the gate on slot staging of web failed: error-rate: .*is not < 1%/,
    );
    // It stopped at the first failed measurement (failure-limit 0).
    expect(measurementsOf(step).measurements).toHaveLength(1);
    expectNoSecret(step);
  }, 120_000);

  test('a canary 300 ms slower fails on response-time through the baseline comparison, with its p-value', async () => {
    await gs.setSlotSettings('staging', { ERROR_RATE: null, LATENCY_MS: '300' });
    const step = await gateUnderLoad({ checks: '- response-time' });
    expect(step.exitCode).toBe(1);
    expect(step.outputs['verdict']).toBe('fail');
    expect(step.outputs['failed-checks']).toBe('response-time');
    const [line] = errors(step);
    expect(line).toMatch(
      /response-time: .*vs the baseline .*p [<=] [0-9.]+\), more than the allowed \+100 ms/,
    );
    // The summary's table row shows the shift, its interval and the p-value of the test that decided.
    expect(step.summary).toMatch(/\| \+\d+ ms \[\+\d+ ms, ∞\] \| (< 0\.0001|0\.0\d+) \((exact|normal)\) \|/);
  }, 120_000);

  test('a canary without traffic is inconclusive, never pass', async () => {
    await gs.setSlotSettings('staging', { ERROR_RATE: null, LATENCY_MS: null });
    const step = await gateUnderLoad({}, { staging: false, production: true });
    expect(step.outputs['verdict']).toBe('inconclusive');
    expect(step.exitCode).toBe(1);
    expect(errors(step)[0]).toMatch(/was inconclusive: .*fewer than min-requests 20/);
    // on-inconclusive: neutral lets the workflow decide from the verdict output.
    const neutral = await gateUnderLoad(
      { 'on-inconclusive': 'neutral' },
      { staging: false, production: true },
    );
    expect(neutral.exitCode).toBe(0);
    expect(neutral.outputs['verdict']).toBe('inconclusive');
  }, 120_000);

  test('Monitor answering 429 a few times: the gate still decides', async () => {
    await gs.admin('DELETE', '/faults');
    await gs.admin('POST', '/faults', {
      type: 'throttle',
      path: 'providers/microsoft.insights/metrics',
      count: 3,
      retryAfterSeconds: 1,
    });
    const step = await gateUnderLoad({});
    const faults = (await gs.admin('GET', '/faults')).body as { value: { hits: number }[] };
    await gs.admin('DELETE', '/faults');
    expect(faults.value[0]!.hits).toBe(3);
    expect(step.outputs['verdict']).toBe('pass');
    expect(step.exitCode).toBe(0);
  }, 120_000);

  test('Monitor failing throughout: error after consecutive-error-limit', async () => {
    await gs.admin('DELETE', '/faults');
    await gs.admin('POST', '/faults', {
      type: 'error',
      status: 503,
      path: 'providers/microsoft.insights/metrics',
      count: 10_000,
    });
    try {
      const step = await runBundle(
        'gate-on-metrics',
        gs.inputs({ ...FAST, count: '3', 'consecutive-error-limit': '1' }),
        gs.env(),
        90_000,
      );
      expect(step.outputs['verdict']).toBe('error');
      expect(step.exitCode).toBe(1);
      const file = measurementsOf(step);
      // Two errors in a row (more than the limit of 1), then it stopped: errors never count as measurements.
      expect(file.measurements).toHaveLength(2);
      expect(errors(step)[0]).toMatch(
        /could not read its metrics: .*2 errors in a row, more than consecutive-error-limit 1/,
      );
    } finally {
      await gs.admin('DELETE', '/faults');
    }
  }, 120_000);
});
