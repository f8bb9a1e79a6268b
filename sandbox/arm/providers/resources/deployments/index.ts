import { randomUUID } from 'node:crypto';
import { HttpProblem, isObject, sendJson } from '../../../../http.js';
import type { AccessTokenClaims } from '../../../../login/entra-id.js';
import type { StoredResource } from '../../../../store.js';
import { authorize } from '../../../auth.js';
import { type ArmContext, type Call, ProviderBase, RG, SUB } from '../../../context.js';
import type { Router } from '../../../router.js';
import {
  computedProperties,
  computedPropertyNames,
  LIST_ACTION_TYPES,
  listAction,
  writeOnlyProperties,
} from './computed.js';
import { TemplateError } from './expressions.js';
import { templateHash } from './hash.js';
import { checkResourceBody, preflightFailure, type SchemaErrorDetail, templatePath } from './schemas.js';
import { type PlannedResource, TemplateRun } from './template.js';
import { type PropertyChange, propertyDelta } from './whatif.js';

export const DEPLOYMENT_TYPE = 'Microsoft.Resources/deployments';
const DEPLOYMENTS = `${RG}/providers/microsoft\\.resources/deployments`;
const API_VERSIONS = ['2025-04-01', '2024-11-01', '2024-03-01', '2022-09-01', '2021-04-01'];

/** One entry of `GET …/deployments/{name}/operations` as the engine records it. */
interface DeploymentOperation {
  operationId: string;
  provisioningState: 'Running' | 'Succeeded' | 'Failed';
  provisioningOperation: 'Create' | 'Update';
  timestamp: string;
  duration: string;
  statusCode?: string;
  statusMessage?: unknown;
  targetResource: { id: string; resourceType: string; resourceName: string; apiVersion: string };
}

/**
 * Microsoft.Resources/deployments at resource-group scope: PUT (an LRO with Azure-AsyncOperation), GET,
 * list, DELETE, validate, whatIf (an LRO with Location), operations. Types a provider here serves are written
 * through the sandbox's own front door with the caller's token (so they behave, and are authorized, as a
 * direct PUT); any other type is kept as a generic document that GET and DELETE on its id answer.
 */
export function registerDeployments(router: Router, ctx: ArmContext): void {
  const p = new Deployments(ctx, router);
  router.add('GET', DEPLOYMENTS, (c) =>
    ctx.list(c, DEPLOYMENT_TYPE, `${ctx.groupPrefix(c.m)}providers/microsoft.resources/deployments/`, (d) =>
      p.deploymentBody(p.current(d.id)!),
    ),
  );
  router.add('GET', `${DEPLOYMENTS}/([^/]+)`, (c) => sendJson(c.res, 200, p.deploymentBody(p.require(c))));
  router.add('PUT', `${DEPLOYMENTS}/([^/]+)`, (c) => p.put(c));
  router.add('DELETE', `${DEPLOYMENTS}/([^/]+)`, (c) => p.remove(c));
  router.add('POST', `${DEPLOYMENTS}/([^/]+)/validate`, (c) => p.validate(c));
  router.add('POST', `${DEPLOYMENTS}/([^/]+)/whatIf`, (c) => p.whatIf(c));
  router.add('GET', `${DEPLOYMENTS}/([^/]+)/operations`, (c) => p.operations(c));
  router.add('GET', `${DEPLOYMENTS}/([^/]+)/operationStatuses/([^/]+)`, (c) => p.status(c));
  router.add('GET', `${SUB}/operationresults/([^/]+)`, (c) => ctx.operations.sendLocationStatus(c, c.m[2]!));
  // list actions (listKeys) of the generic types that have them; the router's role check is the write one, as
  // Azure's `…/listKeys/action` is outside Reader's `*/read`.
  for (const type of LIST_ACTION_TYPES)
    router.add('POST', `(${RG}/providers/${type.replace('.', '\\.')}/[^/]+)/(list[a-z0-9]*)`, (c) =>
      sendJson(
        c.res,
        200,
        p.listBody(c.m[1]!, c.m[4]!, (m) => new HttpProblem(404, 'ResourceNotFound', m)),
      ),
    );
  // Generic documents: only when no provider serves the path.
  router.add('GET', `(${RG}/providers/[^/]+/.+)`, (c) => sendJson(c.res, 200, p.genericBody(c)), {
    fallback: true,
  });
  router.add('DELETE', `(${RG}/providers/[^/]+/.+)`, (c) => p.deleteGeneric(c), { fallback: true });
  const resources = ctx.providers.find((info) => info.namespace === 'Microsoft.Resources');
  resources?.resourceTypes.push({ resourceType: 'deployments', locations: [], apiVersions: API_VERSIONS });
}

