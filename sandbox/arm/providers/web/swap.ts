import { sendJson } from '../../../http.js';
import type { StoredResource } from '../../../store.js';
import type { Call } from '../../context.js';
import { WebBase } from './base.js';
import { SLOT_BOUND_SITE_CONFIG } from './templates.js';

/** Slot swaps and their preview: slotsswap, slotsdiffs, applyslotconfig and resetslotconfig. */
export class Swaps extends WebBase {
  /** Exchange what a swap moves between two slots; sticky settings and slot-bound config stay put. */
  exchange(a: StoredResource, b: StoredResource, now: string): [StoredResource, StoredResource] {
    const sticky = this.stickyNames(this.parentSite(a));
    const restore = (r: StoredResource) => {
      const preview = r.internal?.['preview'] as { saved: Record<string, string | null> } | undefined;
      const settings = { ...(r.internal?.['appSettings'] as Record<string, string>) };
      for (const [k, v] of Object.entries(preview?.saved ?? {})) {
        if (v === null) delete settings[k];
        else settings[k] = v;
      }
      return settings;
    };
    const settingsA = restore(a);
    const settingsB = restore(b);
    const split = (settings: Record<string, string>) => {
      const stays: Record<string, string> = {};
      const moves: Record<string, string> = {};
      for (const [k, v] of Object.entries(settings))
        (sticky.has(k) || /_EXTENSION_VERSION$/.test(k) ? stays : moves)[k] = v;
      return { stays, moves };
    };
    const sa = split(settingsA);
    const sb = split(settingsB);
    const configA = a.internal?.['siteConfig'] as Record<string, unknown>;
    const configB = b.internal?.['siteConfig'] as Record<string, unknown>;
    const swapConfig = (own: Record<string, unknown>, other: Record<string, unknown>) => {
      const result: Record<string, unknown> = { ...other };
      for (const key of SLOT_BOUND_SITE_CONFIG) if (key in own) result[key] = own[key];
      return result;
    };
    const status = {
      timestampUtc: now,
      sourceSlotName: this.slotName(a),
      destinationSlotName: this.slotName(b),
    };
    const next = (
      r: StoredResource,
      own: typeof sa,
      other: typeof sa,
      config: Record<string, unknown>,
    ): StoredResource => {
      const { preview: _preview, ...internal } = r.internal ?? {};
      return {
        ...r,
        properties: {
          ...r.properties,
          slotSwapStatus: status,
          targetSwapSlot: null,
          lastModifiedTimeUtc: now,
        },
        internal: { ...internal, appSettings: { ...other.moves, ...own.stays }, siteConfig: config },
      };
    };
    return [next(a, sa, sb, swapConfig(configA, configB)), next(b, sb, sa, swapConfig(configB, configA))];
  }

  async swap(c: Call): Promise<void> {
    const source = this.requireSite(c.m);
    this.assertUnlocked(source);
    const target = this.requireTarget(source, await c.body());
    const site = this.parentSite(source);
    const beforeSwap = this.hooks.beforeSwap;
    this.startOperation(c, {
      name: 'SwapSiteSlots',
      site,
      asyncHeader: false,
      ...(beforeSwap ? { work: () => beforeSwap(source, target, [...this.stickyNames(site)]) } : {}),
      complete: () => {
        const a = this.store.get(source.id);
        const b = this.store.get(target.id);
        if (!a || !b) return;
        const [na, nb] = this.exchange(a, b, new Date(this.clock.now()).toISOString());
        this.store.put(na);
        this.store.put(nb);
        this.store.recordAction({
          action: 'swap',
          id: site.id,
          detail: { source: this.slotName(a), target: this.slotName(b) },
        });
      },
    });
    sendJson(c.res, 202, undefined);
  }

