import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ActivityLog,
  AUTOSCALE_EVENTS,
  type AutoscaleEventName,
  autoscaleEvent,
  type EventData,
} from './activity-log.js';
import type { AlertBook } from './alerts/book.js';
import type { DataPlane } from './dataplane/data-plane.js';
import type { Fault, FaultInjector, FaultSpec } from './faults.js';
import { HttpProblem, isObject, parseJsonBody, readBody, sendJson } from './http.js';
import type { IdentityService } from './login/identity.js';
import type { InMemoryMetricsSource } from './metrics/source.js';
import type { SandboxConnection } from './sandbox.js';
import type { ResourceStore } from './store.js';

/** What the admin API reads and changes. */
export interface AdminContext {
  store: ResourceStore;
  faults: FaultInjector;
  identity: IdentityService;
  /** Samples pushed through `POST /metrics`. */
  metrics: InMemoryMetricsSource;
  /** Events added through `POST /activity-log` land here, next to the autoscale engine's. */
  activityLog: ActivityLog;
  /** The metric-alert engine's alerts and notifications. */
  alerts: AlertBook;
  connection: SandboxConnection;
  dataPlane?: DataPlane;
}

/**
 * The admin API (its own port, never ARM's): faults, GitHub run identities, minted tokens for tests,
 * pushed metric samples and autoscale activity log events.
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: AdminContext,
): Promise<void> {
  const path = url.pathname.replace(/\/$/, '') || '/';
  const bad = (message: string) => sendJson(res, 400, { error: { code: 'BadRequest', message } });
  try {
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/autoscale/actions') {
      // The scale actions the engine took (newest last); Azure shows these in the activity log.
      return sendJson(res, 200, { value: ctx.dataPlane?.autoscale.actions() ?? [] });
    }
    if (req.method === 'GET' && path === '/alerts/notifications') {
      // What action groups were sent (webhooks) or would have been sent (e-mail, SMS, voice, push).
      return sendJson(res, 200, { value: ctx.alerts.notifications() });
    }
    if (path === '/faults' && req.method === 'GET') return sendJson(res, 200, { value: ctx.faults.list() });
    if (path === '/faults' && req.method === 'POST') {
      const body = parseJsonBody(await readBody(req));
      const specs = Array.isArray(body) ? body : [body];
      const added: Fault[] = [];
      for (const spec of specs) {
        if (!isObject(spec)) return bad('a fault must be a JSON object');
        try {
          added.push(ctx.faults.add(spec as unknown as FaultSpec));
        } catch (error) {
          return bad(`invalid fault: ${(error as Error).message}`);
        }
      }
      return sendJson(res, 201, Array.isArray(body) ? { value: added } : added[0]);
    }
    if (path === '/faults' && req.method === 'DELETE')
      return sendJson(res, 200, { removed: ctx.faults.remove() });
    const faultId = /^\/faults\/([^/]+)$/.exec(path)?.[1];
    if (faultId && req.method === 'DELETE')
      return sendJson(res, ctx.faults.remove(faultId) ? 200 : 404, undefined);
    if (path === '/github/request-tokens' && req.method === 'POST') {
      const body = parseJsonBody(await readBody(req));
      if (
        !isObject(body) ||
        typeof body['repository'] !== 'string' ||
        !/^[^/\s]+\/[^/\s]+$/.test(body['repository'])
      ) {
        return bad(
          'expected {"repository": "owner/repo", "environment"?: "...", "ref"?: "refs/heads/...", "eventName"?: "push"}',
        );
      }
      // Ids not given: the default run's, for the same repository (its ids do not change per job).
      const defaults = ctx.store.state.githubRequestTokens[ctx.connection.oidcRequestToken];
      const id = (key: 'ownerId' | 'repositoryId') =>
        typeof body[key] === 'number' && Number.isSafeInteger(body[key]) && body[key] > 0
          ? { [key]: body[key] as number }
          : defaults?.repository === body['repository'] && defaults[key] !== undefined
            ? { [key]: defaults[key] }
            : {};
      const claims = {
        repository: body['repository'],
        ref: typeof body['ref'] === 'string' ? body['ref'] : 'refs/heads/main',
        actor: typeof body['actor'] === 'string' ? body['actor'] : 'slotline-bot',
        ...(typeof body['environment'] === 'string' ? { environment: body['environment'] } : {}),
        ...(typeof body['eventName'] === 'string' ? { eventName: body['eventName'] } : {}),
        ...id('ownerId'),
        ...id('repositoryId'),
      };
      return sendJson(res, 201, {
        requestUrl: ctx.connection.oidcRequestUrl,
        requestToken: ctx.identity.createRequestToken(claims),
      });
    }
    if (path === '/tokens' && req.method === 'POST') {
      // Test-only: a token as Entra would issue it, with any lifetime (negative = already expired).
      const body = parseJsonBody(await readBody(req));
      if (
        !isObject(body) ||
        typeof body['clientId'] !== 'string' ||
        typeof body['expiresInSeconds'] !== 'number'
      ) {
        return bad('expected {"clientId": "...", "expiresInSeconds": n, "audience"?: "..."}');
      }
      const principal = ctx.store.state.principals.find((p) => p.clientId === body['clientId']);
      if (!principal) return bad(`no principal with clientId ${body['clientId']}`);
      const audience =
        typeof body['audience'] === 'string' ? body['audience'] : 'https://management.azure.com';
      return sendJson(res, 201, {
        access_token: await ctx.identity.mintAccessToken(principal, audience, body['expiresInSeconds']),
      });
    }
    if (path === '/sign-ins' && req.method === 'GET') {
      // Entra's service principal sign-in log: which credential each token was issued for.
      return sendJson(res, 200, { value: ctx.identity.signIns() });
    }
    if (path === '/principals' && req.method === 'GET') {
      // Ids and roles only; secrets stay in the state dir.
      return sendJson(res, 200, {
        value: ctx.store.state.principals.map((p) => ({
          name: p.name,
          clientId: p.clientId,
          objectId: p.objectId,
          roles: ctx.store.state.roleAssignments
            .filter((a) => a.principalObjectId === p.objectId)
            .map(({ role, scope }) => ({ role, scope })),
          federatedCredentials: p.federatedCredentials.map((f) => ({
            ...f,
            issuer: ctx.identity.resolveIssuer(f.issuer),
          })),
        })),
      });
    }
    if (path === '/metrics' && req.method === 'POST') {
      const body = parseJsonBody(await readBody(req));
      const series = Array.isArray(body) ? body : [body];
      for (const s of series) {
        if (
          !isObject(s) ||
          typeof s['resourceId'] !== 'string' ||
          typeof s['metric'] !== 'string' ||
          !Array.isArray(s['samples'])
        ) {
          return bad(
            'expected {"resourceId": "...", "metric": "Requests", "samples": [{"timestamp": "ISO", "value": n, "dimensions"?: {}}]}',
          );
        }
        const samples = (s['samples'] as unknown[]).map((x) => {
          const sample = x as Record<string, unknown>;
          const timestamp =
            typeof sample['timestamp'] === 'number'
              ? sample['timestamp']
              : Date.parse(String(sample['timestamp']));
          if (Number.isNaN(timestamp) || typeof sample['value'] !== 'number')
            throw new HttpProblem(400, 'BadRequest', 'each sample needs a timestamp and a numeric value');
          return {
            timestamp,
            value: sample['value'],
            ...(isObject(sample['dimensions'])
              ? { dimensions: sample['dimensions'] as Record<string, string> }
              : {}),
          };
        });
        ctx.metrics.record(s['resourceId'], s['metric'], samples);
      }
      return sendJson(res, 204, undefined);
    }
    if (path === '/activity-log' && req.method === 'POST') {
      // Test-only: autoscale events as the engine writes them, without containers driving a real scale.
      const body = parseJsonBody(await readBody(req));
      const inputs = Array.isArray(body) ? body : [body];
      const usage = `expected {"event": one of ${Object.keys(AUTOSCALE_EVENTS)
        .map((e) => `"${e}"`)
        .join(
          ', ',
        )}, "settingId": "...", "targetResourceUri": "...", "oldInstancesCount"?: n, "newInstancesCount"?: n, "timestamp"?: "ISO", "status"?: "Succeeded" | "Failed", "correlationId"?: "...", "description"?: "..."}`;
      const events: EventData[] = [];
      for (const input of inputs) {
        if (
          !isObject(input) ||
          typeof input['event'] !== 'string' ||
          !(input['event'] in AUTOSCALE_EVENTS) ||
          typeof input['settingId'] !== 'string' ||
          typeof input['targetResourceUri'] !== 'string'
        )
          return bad(usage);
        const timeMs = input['timestamp'] === undefined ? Date.now() : Date.parse(String(input['timestamp']));
        const count = (name: string) => input[name] === undefined || Number.isInteger(input[name]);
        const status = input['status'];
        if (
          Number.isNaN(timeMs) ||
          !count('oldInstancesCount') ||
          !count('newInstancesCount') ||
          (status !== undefined && status !== 'Succeeded' && status !== 'Failed')
        )
          return bad(usage);
        events.push(
          autoscaleEvent({
            event: input['event'] as AutoscaleEventName,
            settingId: input['settingId'],
            targetResourceUri: input['targetResourceUri'],
            timeMs,
            ...(input['oldInstancesCount'] !== undefined
              ? { oldInstancesCount: input['oldInstancesCount'] as number }
              : {}),
            ...(input['newInstancesCount'] !== undefined
              ? { newInstancesCount: input['newInstancesCount'] as number }
              : {}),
            ...(status !== undefined ? { status: status as 'Succeeded' | 'Failed' } : {}),
            ...(typeof input['correlationId'] === 'string' ? { correlationId: input['correlationId'] } : {}),
            ...(typeof input['description'] === 'string' ? { description: input['description'] } : {}),
          }),
        );
      }
      for (const event of events) ctx.activityLog.add(event);
      return sendJson(res, 201, { value: events });
    }
    sendJson(res, 404, { error: { code: 'NotFound', message: `no admin endpoint ${req.method} ${path}` } });
  } catch (error) {
    if (error instanceof HttpProblem)
      return sendJson(res, error.status, { error: { code: error.code, message: error.message } });
    throw error;
  }
}
