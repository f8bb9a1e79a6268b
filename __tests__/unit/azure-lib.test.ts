import { describe, expect, test } from '@jest/globals';
import { AzureNetworkError, capRetryAfter, networkFailure } from '../../src/lib/azure/bounds.js';
import { ArmError, AzureAuthError, translateAzureError } from '../../src/lib/azure/errors.js';
import { armScope, readAzureInputs } from '../../src/lib/azure/inputs.js';
import { CancelledError } from '../../src/lib/cancellation.js';
import { InputError } from '../../src/lib/errors.js';
import { networkErrorInWords } from '../../src/lib/http.js';
import { InputReader } from '../../src/lib/inputs.js';
import { inputEnv } from '../helpers/runner.js';

const SUB = '0b0e7f5e-4a44-4c8e-9b5e-6a1c2d3e4f50';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '3c2d1e0f-aaaa-4bbb-8ccc-123456789abc';

const read = (inputs: Record<string, string>) => readAzureInputs(new InputReader(inputEnv(inputs)));

describe('readAzureInputs', () => {
  test('client-secret selects the secret credential; endpoints default to public Azure', () => {
    expect(
      read({ 'subscription-id': SUB, 'tenant-id': TENANT, 'client-id': CLIENT, 'client-secret': 's3cret' }),
    ).toEqual({
      subscriptionId: SUB,
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: 's3cret',
      armEndpoint: 'https://management.azure.com',
      authorityHost: 'https://login.microsoftonline.com',
      credentialKind: 'client-secret',
    });
  });

  test('client-id without a secret selects GitHub OIDC; no client-id selects the Azure CLI login', () => {
    expect(
      read({ 'subscription-id': SUB, 'tenant-id': 'contoso.onmicrosoft.com', 'client-id': CLIENT })
        .credentialKind,
    ).toBe('github-oidc');
    expect(read({ 'subscription-id': SUB }).credentialKind).toBe('azure-cli');
  });

  test('custom endpoints are reduced to their origin', () => {
    const inputs = read({
      'subscription-id': SUB,
      'arm-endpoint': 'https://127.0.0.1:8443/',
      'authority-host': 'https://127.0.0.1:9443',
    });
    expect(inputs.armEndpoint).toBe('https://127.0.0.1:8443');
    expect(inputs.authorityHost).toBe('https://127.0.0.1:9443');
  });

  test.each([
    [{}, 'Input "subscription-id" is required and was not supplied.'],
    [
      { 'subscription-id': 'my-sub' },
      'Input "subscription-id" must be a subscription ID (a GUID), got "my-sub".',
    ],
    [{ 'subscription-id': SUB, 'client-id': CLIENT }, 'Input "tenant-id" is required when client-id is set.'],
    [
      { 'subscription-id': SUB, 'client-secret': 'x' },
      'Input "client-id" is required when client-secret is set.',
    ],
    [
      { 'subscription-id': SUB, 'arm-endpoint': 'http://management.azure.com' },
      'Input "arm-endpoint" must be an absolute https URL, got "http://management.azure.com".',
    ],
  ])('%j is refused with one line naming the input', (inputs, message) => {
    expect(() => read(inputs as Record<string, string>)).toThrow(new InputError(message));
  });

  test('a malformed tenant-id names the input and the expected forms', () => {
    expect(() => read({ 'subscription-id': SUB, 'tenant-id': 'not a tenant' })).toThrow(
      /^Input "tenant-id" must be a tenant ID \(a GUID\) or a domain/,
    );
  });

  test('a client secret is never echoed in an error', () => {
    const secret = 'super-secret-value';
    let message = '';
    try {
      read({ 'subscription-id': SUB, 'client-secret': secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('Input "client-id" is required when client-secret is set.');
    expect(message).not.toContain(secret);
  });

  test('armScope: the public ARM audience for Azure and local sandboxes, the endpoint itself for other clouds', () => {
    expect(armScope('https://management.azure.com')).toBe('https://management.azure.com/.default');
    expect(armScope('https://127.0.0.1:8443')).toBe('https://management.azure.com/.default');
    expect(armScope('https://management.usgovcloudapi.net')).toBe(
      'https://management.usgovcloudapi.net/.default',
    );
  });
});

describe('translateAzureError', () => {
  const inputs = {
    clientId: CLIENT,
    tenantId: TENANT,
    authorityHost: 'https://login.microsoftonline.com',
    armEndpoint: 'https://management.azure.com',
    credentialKind: 'github-oidc' as const,
  };

  test('a federated subject mismatch names the subject presented and where to add a federated credential', () => {
    const aad = new Error(
      "ClientAssertionCredential authentication failed: AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:acme/web:ref:refs/heads/dev'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. Assertion Issuer: 'https://token.actions.githubusercontent.com'. Assertion Subject: 'repo:acme/web:ref:refs/heads/dev'. Assertion Audience: 'api://AzureADTokenExchange'.",
    );
    const translated = translateAzureError(aad, inputs);
    expect(translated).toBeInstanceOf(AzureAuthError);
    expect(translated.message).toContain(
      "no federated credential matches subject 'repo:acme/web:ref:refs/heads/dev' from issuer 'https://token.actions.githubusercontent.com'",
    );
    expect(translated.message).toContain(
      `App registrations > ${CLIENT} > Certificates & secrets > Federated credentials`,
    );
  });

  test('a 403 AuthorizationFailed names the action, the scope and a role to assign', () => {
    const arm = new ArmError(
      403,
      'AuthorizationFailed',
      "The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.Web/sites/slotsswap/action' over scope '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web' or the scope is invalid.",
    );
    expect(translateAzureError(arm, inputs).message).toBe(
      `ARM refused Microsoft.Web/sites/slotsswap/action (403 AuthorizationFailed): principal ${CLIENT} has no role that allows it on /subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/web. Assign a role such as Website Contributor (web apps) or Monitoring Contributor (autoscale) at that scope or above.`,
    );
  });

  test('other ARM errors and unknown errors pass through', () => {
    const notFound = new ArmError(404, 'ResourceNotFound', 'gone');
    expect(translateAzureError(notFound, inputs)).toBe(notFound);
    const other = new Error('something else');
    expect(translateAzureError(other, inputs)).toBe(other);
  });
});

describe('errors in words', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  test.each([
    [withCode('connect ECONNREFUSED 127.0.0.1:1234', 'ECONNREFUSED'), 'connection refused (ECONNREFUSED)'],
    [withCode('getaddrinfo ENOTFOUND login.example', 'ENOTFOUND'), 'host name not found (DNS) (ENOTFOUND)'],
    [withCode('connect ETIMEDOUT 10.0.0.1:443', 'ETIMEDOUT'), 'connection timed out (ETIMEDOUT)'],
    [withCode('no response within 30 s', 'ETIMEDOUT'), 'no response within 30 s (ETIMEDOUT)'],
    [
      withCode('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT'),
      'no connection within the connect timeout (TCP connect or TLS handshake) (UND_ERR_CONNECT_TIMEOUT)',
    ],
    [
      withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      'the TLS certificate is self-signed and not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)',
    ],
    [
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }),
      'connection reset by the other side (ECONNRESET)',
    ],
    [withCode('something odd', 'EWHATEVER'), 'something odd (EWHATEVER)'],
    [new Error('no code at all'), 'no code at all'],
  ])('%s → %s', (error, words) => {
    expect(networkErrorInWords(error)).toBe(words);
  });

  test('a network failure from the SDK names the input and its origin', () => {
    const error = withCode('connect ECONNREFUSED 127.0.0.1:1234', 'ECONNREFUSED');
    expect(
      networkFailure({ input: 'authority-host', origin: 'https://127.0.0.1:1234' }, error)?.message,
    ).toBe('authority-host https://127.0.0.1:1234: connection refused (ECONNREFUSED)');
    expect(
      networkFailure({ input: 'arm-endpoint', origin: 'https://x' }, new Error('not a network error')),
    ).toBe(undefined);
  });

  test('errors already in words and cancellations pass translateAzureError unchanged', () => {
    const inputs = {
      authorityHost: 'https://login.microsoftonline.com',
      armEndpoint: 'https://management.azure.com',
      credentialKind: 'client-secret' as const,
    };
    const network = new AzureNetworkError(
      'authority-host https://127.0.0.1:1: connection refused (ECONNREFUSED)',
    );
    expect(translateAzureError(network, inputs)).toBe(network);
    const cancelled = new CancelledError('SIGTERM');
    expect(translateAzureError(cancelled, inputs)).toBe(cancelled);
  });
});

