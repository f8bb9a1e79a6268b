import { sendJson } from '../../../http.js';
import { type ArmContext, RG, type Routes, SANDBOX_LOCATIONS, SUB } from '../../context.js';
import { Plans } from './plans.js';
import { Publishing } from './publishing.js';
import { PLAN_TYPE, PLANS, SITE, SITE_TYPE, SLOT, SLOT_TYPE } from './resources.js';
import { Sites } from './sites.js';
import { Swaps } from './swap.js';

const API_VERSIONS = [
  '2025-05-01',
  '2024-11-01',
  '2024-04-01',
  '2023-12-01',
  '2023-01-01',
  '2022-09-01',
  '2022-03-01',
];

/** Microsoft.Web: App Service plans, sites and slots, their config, swaps, instances and operation results. */
export function registerWeb(routes: Routes, ctx: ArmContext): void {
  const sites = new Sites(ctx);
  const plans = new Plans(ctx);
  const swaps = new Swaps(ctx);
  const publishing = new Publishing(ctx);
  routes.add('GET', `${SUB}/providers/microsoft\\.web/serverfarms`, (c) =>
    ctx.list(c, PLAN_TYPE, `/subscriptions/${c.m[1]}/`, (p) => sites.planBody(p)),
  );
  routes.add('GET', PLANS, (c) => ctx.list(c, PLAN_TYPE, ctx.groupPrefix(c.m), (p) => sites.planBody(p)));
  routes.add('GET', `${PLANS}/([^/]+)`, (c) => sendJson(c.res, 200, sites.planBody(sites.requirePlan(c.m))));
  routes.add('PUT', `${PLANS}/([^/]+)`, (c) => plans.putPlan(c, false));
  routes.add('PATCH', `${PLANS}/([^/]+)`, (c) => plans.putPlan(c, true));
  routes.add('DELETE', `${PLANS}/([^/]+)`, (c) => plans.deletePlan(c));
  routes.add('GET', `${SUB}/providers/microsoft\\.web/sites`, (c) =>
    ctx.list(c, SITE_TYPE, `/subscriptions/${c.m[1]}/`, (s) => sites.siteBody(s)),
  );
  routes.add('GET', `${RG}/providers/microsoft\\.web/sites`, (c) => sites.listSites(c));
  routes.add('GET', `${SITE}/slots`, (c) =>
    ctx.list(c, SLOT_TYPE, `${sites.requireSite(c.m).id}/slots/`, (s) => sites.siteBody(s)),
  );
  routes.add('GET', `${SITE}${SLOT}`, (c) => sendJson(c.res, 200, sites.siteBody(sites.requireSite(c.m))));
  routes.add('PUT', `${SITE}${SLOT}`, (c) => sites.putSite(c));
  routes.add('PATCH', `${SITE}${SLOT}`, (c) => sites.patchSite(c));
  routes.add('DELETE', `${SITE}${SLOT}`, (c) => sites.deleteSite(c));
  routes.add('GET', `${SITE}${SLOT}/config`, (c) =>
    sendJson(c.res, 200, { value: [sites.configWebBody(sites.requireSite(c.m))], nextLink: null }),
  );
  routes.add('GET', `${SITE}${SLOT}/config/web`, (c) =>
    sendJson(c.res, 200, sites.configWebBody(sites.requireSite(c.m))),
  );
  routes.add('PUT', `${SITE}${SLOT}/config/web`, (c) => sites.updateConfigWeb(c));
  routes.add('PATCH', `${SITE}${SLOT}/config/web`, (c) => sites.updateConfigWeb(c));
  routes.add('PUT', `${SITE}${SLOT}/config/appsettings`, (c) => sites.putAppSettings(c));
  routes.add('POST', `${SITE}${SLOT}/config/appsettings/list`, (c) =>
    sendJson(c.res, 200, sites.appSettingsBody(sites.requireSite(c.m))),
  );
  routes.add('GET', `${SITE}/config/slotconfignames`, (c) =>
    sendJson(c.res, 200, sites.slotConfigNamesBody(sites.requireSite(c.m))),
  );
  routes.add('PUT', `${SITE}/config/slotconfignames`, (c) => sites.putSlotConfigNames(c));
  routes.add('POST', `${SITE}${SLOT}/slotsswap`, (c) => swaps.swap(c));
  routes.add('POST', `${SITE}${SLOT}/slotsdiffs`, (c) => swaps.slotsDiffs(c));
  routes.add('POST', `${SITE}${SLOT}/applyslotconfig`, (c) => swaps.applySlotConfig(c));
  routes.add('POST', `${SITE}${SLOT}/resetslotconfig`, (c) => swaps.resetSlotConfig(c));
  routes.add('POST', `${SITE}${SLOT}/restart`, (c) => sites.restart(c));
  routes.add('POST', `${SITE}${SLOT}/start`, (c) => sites.setState(c, 'Running'));
  routes.add('POST', `${SITE}${SLOT}/stop`, (c) => sites.setState(c, 'Stopped'));
  routes.add('POST', `${SITE}${SLOT}/publishxml`, (c) => publishing.publishXml(c));
  routes.add('GET', `${SITE}${SLOT}/instances`, (c) => sites.listInstances(c));
  routes.add('GET', `${SITE}${SLOT}/instances/([^/]+)`, (c) => sites.getInstance(c));
  routes.add('GET', `${SUB}/providers/microsoft\\.web/sites/([^/]+)/operationresults/([^/]+)`, (c) =>
    ctx.operations.sendAsyncStatus(c, c.m[3]!),
  );
  routes.add('GET', `${SUB}/providers/microsoft\\.web/locations/([^/]+)/operationresults/([^/]+)`, (c) =>
    ctx.operations.sendLocationStatus(c, c.m[3]!),
  );
  ctx.providers.push({
    namespace: 'Microsoft.Web',
    resourceTypes: [
      'sites',
      'sites/slots',
      'serverfarms',
      'locations/operationResults',
      'sites/operationResults',
    ].map((resourceType) => ({ resourceType, locations: [...SANDBOX_LOCATIONS], apiVersions: API_VERSIONS })),
  });
}
