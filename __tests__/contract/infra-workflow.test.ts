import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/runner.js';

/**
 * The infrastructure workflow of issue 16 (.github/workflows/infra.yml) and its starter (workflows/infra.yml):
 * what-if without an environment (pull requests, and what reviewers read), deploy in the environment.
 * __tests__/integration/infra-workflow.test.ts runs it against the sandbox.
 */

interface Step {
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, string>;
  environment?: string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  permissions?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, Record<string, Record<string, { required?: boolean; default?: unknown }>> | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const text = read('.github/workflows/infra.yml');
const infra = parse(text) as Workflow;
const deployInfra = (job: Job) => job.steps!.find((s) => /\/actions\/deploy-infra@/.test(s.uses ?? ''))!;
const deployInfraSteps = (job: Job) =>
  job.steps!.filter((s) => /\/actions\/deploy-infra@/.test(s.uses ?? ''));
const templateOf = (path: string) =>
  JSON.parse(read(path)) as {
    parameters: Record<string, { type: string }>;
    outputs: Record<string, unknown>;
  };
/** operations.json's resource id parameters: the ones infra.yml fills from main.json's outputs. */
const operationsIds = Object.keys(templateOf('infra/operations.json').parameters).filter((name) =>
  name.endsWith('ResourceId'),
);

describe('.github/workflows/infra.yml', () => {
  test('is only a reusable workflow; its one secret is the secure parameters, optional', () => {
    expect(Object.keys(infra.on)).toEqual(['workflow_call']);
    const call = infra.on['workflow_call']!;
    expect(Object.keys(call['secrets']!)).toEqual([
      'secure-parameter-overrides',
      'operations-secure-parameter-overrides',
    ]);
    expect(call['secrets']!['secure-parameter-overrides']!.required).toBe(false);
    expect(call['secrets']!['operations-secure-parameter-overrides']!.required).toBe(false);
    // Each secret goes to its own template's deploy-infra steps only.
    expect([...text.matchAll(/secrets\.([\w-]+)/g)].map((m) => m[1])).toEqual([
      'secure-parameter-overrides',
      'secure-parameter-overrides',
      'operations-secure-parameter-overrides',
    ]);
    expect(text).not.toMatch(/client-secret/);
    expect(infra.permissions).toEqual({ contents: 'read' });
  });

  test('what-if runs without an environment; deploy needs it, runs only for deploy, in the environment', () => {
    const whatIf = infra.jobs['what-if']!;
    const deploy = infra.jobs['deploy']!;
    expect(Object.keys(infra.jobs)).toEqual(['what-if', 'deploy']);
    expect(whatIf.environment).toBeUndefined();
    expect(deployInfra(whatIf).with!['operation']).toBe('what-if');
    expect(deploy.needs).toBe('what-if');
    expect(deploy.if).toBe("inputs.operation == 'deploy'");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
    expect(deploy.environment).toBe('${{ inputs.environment }}');
    expect(deployInfra(deploy).with!['operation']).toBe('deploy');
    for (const job of [whatIf, deploy]) {
      expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      expect(job.concurrency!['cancel-in-progress']).toBe(false);
    }
  });

  test('the deploy job deploys the operations template after the main one, only when it is given', () => {
    const steps = deployInfraSteps(infra.jobs['deploy']!);
    expect(steps.map((s) => s.id)).toEqual(['deploy', 'operations']);
    expect(steps[1]!.if).toBe("inputs.operations-template != ''");
    // The what-if job has no deployment outputs to take the ids from: it what-ifs the main template only.
    expect(deployInfraSteps(infra.jobs['what-if']!)).toHaveLength(1);
    const inputs = infra.on['workflow_call']!['inputs']!;
    expect(inputs['operations-template']!.default).toBe('');
    expect(inputs['operations-parameters']!.default).toBe('');
    const w = steps[1]!.with!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
    expect(w['template']).toBe('${{ inputs.operations-template }}');
    expect(w['parameters']).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
      "${{ inputs.operations-parameters || format('infra/parameters/operations/{0}.json', inputs.environment) }}",
    );
    expect(w['deployment-name']).not.toBe(steps[0]!.with!['deployment-name']);
  });

  test("both deploy steps send the same guard, timeout and identity; the deploy job's timeout allows for both", () => {
    const [main, operations] = deployInfraSteps(infra.jobs['deploy']!);
    const same = [
      'operation',
      'resource-group',
      'fail-on-change-types',
      'timeout',
      'subscription-id',
      'tenant-id',
      'client-id',
      'arm-endpoint',
      'authority-host',
    ];
    const pick = (step: Step) => Object.fromEntries(same.map((k) => [k, step.with![k]]));
    expect(pick(operations!)).toEqual(pick(main!));
    expect(Object.keys(operations!.with!).sort()).toEqual(Object.keys(main!.with!).sort());
    // Two steps of up to the timeout input's 60 minutes each, plus checkout and summary.
    expect(infra.on['workflow_call']!['inputs']!['timeout']!.default).toBe('60m');
    expect(
      (infra.jobs['deploy'] as { 'timeout-minutes'?: number })['timeout-minutes'],
    ).toBeGreaterThanOrEqual(2 * 60 + 2);
  });

  test("the operations step's overrides are exactly operations.json's id parameters, each a main.json output", () => {
    const overrides = String(deployInfraSteps(infra.jobs['deploy']!)[1]!.with!['parameter-overrides']);
    const lines = overrides.trim().split('\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
    expect(lines.at(-1)).toBe('${{ secrets.operations-secure-parameter-overrides }}');
    const named = lines.slice(0, -1).map((line) => {
      const m = /^(\w+): \$\{\{ toJSON\(fromJSON\(steps\.deploy\.outputs\.outputs\)\.(\w+)\) \}\}$/.exec(
        line,
      );
      expect([line, m?.[1] === m?.[2]]).toEqual([line, true]);
      return m![1]!;
    });
    expect(operationsIds).toHaveLength(9);
    expect(named.sort()).toEqual([...operationsIds].sort());
    const outputs = templateOf('infra/main.json').outputs;
    for (const name of named) expect([name, name in outputs]).toEqual([name, true]);
  });

  test('both jobs send deploy-infra the same template, parameters, overrides, guard and identity', () => {
    const strip = (job: Job) => {
      const { operation: _o, 'deployment-name': _d, ...rest } = deployInfra(job).with!;
      return rest;
    };
    expect(strip(infra.jobs['deploy']!)).toEqual(strip(infra.jobs['what-if']!));
    // No guard by default: deploy-infra deploys in Incremental mode, where what-if never shows Delete (a
    // resource removed from the template is Ignore), so a Delete default would promise what it cannot do.
    // __tests__/integration/infra-workflow.test.ts shows the removed resource staying.
    expect(infra.on['workflow_call']!['inputs']!['fail-on-change-types']!.default).toBe('');
  });
});

describe('the starter workflows/infra.yml', () => {
  const starter = parse(read('workflows/infra.yml')) as Workflow;

  test('what-if on pull requests that change infra/, deploy on pushes to main', () => {
    expect(Object.keys(starter.on)).toEqual(['pull_request', 'push']);
    expect(starter.on['pull_request']).toEqual({ paths: ['infra/**'] });
    expect(starter.on['push']).toEqual({ branches: ['main'], paths: ['infra/**'] });
    for (const job of Object.values(starter.jobs)) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
      expect(job.with!['operation']).toBe("${{ github.event_name == 'push' && 'deploy' || 'what-if' }}");
    }
  });

  test('promotes dev, staging, production in turn, each with its parameter file', () => {
    expect(Object.keys(starter.jobs)).toEqual(['dev', 'staging', 'production']);
    expect(starter.jobs['staging']!.needs).toBe('dev');
    expect(starter.jobs['production']!.needs).toBe('staging');
    for (const [id, job] of Object.entries(starter.jobs)) {
      expect(job.uses).toBe('slotline/slotline/.github/workflows/infra.yml@v1');
      expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      const file = String(job.with!['parameters'] ?? `infra/parameters/${job.with!['environment']}.json`);
      expect([id, file]).toEqual([id, `infra/parameters/${id === 'production' ? 'prod' : id}.json`]);
      expect(() => read(file)).not.toThrow();
    }
  });

  test('each environment also deploys operations.json with its operations parameter file', () => {
    for (const [id, job] of Object.entries(starter.jobs)) {
      expect(job.with!['operations-template']).toBe('infra/operations.json');
      const file = String(
        job.with!['operations-parameters'] ?? `infra/parameters/operations/${job.with!['environment']}.json`,
      );
      expect([id, file]).toEqual([
        id,
        `infra/parameters/operations/${id === 'production' ? 'prod' : id}.json`,
      ]);
      expect(() => read(file)).not.toThrow();
    }
    // Production's PagerDuty URL is a secret; dev and staging page nobody.
    expect(starter.jobs['production']!.secrets!['operations-secure-parameter-overrides']).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, compared as written.
      '${{ secrets.INFRA_PROD_OPERATIONS_SECURE_PARAMETERS }}',
    );
  });

  test('skips pull requests from forks, which get no OIDC token', () => {
    expect(starter.jobs['dev']!.if).toBe(
      "github.event_name == 'push' || github.event.pull_request.head.repo.full_name == github.repository",
    );
  });
});
