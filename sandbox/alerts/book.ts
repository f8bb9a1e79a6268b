/**
 * The alerts the metric-alert engine raised and the notifications it sent or recorded. The engine (data
 * plane) writes it; the Alerts Management API (ARM) and the admin API read it. Shared by both, so it
 * lives outside the providers and the data plane, as the Activity Log does. In memory only.
 */

/** One condition of a metric alert as the engine evaluated it (the common alert schema's `allOf[]`). */
export interface EvaluatedCondition {
  name: string;
  metricName: string;
  metricNamespace: string;
  operator: string;
  threshold: number;
  timeAggregation: string;
  dimensions: { name: string; value: string }[];
  /** Undefined when the window held no data (a count metric without samples reads 0 instead). */
  metricValue: number | undefined;
  met: boolean;
}

/** The evaluation an alert's state rests on: its window and every condition's value. */
export interface Evaluation {
  windowStartMs: number;
  windowEndMs: number;
  windowSize: string;
  conditions: EvaluatedCondition[];
  met: boolean;
}

export type MonitorCondition = 'Fired' | 'Resolved';
export type AlertState = 'New' | 'Acknowledged' | 'Closed';

/** One alert: a rule's firing, from Fired to Resolved, under one stable id. */
export interface AlertInstance {
  /** A GUID; the Alerts Management id is `/subscriptions/{sub}/providers/Microsoft.AlertsManagement/alerts/{id}`. */
  id: string;
  subscriptionId: string;
  ruleId: string;
  ruleName: string;
  severity: number;
  description: string;
  targetResource: string;
  targetResourceType: string;
  monitorCondition: MonitorCondition;
  alertState: AlertState;
  startMs: number;
  resolvedMs?: number;
  lastModifiedMs: number;
  /** The evaluation that fired the alert, then the one that resolved it. */
  evaluation: Evaluation;
}

/** What the sandbox did for one receiver of an action group, for one state change of an alert. */
export interface Notification {
  timeMs: number;
  alertId: string;
  ruleId: string;
  monitorCondition: MonitorCondition;
  severity: string;
  actionGroupId: string;
  /** `webhook`, `email`, `sms`, `voice`, `azureAppPush`, or another receiver kind (never delivered). */
  receiverType: string;
  receiverName: string;
  /** Where it went: a webhook's origin and path (never its query string), an address, a phone number. */
  to: string;
  /** `Delivered` (2xx), `Failed` (after the retries), `Skipped` (see reason), `Recorded` (e-mail, SMS, voice, push: never sent). */
  status: 'Delivered' | 'Failed' | 'Skipped' | 'Recorded';
  attempts?: number;
  httpStatus?: number;
  reason?: string;
  /** What an e-mail, SMS, voice call or push would have said. */
  subject?: string;
  text?: string;
}

/** Alerts and notifications kept (the newest): a stateless rule adds one at every met evaluation. */
export const ALERT_BOOK_LIMIT = 1000;

export class AlertBook {
  private readonly alerts: AlertInstance[] = [];
  private readonly sent: Notification[] = [];

  constructor(private readonly limit = ALERT_BOOK_LIMIT) {}

  add(alert: AlertInstance): void {
    this.alerts.push(alert);
    if (this.alerts.length > this.limit) this.alerts.shift();
  }

  /** Every alert, oldest first. */
  list(): readonly AlertInstance[] {
    return this.alerts;
  }

  get(id: string): AlertInstance | undefined {
    return this.alerts.find((a) => a.id.toLowerCase() === id.toLowerCase());
  }

  record(notification: Notification): void {
    this.sent.push(notification);
    if (this.sent.length > this.limit) this.sent.shift();
  }

  /** Every notification, in the order they completed. */
  notifications(): readonly Notification[] {
    return this.sent;
  }
}
