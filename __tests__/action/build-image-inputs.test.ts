import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parseInputs } from '../../src/build-image/inputs.js';
import { defaultDeps, run } from '../../src/build-image/main.js';
import type { EventContext } from '../../src/build-image/metadata.js';
import type { Exec, ExecOptions } from '../../src/lib/exec.js';
import { inputEnv, repoRoot, runInProcess } from '../helpers/runner.js';

const appDir = join(repoRoot, 'examples', 'flask-app');

const event: EventContext = {
  eventName: 'push',
  ref: 'refs/heads/main',
  sha: '90dd6032fac8bda1b6c4436a2e65de27961ed071',
  serverUrl: 'https://github.com',
  repo: { owner: 'contoso', repo: 'portal' },
  payload: {},
};

interface Call {
  command: string;
  args: readonly string[];
  options?: ExecOptions;
}

const NO_OUTPUT = { signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false, cancelled: false };

/** An exec that records calls and answers from a script; anything unscripted exits 127. */
function scriptedExec(
  answer: (command: string, args: readonly string[]) => number | undefined = () => undefined,
) {
  const calls: Call[] = [];
  const exec: Exec = async (command, args, options) => {
    calls.push({ command, args, options });
    return {
      ...NO_OUTPUT,
      exitCode: answer(command, args) ?? 127,
      stderr: `${command}: not scripted`,
    };
  };
  return { exec, calls };
}

const valid = { context: appDir, registry: 'registry.example.test', repository: 'contoso/portal' };
const azure = {
  'subscription-id': '00000000-0000-4000-8000-000000000001',
  'tenant-id': '00000000-0000-4000-8000-000000000002',
  'client-id': '00000000-0000-4000-8000-000000000003',
};

describe('registry-login: auto picks the login from what is set', () => {
  test.each<[string, Record<string, string>, string]>([
    ['nothing set', {}, 'none'],
    ['username and password', { username: 'u', password: 'p4ss' }, 'password'],
    ['an *.azurecr.io registry, no subscription-id needed', { registry: 'contoso.azurecr.io' }, 'acr-oidc'],
    ['client-id with another registry: no Entra token leaves', azure, 'none'],
    ['client-id with a 127.0.0.1 registry', { ...azure, registry: '127.0.0.1:5000' }, 'none'],
    ['only subscription-id (shared workflow env)', { 'subscription-id': azure['subscription-id'] }, 'none'],
    ['password wins over client-id', { ...azure, username: 'u', password: 'p4ss' }, 'password'],
    ['explicit none with client-id', { ...azure, 'registry-login': 'none' }, 'none'],
    ['explicit acr-oidc names any login server', { ...azure, 'registry-login': 'acr-oidc' }, 'acr-oidc'],
    [
      'explicit acr-oidc for a 127.0.0.1 login server',
      { ...azure, registry: '127.0.0.1:5000', 'registry-login': 'acr-oidc' },
      'acr-oidc',
    ],
  ])('%s', async (_name, override, kind) => {
    const inputs = await parseInputs(inputEnv({ ...valid, ...override }));
    expect(inputs.login.kind).toBe(kind);
  });

  // The Azure CLI's per-cloud login-server suffixes: AzureCloud .azurecr.io, AzureUSGovernment .azurecr.us,
  // AzureChinaCloud .azurecr.cn. A name only counts when the suffix ends it after a dot.
  test.each<[string, boolean]>([
    ['contoso.azurecr.io', true],
    ['contoso.azurecr.us', true],
    ['contoso.azurecr.cn', true],
    ['Contoso.AzureCR.IO', true],
    ['contoso.azurecr.io:443', true],
    ['team-a.contoso.azurecr.io', true],
    ['evilazurecr.io', false],
    ['contoso-azurecr.io', false],
    ['azurecr.io', false],
    ['contoso.azurecr.io.evil.com', false],
    ['contoso.azurecr.io.cn', false],
    ['contoso.azurecr.com', false],
    ['contoso.azurecr.de', false],
    ['contoso.azurecr.iox', false],
    ['ghcr.io', false],
    ['127.0.0.1:5000', false],
  ])('auto with client-id and registry %s: ACR OIDC is %s', async (registry, acr) => {
    const inputs = await parseInputs(inputEnv({ ...valid, ...azure, registry }));
    expect(inputs.login.kind).toBe(acr ? 'acr-oidc' : 'none');
  });

  test('acr-oidc reads the shared Azure inputs: client secret, or GitHub OIDC without one', async () => {
    const acr = { ...valid, ...azure, registry: 'contoso.azurecr.io' };
    const withSecret = await parseInputs(inputEnv({ ...acr, 'client-secret': 's3cret' }));
    expect(withSecret.login).toMatchObject({ kind: 'acr-oidc', azure: { credentialKind: 'client-secret' } });
    const federated = await parseInputs(inputEnv(acr));
    expect(federated.login).toMatchObject({
      kind: 'acr-oidc',
      azure: { credentialKind: 'github-oidc', authorityHost: 'https://login.microsoftonline.com' },
    });
  });
});

