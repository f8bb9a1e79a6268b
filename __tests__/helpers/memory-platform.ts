import type { CancellableProbe } from '../../src/deploy-slot/deps.js';
import type { Platform } from '../../src/deploy-slot/platform.js';
import { ArmError } from '../../src/lib/azure/errors.js';
import type { RampUpRule, SiteConfig } from '../../src/lib/azure/web.js';
import { throwIfCancelled } from '../../src/lib/cancellation.js';

/**
 * An in-memory App Service app for deploy-slot's modes, through the same Platform interface the ARM
 * platform implements: slots with an image, health path, app settings and instances; production's
 * ramp-up rules and sticky (slot) setting names; the site's tags with the Tags API's Merge/Delete; swap,
 * swap with preview (apply/reset slot config). The app's health endpoint answers through `probe`.
 *
 * Like the ARM platform, each view from `platformFor(signal)` stops calling once `signal` aborts: an
 * abort before a call means it never reached the platform; an abort while it runs (`onCall` 'after')
 * means it took effect but its answer is lost. Faults: `fail(method, error, { times, when })`,
 * `tagWritesStick = false`.
 */

/** A slot's state; instance names change with `generation`, as new containers get new names. */
export interface MemorySlot {
  image?: string;
  healthCheckPath?: string | null;
  settings: Record<string, string>;
  generation: number;
  instances: number;
  /** Set by applySlotConfig (swap with preview), cleared by resetSlotConfig and swap. */
  targetSwapSlot?: string | null;
  /** The slot's own values of the sticky settings, while the target's are applied to it. */
  ownSticky?: Record<string, string>;
}

export type Method = keyof Platform | 'probe';

interface Fault {
  method: Method;
  error: () => Error;
  times: number;
  when: (args: unknown[]) => boolean;
}

export const V1 = 'ghcr.io/o/web:1.0.0';
export const V2 = 'ghcr.io/o/web:2.0.0';

/** The 409 ARM answers while another operation runs on the site. */
export const conflict = (): ArmError =>
  new ArmError(409, 'Conflict', 'Cannot modify this site because another operation is in progress.');

export class MemoryPlatform {
  readonly slots: Record<string, MemorySlot>;
  readonly tags: Record<string, string> = {};
  rampUpRules: RampUpRule[] = [];
  stickyNames: string[] = [];
  /** Every call that reached the platform, as `method arg…` (after faults and aborts before it). */
  readonly calls: string[] = [];
  /** Tag writes answer success but change nothing (a policy that removes tags). */
  tagWritesStick = true;
  /** What the health path answers for a slot running `image` with `settings`: a status or a network error. */
  answer: (slot: string, image: string, settings: Record<string, string>) => number | 'ECONNREFUSED' = () =>
    200;
  /** Called before and after each call (probes too): a test cancels the run here. */
  onCall: (method: Method, when: 'before' | 'after', args: unknown[]) => void = () => {};
  private readonly faults: Fault[] = [];

  constructor(images: Record<string, string | undefined> = { production: V1, staging: V1 }) {
    this.slots = {};
    for (const [name, image] of Object.entries(images))
      this.slots[name] = {
        ...(image ? { image } : {}),
        healthCheckPath: '/healthz',
        settings: {},
        generation: 1,
        instances: 1,
      };
  }

  /** Fail `method` with `error` the next `times` calls (default: every call) for which `when` holds. */
  fail(
    method: Method,
    error: () => Error,
    opts: { times?: number; when?: (args: unknown[]) => boolean } = {},
  ): void {
    this.faults.push({ method, error, times: opts.times ?? Infinity, when: opts.when ?? (() => true) });
  }

  slot(name: string): MemorySlot {
    const slot = this.slots[name];
    if (!slot) throw new ArmError(404, 'ResourceNotFound', `slot ${name} does not exist`);
    return slot;
  }

  hostName(slot: string): string {
    return slot === 'production' ? 'web.example' : `web-${slot}.example`;
  }

  readonly probe: CancellableProbe = (url, signal) =>
    this.call('probe', signal, [url], () => {
      const host = new URL(url).host;
      const name = Object.keys(this.slots).find((s) => this.hostName(s) === host);
      const slot = name ? this.slots[name] : undefined;
      if (!name || !slot?.image) return { error: 'ECONNREFUSED' };
      const answer = this.answer(name, slot.image, slot.settings);
      return answer === 'ECONNREFUSED' ? { error: answer } : { status: answer };
    });