class Deployments extends ProviderBase {
  /** Deployments this process is running (lower-cased ids): one persisted as running but not here was cut off by a restart. */
  private readonly active = new Set<string>();

  constructor(
    ctx: ArmContext,
    private readonly router: Router,
  ) {
    super(ctx);
  }

  private deploymentId(c: Call): string {
    return `${this.requireGroup(c.m).id}/providers/${DEPLOYMENT_TYPE}/${c.m[3]}`;
  }

  require(c: Call): StoredResource {
    const found = this.current(this.deploymentId(c));
    if (!found)
      throw new HttpProblem(404, 'DeploymentNotFound', `Deployment '${c.m[3]}' could not be found.`);
    return found;
  }

  /** The stored deployment; one the sandbox stopped in the middle of (a restart) is marked Failed first. */
  current(id: string): StoredResource | undefined {
    const found = this.store.get(id);
    const state = found?.properties['provisioningState'];
    if (found && (state === 'Accepted' || state === 'Running') && !this.active.has(found.id.toLowerCase())) {
      this.update(found.id, (d) => {
        d.properties['provisioningState'] = 'Failed';
        d.properties['error'] = {
          code: 'DeploymentFailed',
          message: 'The sandbox stopped while this deployment was running; deploy it again.',
        };
      });
      return this.store.get(id);
    }
    return found;
  }

  deploymentBody(d: StoredResource): Record<string, unknown> {
    return {
      id: d.id,
      name: d.name,
      type: DEPLOYMENT_TYPE,
      ...(d.tags ? { tags: d.tags } : {}),
      properties: d.properties,
    };
  }

