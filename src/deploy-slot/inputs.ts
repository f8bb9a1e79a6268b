import type { Scalar, YAMLMap } from 'yaml';
import { type AzureInputs, readAppInputs, readAzureInputs, SLOT_NAME } from '../lib/azure/inputs.js';
import { InputError } from '../lib/errors.js';
import { quoteExcerpt } from '../lib/excerpt.js';
import { parseStatusList, type StatusMatcher } from '../lib/http-status.js';
import { parseImageRef, registryProblem } from '../lib/image-ref.js';
import { type Env, InputReader } from '../lib/inputs.js';

export const ACTIONS = ['release', 'deploy', 'swap', 'ramp', 'rollback'] as const;
export type DeployAction = (typeof ACTIONS)[number];

export interface AppSetting {
  value: string;
  secret: boolean;
}

export interface DeploySlotInputs {
  azure: AzureInputs;
  action: DeployAction;
  resourceGroup: string;
  appName: string;
  slot: string;
  targetSlot: string;
  swapMode: 'direct' | 'preview';
  image?: string;
  registry?: { server: string; username: string; password: string };
  appSettings: Record<string, AppSetting>;
  stickySettings: string[];
  /** Undefined: the slot's configured health check path, else `/`. */
  healthPath?: string;
  healthStatuses: StatusMatcher;
  healthStatusesText: string;
  healthTimeoutMs: number;
  percentage?: number;
  lockTimeoutMs: number;
  rollbackOnFailure: boolean;
  /** Registries (host[:port]) a rollback may restore a recorded image from, besides production's own. */
  allowedRegistries: string[];
  /** A token with deployments: write: the run is recorded as a GitHub deployment (github-deployment.ts). */
  githubToken?: string;
  /** The GitHub environment name; undefined: the slot (deploy) or the target slot (release, swap, rollback). */
  environment?: string;
}

// A registry host as it starts an image reference: a domain, localhost or an IP, with an optional port.
const REGISTRY_HOST =
  /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)(?::\d{1,5})?$/;

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const APP_SETTINGS_EXPECTED =
  'a YAML map of NAME: value, or NAME: {value: ..., secret: true} for values to mask';

/**
 * app-settings, each value exactly as written: the scalar's source text, never YAML 1.2's reading of
 * it (`3.10` stays "3.10", not 3.1; `yes`, `on`, `0x10`, `1e3`, `~`, `null` and an empty value stay
 * text). Quoted and block scalars give their content. A list or any other map is refused, naming the
 * setting (never its value: it may be a secret).
 */
async function readAppSettings(reader: InputReader): Promise<Record<string, AppSetting>> {
  const input = 'app-settings';
  const doc = await reader.yamlDocument(input, APP_SETTINGS_EXPECTED);
  if (doc === undefined) return {};
  const { isAlias, isMap, isScalar } = await import('yaml');
  const fail = (why: string): never => {
    throw new InputError(`Input "${input}" must be ${APP_SETTINGS_EXPECTED}: ${why}.`);
  };
  /** The node, or what an alias names; `owner` ("NAME must be ...") leads the error for an alias to nothing. */
  const node = (n: unknown, owner?: string) => {
    if (!isAlias(n)) return n;
    const why = `the alias *${quoteExcerpt(n.source).slice(1, -1)} names no anchor`;
    return n.resolve(doc) ?? fail(owner ? `${owner}: ${why}` : why);
  };
  const contents = node(doc.contents);
  if (!isMap(contents)) fail('it is not a map');
  const settings: Record<string, AppSetting> = {};
  for (const pair of (contents as YAMLMap).items) {
    const key = node(pair.key);
    const name = isScalar(key) ? String(key.source ?? key.value) : undefined;
    if (name === undefined || !SETTING_NAME.test(name))
      fail(
        `setting names are letters, digits, _ . - (starting with a letter or _), got ${name === undefined ? 'a non-text key' : quoteExcerpt(name)}`,
      );
    const expected = `${name} must be one value (text, kept as written) or {value: ..., secret: true}`;
    const value = node(pair.value, expected);
    const text = (v: unknown): string | undefined =>
      v === null || v === undefined ? '' : isScalar(v) ? String(v.source ?? v.value ?? '') : undefined;
    const plain = text(value);
    if (plain !== undefined) {
      settings[name!] = { value: plain, secret: false };
      continue;
    }
    if (!isMap(value)) fail(`${expected}, not a list`);
    let entry: string | undefined;
    let secret = false;
    for (const item of (value as YAMLMap).items) {
      const field = node(item.key);
      const fieldName = isScalar(field) ? String(field.source ?? field.value) : '';
      const fieldValue = node(item.value, expected);
      if (fieldName === 'value') {
        entry = text(fieldValue);
        if (entry === undefined) fail(`${expected}: its value is not a single value`);
      } else if (fieldName === 'secret') {
        if (!isScalar(fieldValue) || typeof fieldValue.value !== 'boolean')
          fail(`${expected}: its secret must be true or false`);
        secret = (fieldValue as Scalar).value === true;
      } else fail(`${expected}: only value and secret are allowed`);
    }
    if (entry === undefined) fail(`${expected}: value is missing`);
    settings[name!] = { value: entry!, secret };
  }
  return settings;
}

