import { formatDuration } from '../../lib/duration.js';
import { CheckFailedError, TimeoutError } from '../../lib/errors.js';
import type { RunContext } from '../context.js';
import { verifyStrict, waitHealthy } from '../health.js';
import { imageOf } from '../record.js';

const READY = /^(ready|running)$/i;

/**
 * Wait until `label`'s config shows `image`, every instance is ready and the health path answers, within
 * health-timeout. `replaced` names the instances that served before a restart: they must be gone first.
 */
export async function waitSlotHealthy(
  ctx: RunContext,
  image: string,
  label = ctx.slot,
  url = ctx.urls.slot!,
  replaced: readonly string[] = [],
): Promise<string> {
  const { platform, inputs, deps } = ctx;
  const deadline = deps.clock.now() + inputs.healthTimeoutMs;
  const shown = imageOf((await platform.config(label)).linuxFxVersion);
  if (shown !== image) throw new CheckFailedError(`${label} runs ${shown ?? 'no container'}, not ${image}`);
  let instances = await platform.instances(label);
  if (replaced.length > 0) {
    // Where a restart replaces instances (new containers get new names), wait until none of the old
    // ones is left. Where names are stable (App Service workers), nothing changes: go on after a grace
    // period, which covers the restart itself.
    const graceEnd = deps.clock.now() + Math.min(30_000, inputs.healthTimeoutMs / 2);
    const old = new Set(replaced);
    while (instances.some((i) => old.has(i.name)) && deps.clock.now() < graceEnd) {
      await ctx.sleep(deps.probeIntervalMs ?? 500);
      instances = await platform.instances(label);
    }
  }
  while (instances.some((i) => i.state && !READY.test(i.state))) {
    if (deps.clock.now() >= deadline)
      throw new TimeoutError(
        `instances of ${label} not ready after ${formatDuration(inputs.healthTimeoutMs)}: ${instances.map((i) => `${i.name.slice(0, 12)} ${i.state}`).join(', ')}`,
      );
    await ctx.sleep(deps.probeIntervalMs ?? 500);
    instances = await platform.instances(label);
  }
  const consecutive = Math.max(2, 2 * instances.length);
  const outcome = await waitHealthy(`${url}${ctx.healthPath}`, {
    accept: inputs.healthStatuses,
    consecutive,
    intervalMs: deps.probeIntervalMs ?? 500,
    timeoutMs: Math.max(0, deadline - deps.clock.now()),
    probe: ctx.probe,
    clock: ctx.healthClock,
  });
  if (!outcome.healthy)
    throw new TimeoutError(
      `${label} did not become healthy in ${formatDuration(inputs.healthTimeoutMs)} (health-timeout): ${ctx.healthPath} last answered ${outcome.last}, expected ${inputs.healthStatusesText} ${consecutive} times in a row`,
    );
  // The explicit final check: the slot still runs what we deployed (nobody changed it while we waited).
  const final = imageOf((await platform.config(label)).linuxFxVersion);
  if (final !== image)
    throw new CheckFailedError(`${label} changed to ${final ?? 'no container'} while waiting`);
  return `${instances.length} instance(s) ready, ${outcome.probes} probe(s) of ${ctx.healthPath}`;
}

/** Strict verification of what the target serves: every probe must answer an accepted status. */
export async function verifyTarget(ctx: RunContext, image: string, label = ctx.target): Promise<string> {
  const { platform, inputs, deps } = ctx;
  const shown = imageOf((await platform.config(label)).linuxFxVersion);
  if (shown !== image) throw new CheckFailedError(`${label} runs ${shown ?? 'no container'}, not ${image}`);
  const instances = await platform.instances(label);
  const count = Math.max(3, 2 * instances.length);
  const outcome = await verifyStrict(`${ctx.urls.target}${ctx.healthPath}`, {
    accept: inputs.healthStatuses,
    count,
    intervalMs: deps.verifyIntervalMs ?? 250,
    probe: ctx.probe,
    clock: ctx.healthClock,
  });
  if (!outcome.healthy)
    throw new CheckFailedError(
      `${label} failed verification: ${ctx.healthPath} answered ${outcome.last} on probe ${outcome.probes} of ${count}, expected ${inputs.healthStatusesText}`,
    );
  return `${count} probes of ${ctx.healthPath} answered ${inputs.healthStatusesText}`;
}
