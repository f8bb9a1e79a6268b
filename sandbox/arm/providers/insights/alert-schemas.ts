import type { JsonSchema } from '../../../schema.js';

/*
 * Request bodies of metric alert rules and action groups, derived mechanically from Microsoft's ARM
 * schemas (Azure/azure-resource-manager-schemas at a1454431, `schemas/2026-01-01/Microsoft.Insights.json`
 * MetricAlertProperties and `schemas/2023-01-01/Microsoft.Insights.json` ActionGroup, with every definition
 * they reach): the template-expression alternatives, descriptions, formats and defaults are removed (a
 * REST body holds no `[…]` expressions), and `location` is required, as the REST API requires it.
 */

/** MetricAlertResource (2026-01-01). */
export const METRIC_ALERT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['location', 'properties'],
  properties: {
    location: { type: 'string', minLength: 1 },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
    properties: { $ref: '#/definitions/MetricAlertProperties' },
  },
  definitions: {
    DynamicThresholdFailingPeriods: {
      properties: {
        minFailingPeriodsToAlert: { type: 'number' },
        numberOfEvaluationPeriods: { type: 'number' },
      },
      required: ['numberOfEvaluationPeriods', 'minFailingPeriodsToAlert'],
      type: 'object',
    },
    MetricAlertAction: {
      properties: {
        actionGroupId: { type: 'string' },
        webHookProperties: { additionalProperties: { type: 'string' }, properties: {}, type: 'object' },
      },
      type: 'object',
    },
    MetricAlertCriteria: {
      additionalProperties: {},
      properties: {},
      type: 'object',
      oneOf: [
        {
          properties: {
            allOf: { items: { $ref: '#/definitions/MultiMetricCriteria' }, type: 'array' },
            'odata.type': {
              enum: ['Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria'],
              type: 'string',
            },
          },
          required: ['odata.type'],
          type: 'object',
        },
        {
          properties: {
            allOf: { items: { $ref: '#/definitions/MultiPromQLCriteria' }, type: 'array' },
            failingPeriods: { $ref: '#/definitions/QueryFailingPeriods' },
            'odata.type': { enum: ['Microsoft.Azure.Monitor.PromQLCriteria'], type: 'string' },
          },
          required: ['odata.type'],
          type: 'object',
        },
        {
          properties: {
            allOf: { items: { $ref: '#/definitions/MetricCriteria' }, type: 'array' },
            'odata.type': {
              enum: ['Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'],
              type: 'string',
            },
          },
          required: ['odata.type'],
          type: 'object',
        },
        {
          properties: {
            componentId: { type: 'string' },
            failedLocationCount: { type: 'number' },
            'odata.type': {
              enum: ['Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'],
              type: 'string',
            },
            webTestId: { type: 'string' },
          },
          required: ['webTestId', 'componentId', 'failedLocationCount', 'odata.type'],
          type: 'object',
        },
      ],
    },
    MetricAlertProperties: {
      properties: {
        actionProperties: { additionalProperties: { type: 'string' }, properties: {}, type: 'object' },
        actions: { items: { $ref: '#/definitions/MetricAlertAction' }, type: 'array' },
        autoMitigate: { type: 'boolean' },
        criteria: { $ref: '#/definitions/MetricAlertCriteria' },
        customProperties: { additionalProperties: { type: 'string' }, properties: {}, type: 'object' },
        enabled: { type: 'boolean' },
        evaluationFrequency: { type: 'string' },
        resolveConfiguration: { $ref: '#/definitions/ResolveConfiguration' },
        scopes: { items: { type: 'string' }, type: 'array' },
        severity: { type: 'integer' },
        targetResourceRegion: { type: 'string' },
        targetResourceType: { type: 'string' },
        windowSize: { type: 'string' },
      },
      required: ['severity', 'enabled', 'scopes', 'evaluationFrequency', 'criteria'],
      type: 'object',
    },
    MetricCriteria: {
      additionalProperties: {},
      properties: {
        criterionType: { enum: ['StaticThresholdCriterion', 'DynamicThresholdCriterion'], type: 'string' },
        dimensions: { items: { $ref: '#/definitions/MetricDimension' }, type: 'array' },
        metricName: { type: 'string' },
        metricNamespace: { type: 'string' },
        name: { type: 'string' },
        operator: {
          enum: ['Equals', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual'],
          type: 'string',
        },
        skipMetricValidation: { type: 'boolean' },
        threshold: { type: 'number' },
        timeAggregation: { enum: ['Average', 'Count', 'Minimum', 'Maximum', 'Total'], type: 'string' },
      },
      required: ['operator', 'threshold', 'criterionType', 'name', 'metricName', 'timeAggregation'],
      type: 'object',
    },
    MetricDimension: {
      properties: {
        name: { type: 'string' },
        operator: { type: 'string' },
        values: { items: { type: 'string' }, type: 'array' },
      },
      required: ['name', 'operator', 'values'],
      type: 'object',
    },
    MultiMetricCriteria: {
      additionalProperties: {},
      properties: {
        dimensions: { items: { $ref: '#/definitions/MetricDimension' }, type: 'array' },
        metricName: { type: 'string' },
        metricNamespace: { type: 'string' },
        name: { type: 'string' },
        skipMetricValidation: { type: 'boolean' },
        timeAggregation: { enum: ['Average', 'Count', 'Minimum', 'Maximum', 'Total'], type: 'string' },
      },
      required: ['name', 'metricName', 'timeAggregation'],
      type: 'object',
      oneOf: [
        {
          properties: {
            alertSensitivity: { enum: ['Low', 'Medium', 'High'], type: 'string' },
            criterionType: { enum: ['DynamicThresholdCriterion'], type: 'string' },
            failingPeriods: { $ref: '#/definitions/DynamicThresholdFailingPeriods' },
            ignoreDataBefore: { type: 'string' },
            operator: { enum: ['GreaterThan', 'LessThan', 'GreaterOrLessThan'], type: 'string' },
          },
          required: ['operator', 'alertSensitivity', 'failingPeriods', 'criterionType'],
          type: 'object',
        },
        {
          properties: {
            criterionType: { enum: ['StaticThresholdCriterion'], type: 'string' },
            operator: {
              enum: ['Equals', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual'],
              type: 'string',
            },
            threshold: { type: 'number' },
          },
          required: ['operator', 'threshold', 'criterionType'],
          type: 'object',
        },
      ],
    },
    MultiPromQLCriteria: {
      properties: { name: { type: 'string' }, query: { type: 'string' } },
      required: ['name', 'query'],
      type: 'object',
      oneOf: [
        {
          properties: {
            alertSensitivity: { enum: ['Low', 'Medium', 'High'], type: 'string' },
            criterionType: { enum: ['DynamicThresholdCriterion'], type: 'string' },
            ignoreDataBefore: { type: 'string' },
            operator: { enum: ['GreaterThan', 'LessThan', 'GreaterOrLessThan'], type: 'string' },
          },
          required: ['operator', 'alertSensitivity', 'criterionType'],
          type: 'object',
        },
        {
          properties: { criterionType: { enum: ['StaticThresholdCriterion'], type: 'string' } },
          required: ['criterionType'],
          type: 'object',
        },
      ],
    },
    QueryFailingPeriods: { properties: { for: { type: 'string' } }, required: ['for'], type: 'object' },
    ResolveConfiguration: {
      properties: { autoResolved: { type: 'boolean' }, timeToResolve: { type: 'string' } },
      required: ['autoResolved'],
      type: 'object',
    },
  },
};

/** ActionGroupResource (2023-01-01). */
export const ACTION_GROUP_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['location', 'properties'],
  properties: {
    location: { type: 'string', minLength: 1 },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
    properties: { $ref: '#/definitions/ActionGroup' },
  },
  definitions: {
    ActionGroup: {
      properties: {
        armRoleReceivers: { items: { $ref: '#/definitions/ArmRoleReceiver' }, type: 'array' },
        automationRunbookReceivers: {
          items: { $ref: '#/definitions/AutomationRunbookReceiver' },
          type: 'array',
        },
        azureAppPushReceivers: { items: { $ref: '#/definitions/AzureAppPushReceiver' }, type: 'array' },
        azureFunctionReceivers: { items: { $ref: '#/definitions/AzureFunctionReceiver' }, type: 'array' },
        emailReceivers: { items: { $ref: '#/definitions/EmailReceiver' }, type: 'array' },
        enabled: { type: 'boolean' },
        eventHubReceivers: { items: { $ref: '#/definitions/EventHubReceiver' }, type: 'array' },
        groupShortName: { maxLength: 12, type: 'string' },
        itsmReceivers: { items: { $ref: '#/definitions/ItsmReceiver' }, type: 'array' },
        logicAppReceivers: { items: { $ref: '#/definitions/LogicAppReceiver' }, type: 'array' },
        smsReceivers: { items: { $ref: '#/definitions/SmsReceiver' }, type: 'array' },
        voiceReceivers: { items: { $ref: '#/definitions/VoiceReceiver' }, type: 'array' },
        webhookReceivers: { items: { $ref: '#/definitions/WebhookReceiver' }, type: 'array' },
      },
      required: ['groupShortName', 'enabled'],
      type: 'object',
    },
    ArmRoleReceiver: {
      properties: {
        name: { type: 'string' },
        roleId: { type: 'string' },
        useCommonAlertSchema: { type: 'boolean' },
      },
      required: ['name', 'roleId'],
      type: 'object',
    },
    AutomationRunbookReceiver: {
      properties: {
        automationAccountId: { type: 'string' },
        isGlobalRunbook: { type: 'boolean' },
        name: { type: 'string' },
        runbookName: { type: 'string' },
        serviceUri: { type: 'string' },
        useCommonAlertSchema: { type: 'boolean' },
        webhookResourceId: { type: 'string' },
      },
      required: ['automationAccountId', 'runbookName', 'webhookResourceId', 'isGlobalRunbook'],
      type: 'object',
    },
    AzureAppPushReceiver: {
      properties: { emailAddress: { type: 'string' }, name: { type: 'string' } },
      required: ['name', 'emailAddress'],
      type: 'object',
    },
    AzureFunctionReceiver: {
      properties: {
        functionAppResourceId: { type: 'string' },
        functionName: { type: 'string' },
        httpTriggerUrl: { type: 'string' },
        name: { type: 'string' },
        useCommonAlertSchema: { type: 'boolean' },
      },
      required: ['name', 'functionAppResourceId', 'functionName', 'httpTriggerUrl'],
      type: 'object',
    },
    EmailReceiver: {
      properties: {
        emailAddress: { type: 'string' },
        name: { type: 'string' },
        useCommonAlertSchema: { type: 'boolean' },
      },
      required: ['name', 'emailAddress'],
      type: 'object',
    },
    EventHubReceiver: {
      properties: {
        eventHubName: { type: 'string' },
        eventHubNameSpace: { type: 'string' },
        name: { type: 'string' },
        subscriptionId: { type: 'string' },
        tenantId: { type: 'string' },
        useCommonAlertSchema: { type: 'boolean' },
      },
      required: ['name', 'eventHubNameSpace', 'eventHubName', 'subscriptionId'],
      type: 'object',
    },
    ItsmReceiver: {
      properties: {
        connectionId: { type: 'string' },
        name: { type: 'string' },
        region: { type: 'string' },
        ticketConfiguration: { type: 'string' },
        workspaceId: { type: 'string' },
      },
      required: ['name', 'workspaceId', 'connectionId', 'ticketConfiguration', 'region'],
      type: 'object',
    },
    LogicAppReceiver: {
      properties: {
        callbackUrl: { type: 'string' },
        name: { type: 'string' },
        resourceId: { type: 'string' },
        useCommonAlertSchema: { type: 'boolean' },
      },
      required: ['name', 'resourceId', 'callbackUrl'],
      type: 'object',
    },
    SmsReceiver: {
      properties: {
        countryCode: { type: 'string' },
        name: { type: 'string' },
        phoneNumber: { type: 'string' },
      },
      required: ['name', 'countryCode', 'phoneNumber'],
      type: 'object',
    },
    VoiceReceiver: {
      properties: {
        countryCode: { type: 'string' },
        name: { type: 'string' },
        phoneNumber: { type: 'string' },
      },
      required: ['name', 'countryCode', 'phoneNumber'],
      type: 'object',
    },
    WebhookReceiver: {
      properties: {
        identifierUri: { type: 'string' },
        name: { type: 'string' },
        objectId: { type: 'string' },
        serviceUri: { type: 'string' },
        tenantId: { type: 'string' },
        useAadAuth: { type: 'boolean' },
        useCommonAlertSchema: { type: 'boolean' },
      },
      required: ['name', 'serviceUri'],
      type: 'object',
    },
  },
};
