import { HttpProblem, isObject, sendJson } from '../../../http.js';
import { parseDuration } from '../../../iso8601.js';
import { validateAgainstSchema } from '../../../schema.js';
import type { StoredResource } from '../../../store.js';
import { type Call, notFound, ProviderBase, trackedResourceBody } from '../../context.js';
import { AUTOSCALE_SETTING_SCHEMA } from './autoscale-schema.js';

export const AUTOSCALE_TYPE = 'Microsoft.Insights/autoscaleSettings';

/** Autoscale settings: CRUD, and the service's validation (schema, one setting per target, capacity and time limits). */
export class Autoscale extends ProviderBase {
  requireAutoscale(m: string[]): StoredResource {
    const setting = this.store.get(
      `${this.requireGroup(m).id}/providers/microsoft.insights/autoscalesettings/${m[3]}`,
    );
    if (!setting) throw notFound('microsoft.insights/autoscalesettings', m[3]!, m[2]!);
    return setting;
  }

  get(c: Call): void {
    sendJson(c.res, 200, this.autoscaleBody(this.requireAutoscale(c.m)));
  }

  autoscaleBody(setting: StoredResource): Record<string, unknown> {
    return trackedResourceBody(setting, setting.properties);
  }

  async putAutoscale(c: Call, patch: boolean): Promise<void> {
    const group = this.requireGroup(c.m);
    const id = `${group.id}/providers/microsoft.insights/autoscalesettings/${c.m[3]}`;
    const existing = this.store.get(id);
    if (patch && !existing) throw notFound('microsoft.insights/autoscalesettings', c.m[3]!, c.m[2]!);
    const body = await this.objectBody(c);
    const merged = patch
      ? {
          location: existing!.location,
          tags: (body['tags'] as Record<string, string>) ?? existing!.tags,
          properties: {
            ...existing!.properties,
            ...(isObject(body['properties']) ? body['properties'] : {}),
          },
        }
      : body;
    const saved = this.store.put(await this.validateAutoscale(id, c.m[3]!, merged));
    sendJson(c.res, existing ? 200 : 201, this.autoscaleBody(saved));
  }

  /** Validate an AutoscaleSettingResource against the schema and the service's own rules; returns the record to store. */
  async validateAutoscale(id: string, name: string, body: Record<string, unknown>): Promise<StoredResource> {
    const problem = validateAgainstSchema(AUTOSCALE_SETTING_SCHEMA, body);
    if (problem)
      throw new HttpProblem(400, 'InvalidRequestContent', `The autoscale setting is invalid: ${problem}.`);
    const properties = body['properties'] as Record<string, unknown>;
    const profiles = properties['profiles'] as Record<string, unknown>[];
    const target = properties['targetResourceUri'];
    if (typeof target !== 'string' || target === '') {
      throw new HttpProblem(400, 'BadRequest', "The autoscale setting must have a 'targetResourceUri'.");
    }
    const targetResource = this.store.get(target);
    if (!targetResource)
      throw new HttpProblem(
        400,
        'BadRequest',
        `The target resource '${target}' of the autoscale setting does not exist.`,
      );
    const others = this.store
      .list(AUTOSCALE_TYPE)
      .filter(
        (a) =>
          a.id.toLowerCase() !== id.toLowerCase() &&
          String(a.properties['targetResourceUri']).toLowerCase() === target.toLowerCase(),
      );
    if (others.length) {
      throw new HttpProblem(
        400,
        'BadRequest',
        `The target resource '${target}' already has an autoscale setting ('${others[0]!.name}'); a resource can have only one.`,
      );
    }
    profiles.forEach((profile, i) => {
      const capacity = profile['capacity'] as Record<string, string>;
      const [min, max, def] = [
        Number(capacity['minimum']),
        Number(capacity['maximum']),
        Number(capacity['default']),
      ];
      if (!(min <= def && def <= max)) {
        throw new HttpProblem(
          400,
          'BadRequest',
          `profiles[${i}].capacity: the default (${def}) must be between the minimum (${min}) and the maximum (${max}).`,
        );
      }
      if (max > 30)
        throw new HttpProblem(
          400,
          'BadRequest',
          `profiles[${i}].capacity.maximum ${max} exceeds the plan's maximum of 30 instances.`,
        );
      if (profile['fixedDate'] && profile['recurrence']) {
        throw new HttpProblem(
          400,
          'BadRequest',
          `profiles[${i}] may have a fixedDate or a recurrence, not both.`,
        );
      }
      (profile['rules'] as Record<string, Record<string, unknown>>[]).forEach((rule, j) => {
        const grain = parseDuration(String(rule['metricTrigger']!['timeGrain']));
        const window = parseDuration(String(rule['metricTrigger']!['timeWindow']));
        const cooldown = parseDuration(String(rule['scaleAction']!['cooldown']));
        const where = `profiles[${i}].rules[${j}]`;
        if (!grain || grain < 60_000 || grain > 12 * 3_600_000)
          throw new HttpProblem(
            400,
            'BadRequest',
            `${where}.metricTrigger.timeGrain must be from PT1M to PT12H.`,
          );
        if (!window || window < 5 * 60_000 || window > 12 * 3_600_000)
          throw new HttpProblem(
            400,
            'BadRequest',
            `${where}.metricTrigger.timeWindow must be from PT5M to PT12H.`,
          );
        if (window < grain)
          throw new HttpProblem(
            400,
            'BadRequest',
            `${where}.metricTrigger.timeWindow must not be shorter than the timeGrain.`,
          );
        if (!cooldown || cooldown < 60_000 || cooldown > 7 * 86_400_000)
          throw new HttpProblem(400, 'BadRequest', `${where}.scaleAction.cooldown must be from PT1M to P7D.`);
      });
    });
    return {
      id,
      name,
      type: AUTOSCALE_TYPE,
      location: String(body['location']),
      tags: (body['tags'] as Record<string, string>) ?? {},
      properties: {
        profiles,
        enabled: properties['enabled'] ?? true,
        notifications: properties['notifications'] ?? [],
        // The service echoes the look-ahead time as null when the client sets none.
        predictiveAutoscalePolicy: {
          scaleLookAheadTime: null,
          ...((properties['predictiveAutoscalePolicy'] as object) ?? { scaleMode: 'Disabled' }),
        },
        name,
        targetResourceUri: targetResource.id,
        targetResourceLocation: properties['targetResourceLocation'] ?? targetResource.location,
      },
    };
  }

  deleteAutoscale(c: Call): void {
    const group = this.requireGroup(c.m);
    const deleted = this.store.delete(`${group.id}/providers/microsoft.insights/autoscalesettings/${c.m[3]}`);
    sendJson(c.res, deleted ? 200 : 204, undefined);
  }
}