  /** A view whose calls stop once `signal` aborts, as armPlatform's do. */
  platformFor(signal?: AbortSignal): Platform {
    const call = <T>(method: Method, args: unknown[], work: () => T) => this.call(method, signal, args, work);
    return {
      site: (slot) =>
        call('site', [slot], () => ({
          id: `/sites/web/slots/${slot}`,
          name: slot,
          properties: {
            defaultHostName: this.hostName(slot),
            targetSwapSlot: this.slot(slot).targetSwapSlot ?? null,
          },
        })),
      config: (slot) => call('config', [slot], () => this.config(slot)),
      updateConfig: (slot, config) =>
        call('updateConfig', [slot, config], () => this.updateConfig(slot, config)),
      appSettings: (slot) => call('appSettings', [slot], () => ({ ...this.slot(slot).settings })),
      updateAppSettings: (slot, settings) =>
        call('updateAppSettings', [slot, settings], () => {
          const s = this.slot(slot);
          s.settings = { ...settings };
          s.generation++;
        }),
      stickyNames: () => call('stickyNames', [], () => [...this.stickyNames]),
      updateStickyNames: (names) =>
        call('updateStickyNames', [names], () => {
          this.stickyNames = [...names];
        }),
      tags: () => call('tags', [], () => ({ ...this.tags })),
      mergeTags: (tags) =>
        call('mergeTags', [tags], () => {
          if (this.tagWritesStick) Object.assign(this.tags, tags);
        }),
      deleteTags: (tags) =>
        call('deleteTags', [tags], () => {
          if (!this.tagWritesStick) return;
          for (const [k, v] of Object.entries(tags)) if (v === '' || this.tags[k] === v) delete this.tags[k];
        }),
      instances: (slot) =>
        call('instances', [slot], () => {
          const s = this.slot(slot);
          return Array.from({ length: s.instances }, (_, i) => ({
            name: `${slot}-g${s.generation}-${i}`,
            state: 'READY',
          }));
        }),
      swap: (slot, target) => call('swap', [slot, target], () => this.swap(slot, target)),
      applySlotConfig: (slot, target) =>
        call('applySlotConfig', [slot, target], () => {
          const s = this.slot(slot);
          const t = this.slot(target);
          s.ownSticky = pick(s.settings, this.stickyNames);
          s.settings = { ...s.settings, ...pick(t.settings, this.stickyNames) };
          s.targetSwapSlot = target;
          s.generation++;
        }),
      resetSlotConfig: (slot) =>
        call('resetSlotConfig', [slot], () => {
          const s = this.slot(slot);
          if (s.ownSticky) s.settings = { ...s.settings, ...s.ownSticky };
          delete s.ownSticky;
          s.targetSwapSlot = null;
          s.generation++;
        }),
    };
  }

  private config(slot: string): SiteConfig {
    const s = this.slot(slot);
    return {
      linuxFxVersion: s.image ? `DOCKER|${s.image}` : '',
      healthCheckPath: s.healthCheckPath ?? null,
      ...(slot === 'production'
        ? { experiments: { rampUpRules: this.rampUpRules.map((r) => ({ ...r })) } }
        : {}),
    };
  }

  private updateConfig(slot: string, config: SiteConfig): void {
    const s = this.slot(slot);
    if (config.linuxFxVersion !== undefined) {
      const image = config.linuxFxVersion.replace(/^DOCKER\|/, '');
      if (image !== s.image) s.generation++;
      if (image) s.image = image;
      else delete s.image;
    }
    if (config.healthCheckPath !== undefined) s.healthCheckPath = config.healthCheckPath;
    if (config.experiments?.rampUpRules)
      this.rampUpRules = config.experiments.rampUpRules.map((r) => ({ ...r }));
  }

  /** What moves in a swap: the app (image, health path, instances) and its non-sticky settings. */
  private swap(slot: string, target: string): void {
    const a = this.slot(slot);
    const b = this.slot(target);
    const sticky = (s: MemorySlot) => pick(s.ownSticky ?? s.settings, this.stickyNames);
    const moving = (s: MemorySlot) =>
      Object.fromEntries(Object.entries(s.settings).filter(([k]) => !this.stickyNames.includes(k)));
    const [aSticky, bSticky, aMoving, bMoving] = [sticky(a), sticky(b), moving(a), moving(b)];
    const fields = (s: MemorySlot) => ({
      image: s.image,
      healthCheckPath: s.healthCheckPath,
      generation: s.generation,
      instances: s.instances,
    });
    const [fa, fb] = [fields(a), fields(b)];
    Object.assign(a, fb, { settings: { ...bMoving, ...aSticky }, targetSwapSlot: null });
    Object.assign(b, fa, { settings: { ...aMoving, ...bSticky } });
    delete a.ownSticky;
    for (const s of [a, b]) if (s.image === undefined) delete s.image;
  }

  private async call<T>(
    method: Method,
    signal: AbortSignal | undefined,
    args: unknown[],
    work: () => T,
  ): Promise<T> {
    await Promise.resolve();
    throwIfCancelled(signal);
    this.onCall(method, 'before', args);
    throwIfCancelled(signal);
    const fault = this.faults.find((f) => f.method === method && f.times > 0 && f.when(args));
    if (fault) {
      fault.times--;
      this.calls.push(`${method} ${args.map(show).join(' ')} ✘`);
      throw fault.error();
    }
    this.calls.push(`${method} ${args.map(show).join(' ')}`.trimEnd());
    const value = work();
    this.onCall(method, 'after', args);
    throwIfCancelled(signal);
    return value;
  }
}

function pick(settings: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).filter(([k]) => names.includes(k)));
}

function show(arg: unknown): string {
  return typeof arg === 'string' ? arg : JSON.stringify(arg);
}
