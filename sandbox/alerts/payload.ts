import type { AlertInstance } from './book.js';

/**
 * The shapes Azure Monitor gives an alert: the common alert schema (what webhooks receive) and the Alerts
 * Management API's alert (`properties.essentials`). Both read one AlertInstance.
 */

const iso = (ms: number) => new Date(ms).toISOString();

export const severityName = (severity: number) => `Sev${severity}`;

/** `/subscriptions/{sub}/providers/Microsoft.AlertsManagement/alerts/{id}`. */
export const alertResourceId = (a: AlertInstance) =>
  `/subscriptions/${a.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${a.id}`;

function groupOf(resourceId: string): string {
  return /\/resourcegroups\/([^/]+)/i.exec(resourceId)?.[1] ?? '';
}

/** One criterion as both schemas carry it: the threshold as a string, the value as a number. */
function conditionOf(c: AlertInstance['evaluation']['conditions'][number]): Record<string, unknown> {
  return {
    metricName: c.metricName,
    metricNamespace: c.metricNamespace,
    operator: c.operator,
    threshold: String(c.threshold),
    timeAggregation: c.timeAggregation,
    dimensions: c.dimensions,
    metricValue: c.metricValue ?? null,
  };
}

/** The metric alert context: the condition that fired (or resolved) the alert, with its window. */
function alertContext(a: AlertInstance): Record<string, unknown> {
  const e = a.evaluation;
  return {
    properties: null,
    conditionType: 'SingleResourceMultipleMetricCriteria',
    condition: {
      windowSize: e.windowSize,
      allOf: e.conditions.map((c) => ({ ...conditionOf(c), webTestName: null })),
      windowStartTime: iso(e.windowStartMs),
      windowEndTime: iso(e.windowEndMs),
    },
  };
}

/** The common alert schema payload (`azureMonitorCommonAlertSchema`, essentials version 1.0). */
export function commonAlertPayload(
  a: AlertInstance,
  customProperties: Record<string, string> | undefined,
): Record<string, unknown> {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: alertResourceId(a),
        alertRule: a.ruleName,
        severity: severityName(a.severity),
        signalType: 'Metric',
        monitorCondition: a.monitorCondition,
        monitoringService: 'Platform',
        alertTargetIDs: [a.targetResource.toLowerCase()],
        configurationItems: [a.targetResource.split('/').pop()],
        originAlertId: `${a.subscriptionId}_${groupOf(a.ruleId)}_microsoft.insights_metricAlerts_${a.ruleName}`,
        firedDateTime: iso(a.startMs),
        ...(a.resolvedMs === undefined ? {} : { resolvedDateTime: iso(a.resolvedMs) }),
        description: a.description,
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
        alertRuleID: a.ruleId,
        targetResourceType: a.targetResourceType.toLowerCase(),
        targetResourceGroup: groupOf(a.targetResource),
      },
      alertContext: alertContext(a),
      customProperties: customProperties ?? null,
    },
  };
}

/** An alert as the Alerts Management API (2019-05-05-preview) returns it. */
export function alertsManagementBody(a: AlertInstance, includeContext: boolean): Record<string, unknown> {
  return {
    id: alertResourceId(a),
    type: 'Microsoft.AlertsManagement/alerts',
    name: a.ruleName,
    properties: {
      essentials: {
        severity: severityName(a.severity),
        signalType: 'Metric',
        alertState: a.alertState,
        monitorCondition: a.monitorCondition,
        monitorService: 'Platform',
        targetResource: a.targetResource,
        targetResourceName: a.targetResource.split('/').pop(),
        targetResourceGroup: groupOf(a.targetResource),
        targetResourceType: a.targetResourceType,
        sourceCreatedId: `${a.ruleId.toLowerCase()}|${a.targetResource.toLowerCase()}`,
        alertRule: a.ruleId,
        startDateTime: iso(a.startMs),
        lastModifiedDateTime: iso(a.lastModifiedMs),
        ...(a.resolvedMs === undefined ? {} : { monitorConditionResolvedDateTime: iso(a.resolvedMs) }),
        lastModifiedUserName: 'System',
        actionStatus: { isSuppressed: false },
        description: a.description,
      },
      ...(includeContext ? { context: alertContext(a) } : {}),
    },
  };
}

/**
 * The metric alert schema a webhook gets without `useCommonAlertSchema` (`AzureMonitorMetricAlert`,
 * version 2.0): status Activated or Deactivated, the rule and the condition in `context`.
 */
export function metricAlertPayload(
  a: AlertInstance,
  customProperties: Record<string, string> | undefined,
): Record<string, unknown> {
  const e = a.evaluation;
  return {
    schemaId: 'AzureMonitorMetricAlert',
    data: {
      version: '2.0',
      properties: customProperties ?? {},
      status: a.monitorCondition === 'Fired' ? 'Activated' : 'Deactivated',
      context: {
        timestamp: iso(a.lastModifiedMs),
        id: a.ruleId,
        name: a.ruleName,
        description: a.description,
        conditionType: 'SingleResourceMultipleMetricCriteria',
        severity: String(a.severity),
        condition: {
          windowSize: e.windowSize,
          allOf: e.conditions.map(conditionOf),
        },
        subscriptionId: a.subscriptionId,
        resourceGroupName: groupOf(a.targetResource),
        resourceName: a.targetResource.split('/').pop(),
        resourceType: a.targetResourceType,
        resourceId: a.targetResource,
      },
    },
  };
}
