import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type AzureInputs, readAzureSignInInputs } from '../lib/azure/inputs.js';
import { InputError } from '../lib/errors.js';
import { quoteExcerpt } from '../lib/excerpt.js';
import { parseImageRef, registryProblem, repositoryPathProblem } from '../lib/image-ref.js';
import { type Env, InputReader } from '../lib/inputs.js';
import type { BuilderName } from './builders.js';
import { DEFAULT_TAG_RULES, parseLabels, parseTagRules, type TagRule } from './metadata.js';

export interface BuildImageInputs {
  builder: 'auto' | BuilderName;
  context: string;
  file?: string;
  target?: string;
  buildArgs: Record<string, string>;
  registry: string;
  repository: string;
  tagRules: TagRule[];
  labels: Record<string, string>;
  push: boolean;
  tlsVerify: boolean;
  cacheFrom?: CacheSpec;
  cacheTo?: CacheSpec;
  layers: boolean;
  username?: string;
  password?: string;
  /** How the builder signs in to the registry, after `auto` was resolved. */
  login: RegistryLogin;
}

export type RegistryLogin =
  /** `hint`: why auto chose no sign-in although Azure inputs are set (shown as a warning). */
  | { kind: 'none'; hint?: string }
  | { kind: 'password' }
  /** Entra ID token (shared Azure inputs) → ACR refresh token at https://REGISTRY/oauth2/exchange. */
  | { kind: 'acr-oidc'; azure: AzureInputs };

/**
 * Login servers of Azure Container Registry: the Azure CLI's per-cloud suffixes (AzureCloud .azurecr.io,
 * AzureUSGovernment .azurecr.us, AzureChinaCloud .azurecr.cn), after a dot and at the very end.
 */
const ACR_HOST = /^[^:]+\.azurecr\.(io|us|cn)(:\d+)?$/i;

/** Whether `registry` (host with an optional port) is an ACR login server, so `auto` may send it an Entra token. */
export function isAcrLoginServer(registry: string): boolean {
  return ACR_HOST.test(registry);
}

/** A registry cache, written as build-push-action does (`type=registry,ref=...[,mode=max]`) or as a bare ref. */
export interface CacheSpec {
  /** As given, for docker buildx. */
  raw: string;
  /** The cache repository, for buildah/podman: they tag cache layers by their own keys, so no tag. */
  ref: string;
}

