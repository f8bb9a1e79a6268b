import { beforeAll, describe, expect, test } from '@jest/globals';
import { type GateResult, type Reading, runGate } from '../../src/gate-on-metrics/gate.js';
import { type GateInputs, parseInputs } from '../../src/gate-on-metrics/inputs.js';
import {
  failedChecks,
  failureMessage,
  measurementsDocument,
  oneLineReport,
  summaryMarkdown,
} from '../../src/gate-on-metrics/report.js';
import { inputEnvName } from '../../src/lib/inputs.js';
import { fakeClock } from '../helpers/clock.js';
import { averages, counts, resource, seeded, T0 } from '../helpers/gate-metrics.js';

const SECRET = 'client-secret-value-0123456789';

async function inputs(extra: Record<string, string> = {}): Promise<GateInputs> {
  const given: Record<string, string> = {
    'subscription-id': '00000000-0000-0000-0000-000000000001',
    'tenant-id': '00000000-0000-0000-0000-000000000002',
    'client-id': '00000000-0000-0000-0000-000000000003',
    'client-secret': SECRET,
    'resource-group': 'rg-shop',
    'app-name': 'shop',
    count: '3',
    ...extra,
  };
  return parseInputs(Object.fromEntries(Object.entries(given).map(([k, v]) => [inputEnvName(k), v])));
}

/** An app's window: 10 grains of 100 requests, response times around `level` seconds, some 5xx. */
function app(level: number, seed: number, errorsPerGrain = 0) {
  const random = seeded(seed);
  return resource({
    Requests: counts(Array(10).fill(100)),
    Http5xx: counts(Array(10).fill(errorsPerGrain)),
    HttpResponseTime: averages(
      Array.from({ length: 10 }, () => level + (random() - 0.5) * 0.02),
      100,
    ),
  });
}

async function gateResult(settings: GateInputs, canaryLevel: number): Promise<GateResult> {
  let i = 0;
  return runGate(settings, {
    ...fakeClock(T0),
    read: async (): Promise<Reading> => {
      i += 1;
      return {
        canary: app(canaryLevel, 100 + i),
        ...(settings.baseline === 'production' ? { baseline: app(0.2, 200 + i) } : {}),
        queries: [],
      };
    },
  });
}

