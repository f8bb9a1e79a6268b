import { InputError } from '../lib/errors.js';
import { findControlCharacter } from '../lib/log-safe.js';
import type { JsonSchema } from '../lib/schema.js';
import { findMetric, type MetricResource, type MetricUnit } from './catalog.js';

export type Aggregation = 'Total' | 'Average' | 'Maximum' | 'Minimum' | 'Count';
export const AGGREGATIONS: readonly Aggregation[] = ['Total', 'Average', 'Maximum', 'Minimum', 'Count'];
export type Direction = 'increase' | 'decrease' | 'either';
export type Operator = '<' | '<=' | '>' | '>=';

/** A check as the user writes it in the `checks` YAML input: a built-in's name, or a mapping. */
export type CheckSpec =
  | string
  | {
      name?: string;
      metric?: string;
      resource?: MetricResource;
      aggregation?: string;
      per?: string;
      threshold?: string | number;
      compare?: 'baseline' | 'none';
      'max-increase'?: string | number;
      direction?: Direction;
      'min-requests'?: number;
      critical?: boolean;
      alpha?: number;
    };

export interface Threshold {
  operator: Operator;
  /** In the metric's own unit (seconds, percent, a fraction for a ratio). */
  value: number;
  /** As the user wrote it, for the summary: `< 1%`. */
  text: string;
}

/** How much worse than the baseline the canary may be: a share of the baseline, or an amount. */
export type Allowance =
  | { kind: 'relative'; fraction: number; text: string }
  | { kind: 'absolute'; value: number; text: string };

export interface Comparison {
  allowance: Allowance;
  direction: Direction;
  /** Significance level of each measurement's test. */
  alpha: number;
}

/** A validated check, ready to measure. */
export interface GateCheck {
  name: string;
  metric: string;
  unit: MetricUnit;
  resource: MetricResource;
  aggregation: Aggregation;
  /** The denominator of a ratio (always its Total): errors per request, not an average of averages. */
  per?: string;
  threshold?: Threshold;
  compare?: Comparison;
  /** A window where the canary (or the baseline) served fewer requests is no data. 0: not checked. */
  minRequests: number;
  critical: boolean;
  builtIn: boolean;
}

const NAME = '^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,63}$';
const NUMBER_OR_TEXT = { type: ['string', 'number'] };

export const CHECKS_SCHEMA: JsonSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 20,
  items: {
    oneOf: [
      { type: 'string', pattern: NAME },
      {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: NAME },
          metric: { type: 'string', minLength: 1, maxLength: 64 },
          resource: { enum: ['app', 'plan'] },
          aggregation: { type: 'string', minLength: 1 },
          per: { type: 'string', minLength: 1, maxLength: 64 },
          threshold: NUMBER_OR_TEXT,
          compare: { enum: ['baseline', 'none'] },
          'max-increase': NUMBER_OR_TEXT,
          direction: { enum: ['increase', 'decrease', 'either'] },
          'min-requests': { type: 'integer', minimum: 0, maximum: 100_000_000 },
          critical: { type: 'boolean' },
          alpha: { type: 'number', exclusiveMinimum: 0, maximum: 0.2 },
        },
      },
    ],
  },
};

export const CHECKS_EXPECTED =
  'a YAML list of check names (error-rate, response-time) or mappings with name, metric, resource, aggregation, per, threshold, compare, max-increase, direction, min-requests, critical and alpha';

type SpecObject = Exclude<CheckSpec, string>;

/**
 * The built-in checks, written as a user would write them. `error-rate`: 5xx responses per request, at
 * most 1%, and (with a baseline) not more than half a percentage point above production's.
 * `response-time`: the average response time, under 1 s without a baseline; with one, not more than
 * 100 ms slower than production's.
 */
