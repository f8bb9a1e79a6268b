import { type Alternative, fisherExact, mannWhitney, newcombeInterval } from '../lib/stats/index.js';
import type { MetricUnit } from './catalog.js';
import type { Comparison, GateCheck, Threshold } from './checks.js';
import { grainValues, type ResourceData, windowTotal, windowValue } from './series.js';

export type MeasurementResult = 'pass' | 'fail' | 'inconclusive' | 'error';

/** A baseline comparison's numbers: what the summary shows and a replay checks. */
export interface ComparisonReport {
  /** `mann-whitney` on per-grain values; `proportions` on error and request counts (sparse data). */
  test: 'mann-whitney' | 'proportions';
  /** Mann-Whitney: `exact` or `normal` (with tie and continuity correction); proportions: `fisher`. */
  method: string;
  alternative: Alternative;
  pValue: number;
  /** Canary minus baseline: the Hodges-Lehmann shift, or the difference of the two proportions. */
  shift: number;
  /** Confidence interval of the shift (one side infinite for a one-sided test; null in JSON). */
  interval: [number, number];
  confLevel: number;
  /** The shift the check allows, in the metric's unit (a relative max-increase times the baseline). */
  allowed: number;
  effectSize: { name: 'common-language' | 'cohens-h'; value: number };
  samples: { canary: number; baseline: number };
  passed: boolean;
}

export interface CheckMeasurement {
  result: MeasurementResult;
  /** One line: why this result. */
  reason: string;
  /** The canary's value over the window (a ratio as a fraction), when it had data. */
  canary?: number;
  baseline?: number;
  canaryRequests?: number;
  baselineRequests?: number;
  threshold?: { text: string; passed: boolean };
  comparison?: ComparisonReport;
}

/** The data one measurement of one check reads. */
export interface CheckData {
  canary: ResourceData;
  /** Production's data, for a check that compares with the baseline. */
  baseline?: ResourceData;
  /** The plan's data, for a plan check. */
  plan?: ResourceData;
}

