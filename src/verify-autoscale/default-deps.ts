import type { AutoscaleSettingResource, EventData, MonitorClient } from '@azure/arm-monitor';
import { ArmClient } from '../lib/azure/arm.js';
import { AzureOriginError } from '../lib/azure/bounds.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { ArmError, AzureAuthError, translateAzureError } from '../lib/azure/errors.js';
import type { AzureInputs } from '../lib/azure/inputs.js';
import { createMonitorClient } from '../lib/azure/monitor.js';
import { getSite } from '../lib/azure/web.js';
import { cancellableSleep } from '../lib/cancellation.js';
import type { AutoscaleSetting } from './findings.js';
import type { VerifyAutoscaleDeps } from './main.js';
import type { MetricsRead, StartLoad } from './observe.js';
import type { ScaleEvent, Series } from './timeline.js';

/** A setting as the policy judge reads it: plain JSON, dates as ISO text. */
export function toSetting(resource: AutoscaleSettingResource): AutoscaleSetting {
  return {
    id: resource.id ?? '',
    name: resource.name ?? '',
    enabled: resource.enabled ?? true,
    targetResourceUri: resource.targetResourceUri ?? '',
    profiles: (resource.profiles ?? []).map((p) => {
      const { fixedDate, ...rest } = p;
      return {
        ...rest,
        rules: p.rules ?? [],
        ...(fixedDate
          ? {
              fixedDate: {
                ...(fixedDate.timeZone ? { timeZone: fixedDate.timeZone } : {}),
                start: new Date(fixedDate.start).toISOString(),
                end: new Date(fixedDate.end).toISOString(),
              },
            }
          : {}),
      };
    }),
  };
}

/** Monitor's RestError as slotline's errors: an auth refusal with its hint, any other status as an ArmError. */
function monitorError(error: unknown, inputs: AzureInputs, what = 'list the autoscale settings'): unknown {
  if (error instanceof AzureAuthError || error instanceof AzureOriginError) return error;
  const status = (error as { statusCode?: number } | null)?.statusCode;
  if (status === undefined) return error;
  const code = (error as { code?: string }).code ?? `HTTP ${status}`;
  const message = (error as Error).message.split('\n')[0] ?? '';
  return translateAzureError(
    new ArmError(status, code, `Azure Monitor refused to ${what} (${status} ${code}): ${message}`),
    inputs,
  );
}

/** An ISO 8601 grain: Azure's PT1M and up, or the sandbox's PT1S..PT30S extension below a minute. */
export function grainText(ms: number): string {
  if (ms < 60_000) return `PT${Math.max(1, Math.round(ms / 1000))}S`;
  return `PT${Math.round(ms / 60_000)}M`;
}

const finite = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

/** Each Metrics_List and Activity Log call gets a short deadline: observe reads every sample interval. */
const OBSERVE_BOUNDS = { attemptTimeoutMs: 15_000, callDeadlineMs: 45_000, maxRetryAfterMs: 30_000 };

/** Metrics_List through MonitorClient; below a minute, a grain Azure refuses (400) falls back to PT1M for good. */
export function metricsReader(monitor: MonitorClient, inputs: AzureInputs) {
  let fineGrainRefused = false;
  return async (read: MetricsRead, signal?: AbortSignal): Promise<{ grainMs: number; series: Series[] }> => {
    const attempt = async (grainMs: number) => {
      // Whole grains: Azure aligns buckets to them, and a timespan shorter than one grain has none.
      const from = Math.floor(read.fromMs / grainMs) * grainMs;
      const to = Math.max(read.toMs, from + grainMs);
      return monitor.metrics.list(read.resourceId.replace(/^\/+/, ''), {
        timespan: `${new Date(from).toISOString()}/${new Date(to).toISOString()}`,
        interval: grainText(grainMs),
        metricnames: read.metrics.join(','),
        aggregation: read.aggregation,
        metricnamespace: read.namespace,
        ...(read.splitBy ? { filter: `${read.splitBy} eq '*'`, top: 100 } : {}),
        ...(signal ? { abortSignal: signal } : {}),
      });
    };
    let grainMs = fineGrainRefused ? Math.max(read.grainMs, 60_000) : read.grainMs;
    let response: Awaited<ReturnType<typeof attempt>>;
    try {
      response = await attempt(grainMs);
    } catch (error) {
      const status = (error as { statusCode?: number } | null)?.statusCode;
      if (status === 400 && grainMs < 60_000) {
        fineGrainRefused = true;
        grainMs = 60_000;
        try {
          response = await attempt(grainMs);
        } catch (again) {
          throw monitorError(again, inputs, `read metrics of ${read.resourceId}`);
        }
      } else throw monitorError(error, inputs, `read metrics of ${read.resourceId}`);
    }
    const series: Series[] = [];
    for (const metric of response.value ?? []) {
      if (metric.errorCode && metric.errorCode !== 'Success') continue;
      for (const ts of metric.timeseries ?? []) {
        const dimension = read.splitBy
          ? ts.metadatavalues?.find((m) => m.name?.value?.toLowerCase() === read.splitBy!.toLowerCase())
              ?.value
          : undefined;
        series.push({
          metric: metric.name.value ?? '',
          ...(dimension === undefined ? {} : { dimension }),
          points: (ts.data ?? []).map((p) => ({
            t: new Date(p.timeStamp).getTime(),
            average: finite(p.average) ?? null,
            total: finite(p.total) ?? null,
            maximum: finite(p.maximum) ?? null,
            minimum: finite(p.minimum) ?? null,
            count: finite(p.count) ?? null,
          })),
        });
      }
    }
    return { grainMs, series };
  };
}

