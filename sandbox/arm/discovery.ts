import { sendJson } from '../http.js';
import type { ArmContext, Routes } from './context.js';

/** The audiences a cloud's metadata lists for ARM; the sandbox's ARM accepts tokens for both. */
const ARM_AUDIENCES = ['https://management.core.windows.net/', 'https://management.azure.com/'];

/**
 * Cloud discovery, `GET /metadata/endpoints`: answered without a token, since clients read it before they
 * can sign in. `api-version=2015-01-01` has the original single-cloud shape; later versions answer a list
 * of clouds. Both point at the sandbox's own login and ARM endpoints.
 */
export function registerDiscovery(routes: Routes, ctx: ArmContext): void {
  routes.add(
    'GET',
    '/metadata/endpoints',
    (c) => {
      const login = ctx.identity.authorityHost;
      if (c.url.searchParams.get('api-version') === '2015-01-01') {
        sendJson(c.res, 200, {
          galleryEndpoint: 'https://gallery.azure.com/',
          graphEndpoint: 'https://graph.windows.net/',
          portalEndpoint: 'https://portal.azure.com/',
          authentication: { loginEndpoint: `${login}/`, audiences: ARM_AUDIENCES },
        });
        return;
      }
      sendJson(c.res, 200, [
        {
          name: 'AzureCloud',
          portal: 'https://portal.azure.com',
          authentication: {
            loginEndpoint: login,
            audiences: ARM_AUDIENCES,
            tenant: 'common',
            identityProvider: 'AAD',
          },
          resourceManager: `${ctx.armEndpoint}/`,
          graph: 'https://graph.windows.net/',
          graphAudience: 'https://graph.windows.net/',
          microsoftGraphResourceId: 'https://graph.microsoft.com/',
          logAnalyticsResourceId: 'https://api.loganalytics.io',
          appInsightsResourceId: 'https://api.applicationinsights.io',
          suffixes: {
            acrLoginServer: 'azurecr.io',
            keyVaultDns: 'vault.azure.net',
            storage: 'core.windows.net',
          },
        },
      ]);
    },
    { anonymous: true },
  );
}
