import semver from 'semver';
import { InputError } from '../lib/errors.js';
import { quoteExcerpt } from '../lib/excerpt.js';

/**
 * Tags and OCI labels from the GitHub event, following docker/metadata-action's documented rules
 * (types schedule, semver, match, edge, ref, raw, sha; attributes enable, priority, prefix, suffix;
 * `latest` in auto mode for type=ref,event=tag, type=semver and type=match). Pure: the event context
 * and the clock are arguments.
 */

/** The parts of @actions/github's `context` that tags and labels depend on. */
export interface EventContext {
  eventName: string;
  ref: string;
  sha: string;
  serverUrl: string;
  repo: { owner: string; repo: string };
  payload: {
    repository?: {
      name?: string;
      description?: string | null;
      html_url?: string;
      default_branch?: string;
      license?: { spdx_id?: string | null } | null;
    };
    pull_request?: { number?: number; head?: { ref?: string } };
    number?: number;
  };
}

export type TagType = 'schedule' | 'semver' | 'match' | 'edge' | 'ref' | 'raw' | 'sha';

export interface TagRule {
  type: TagType;
  attrs: Record<string, string>;
  enable: boolean;
  priority: number;
  prefix: string;
  suffix: string;
  /** The rule as written, for error messages. */
  source: string;
}

export interface TagResult {
  /** Sorted by priority (highest first), without duplicates. */
  tags: string[];
  /** The highest-priority tag: the image version, as metadata-action's `version` output. */
  version: string;
}

const TYPES: readonly TagType[] = ['schedule', 'semver', 'match', 'edge', 'ref', 'raw', 'sha'];

const DEFAULT_PRIORITY: Record<TagType, number> = {
  schedule: 1000,
  semver: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100,
};

/** Attributes each type accepts besides the common enable, priority, prefix and suffix. */
const TYPE_ATTRS: Record<TagType, readonly string[]> = {
  schedule: ['pattern'],
  semver: ['pattern', 'value'],
  match: ['pattern', 'group', 'value'],
  edge: ['branch'],
  ref: ['event'],
  raw: ['value'],
  sha: ['format'],
};

/**
 * metadata-action's defaults (schedule, branch, tag, pr) plus `type=sha`, so every pushed image also has
 * a tag that names its commit.
 */
export const DEFAULT_TAG_RULES = [
  'type=schedule',
  'type=ref,event=branch',
  'type=ref,event=tag',
  'type=ref,event=pr',
  'type=sha',
];

const TAG_EXPECTED =
  'lines of type=schedule|semver|match|edge|ref|raw|sha with key=value attributes, as docker/metadata-action (for example type=ref,event=branch or type=semver,pattern={{version}})';

function ruleError(line: string, problem: string): never {
  const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
  throw new InputError(`Input "tags" must be ${TAG_EXPECTED}; ${problem} in ${JSON.stringify(shown)}.`);
}

/** Parse the `tags` input lines. A bare value (no `type=`) is `type=raw,value=<line>`, as metadata-action. */
export function parseTagRules(lines: readonly string[]): TagRule[] {
  return lines.map((line) => {
    const parts = line.split(',').map((p) => p.trim());
    const attrs: Record<string, string> = {};
    if (!parts[0]!.startsWith('type=')) {
      if (line.includes('=')) ruleError(line, 'the first attribute must be type=');
      return makeRule('raw', { value: line }, line);
    }
    const type = parts[0]!.slice('type='.length) as TagType;
    if (!TYPES.includes(type)) ruleError(line, `unknown type "${type}"`);
    for (const part of parts.slice(1)) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        // metadata-action allows `type=raw,foo` as a shorthand for value=foo.
        if (type === 'raw' && attrs['value'] === undefined) attrs['value'] = part;
        else ruleError(line, `"${part}" is not key=value`);
        continue;
      }
      const key = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (!['enable', 'priority', 'prefix', 'suffix', ...TYPE_ATTRS[type]].includes(key)) {
        ruleError(line, `type=${type} has no attribute "${key}"`);
      }
      attrs[key] = value;
    }
    return makeRule(type, attrs, line);
  });
}