  async slotsDiffs(c: Call): Promise<void> {
    const current = this.requireSite(c.m);
    const target = this.requireTarget(current, await c.body());
    const sticky = this.stickyNames(this.parentSite(current));
    const a = (current.internal?.['appSettings'] ?? {}) as Record<string, string>;
    const b = (target.internal?.['appSettings'] ?? {}) as Record<string, string>;
    const diffs: Record<string, unknown>[] = [];
    const push = (
      settingType: string,
      settingName: string,
      inCurrent: unknown,
      inTarget: unknown,
      isSticky: boolean,
    ) =>
      diffs.push({
        id: `${current.id}/slotsdiffs/${settingName}`,
        name: settingName,
        type: `${current.type}/slotsdiffs`,
        properties: {
          level: isSticky ? 'Warning' : 'Information',
          settingType,
          diffRule: isSticky ? 'SettingsNotSwapped' : 'SettingsWillBeSwapped',
          settingName,
          valueInCurrentSlot: inCurrent ?? null,
          valueInTargetSlot: inTarget ?? null,
          description: isSticky
            ? `The slot setting '${settingName}' stays with its slot and is not swapped.`
            : `'${settingName}' differs between the slots and will be swapped.`,
        },
      });
    for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (a[name] !== b[name]) push('AppSetting', name, a[name], b[name], sticky.has(name));
    }
    const ca = current.internal?.['siteConfig'] as Record<string, unknown>;
    const cb = target.internal?.['siteConfig'] as Record<string, unknown>;
    for (const key of ['linuxFxVersion', 'appCommandLine', 'healthCheckPath']) {
      if (JSON.stringify(ca[key] ?? null) !== JSON.stringify(cb[key] ?? null))
        push('General', key, ca[key], cb[key], false);
    }
    sendJson(c.res, 200, { value: diffs, nextLink: null });
  }

  async applySlotConfig(c: Call): Promise<void> {
    const current = this.requireSite(c.m);
    this.assertUnlocked(current);
    const target = this.requireTarget(current, await c.body());
    const sticky = this.stickyNames(this.parentSite(current));
    const mine = { ...(current.internal?.['appSettings'] as Record<string, string>) };
    const theirs = (target.internal?.['appSettings'] ?? {}) as Record<string, string>;
    const existingPreview = current.internal?.['preview'] as
      | { saved: Record<string, string | null> }
      | undefined;
    const saved: Record<string, string | null> = existingPreview?.saved ?? {};
    for (const name of sticky) {
      if (!(name in saved)) saved[name] = mine[name] ?? null;
      if (name in theirs) mine[name] = theirs[name]!;
      else delete mine[name];
    }
    this.store.put({
      ...current,
      properties: { ...current.properties, targetSwapSlot: this.slotName(target) },
      internal: {
        ...current.internal,
        appSettings: mine,
        preview: { targetSlot: this.slotName(target), saved },
      },
    });
    this.store.put({
      ...target,
      properties: { ...target.properties, targetSwapSlot: this.slotName(current) },
    });
    this.store.recordAction({ action: 'restart', id: current.id, detail: { reason: 'applySlotConfig' } });
    sendJson(c.res, 200, undefined);
  }

  resetSlotConfig(c: Call): void {
    const current = this.requireSite(c.m);
    this.assertUnlocked(current);
    const preview = current.internal?.['preview'] as
      | { targetSlot: string; saved: Record<string, string | null> }
      | undefined;
    if (preview) {
      const settings = { ...(current.internal?.['appSettings'] as Record<string, string>) };
      for (const [k, v] of Object.entries(preview.saved)) {
        if (v === null) delete settings[k];
        else settings[k] = v;
      }
      const { preview: _p, ...internal } = current.internal ?? {};
      this.store.put({
        ...current,
        properties: { ...current.properties, targetSwapSlot: null },
        internal: { ...internal, appSettings: settings },
      });
      const site = this.parentSite(current);
      const partner =
        preview.targetSlot === 'production' ? site : this.store.get(`${site.id}/slots/${preview.targetSlot}`);
      if (partner)
        this.store.put({ ...partner, properties: { ...partner.properties, targetSwapSlot: null } });
      this.store.recordAction({ action: 'restart', id: current.id, detail: { reason: 'resetSlotConfig' } });
    }
    sendJson(c.res, 200, undefined);
  }
}