export function builtInChecks(hasBaseline: boolean): Record<string, SpecObject> {
  return {
    'error-rate': {
      name: 'error-rate',
      metric: 'Http5xx',
      per: 'Requests',
      aggregation: 'Total',
      threshold: '< 1%',
      ...(hasBaseline ? { compare: 'baseline', 'max-increase': '0.5pp', direction: 'increase' } : {}),
      'min-requests': 20,
    },
    'response-time': {
      name: 'response-time',
      metric: 'HttpResponseTime',
      aggregation: 'Average',
      ...(hasBaseline
        ? { compare: 'baseline', 'max-increase': '100ms', direction: 'increase' }
        : { threshold: '< 1s' }),
      'min-requests': 20,
    },
  };
}

export const DEFAULT_CHECKS: readonly CheckSpec[] = ['error-rate', 'response-time'];

const UNIT_FACTORS: Record<string, { factor: number; units: readonly string[] }> = {
  ms: { factor: 0.001, units: ['Seconds'] },
  s: { factor: 1, units: ['Seconds'] },
  KiB: { factor: 1024, units: ['Bytes', 'BytesPerSecond'] },
  MiB: { factor: 1024 ** 2, units: ['Bytes', 'BytesPerSecond'] },
  GiB: { factor: 1024 ** 3, units: ['Bytes', 'BytesPerSecond'] },
};

/**
 * A number with an optional unit, in the check's own unit. `%` is a percentage of a ratio (1% = 0.01)
 * or percentage points of a Percent metric; `pp` is percentage points in both cases.
 */