  /** The template run a request body describes; a bad template is ARM's 400 InvalidTemplate. */
  private async prepare(
    c: Call,
  ): Promise<{ run: TemplateRun; group: StoredResource; body: Record<string, unknown> }> {
    const group = this.requireGroup(c.m);
    const body = await this.objectBody(c, 'a Deployment object');
    const properties = body['properties'];
    if (!isObject(properties))
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        "The request content was invalid: 'properties' is required.",
      );
    if (properties['templateLink'] !== undefined || properties['parametersLink'] !== undefined)
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        'templateLink and parametersLink are not supported in the slotline sandbox: send the template and parameters inline.',
      );
    if (!isObject(properties['template']))
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        "The request content was invalid: 'properties.template' is required.",
      );
    const mode = String(properties['mode'] ?? 'Incremental');
    if (mode.toLowerCase() === 'complete')
      throw new HttpProblem(
        400,
        'InvalidDeploymentMode',
        "Complete mode is not supported in the slotline sandbox (it would delete the group's other resources): use Incremental.",
      );
    if (mode.toLowerCase() !== 'incremental')
      throw new HttpProblem(
        400,
        'InvalidDeploymentMode',
        `The deployment mode '${mode}' is not valid: use Incremental.`,
      );
    const run = this.templateError(
      () =>
        new TemplateRun(
          properties['template'] as Record<string, unknown>,
          (properties['parameters'] ?? {}) as Record<string, unknown>,
          {
            subscriptionId: this.store.state.subscriptionId,
            tenantId: this.store.state.tenantId,
            resourceGroup: {
              id: group.id,
              name: group.name,
              location: group.location ?? this.store.state.location,
              ...(group.tags ? { tags: group.tags } : {}),
            },
            deploymentName: c.m[3]!,
            read: (id) => this.readSync(id),
            list: (fn, id) => this.listForTemplate(c.caller, fn, id),
          },
        ),
    );
    return { run, group, body };
  }

  /**
   * Template validation as ARM's preflight does it: the plan, every body, write permission on each resource,
   * then each generic resource's body against Microsoft's schema for its type and api-version (what a
   * resource provider's validation refuses on Azure). A value that reads a resource this deployment has yet
   * to create (`reference()`, `list*()`) cannot be known at preflight: it stays as its expression, which the
   * schemas accept wherever a value goes, so only that value goes unchecked (the deploy checks it).
   */
  private preflight(c: Call, run: TemplateRun): PlannedResource[] {
    const planned = this.templateError(() => run.plan());
    const bodies = new Map<PlannedResource, Record<string, unknown>>();
    for (const r of planned) {
      bodies.set(
        r,
        this.templateError(() => run.body(r, 'whatIf')),
      );
      authorize(c.caller, 'PUT', r.id, this.store);
    }
    const details: SchemaErrorDetail[] = [];
    for (const r of planned) {
      if (this.router.serves('PUT', r.id)) continue;
      const where = templatePath(run.template, r);
      const check = checkResourceBody(r, bodies.get(r)!, where, run.target.resourceGroup.location);
      if (check.ok) continue;
      // ARM refuses a type or api-version it has no provider for before it asks any provider.
      if (check.code !== 'InvalidRequestContent')
        throw new HttpProblem(400, check.code, check.message, {}, { target: r.id });
      details.push(check.detail);
    }
    if (details.length > 0) {
      const failed = preflightFailure(
        c.m[3]!,
        String(c.res.getHeader('x-ms-correlation-request-id') ?? ''),
        details,
      );
      throw new HttpProblem(400, 'InvalidTemplateDeployment', failed.message, {}, failed.extra);
    }
    return planned;
  }

  private templateError<T>(f: () => T): T {
    try {
      return f();
    } catch (error) {
      if (error instanceof TemplateError)
        throw new HttpProblem(400, error.code, error.message, {}, templateViolation(error));
      throw error;
    }
  }

  private baseProperties(run: TemplateRun, planned: PlannedResource[]): Record<string, unknown> {
    const providers = new Map<string, Set<string>>();
    for (const r of planned) {
      const [ns, ...rest] = r.type.split('/');
      if (!providers.has(ns!)) providers.set(ns!, new Set());
      providers.get(ns!)!.add(rest.join('/'));
    }
    return {
      templateHash: templateHash(run.template),
      parameters: run.parameters,
      mode: 'Incremental',
      providers: [...providers].map(([namespace, types]) => ({
        namespace,
        resourceTypes: [...types].map((resourceType) => ({ resourceType, locations: [] })),
      })),
      dependencies: planned
        .filter((r) => r.dependsOn.length > 0)
        .map((r) => ({
          id: r.id,
          resourceType: r.type,
          resourceName: r.name,
          dependsOn: r.dependsOn.map((d) => {
            const dep = planned.find((x) => x.id === d)!;
            return { id: d, resourceType: dep.type, resourceName: dep.name };
          }),
        })),
    };
  }

  async validate(c: Call): Promise<void> {
    const { run } = await this.prepare(c);
    const planned = this.preflight(c, run);
    sendJson(c.res, 200, {
      id: this.deploymentId(c),
      name: c.m[3],
      type: DEPLOYMENT_TYPE,
      properties: {
        ...this.baseProperties(run, planned),
        provisioningState: 'Succeeded',
        timestamp: new Date(this.clock.now()).toISOString(),
        duration: 'PT0S',
        correlationId: c.res.getHeader('x-ms-correlation-request-id'),
        validatedResources: planned.map((r) => ({ id: r.id })),
      },
    });
  }

  async put(c: Call): Promise<void> {
    // The body is read first: from here to the record's write nothing awaits, so two PUTs cannot both start.
    const { run, body } = await this.prepare(c);
    const id = this.deploymentId(c);
    const existing = this.current(id);
    const state = existing?.properties['provisioningState'];
    if (state === 'Accepted' || state === 'Running')
      throw new HttpProblem(
        409,
        'DeploymentActive',
        `Unable to edit or replace deployment '${c.m[3]}': previous deployment from '${String(existing!.properties['timestamp'])}' is still active (state: ${String(state)}). Please see https://aka.ms/arm-deploy-resources for usage details.`,
      );
    const planned = this.preflight(c, run);
    const started = this.clock.now();
    const operationId = randomUUID();
    const record = this.store.put({
      id,
      type: DEPLOYMENT_TYPE,
      name: c.m[3]!,
      ...(isObject(body['tags']) ? { tags: body['tags'] as Record<string, string> } : {}),
      properties: {
        ...this.baseProperties(run, planned),
        provisioningState: 'Accepted',
        timestamp: new Date(started).toISOString(),
        duration: 'PT0S',
        correlationId: String(c.res.getHeader('x-ms-correlation-request-id')),
        outputResources: [],
      },
      internal: { operations: [], asyncOperationId: operationId },
    });
    const apiVersion = c.url.searchParams.get('api-version')!;
    c.res.setHeader(
      'azure-asyncoperation',
      `${this.ctx.armEndpoint}${record.id}/operationStatuses/${operationId}?api-version=${apiVersion}`,
    );
    sendJson(c.res, existing ? 200 : 201, this.deploymentBody(record));
    const authorization = c.req.headers.authorization;
    this.active.add(record.id.toLowerCase());
    setImmediate(() => {
      this.execute(record.id, run, planned, authorization, started).catch((error: Error) => {
        console.error(`sandbox: deployment ${record.id}: ${error.stack ?? error}`);
        this.finish(record.id, started, { error: { code: 'InternalServerError', message: error.message } });
      });
    });
  }

  private update(id: string, f: (d: StoredResource) => void): void {
    const current = this.store.get(id);
    if (!current) return;
    const next = structuredClone(current);
    f(next);
    this.store.put(next);
  }

  private duration(from: number): string {
    return `PT${((this.clock.now() - from) / 1000).toFixed(3).replace(/\.?0+$/, '')}S`;
  }

  private finish(id: string, started: number, result: { outputs?: unknown; error?: unknown }): void {
    this.active.delete(id.toLowerCase());
    this.update(id, (d) => {
      d.properties['provisioningState'] = result.error ? 'Failed' : 'Succeeded';
      d.properties['duration'] = this.duration(started);
      if (result.outputs) d.properties['outputs'] = result.outputs;
      if (result.error) d.properties['error'] = result.error;
    });
  }

  private async execute(
    id: string,
    run: TemplateRun,
    planned: PlannedResource[],
    authorization: string | undefined,
    started: number,
  ): Promise<void> {
    this.update(id, (d) => {
      d.properties['provisioningState'] = 'Running';
    });
    for (const r of planned) {
      const opStart = this.clock.now();
      const existed = this.readSync(r.id) !== undefined;
      const op: DeploymentOperation = {
        operationId: randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
        provisioningState: 'Running',
        provisioningOperation: existed ? 'Update' : 'Create',
        timestamp: new Date(opStart).toISOString(),
        duration: 'PT0S',
        targetResource: { id: r.id, resourceType: r.type, resourceName: r.name, apiVersion: r.apiVersion },
      };
      this.update(id, (d) => (d.internal!['operations'] as DeploymentOperation[]).push(op));
      const outcome = await this.writeResource(r, run, authorization).then(
        (body) => ({ ok: true as const, body }),
        (error: unknown) => ({ ok: false as const, error: asError(error) }),
      );
      this.update(id, (d) => {
        const ops = d.internal!['operations'] as DeploymentOperation[];
        const mine = ops.find((o) => o.operationId === op.operationId)!;
        mine.duration = this.duration(opStart);
        mine.timestamp = new Date(this.clock.now()).toISOString();
        if (outcome.ok) {
          mine.provisioningState = 'Succeeded';
          mine.statusCode = existed ? 'OK' : 'Created';
          (d.properties['outputResources'] as { id: string }[]).push({ id: r.id });
        } else {
          mine.provisioningState = 'Failed';
          mine.statusCode = outcome.error.statusCode;
          mine.statusMessage = {
            status: 'Failed',
            error: { code: outcome.error.code, message: outcome.error.message },
          };
        }
      });
      if (!outcome.ok) {
        this.finish(id, started, {
          error: {
            code: 'DeploymentFailed',
            message:
              'At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.',
            details: [{ code: outcome.error.code, message: outcome.error.message }],
          },
        });
        return;
      }
      run.deployed.set(r.id.toLowerCase(), outcome.body);
    }
    try {
      await this.prefetch(run, undefined, authorization);
      this.finish(id, started, { outputs: run.outputs() });
    } catch (error) {
      const e = asError(error);
      this.finish(id, started, { error: { code: e.code, message: e.message } });
    }
  }

  /** PUT one resource: through its provider when one serves the type, else as a generic document. */
  private async writeResource(
    r: PlannedResource,
    run: TemplateRun,
    authorization: string | undefined,
  ): Promise<Record<string, unknown>> {
    await this.prefetch(run, r, authorization);
    const body = run.body(r, 'deploy');
    const path = `${r.id}?api-version=${encodeURIComponent(r.apiVersion)}`;
    if (this.router.serves('PUT', r.id)) {
      let res = await this.router.dispatch('PUT', path, authorization, body);
      if (res.status >= 400) throw failure(res.status, res.json);
      // A long-running PUT: follow its Location (or Azure-AsyncOperation) until it ends, as a client would.
      const poll = res.headers['location'] ?? res.headers['azure-asyncoperation'];
      if ((res.status === 202 || res.status === 201) && poll) {
        const pollPath = new URL(poll).pathname + new URL(poll).search;
        for (;;) {
          // Unref: a sandbox stopping mid-deployment does not wait for this loop.
          await new Promise((resolve) => setTimeout(resolve, 25).unref());
          res = await this.router.dispatch('GET', pollPath, authorization);
          if (res.status >= 400) throw failure(res.status, res.json);
          const status = res.json?.['status'];
          if (res.status === 202 || status === 'InProgress' || status === 'Running') continue;
          if (status === 'Failed') throw failure(400, res.json);
          break;
        }
      }
      const read = await this.router.dispatch('GET', path, authorization);
      if (read.status >= 400) throw failure(read.status, read.json);
      return read.json ?? {};
    }
    // Checked again with every value known (preflight could not see what reference() returns).
    const check = checkResourceBody(
      r,
      body,
      templatePath(run.template, r),
      run.target.resourceGroup.location,
    );
    if (!check.ok)
      throw Object.assign(new Error(check.message), { code: check.code, statusCode: 'BadRequest' });
    if (r.type.toLowerCase() === 'microsoft.authorization/roleassignments') this.checkPrincipal(body);
    const location = typeof body['location'] === 'string' ? body['location'] : undefined;
    const stored = this.store.put({
      id: r.id,
      type: r.type,
      name: r.name,
      ...(location ? { location } : {}),
      ...(isObject(body['tags']) ? { tags: body['tags'] as Record<string, string> } : {}),
      ...(isObject(body['sku']) ? { sku: body['sku'] } : {}),
      ...(typeof body['kind'] === 'string' ? { kind: body['kind'] } : {}),
      // What the template wrote, then what Azure's provider computes (read-only: a template cannot set it).
      properties: {
        ...(isObject(body['properties']) ? body['properties'] : {}),
        ...computedProperties(r.type, {
          id: r.id,
          name: r.name.split('/').pop()!,
          location,
          tenantId: this.store.state.tenantId,
        }),
      },
      internal: {
        generic: true,
        apiVersion: r.apiVersion,
        extra: Object.fromEntries(
          Object.entries(body).filter(
            ([k]) => !['location', 'tags', 'sku', 'kind', 'properties'].includes(k),
          ),
        ),
      },
    });
    return genericBody(stored);
  }

  /**
   * Read, through their providers and with the caller's token, the existing resources a body (or the outputs)
   * `reference()`s, so reference() sees what a GET shows. Generic documents are read from the store.
   */
  private async prefetch(
    run: TemplateRun,
    r: PlannedResource | undefined,
    authorization: string | undefined,
  ): Promise<void> {
    for (const id of run.references(r)) {
      const key = id.toLowerCase();
      const stored = this.store.get(id);
      if (run.deployed.has(key) || !stored || stored.internal?.['generic'] || !this.router.serves('GET', id))
        continue;
      const res = await this.router.dispatch(
        'GET',
        `${stored.id}?api-version=${API_VERSIONS[0]}`,
        authorization,
      );
      if (res.status === 200 && res.json) run.deployed.set(key, res.json);
    }
  }

  /** The GET body of a resource, read synchronously: a generic document, or what the store holds for modeled types. */
  private readSync(id: string): Record<string, unknown> | undefined {
    const stored = this.store.get(id);
    if (!stored) return undefined;
    if (stored.internal?.['generic']) return genericBody(stored);
    return {
      id: stored.id,
      name: stored.name,
      type: stored.type,
      ...(stored.location ? { location: stored.location } : {}),
      ...(stored.kind ? { kind: stored.kind } : {}),
      ...(stored.sku ? { sku: stored.sku } : {}),
      tags: stored.tags ?? {},
      properties: stored.properties,
    };
  }

  /**
   * A role assignment's principal must exist, as Azure's PrincipalNotFound says: a sandbox principal or a
   * user-assigned identity (its computed principalId) in this subscription.
   */
  private checkPrincipal(body: Record<string, unknown>): void {
    const props = isObject(body['properties']) ? body['properties'] : {};
    const principalId = String(props['principalId'] ?? '').toLowerCase();
    const known =
      this.store.state.principals.some((p) => p.objectId.toLowerCase() === principalId) ||
      this.store
        .under(`/subscriptions/${this.store.state.subscriptionId}/`)
        .some(
          (r) =>
            r.type.toLowerCase() === 'microsoft.managedidentity/userassignedidentities' &&
            String(r.properties['principalId']).toLowerCase() === principalId,
        );
    if (!known)
      throw Object.assign(
        new Error(
          `Principal ${String(props['principalId'] ?? '')} does not exist in the directory ${this.store.state.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay.`,
        ),
        { code: 'PrincipalNotFound', statusCode: 'BadRequest' },
      );
  }

  /** `list*()` in a template: the action's body, checked against the deploying caller's roles like the POST. */
  private listForTemplate(caller: AccessTokenClaims, fn: string, id: string): Record<string, unknown> {
    try {
      authorize(caller, 'POST', `${id}/${fn}`, this.store);
    } catch (error) {
      if (error instanceof HttpProblem) throw new TemplateError(error.message, error.code);
      throw error;
    }
    return this.listBody(id, fn, (m) => new TemplateError(m, 'ResourceNotFound'));
  }

  /** What `POST {id}/{action}` answers: the keys of a generic resource whose type has that action. */
  listBody(id: string, action: string, notFound: (message: string) => Error): Record<string, unknown> {
    const stored = this.store.get(id);
    if (!stored) throw notFound(`The Resource '${id.replace(/^.*\/providers\//, '')}' was not found.`);
    const list = listAction(stored.type, action);
    if (!list)
      throw notFound(
        `The resource type '${stored.type}' has no action '${action}' in the slotline sandbox (listKeys of Microsoft.Cache/redis and Microsoft.Storage/storageAccounts only).`,
      );
    return list({
      id: stored.id,
      name: stored.name.split('/').pop()!,
      location: stored.location,
      tenantId: this.store.state.tenantId,
    });
  }

  status(c: Call): void {
    const d = this.require(c);
    if (d.internal?.['asyncOperationId'] !== c.m[4])
      throw new HttpProblem(404, 'ResourceNotFound', `The operation '${c.m[4]}' was not found.`);
    const state = String(d.properties['provisioningState']);
    sendJson(c.res, 200, {
      status: state,
      ...(state === 'Failed' ? { error: d.properties['error'] } : {}),
    });
  }

  operations(c: Call): void {
    const d = this.require(c);
    const ops = (d.internal?.['operations'] ?? []) as DeploymentOperation[];
    sendJson(c.res, 200, {
      value: ops.map((o) => ({
        id: `${d.id}/operations/${o.operationId}`,
        operationId: o.operationId,
        properties: {
          provisioningOperation: o.provisioningOperation,
          provisioningState: o.provisioningState,
          timestamp: o.timestamp,
          duration: o.duration,
          trackingId: o.operationId,
          ...(o.statusCode ? { statusCode: o.statusCode } : {}),
          ...(o.statusMessage ? { statusMessage: o.statusMessage } : {}),
          targetResource: o.targetResource,
        },
      })),
    });
  }

  remove(c: Call): void {
    const d = this.current(this.deploymentId(c));
    if (!d) {
      c.res.writeHead(204).end();
      return;
    }
    const state = d.properties['provisioningState'];
    if (state === 'Accepted' || state === 'Running')
      throw new HttpProblem(
        409,
        'DeploymentActive',
        `The deployment '${d.name}' is still active (state: ${String(state)}).`,
      );
    this.store.delete(d.id);
    c.res.writeHead(200).end();
  }

  async whatIf(c: Call): Promise<void> {
    const { run, group } = await this.prepare(c);
    const planned = this.preflight(c, run);
    const changes: Record<string, unknown>[] = [];
    const inTemplate = new Set(planned.map((r) => r.id.toLowerCase()));
    for (const r of planned) {
      const current = await this.readForWhatIf(r.id, c.req.headers.authorization);
      await this.prefetch(run, r, c.req.headers.authorization);
      const desired = comparable(
        r.type,
        this.templateError(() => run.body(r, 'whatIf')),
        !this.router.serves('PUT', r.id),
      );
      const envelope = { id: r.id, name: r.name, type: r.type, apiVersion: r.apiVersion };
      if (!current) {
        changes.push({ resourceId: r.id, changeType: 'Create', after: { ...envelope, ...desired } });
        continue;
      }
      const delta: PropertyChange[] = propertyDelta(current, desired);
      const after = mergeDeep(current, desired);
      changes.push({
        resourceId: r.id,
        changeType: delta.length > 0 ? 'Modify' : 'NoChange',
        before: current,
        after,
        ...(delta.length > 0 ? { delta } : {}),
      });
    }
    for (const other of this.store.under(`${group.id}/providers/`)) {
      if (inTemplate.has(other.id.toLowerCase()) || other.type === DEPLOYMENT_TYPE) continue;
      const before = await this.readForWhatIf(other.id, c.req.headers.authorization);
      changes.push({ resourceId: other.id, changeType: 'Ignore', ...(before ? { before } : {}) });
    }
    const apiVersion = c.url.searchParams.get('api-version')!;
    const base = `${this.ctx.armEndpoint}/subscriptions/${this.store.state.subscriptionId}`;
    this.ctx.operations.start(c, {
      name: 'WhatIf',
      lockId: this.deploymentId(c),
      complete: () => {},
      result: () => ({ status: 'Succeeded', properties: { changes } }),
      location: (opId) => `${base}/operationresults/${opId}?api-version=${apiVersion}`,
    });
    sendJson(c.res, 202, undefined);
  }

  /** What-if's "before": the resource's GET body as its provider answers it (modeled) or the generic document. */
  private async readForWhatIf(
    id: string,
    authorization: string | undefined,
  ): Promise<Record<string, unknown> | undefined> {
    const stored = this.store.get(id);
    if (!stored) return undefined;
    if (stored.internal?.['generic'] || !this.router.serves('GET', id)) return this.readSync(id);
    const apiVersion = API_VERSIONS[0];
    const res = await this.router.dispatch('GET', `${stored.id}?api-version=${apiVersion}`, authorization);
    if (res.status === 404) return undefined;
    if (res.status >= 400) {
      const f = failure(res.status, res.json);
      throw new HttpProblem(res.status, f.code, f.message);
    }
    return withAppSettings(stored, res.json);
  }

  genericBody(c: Call): Record<string, unknown> {
    const stored = this.store.get(c.m[1]!);
    if (!stored?.internal?.['generic']) throw noProvider(c);
    return genericBody(stored);
  }

  deleteGeneric(c: Call): void {
    const stored = this.store.get(c.m[1]!);
    if (!stored?.internal?.['generic']) throw noProvider(c);
    this.store.delete(stored.id);
    c.res.writeHead(200).end();
  }
}

