import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type JsonSchema, validateAgainstSchema } from './schema.js';
import type { GithubRunClaims } from './store.js';

/**
 * Built-in roles the sandbox enforces (arm/auth.ts): Reader may only read (GET); User Access Administrator may
 * read and write role assignments; Contributor everything but role assignments; Owner everything.
 */
export type RoleName = 'Owner' | 'Contributor' | 'Reader' | 'User Access Administrator';

export interface FederatedCredentialConfig {
  name: string;
  /** `github` means the sandbox's own GitHub OIDC issuer (its URL changes with the port); else a literal issuer URL. */
  issuer: string;
  subject: string;
  audiences?: string[];
}

export interface PrincipalConfig {
  name: string;
  clientId?: string;
  /** Omit to have one generated per state dir; `null` for a principal that may only use federation. */
  clientSecret?: string | null;
  role: RoleName;
  /** Defaults to the subscription. */
  scope?: string;
  /** More role assignments of the same principal (least privilege: one role per scope it needs). */
  additionalRoles?: { role: RoleName; scope: string }[];
  federatedCredentials?: FederatedCredentialConfig[];
}

export interface PlanConfig {
  name: string;
  sku?: { name: string; tier: string; capacity: number };
}

export interface SlotConfig {
  name: string;
  linuxFxVersion?: string;
  healthCheckPath?: string;
  appSettings?: Record<string, string>;
}

export interface SiteConfig extends SlotConfig {
  plan: string;
  /** App settings that stay with their slot on a swap (config/slotConfigNames.appSettingNames). */
  stickyAppSettings?: string[];
  slots?: SlotConfig[];
}

/** An autoscale setting in ARM shape, minus what the sandbox fills in: ids and the target are resolved from `targetPlan`. */
export interface AutoscaleConfig {
  name: string;
  targetPlan: string;
  enabled?: boolean;
  profiles: Record<string, unknown>[];
  notifications?: Record<string, unknown>[];
}

export interface ResourceGroupConfig {
  name: string;
  location?: string;
  plans?: PlanConfig[];
  sites?: SiteConfig[];
  autoscaleSettings?: AutoscaleConfig[];
}

/** An Azure Container Registry login server (see acr.ts), in front of a docker-registry with token auth. */
export interface ContainerRegistryConfig {
  /** The registry's name (its resource id ends in .../registries/NAME). */
  name: string;
  /** Default: defaults.resourceGroup. Role assignments on the group or subscription apply to it. */
  resourceGroup?: string;
  /** `http://127.0.0.1:PORT` of the docker-registry that stores the images; without it, /v2 answers 502. */
  upstream?: string;
}

export interface SandboxConfig {
  tenantId?: string;
  subscriptionId?: string;
  location: string;
  tokenLifetimeSeconds: number;
  /** How long a long-running operation (site PUT, swap) stays InProgress. */
  operationDurationMs: number;
  /** The Retry-After the sandbox sends on 202 responses and polls. */
  retryAfterSeconds: number;
  /** The default claims behind `oidcRequestToken`, as GitHub derives them from the workflow run. */
  github: GithubRunClaims;
  principals: PrincipalConfig[];
  resourceGroups: ResourceGroupConfig[];
  /** The resources named in connection.json. */
  defaults: { resourceGroup: string; siteName: string; planName: string; autoscaleSettingName: string };
  /**
   * Registry login servers, each on its own port. Runtime wiring like the data plane: read from the config
   * on every start (their upstreams change per run), not kept in state.json.
   */
  containerRegistries?: ContainerRegistryConfig[];
}

export const GITHUB_ISSUER = 'github';
export const AZURE_AD_TOKEN_EXCHANGE = 'api://AzureADTokenExchange';

function cpuRule(
  planId: string,
  operator: 'GreaterThan' | 'LessThan',
  threshold: number,
  direction: 'Increase' | 'Decrease',
  cooldown: string,
) {
  return {
    metricTrigger: {
      metricName: 'CpuPercentage',
      metricNamespace: 'microsoft.web/serverfarms',
      metricResourceUri: planId,
      timeGrain: 'PT1M',
      statistic: 'Average',
      timeWindow: 'PT10M',
      timeAggregation: 'Average',
      operator,
      threshold,
      dividePerInstance: false,
    },
    scaleAction: { direction, type: 'ChangeCount', value: '1', cooldown },
  };
}

/** Placeholders in config rules, replaced by real ids when the sandbox seeds a state dir. */
export const PLAN_PLACEHOLDER = '{plan}';
export const SITE_PLACEHOLDER = '{site}';

