import type { AlertInstance, AlertState } from '../../../alerts/book.js';
import { alertsManagementBody } from '../../../alerts/payload.js';
import { HttpProblem, sendJson } from '../../../http.js';
import { authorize } from '../../auth.js';
import { type ArmContext, type Call, type Routes, SUB } from '../../context.js';

const ALERTS = `${SUB}/providers/microsoft\\.alertsmanagement/alerts`;
const TIME_RANGES: Record<string, number> = {
  '1h': 3_600_000,
  '1d': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};
const STATES: AlertState[] = ['New', 'Acknowledged', 'Closed'];

/**
 * Microsoft.AlertsManagement: the alerts the metric-alert engine raised (Alerts_GetAll, Alerts_GetById,
 * Alerts_ChangeState). Any signed-in caller may call it and sees the alerts on resources where it may read.
 */
export function registerAlertsManagement(routes: Routes, ctx: ArmContext): void {
  const visible = (c: Call, a: AlertInstance) => {
    try {
      authorize(c.caller, 'GET', a.targetResource, ctx.store);
      return true;
    } catch {
      return false;
    }
  };
  const find = (c: Call): AlertInstance => {
    const alert = ctx.hooks.alerts.get(c.m[2]!);
    if (!alert || !visible(c, alert))
      throw new HttpProblem(404, 'ResourceNotFound', `The alert '${c.m[2]}' was not found.`);
    return alert;
  };
  const param = (c: Call, name: string) => {
    for (const [k, v] of c.url.searchParams) if (k.toLowerCase() === name.toLowerCase()) return v;
    return undefined;
  };
  routes.add(
    'GET',
    ALERTS,
    (c) => {
      const range = param(c, 'timeRange') ?? '1d';
      const span = TIME_RANGES[range];
      if (!span)
        throw new HttpProblem(400, 'BadRequest', `Invalid timeRange '${range}': expected 1h, 1d, 7d or 30d.`);
      const since = ctx.clock.now() - span;
      // Filters Alerts_GetAll documents; values compare case-insensitively.
      const filters: [string, (a: AlertInstance) => string][] = [
        ['targetResource', (a) => a.targetResource],
        ['targetResourceType', (a) => a.targetResourceType],
        ['targetResourceGroup', (a) => /\/resourcegroups\/([^/]+)/i.exec(a.targetResource)?.[1] ?? ''],
        ['monitorCondition', (a) => a.monitorCondition],
        ['severity', (a) => `Sev${a.severity}`],
        ['alertState', (a) => a.alertState],
        ['alertRule', (a) => a.ruleId],
        ['monitorService', () => 'Platform'],
      ];
      const includeContext = param(c, 'includeContext')?.toLowerCase() === 'true';
      const value = ctx.hooks.alerts
        .list()
        .filter((a) => a.lastModifiedMs >= since && visible(c, a))
        .filter((a) =>
          filters.every(([name, read]) => {
            const wanted = param(c, name);
            return wanted === undefined || wanted.toLowerCase() === read(a).toLowerCase();
          }),
        )
        .sort((a, b) => b.lastModifiedMs - a.lastModifiedMs)
        .map((a) => alertsManagementBody(a, includeContext));
      sendJson(c.res, 200, { value, nextLink: null });
    },
    { anyCaller: true },
  );
  routes.add('GET', `${ALERTS}/([^/]+)`, (c) => sendJson(c.res, 200, alertsManagementBody(find(c), true)), {
    anyCaller: true,
  });
  routes.add(
    'POST',
    `${ALERTS}/([^/]+)/changestate`,
    (c) => {
      const alert = find(c);
      authorize(c.caller, 'POST', alert.targetResource, ctx.store);
      const wanted = param(c, 'newState') ?? '';
      const state = STATES.find((s) => s.toLowerCase() === wanted.toLowerCase());
      if (!state)
        throw new HttpProblem(
          400,
          'BadRequest',
          `Invalid newState '${wanted}': expected New, Acknowledged or Closed.`,
        );
      alert.alertState = state;
      alert.lastModifiedMs = ctx.clock.now();
      sendJson(c.res, 200, alertsManagementBody(alert, true));
    },
    { anyCaller: true },
  );
  ctx.providers.push({
    namespace: 'Microsoft.AlertsManagement',
    resourceTypes: [
      { resourceType: 'alerts', locations: [], apiVersions: ['2024-01-01-preview', '2019-05-05-preview'] },
    ],
  });
}
