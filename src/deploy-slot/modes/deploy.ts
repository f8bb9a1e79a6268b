import { ActionError } from '../../lib/errors.js';
import { asFailure, type Images, type RunContext, type RunResult, type SlotSnapshot } from '../context.js';
import { imageOf } from '../record.js';
import { recover } from '../steps/recover.js';
import { waitSlotHealthy } from '../steps/slot-health.js';

/** `action: deploy`: put the image on the slot and wait until it is healthy; the target is not touched. */
export async function deploy(ctx: RunContext, before: Images): Promise<RunResult> {
  const image = requireImage(ctx, ctx.inputs.image);
  let snapshot: SlotSnapshot | undefined;
  try {
    snapshot = await deployPhase(ctx, image);
    await waitDeployedPhase(ctx, image, snapshot);
  } catch (error) {
    return recover(ctx, asFailure(error), before, image, snapshot);
  }
  const after = await ctx.images();
  return ctx.result(
    true,
    `Deployed ${image} to slot ${ctx.slot} of ${ctx.inputs.appName}; every instance is healthy on ${ctx.healthPath}.`,
    { image, ...(before.slot ? { previousImage: before.slot } : {}), before, after },
  );
}

export function requireImage(ctx: RunContext, image: string | undefined): string {
  if (!image)
    throw new ActionError(`Slot ${ctx.slot} of ${ctx.inputs.appName} runs no container image to swap.`);
  return image;
}

/** The `deploy` phase: the slot's settings and image; returns the slot as it was, for recovery. */
export function deployPhase(ctx: RunContext, image: string): Promise<SlotSnapshot> {
  return ctx.phase(
    'deploy',
    () => configureSlot(ctx, image),
    () => `${ctx.slot} → ${image}`,
  );
}

/** The `wait healthy` phase after a deploy: the instances that served before are gone, the new ones answer. */
export function waitDeployedPhase(ctx: RunContext, image: string, snapshot: SlotSnapshot): Promise<string> {
  return ctx.phase(
    'wait healthy',
    () => waitSlotHealthy(ctx, image, ctx.slot, ctx.urls.slot!, snapshot.replaced),
    (n) => n,
  );
}

async function configureSlot(ctx: RunContext, image: string): Promise<SlotSnapshot> {
  const { platform, inputs } = ctx;
  const [config, settings, instances] = await Promise.all([
    platform.config(ctx.slot),
    platform.appSettings(ctx.slot),
    platform.instances(ctx.slot),
  ]);
  const snapshot: SlotSnapshot = {
    linuxFxVersion: config.linuxFxVersion ?? null,
    healthCheckPath: config.healthCheckPath ?? null,
    settings,
    replaced: [],
  };
  if (inputs.stickySettings.length > 0) {
    const names = await platform.stickyNames();
    const missing = inputs.stickySettings.filter((n) => !names.includes(n));
    if (missing.length > 0) {
      await platform.updateStickyNames([...names, ...missing]);
      ctx.deps.log(`Slot settings (sticky) added: ${missing.join(', ')}`);
    }
  }
  const next: Record<string, string> = { ...settings };
  if (inputs.registry) {
    next['DOCKER_REGISTRY_SERVER_URL'] = inputs.registry.server;
    next['DOCKER_REGISTRY_SERVER_USERNAME'] = inputs.registry.username;
    next['DOCKER_REGISTRY_SERVER_PASSWORD'] = inputs.registry.password;
  }
  for (const [name, setting] of Object.entries(inputs.appSettings)) next[name] = setting.value;
  const changed = Object.keys(next).filter((k) => next[k] !== settings[k]);
  // Changing the image, settings or health path restarts the app: probes must not be answered by the
  // instances that served before.
  if (
    changed.length > 0 ||
    imageOf(config.linuxFxVersion) !== image ||
    (inputs.healthPath !== undefined && inputs.healthPath !== config.healthCheckPath)
  )
    snapshot.replaced = instances.map((i) => i.name);
  if (changed.length > 0) {
    await platform.updateAppSettings(ctx.slot, next);
    ctx.deps.log(`App settings set on ${ctx.slot}: ${changed.sort().join(', ')}`);
  }
  await platform.updateConfig(ctx.slot, {
    linuxFxVersion: `DOCKER|${image}`,
    ...(inputs.healthPath ? { healthCheckPath: inputs.healthPath } : {}),
  });
  return snapshot;
}