/** The registry an image reference names: its first component when that is a host, else Docker Hub. */
export function registryServer(image: string): string {
  const first = image.split('/')[0] ?? '';
  const isHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? `https://${first}` : 'https://index.docker.io';
}

/** Why `image` (without `DOCKER|`) is not a reference with a tag or digest, or undefined when it is one. */
export function imageProblem(image: string): string | undefined {
  const parsed = parseImageRef(image);
  if (!parsed.ok) return parsed.reason;
  return parsed.ref.tag || parsed.ref.digest ? undefined : 'it has neither a tag nor a digest';
}

/** A tag or digest reference without `DOCKER|`, by distribution's grammar (src/lib/image-ref.ts). */
export function isValidImage(image: string): boolean {
  return imageProblem(image) === undefined;
}

/**
 * Inputs that only some values of `action` need. Checked right after parseInputs, before anything talks
 * to Azure; kept apart so parseInputs accepts every action's minimal input set on its own.
 */
export function checkInputsForAction(inputs: DeploySlotInputs, env: Env): void {
  const reader = new InputReader(env);
  if (!inputs.image && (inputs.action === 'release' || inputs.action === 'deploy'))
    reader.fail('image', `is required when action is ${inputs.action}`);
  if (inputs.action === 'ramp' && inputs.percentage === undefined)
    reader.fail('percentage', 'is required when action is ramp (0 to 100; 0 removes the routing rule)');
}