function makeRule(type: TagType, attrs: Record<string, string>, source: string): TagRule {
  const enable = attrs['enable'] ?? 'true';
  if (enable !== 'true' && enable !== 'false') ruleError(source, 'enable must be true or false');
  const priority = attrs['priority'] === undefined ? DEFAULT_PRIORITY[type] : Number(attrs['priority']);
  if (!Number.isInteger(priority)) ruleError(source, 'priority must be a whole number');
  if (type === 'ref' && !['branch', 'tag', 'pr'].includes(attrs['event'] ?? '')) {
    ruleError(source, 'type=ref needs event=branch, event=tag or event=pr');
  }
  if (type === 'semver' && !attrs['pattern']) ruleError(source, 'type=semver needs a pattern');
  if (type === 'match') {
    if (!attrs['pattern']) ruleError(source, 'type=match needs a pattern');
    try {
      new RegExp(attrs['pattern']!);
    } catch {
      ruleError(source, 'pattern is not a valid regular expression');
    }
    if (attrs['group'] !== undefined && !/^\d+$/.test(attrs['group']))
      ruleError(source, 'group must be a number');
  }
  if (type === 'raw' && !attrs['value']) ruleError(source, 'type=raw needs a value');
  if (type === 'sha' && !['short', 'long', undefined].includes(attrs['format'])) {
    ruleError(source, 'format must be short or long');
  }
  const defaultPrefix = type === 'sha' ? 'sha-' : type === 'ref' && attrs['event'] === 'pr' ? 'pr-' : '';
  return {
    type,
    attrs,
    enable: enable === 'true',
    priority,
    prefix: attrs['prefix'] ?? defaultPrefix,
    suffix: attrs['suffix'] ?? '',
    source,
  };
}

function branchOf(ctx: EventContext): string | undefined {
  if (ctx.ref.startsWith('refs/heads/')) return ctx.ref.slice('refs/heads/'.length);
  return ctx.payload.pull_request?.head?.ref;
}

function gitTagOf(ctx: EventContext): string | undefined {
  return ctx.ref.startsWith('refs/tags/') ? ctx.ref.slice('refs/tags/'.length) : undefined;
}

function prNumberOf(ctx: EventContext): number | undefined {
  const fromRef = /^refs\/pull\/(\d+)\//.exec(ctx.ref);
  if (fromRef) return Number(fromRef[1]);
  return ctx.payload.pull_request?.number ?? ctx.payload.number;
}

/** moment-style date tokens used by metadata-action's `{{date 'YYYYMMDD'}}`, in UTC. */
function formatDate(format: string, now: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const tokens: Record<string, string> = {
    YYYY: String(now.getUTCFullYear()),
    YY: pad(now.getUTCFullYear() % 100),
    MM: pad(now.getUTCMonth() + 1),
    DD: pad(now.getUTCDate()),
    HH: pad(now.getUTCHours()),
    mm: pad(now.getUTCMinutes()),
    ss: pad(now.getUTCSeconds()),
  };
  return format.replace(/YYYY|YY|MM|DD|HH|mm|ss/g, (t) => tokens[t]!);
}

