import type { FleetInstance, SlotConfig, SlotFleet } from './fleet.js';
import { type Ping, parseStatuses, warmUp } from './health.js';

/**
 * An App Service slot swap over two fleets, in the documented order:
 * 1. apply the target's sticky settings to the source instances (they restart);
 * 2. warm up every source instance (`WEBSITE_SWAP_WARMUP_PING_PATH`, `…_STATUSES`);
 * 3. switch routing: both fleets' instance lists change in one synchronous step, so a request is routed
 *    either before or after, and requests in flight finish on the instance they started on;
 * 4. the former target instances, now behind the source slot, restart with the source's sticky settings.
 * A failed warm-up aborts before step 3: the target (production) is untouched and the source is put back.
 */

export interface SlotSettings {
  image?: string;
  appSettings: Readonly<Record<string, string>>;
  healthCheckPath?: string;
  registry?: SlotConfig['registry'];
}

/** Which settings each slot holds after the swap: sticky names stay, everything else travels with the app. */
export function swappedSettings(
  source: SlotSettings,
  target: SlotSettings,
  stickyNames: readonly string[],
): { target: SlotSettings; source: SlotSettings } {
  const sticky = new Set(stickyNames.map((n) => n.toLowerCase()));
  const pick = (settings: Readonly<Record<string, string>>, wantSticky: boolean) =>
    Object.fromEntries(Object.entries(settings).filter(([k]) => sticky.has(k.toLowerCase()) === wantSticky));
  return {
    target: {
      ...source,
      appSettings: { ...pick(source.appSettings, false), ...pick(target.appSettings, true) },
    },
    source: {
      ...target,
      appSettings: { ...pick(target.appSettings, false), ...pick(source.appSettings, true) },
    },
  };
}

export function fleetConfig(settings: SlotSettings): SlotConfig {
  return {
    image: settings.image,
    env: settings.appSettings,
    healthCheckPath: settings.healthCheckPath,
    registry: settings.registry,
  };
}

export class SwapWarmUpError extends Error {}

export interface SwapOptions {
  capacity: number;
  timeScale: number;
  ping?: Ping;
  log?: (line: string) => void;
  /** Aborts the warm-up when the sandbox stops. */
  signal?: AbortSignal;
}

/** Step 1 and 2 alone: what `applySlotConfig` (swap with preview) does. */
export async function prepareSwap(
  sourceFleet: SlotFleet,
  after: { target: SlotSettings },
  opts: SwapOptions,
): Promise<void> {
  await sourceFleet.reconcile(fleetConfig(after.target), opts.capacity);
  const env = after.target.appSettings;
  const path = env['WEBSITE_SWAP_WARMUP_PING_PATH'] || '/';
  const statuses = parseStatuses(env['WEBSITE_SWAP_WARMUP_PING_STATUSES']);
  // App Service waits 90 s per ping and tries 5 times; compressed by the sandbox's time scale.
  const timeoutMs = Math.max(2_000, 90_000 / opts.timeScale);
  const results = await Promise.all(
    sourceFleet.instances.map(async (i: FleetInstance) => ({
      i,
      r: await warmUp(i.port, {
        path,
        statuses,
        attempts: 5,
        timeoutMs,
        delayMs: Math.max(200, 10_000 / opts.timeScale),
        ping: opts.ping,
        signal: opts.signal,
      }),
    })),
  );
  const cold = results.filter((x) => !x.r.warm);
  if (cold.length > 0 || results.length === 0) {
    const detail =
      cold.map((x) => `${x.i.id} answered ${x.r.lastStatus ?? 'nothing'}`).join(', ') ||
      'no instance is running';
    throw new SwapWarmUpError(
      `warm-up of ${path} failed after 5 attempts (${detail}); expected ${statuses ? [...statuses].join(' or ') : 'any status'}`,
    );
  }
  opts.log?.(`warmed ${results.length} instance(s) on ${path}`);
}

/** Steps 3 and 4: switch routing, then restart the former target instances with the source's sticky settings. */
export function completeSwap(
  sourceFleet: SlotFleet,
  targetFleet: SlotFleet,
  after: { target: SlotSettings; source: SlotSettings },
  opts: SwapOptions,
): Promise<void> {
  const sourceInstances = sourceFleet.instances;
  const sourceConfig = fleetConfig(after.target);
  const formerTarget = targetFleet.adopt(sourceConfig, sourceInstances);
  // Both assignments happen in one synchronous step: no request can see a half-swapped state. The former
  // target instances keep their config key, so the reconcile below restarts them only if settings differ.
  sourceFleet.adopt(fleetConfig(after.source), formerTarget);
  // The swap is done once routing has switched; the source slot's restart with its own sticky settings
  // goes on in the background, as on App Service (the operation does not wait for it).
  sourceFleet
    .reconcile(fleetConfig(after.source), opts.capacity)
    .catch((error) =>
      opts.log?.(`restarting the source slot after the swap failed: ${(error as Error).message}`),
    );
  return Promise.resolve();
}

/** A full swap; on a failed warm-up the source gets its own settings back and the error is rethrown. */
export async function swap(
  sourceFleet: SlotFleet,
  targetFleet: SlotFleet,
  before: { source: SlotSettings; target: SlotSettings },
  stickyNames: readonly string[],
  opts: SwapOptions,
): Promise<void> {
  const after = swappedSettings(before.source, before.target, stickyNames);
  try {
    await prepareSwap(sourceFleet, after, opts);
  } catch (error) {
    if (!opts.signal?.aborted)
      await sourceFleet.reconcile(fleetConfig(before.source), opts.capacity).catch(() => undefined);
    throw error;
  }
  await completeSwap(sourceFleet, targetFleet, after, opts);
}