function demoRules() {
  return [
    cpuRule(PLAN_PLACEHOLDER, 'GreaterThan', 70, 'Increase', 'PT5M'),
    {
      metricTrigger: {
        metricName: 'Requests',
        metricNamespace: 'microsoft.web/sites',
        metricResourceUri: SITE_PLACEHOLDER,
        timeGrain: 'PT1M',
        statistic: 'Sum',
        timeWindow: 'PT5M',
        timeAggregation: 'Total',
        operator: 'GreaterThan',
        threshold: 1000,
        dividePerInstance: true,
      },
      scaleAction: { direction: 'Increase', type: 'ChangeCount', value: '1', cooldown: 'PT5M' },
    },
    cpuRule(PLAN_PLACEHOLDER, 'LessThan', 30, 'Decrease', 'PT10M'),
  ];
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const TIME_ZONE = 'W. Europe Standard Time';

/** The demo environment `npm run sandbox` starts with when no --config is given. */
export function defaultConfig(): SandboxConfig {
  return {
    location: 'West Europe',
    tokenLifetimeSeconds: 3599,
    operationDurationMs: 3000,
    retryAfterSeconds: 1,
    github: {
      repository: 'slotline-demo/slotline',
      environment: 'production',
      ref: 'refs/heads/main',
      actor: 'slotline-bot',
    },
    principals: [
      {
        name: 'slotline-deployer',
        role: 'Contributor',
        federatedCredentials: [
          {
            name: 'github-production',
            issuer: GITHUB_ISSUER,
            subject: 'repo:slotline-demo/slotline:environment:production',
          },
          {
            name: 'github-main',
            issuer: GITHUB_ISSUER,
            subject: 'repo:slotline-demo/slotline:ref:refs/heads/main',
          },
        ],
      },
    ],
    resourceGroups: [
      {
        name: 'slotline-demo',
        plans: [{ name: 'slotline-demo-plan', sku: { name: 'P1v3', tier: 'PremiumV3', capacity: 2 } }],
        sites: [
          {
            name: 'slotline-demo-web',
            plan: 'slotline-demo-plan',
            linuxFxVersion: 'DOCKER|ghcr.io/slotline-demo/web:1.0.0',
            healthCheckPath: '/healthz',
            appSettings: { WEBSITES_PORT: '8000', APP_SLOT_LABEL: 'production', FEATURE_BANNER: 'off' },
            stickyAppSettings: ['APP_SLOT_LABEL'],
            slots: [
              {
                name: 'staging',
                linuxFxVersion: 'DOCKER|ghcr.io/slotline-demo/web:1.0.0',
                healthCheckPath: '/healthz',
                appSettings: { WEBSITES_PORT: '8000', APP_SLOT_LABEL: 'staging', FEATURE_BANNER: 'off' },
              },
            ],
          },
        ],
        autoscaleSettings: [
          {
            name: 'slotline-demo-autoscale',
            targetPlan: 'slotline-demo-plan',
            enabled: true,
            profiles: [
              {
                name: 'Default',
                capacity: { minimum: '2', maximum: '10', default: '2' },
                rules: demoRules(),
              },
              {
                name: 'Business hours',
                capacity: { minimum: '4', maximum: '10', default: '4' },
                rules: demoRules(),
                recurrence: {
                  frequency: 'Week',
                  schedule: { timeZone: TIME_ZONE, days: WEEKDAYS, hours: [8], minutes: [0] },
                },
              },
              {
                // What the portal writes to end a recurring profile: the default capacity returns at 18:00.
                name: JSON.stringify({ name: 'Default', for: 'Business hours' }),
                capacity: { minimum: '2', maximum: '10', default: '2' },
                rules: demoRules(),
                recurrence: {
                  frequency: 'Week',
                  schedule: { timeZone: TIME_ZONE, days: WEEKDAYS, hours: [18], minutes: [0] },
                },
              },
            ],
            notifications: [
              {
                operation: 'Scale',
                email: {
                  sendToSubscriptionAdministrator: false,
                  sendToSubscriptionCoAdministrators: false,
                  customEmails: [],
                },
                webhooks: [],
              },
            ],
          },
        ],
      },
    ],
    defaults: {
      resourceGroup: 'slotline-demo',
      siteName: 'slotline-demo-web',
      planName: 'slotline-demo-plan',
      autoscaleSettingName: 'slotline-demo-autoscale',
    },
  };
}

const name = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$' };
const settings = { type: 'object', additionalProperties: { type: 'string' } };
const slot = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name,
    linuxFxVersion: { type: 'string' },
    healthCheckPath: { type: 'string' },
    appSettings: settings,
  },
};

