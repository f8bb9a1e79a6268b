import type { EventData } from '../../../activity-log.js';
import { HttpProblem, sendJson } from '../../../http.js';
import { type Call, ProviderBase } from '../../context.js';

export const ACTIVITY_LOG_API_VERSIONS = ['2015-04-01'];
/** Events per page; the rest is behind `nextLink`. */
export const ACTIVITY_LOG_PAGE_SIZE = 200;

/** What a `$filter` keeps: a time range and equality terms on the documented fields. */
export interface ActivityLogFilter {
  fromMs?: number;
  toMs?: number;
  equals: { field: string; value: string }[];
}

const EQ_FIELDS = [
  'resourceGroupName',
  'resourceUri',
  'resourceId',
  'resourceProvider',
  'correlationId',
  'caller',
  'status',
  'levels',
  'eventChannels',
];

const USAGE =
  "expected eventTimestamp ge '<start>' and eventTimestamp le '<end>', optionally with one of resourceGroupName, resourceUri, resourceId, resourceProvider or correlationId eq '<value>' (and caller, status, levels, eventChannels eq '<value>')";

/**
 * Parse ActivityLogs_List's `$filter`: terms `name op 'value'` joined by `and`, on `eventTimestamp` (ge,
 * le) and the equality fields Azure documents (and az/PowerShell send). Anything else is a 400.
 */
export function parseActivityLogFilter(raw: string | null): ActivityLogFilter {
  const filter: ActivityLogFilter = { equals: [] };
  if (raw === null || raw.trim() === '') return filter;
  const term = /^\s*([A-Za-z]+)\s+(ge|le|eq)\s+'((?:[^']|'')*)'\s*(?:and\b|$)/i;
  let rest = raw;
  while (rest.trim() !== '') {
    const m = term.exec(rest);
    if (!m) throw badFilter(raw);
    rest = rest.slice(m[0].length);
    const [name, op, quoted] = [m[1]!, m[2]!.toLowerCase(), m[3]!.replace(/''/g, "'")];
    if (name.toLowerCase() === 'eventtimestamp') {
      const ms = Date.parse(quoted);
      if (Number.isNaN(ms) || op === 'eq')
        throw new HttpProblem(
          400,
          'BadRequest',
          `The $filter '${raw}' has an invalid eventTimestamp term: ${USAGE}.`,
        );
      if (op === 'ge') filter.fromMs = ms;
      else filter.toMs = ms;
      continue;
    }
    const field = EQ_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
    if (!field || op !== 'eq') throw badFilter(raw);
    filter.equals.push({ field, value: quoted });
  }
  return filter;
}

function badFilter(raw: string): HttpProblem {
  return new HttpProblem(400, 'BadRequest', `The $filter '${raw}' is not supported: ${USAGE}.`);
}

const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** Does `event` pass one equality term? */
function matches(event: EventData, field: string, value: string): boolean {
  switch (field) {
    case 'resourceGroupName':
      return same(event.resourceGroupName, value);
    case 'resourceUri':
    case 'resourceId':
      // Autoscale events are the setting's; Get-AzLog -ResourceId <scaled resource> lists them too.
      return (
        same(event.resourceId, value) ||
        (event.category.value === 'Autoscale' && same(event.properties['ResourceName'], value))
      );
    case 'resourceProvider':
      return same(event.resourceProviderName.value, value);
    case 'correlationId':
      return same(event.correlationId, value);
    case 'caller':
      return same(event.caller, value);
    case 'status':
      return same(event.status.value, value);
    case 'levels':
      return value.split(',').some((level) => same(event.level, level.trim()));
    default:
      // eventChannels: every event the sandbox logs is on the Admin and Operation channels.
      return true;
  }
}

/** Azure Monitor's ActivityLogs_List (`eventtypes/management/values`) over the sandbox's activity log. */
export class ActivityLogs extends ProviderBase {
  events(c: Call): void {
    const version = c.url.searchParams.get('api-version') ?? '';
    if (!ACTIVITY_LOG_API_VERSIONS.includes(version))
      throw new HttpProblem(
        400,
        'NoRegisteredProviderFound',
        `No registered resource provider found for location 'global' and API version '${version}' for type 'eventtypes'. The supported api-versions are '${ACTIVITY_LOG_API_VERSIONS.join(', ')}'.`,
      );
    const filter = parseActivityLogFilter(c.url.searchParams.get('$filter'));
    const fromMs = filter.fromMs ?? -Infinity;
    const toMs = filter.toMs ?? Infinity;
    const readable = this.readableScopes(c);
    const events = this.hooks.activityLog
      .list()
      .filter((e) => {
        const at = Date.parse(e.eventTimestamp);
        return at >= fromMs && at <= toMs;
      })
      .filter((e) => readable.some((scope) => inScope(e.resourceId, scope)))
      .filter((e) => filter.equals.every((t) => matches(e, t.field, t.value)))
      .reverse(); // newest first
    const skip = Number(c.url.searchParams.get('$skiptoken') ?? '0');
    if (!Number.isInteger(skip) || skip < 0)
      throw new HttpProblem(400, 'BadRequest', 'The $skiptoken is not valid.');
    const page = events.slice(skip, skip + ACTIVITY_LOG_PAGE_SIZE);
    const select = (c.url.searchParams.get('$select') ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const value = select.length
      ? page.map((e) =>
          Object.fromEntries(Object.entries(e).filter(([k]) => select.includes(k.toLowerCase()))),
        )
      : page;
    const body: Record<string, unknown> = { value };
    if (skip + ACTIVITY_LOG_PAGE_SIZE < events.length) {
      // Query names stay as Azure writes them ($filter, $skiptoken); values are percent-encoded.
      const query = [...c.url.searchParams]
        .filter(([k]) => k.toLowerCase() !== '$skiptoken')
        .concat([['$skiptoken', String(skip + ACTIVITY_LOG_PAGE_SIZE)]])
        .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
        .join('&');
      body['nextLink'] = `${this.ctx.armEndpoint}${c.url.pathname}?${query}`;
    }
    sendJson(c.res, 200, body);
  }

  /** The scopes where the caller holds any role: the events it may read (RBAC on the event's resource). */
  private readableScopes(c: Call): string[] {
    return this.store.state.roleAssignments
      .filter((a) => a.principalObjectId === c.caller.oid)
      .map((a) => a.scope);
  }
}

function inScope(resourceId: string, scope: string): boolean {
  const id = resourceId.toLowerCase();
  const s = scope.toLowerCase().replace(/\/$/, '');
  return id === s || id.startsWith(`${s}/`);
}
