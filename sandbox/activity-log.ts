import { randomUUID } from 'node:crypto';

/**
 * The sandbox's Activity Log: events as Azure Monitor's `ActivityLogs_List` (api-version 2015-04-01)
 * returns them (EventData), written by the autoscale engine (or the admin API) and read by the
 * Microsoft.Insights provider. Shared by both, so it lives outside the providers and the data plane.
 */

export interface LocalizableString {
  value: string;
  localizedValue: string;
}

/** EventData, as in the activityLogs_API swagger (the fields the sandbox fills). */
export interface EventData {
  authorization?: { action: string; role?: string; scope: string };
  caller?: string;
  channels?: string;
  claims?: Record<string, string>;
  correlationId: string;
  description: string;
  eventDataId: string;
  eventName: LocalizableString;
  category: LocalizableString;
  id: string;
  level: 'Critical' | 'Error' | 'Warning' | 'Informational' | 'Verbose';
  resourceGroupName: string;
  resourceProviderName: LocalizableString;
  resourceId: string;
  resourceType: LocalizableString;
  operationId: string;
  operationName: LocalizableString;
  /** Azure's properties are strings (a Dictionary<string, string>). */
  properties: Record<string, string>;
  status: LocalizableString;
  subStatus: LocalizableString;
  eventTimestamp: string;
  submissionTimestamp: string;
  subscriptionId: string;
}

/** Azure's autoscale events ("autoscale-resource-log-schema": Activity Logs, category Autoscale). */
export const AUTOSCALE_EVENTS = {
  'Autoscale scale up initiated': {
    eventName: 'AutoscaleAction',
    operation: 'Microsoft.Insights/AutoscaleSettings/Scaleup/Action',
  },
  'Autoscale scale up completed': {
    eventName: 'GetOperationStatusResult',
    operation: 'Microsoft.Insights/AutoscaleSettings/ScaleupResult/Action',
  },
  'Autoscale scale down initiated': {
    eventName: 'AutoscaleAction',
    operation: 'Microsoft.Insights/AutoscaleSettings/Scaledown/Action',
  },
  'Autoscale scale down completed': {
    eventName: 'GetOperationStatusResult',
    operation: 'Microsoft.Insights/AutoscaleSettings/ScaledownResult/Action',
  },
  // The operations list names no operation for these three; the sandbox uses the same pattern.
  Flapping: { eventName: 'Flapping', operation: 'Microsoft.Insights/AutoscaleSettings/Flapping/Action' },
  'Metric Failure': {
    eventName: 'MetricFailure',
    operation: 'Microsoft.Insights/AutoscaleSettings/MetricFailure/Action',
  },
  'Metric Recovery': {
    eventName: 'MetricRecovery',
    operation: 'Microsoft.Insights/AutoscaleSettings/MetricRecovery/Action',
  },
} as const;

export type AutoscaleEventName = keyof typeof AUTOSCALE_EVENTS;

export interface AutoscaleEventInput {
  event: AutoscaleEventName;
  /** The autoscale setting: the event's resourceId. */
  settingId: string;
  /** The scaled resource (the plan): `properties.ResourceName`. */
  targetResourceUri: string;
  timeMs: number;
  oldInstancesCount?: number;
  newInstancesCount?: number;
  /** Shared by an action's "initiated" and "completed" events. */
  correlationId?: string;
  status?: 'Succeeded' | 'Failed';
  description?: string;
  /** The active profile, as Azure puts it in `ActiveAutoscaleProfile` (a JSON string). */
  activeProfile?: unknown;
  lastScaleActionTimeMs?: number;
}

const localizable = (value: string, localizedValue = value): LocalizableString => ({ value, localizedValue });

/** .NET ticks (100 ns since 0001-01-01), as Azure's event ids end with. */
function ticks(ms: number): string {
  return (BigInt(ms) * 10_000n + 621_355_968_000_000_000n).toString();
}

/** One autoscale event in Azure's EventData shape. */
export function autoscaleEvent(input: AutoscaleEventInput): EventData {
  const kind = AUTOSCALE_EVENTS[input.event];
  const subscriptionId = /\/subscriptions\/([^/]+)/i.exec(input.settingId)?.[1] ?? '';
  const resourceGroupName = /\/resourceGroups\/([^/]+)/i.exec(input.settingId)?.[1] ?? '';
  const eventDataId = randomUUID();
  const correlationId = input.correlationId ?? randomUUID();
  const failed = input.status === 'Failed' || input.event === 'Metric Failure';
  const { oldInstancesCount: from, newInstancesCount: to } = input;
  const description =
    input.description ??
    (input.event.endsWith('initiated')
      ? `The autoscale engine attempting to scale resource '${input.targetResourceUri}' from ${from} instances count to ${to} instances count.`
      : input.event.endsWith('completed')
        ? `The autoscale engine ${failed ? 'failed to scale' : 'scaled'} resource '${input.targetResourceUri}' from ${from} instances count to ${to} instances count${failed ? '.' : ' completed successfully.'}`
        : input.event);
  const properties: Record<string, string> = {
    Description: description,
    ResourceName: input.targetResourceUri,
  };
  if (from !== undefined) properties['OldInstancesCount'] = String(from);
  if (to !== undefined) properties['NewInstancesCount'] = String(to);
  if (input.activeProfile !== undefined)
    properties['ActiveAutoscaleProfile'] = JSON.stringify(input.activeProfile);
  if (input.lastScaleActionTimeMs !== undefined)
    properties['LastScaleActionTime'] = new Date(input.lastScaleActionTimeMs).toUTCString();
  const timestamp = new Date(input.timeMs).toISOString();
  return {
    authorization: { action: kind.operation, scope: input.settingId },
    caller: 'Microsoft.Insights/autoscaleSettings',
    channels: 'Admin, Operation',
    claims: {
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/spn': 'Microsoft.Insights/autoscaleSettings',
    },
    correlationId,
    description,
    eventDataId,
    eventName: localizable(kind.eventName),
    category: localizable('Autoscale'),
    id: `${input.settingId}/events/${eventDataId}/ticks/${ticks(input.timeMs)}`,
    level: failed ? 'Error' : input.event === 'Flapping' ? 'Warning' : 'Informational',
    resourceGroupName,
    resourceProviderName: localizable('microsoft.insights'),
    resourceId: input.settingId,
    resourceType: localizable('microsoft.insights/autoscalesettings'),
    operationId: correlationId,
    operationName: localizable(kind.operation, input.event),
    properties,
    status: localizable(failed ? 'Failed' : 'Succeeded'),
    subStatus: localizable(''),
    eventTimestamp: timestamp,
    submissionTimestamp: timestamp,
    subscriptionId,
  };
}

/** The events, oldest first, kept for Azure's 90 days. */
export class ActivityLog {
  private readonly events: EventData[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    readonly retentionMs = 90 * 86_400_000,
  ) {}

  add(event: EventData): EventData {
    const at = Date.parse(event.eventTimestamp);
    let i = this.events.length;
    while (i > 0 && Date.parse(this.events[i - 1]!.eventTimestamp) > at) i--;
    this.events.splice(i, 0, event);
    const oldest = this.now() - this.retentionMs;
    while (this.events.length > 0 && Date.parse(this.events[0]!.eventTimestamp) < oldest) this.events.shift();
    return event;
  }

  list(): readonly EventData[] {
    return this.events;
  }
}
