import type { AutoscaleSettingResource } from '@azure/arm-monitor';
import { ArmClient } from '../lib/azure/arm.js';
import { AzureOriginError } from '../lib/azure/bounds.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { ArmError, AzureAuthError, translateAzureError } from '../lib/azure/errors.js';
import type { AzureInputs } from '../lib/azure/inputs.js';
import { createMonitorClient } from '../lib/azure/monitor.js';
import { getSite } from '../lib/azure/web.js';
import type { AutoscaleSetting } from './findings.js';
import type { VerifyAutoscaleDeps } from './main.js';

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
function monitorError(error: unknown, inputs: AzureInputs): unknown {
  if (error instanceof AzureAuthError || error instanceof AzureOriginError) return error;
  const status = (error as { statusCode?: number } | null)?.statusCode;
  if (status === undefined) return error;
  const code = (error as { code?: string }).code ?? `HTTP ${status}`;
  const message = (error as Error).message.split('\n')[0] ?? '';
  return translateAzureError(
    new ArmError(
      status,
      code,
      `Azure Monitor refused to list the autoscale settings (${status} ${code}): ${message}`,
    ),
    inputs,
  );
}

/** The real world: Entra ID, ARM and Azure Monitor through Microsoft's clients, process signals. */
export function defaultDeps(): VerifyAutoscaleDeps {
  return {
    signals: process,
    connect: async (inputs, env) => {
      const credential = await createAzureCredential(inputs.azure, { env });
      const [arm, monitor] = await Promise.all([
        ArmClient.create({ credential, inputs: inputs.azure }),
        createMonitorClient(credential, inputs.azure),
      ]);
      return {
        readApp: async (signal) => {
          const site = await getSite(
            arm,
            { resourceGroup: inputs.resourceGroup, site: inputs.appName },
            signal,
          );
          return { siteId: site.id, planId: site.properties.serverFarmId || undefined };
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
