import type { JsonSchema } from '../../../schema.js';

const duration = {
  type: 'string',
  pattern: '^[Pp](\\d+[Dd])?([Tt](\\d+[Hh])?(\\d+[Mm])?(\\d+(\\.\\d+)?[Ss])?)?$',
};
const capacityValue = { type: 'string', pattern: '^\\d+$' };

const metricTrigger = {
  type: 'object',
  required: [
    'metricName',
    'metricResourceUri',
    'timeGrain',
    'statistic',
    'timeWindow',
    'timeAggregation',
    'operator',
    'threshold',
  ],
  properties: {
    metricName: { type: 'string', minLength: 1 },
    metricNamespace: { type: 'string' },
    metricResourceUri: { type: 'string', minLength: 1 },
    metricResourceLocation: { type: 'string' },
    timeGrain: duration,
    statistic: { enum: ['Average', 'Min', 'Max', 'Sum', 'Count'] },
    timeWindow: duration,
    timeAggregation: { enum: ['Average', 'Minimum', 'Maximum', 'Total', 'Count', 'Last'] },
    operator: {
      enum: ['Equals', 'NotEquals', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual'],
    },
    threshold: { type: 'number' },
    dimensions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['DimensionName', 'Operator', 'Values'],
        properties: {
          DimensionName: { type: 'string' },
          Operator: { enum: ['Equals', 'NotEquals'] },
          Values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    dividePerInstance: { type: 'boolean' },
  },
};

const scaleAction = {
  type: 'object',
  required: ['direction', 'type', 'cooldown'],
  properties: {
    direction: { enum: ['None', 'Increase', 'Decrease'] },
    type: { enum: ['ChangeCount', 'PercentChangeCount', 'ExactCount', 'ServiceAllowedNextValue'] },
    value: { type: 'string', pattern: '^\\d+$' },
    cooldown: duration,
  },
};

/** AutoscaleSettingResource (2022-10-01), as in the autoscale swagger: required fields, enums, string capacities. */
export const AUTOSCALE_SETTING_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['location', 'properties'],
  properties: {
    location: { type: 'string', minLength: 1 },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
    properties: {
      type: 'object',
      required: ['profiles'],
      properties: {
        profiles: {
          type: 'array',
          minItems: 1,
          maxItems: 20,
          items: {
            type: 'object',
            required: ['name', 'capacity', 'rules'],
            properties: {
              name: { type: 'string', minLength: 1 },
              capacity: {
                type: 'object',
                required: ['minimum', 'maximum', 'default'],
                properties: { minimum: capacityValue, maximum: capacityValue, default: capacityValue },
              },
              rules: {
                type: 'array',
                maxItems: 10,
                items: {
                  type: 'object',
                  required: ['metricTrigger', 'scaleAction'],
                  properties: { metricTrigger, scaleAction },
                },
              },
              fixedDate: {
                type: 'object',
                required: ['start', 'end'],
                properties: {
                  timeZone: { type: 'string' },
                  start: { type: 'string' },
                  end: { type: 'string' },
                },
              },
              recurrence: {
                type: 'object',
                required: ['frequency', 'schedule'],
                properties: {
                  frequency: { const: 'Week' },
                  schedule: {
                    type: 'object',
                    required: ['timeZone', 'days', 'hours', 'minutes'],
                    properties: {
                      timeZone: { type: 'string' },
                      days: { type: 'array', items: { type: 'string' } },
                      hours: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 23 } },
                      minutes: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 59 } },
                    },
                  },
                },
              },
            },
          },
        },
        notifications: {
          type: 'array',
          items: {
            type: 'object',
            required: ['operation'],
            properties: {
              operation: { const: 'Scale' },
              email: {
                type: 'object',
                properties: {
                  sendToSubscriptionAdministrator: { type: 'boolean' },
                  sendToSubscriptionCoAdministrators: { type: 'boolean' },
                  customEmails: { type: 'array', items: { type: 'string' } },
                },
              },
              webhooks: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { serviceUri: { type: 'string' }, properties: { type: 'object' } },
                },
              },
            },
          },
        },
        enabled: { type: 'boolean' },
        predictiveAutoscalePolicy: {
          type: 'object',
          required: ['scaleMode'],
          properties: {
            scaleMode: { enum: ['Disabled', 'ForecastOnly', 'Enabled'] },
            // The service itself returns null here, so a GET-modify-PUT must be accepted.
            scaleLookAheadTime: { anyOf: [duration, { type: 'null' }] },
          },
        },
        name: { type: 'string' },
        targetResourceUri: { type: 'string' },
        targetResourceLocation: { type: 'string' },
      },
    },
  },
};
