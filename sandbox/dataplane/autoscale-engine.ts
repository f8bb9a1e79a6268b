import { type AutoscaleProfile, evaluateAutoscale, type ScaleDecision, triggerValue } from './autoscale.js';
import type { MetricStore } from './metric-store.js';

/** An autoscale setting as the control plane stores it (Microsoft.Insights/autoscalesettings). */
export interface AutoscaleSettingDoc {
  id: string;
  properties: { enabled?: boolean; targetResourceUri?: string; profiles: AutoscaleProfile[] };
}

export interface ScaleActionRecord {
  settingId: string;
  targetResourceUri: string;
  timeMs: number;
  profile?: string;
  direction: 'Increase' | 'Decrease';
  from: number;
  to: number;
  reason: string;
}

export interface AutoscaleEngineDeps {
  metrics: MetricStore;
  now: () => number;
  /** Compresses time windows, grains and cooldowns (the API values stay as configured). */
  timeScale: number;
  settings: () => readonly AutoscaleSettingDoc[];
  capacity: (planId: string) => number | undefined;
  setCapacity: (planId: string, capacity: number, reason: string) => Promise<void>;
  log?: (line: string) => void;
}

/**
 * Evaluates every enabled autoscale setting against the recorded metrics and changes the plan's
 * capacity, recording `ObservedCapacity` and `ScaleActionsInitiated` as Azure Monitor does.
 */
export class AutoscaleEngine {
  private readonly cooldownUntil = new Map<string, number>();
  private readonly history: ScaleActionRecord[] = [];
  private running = false;

  constructor(private readonly deps: AutoscaleEngineDeps) {}

  /** Azure evaluates about once a minute; the sandbox does so every 60 s / time scale (at least 1 s). */
  get periodMs(): number {
    return Math.max(1_000, 60_000 / this.deps.timeScale);
  }

  actions(settingId?: string): readonly ScaleActionRecord[] {
    return settingId
      ? this.history.filter((a) => a.settingId.toLowerCase() === settingId.toLowerCase())
      : this.history;
  }

  /** One evaluation of every setting; overlapping ticks are skipped, never stacked. */
  async tick(): Promise<ScaleDecision[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const decisions: ScaleDecision[] = [];
      for (const setting of this.deps.settings()) {
        const plan = setting.properties.targetResourceUri;
        if (setting.properties.enabled === false || !plan) continue;
        const capacity = this.deps.capacity(plan);
        if (capacity === undefined) continue;
        const now = this.deps.now();
        this.deps.metrics.record({ resourceId: setting.id, metric: 'ObservedCapacity' }, capacity, now);
        const key = setting.id.toLowerCase();
        const decision = evaluateAutoscale(setting.properties.profiles, {
          nowMs: now,
          capacity,
          cooldownUntilMs: this.cooldownUntil.get(key),
          timeScale: this.deps.timeScale,
          value: (trigger) => triggerValue(this.deps.metrics, trigger, now, capacity, this.deps.timeScale),
        });
        decisions.push(decision);
        if (decision.direction === 'None') continue;
        this.deps.metrics.record(
          {
            resourceId: setting.id,
            metric: 'ScaleActionsInitiated',
            dimensions: { ScaleDirection: decision.direction },
          },
          1,
          now,
        );
        this.history.push({
          settingId: setting.id,
          targetResourceUri: plan,
          timeMs: now,
          profile: decision.profile,
          direction: decision.direction,
          from: capacity,
          to: decision.target,
          reason: decision.reason,
        });
        // Azure's cooldown runs from the scale action; without a rule (bounds correction) none applies.
        if (decision.cooldownMs) this.cooldownUntil.set(key, now + decision.cooldownMs);
        this.deps.log?.(
          `autoscale ${setting.id.split('/').pop()}: ${capacity} → ${decision.target} (${decision.reason})`,
        );
        await this.deps.setCapacity(plan, decision.target, decision.reason);
      }
      return decisions;
    } finally {
      this.running = false;
    }
  }
}