/**
 * Where a template fault is, as ARM's `additionalInfo` `TemplateViolation` says it (`path` in the request
 * body: `properties.template.resources[4].properties.minimumTlsVersion`); ARM's line and position are left
 * out. A supplied parameter's fault is under `properties.parameters`.
 */
function templateViolation(error: TemplateError): Record<string, unknown> {
  if (error.path === undefined) return {};
  const path =
    error.code === 'InvalidRequestContent' ? `properties.${error.path}` : `properties.template.${error.path}`;
  return { additionalInfo: [{ type: 'TemplateViolation', info: { path } }] };
}

function noProvider(c: Call): HttpProblem {
  return new HttpProblem(
    404,
    'NoRegisteredProviderFound',
    `No registered resource provider found for path '${c.url.pathname}' and API version '${c.url.searchParams.get('api-version')}'.`,
  );
}

function genericBody(stored: StoredResource): Record<string, unknown> {
  return {
    id: stored.id,
    name: stored.name,
    type: stored.type,
    ...(stored.location ? { location: stored.location } : {}),
    ...(stored.kind ? { kind: stored.kind } : {}),
    ...(stored.sku ? { sku: stored.sku } : {}),
    tags: stored.tags ?? {},
    ...((stored.internal?.['extra'] as Record<string, unknown> | undefined) ?? {}),
    properties: Object.fromEntries(
      Object.entries(stored.properties).filter(([k]) => !writeOnly(stored.type, k)),
    ),
  };
}