/** `host:port/repo:tag` or `host/repo@sha256:...` -> `host:port/repo`. */
export function repositoryOf(ref: string): string {
  const withoutDigest = ref.split('@')[0]!;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

const BUILD_ARG = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
const STAGE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Dockerfile stage names have no documented limit; a name longer than a tag is a pasting accident. */
const MAX_STAGE_LENGTH = 128;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function cacheSpec(input: InputReader, name: string): CacheSpec | undefined {
  const raw = input.raw(name);
  if (raw === undefined) return undefined;
  const expected =
    'must be a registry cache: type=registry,ref=REGISTRY/REPOSITORY[:TAG] (mode=min or max allowed) or a bare image reference';
  const refuse: (why?: string) => never = (why) =>
    input.fail(name, `${expected}${why ? ` (${why})` : ''}, got ${quoteExcerpt(raw)}`);
  /** The cache repository of a ref that passed the reference grammar. */
  const checkedRef = (ref: string): string => {
    const parsed = parseImageRef(ref);
    if (!parsed.ok) refuse(parsed.reason);
    return repositoryOf(ref);
  };
  if (!raw.includes('=')) return { raw: `type=registry,ref=${raw}`, ref: checkedRef(raw) };
  const attrs = Object.fromEntries(
    raw.split(',').map((part) => {
      const eq = part.indexOf('=');
      return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    }),
  );
  const ref = attrs['ref'];
  const known = Object.keys(attrs).every((k) => ['type', 'ref', 'mode'].includes(k));
  if (attrs['type'] !== 'registry' || !ref || !known) refuse();
  if (attrs['mode'] !== undefined && !['min', 'max'].includes(attrs['mode'])) refuse('mode is min or max');
  return { raw, ref: checkedRef(ref) };
}

/**
 * The filesystem half of input validation, kept out of parseInputs so that parsing reads no files:
 * the context must be a directory and the Dockerfile must exist.
 */
export function verifyBuildFiles(inputs: Pick<BuildImageInputs, 'context' | 'file'>): void {
  const { context, file } = inputs;
  const input = new InputReader({});
  if (!isDirectory(context))
    input.fail('context', 'must be an existing directory (the build context)', context);
  const dockerfile = file ?? join(context, 'Dockerfile');
  if (!isFile(dockerfile) && !(file === undefined && isFile(join(context, 'Containerfile')))) {
    input.fail(
      'file',
      file
        ? 'must be an existing Dockerfile'
        : `must name a Dockerfile: the context ${JSON.stringify(context)} has no Dockerfile or Containerfile`,
      file,
    );
  }
}

/** The only place that knows build-image's input names. */
export async function parseInputs(env: Env): Promise<BuildImageInputs> {
  const input = new InputReader(env);
  const registry = input.required('registry');
  const registryWrong = registryProblem(registry);
  if (registryWrong) {
    const expected =
      'must be a registry host name with an optional port, without scheme or path (for example myregistry.azurecr.io)';
    // A user name or password in the registry is a credential: refused without showing any of it.
    if (registry.includes('@'))
      input.fail('registry', `${expected}; a user name or password belongs in username and password`);
    input.fail('registry', `${expected}: ${registryWrong}, got ${quoteExcerpt(registry)}`);
  }
  const repository = input.required('repository');
  const repositoryWrong = repositoryPathProblem(repository);
  if (repositoryWrong) {
    input.fail(
      'repository',
      `must be a lowercase repository path such as team/app (a-z, 0-9, separators . _ - /, at most 255 characters): ${repositoryWrong}, got ${quoteExcerpt(repository)}`,
    );
  }

  const builder = input.enum('builder', ['auto', 'docker', 'buildah', 'podman'] as const, 'auto');

  const context = input.string('context', { default: '.' })!;
  const file = input.string('file');
  const target = input.string('target');
  if (target !== undefined && (target.length > MAX_STAGE_LENGTH || !STAGE.test(target)))
    input.fail(
      'target',
      `must be a build stage name (letters, digits, _ . -, at most ${MAX_STAGE_LENGTH} characters), got ${quoteExcerpt(target)}`,
    );

  const buildArgs: Record<string, string> = {};
  input.list('build-args').forEach((line, index) => {
    const match = BUILD_ARG.exec(line);
    if (!match) {
      throw new InputError(
        `Input "build-args" must be lines of NAME=value; line ${index + 1} is not (value hidden).`,
      );
    }
    buildArgs[match[1]!] = match[2]!;
  });

  const tagLines = input.list('tags');
  const tagRules = parseTagRules(tagLines.length > 0 ? tagLines : DEFAULT_TAG_RULES);
  const labels = parseLabels(input.list('labels'));
  const push = input.boolean('push', true);
  const tlsVerify = input.boolean('tls-verify', true);
  const cacheFrom = cacheSpec(input, 'cache-from');
  const cacheTo = cacheSpec(input, 'cache-to');
  const layers = input.boolean('layers', true);
  // buildah reads and writes a registry layer cache only for the layers it keeps.
  if (!layers && (cacheFrom || cacheTo))
    input.fail(
      'layers',
      `must be true when ${cacheFrom ? 'cache-from' : 'cache-to'} is set: the cache holds layers`,
      'false',
    );

  const username = input.string('username');
  const password = input.string('password', { secret: true });
  if (username !== undefined && password === undefined)
    input.fail('password', 'is required when username is set');
  if (password !== undefined && username === undefined)
    input.fail('username', 'is required when password is set');
  const login = registryLogin(input, env, registry, username !== undefined);
  // The ACR refresh token is a push credential: never handed to a registry whose certificate is not checked.
  if (push && login.kind === 'acr-oidc' && !tlsVerify)
    input.fail(
      'tls-verify',
      'must be true when signing in with registry-login acr-oidc: the ACR refresh token would go to an unverified server',
      'false',
    );

  return {
    builder,
    context,
    file,
    target,
    buildArgs,
    registry,
    repository,
    tagRules,
    labels,
    push,
    tlsVerify,
    cacheFrom,
    cacheTo,
    layers,
    username,
    password,
    login,
  };
}

/**
 * `registry-login`: auto picks password when username/password are set, else ACR OIDC for an ACR login
 * server only (an Entra token is a credential for every Azure resource the identity may reach, so it goes
 * nowhere else unless acr-oidc names the server explicitly), else no login.
 */
function registryLogin(input: InputReader, env: Env, registry: string, hasPassword: boolean): RegistryLogin {
  const mode = input.enum('registry-login', ['auto', 'acr-oidc', 'password', 'none'] as const, 'auto');
  // Validated whatever the mode, so a typo in them is an error rather than silently unused.
  const azure = readAzureSignInInputs(new InputReader(env));
  const kind =
    mode !== 'auto' ? mode : hasPassword ? 'password' : isAcrLoginServer(registry) ? 'acr-oidc' : 'none';
  if (kind === 'password' && !hasPassword)
    input.fail('username', 'and password are required when registry-login is password');
  if (kind === 'acr-oidc') {
    if (hasPassword)
      input.fail(
        'username',
        'must be empty with registry-login acr-oidc: the ACR refresh token is the password',
      );
    return { kind, azure };
  }
  if (kind === 'none' && hasPassword)
    input.fail('registry-login', 'must not be none when username and password are set', mode);
  if (mode === 'auto' && azure.clientId !== undefined) {
    return {
      kind,
      hint: `registry-login is auto and ${registry} is not an ACR login server (*.azurecr.io, *.azurecr.us, *.azurecr.cn), so no Microsoft Entra token is sent to it; set registry-login: acr-oidc to sign in to it with Azure`,
    };
  }
  return { kind };
}