const OPERATORS: Record<Threshold['operator'], (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

/** A value in the check's unit, for people: `312 ms`, `5.10%`, `1.2 MiB`. */
export function formatValue(value: number, unit: MetricUnit | 'Ratio', signed = false): string {
  const sign = signed && value > 0 ? '+' : '';
  const round = (v: number, digits: number) => Number(v.toFixed(digits)).toString();
  switch (unit) {
    case 'Ratio':
      // A difference of two ratios is in percentage points, not a percentage of either.
      return signed ? `${sign}${round(value * 100, 2)} pp` : `${round(value * 100, 2)}%`;
    case 'Percent':
      return `${sign}${round(value, 1)}%`;
    case 'Seconds':
      return Math.abs(value) < 10 ? `${sign}${round(value * 1000, 0)} ms` : `${sign}${round(value, 2)} s`;
    case 'Bytes':
    case 'BytesPerSecond': {
      const suffix = unit === 'Bytes' ? '' : '/s';
      const abs = Math.abs(value);
      if (abs >= 1024 ** 3) return `${sign}${round(value / 1024 ** 3, 2)} GiB${suffix}`;
      if (abs >= 1024 ** 2) return `${sign}${round(value / 1024 ** 2, 2)} MiB${suffix}`;
      if (abs >= 1024) return `${sign}${round(value / 1024, 1)} KiB${suffix}`;
      return `${sign}${round(value, 0)} B${suffix}`;
    }
    default:
      return `${sign}${round(value, 3)}`;
  }
}

export function checkUnit(check: GateCheck): MetricUnit | 'Ratio' {
  return check.per ? 'Ratio' : check.unit;
}

function checkValue(check: GateCheck, data: ResourceData): number | undefined {
  if (check.per === undefined) return windowValue(data, check.metric, check.aggregation);
  const denominator = windowTotal(data, check.per);
  return denominator > 0 ? windowTotal(data, check.metric) / denominator : undefined;
}

/** The smallest p-value an exact rank test of samples this size can reach: below alpha or it can never fail. */
function smallestRankP(m: number, n: number): number {
  let combinations = 1;
  for (let i = 1; i <= m; i++) combinations = (combinations * (n + i)) / i;
  return 1 / combinations;
}

function allowedShift(comparison: Comparison, baselineLevel: number): number {
  return comparison.allowance.kind === 'absolute'
    ? comparison.allowance.value
    : comparison.allowance.fraction * Math.abs(baselineLevel);
}

/** Both sides' counts as whole numbers with errors ≤ requests (Azure's Totals are floats). */
function countOf(data: ResourceData, check: GateCheck): { successes: number; trials: number } {
  const trials = Math.round(windowTotal(data, check.per!));
  return { successes: Math.min(trials, Math.round(windowTotal(data, check.metric))), trials };
}

function compareProportions(check: GateCheck, data: CheckData): ComparisonReport {
  const comparison = check.compare!;
  const canary = countOf(data.canary, check);
  const baseline = countOf(data.baseline!, check);
  const pCanary = canary.successes / canary.trials;
  const pBaseline = baseline.successes / baseline.trials;
  const allowed = allowedShift(comparison, pBaseline);
  const alpha = comparison.alpha;
  const direction = comparison.direction;
  // A one-sided test at alpha is the two-sided interval at 1 − 2·alpha, read on one side.
  const confLevel = direction === 'either' ? 1 - alpha : 1 - 2 * alpha;
  const [lo, hi] = newcombeInterval(canary, baseline, confLevel);
  const alternative: Alternative =
    direction === 'increase' ? 'greater' : direction === 'decrease' ? 'less' : 'two-sided';
  const failed = (direction !== 'decrease' && lo > allowed) || (direction !== 'increase' && hi < -allowed);
  const interval: [number, number] =
    direction === 'increase'
      ? [lo, Number.POSITIVE_INFINITY]
      : direction === 'decrease'
        ? [Number.NEGATIVE_INFINITY, hi]
        : [lo, hi];
  return {
    test: 'proportions',
    method: 'fisher',
    alternative,
    pValue: fisherExact(canary, baseline, alternative).pValue,
    shift: pCanary - pBaseline,
    interval,
    confLevel: 1 - alpha,
    allowed,
    effectSize: {
      name: 'cohens-h',
      value: 2 * Math.asin(Math.sqrt(pCanary)) - 2 * Math.asin(Math.sqrt(pBaseline)),
    },
    samples: { canary: canary.trials, baseline: baseline.trials },
    passed: !failed,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function compareRanks(check: GateCheck, canary: number[], baseline: number[]): ComparisonReport {
  const comparison = check.compare!;
  const allowed = allowedShift(comparison, median(baseline));
  const alpha = comparison.alpha;
  const run = (alternative: Alternative, mu: number, level: number) =>
    mannWhitney(canary, baseline, { alternative, mu, confLevel: level });
  if (new Set([...canary, ...baseline]).size === 1) {
    // One value everywhere (R's wilcox.test gives no interval then): no shift, and nothing to fail.
    return {
      test: 'mann-whitney',
      method: 'identical values',
      alternative:
        comparison.direction === 'increase'
          ? 'greater'
          : comparison.direction === 'decrease'
            ? 'less'
            : 'two-sided',
      pValue: 1,
      shift: 0,
      interval: [0, 0],
      confLevel: 1 - alpha,
      allowed,
      effectSize: { name: 'common-language', value: 0.5 },
      samples: { canary: canary.length, baseline: baseline.length },
      passed: true,
    };
  }
  let result: ReturnType<typeof mannWhitney>;
  let failed: boolean;
  if (comparison.direction === 'either') {
    // Two one-sided tests, each at alpha / 2: worse by more than the allowance on either side.
    const up = run('greater', allowed, 1 - alpha / 2);
    const down = run('less', -allowed, 1 - alpha / 2);
    failed = up.pValue < alpha / 2 || down.pValue < alpha / 2;
    result = up.pValue <= down.pValue ? up : down;
    const both = run('two-sided', 0, 1 - alpha);
    result = { ...result, confInt: both.confInt, estimate: both.estimate };
  } else {
    const alternative = comparison.direction === 'increase' ? 'greater' : 'less';
    result = run(alternative, alternative === 'greater' ? allowed : -allowed, 1 - alpha);
    failed = result.pValue < alpha;
  }
  return {
    test: 'mann-whitney',
    method: result.method,
    alternative: result.alternative,
    pValue: result.pValue,
    shift: result.estimate,
    interval: result.confInt,
    confLevel: 1 - alpha,
    allowed,
    // P(canary > baseline) + ½·P(tie), from the test at mu = allowance: recomputed at 0 for the reader.
    effectSize: {
      name: 'common-language',
      value: mannWhitney(canary, baseline, { exact: false }).commonLanguage,
    },
    samples: { canary: canary.length, baseline: baseline.length },
    passed: !failed,
  };
}

/** Judge one check over one window. Pure: a recorded window judged again gives the same answer. */
export function judgeCheck(check: GateCheck, data: CheckData): CheckMeasurement {
  const unit = checkUnit(check);
  const own = check.resource === 'plan' ? data.plan : data.canary;
  if (!own || (check.compare && !data.baseline))
    return { result: 'error', reason: 'the data this check needs was not read' };
  const measurement: CheckMeasurement = { result: 'pass', reason: '' };
  if (check.minRequests > 0) {
    measurement.canaryRequests = windowTotal(data.canary, 'Requests');
    if (check.compare) measurement.baselineRequests = windowTotal(data.baseline!, 'Requests');
    if (measurement.canaryRequests < check.minRequests)
      return {
        ...measurement,
        result: 'inconclusive',
        reason: `no data: the canary served ${measurement.canaryRequests} requests, fewer than min-requests ${check.minRequests}`,
      };
    if (measurement.baselineRequests !== undefined && measurement.baselineRequests < check.minRequests)
      return {
        ...measurement,
        result: 'inconclusive',
        reason: `no data: the baseline served ${measurement.baselineRequests} requests, fewer than min-requests ${check.minRequests}`,
      };
  }
  const value = checkValue(check, own);
  if (value === undefined)
    return {
      ...measurement,
      result: 'inconclusive',
      reason: `no data: ${check.metric} has no values in the window`,
    };
  measurement.canary = value;
  const reasons: string[] = [];
  let inconclusive: string | undefined;
  if (check.threshold) {
    const passed = OPERATORS[check.threshold.operator](value, check.threshold.value);
    measurement.threshold = { text: check.threshold.text, passed };
    if (!passed) reasons.push(`${formatValue(value, unit)} is not ${check.threshold.text}`);
  }
  if (check.compare) {
    const baselineValue = checkValue(check, data.baseline!);
    if (baselineValue === undefined)
      inconclusive = `no data: the baseline's ${check.metric} has no values in the window`;
    else {
      measurement.baseline = baselineValue;
      const counts = check.per !== undefined && check.unit === 'Count' && check.aggregation === 'Total';
      let report: ComparisonReport | undefined;
      if (counts) report = compareProportions(check, data);
      else {
        const canary = grainValues(data.canary, check.metric, check.aggregation, check.per);
        const baseline = grainValues(data.baseline!, check.metric, check.aggregation, check.per);
        const sides = check.compare.direction === 'either' ? 2 : 1;
        if (
          canary.length === 0 ||
          baseline.length === 0 ||
          smallestRankP(canary.length, baseline.length) * sides >= check.compare.alpha
        )
          inconclusive = `too few values to compare: ${canary.length} canary and ${baseline.length} baseline grains cannot show a shift at alpha ${check.compare.alpha}${canary.length > 0 && baseline.length > 0 ? ` (the smallest p-value they can give is ${formatP(smallestRankP(canary.length, baseline.length) * sides)})` : ''}`;
        else report = compareRanks(check, canary, baseline);
      }
      if (report) {
        measurement.comparison = report;
        if (!report.passed)
          reasons.push(
            `${formatValue(report.shift, unit, true)} vs the baseline (${formatValue(value, unit)} vs ${formatValue(baselineValue, unit)}, ${pClause(report.pValue)}), more than the allowed ${check.compare.direction === 'decrease' ? '-' : '+'}${formatValue(report.allowed, unit, true).replace(/^\+/, '')}`,
          );
      }
    }
  }
  if (reasons.length > 0) return { ...measurement, result: 'fail', reason: reasons.join('; ') };
  if (inconclusive) return { ...measurement, result: 'inconclusive', reason: inconclusive };
  const parts = [`${formatValue(value, unit)}`];
  if (measurement.comparison)
    parts.push(
      `${formatValue(measurement.comparison.shift, unit, true)} vs the baseline, ${pClause(measurement.comparison.pValue)}`,
    );
  return { ...measurement, result: 'pass', reason: parts.join(', ') };
}

/** A p-value for people: 2 significant digits, or `< 0.0001`. */
export function formatP(p: number): string {
  if (p < 0.0001) return '< 0.0001';
  return Number(p.toPrecision(2)).toString();
}

/** `p = 0.012` or `p < 0.0001`, for sentences. */
export function pClause(p: number): string {
  return p < 0.0001 ? 'p < 0.0001' : `p = ${formatP(p)}`;
}
