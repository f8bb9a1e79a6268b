import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, test } from '@jest/globals';
import { AlertBook } from '../../sandbox/alerts/book.js';
import { evaluable, evaluate, type MetricAlertProperties } from '../../sandbox/alerts/evaluate.js';
import { MetricAlertEngine } from '../../sandbox/dataplane/metric-alert-engine.js';
import { InMemoryMetricsSource } from '../../sandbox/metrics/source.js';
import type { StoredResource } from '../../sandbox/store.js';
import { type StartedServer, startServer } from '../helpers/servers.js';

// The metric-alert engine with an injected clock and metric source: evaluation over the rule's window,
// Fired once while the condition holds, Resolved after three clear evaluations, notifications to a real
// webhook receiver on 127.0.0.1 (common alert schema, retries, never the query string), and the outbox.

const GROUP = '/subscriptions/sub/resourceGroups/rg';
const SITE = `${GROUP}/providers/Microsoft.Web/sites/web`;
const PLAN = `${GROUP}/providers/Microsoft.Web/serverfarms/plan`;
const AG = `${GROUP}/providers/Microsoft.Insights/actionGroups/oncall`;
const RULE = `${GROUP}/providers/Microsoft.Insights/metricAlerts/http5xx`;
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

const criterion = (over: Record<string, unknown> = {}) => ({
  criterionType: 'StaticThresholdCriterion',
  name: 'Http5xx',
  metricName: 'Http5xx',
  operator: 'GreaterThan',
  threshold: 5,
  timeAggregation: 'Total',
  ...over,
});

const ruleProperties = (over: Partial<MetricAlertProperties> = {}): MetricAlertProperties => ({
  severity: 0,
  enabled: true,
  scopes: [SITE],
  evaluationFrequency: 'PT1M',
  windowSize: 'PT5M',
  description: 'errors',
  criteria: {
    'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
    allOf: [criterion()],
  },
  actions: [{ actionGroupId: AG, webHookProperties: { team: 'web' } }],
  ...over,
});

const types: Record<string, string> = {
  [SITE.toLowerCase()]: 'Microsoft.Web/sites',
  [PLAN.toLowerCase()]: 'Microsoft.Web/serverfarms',
};