/** An Activity Log event as observe mode keeps it. */
export function toScaleEvent(e: EventData): ScaleEvent | undefined {
  if (!e.eventTimestamp) return undefined;
  const name = e.operationName?.localizedValue || e.eventName?.localizedValue || e.operationName?.value || '';
  const lower = name.toLowerCase();
  const props = e.properties ?? {};
  const count = (key: string) => {
    const v = Number(props[key]);
    return props[key] === undefined || !Number.isFinite(v) ? undefined : v;
  };
  let profile: string | undefined;
  try {
    const parsed = props['ActiveAutoscaleProfile']
      ? (JSON.parse(props['ActiveAutoscaleProfile']) as { name?: unknown })
      : undefined;
    if (typeof parsed?.name === 'string') profile = parsed.name;
  } catch {
    // Not JSON: no profile.
  }
  const from = count('OldInstancesCount');
  const to = count('NewInstancesCount');
  const status = e.status?.value;
  const description = props['Description'] ?? e.description;
  return {
    t: e.eventTimestamp.getTime(),
    name,
    direction: / up /.test(lower) ? 'Increase' : / down /.test(lower) ? 'Decrease' : 'None',
    phase: lower.endsWith('completed') ? 'completed' : lower.endsWith('initiated') ? 'initiated' : 'other',
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(status ? { status } : {}),
    ...(profile === undefined ? {} : { profile }),
    ...(description ? { description } : {}),
  };
}

/** The real world: Entra ID, ARM and Azure Monitor through Microsoft's clients, process signals. */
export function defaultDeps(): VerifyAutoscaleDeps {
  return {
    signals: process,
    now: () => Date.now(),
    sleep: cancellableSleep,
    loadGenerator: async (): Promise<StartLoad> => {
      const { startLoad } = await import('../lib/load/index.js');
      return (options) => startLoad(options);
    },
    connect: async (inputs, env) => {
      const bounds = inputs.mode === 'policy' ? {} : { bounds: OBSERVE_BOUNDS };
      const credential = await createAzureCredential(inputs.azure, { env, ...bounds });
      const [arm, monitor] = await Promise.all([
        ArmClient.create({ credential, inputs: inputs.azure, ...bounds }),
        createMonitorClient(credential, inputs.azure, bounds),
      ]);
      return {
        metrics: metricsReader(monitor, inputs.azure),
        events: async (settingId, fromMs, toMs, signal) => {
          const filter = `eventTimestamp ge '${new Date(fromMs).toISOString()}' and eventTimestamp le '${new Date(toMs).toISOString()}' and resourceUri eq '${settingId}'`;
          const events: ScaleEvent[] = [];
          try {
            for await (const e of monitor.activityLogs.list(filter, signal ? { abortSignal: signal } : {})) {
              const event = toScaleEvent(e);
              if (event) events.push(event);
            }
          } catch (error) {
            throw monitorError(error, inputs.azure, 'list the Activity Log');
          }
          return events.sort((a, b) => a.t - b.t);
        },
        readApp: async (signal) => {
          const site = await getSite(
            arm,
            { resourceGroup: inputs.resourceGroup, site: inputs.appName },
            signal,
          );
          return {
            siteId: site.id,
            planId: site.properties.serverFarmId || undefined,
            ...(site.properties.defaultHostName ? { defaultHostName: site.properties.defaultHostName } : {}),
          };
        },
        listSettings: async (resourceGroup, signal) => {
          const settings: AutoscaleSetting[] = [];
          try {
            const pages = monitor.autoscaleSettings.listByResourceGroup(
              resourceGroup,
              signal ? { abortSignal: signal } : {},
            );
            for await (const resource of pages) settings.push(toSetting(resource));
          } catch (error) {
            throw monitorError(error, inputs.azure);
          }
          return settings;
        },
      };
    },
  };
}
