/**
 * The deployment record and the lease live in tags on the site (production) resource: tags survive swaps
 * (they belong to the resource, not to the app in a slot), any later job can read them with the same
 * permissions the deploy needs, and they need no storage account.
 */

/** Azure's limit for a tag value. */
export const TAG_VALUE_MAX = 256;

export interface DeploymentRecord {
  /** What slotline last swapped (or redeployed) into the target: `DOCKER|…` without the prefix. */
  releasedImage?: string;
  /** What the target served before that release: where `rollback` goes. */
  previousImage?: string;
  /** Set by rollback: the image it took out of the target, so a second rollback is a no-op. */
  rolledBackFrom?: string;
  releasedAt?: string;
  /**
   * Written before a swap and removed once the release is verified (or rolled back): a release killed in
   * between leaves it, so `rollback` knows production runs `pendingImage` and goes back to
   * `pendingPreviousImage`, not to the release before that.
   */
  pendingImage?: string;
  pendingPreviousImage?: string;
}

export interface Lease {
  holder: string;
  expiresAt: number;
  /** Unique per run, so a run recognises its own lease even when two runs share a holder name. */
  nonce: string;
}

function prefix(target: string): string {
  return target.toLowerCase() === 'production' ? 'slotline' : `slotline-${target.toLowerCase()}`;
}

export function recordKeys(target: string) {
  const p = prefix(target);
  return {
    releasedImage: `${p}-released-image`,
    previousImage: `${p}-previous-image`,
    rolledBackFrom: `${p}-rolled-back-from`,
    releasedAt: `${p}-released-at`,
    pendingImage: `${p}-pending-image`,
    pendingPreviousImage: `${p}-pending-previous-image`,
  } as const;
}

/** One lease per app: every slot of an app shares the site it swaps into, so swaps must not overlap. */
export const LEASE_TAG = 'slotline-lease';

export function readRecord(tags: Readonly<Record<string, string>>, target: string): DeploymentRecord {
  const keys = recordKeys(target);
  const record: DeploymentRecord = {};
  for (const [field, key] of Object.entries(keys) as [keyof DeploymentRecord, string][]) {
    const value = tags[key];
    if (value) record[field] = value;
  }
  return record;
}

/**
 * The Tags API calls that write `record` for `target`: fields with a value are merged, fields set to
 * undefined are deleted. Only the fields present as keys in `record` are touched.
 */
export function recordPatch(
  target: string,
  record: DeploymentRecord,
): { merge: Record<string, string>; remove: Record<string, string> } {
  const keys = recordKeys(target);
  const merge: Record<string, string> = {};
  const remove: Record<string, string> = {};
  for (const field of Object.keys(record) as (keyof DeploymentRecord)[]) {
    const key = keys[field];
    const value = record[field];
    if (value === undefined) remove[key] = '';
    else {
      if (value.length > TAG_VALUE_MAX)
        throw new Error(
          `${key} would be ${value.length} characters; Azure tags hold at most ${TAG_VALUE_MAX}`,
        );
      merge[key] = value;
    }
  }
  return { merge, remove };
}

export function formatLease(lease: Lease): string {
  const value = `${lease.nonce}|${new Date(lease.expiresAt).toISOString()}|${lease.holder}`;
  return value.slice(0, TAG_VALUE_MAX);
}

export function parseLease(value: string | undefined): Lease | undefined {
  if (!value) return undefined;
  const [nonce, expires, ...holder] = value.split('|');
  const expiresAt = Date.parse(expires ?? '');
  if (!nonce || Number.isNaN(expiresAt)) return undefined;
  return { nonce, expiresAt, holder: holder.join('|') || 'unknown' };
}

/** `linuxFxVersion` → image: `DOCKER|ghcr.io/a/b:1` → `ghcr.io/a/b:1`; anything else (no container) → undefined. */
export function imageOf(linuxFxVersion: string | undefined | null): string | undefined {
  const m = /^DOCKER\|(.+)$/i.exec(linuxFxVersion ?? '');
  return m ? m[1]!.trim() : undefined;
}

/** Who holds the lease, in words a person can find: the workflow run that took it. */
export function holderName(env: Readonly<Record<string, string | undefined>>): string {
  const repo = env['GITHUB_REPOSITORY'];
  const runId = env['GITHUB_RUN_ID'];
  if (repo && runId) {
    const attempt = env['GITHUB_RUN_ATTEMPT'] ? `/attempts/${env['GITHUB_RUN_ATTEMPT']}` : '';
    const job = env['GITHUB_JOB'] ? ` (job ${env['GITHUB_JOB']})` : '';
    return `${env['GITHUB_SERVER_URL'] ?? 'https://github.com'}/${repo}/actions/runs/${runId}${attempt}${job}`;
  }
  return `${env['USER'] ?? 'unknown user'} on ${env['HOSTNAME'] ?? 'an unknown host'} (pid ${process.pid})`;
}
