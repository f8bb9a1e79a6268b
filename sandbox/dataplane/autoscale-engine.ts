import { randomUUID } from 'node:crypto';
import { type ActivityLog, type AutoscaleEventInput, autoscaleEvent } from '../activity-log.js';
import {
  type AutoscaleProfile,
  activeProfile,
  evaluateAutoscale,
  metricDefinitionFor,
  type ScaleDecision,
  triggerValue,
} from './autoscale.js';
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
  /** Resolves once the plan runs at `capacity` (the "completed" event), rejects when it cannot. */
  setCapacity: (planId: string, capacity: number, reason: string) => Promise<void>;
  /** Where Azure's autoscale events go (scale up/down initiated and completed, flapping, metric failure). */
  activityLog?: ActivityLog;
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
  /** Settings whose scale-in the flapping guard held at the last evaluation, and whose metrics failed. */
  private readonly flapping = new Set<string>();
  private readonly metricFailing = new Set<string>();
  private readonly lastActionMs = new Map<string, number>();
  /** Scale actions whose "completed" event is still to come. */
  private readonly pending = new Set<Promise<void>>();

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

  /** Resolves once every scale action started so far has completed (or failed). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private event(input: AutoscaleEventInput): void {
    this.deps.activityLog?.add(autoscaleEvent(input));
  }

  /**
   * Metric Failure when a rule of the active profile reads a metric its resource does not have (Azure's
   * UnsupportedMetric, e.g. `Requests` on the plan), once per episode; Metric Recovery when it ends.
   */
  private checkMetrics(setting: AutoscaleSettingDoc, plan: string, now: number): void {
    const key = setting.id.toLowerCase();
    const profile = activeProfile(setting.properties.profiles, now);
    const failing = (profile?.rules ?? []).filter(
      (r) => metricDefinitionFor(r.metricTrigger.metricResourceUri, r.metricTrigger.metricName) === undefined,
    );
    if (failing.length > 0 && !this.metricFailing.has(key)) {
      this.metricFailing.add(key);
      const t = failing[0]!.metricTrigger;
      this.event({
        event: 'Metric Failure',
        settingId: setting.id,
        targetResourceUri: plan,
        timeMs: now,
        status: 'Failed',
        description: `UnsupportedMetric: the metric '${t.metricName}' is not defined for resource '${t.metricResourceUri}'.`,
        ...(profile ? { activeProfile: profile } : {}),
      });
    } else if (failing.length === 0 && this.metricFailing.delete(key)) {
      this.event({ event: 'Metric Recovery', settingId: setting.id, targetResourceUri: plan, timeMs: now });
    }
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
        this.checkMetrics(setting, plan, now);
        const profile = setting.properties.profiles.find((p) => p.name === decision.profile);
        if (decision.heldTarget !== undefined) {
          // Logged once per held episode, not at every evaluation.
          if (!this.flapping.has(key))
            this.event({
              event: 'Flapping',
              settingId: setting.id,
              targetResourceUri: plan,
              timeMs: now,
              oldInstancesCount: capacity,
              newInstancesCount: capacity,
              description: `Cannot scale down due to flapping observed. Resource: '${plan}'. Current instance count: '${capacity}', Intended new instance count '${decision.heldTarget}'`,
              ...(profile ? { activeProfile: profile } : {}),
            });
          this.flapping.add(key);
        } else this.flapping.delete(key);
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
        const up = decision.direction === 'Increase';
        const action: Omit<AutoscaleEventInput, 'event' | 'timeMs'> = {
          settingId: setting.id,
          targetResourceUri: plan,
          oldInstancesCount: capacity,
          newInstancesCount: decision.target,
          correlationId: randomUUID(),
          ...(profile ? { activeProfile: profile } : {}),
          ...(this.lastActionMs.has(key) ? { lastScaleActionTimeMs: this.lastActionMs.get(key)! } : {}),
        };
        this.lastActionMs.set(key, now);
        this.event({
          ...action,
          event: up ? 'Autoscale scale up initiated' : 'Autoscale scale down initiated',
          timeMs: now,
        });
        // The action completes when the plan runs the new count; evaluation goes on meanwhile.
        const completed = up ? 'Autoscale scale up completed' : 'Autoscale scale down completed';
        const work = this.deps.setCapacity(plan, decision.target, decision.reason).then(
          () => this.event({ ...action, event: completed, timeMs: this.deps.now() }),
          (error: unknown) => {
            this.event({ ...action, event: completed, timeMs: this.deps.now(), status: 'Failed' });
            this.deps.log?.(`autoscale ${setting.id.split('/').pop()}: ${(error as Error).message}`);
          },
        );
        this.pending.add(work);
        void work.finally(() => this.pending.delete(work));
      }
      return decisions;
    } finally {
      this.running = false;
    }
  }
}
