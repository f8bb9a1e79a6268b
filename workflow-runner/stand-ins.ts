// Local stand-ins for third-party actions (README "Stand-ins"). Each says how it differs from the real one;
// any other third-party action is refused.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export interface StandInContext {
  inputs: Record<string, string>;
  /** The step's environment as a process would see it (job env, GITHUB_ENV, step env, OIDC variables). */
  env: Record<string, string>;
  workspace: string;
  /** Where this run keeps artifacts and uploaded SARIF (under RUNNER_TEMP). */
  store: string;
  print: (line: string) => void;
}

export interface StandIn {
  /** How it differs from the real action, printed when it runs and listed in the README. */
  differs: string;
  /** The inputs it reads; others are reported as having no effect. */
  inputs: string[];
  run: (ctx: StandInContext) => Promise<{ outputs: Record<string, string> }>;
}

const paths = (value: string | undefined) =>
  (value ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

export const STAND_INS: Record<string, StandIn> = {
  'actions/checkout': {
    differs: 'no clone or fetch: the workspace already is the work tree, with its uncommitted changes',
    inputs: ['persist-credentials', 'fetch-depth'],
    run: async ({ workspace, print }) => {
      print(`workspace is the work tree ${workspace}`);
      return { outputs: {} };
    },
  },
  'actions/upload-artifact': {
    differs: 'copies the files into the run folder (artifacts/<name>); no wildcards, zip or retention',
    inputs: ['name', 'path', 'if-no-files-found', 'retention-days', 'overwrite'],
    run: async ({ inputs, workspace, store, print }) => {
      const name = inputs.name || 'artifact';
      const target = join(store, 'artifacts', name);
      if (existsSync(target) && inputs.overwrite !== 'true')
        throw new Error(`an artifact named ${name} already exists in this run`);
      const sources = paths(inputs.path);
      if (sources.some((p) => /[*?[]/.test(p)))
        throw new Error('wildcards in path are not supported by the stand-in');
      const found = sources.map((p) => resolve(workspace, p)).filter(existsSync);
      if (found.length === 0) {
        const message = `no files were found with the provided path: ${sources.join(', ')}`;
        if (inputs['if-no-files-found'] === 'error') throw new Error(message);
        print(`${inputs['if-no-files-found'] === 'ignore' ? 'note' : 'warning'}: ${message}`);
        return { outputs: {} as Record<string, string> };
      }
      mkdirSync(target, { recursive: true });
      for (const source of found) cpSync(source, join(target, basename(source)), { recursive: true });
      print(`artifact ${name}: ${found.length} path(s) → ${target}`);
      return { outputs: { 'artifact-id': name, 'artifact-url': `file://${target}` } };
    },
  },
  'actions/download-artifact': {
    differs: 'copies from the run folder; only artifacts uploaded earlier in the same invocation exist',
    inputs: ['name', 'path'],
    run: async ({ inputs, workspace, store, print }) => {
      const root = join(store, 'artifacts');
      const destination = resolve(workspace, inputs.path || '.');
      const names = inputs.name ? [inputs.name] : existsSync(root) ? readdirSync(root) : [];
      for (const name of names) {
        const source = join(root, name);
        if (!existsSync(source)) throw new Error(`artifact ${name} not found in this run`);
        // One named artifact is extracted into path itself; all artifacts go to path/<name>.
        cpSync(source, inputs.name ? destination : join(destination, name), { recursive: true });
        print(`artifact ${name} → ${destination}`);
      }
      return { outputs: { 'download-path': destination } };
    },
  },
  'github/codeql-action/upload-sarif': {
    differs:
      'checks the SARIF (JSON with a runs array) and keeps a copy in the run folder; nothing is sent to code scanning',
    inputs: ['sarif_file', 'category', 'wait-for-processing', 'token'],
    run: async ({ inputs, workspace, store, print }) => {
      const file = resolve(workspace, inputs.sarif_file || '../results');
      if (!existsSync(file)) throw new Error(`SARIF file ${inputs.sarif_file} not found`);
      const sarif = JSON.parse(readFileSync(file, 'utf8')) as { runs?: { results?: unknown[] }[] };
      if (!Array.isArray(sarif.runs)) throw new Error(`${inputs.sarif_file} is not SARIF: no runs array`);
      const results = sarif.runs.reduce((n, run) => n + (run.results?.length ?? 0), 0);
      const target = join(store, 'sarif');
      mkdirSync(target, { recursive: true });
      cpSync(file, join(target, `${inputs.category?.replace(/\W+/g, '_') || 'default'}.sarif`));
      print(
        `SARIF ${inputs.sarif_file}: ${sarif.runs.length} run(s), ${results} result(s), kept in ${target}`,
      );
      return { outputs: { 'sarif-id': 'local' } };
    },
  },
  'azure/login': {
    differs:
      'checks client-id, tenant-id, subscription-id and that the job may request an OIDC token; no Azure CLI session (slotline actions sign in themselves)',
    inputs: [
      'client-id',
      'tenant-id',
      'subscription-id',
      'allow-no-subscriptions',
      'audience',
      'enable-AzPSSession',
    ],
    run: async ({ inputs, env, print }) => {
      for (const name of ['client-id', 'tenant-id'])
        if (!inputs[name]) throw new Error(`azure/login: input ${name} is empty`);
      if (!inputs['subscription-id'] && inputs['allow-no-subscriptions'] !== 'true')
        throw new Error('azure/login: input subscription-id is empty (or set allow-no-subscriptions: true)');
      if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
        throw new Error(
          'azure/login: the job cannot request an OIDC token: give it permissions id-token: write (and run with --connection)',
        );
      print(
        `OIDC login for client ${inputs['client-id']} in tenant ${inputs['tenant-id']} would be requested`,
      );
      return { outputs: {} };
    },
  },
};
