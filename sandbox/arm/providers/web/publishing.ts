import { createHash } from 'node:crypto';
import { HttpProblem, isObject } from '../../../http.js';
import type { StoredResource } from '../../../store.js';
import type { Call } from '../../context.js';
import { WebBase } from './base.js';
import { SLOT_TYPE } from './resources.js';

const FORMATS = ['WebDeploy', 'Ftp', 'FileZilla3'];

const xmlAttr = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * `POST {site}/publishxml` (WebApps_ListPublishingProfileXmlWithSecrets): the publishing profile tools
 * import, with App Service's three profiles (Web Deploy, FTP, Zip Deploy). The sandbox has no SCM site, so
 * the password is a placeholder, stable per site, that grants nothing.
 */
export class Publishing extends WebBase {
  async publishXml(c: Call): Promise<void> {
    const resource = this.requireSite(c.m);
    const body = await c.body();
    const format = isObject(body) ? body['format'] : undefined;
    if (format !== undefined && format !== null && !FORMATS.includes(String(format))) {
      throw new HttpProblem(
        400,
        'BadRequest',
        `The parameter 'format' has an invalid value '${String(format)}'; use one of ${FORMATS.join(', ')}.`,
      );
    }
    c.res.writeHead(200, { 'content-type': 'application/xml' }).end(this.profileXml(resource));
  }

  private profileXml(resource: StoredResource): string {
    const name = resource.type === SLOT_TYPE ? resource.name.replace('/', '__') : resource.name;
    const host = String(resource.properties['defaultHostName']);
    const scm = host.replace(/^([^.]+)\./, '$1.scm.');
    const password = `sandbox-placeholder-${createHash('sha256').update(resource.id.toLowerCase()).digest('hex').slice(0, 32)}`;
    const common = {
      userPWD: password,
      destinationAppUrl: `https://${host}`,
      SQLServerDBConnectionString: '',
      mySQLDBConnectionString: '',
      hostingProviderForumLink: '',
      controlPanelLink: 'https://portal.azure.com',
      webSystem: 'WebSites',
    };
    const profile = (attrs: Record<string, string>) =>
      `<publishProfile ${Object.entries(attrs)
        .map(([k, v]) => `${k}="${xmlAttr(v)}"`)
        .join(' ')}><databases /></publishProfile>`;
    return `<publishData>${[
      profile({
        profileName: `${name} - Web Deploy`,
        publishMethod: 'MSDeploy',
        publishUrl: `${scm}:443`,
        msdeploySite: name,
        userName: `$${name}`,
        ...common,
      }),
      profile({
        profileName: `${name} - FTP`,
        publishMethod: 'FTP',
        publishUrl: `ftps://${scm}/site/wwwroot`,
        ftpPassiveMode: 'True',
        userName: `${name}\\$${name}`,
        ...common,
      }),
      profile({
        profileName: `${name} - Zip Deploy`,
        publishMethod: 'ZipDeploy',
        publishUrl: `${scm}:443`,
        userName: `$${name}`,
        ...common,
      }),
    ].join('')}</publishData>`;
  }
}