function parseAmount(text: string, unit: MetricUnit | 'Ratio', where: string, field: string): number {
  const match = /^(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*(%|pp|ms|s|KiB|MiB|GiB)?$/.exec(text.trim());
  if (!match)
    throw new InputError(
      `${where} ${field} must be a number with an optional unit (%, pp, ms, s, KiB, MiB, GiB), got ${JSON.stringify(text)}.`,
    );
  const value = Number(match[1]);
  const suffix = match[2];
  if (!Number.isFinite(value))
    throw new InputError(`${where} ${field} must be a finite number, got ${JSON.stringify(text)}.`);
  if (suffix === undefined) return value;
  if (suffix === '%' || suffix === 'pp') {
    if (unit === 'Ratio') return value / 100;
    if (unit === 'Percent') return value;
    throw new InputError(
      `${where} ${field} uses ${suffix}, but ${unit} metrics are not percentages: write a plain number.`,
    );
  }
  const known = UNIT_FACTORS[suffix]!;
  if (unit === 'Ratio' || !known.units.includes(unit))
    throw new InputError(
      `${where} ${field} uses ${suffix}, which does not fit a ${unit === 'Ratio' ? 'ratio' : `${unit} metric`}.`,
    );
  return value * known.factor;
}

function parseThreshold(raw: string | number, unit: MetricUnit | 'Ratio', where: string): Threshold {
  const text = String(raw).trim();
  const match = /^(<=|>=|<|>)\s*(.+)$/.exec(text);
  if (!match)
    throw new InputError(
      `${where} threshold must start with a comparison (<, <=, > or >=), as in "< 0.01" or "<= 800ms", got ${JSON.stringify(text)}.`,
    );
  return { operator: match[1] as Operator, value: parseAmount(match[2]!, unit, where, 'threshold'), text };
}

function parseAllowance(raw: string | number, unit: MetricUnit | 'Ratio', where: string): Allowance {
  const text = String(raw).trim();
  const relative = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (relative) return { kind: 'relative', fraction: Number(relative[1]) / 100, text };
  const value = parseAmount(text, unit, where, 'max-increase');
  if (value < 0)
    throw new InputError(`${where} max-increase must not be negative, got ${JSON.stringify(text)}.`);
  return { kind: 'absolute', value, text };
}

function matchAggregation(raw: string, where: string): Aggregation {
  const found = AGGREGATIONS.find((a) => a.toLowerCase() === raw.toLowerCase());
  if (!found)
    throw new InputError(
      `${where} aggregation must be one of ${AGGREGATIONS.join(', ')}, got ${JSON.stringify(raw)}.`,
    );
  return found;
}

/** Validate the parsed `checks` list into checks; every problem is one line naming the input and item. */
export function normalizeChecks(
  specs: readonly CheckSpec[],
  opts: { hasBaseline: boolean; inputName?: string },
): GateCheck[] {
  const inputName = opts.inputName ?? 'checks';
  const builtIns = builtInChecks(opts.hasBaseline);
  const seen = new Set<string>();
  return specs.map((spec, index) => {
    const given: SpecObject = typeof spec === 'string' ? { name: spec } : spec;
    const name = given.name!;
    const where = `Input "${inputName}" item [${index}] (${name})`;
    const control = findControlCharacter(name);
    if (control)
      throw new InputError(
        `Input "${inputName}" item [${index}] name must not contain control characters (found ${control}).`,
      );
    if (seen.has(name)) throw new InputError(`${where}: the name is used twice; check names must be unique.`);
    seen.add(name);
    const builtIn = Object.hasOwn(builtIns, name) && given.metric === undefined ? builtIns[name]! : undefined;
    if (typeof spec === 'string' && !builtIn)
      throw new InputError(
        `${where} is not a built-in check (${Object.keys(builtIns).join(', ')}); write a mapping with a metric.`,
      );
    const merged: SpecObject = { ...builtIn, ...given };
    if (merged.metric === undefined)
      throw new InputError(`${where} needs a metric (or the name of a built-in check).`);
    const resource = merged.resource ?? 'app';
    const metric = findMetric(resource, merged.metric);
    if (!metric)
      throw new InputError(
        `${where} metric ${JSON.stringify(merged.metric)} is not an Azure Monitor metric of an App Service ${resource === 'app' ? 'app or slot' : 'plan'}.`,
      );
    const aggregation = matchAggregation(merged.aggregation ?? 'Average', where);
    let per: string | undefined;
    if (merged.per !== undefined) {
      const denominator = findMetric(resource, merged.per);
      if (!denominator)
        throw new InputError(
          `${where} per ${JSON.stringify(merged.per)} is not an Azure Monitor metric of an App Service ${resource === 'app' ? 'app or slot' : 'plan'}.`,
        );
      if (aggregation !== 'Total' && aggregation !== 'Count')
        throw new InputError(
          `${where} with per needs aggregation Total or Count: a ratio is computed from counts, never from ${aggregation} values.`,
        );
      per = denominator.name;
    }
    const unit: MetricUnit | 'Ratio' = per ? 'Ratio' : metric.unit;
    const threshold =
      merged.threshold === undefined || merged.threshold === 'none'
        ? undefined
        : parseThreshold(merged.threshold, unit, where);
    let compare: Comparison | undefined;
    if (merged.compare === 'baseline') {
      if (!opts.hasBaseline)
        throw new InputError(
          `${where} compares with the baseline, but input "baseline" is none: remove compare or set baseline: production.`,
        );
      if (resource === 'plan')
        throw new InputError(
          `${where} compares a plan metric with the baseline, but production and its slots share the plan: use a threshold.`,
        );
      compare = {
        allowance: parseAllowance(merged['max-increase'] ?? 0, unit, where),
        direction: merged.direction ?? 'increase',
        alpha: merged.alpha ?? 0.05,
      };
    } else if (
      given['max-increase'] !== undefined ||
      given.direction !== undefined ||
      given.alpha !== undefined
    ) {
      // Only what the user wrote: a built-in's own allowance goes with `compare: none`. alpha is the
      // comparison's significance level: without a comparison it would be silently ignored.
      throw new InputError(`${where} sets max-increase, direction or alpha without compare: baseline.`);
    }
    if (!threshold && !compare)
      throw new InputError(`${where} needs a threshold (such as "< 0.01") or compare: baseline.`);
    return {
      name,
      metric: metric.name,
      unit: metric.unit,
      resource,
      aggregation,
      ...(per ? { per } : {}),
      ...(threshold ? { threshold } : {}),
      ...(compare ? { compare } : {}),
      minRequests: merged['min-requests'] ?? (resource === 'app' ? 1 : 0),
      critical: merged.critical ?? false,
      builtIn: builtIn !== undefined,
    };
  });
}