const writeOnly = (type: string, key: string) =>
  writeOnlyProperties(type).some((w) => w.toLowerCase() === key.toLowerCase());

/**
 * A template body as what-if compares it: without the write-only properties of its type (GET never returns
 * them, so what-if cannot compare them) and, for a generic document, without the read-only ones the sandbox
 * computes (a template's value for them is not applied, as in Azure).
 */
function comparable(type: string, body: Record<string, unknown>, generic: boolean): Record<string, unknown> {
  const props = body['properties'];
  if (!isObject(props)) return body;
  const computed = generic ? computedPropertyNames(type).map((k) => k.toLowerCase()) : [];
  return {
    ...body,
    properties: Object.fromEntries(
      Object.entries(props).filter(([k]) => !writeOnly(type, k) && !computed.includes(k.toLowerCase())),
    ),
  };
}

/**
 * A site's or slot's GET body has no app settings (App Service returns `siteConfig.appSettings: null`; they
 * live at config/appsettings). A template sets them in `siteConfig.appSettings`, so what-if compares them with
 * the site's current settings, in the `[{name, value}]` form the template writes.
 */
function withAppSettings(
  stored: StoredResource,
  body: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const settings = stored.internal?.['appSettings'];
  if (!body || !isObject(settings) || !/^microsoft\.web\/sites(\/slots)?$/i.test(stored.type)) return body;
  const properties = isObject(body['properties']) ? body['properties'] : {};
  const siteConfig = isObject(properties['siteConfig']) ? properties['siteConfig'] : {};
  return {
    ...body,
    properties: {
      ...properties,
      siteConfig: {
        ...siteConfig,
        appSettings: Object.entries(settings).map(([name, value]) => ({ name, value })),
      },
    },
  };
}

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const key = Object.keys(base).find((x) => x.toLowerCase() === k.toLowerCase()) ?? k;
    out[key] = isObject(v) && isObject(base[key]) ? mergeDeep(base[key] as Record<string, unknown>, v) : v;
  }
  return out;
}

interface ResourceFailure {
  code: string;
  message: string;
  statusCode: string;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  500: 'InternalServerError',
};

function failure(status: number, json: Record<string, unknown> | undefined): ResourceFailure {
  const error = isObject(json?.['error']) ? (json['error'] as Record<string, unknown>) : {};
  return Object.assign(new Error(String(error['message'] ?? `HTTP ${status}`)), {
    code: String(error['code'] ?? 'ResourceDeploymentFailure'),
    statusCode: STATUS_NAMES[status] ?? String(status),
  });
}

function asError(error: unknown): ResourceFailure {
  if (error instanceof TemplateError)
    return { code: error.code, message: error.message, statusCode: 'BadRequest' };
  if (error instanceof Error && 'code' in error && 'statusCode' in error)
    return error as unknown as ResourceFailure;
  return {
    code: 'InternalServerError',
    message: (error as Error).message ?? String(error),
    statusCode: 'InternalServerError',
  };
}
