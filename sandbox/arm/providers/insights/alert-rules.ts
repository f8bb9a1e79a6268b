import { ACTION_GROUP_TYPE, METRIC_ALERT_TYPE, SINGLE_RESOURCE } from '../../../alerts/evaluate.js';
import { HttpProblem, sendJson } from '../../../http.js';
import { parseDuration } from '../../../iso8601.js';
import { METRIC_CATALOG } from '../../../metrics/catalog.js';
import { validateAgainstSchema } from '../../../schema.js';
import type { StoredResource } from '../../../store.js';
import { type Call, notFound, ProviderBase, trackedResourceBody } from '../../context.js';
import { ACTION_GROUP_SCHEMA, METRIC_ALERT_SCHEMA } from './alert-schemas.js';

/** The path segment (lower case) → what the provider stores under it. */
const ALERT_KINDS = {
  actiongroups: { type: ACTION_GROUP_TYPE, segment: 'actionGroups' },
  metricalerts: { type: METRIC_ALERT_TYPE, segment: 'metricAlerts' },
} as const;
type Kind = keyof typeof ALERT_KINDS;

const RECEIVER_KINDS = [
  'emailReceivers',
  'smsReceivers',
  'webhookReceivers',
  'itsmReceivers',
  'azureAppPushReceivers',
  'automationRunbookReceivers',
  'voiceReceivers',
  'logicAppReceivers',
  'azureFunctionReceivers',
  'armRoleReceivers',
  'eventHubReceivers',
];
/** Receiver kinds that carry `useCommonAlertSchema` (default false). */
const COMMON_SCHEMA_KINDS = [
  'logicAppReceivers',
  'azureFunctionReceivers',
  'armRoleReceivers',
  'automationRunbookReceivers',
  'eventHubReceivers',
];
const FREQUENCIES = ['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H'];
const WINDOWS = ['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'P1D'];

/** One static/dynamic criterion of a single-resource rule, checked alone so an error names its field. */
const CRITERION_SCHEMA = {
  definitions: METRIC_ALERT_SCHEMA['definitions'],
  $ref: '#/definitions/MetricCriteria',
};

/** `Microsoft.Web/sites/slots` from `…/providers/Microsoft.Web/sites/a/slots/b`. */
function typeOf(resourceId: string): string {
  const [namespace = '', ...rest] = resourceId
    .split(/\/providers\//i)
    .pop()!
    .split('/');
  return [namespace, ...rest.filter((_, i) => i % 2 === 0)].join('/');
}

const bad = (message: string) => new HttpProblem(400, 'BadRequest', message);

/**
 * Action groups and metric alert rules (both `location: global`): PUT validated against the official
 * schema (code `InvalidRequestContent`) and the service's own rules (`BadRequest`), GET, DELETE and lists.
 * The data plane's metric-alert engine evaluates the rules; this provider only stores them.
 */
export class AlertRules extends ProviderBase {
  private kind(c: Call): Kind {
    return c.m[3]!.toLowerCase() as Kind;
  }

  private idOf(c: Call): string {
    return `${this.requireGroup(c.m).id}/providers/Microsoft.Insights/${ALERT_KINDS[this.kind(c)].segment}/${c.m[4]}`;
  }

  get(c: Call): void {
    const found = this.store.get(this.idOf(c));
    if (!found) throw notFound(ALERT_KINDS[this.kind(c)].type, c.m[4]!, c.m[2]!);
    sendJson(c.res, 200, this.body(found));
  }

  body(r: StoredResource): Record<string, unknown> {
    // Azure spells the action group type `Microsoft.Insights/ActionGroups` in its answers.
    const type = r.type === ACTION_GROUP_TYPE ? 'Microsoft.Insights/ActionGroups' : r.type;
    const identity = r.internal?.['identity'];
    return { ...trackedResourceBody(r, r.properties), type, ...(identity ? { identity } : {}) };
  }

  listGroup(c: Call): void {
    this.list(c, ALERT_KINDS[this.kind(c)].type, this.groupPrefix(c.m), (r) => this.body(r));
  }

  listSubscription(c: Call): void {
    this.list(c, ALERT_KINDS[c.m[2]!.toLowerCase() as Kind].type, `/subscriptions/${c.m[1]}/`, (r) =>
      this.body(r),
    );
  }

  async put(c: Call): Promise<void> {
    const kind = this.kind(c);
    const id = this.idOf(c);
    const existing = this.store.get(id);
    const body = await this.objectBody(c);
    const saved = this.store.put(
      kind === 'actiongroups' ? this.actionGroup(id, c.m[4]!, body) : this.metricAlert(id, c.m[4]!, body),
    );
    // ActionGroups_CreateOrUpdate answers 201 for a new group; MetricAlerts_CreateOrUpdate always 200.
    sendJson(c.res, existing || kind === 'metricalerts' ? 200 : 201, this.body(saved));
  }

  delete(c: Call): void {
    const deleted = this.store.delete(this.idOf(c));
    sendJson(c.res, deleted ? 200 : 204, undefined);
  }

  private schemaCheck(schema: Record<string, unknown>, body: Record<string, unknown>, what: string): void {
    const problem = validateAgainstSchema(schema, body);
    if (problem) throw new HttpProblem(400, 'InvalidRequestContent', `The ${what} is invalid: ${problem}.`);
  }

  private actionGroup(id: string, name: string, body: Record<string, unknown>): StoredResource {
    this.schemaCheck(ACTION_GROUP_SCHEMA, body, 'action group');
    const p = body['properties'] as Record<string, unknown>;
    const properties: Record<string, unknown> = { ...p };
    // Azure answers every receiver list (empty when not given), e-mail and SMS receivers with a status.
    for (const kind of RECEIVER_KINDS) {
      const list = (p[kind] ?? []) as Record<string, unknown>[];
      properties[kind] = list.map((r) => {
        if (kind === 'webhookReceivers') return { useCommonAlertSchema: false, useAadAuth: false, ...r };
        if (kind === 'emailReceivers') return { useCommonAlertSchema: false, ...r, status: 'Enabled' };
        if (kind === 'smsReceivers') return { ...r, status: 'Enabled' };
        return COMMON_SCHEMA_KINDS.includes(kind) ? { useCommonAlertSchema: false, ...r } : r;
      });
    }
    return {
      id,
      name,
      type: ACTION_GROUP_TYPE,
      location: String(body['location']),
      tags: (body['tags'] as Record<string, string>) ?? {},
      properties,
      // Stored and answered as given; the sandbox has no managed identities to check it against.
      ...(body['identity'] ? { internal: { identity: body['identity'] } } : {}),
    };
  }

  private metricAlert(id: string, name: string, body: Record<string, unknown>): StoredResource {
    // The schema's criteria are a oneOf by odata.type, whose first failing branch Ajv reports: check the
    // criteria of the type the body names first, so the error names the field that is wrong.
    const named = (
      body['properties'] as { criteria?: { 'odata.type'?: unknown; allOf?: unknown } } | undefined
    )?.criteria;
    if (named?.['odata.type'] === SINGLE_RESOURCE && Array.isArray(named.allOf))
      named.allOf.forEach((criterion, i) => {
        const problem = validateAgainstSchema(CRITERION_SCHEMA, criterion);
        if (problem)
          throw new HttpProblem(
            400,
            'InvalidRequestContent',
            `The metric alert is invalid: properties.criteria.allOf[${i}]${/^[a-z]/i.test(problem) && !problem.startsWith('must') ? '.' : ' '}${problem}.`,
          );
      });
    this.schemaCheck(METRIC_ALERT_SCHEMA, body, 'metric alert');
    if (String(body['location']).toLowerCase() !== 'global')
      throw bad(`A metric alert's location must be 'global', not '${String(body['location'])}'.`);
    const p = body['properties'] as Record<string, unknown>;
    const severity = p['severity'] as number;
    if (!Number.isInteger(severity) || severity < 0 || severity > 4)
      throw bad(`properties.severity must be 0, 1, 2, 3 or 4, not ${severity}.`);
    const frequency = String(p['evaluationFrequency']);
    if (!FREQUENCIES.includes(frequency.toUpperCase()))
      throw bad(
        `properties.evaluationFrequency must be one of ${FREQUENCIES.join(', ')}, not '${frequency}'.`,
      );
    const window = p['windowSize'] === undefined ? undefined : String(p['windowSize']);
    if (window !== undefined && !WINDOWS.includes(window.toUpperCase()))
      throw bad(`properties.windowSize must be one of ${WINDOWS.join(', ')}, not '${window}'.`);
    if (window !== undefined && parseDuration(window)! < parseDuration(frequency)!)
      throw bad('properties.windowSize must not be shorter than properties.evaluationFrequency.');
    const scopes = p['scopes'] as string[];
    if (scopes.length === 0) throw bad('properties.scopes must name at least one resource.');
    const criteria = p['criteria'] as Record<string, unknown>;
    if (criteria['odata.type'] === SINGLE_RESOURCE) {
      if (scopes.length !== 1)
        throw bad('SingleResourceMultipleMetricCriteria needs exactly one resource in properties.scopes.');
      this.checkMetrics(scopes[0]!, (criteria['allOf'] ?? []) as Record<string, unknown>[]);
    }
    const scope = this.store.get(scopes[0]!);
    return {
      id,
      name,
      type: METRIC_ALERT_TYPE,
      location: 'global',
      tags: (body['tags'] as Record<string, string>) ?? {},
      properties: {
        description: '',
        autoMitigate: true,
        ...p,
        // Azure reads keys case-insensitively (`webhookProperties` too) and answers `webHookProperties`.
        actions: ((p['actions'] ?? []) as Record<string, unknown>[]).map((a) => ({
          actionGroupId: a['actionGroupId'],
          webHookProperties: a['webHookProperties'] ?? a['webhookProperties'] ?? {},
        })),
        // Azure answers the scopes' type and region (given, or read from the first scope).
        targetResourceType: p['targetResourceType'] ?? scope?.type ?? typeOf(scopes[0]!),
        targetResourceRegion: p['targetResourceRegion'] ?? scope?.location ?? '',
        scopes: scopes.map((s) => this.store.get(s)?.id ?? s),
        isMigrated: false,
        lastUpdatedTime: new Date(this.clock.now()).toISOString(),
      },
    };
  }

  /** As Azure validates: a criterion's metric must exist on the resource (unless skipMetricValidation). */
  private checkMetrics(scope: string, allOf: Record<string, unknown>[]): void {
    const resource = this.store.get(scope);
    const catalog = resource ? METRIC_CATALOG[resource.type.toLowerCase()] : undefined;
    if (!resource || !catalog) return;
    for (const c of allOf) {
      if (c['skipMetricValidation'] === true) continue;
      const metric = String(c['metricName']);
      if (!catalog.metrics.some((d) => d.name.toLowerCase() === metric.toLowerCase()))
        throw bad(
          `Couldn't find a metric named '${metric}' for resource type '${resource.type}'; valid metrics: ${catalog.metrics.map((d) => d.name).join(', ')}.`,
        );
      const namespace = c['metricNamespace'];
      if (typeof namespace === 'string' && namespace.toLowerCase() !== catalog.namespace.toLowerCase())
        throw bad(
          `Metric namespace '${namespace}' is not valid for '${resource.type}'; use '${catalog.namespace}'.`,
        );
    }
  }
}
