import { type ArmContext, RG, type Routes, SANDBOX_LOCATIONS, SUB } from '../../context.js';
import { ACTIVITY_LOG_API_VERSIONS, ActivityLogs } from './activity-log.js';
import { AlertRules } from './alert-rules.js';
import { AUTOSCALE_TYPE, Autoscale } from './autoscale.js';
import { Metrics } from './metrics.js';

const AUTOSCALE = `${RG}/providers/microsoft\\.insights/autoscalesettings`;
const MONITOR = '(/subscriptions/.+)/providers/microsoft\\.insights';
const ALERT_RULES = `${RG}/providers/microsoft\\.insights/(actiongroups|metricalerts)`;

/** Microsoft.Insights: autoscale settings, action groups, metric alert rules, Azure Monitor metrics and the Activity Log. Returns the autoscale part, whose validation the seeding reuses. */
export function registerInsights(routes: Routes, ctx: ArmContext): Autoscale {
  const autoscale = new Autoscale(ctx);
  const metrics = new Metrics(ctx);
  const activityLogs = new ActivityLogs(ctx);
  routes.add('GET', `${SUB}/providers/microsoft\\.insights/autoscalesettings`, (c) =>
    autoscale.list(c, AUTOSCALE_TYPE, `/subscriptions/${c.m[1]}/`, (a) => autoscale.autoscaleBody(a)),
  );
  routes.add('GET', AUTOSCALE, (c) =>
    autoscale.list(c, AUTOSCALE_TYPE, autoscale.groupPrefix(c.m), (a) => autoscale.autoscaleBody(a)),
  );
  routes.add('GET', `${AUTOSCALE}/([^/]+)`, (c) => autoscale.get(c));
  routes.add('PUT', `${AUTOSCALE}/([^/]+)`, (c) => autoscale.putAutoscale(c, false));
  routes.add('PATCH', `${AUTOSCALE}/([^/]+)`, (c) => autoscale.putAutoscale(c, true));
  routes.add('DELETE', `${AUTOSCALE}/([^/]+)`, (c) => autoscale.deleteAutoscale(c));
  const alertRules = new AlertRules(ctx);
  routes.add('GET', `${SUB}/providers/microsoft\\.insights/(actiongroups|metricalerts)`, (c) =>
    alertRules.listSubscription(c),
  );
  routes.add('GET', ALERT_RULES, (c) => alertRules.listGroup(c));
  routes.add('GET', `${ALERT_RULES}/([^/]+)`, (c) => alertRules.get(c));
  routes.add('PUT', `${ALERT_RULES}/([^/]+)`, (c) => alertRules.put(c));
  routes.add('DELETE', `${ALERT_RULES}/([^/]+)`, (c) => alertRules.delete(c));
  routes.add('GET', `${MONITOR}/metrics`, (c) => metrics.answer(c, 'metrics'));
  routes.add('GET', `${MONITOR}/metricdefinitions`, (c) => metrics.answer(c, 'definitions'));
  routes.add('GET', `${MONITOR}/metricnamespaces`, (c) => metrics.answer(c, 'namespaces'));
  // Any signed-in caller: the answer holds only events on resources where the caller has a role.
  routes.add(
    'GET',
    `${SUB}/providers/microsoft\\.insights/eventtypes/management/values`,
    (c) => activityLogs.events(c),
    { anyCaller: true },
  );
  const monitorVersions = ['2024-02-01', '2023-10-01', '2021-05-01', '2018-01-01'];
  ctx.providers.push({
    namespace: 'Microsoft.Insights',
    resourceTypes: [
      {
        resourceType: 'autoscalesettings',
        locations: [...SANDBOX_LOCATIONS],
        apiVersions: ['2022-10-01', '2021-05-01-preview', '2015-04-01'],
      },
      {
        resourceType: 'actionGroups',
        locations: ['Global'],
        apiVersions: ['2023-01-01', '2022-06-01', '2021-09-01'],
      },
      {
        resourceType: 'metricAlerts',
        locations: ['Global'],
        apiVersions: ['2026-01-01', '2024-03-01-preview', '2018-03-01'],
      },
      { resourceType: 'metrics', locations: [...SANDBOX_LOCATIONS], apiVersions: monitorVersions },
      { resourceType: 'metricDefinitions', locations: [...SANDBOX_LOCATIONS], apiVersions: monitorVersions },
      { resourceType: 'eventtypes', locations: [], apiVersions: [...ACTIVITY_LOG_API_VERSIONS] },
      {
        resourceType: 'metricNamespaces',
        locations: [...SANDBOX_LOCATIONS],
        apiVersions: ['2024-02-01', '2017-12-01-preview'],
      },
    ],
  });
  return autoscale;
}