describe('a failed gate against production', () => {
  let settings: GateInputs;
  let result: GateResult;
  let summary: string;
  beforeAll(async () => {
    settings = await inputs();
    result = await gateResult(settings, 0.5);
    summary = summaryMarkdown(result, settings, '/runner/temp/gate-on-metrics-x/measurements.json');
  });

  test('the verdict is on top, then what it means', () => {
    const lines = summary.split('\n');
    expect(lines[0]).toBe('## ❌ gate-on-metrics: fail');
    expect(lines[2]).toBe(
      '**Fail.** slot staging of shop failed response-time against production. Do not send it more traffic; roll it back.',
    );
    // response-time failed its first measurement, so the gate stopped before error-rate had 3.
    expect(summary.indexOf('### ⏸️ error-rate: not finished')).toBeGreaterThan(0);
    expect(summary.indexOf('### ❌ response-time: fail')).toBeGreaterThan(
      summary.indexOf('### ⏸️ error-rate'),
    );
    expect(summary).toContain('Stopped early: response-time: 1 failed measurement(s)');
    expect(result.measurements).toHaveLength(1);
    expect(summary.trimEnd().split('\n').at(-1)).toBe(
      'Every measurement, with its queries and numbers: `/runner/temp/gate-on-metrics-x/measurements.json` (the `measurements` output).',
    );
  });

  test('a table per check, with the p-value and the test that gave it', () => {
    const header =
      '| # | window (UTC) | canary | baseline | requests (canary / baseline) | shift [CI] | p | effect | result |';
    expect(summary.split('\n').filter((l) => l === header)).toHaveLength(2);
    const rows = summary.split('\n').filter((l) => /^\| 1 \|/.test(l));
    expect(rows).toHaveLength(2);
    const [errorRow, timeRow] = rows as [string, string];
    expect(errorRow).toMatch(
      /\| 0% \| 0% \| 1000 \/ 1000 \| 0 pp \[-[\d.]+ pp, ∞\] \| 1 \(fisher\) \| h 0\.00 \| ✅ pass \|$/,
    );
    expect(timeRow).toMatch(
      /\| 1000 \/ 1000 \| \+\d{3} ms \[\+\d{3} ms, ∞\] \| < 0\.0001 \(exact\) \| CL 1\.00 \| ❌ fail: \+\d{3} ms vs the baseline/,
    );
    // The first measurement, taken at 10:00:00, reads the 5 minutes that ended 3 minutes before.
    expect(timeRow.startsWith('| 1 | 09:52:00–09:57:00 |')).toBe(true);
  });

  test('a mermaid xychart-beta per check, two line series (canary, baseline) when compared', () => {
    const charts = [...summary.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(charts).toHaveLength(2);
    for (const chart of charts) {
      expect(chart.startsWith('xychart-beta\n')).toBe(true);
      expect(chart.match(/^ {2}line \[/gm)).toHaveLength(2);
    }
    expect(charts[1]).toContain('title "response-time: canary vs baseline"');
    expect(charts[1]).toContain('y-axis "HttpResponseTime (ms)"');
    const [canaryLine, baselineLine] = charts[1]!.match(/^ {2}line \[(.*)\]$/gm)!.map((l) =>
      l
        .replace(/^ {2}line \[|\]$/g, '')
        .split(', ')
        .map(Number),
    );
    expect(canaryLine![0]).toBeGreaterThan(490);
    expect(baselineLine![0]).toBeLessThan(210);
    expect(summary).toContain('First line: canary; second line: baseline (production).');
  });

  test('failureMessage names the failed check and its reason, on one line', () => {
    const message = failureMessage(result, settings);
    expect(message).toMatch(
      /^the gate on slot staging of shop failed: response-time: 1 failed measurement\(s\), more than failure-limit 0: \+\d{3} ms vs the baseline \(\d+ ms vs \d+ ms, p < 0\.0001\), more than the allowed \+100 ms$/,
    );
    expect(failedChecks(result)).toEqual(['response-time']);
  });

  test('oneLineReport is one line with every check', () => {
    const line = oneLineReport(result);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^fail: error-rate (pass|not finished); response-time fail \(1 failed measurement/);
  });

  test('the measurements file has no credential', () => {
    const text = JSON.stringify(measurementsDocument(result, settings));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('clientSecret');
    expect(JSON.parse(text)).toEqual(
      expect.objectContaining({ version: 1, verdict: 'fail', startedAt: new Date(T0).toISOString() }),
    );
  });
});

describe('a passing gate without a baseline', () => {
  let result: GateResult;
  let summary: string;
  beforeAll(async () => {
    const settings = await inputs({ slot: 'production' });
    result = await gateResult(settings, 0.2);
    summary = summaryMarkdown(result, settings, '/tmp/m.json');
  });

  test('pass on top; one line series per chart; no comparison columns filled', () => {
    expect(
      summary.startsWith(
        '## ✅ gate-on-metrics: pass\n\n**Pass.** shop (production) met all 2 checks over 3 measurement(s): it may take more traffic.',
      ),
    ).toBe(true);
    const charts = [...summary.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(charts).toHaveLength(2);
    for (const chart of charts) expect(chart.match(/^ {2}line \[/gm)).toHaveLength(1);
    expect(summary).not.toContain('second line: baseline');
    expect(summary).not.toContain('Stopped early');
    expect(oneLineReport(result)).toBe('pass: error-rate pass; response-time pass');
  });
});

test('oneLineReport and failureMessage stay on one line when a reason has a newline', () => {
  const result: GateResult = {
    verdict: 'error',
    checks: [
      {
        name: 'cpu',
        phase: 'error',
        reason: '5 query errors in a row: Azure said\nsomething on two lines',
        counts: { pass: 0, fail: 0, inconclusive: 0, error: 5, consecutiveErrors: 5 },
      },
    ],
    measurements: [],
    startedAt: T0,
    finishedAt: T0,
  };
  expect(oneLineReport(result)).toBe(
    'error: cpu error (5 query errors in a row: Azure said something on two lines)',
  );
  expect(failureMessage(result, { appName: 'shop', slot: 'canary' })).toBe(
    'the gate on slot canary of shop could not read its metrics: cpu: 5 query errors in a row: Azure said something on two lines',
  );
});