/** The global expressions {{branch}}, {{tag}}, {{sha}}, {{date 'fmt'}} (+ per-type ones from `extra`). */
function render(template: string, ctx: EventContext, now: Date, extra: Record<string, string> = {}): string {
  return template.replace(
    /\{\{\s*([a-z_]+)(?:\s+'([^']*)')?\s*\}\}/g,
    (whole, name: string, arg?: string) => {
      if (name === 'date') return formatDate(arg ?? 'YYYYMMDD', now);
      if (name in extra) return extra[name]!;
      if (name === 'branch') return branchOf(ctx) ?? '';
      if (name === 'tag') return gitTagOf(ctx) ?? '';
      if (name === 'sha') return ctx.sha.slice(0, 7);
      if (name === 'base_ref') return '';
      return whole;
    },
  );
}

/** Docker tags: [A-Za-z0-9_.-], at most 128 characters, not starting with . or -. */
export function sanitizeTag(tag: string): string {
  return tag
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
}

interface Produced {
  value: string;
  priority: number;
  /** The rule makes `latest` in auto mode. */
  latest: boolean;
}

function produce(rule: TagRule, ctx: EventContext, now: Date): Produced[] {
  const wrap = (value: string | undefined, latest = false): Produced[] => {
    if (value === undefined || value === '') return [];
    const full = `${render(rule.prefix, ctx, now)}${value}${render(rule.suffix, ctx, now)}`;
    return [{ value: full, priority: rule.priority, latest }];
  };
  switch (rule.type) {
    case 'schedule':
      return ctx.eventName === 'schedule' ? wrap(render(rule.attrs['pattern'] ?? 'nightly', ctx, now)) : [];
    case 'semver': {
      const raw = rule.attrs['value'] ? render(rule.attrs['value'], ctx, now) : gitTagOf(ctx);
      if (!raw) return [];
      const parsed = semver.parse(semver.clean(raw) ?? raw);
      if (!parsed) return [];
      const pattern = rule.attrs['pattern']!;
      // Pre-releases only ever produce {{version}} (or {{raw}}): they move too often for floating tags.
      const effective =
        parsed.prerelease.length > 0 && !pattern.includes('{{raw}}') ? '{{version}}' : pattern;
      const value = render(effective, ctx, now, {
        raw,
        version: parsed.version,
        major: String(parsed.major),
        minor: String(parsed.minor),
        patch: String(parsed.patch),
      });
      return wrap(value, parsed.prerelease.length === 0);
    }
    case 'match': {
      const raw = rule.attrs['value'] ? render(rule.attrs['value'], ctx, now) : gitTagOf(ctx);
      if (!raw) return [];
      const match = new RegExp(rule.attrs['pattern']!).exec(raw);
      return wrap(match?.[Number(rule.attrs['group'] ?? '0')], true);
    }
    case 'edge': {
      const branch = rule.attrs['branch'] ?? ctx.payload.repository?.default_branch;
      return ctx.ref === `refs/heads/${branch}` ? wrap('edge') : [];
    }
    case 'ref': {
      const event = rule.attrs['event'];
      if (event === 'branch') {
        return ctx.ref.startsWith('refs/heads/')
          ? wrap(sanitizeTag(ctx.ref.slice('refs/heads/'.length)))
          : [];
      }
      if (event === 'tag') {
        const tag = gitTagOf(ctx);
        return tag ? wrap(sanitizeTag(tag), true) : [];
      }
      const pr = prNumberOf(ctx);
      const isPr = ctx.eventName.startsWith('pull_request') || ctx.ref.startsWith('refs/pull/');
      return isPr && pr !== undefined ? wrap(String(pr)) : [];
    }
    case 'raw':
      return wrap(render(rule.attrs['value']!, ctx, now));
    case 'sha':
      return wrap(rule.attrs['format'] === 'long' ? ctx.sha : ctx.sha.slice(0, 7));
  }
}

/**
 * The tags for this event. `latest` follows metadata-action's `flavor: latest=auto`: added (priority 1)
 * when a type=ref,event=tag, type=semver (not a pre-release) or type=match rule produced a tag.
 */
export function computeTags(rules: readonly TagRule[], ctx: EventContext, now: Date): TagResult {
  const produced = rules.filter((r) => r.enable).flatMap((r) => produce(r, ctx, now));
  const all = produced.map((p) => ({ ...p, value: sanitizeTag(p.value) })).filter((p) => p.value !== '');
  if (all.some((p) => p.latest)) all.push({ value: 'latest', priority: 1, latest: false });
  // Stable sort: equal priorities keep the order they were written in.
  all.sort((a, b) => b.priority - a.priority);
  const tags = [...new Set(all.map((p) => p.value))];
  return { tags, version: tags[0] ?? '' };
}

/** The standard OCI labels from the repository and commit, overridden by the user's `labels`. */
export function computeLabels(
  ctx: EventContext,
  version: string,
  now: Date,
  extra: Record<string, string> = {},
): Record<string, string> {
  const repository = ctx.payload.repository ?? {};
  const url = repository.html_url ?? `${ctx.serverUrl}/${ctx.repo.owner}/${ctx.repo.repo}`;
  const labels: Record<string, string> = {
    'org.opencontainers.image.title': repository.name ?? ctx.repo.repo,
    'org.opencontainers.image.description': repository.description ?? '',
    'org.opencontainers.image.url': url,
    'org.opencontainers.image.source': url,
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.created': now.toISOString(),
    'org.opencontainers.image.revision': ctx.sha,
    'org.opencontainers.image.licenses': repository.license?.spdx_id ?? '',
  };
  return { ...labels, ...extra };
}

/** `key=value` lines of the `labels` input. */
export function parseLabels(lines: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  lines.forEach((line, index) => {
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(key)) {
      throw new InputError(
        `Input "labels" must be lines of key=value with a key such as org.opencontainers.image.vendor; line ${index + 1} is not, got ${quoteExcerpt(line)}.`,
      );
    }
    labels[key] = line.slice(eq + 1).trim();
  });
  return labels;
}