/** The config file's schema: a file that does not match is refused with the first problem's path. */
export const CONFIG_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    tenantId: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' },
    subscriptionId: { type: 'string', pattern: '^[0-9a-fA-F-]{36}$' },
    location: { type: 'string' },
    tokenLifetimeSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
    operationDurationMs: { type: 'integer', minimum: 0, maximum: 600000 },
    retryAfterSeconds: { type: 'integer', minimum: 0, maximum: 60 },
    github: {
      type: 'object',
      additionalProperties: false,
      required: ['repository'],
      properties: {
        repository: { type: 'string', pattern: '^[^/\\s]+/[^/\\s]+$' },
        environment: { type: 'string' },
        ref: { type: 'string' },
        actor: { type: 'string' },
        eventName: { type: 'string', pattern: '^[a-z_]+$' },
        ownerId: { type: 'integer', minimum: 1 },
        repositoryId: { type: 'integer', minimum: 1 },
      },
    },
    principals: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'role'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          clientId: { type: 'string' },
          clientSecret: { type: ['string', 'null'] },
          role: { enum: ['Owner', 'Contributor', 'Reader', 'User Access Administrator'] },
          scope: { type: 'string' },
          additionalRoles: {
            type: 'array',
            items: {
              type: 'object',
              required: ['role', 'scope'],
              additionalProperties: false,
              properties: {
                role: { enum: ['Owner', 'Contributor', 'Reader', 'User Access Administrator'] },
                scope: { type: 'string' },
              },
            },
          },
          federatedCredentials: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'issuer', 'subject'],
              additionalProperties: false,
              properties: {
                name: { type: 'string' },
                issuer: { type: 'string' },
                subject: { type: 'string' },
                audiences: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    resourceGroups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name,
          location: { type: 'string' },
          plans: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name'],
              additionalProperties: false,
              properties: {
                name,
                sku: {
                  type: 'object',
                  required: ['name', 'tier', 'capacity'],
                  properties: {
                    name: { type: 'string' },
                    tier: { type: 'string' },
                    capacity: { type: 'integer', minimum: 1, maximum: 30 },
                  },
                },
              },
            },
          },
          sites: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'plan'],
              additionalProperties: false,
              properties: {
                ...slot.properties,
                plan: { type: 'string' },
                stickyAppSettings: { type: 'array', items: { type: 'string' } },
                slots: { type: 'array', items: slot },
              },
            },
          },
          autoscaleSettings: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'targetPlan', 'profiles'],
              additionalProperties: false,
              properties: {
                name: { type: 'string' },
                targetPlan: { type: 'string' },
                enabled: { type: 'boolean' },
                profiles: { type: 'array', minItems: 1, items: { type: 'object' } },
                notifications: { type: 'array', items: { type: 'object' } },
              },
            },
          },
        },
      },
    },
    containerRegistries: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[a-zA-Z0-9]{5,50}$' },
          resourceGroup: name,
          upstream: { type: 'string', pattern: '^http://(127\\.0\\.0\\.1|localhost):[0-9]{1,5}$' },
        },
      },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      required: ['resourceGroup', 'siteName', 'planName', 'autoscaleSettingName'],
      properties: {
        resourceGroup: { type: 'string' },
        siteName: { type: 'string' },
        planName: { type: 'string' },
        autoscaleSettingName: { type: 'string' },
      },
    },
  },
};

/**
 * Read a config file (JSON or YAML). Keys it leaves out take the demo environment's values, so a file
 * can change only the tenant, or only add a principal, while a file that lists resource groups replaces
 * the demo resources entirely.
 */
export async function loadConfig(path: string | undefined): Promise<SandboxConfig> {
  const base = defaultConfig();
  if (!path) return base;
  const text = readFileSync(path, 'utf8');
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new Error(`config ${path} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const problem = await validateAgainstSchema(CONFIG_SCHEMA, doc ?? {});
  if (problem) throw new Error(`config ${path}: ${problem}`);
  const config = { ...base, ...(doc as Partial<SandboxConfig>) };
  config.github = { ...base.github, ...(doc as Partial<SandboxConfig>).github };
  return config;
}

/** A client secret in the shape Entra issues (40 characters, with a `~` after a 3-character hint). */
export function generateClientSecret(): string {
  const body = randomBytes(30).toString('base64url').slice(0, 37);
  return `${body.slice(0, 3)}8Q~${body.slice(3)}`;
}

export { randomUUID };
