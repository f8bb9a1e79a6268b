import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  type DeployInfraDeps,
  type DeploymentSpec,
  type DeploymentsApi,
  run,
} from '../../src/deploy-infra/main.js';
import type { ArmErrorInfo, DeploymentResult, FailedOperation } from '../../src/deploy-infra/report.js';
import type { Json } from '../../src/deploy-infra/template.js';
import type { PropertyChange, WhatIfChange } from '../../src/deploy-infra/what-if.js';
import { runInProcess, type StepResult } from '../helpers/runner.js';

const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
const GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-app`;
const PASSWORD = 'Sup3r-s3cret-p@ss';
const FILE_PASSWORD = 'from-the-file-s3cret';

const TEMPLATE = {
  $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
  contentVersion: '1.0.0.0',
  parameters: {
    siteName: { type: 'string' },
    adminPassword: { type: 'securestring' },
    instances: { type: 'int', defaultValue: 1 },
    httpsOnly: { type: 'bool', defaultValue: true },
  },
  resources: [
    {
      type: 'Microsoft.Web/sites',
      apiVersion: '2023-12-01',
      name: 'web',
      properties: { httpsOnly: "[parameters('httpsOnly')]", instances: "[parameters('instances')]" },
    },
    {
      type: 'Microsoft.DBforPostgreSQL/flexibleServers',
      apiVersion: '2023-06-01-preview',
      name: 'db',
      properties: { administratorLoginPassword: "[parameters('adminPassword')]" },
    },
  ],
  outputs: {
    siteName: { type: 'string', value: "[parameters('siteName')]" },
    instances: { type: 'int', value: "[parameters('instances')]" },
    password: { type: 'securestring', value: "[parameters('adminPassword')]" },
  },
};

const workspace = mkdtempSync(join(tmpdir(), 'slotline-deploy-infra-'));
const outside = mkdtempSync(join(tmpdir(), 'slotline-deploy-infra-outside-'));
writeFileSync(join(workspace, 'main.json'), JSON.stringify(TEMPLATE));
writeFileSync(
  join(workspace, 'dev.json'),
  JSON.stringify({
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
    parameters: { siteName: { value: 'web' }, adminPassword: { value: FILE_PASSWORD } },
  }),
);
writeFileSync(join(workspace, 'not-a-template.json'), JSON.stringify({ hello: 'world' }));
writeFileSync(join(workspace, 'broken.json'), '{ "$schema": ');
writeFileSync(join(workspace, 'other.json'), JSON.stringify({ parameters: { sku: { value: 'B1' } } }));
writeFileSync(join(outside, 'main.json'), JSON.stringify(TEMPLATE));
symlinkSync(join(outside, 'main.json'), join(workspace, 'linked.json'));
afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

type Resource = { id: string; type: string; properties: Record<string, Json> };

/**
 * An in-process resource group with ARM's deployments API over it: validate checks that every parameter
 * without a default has a value; what-if compares the template's resources with the group's (Create,
 * Modify with its property changes, NoChange, and Ignore for resources the template does not name);
 * create applies them, unless a resource type is set to fail. Template expressions: parameters('x') only.
 */
class FakeResourceGroup implements DeploymentsApi {
  readonly resources = new Map<string, Resource>();
  readonly calls: string[] = [];
  readonly cancels: string[] = [];
  failType?: string;
  /** create waits for the abort signal (a deployment that outlives the timeout). */
  hang = false;
  /** ARM's messages echo what they got: a failure message with the property's value, as ARM sometimes does. */
  echoInFailure = false;

  constructor(existing: Resource[] = []) {
    for (const r of existing) this.resources.set(r.id.toLowerCase(), r);
  }

  private values(spec: DeploymentSpec): Record<string, Json> {
    const declared = (spec.template['parameters'] ?? {}) as Record<string, { defaultValue?: Json }>;
    const out: Record<string, Json> = {};
    for (const [name, p] of Object.entries(declared)) {
      const given = spec.parameters[name];
      if (given && 'value' in given) out[name] = given.value;
      else if (p.defaultValue !== undefined) out[name] = p.defaultValue;
    }
    return out;
  }

  private evaluate(value: Json, values: Record<string, Json>): Json {
    if (typeof value === 'string') {
      const m = /^\[parameters\('(\w+)'\)\]$/.exec(value);
      return m ? (values[m[1]!] ?? null) : value;
    }
    if (Array.isArray(value)) return value.map((v) => this.evaluate(v, values));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.evaluate(v, values)]));
    return value;
  }

  private planned(spec: DeploymentSpec): Resource[] {
    const values = this.values(spec);
    return (spec.template['resources'] as { type: string; name: string; properties: Json }[]).map((r) => ({
      id: `${GROUP}/providers/${r.type}/${r.name}`,
      type: r.type,
      properties: this.evaluate(r.properties, values) as Record<string, Json>,
    }));
  }

  async validate(spec: DeploymentSpec): Promise<ArmErrorInfo | undefined> {
    this.calls.push('validate');
    const values = this.values(spec);
    const missing = Object.keys(spec.template['parameters'] as object).filter((n) => !(n in values));
    if (missing.length === 0) return undefined;
    return {
      code: 'InvalidTemplate',
      message: `Deployment template validation failed: 'The value for the template parameter '${missing[0]}' at line '1' and column '1' is not provided.'`,
    };
  }

  async whatIf(spec: DeploymentSpec): Promise<WhatIfChange[]> {
    this.calls.push('whatIf');
    const planned = this.planned(spec);
    const changes: WhatIfChange[] = planned.map((r) => {
      const current = this.resources.get(r.id.toLowerCase());
      if (!current) return { resourceId: r.id, changeType: 'Create' };
      const delta: PropertyChange[] = Object.keys({ ...current.properties, ...r.properties })
        .filter((k) => JSON.stringify(current.properties[k]) !== JSON.stringify(r.properties[k]))
        .map((k) => ({
          path: `properties.${k}`,
          propertyChangeType: !(k in current.properties)
            ? 'Create'
            : !(k in r.properties)
              ? 'Delete'
              : 'Modify',
          before: current.properties[k],
          after: r.properties[k],
        }));
      return { resourceId: r.id, changeType: delta.length ? 'Modify' : 'NoChange', delta };
    });
    for (const r of this.resources.values())
      if (!planned.some((p) => p.id.toLowerCase() === r.id.toLowerCase()))
        changes.push({ resourceId: r.id, changeType: 'Ignore' });
    return changes;
  }

  async create(spec: DeploymentSpec, signal: AbortSignal): Promise<DeploymentResult> {
    this.calls.push('create');
    const id = `${GROUP}/providers/Microsoft.Resources/deployments/${spec.name}`;
    if (this.hang)
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    const planned = this.planned(spec);
    const failing = planned.find((r) => r.type === this.failType);
    if (failing)
      return {
        id,
        provisioningState: 'Failed',
        outputs: {},
        error: { code: 'DeploymentFailed', message: 'At least one resource deployment operation failed.' },
      };
    for (const r of planned) this.resources.set(r.id.toLowerCase(), r);
    const values = this.values(spec);
    const outputs = spec.template['outputs'] as Record<string, { type: string; value: Json }>;
    return {
      id,
      provisioningState: 'Succeeded',
      outputs: Object.fromEntries(
        Object.entries(outputs).map(([k, o]) => [k, { type: o.type, value: this.evaluate(o.value, values) }]),
      ),
    };
  }

  async failedOperations(_group: string, _name: string): Promise<FailedOperation[]> {
    this.calls.push('failedOperations');
    return [
      {
        resource: `${this.failType}/db`,
        statusCode: 'BadRequest',
        code: 'PasswordTooWeak',
        message: this.echoInFailure
          ? `The password '${PASSWORD}' does not meet the complexity requirements.`
          : 'The password does not meet the complexity requirements.',
      },
    ];
  }

  async cancel(group: string, name: string): Promise<void> {
    this.cancels.push(`${group}/${name}`);
  }
}

function deps(group: FakeResourceGroup, signals = new EventEmitter()): DeployInfraDeps {
  return { signals, connect: async () => group };
}

const BASE = {
  'subscription-id': SUBSCRIPTION,
  'resource-group': 'rg-app',
  template: 'main.json',
  parameters: 'dev.json',
};
const ENV = { GITHUB_WORKSPACE: workspace, GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' };

function step(
  group: FakeResourceGroup,
  inputs: Record<string, string>,
  signals?: EventEmitter,
): Promise<StepResult> {
  return runInProcess(() => run(process.env, deps(group, signals)), { ...BASE, ...inputs }, ENV);
}

const errorLine = (r: StepResult) => r.log.split('\n').find((l) => l.startsWith('::error::')) ?? '';

describe('deploy-infra against an in-process resource group', () => {
  test('a template ARM refuses: exit 1, nothing created, the reason in the error and the summary', async () => {
    const group = new FakeResourceGroup();
    const r = await step(group, { parameters: '' });
    expect(r.exitCode).toBe(1);
    expect(group.calls).toEqual(['validate']);
    expect(group.resources.size).toBe(0);
    expect(errorLine(r)).toContain(
      'deploy-infra: template main.json failed validation, nothing was deployed: InvalidTemplate:',
    );
    expect(errorLine(r)).toContain("'siteName'");
    expect(r.summary).toContain('**Validation failed**');
    expect(r.outputs['provisioning-state']).toBe('');
  });

  test('what-if with a change type fail-on-change-types forbids: exit 1, nothing created, the table', async () => {
    const group = new FakeResourceGroup([
      {
        id: `${GROUP}/providers/Microsoft.Web/sites/web`,
        type: 'Microsoft.Web/sites',
        properties: { httpsOnly: false, instances: 1 },
      },
      {
        id: `${GROUP}/providers/Microsoft.Storage/storageAccounts/old`,
        type: 'Microsoft.Storage/storageAccounts',
        properties: {},
      },
    ]);
    const r = await step(group, { 'fail-on-change-types': 'Delete, modify' });
    expect(r.exitCode).toBe(1);
    expect(group.calls).toEqual(['validate', 'whatIf']);
    expect(
      group.resources.get(`${GROUP}/providers/Microsoft.Web/sites/web`.toLowerCase())!.properties[
        'httpsOnly'
      ],
    ).toBe(false);
    expect(errorLine(r)).toBe(
      '::error::deploy-infra: what-if predicts 1 change(s) of a type fail-on-change-types forbids (Modify Microsoft.Web/sites/web); nothing was deployed',
    );
    expect(JSON.parse(r.outputs['changes']!)).toEqual({ Create: 1, Ignore: 1, Modify: 1 });
    expect(r.summary).toContain('| Microsoft.Web/sites/web | Modify | properties.httpsOnly: false → true |');
    expect(r.summary).toContain('| Microsoft.DBforPostgreSQL/flexibleServers/db | Create |');
    expect(r.summary).toContain('**Stopped before deploying**');
  });

  test('operation what-if stops after the what-if; validate after validation', async () => {
    const group = new FakeResourceGroup();
    const whatIf = await step(group, { operation: 'what-if' });
    expect([whatIf.exitCode, group.calls]).toEqual([0, ['validate', 'whatIf']]);
    expect(JSON.parse(whatIf.outputs['changes']!)).toEqual({ Create: 2 });
    expect(whatIf.outputs['deployment-id']).toBe('');
    const validateOnly = new FakeResourceGroup();
    const validate = await step(validateOnly, { operation: 'validate' });
    expect([validate.exitCode, validateOnly.calls, validate.outputs['changes']]).toEqual([
      0,
      ['validate'],
      '{}',
    ]);
    expect(group.resources.size + validateOnly.resources.size).toBe(0);
  });

  test('a deployment that fails: exit 1 with the failed operations, in the error and the summary', async () => {
    const group = new FakeResourceGroup();
    group.failType = 'Microsoft.DBforPostgreSQL/flexibleServers';
    const r = await step(group, {});
    expect(r.exitCode).toBe(1);
    expect(group.calls).toEqual(['validate', 'whatIf', 'create', 'failedOperations']);
    expect(errorLine(r)).toBe(
      '::error::deploy-infra: deployment main-4242-1 in resource group rg-app ended Failed (DeploymentFailed: At least one resource deployment operation failed.); failed operations: Microsoft.DBforPostgreSQL/flexibleServers/db: PasswordTooWeak: The password does not meet the complexity requirements.',
    );
    expect(r.outputs['provisioning-state']).toBe('Failed');
    expect(r.summary).toContain('#### Deployment: Failed');
    expect(r.summary).toContain(
      '| Microsoft.DBforPostgreSQL/flexibleServers/db | BadRequest | PasswordTooWeak: The password does not meet the complexity requirements. |',
    );
  });

  test('success: the outputs (secure ones left out), the id, the state and the counts', async () => {
    const group = new FakeResourceGroup();
    const r = await step(group, {
      'parameter-overrides': 'instances: 3\nsiteName: "web"',
      'deployment-name': 'infra-1',
    });
    expect(r.exitCode).toBe(0);
    expect(group.resources.size).toBe(2);
    expect(r.outputs).toMatchObject({
      'deployment-id': `${GROUP}/providers/Microsoft.Resources/deployments/infra-1`,
      'provisioning-state': 'Succeeded',
    });
    expect(JSON.parse(r.outputs['outputs']!)).toEqual({ siteName: 'web', instances: 3 });
    expect(JSON.parse(r.outputs['changes']!)).toEqual({ Create: 2 });
    // Deployed again: nothing to change.
    const again = await step(group, { 'parameter-overrides': 'instances: 3' });
    expect(JSON.parse(again.outputs['changes']!)).toEqual({ NoChange: 2 });
  });

  test('securestring values (file and override) are masked and never reach the log or the summary', async () => {
    const group = new FakeResourceGroup([
      {
        id: `${GROUP}/providers/Microsoft.DBforPostgreSQL/flexibleServers/db`,
        type: 'Microsoft.DBforPostgreSQL/flexibleServers',
        properties: { administratorLoginPassword: FILE_PASSWORD },
      },
    ]);
    // What-if shows the password property changing; the failure message echoes the new password.
    group.failType = 'Microsoft.DBforPostgreSQL/flexibleServers';
    group.echoInFailure = true;
    const r = await step(group, { 'parameter-overrides': `adminPassword: ${PASSWORD}` });
    expect(r.exitCode).toBe(1);
    expect(r.masked).toEqual(expect.arrayContaining([PASSWORD]));
    expect(r.summary).toContain('properties.administratorLoginPassword: "***" → "***"');
    expect(r.summary).toContain("The password '***' does not meet");
    for (const text of [r.summary, ...Object.values(r.outputs)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(FILE_PASSWORD);
    }
    // The log's own lines: the runner masks registered values, and the step's lines never hold them.
    expect(r.log).not.toContain(FILE_PASSWORD);
    expect(r.log).not.toContain(PASSWORD);
    expect(errorLine(r)).toContain(
      "failed operations: Microsoft.DBforPostgreSQL/flexibleServers/db: PasswordTooWeak: The password '***'",
    );
    // A securestring override of the wrong type is refused without its value.
    const wrong = await step(new FakeResourceGroup(), {
      'parameter-overrides': `adminPassword: [${PASSWORD}]`,
    });
    expect(errorLine(wrong)).toBe(
      '::error::deploy-infra: Input "parameter-overrides" parameter "adminPassword" must be a string: the template declares it securestring (value hidden).',
    );
  });

  test('the timeout: exit 1 naming the deployment, and that ARM may still be deploying', async () => {
    const group = new FakeResourceGroup();
    group.hang = true;
    const started = Date.now();
    const r = await step(group, { timeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(errorLine(r)).toBe(
      "::error::deploy-infra: deployment main-4242-1 in resource group rg-app did not finish within the timeout of 1s; ARM may still be deploying it (see the resource group's Deployments: main-4242-1)",
    );
    expect(group.cancels).toEqual([]);
  });

  test('SIGTERM while ARM deploys: the deployment is cancelled, and the error says so', async () => {
    const group = new FakeResourceGroup();
    group.hang = true;
    const signals = new EventEmitter();
    const original = group.create.bind(group);
    group.create = (spec, signal) => {
      setImmediate(() => signals.emit('SIGTERM', 'SIGTERM'));
      return original(spec, signal);
    };
    const r = await step(group, {}, signals);
    expect(r.exitCode).toBe(1);
    expect(group.cancels).toEqual(['rg-app/main-4242-1']);
    expect(errorLine(r)).toBe(
      '::error::deploy-infra: cancelled by SIGTERM during deployment main-4242-1 in resource group rg-app: ARM accepted the request to cancel it, and may still be deploying until it stops',
    );
  });
});

describe('deploy-infra inputs', () => {
  test.each([
    [
      { 'parameter-overrides': 'nope: 1' },
      'Input "parameter-overrides" names parameter "nope", which the template does not declare (it declares siteName, adminPassword, instances, httpsOnly).',
    ],
    [
      { 'parameter-overrides': 'instances: many' },
      'Input "parameter-overrides" parameter "instances" must be a whole number: the template declares it int.',
    ],
    [
      { 'parameter-overrides': '- a' },
      'Input "parameter-overrides" must be a mapping of template parameter names to values.',
    ],
    [
      { template: '../main.json' },
      'Input "template" must be the path of a JSON file inside the workspace (GITHUB_WORKSPACE), got "../main.json".',
    ],
    [
      { template: join(outside, 'main.json') },
      'Input "template" must be the path of a JSON file inside the workspace (GITHUB_WORKSPACE), got',
    ],
    [
      { template: 'linked.json' },
      'Input "template" must be the path of a JSON file inside the workspace (GITHUB_WORKSPACE); it links outside the workspace, got "linked.json".',
    ],
    [
      { template: 'missing.json' },
      'Input "template" must be the path of a JSON file inside the workspace (GITHUB_WORKSPACE); it does not exist, got "missing.json".',
    ],
    [
      { template: 'not-a-template.json' },
      'Input "template" must be an ARM JSON template (with $schema and resources); it has no $schema, got "not-a-template.json".',
    ],
    [{ template: 'broken.json' }, 'Input "template" must be a JSON file; "broken.json" is not:'],
    [
      { parameters: 'other.json' },
      'Input "parameters" sets parameter "sku", which the template does not declare',
    ],
    [
      { parameters: 'main.json' },
      'Input "parameters" must be a deploymentParameters JSON file; its parameter "siteName" has neither a value nor a Key Vault reference, got "main.json".',
    ],
    [{ 'deployment-name': 'a/b' }, 'Input "deployment-name" must be a deployment name'],
    [
      { 'fail-on-change-types': 'Delete, Destroy' },
      'Input "fail-on-change-types" must be a list of Create, Delete, Ignore, Deploy, NoChange, Modify, Unsupported, got "Destroy".',
    ],
  ])('%p is refused in one line naming the input', async (inputs, message) => {
    const group = new FakeResourceGroup();
    const r = await step(group, inputs);
    expect(r.exitCode).toBe(1);
    expect(group.calls).toEqual([]);
    expect(errorLine(r)).toContain(`::error::deploy-infra: ${message}`);
  });
});
