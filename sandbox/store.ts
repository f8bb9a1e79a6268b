import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One ARM resource as the sandbox keeps it. `internal` holds what ARM exposes only through sub-paths. */
export interface StoredResource {
  /** Canonical casing, as created. Lookups are case-insensitive. */
  id: string;
  type: string;
  name: string;
  location?: string;
  kind?: string;
  tags?: Record<string, string>;
  sku?: Record<string, unknown>;
  properties: Record<string, unknown>;
  internal?: Record<string, unknown>;
}

export interface Principal {
  name: string;
  clientId: string;
  objectId: string;
  clientSecret: string | null;
  federatedCredentials: { name: string; issuer: string; subject: string; audiences: string[] }[];
}

export interface RoleAssignment {
  principalObjectId: string;
  role: 'Owner' | 'Contributor' | 'Reader' | 'User Access Administrator';
  scope: string;
}

/** Everything that survives a restart. Written to DIR/state.json after every change. */
export interface PersistedState {
  version: 1;
  tenantId: string;
  subscriptionId: string;
  location: string;
  principals: Principal[];
  roleAssignments: RoleAssignment[];
  resources: StoredResource[];
  /** The request token behind connection.json's oidcRequestToken, and the claims it stands for. */
  githubRequestTokens: Record<string, GithubRunClaims>;
  settings: { tokenLifetimeSeconds: number; operationDurationMs: number; retryAfterSeconds: number };
  defaults: { resourceGroup: string; siteName: string; planName: string; autoscaleSettingName: string };
}

export interface GithubRunClaims {
  repository: string;
  environment?: string;
  ref: string;
  actor: string;
  /**
   * The triggering event (default `push`). `pull_request` without an environment gives GitHub's subject
   * `repo:<repo>:pull_request` instead of the ref's; the token's `event_name` claim either way.
   */
  eventName?: string;
  /**
   * The owner's and repository's immutable numeric ids. With both, the subject takes GitHub's immutable form
   * `repo:<owner>@<owner id>/<repo>@<repo id>:…`, the default for repositories created or renamed since
   * 2026-07-15, and the token carries `repository_owner_id` and `repository_id`.
   */
  ownerId?: number;
  repositoryId?: number;
}

export type StoreChange =
  | { kind: 'put'; id: string; type: string; before?: StoredResource; after: StoredResource }
  | { kind: 'delete'; id: string; type: string; before: StoredResource };

/** Something happened to a resource that is not a change of its document: a restart, a swap, a stop. */
export interface ResourceAction {
  action: 'restart' | 'start' | 'stop' | 'swap';
  id: string;
  detail?: Record<string, unknown>;
}

/**
 * The sandbox's resources, keyed by lowercased id. Emits `change` (StoreChange) after every write and
 * `action` (ResourceAction) for verbs, so the data plane (slots running containers, autoscale) can
 * follow the control plane without polling it.
 */
export class ResourceStore extends EventEmitter<{ change: [StoreChange]; action: [ResourceAction] }> {
  private readonly resources = new Map<string, StoredResource>();

  constructor(
    readonly state: PersistedState,
    private readonly file: string | undefined,
  ) {
    super();
    for (const resource of state.resources) this.resources.set(resource.id.toLowerCase(), resource);
  }

  static load(stateDir: string): PersistedState | undefined {
    const file = join(stateDir, 'state.json');
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
  }

  get(id: string): StoredResource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  /** Resources of `type` (case-insensitive) whose id starts with `prefix` (case-insensitive), in creation order. */
  list(type: string, prefix = ''): StoredResource[] {
    const lowerPrefix = prefix.toLowerCase();
    const lowerType = type.toLowerCase();
    return [...this.resources.values()].filter(
      (r) => r.type.toLowerCase() === lowerType && r.id.toLowerCase().startsWith(lowerPrefix),
    );
  }

  /** Every resource whose id starts with `prefix` (case-insensitive), in creation order. */
  under(prefix: string): StoredResource[] {
    const lowerPrefix = prefix.toLowerCase();
    return [...this.resources.values()].filter((r) => r.id.toLowerCase().startsWith(lowerPrefix));
  }

  put(resource: StoredResource): StoredResource {
    const key = resource.id.toLowerCase();
    const before = this.resources.get(key);
    // Keep the casing the resource was created with, as ARM does.
    const after = before ? { ...resource, id: before.id } : resource;
    this.resources.set(key, after);
    this.persist();
    this.emit('change', { kind: 'put', id: after.id, type: after.type, before, after });
    return after;
  }

  /** Delete a resource and everything under it (a site's slots go with it). */
  delete(id: string): StoredResource | undefined {
    const key = id.toLowerCase();
    const before = this.resources.get(key);
    if (!before) return undefined;
    const removed = [...this.resources.entries()].filter(([k]) => k === key || k.startsWith(`${key}/`));
    for (const [k] of removed) this.resources.delete(k);
    this.persist();
    for (const [, r] of removed) this.emit('change', { kind: 'delete', id: r.id, type: r.type, before: r });
    return before;
  }

  recordAction(action: ResourceAction): void {
    this.emit('action', action);
  }

  persist(): void {
    if (!this.file) return;
    this.state.resources = [...this.resources.values()];
    // Write-then-rename: a crash mid-write leaves the previous state, never half a file.
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
