// deploy-infra's deployments calls (src/deploy-infra/default-deps.ts) through the real ArmClient against a
// TLS server that answers as ARM's deployments API does (api-version 2024-03-01): validate (400 with inner
// errors, or 202 and Location), what-if (202 and Location), create (201 and Azure-AsyncOperation, polled
// to Succeeded or Failed), the operations list over two pages, and cancel.
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { DEPLOYMENTS_API_VERSION, deploymentsApi } from '../../src/deploy-infra/default-deps.js';
import type { DeploymentSpec } from '../../src/deploy-infra/main.js';
import { ArmClient } from '../../src/lib/azure/arm.js';
import { selfSignedCert } from '../helpers/tls.js';

const SUB = '0b0e7f5e-4a44-4c8e-9b5e-6a1c2d3e4f50';
const DEPLOYMENTS = `/subscriptions/${SUB}/resourcegroups/rg-app/providers/Microsoft.Resources/deployments`;

const cert = selfSignedCert();
const defaultCAs = tls.getCACertificates('default');
const closers: (() => Promise<void>)[] = [];
beforeAll(() => tls.setDefaultCACertificates([...defaultCAs, cert.cert]));
afterAll(() => tls.setDefaultCACertificates(defaultCAs));
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Seen {
  method: string;
  path: string;
  apiVersion: string | null;
  body?: { properties?: Record<string, unknown> };
}