describe('bad input: one line naming the input, exit 1, nothing run', () => {
  test.each<[string, Record<string, string>, RegExp]>([
    [
      'builder',
      { builder: 'kaniko' },
      /Input "builder" must be one of auto, docker, buildah, podman, got "kaniko"/,
    ],
    ['context', { context: '/nonexistent/ctx' }, /Input "context" must be an existing directory/],
    ['file', { file: join(appDir, 'Nope.Dockerfile') }, /Input "file" must be an existing Dockerfile/],
    [
      'file (default missing)',
      { context: repoRoot },
      /Input "file" must name a Dockerfile: the context .* has no Dockerfile/,
    ],
    ['target', { target: 'final stage' }, /Input "target" must be a build stage name/],
    [
      'build-args',
      { 'build-args': 'BASE_IMAGE=x\nnot a pair' },
      /Input "build-args" must be lines of NAME=value; line 2/,
    ],
    ['registry (missing)', { registry: '' }, /Input "registry" is required/],
    [
      'registry',
      { registry: 'https://myregistry.azurecr.io' },
      /Input "registry" must be a registry host name/,
    ],
    ['repository (missing)', { repository: '' }, /Input "repository" is required/],
    [
      'repository',
      { repository: 'Contoso/Portal' },
      /Input "repository" must be a lowercase repository path/,
    ],
    ['tags', { tags: 'type=ref,event=push' }, /Input "tags" must be lines of type=.*event=branch/],
    ['labels', { labels: 'org.opencontainers.image.vendor' }, /Input "labels" must be lines of key=value/],
    ['push', { push: 'yes' }, /Input "push" must be true or false, got "yes"/],
    ['tls-verify', { 'tls-verify': 'off' }, /Input "tls-verify" must be true or false, got "off"/],
    [
      'tls-verify',
      { ...azure, registry: 'contoso.azurecr.io', 'tls-verify': 'false' },
      /Input "tls-verify" must be true when signing in with registry-login acr-oidc/,
    ],
    ['cache-from', { 'cache-from': 'type=gha' }, /Input "cache-from" must be a registry cache/],
    ['cache-to', { 'cache-to': 'type=local,dest=/tmp/cache' }, /Input "cache-to" must be a registry cache/],
    [
      'username (password without user)',
      { password: 'p4ss-word' },
      /Input "username" is required when password is set/,
    ],
    [
      'password (user without password)',
      { username: 'pusher' },
      /Input "password" is required when username is set/,
    ],
    [
      'registry-login',
      { 'registry-login': 'admin-user' },
      /Input "registry-login" must be one of auto, acr-oidc, password, none, got "admin-user"/,
    ],
    [
      'client-id',
      { 'registry-login': 'acr-oidc', ...azure, 'client-id': 'deployer' },
      /Input "client-id" must be an application \(client\) ID \(a GUID\)/,
    ],
    [
      'tenant-id (client-id without tenant)',
      { 'registry-login': 'acr-oidc', ...azure, 'tenant-id': '' },
      /Input "tenant-id" is required when client-id is set/,
    ],
    [
      'arm-endpoint',
      { 'registry-login': 'acr-oidc', ...azure, 'arm-endpoint': 'http://127.0.0.1:1' },
      /Input "arm-endpoint"/,
    ],
    [
      'authority-host',
      { 'registry-login': 'acr-oidc', ...azure, 'authority-host': 'login' },
      /Input "authority-host"/,
    ],
    [
      'subscription-id',
      { 'registry-login': 'acr-oidc', ...azure, 'subscription-id': 'prod' },
      /Input "subscription-id" must be a subscription ID \(a GUID\)/,
    ],
    [
      'username (with acr-oidc)',
      { 'registry-login': 'acr-oidc', ...azure, username: 'pusher', password: 'p4ss-word' },
      /Input "username" must be empty with registry-login acr-oidc/,
    ],
    [
      'username (registry-login password without credentials)',
      { 'registry-login': 'password' },
      /Input "username" and password are required when registry-login is password/,
    ],
  ])('%s', async (_name, override, expected) => {
    const { exec, calls } = scriptedExec();
    const result = await runInProcess(
      () => run(process.env, { ...defaultDeps(), exec, eventContext: async () => event }),
      { ...valid, ...override },
    );
    expect(result.exitCode).toBe(1);
    const errors = result.log.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::build-image: Input "/);
    expect(errors[0]).toMatch(expected);
    expect(calls).toEqual([]);
    expect(result.outputs).toEqual({});
  });

  test('a secret in a bad input is never echoed', async () => {
    const { exec } = scriptedExec();
    const result = await runInProcess(
      () => run(process.env, { ...defaultDeps(), exec, eventContext: async () => event }),
      { ...valid, password: 'S3cret-but-alone' },
    );
    expect(result.exitCode).toBe(1);
    expect(result.log).not.toContain('S3cret-but-alone');
    expect(result.masked).toContain('S3cret-but-alone');
  });
});

