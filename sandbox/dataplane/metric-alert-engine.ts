import { randomUUID } from 'node:crypto';
import type { AlertBook, AlertInstance, Evaluation } from '../alerts/book.js';
import { ACTION_GROUP_TYPE, evaluable, evaluate, type MetricAlertProperties } from '../alerts/evaluate.js';
import { Notifier, type WebhookPost } from '../alerts/notify.js';
import type { MetricsSource } from '../metrics/source.js';
import type { StoredResource } from '../store.js';

/** Azure resolves a stateful metric alert once its condition is not met in three evaluations in a row. */
const RESOLVE_AFTER = 3;

export interface MetricAlertEngineDeps {
  book: AlertBook;
  /** The metrics Metrics_List serves (traffic and pushed samples). */
  metrics: () => MetricsSource;
  rules: () => readonly StoredResource[];
  resource: (id: string) => StoredResource | undefined;
  subscriptionId: () => string;
  now: () => number;
  /** Compresses evaluation frequencies, windows and retry pauses (the API values stay as configured). */
  timeScale: number;
  post?: WebhookPost;
  log?: (line: string) => void;
}

interface RuleState {
  nextDueMs: number;
  /** The alert this rule has fired and not yet resolved. */
  active?: AlertInstance;
  notMet: number;
}

/**
 * Evaluates enabled metric alert rules (static thresholds on the metrics the sandbox serves) every
 * `evaluationFrequency`, fires and resolves alerts in the AlertBook and notifies the rules' action groups.
 */
export class MetricAlertEngine {
  private readonly state = new Map<string, RuleState>();
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly notifier: Notifier;
  /** Rules stored but not evaluated, and why (logged once per reason). */
  private readonly skipped = new Map<string, string>();

  constructor(private readonly deps: MetricAlertEngineDeps) {
    this.notifier = new Notifier({
      book: deps.book,
      actionGroup: (id) => {
        const group = deps.resource(id);
        return group && group.type.toLowerCase() === ACTION_GROUP_TYPE.toLowerCase() ? group : undefined;
      },
      ...(deps.post ? { post: deps.post } : {}),
      retryDelaysMs: [1_000, 3_000].map((ms) => Math.max(50, ms / deps.timeScale)),
      now: deps.now,
      signal: this.stopping.signal,
      ...(deps.log ? { log: deps.log } : {}),
    });
  }

  /** The shortest evaluation frequency (PT1M) / time scale, at least 1 s: rules fall due on these ticks. */
  get periodMs(): number {
    return Math.max(1_000, 60_000 / this.deps.timeScale);
  }

  /** Resolves once every notification started so far has been delivered, failed or recorded. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Abort deliveries (and their retry pauses) and wait for them to end. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.settled();
  }

  /** Evaluate every enabled rule that is due. Synchronous; notifications go on in the background. */
  tick(): void {
    if (this.stopping.signal.aborted) return;
    const now = this.deps.now();
    const seen = new Set<string>();
    for (const doc of this.deps.rules()) {
      const key = doc.id.toLowerCase();
      seen.add(key);
      const properties = doc.properties as unknown as MetricAlertProperties;
      if (properties.enabled === false) continue;
      const rule = evaluable(properties, (id) => this.deps.resource(id)?.type);
      if ('reason' in rule) {
        // Said once per rule and reason, not at every tick.
        if (this.skipped.get(key) !== rule.reason)
          this.deps.log?.(`alerts: ${doc.name} is stored, not evaluated: ${rule.reason}`);
        this.skipped.set(key, rule.reason);
        continue;
      }
      this.skipped.delete(key);
      const state = this.state.get(key) ?? { nextDueMs: now, notMet: 0 };
      this.state.set(key, state);
      if (now < state.nextDueMs) continue;
      state.nextDueMs = now + rule.frequencyMs / this.deps.timeScale;
      const evaluation = evaluate(rule, this.deps.metrics(), now, this.deps.timeScale);
      this.apply(doc, properties, rule.resourceType, rule.scope, state, evaluation);
    }
    // A rule deleted (or renamed) starts afresh if it comes back.
    for (const key of this.state.keys()) if (!seen.has(key)) this.state.delete(key);
  }

  private apply(
    doc: StoredResource,
    properties: MetricAlertProperties,
    resourceType: string,
    scope: string,
    state: RuleState,
    evaluation: Evaluation,
  ): void {
    const now = evaluation.windowEndMs;
    const stateful = properties.autoMitigate !== false;
    if (evaluation.met) {
      state.notMet = 0;
      // Stateful: one alert until it resolves. Stateless (autoMitigate false): an alert at every met evaluation.
      if (state.active && stateful) return;
      const alert: AlertInstance = {
        id: randomUUID(),
        subscriptionId: this.deps.subscriptionId(),
        ruleId: doc.id,
        ruleName: doc.name,
        severity: properties.severity,
        description: properties.description ?? '',
        targetResource: this.deps.resource(scope)?.id ?? scope,
        targetResourceType: resourceType,
        monitorCondition: 'Fired',
        alertState: 'New',
        startMs: now,
        lastModifiedMs: now,
        evaluation,
      };
      this.deps.book.add(alert);
      if (stateful) state.active = alert;
      this.deps.log?.(`alerts: ${doc.name} fired (${describe(evaluation)})`);
      this.send(alert, properties);
      return;
    }
    if (!state.active) return;
    state.notMet++;
    if (state.notMet < RESOLVE_AFTER) return;
    const alert = state.active;
    state.active = undefined;
    state.notMet = 0;
    alert.monitorCondition = 'Resolved';
    alert.resolvedMs = now;
    alert.lastModifiedMs = now;
    alert.evaluation = evaluation;
    this.deps.log?.(`alerts: ${doc.name} resolved (${describe(evaluation)})`);
    this.send(alert, properties);
  }

  /** Notify on a snapshot: the alert may change (resolve) while a slow webhook is retried. */
  private send(alert: AlertInstance, properties: MetricAlertProperties): void {
    const work = this.notifier
      .notify(structuredClone(alert), properties.actions ?? [])
      .catch((error: Error) => {
        this.deps.log?.(`alerts: ${alert.ruleName}: ${error.message}`);
      });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }
}

function describe(e: Evaluation): string {
  return e.conditions
    .map(
      (c) =>
        `${c.metricName} ${c.timeAggregation} ${c.metricValue ?? 'no data'} ${c.operator} ${c.threshold}`,
    )
    .join(', ');
}
