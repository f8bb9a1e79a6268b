import { parseDuration } from '../lib/duration.js';
import type { InputReader } from '../lib/inputs.js';
import type { JsonSchema } from '../lib/schema.js';

/** What a setting must scale on: CPU, request count, and a business-hours schedule. */
export type Requirement = 'cpu' | 'requests' | 'business-hours';
export const REQUIREMENTS: readonly Requirement[] = ['cpu', 'requests', 'business-hours'];

/** Azure's day names in a recurrence schedule. */
export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** The policy as the user writes it in the `policy` YAML input; any key left out keeps its default. */
export interface PolicySpec {
  'min-instances'?: number;
  'max-instances'?: number;
  require?: Requirement[];
  'business-hours'?: {
    days?: string[];
    start?: string;
    end?: string;
    'time-zone'?: string;
    'min-instances'?: number;
  };
  'min-threshold-gap'?: number;
  'min-cooldown'?: string;
  'max-scale-step'?: number;
}

export interface BusinessHours {
  days: string[];
  /** `HH:MM`, as written. */
  start: string;
  end: string;
  /** Minutes after midnight. */
  startMinute: number;
  endMinute: number;
  /** When set, the profiles' time zone must be this one; when not, any time zone will do, but one must be set. */
  timeZone?: string;
  minInstances: number;
}

/** A validated policy, ready to judge settings with. */
export interface Policy {
  minInstances: number;
  maxInstances: number;
  require: Requirement[];
  businessHours: BusinessHours;
  /** Percentage points between a scale-out threshold and its scale-in threshold on a percentage metric. */
  minThresholdGap: number;
  minCooldownMs: number;
  /** The most instances one scale action may add or remove. */
  maxScaleStep: number;
}

/** The seed's policy (§3.5): 2 to 10 instances, CPU, requests and business hours, 4 instances from 08:00 to 18:00. */
export const DEFAULT_POLICY = {
  'min-instances': 2,
  'max-instances': 10,
  require: ['cpu', 'requests', 'business-hours'],
  'business-hours': {
    days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
    start: '08:00',
    end: '18:00',
    'min-instances': 4,
  },
  'min-threshold-gap': 30,
  'min-cooldown': '5m',
  'max-scale-step': 3,
} as const satisfies PolicySpec;

/** Azure autoscale's own limit on a profile's maximum capacity. */
const MAX_CAPACITY = 1000;
const instances = { type: 'integer', minimum: 1, maximum: MAX_CAPACITY };
const TIME = /^([01]?[0-9]|2[0-3]):[0-5][0-9]$/;

const POLICY_MAPPING: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    'min-instances': instances,
    'max-instances': instances,
    require: { type: 'array', uniqueItems: true, items: { enum: [...REQUIREMENTS] } },
    'business-hours': {
      type: 'object',
      additionalProperties: false,
      properties: {
        days: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...DAYS] } },
        start: { type: 'string' },
        end: { type: 'string' },
        // Windows (W. Europe Standard Time) or IANA (Europe/Berlin) names: letters, digits, spaces and . _ + - /.
        'time-zone': { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9 ._+/()-]{0,99}$' },
        'min-instances': instances,
      },
    },
    'min-threshold-gap': { type: 'number', minimum: 0, maximum: 100 },
    'min-cooldown': { type: 'string', minLength: 1, maxLength: 40 },
    'max-scale-step': instances,
  },
};

/** The mapping, or an empty document (only comments), which keeps every default. The mapping comes first, so its errors are the ones told. */
export const POLICY_SCHEMA: JsonSchema = { anyOf: [POLICY_MAPPING, { type: 'null' }] };

export const POLICY_EXPECTED =
  'a YAML mapping (keys: min-instances, max-instances, require, business-hours, min-threshold-gap, min-cooldown, max-scale-step)';

function minuteOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return h! * 60 + m!;
}

/** The defaults with the user's keys laid over them (business-hours key by key), checked across keys. */
export function normalizePolicy(spec: PolicySpec | null | undefined, reader: InputReader): Policy {
  const given = spec ?? {};
  const merged = {
    ...DEFAULT_POLICY,
    ...given,
    'business-hours': { ...DEFAULT_POLICY['business-hours'], ...given['business-hours'] },
  };
  const hours = merged['business-hours'];
  const minInstances = merged['min-instances'];
  const maxInstances = merged['max-instances'];
  if (minInstances > maxInstances)
    reader.fail(
      'policy',
      `must have min-instances no greater than max-instances (min-instances ${minInstances} > max-instances ${maxInstances})`,
    );
  for (const key of ['start', 'end'] as const)
    if (!TIME.test(hours[key]))
      reader.fail('policy', `business-hours.${key} must be a time of day such as 08:00 or 18:30`, hours[key]);
  const startMinute = minuteOf(hours.start);
  const endMinute = minuteOf(hours.end);
  if (startMinute >= endMinute)
    reader.fail(
      'policy',
      `must have business-hours.start before business-hours.end (${hours.start} is not before ${hours.end})`,
    );
  if (hours['min-instances'] < minInstances || hours['min-instances'] > maxInstances)
    reader.fail(
      'policy',
      `must have business-hours.min-instances from min-instances to max-instances (${hours['min-instances']} is not from ${minInstances} to ${maxInstances})`,
    );
  const cooldown = merged['min-cooldown'];
  const minCooldownMs = parseDuration(cooldown);
  if (minCooldownMs === undefined)
    reader.fail('policy', 'min-cooldown must be a duration such as 5m, 10m or PT5M', cooldown);
  return {
    minInstances,
    maxInstances,
    require: [...merged.require],
    businessHours: {
      days: [...hours.days],
      start: hours.start,
      end: hours.end,
      startMinute,
      endMinute,
      ...(hours['time-zone'] ? { timeZone: hours['time-zone'] } : {}),
      minInstances: hours['min-instances'],
    },
    minThresholdGap: merged['min-threshold-gap'],
    minCooldownMs,
    maxScaleStep: merged['max-scale-step'],
  };
}