/** A deployments API: `fail` makes the create end Failed, and a parameter named `missing` fails validation. */
async function fakeArm(opts: { fail?: boolean } = {}) {
  const seen: Seen[] = [];
  let base = '';
  let polls = 0;
  const server: Server = createHttpsServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const body = raw ? JSON.parse(raw) : undefined;
      seen.push({
        method: req.method ?? '',
        path: url.pathname,
        apiVersion: url.searchParams.get('api-version'),
        body,
      });
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
        void res
          .writeHead(status, { 'content-type': 'application/json', ...headers })
          .end(JSON.stringify(value));
      const path = url.pathname;
      const poll = (name: string) => ({
        location: `${base}${DEPLOYMENTS}/x/operationResults/${name}?api-version=2024-03-01`,
        'retry-after': '0',
      });
      if (req.method === 'POST' && path === `${DEPLOYMENTS}/web-1/validate`) {
        if (body?.properties?.parameters?.missing)
          return json(400, {
            error: {
              code: 'InvalidTemplateDeployment',
              message: "The template deployment 'web-1' is not valid according to the validation procedure.",
              details: [
                {
                  code: 'InvalidTemplate',
                  message: "The value for the template parameter 'siteName' is not provided.",
                },
              ],
            },
          });
        return json(202, '', poll('validate'));
      }
      if (req.method === 'GET' && path.endsWith('/operationResults/validate'))
        return json(200, { id: `${DEPLOYMENTS}/web-1`, properties: { provisioningState: 'Succeeded' } });
      if (req.method === 'POST' && path === `${DEPLOYMENTS}/web-1/whatIf`)
        return json(202, '', poll('whatif'));
      if (req.method === 'GET' && path.endsWith('/operationResults/whatif')) {
        polls += 1;
        if (polls < 2) return json(202, '', poll('whatif'));
        return json(200, {
          status: 'Succeeded',
          properties: {
            changes: [
              {
                resourceId: `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Web/sites/web`,
                changeType: 'Modify',
                delta: [
                  { path: 'properties.httpsOnly', propertyChangeType: 'Modify', before: false, after: true },
                ],
              },
            ],
          },
        });
      }
      if (req.method === 'PUT' && path === `${DEPLOYMENTS}/web-1`)
        return json(
          201,
          { id: `${DEPLOYMENTS}/web-1`, properties: { provisioningState: 'Accepted' } },
          {
            'azure-asyncoperation': `${base}${DEPLOYMENTS}/web-1/operationStatuses/op1?api-version=2024-03-01`,
            'retry-after': '0',
          },
        );
      if (req.method === 'GET' && path === `${DEPLOYMENTS}/web-1/operationStatuses/op1`)
        return json(
          200,
          opts.fail
            ? {
                status: 'Failed',
                error: {
                  code: 'DeploymentFailed',
                  message: 'At least one resource deployment operation failed.',
                },
              }
            : { status: 'Succeeded' },
        );
      if (req.method === 'GET' && path === `${DEPLOYMENTS}/web-1`)
        return json(200, {
          id: `${DEPLOYMENTS}/web-1`,
          properties: opts.fail
            ? {
                provisioningState: 'Failed',
                error: {
                  code: 'DeploymentFailed',
                  message: 'At least one resource deployment operation failed.',
                  details: [{ code: 'Conflict', message: 'Website with given name web already exists.' }],
                },
              }
            : { provisioningState: 'Succeeded', outputs: { siteName: { type: 'String', value: 'web' } } },
        });
      if (req.method === 'GET' && path === `${DEPLOYMENTS}/web-1/operations`) {
        const page2 = url.searchParams.get('$skiptoken') === '2';
        return json(200, {
          value: page2
            ? [
                {
                  operationId: 'B',
                  properties: {
                    provisioningState: 'Failed',
                    statusCode: 'Conflict',
                    statusMessage: {
                      status: 'Failed',
                      error: { code: 'Conflict', message: 'Website with given name web already exists.' },
                    },
                    targetResource: {
                      id: `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Web/sites/web`,
                      resourceType: 'Microsoft.Web/sites',
                      resourceName: 'web',
                    },
                  },
                },
              ]
            : [
                {
                  operationId: 'A',
                  properties: {
                    provisioningState: 'Succeeded',
                    statusCode: 'OK',
                    targetResource: { resourceType: 'Microsoft.Web/serverfarms', resourceName: 'plan' },
                  },
                },
              ],
          ...(page2
            ? {}
            : { nextLink: `${base}${DEPLOYMENTS}/web-1/operations?api-version=2024-03-01&$skiptoken=2` }),
        });
      }
      if (req.method === 'POST' && path === `${DEPLOYMENTS}/web-1/cancel`)
        return void res.writeHead(204).end();
      json(404, { error: { code: 'NotFound', message: `${req.method} ${path}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const arm = await ArmClient.create({
    credential: {
      getToken: async () => ({ token: 'arm-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
    },
    inputs: {
      armEndpoint: base,
      subscriptionId: SUB,
      authorityHost: 'https://login.example.test',
      credentialKind: 'client-secret',
    },
    pollIntervalMs: 10,
    retryDelayInMs: 10,
  });
  return { api: deploymentsApi(arm), seen };
}

const spec = (parameters: DeploymentSpec['parameters'] = {}): DeploymentSpec => ({
  resourceGroup: 'rg-app',
  name: 'web-1',
  template: {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    resources: [],
  },
  parameters,
});
const signal = () => AbortSignal.timeout(10_000);

test('validate: a 400 is the template error with its inner errors; a 202 is polled to a pass', async () => {
  const { api, seen } = await fakeArm();
  expect(await api.validate(spec({ missing: { value: 1 } }), signal())).toEqual({
    code: 'InvalidTemplateDeployment',
    message: "The template deployment 'web-1' is not valid according to the validation procedure.",
    details: [
      {
        code: 'InvalidTemplate',
        message: "The value for the template parameter 'siteName' is not provided.",
      },
    ],
  });
  expect(await api.validate(spec({ siteName: { value: 'web' } }), signal())).toBeUndefined();
  expect(seen[0]).toMatchObject({
    method: 'POST',
    apiVersion: DEPLOYMENTS_API_VERSION,
    body: { properties: { mode: 'Incremental', parameters: { missing: { value: 1 } } } },
  });
});

test('what-if: asks for full payloads and returns the changes once the operation is done', async () => {
  const { api, seen } = await fakeArm();
  const changes = await api.whatIf(spec(), signal());
  expect(changes.map((c) => c.changeType)).toEqual(['Modify']);
  expect(seen[0]!.body!.properties!['whatIfSettings']).toEqual({ resultFormat: 'FullResourcePayloads' });
  expect(seen.filter((s) => s.path.endsWith('/operationResults/whatif'))).toHaveLength(2);
});

test('create: polled through Azure-AsyncOperation to Succeeded, with the outputs', async () => {
  const { api, seen } = await fakeArm();
  expect(await api.create(spec(), signal())).toEqual({
    id: `${DEPLOYMENTS}/web-1`,
    provisioningState: 'Succeeded',
    outputs: { siteName: { type: 'String', value: 'web' } },
  });
  expect(seen.map((s) => `${s.method} ${s.path.replace(DEPLOYMENTS, '')}`)).toEqual([
    'PUT /web-1',
    'GET /web-1/operationStatuses/op1',
    'GET /web-1',
  ]);
});

test('create that ends Failed: the deployment error with details; the failed operations over every page; cancel', async () => {
  const { api, seen } = await fakeArm({ fail: true });
  expect(await api.create(spec(), signal())).toEqual({
    id: `${DEPLOYMENTS}/web-1`,
    provisioningState: 'Failed',
    outputs: {},
    error: {
      code: 'DeploymentFailed',
      message: 'At least one resource deployment operation failed.',
      details: [{ code: 'Conflict', message: 'Website with given name web already exists.' }],
    },
  });
  expect(await api.failedOperations('rg-app', 'web-1', signal())).toEqual([
    {
      resource: 'Microsoft.Web/sites/web',
      statusCode: 'Conflict',
      code: 'Conflict',
      message: 'Website with given name web already exists.',
    },
  ]);
  await api.cancel('rg-app', 'web-1', signal());
  expect(seen.at(-1)).toMatchObject({
    method: 'POST',
    path: `${DEPLOYMENTS}/web-1/cancel`,
    apiVersion: DEPLOYMENTS_API_VERSION,
  });
});
