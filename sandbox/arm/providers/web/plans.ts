import { HttpProblem, isObject, sendJson } from '../../../http.js';
import { type Call, notFound } from '../../context.js';
import { WebBase } from './base.js';
import { newPlan, PLAN_TYPE, SITE_TYPE } from './resources.js';

/** App Service plans (server farms): create, update (capacity 1 to 30), delete once no site uses them. */
export class Plans extends WebBase {
  async putPlan(c: Call, patch: boolean): Promise<void> {
    const group = this.requireGroup(c.m);
    const id = `${group.id}/providers/Microsoft.Web/serverfarms/${c.m[3]}`;
    const existing = this.store.get(id);
    if (patch && !existing) throw notFound(PLAN_TYPE, c.m[3]!, c.m[2]!);
    const body = await this.objectBody(c);
    const location = this.requireLocation(body, existing);
    const sku = {
      ...(existing?.sku ?? { name: 'P1v3', tier: 'PremiumV3', size: 'P1v3', family: 'Pv3', capacity: 1 }),
      ...(isObject(body['sku']) ? body['sku'] : {}),
    };
    if (
      !Number.isInteger(sku['capacity']) ||
      (sku['capacity'] as number) < 1 ||
      (sku['capacity'] as number) > 30
    ) {
      throw new HttpProblem(400, 'BadRequest', 'sku.capacity must be a whole number from 1 to 30.');
    }
    const plan = this.store.put(
      newPlan(
        id,
        c.m[3]!,
        group.name,
        location,
        sku,
        {
          ...existing?.properties,
          ...(isObject(body['properties']) ? body['properties'] : {}),
        },
        (body['tags'] as Record<string, string>) ?? existing?.tags,
      ),
    );
    sendJson(c.res, existing || patch ? 200 : 201, this.planBody(plan));
  }

  deletePlan(c: Call): void {
    const plan = this.requirePlan(c.m);
    const sites = this.store
      .list(SITE_TYPE)
      .filter((s) => String(s.properties['serverFarmId']).toLowerCase() === plan.id.toLowerCase());
    if (sites.length) {
      throw new HttpProblem(
        409,
        'Conflict',
        `Server farm '${plan.name}' cannot be deleted because it has web app(s) ${sites.map((s) => s.name).join(',')} assigned to it.`,
      );
    }
    this.store.delete(plan.id);
    sendJson(c.res, 200, undefined);
  }
}