describe('capRetryAfter', () => {
  const response = (headers: Record<string, string>) => {
    const map = new Map(Object.entries(headers));
    return {
      headers: {
        get: (name: string) => map.get(name),
        set: (name: string, value: string) => void map.set(name, value),
      },
      map,
    };
  };

  test.each([
    [{ 'retry-after': '86400' }, { 'retry-after': '60', 'retry-after-ms': '60000' }],
    [{ 'retry-after': '5' }, { 'retry-after': '5' }],
    [{ 'retry-after': 'Wed, 09 Dec 2026 00:00:00 GMT' }, { 'retry-after': '60', 'retry-after-ms': '60000' }],
    [{ 'retry-after-ms': '900000' }, { 'retry-after-ms': '60000' }],
    [{ 'x-ms-retry-after-ms': '1500' }, { 'x-ms-retry-after-ms': '1500' }],
    // Unreadable values are left for the SDK to ignore; they must not force the longest wait.
    [{ 'retry-after': 'soon' }, { 'retry-after': 'soon' }],
    [{ 'retry-after-ms': 'x' }, { 'retry-after-ms': 'x' }],
  ])('%j → %j', (headers, capped) => {
    const r = response(headers);
    capRetryAfter(r as never, 60_000, Date.parse('2026-12-07T00:00:00Z'));
    expect(Object.fromEntries(r.map)).toEqual(capped);
  });
});