export async function parseInputs(env: Env): Promise<DeploySlotInputs> {
  const reader = new InputReader(env);
  const azure = readAzureInputs(reader);
  const action = reader.enum('action', ACTIONS, 'release');
  const { resourceGroup, appName } = readAppInputs(reader);
  const slot = reader.string('slot', {
    default: 'staging',
    pattern: SLOT_NAME,
    expected: 'a deployment slot name (letters, digits and hyphens)',
  })!;
  if (slot.toLowerCase() === 'production')
    reader.fail(
      'slot',
      'must name a deployment slot, not production (the slot is swapped into target-slot)',
      slot,
    );
  const targetSlot = reader.string('target-slot', {
    default: 'production',
    pattern: SLOT_NAME,
    expected: "'production' or a deployment slot name",
  })!;
  if (targetSlot.toLowerCase() === slot.toLowerCase())
    reader.fail('target-slot', `must differ from slot ('${slot}')`, targetSlot);
  const swapMode = reader.enum('swap-mode', ['direct', 'preview'] as const, 'direct');

  const image = reader.string('image');
  const imageWrong = image === undefined ? undefined : imageProblem(image.replace(/^DOCKER\|/i, ''));
  if (imageWrong)
    reader.fail(
      'image',
      `must be a container image reference with a tag or digest, such as myacr.azurecr.io/web:1.4.2 or ghcr.io/org/web@sha256:<64 hex> (${imageWrong}), got ${quoteExcerpt(image!)}`,
    );

  const registryUsername = reader.string('registry-username');
  const registryPassword = reader.string('registry-password', { secret: true });
  if (registryPassword && !registryUsername)
    reader.fail('registry-username', 'is required when registry-password is set');
  if (registryUsername && !registryPassword)
    reader.fail('registry-password', 'is required when registry-username is set');

  const appSettings = await readAppSettings(reader);

  const stickySettings = reader.list('sticky-settings', { comma: true });
  for (const name of stickySettings)
    if (!SETTING_NAME.test(name))
      reader.fail('sticky-settings', 'must list app setting names (letters, digits, _ . -)', name);

  const healthPath = reader.string('health-path', {
    pattern: /^\/[^\s?#]*(\?[^\s#]*)?$/,
    expected: 'a path starting with /, such as /healthz',
  });
  const healthStatusesText = reader.string('health-statuses', { default: '200' })!;
  const healthStatuses = parseStatusList(healthStatusesText);
  if (!healthStatuses)
    reader.fail(
      'health-statuses',
      'must be a comma-separated list of HTTP status codes or classes, such as 200 or 2xx,301',
      healthStatusesText,
    );
  const healthTimeoutMs = reader.duration('health-timeout', {
    default: '5m',
    min: 1_000,
    max: 6 * 3_600_000,
  })!;
  const percentage = reader.number('percentage', { min: 0, max: 100 });
  const lockTimeoutMs = reader.duration('lock-timeout', { default: '10m', max: 6 * 3_600_000 })!;
  const rollbackOnFailure = reader.boolean('rollback-on-failure', true);
  const allowedRegistries = reader.list('allowed-registries', { comma: true });
  for (const registry of allowedRegistries) {
    // The shared registry rules (ports 1-65535, labels of at most 63 characters, no user:password@),
    // plus a dot, localhost or an IP, as a registry host must have to start an image reference.
    const problem =
      registryProblem(registry) ?? (REGISTRY_HOST.test(registry) ? undefined : 'not a registry host');
    if (problem)
      reader.fail(
        'allowed-registries',
        `must list registry hosts (host or host:port, such as myacr.azurecr.io or ghcr.io), one per line or comma-separated (${problem}), got ${quoteExcerpt(registry)}`,
      );
  }

  const githubToken = reader.string('github-token', { secret: true });
  // Sent as an HTTP header: a token is printable ASCII without spaces (a pasted line break is a mistake).
  if (githubToken !== undefined && !/^[\x21-\x7e]+$/.test(githubToken))
    reader.fail(
      'github-token',
      'must be a GitHub token (printable characters, no spaces or line breaks)',
      githubToken,
      {
        secret: true,
      },
    );
  // GitHub environment names are at most 255 characters; control and format characters are refused here.
  const environment = reader.string('environment', {
    pattern: /^[^\p{Cc}\p{Cf}]{1,255}$/u,
    expected: 'a GitHub environment name (at most 255 characters, no control or invisible characters)',
  });

  return {
    azure,
    action,
    resourceGroup,
    appName,
    slot,
    targetSlot,
    swapMode,
    ...(image ? { image: image.replace(/^DOCKER\|/i, '') } : {}),
    ...(registryUsername && registryPassword && image
      ? {
          registry: {
            server: registryServer(image.replace(/^DOCKER\|/i, '')),
            username: registryUsername,
            password: registryPassword,
          },
        }
      : {}),
    appSettings,
    stickySettings,
    ...(healthPath ? { healthPath } : {}),
    healthStatuses: healthStatuses!,
    healthStatusesText,
    healthTimeoutMs,
    ...(percentage !== undefined ? { percentage } : {}),
    lockTimeoutMs,
    rollbackOnFailure,
    allowedRegistries,
    ...(githubToken ? { githubToken } : {}),
    ...(environment ? { environment } : {}),
  };
}