describe('registry, repository, target and cache refs: distribution grammar, bounded (bad-input sweep rows)', () => {
  const LONG = 'a'.repeat(12_000);
  test.each<[string, Record<string, string>, RegExp]>([
    [
      'registry port 0',
      { registry: 'registry.example.com:0' },
      /Input "registry" must be a registry host name .*: the registry port must be a number from 1 to 65535, got "registry\.example\.com:0"\.$/,
    ],
    [
      'registry port 65536',
      { registry: 'registry.example.com:65536' },
      /Input "registry" .*: the registry port must be a number from 1 to 65535/,
    ],
    [
      'registry with a 64-character host label',
      { registry: `${'h'.repeat(64)}.example.com` },
      /Input "registry" .*: a part of the registry host name between dots is longer than 63 characters/,
    ],
    [
      'registry of 12,000 characters',
      { registry: LONG },
      /Input "registry" .*: the registry host name is longer than 253 characters, got "a{60}…"\.$/,
    ],
    [
      'repository of 12,000 characters',
      { repository: LONG },
      /Input "repository" .*at most 255 characters\): the repository path is longer than 255 characters, got "a{60}…"\.$/,
    ],
    [
      'target of 12,000 characters',
      { target: LONG },
      /Input "target" must be a build stage name \(letters, digits, _ \. -, at most 128 characters\), got "a{60}…"\.$/,
    ],
    [
      'cache-from of 12,000 characters',
      { 'cache-from': LONG },
      /Input "cache-from" must be a registry cache: .* \(the repository path is longer than 255 characters\), got "a{60}…"\.$/,
    ],
    [
      'cache-to with a 12,000-character ref',
      { 'cache-to': `type=registry,ref=${LONG}` },
      /Input "cache-to" must be a registry cache: .* \(the repository path is longer than 255 characters\), got "type=registry,ref=a{42}…"\.$/,
    ],
    [
      'cache-to with a bad port in its ref',
      { 'cache-to': 'type=registry,ref=registry.example.com:99999/cache,mode=max' },
      /Input "cache-to" .*\(the registry port must be a number from 1 to 65535\)/,
    ],
    [
      'labels with a 12,000-character line',
      { labels: LONG },
      /Input "labels" must be lines of key=value .*; line 1 is not, got "a{60}…"\.$/,
    ],
  ])('%s: one short error line', async (_name, override, expected) => {
    const { exec, calls } = scriptedExec();
    const result = await runInProcess(
      () => run(process.env, { ...defaultDeps(), exec, eventContext: async () => event }),
      { ...valid, ...override },
    );
    expect(result.exitCode).toBe(1);
    const errors = result.log.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(expected);
    expect(errors[0]!.length).toBeLessThan(400);
    expect(calls).toEqual([]);
  });

  test('a cache mode other than min or max is refused; a valid cache ref keeps its repository', async () => {
    await expect(
      parseInputs(
        inputEnv({ ...valid, 'cache-to': 'type=registry,ref=reg.example.test:5000/team/cache:b,mode=all' }),
      ),
    ).rejects.toThrow(
      /^Input "cache-to" must be a registry cache: .* \(mode is min or max\), got "type=registry/,
    );
    const inputs = await parseInputs(
      inputEnv({ ...valid, 'cache-to': 'type=registry,ref=reg.example.test:5000/team/cache:b,mode=max' }),
    );
    expect(inputs.cacheTo).toEqual({
      raw: 'type=registry,ref=reg.example.test:5000/team/cache:b,mode=max',
      ref: 'reg.example.test:5000/team/cache',
    });
  });

  test('a registry with user:password@ is refused without showing any of it', async () => {
    const { exec, calls } = scriptedExec();
    const result = await runInProcess(
      () => run(process.env, { ...defaultDeps(), exec, eventContext: async () => event }),
      { ...valid, registry: 'pusher:Regi5try-Passw0rd@registry.example.com' },
    );
    expect(result.exitCode).toBe(1);
    const errors = result.log.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toEqual([
      '::error::build-image: Input "registry" must be a registry host name with an optional port, without scheme or path (for example myregistry.azurecr.io); a user name or password belongs in username and password.',
    ]);
    expect(result.log).not.toContain('Regi5try-Passw0rd');
    expect(result.log).not.toContain('pusher');
    expect(calls).toEqual([]);
  });
});

describe('builder selection', () => {
  const inputs = { ...valid, builder: 'docker' };

  test('builder: docker without an answering engine fails clearly before any build', async () => {
    const { exec, calls } = scriptedExec((cmd, args) =>
      cmd === 'docker' && args[0] === 'version' ? 1 : undefined,
    );
    const result = await runInProcess(
      () => run(process.env, { ...defaultDeps(), exec, eventContext: async () => event }),
      inputs,
    );
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain(
      '::error::build-image: builder "docker" was chosen but no Docker engine with buildx answers',
    );
    expect(calls.map((c) => c.args[0])).toEqual(['version']);
  });

  test('the tag rules producing no tag for the event is a clear error', async () => {
    const { exec, calls } = scriptedExec();
    const result = await runInProcess(
      () => run(process.env, { ...defaultDeps(), exec, eventContext: async () => event }),
      { ...valid, tags: 'type=ref,event=tag' },
    );
    expect(result.exitCode).toBe(1);
    expect(result.log).toContain(
      '::error::build-image: the tag rules produced no tag for event "push" on refs/heads/main',
    );
    expect(calls).toEqual([]);
  });
});