describe('evaluate: static thresholds over the window, as Metrics_List aggregates', () => {
  const rule = evaluable(ruleProperties(), (id) => types[id.toLowerCase()]);
  if ('reason' in rule) throw new Error(rule.reason);

  test('Total counts the samples inside [now - window, now) only; an empty window of a count metric reads 0', () => {
    const source = new InMemoryMetricsSource();
    source.record(SITE, 'Http5xx', [
      { timestamp: T0 - 6 * MIN, value: 100 }, // before the window
      { timestamp: T0 - 4 * MIN, value: 3, dimensions: { Instance: 'a' } },
      { timestamp: T0 - 1 * MIN, value: 3, dimensions: { Instance: 'b' } },
      { timestamp: T0, value: 100 }, // the window's end is exclusive
    ]);
    const e = evaluate(rule, source, T0, 1);
    expect(e.conditions[0]).toMatchObject({ metricValue: 6, met: true });
    expect(e.windowStartMs).toBe(T0 - 5 * MIN);
    expect(evaluate(rule, source, T0 + 10 * MIN, 1).conditions[0]).toMatchObject({
      metricValue: 0,
      met: false,
    });
    // With --time-scale 60 the 5-minute window lasts 5 seconds.
    expect(evaluate(rule, source, T0 - 4 * MIN + 4_000, 60).conditions[0]?.metricValue).toBe(3);
  });

  test('dimension filters Include and Exclude select series; threshold 6 is not GreaterThan 6', () => {
    const source = new InMemoryMetricsSource();
    source.record(SITE, 'Http5xx', [
      { timestamp: T0 - MIN, value: 4, dimensions: { Instance: 'a' } },
      { timestamp: T0 - MIN, value: 2, dimensions: { Instance: 'b' } },
    ]);
    const only = (operator: string) =>
      evaluable(
        ruleProperties({
          criteria: {
            'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
            allOf: [criterion({ threshold: 1, dimensions: [{ name: 'instance', operator, values: ['a'] }] })],
          },
        }),
        (id) => types[id.toLowerCase()],
      );
    const include = only('Include');
    const exclude = only('Exclude');
    if ('reason' in include || 'reason' in exclude) throw new Error('not evaluable');
    expect(evaluate(include, source, T0, 1).conditions[0]?.metricValue).toBe(4);
    expect(evaluate(exclude, source, T0, 1).conditions[0]?.metricValue).toBe(2);
    const six = evaluable(
      ruleProperties({
        criteria: {
          'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
          allOf: [criterion({ threshold: 6 })],
        },
      }),
      (id) => types[id.toLowerCase()],
    );
    if ('reason' in six) throw new Error(six.reason);
    expect(evaluate(six, source, T0, 1).conditions[0]).toMatchObject({ metricValue: 6, met: false });
    expect(evaluate(rule, source, T0, 1).conditions[0]).toMatchObject({ metricValue: 6, met: true });
  });

  test('an Average without samples has no value and does not fire', () => {
    const avg = evaluable(
      ruleProperties({
        scopes: [PLAN],
        criteria: {
          'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
          allOf: [
            criterion({ metricName: 'CpuPercentage', timeAggregation: 'Average', operator: 'LessThan' }),
          ],
        },
      }),
      (id) => types[id.toLowerCase()],
    );
    if ('reason' in avg) throw new Error(avg.reason);
    expect(evaluate(avg, new InMemoryMetricsSource(), T0, 1)).toMatchObject({
      met: false,
      conditions: [{ metricValue: undefined, met: false }],
    });
  });

  test('dynamic thresholds, several scopes, unknown resources and metrics are stored but not evaluated', () => {
    const reason = (p: MetricAlertProperties) => {
      const r = evaluable(p, (id) => types[id.toLowerCase()]);
      return 'reason' in r ? r.reason : undefined;
    };
    expect(
      reason(
        ruleProperties({
          criteria: {
            'odata.type': 'Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria',
            allOf: [{ criterionType: 'DynamicThresholdCriterion' }],
          },
        }),
      ),
    ).toMatch(/MultipleResourceMultipleMetricCriteria' are not evaluated/);
    expect(reason(ruleProperties({ scopes: [SITE, PLAN] }))).toMatch(/several scopes/);
    expect(reason(ruleProperties({ scopes: [`${GROUP}/providers/Microsoft.Cache/redis/r`] }))).toMatch(
      /serves no metrics/,
    );
    expect(
      reason(
        ruleProperties({
          criteria: {
            'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria',
            allOf: [criterion({ metricName: 'CpuPercentage' })],
          },
        }),
      ),
    ).toMatch(/no metric 'CpuPercentage' for Microsoft.Web\/sites/);
  });
});

describe('the engine: Fired, Resolved and notifications', () => {
  let receiver: StartedServer | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  /** A receiver that answers `statuses` in turn (then 200) and keeps each JSON body it got. */
  async function startReceiver(statuses: number[] = []) {
    const bodies: Record<string, unknown>[] = [];
    const read = (req: IncomingMessage) =>
      new Promise<string>((resolve) => {
        let text = '';
        req.on('data', (d) => {
          text += d;
        });
        req.on('end', () => resolve(text));
      });
    receiver = await startServer(async (req, res) => {
      bodies.push(JSON.parse(await read(req)) as Record<string, unknown>);
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
    return { bodies, url: `${receiver.url}/integration/pagerduty?integrationKey=SECRET-KEY` };
  }

  function setup(
    webhook: string,
    rule: MetricAlertProperties = ruleProperties(),
    extra: Record<string, unknown> = {},
  ) {
    let now = T0;
    const source = new InMemoryMetricsSource();
    const book = new AlertBook();
    const lines: string[] = [];
    const docs: StoredResource[] = [
      { id: SITE, type: 'Microsoft.Web/sites', name: 'web', location: 'West Europe', properties: {} },
      {
        id: AG,
        type: 'Microsoft.Insights/actionGroups',
        name: 'oncall',
        location: 'Global',
        properties: {
          enabled: true,
          groupShortName: 'oncall',
          webhookReceivers: [{ name: 'pagerduty', serviceUri: webhook, useCommonAlertSchema: true }],
          emailReceivers: [{ name: 'lead', emailAddress: 'lead@example.com' }],
          smsReceivers: [{ name: 'phone', countryCode: '44', phoneNumber: '7700900123' }],
          ...extra,
        },
      },
      {
        id: RULE,
        type: 'Microsoft.Insights/metricAlerts',
        name: 'http5xx',
        location: 'global',
        properties: rule as never,
      },
    ];
    const engine = new MetricAlertEngine({
      book,
      metrics: () => source,
      rules: () => docs.filter((d) => d.type.endsWith('metricAlerts')),
      resource: (id) => docs.find((d) => d.id.toLowerCase() === id.toLowerCase()),
      subscriptionId: () => 'sub',
      now: () => now,
      timeScale: 60,
      log: (line) => lines.push(line),
    });
    return {
      engine,
      book,
      source,
      lines,
      advance: (ms: number) => {
        now += ms;
      },
      errors: (count: number) => source.record(SITE, 'Http5xx', [{ timestamp: now - 1, value: count }]),
    };
  }

  test('fires once while the condition holds, resolves after three clear evaluations, notifies both', async () => {
    const { bodies, url } = await startReceiver();
    const s = setup(url);
    s.errors(10);
    s.engine.tick();
    await s.engine.settled();
    expect(s.book.list()).toHaveLength(1);
    const alert = s.book.list()[0]!;
    expect(alert).toMatchObject({ monitorCondition: 'Fired', severity: 0, targetResource: SITE });
    expect(bodies).toHaveLength(1);
    const fired = bodies[0] as { schemaId: string; data: Record<string, Record<string, unknown>> };
    expect(fired.schemaId).toBe('azureMonitorCommonAlertSchema');
    expect(fired.data['essentials']).toMatchObject({
      alertId: `/subscriptions/sub/providers/Microsoft.AlertsManagement/alerts/${alert.id}`,
      alertRule: 'http5xx',
      severity: 'Sev0',
      signalType: 'Metric',
      monitorCondition: 'Fired',
      monitoringService: 'Platform',
      alertTargetIDs: [SITE.toLowerCase()],
      firedDateTime: new Date(T0).toISOString(),
    });
    expect(fired.data['alertContext']).toMatchObject({
      conditionType: 'SingleResourceMultipleMetricCriteria',
      condition: {
        windowSize: 'PT5M',
        allOf: [
          {
            metricName: 'Http5xx',
            metricValue: 10,
            threshold: '5',
            operator: 'GreaterThan',
            timeAggregation: 'Total',
          },
        ],
        windowStartTime: new Date(T0 - 5_000).toISOString(),
        windowEndTime: new Date(T0).toISOString(),
      },
    });
    expect(fired.data['customProperties']).toEqual({ team: 'web' });

    // Not due yet (PT1M at time scale 60 = 1 s), then due and still met: no second alert or notification.
    s.advance(500);
    s.engine.tick();
    s.advance(600);
    s.errors(10);
    s.engine.tick();
    await s.engine.settled();
    expect(s.book.list()).toHaveLength(1);
    expect(bodies).toHaveLength(1);

    // The errors leave the 5-second window; two clear evaluations are not enough, the third resolves.
    s.advance(6_000);
    for (let i = 0; i < 2; i++) {
      s.engine.tick();
      s.advance(1_000);
    }
    expect(alert.monitorCondition).toBe('Fired');
    s.engine.tick();
    await s.engine.settled();
    expect(alert.monitorCondition).toBe('Resolved');
    expect(alert.resolvedMs).toBe(T0 + 9_100);
    expect(bodies).toHaveLength(2);
    expect((bodies[1] as { data: { essentials: Record<string, unknown> } }).data.essentials).toMatchObject({
      alertId: `/subscriptions/sub/providers/Microsoft.AlertsManagement/alerts/${alert.id}`,
      monitorCondition: 'Resolved',
      resolvedDateTime: new Date(T0 + 9_100).toISOString(),
    });

    // The outbox: the webhook without its query string, and the e-mail and SMS that would have gone out.
    const outbox = s.book.notifications();
    expect(outbox.map((n) => `${n.monitorCondition} ${n.receiverType} ${n.status}`).sort()).toEqual([
      'Fired email Recorded',
      'Fired sms Recorded',
      'Fired webhook Delivered',
      'Resolved email Recorded',
      'Resolved sms Recorded',
      'Resolved webhook Delivered',
    ]);
    expect(outbox.find((n) => n.receiverType === 'sms')).toMatchObject({
      to: '+44 7700900123',
      severity: 'Sev0',
      subject: 'Fired:Sev0 Azure Monitor Alert http5xx on web',
    });
    expect(JSON.stringify(outbox)).not.toContain('SECRET-KEY');
    expect(s.lines.join('\n')).not.toContain('SECRET-KEY');
    expect(outbox.find((n) => n.receiverType === 'webhook')?.to).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/integration\/pagerduty$/,
    );

    // The next firing (at the next due evaluation) is a new alert with a new id.
    s.advance(1_000);
    s.errors(10);
    s.engine.tick();
    await s.engine.settled();
    expect(s.book.list()).toHaveLength(2);
    expect(s.book.list()[1]!.id).not.toBe(alert.id);
  });

  test('a webhook without useCommonAlertSchema gets the metric alert schema (AzureMonitorMetricAlert 2.0)', async () => {
    const { bodies, url } = await startReceiver();
    const s = setup('http://127.0.0.1:9/unused', ruleProperties(), {
      webhookReceivers: [{ name: 'legacy', serviceUri: url, useCommonAlertSchema: false }],
    });
    s.errors(10);
    s.engine.tick();
    await s.engine.settled();
    expect(bodies[0]).toMatchObject({
      schemaId: 'AzureMonitorMetricAlert',
      data: {
        version: '2.0',
        status: 'Activated',
        properties: { team: 'web' },
        context: {
          id: RULE,
          name: 'http5xx',
          severity: '0',
          resourceId: SITE,
          condition: {
            windowSize: 'PT5M',
            allOf: [{ metricName: 'Http5xx', metricValue: 10, threshold: '5' }],
          },
        },
      },
    });
  });

  test('a 503 is retried (3 attempts at most); a 500 is not; a disabled rule is not evaluated', async () => {
    const { bodies, url } = await startReceiver([503, 503]);
    const s = setup(url);
    s.errors(10);
    s.engine.tick();
    await s.engine.settled();
    expect(bodies).toHaveLength(3);
    expect(s.book.notifications().find((n) => n.receiverType === 'webhook')).toMatchObject({
      status: 'Delivered',
      attempts: 3,
      httpStatus: 200,
    });

    const second = await (async () => {
      await receiver?.close();
      return startReceiver([500]);
    })();
    const t = setup(second.url);
    t.errors(10);
    t.engine.tick();
    await t.engine.settled();
    expect(second.bodies).toHaveLength(1);
    expect(t.book.notifications().find((n) => n.receiverType === 'webhook')).toMatchObject({
      status: 'Failed',
      attempts: 1,
      httpStatus: 500,
    });

    const off = setup(second.url, ruleProperties({ enabled: false }));
    off.errors(10);
    off.engine.tick();
    expect(off.book.list()).toEqual([]);
  });

  test('webhooks off the machine are skipped with a reason; other receivers are recorded as not delivered', async () => {
    const s = setup('https://events.pagerduty.com/integration/abc/enqueue?key=SECRET-KEY', ruleProperties(), {
      logicAppReceivers: [
        { name: 'flow', resourceId: 'x', callbackUrl: 'https://logic.example/cb?sig=SECRET-KEY' },
      ],
    });
    s.errors(10);
    s.engine.tick();
    await s.engine.settled();
    const outbox = s.book.notifications();
    expect(outbox.find((n) => n.receiverType === 'webhook')).toMatchObject({
      status: 'Skipped',
      to: 'https://events.pagerduty.com/integration/abc/enqueue',
      reason: 'the sandbox delivers webhooks only to 127.0.0.1 or localhost',
    });
    expect(outbox.find((n) => n.receiverType === 'logicApp')).toMatchObject({ status: 'Skipped' });
    expect(JSON.stringify(outbox)).not.toContain('SECRET-KEY');
  });

  test('autoMitigate false: an alert at every met evaluation, never resolved', async () => {
    const s = setup('http://127.0.0.1:9/never', ruleProperties({ autoMitigate: false, actions: [] }));
    s.errors(10);
    s.engine.tick();
    s.advance(1_000);
    s.engine.tick();
    s.advance(10_000);
    for (let i = 0; i < 4; i++) {
      s.engine.tick();
      s.advance(1_000);
    }
    await s.engine.settled();
    expect(s.book.list().map((a) => a.monitorCondition)).toEqual(['Fired', 'Fired']);
  });

  test('stop() aborts a delivery waiting to retry and leaves nothing pending', async () => {
    const { url } = await startReceiver([503, 503, 503]);
    const s = setup(url);
    s.errors(10);
    s.engine.tick();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await s.engine.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(s.book.notifications().find((n) => n.receiverType === 'webhook')).toMatchObject({
      status: 'Failed',
    });
    s.engine.tick();
    expect(s.book.list()).toHaveLength(1);
  });
});

test('the alert book keeps the newest alerts and notifications only (a stateless rule adds one per evaluation)', () => {
  const book = new AlertBook(3);
  for (let i = 0; i < 5; i++) {
    book.add({ id: `a${i}` } as Parameters<AlertBook['add']>[0]);
    book.record({ alertId: `a${i}` } as Parameters<AlertBook['record']>[0]);
  }
  expect(book.list().map((a) => a.id)).toEqual(['a2', 'a3', 'a4']);
  expect(book.notifications().map((n) => n.alertId)).toEqual(['a2', 'a3', 'a4']);
  expect(book.get('a0')).toBeUndefined();
});
