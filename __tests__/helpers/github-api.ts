import type { IncomingMessage, ServerResponse } from 'node:http';
import { type JsonSchema, validateAgainstSchema } from '../../src/lib/schema.js';
import { type StartedServer, startServer } from './servers.js';

// A local stand-in for the GitHub REST routes deploy-slot's github-token uses, on 127.0.0.1. Request
// bodies are checked against schemas written from GitHub's documentation:
// - Create a deployment, list deployments:
//   https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
//   https://docs.github.com/en/rest/deployments/deployments#list-deployments
// - Create a deployment status:
//   https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status
// The schemas refuse unknown fields (GitHub ignores them): a misspelt field is then a failed test, not a
// silently missing environment URL.

/** "Create a deployment" body parameters (ref required; description and payload as documented). */
export const CREATE_DEPLOYMENT_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['ref'],
  additionalProperties: false,
  properties: {
    ref: { type: 'string', minLength: 1 },
    task: { type: 'string' },
    auto_merge: { type: 'boolean' },
    required_contexts: { type: 'array', items: { type: 'string' } },
    payload: { oneOf: [{ type: 'object', additionalProperties: true }, { type: 'string' }] },
    environment: { type: 'string', minLength: 1 },
    description: { type: ['string', 'null'], maxLength: 140 },
    transient_environment: { type: 'boolean' },
    production_environment: { type: 'boolean' },
  },
};

/** "Create a deployment status" body parameters (state required, one of the seven documented). */
export const CREATE_STATUS_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['state'],
  additionalProperties: false,
  properties: {
    state: {
      enum: ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'],
    },
    target_url: { type: 'string' },
    log_url: { type: 'string', pattern: '^https?://' },
    // "The maximum description length is 140 characters."
    description: { type: 'string', maxLength: 140 },
    environment: { type: 'string' },
    environment_url: { type: 'string', pattern: '^https?://' },
    auto_inactive: { type: 'boolean' },
  },
};

export interface GitHubCall {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

interface Deployment {
  id: number;
  ref: string;
  environment: string;
  payload: unknown;
  statuses: { state: string; environment_url?: string; description?: string }[];
}

export interface FakeGitHub extends StartedServer {
  calls: GitHubCall[];
  deployments: Deployment[];
  /** Schema problems of the bodies received, `POST /path: problem`; empty when every body was valid. */
  invalid: string[];
  /** Answer every call whose `METHOD /path` matches with `status` (and `message`), or never. */
  fail(match: RegExp, answer: { status: number; message?: string } | 'hang'): void;
  /** Forget the calls, deployments, problems and faults. */
  reset(): void;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** The stand-in for `owner/repo`, accepting `token` (as Octokit sends it: `authorization: token …`). */
export async function startFakeGitHub(owner: string, repo: string, token: string): Promise<FakeGitHub> {
  const calls: GitHubCall[] = [];
  const deployments: Deployment[] = [];
  const invalid: string[] = [];
  const faults: { match: RegExp; answer: { status: number; message?: string } | 'hang' }[] = [];
  const base = `/repos/${owner}/${repo}/deployments`;

  const server = await startServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const text = await readBody(req);
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    const method = req.method ?? 'GET';
    calls.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
      body,
    });
    const key = `${method} ${url.pathname}`;
    const fault = faults.find((f) => f.match.test(key));
    if (fault) {
      if (fault.answer === 'hang') return; // never answers: the client's timeout must end the call
      send(res, fault.answer.status, { message: fault.answer.message ?? 'Server Error' });
      return;
    }
    if (req.headers.authorization !== `token ${token}`) {
      send(res, 401, { message: 'Bad credentials' });
      return;
    }
    const check = async (schema: JsonSchema) => {
      const problem = await validateAgainstSchema(schema, body);
      if (problem) invalid.push(`${key}: ${problem}`);
      return problem;
    };
    if (method === 'POST' && url.pathname === base) {
      const problem = await check(CREATE_DEPLOYMENT_SCHEMA);
      if (problem) return send(res, 422, { message: `Validation Failed: ${problem}` });
      const b = body as { ref: string; environment?: string; payload?: unknown };
      const deployment: Deployment = {
        id: 1000 + deployments.length + 1,
        ref: b.ref,
        environment: b.environment ?? 'production',
        payload: b.payload ?? {},
        statuses: [],
      };
      deployments.push(deployment);
      return send(res, 201, {
        id: deployment.id,
        ref: deployment.ref,
        environment: deployment.environment,
        payload: deployment.payload,
      });
    }
    if (method === 'GET' && url.pathname === base) {
      const environment = url.searchParams.get('environment');
      const listed = deployments
        .filter((d) => environment === null || d.environment === environment)
        .reverse()
        .map(({ id, ref, environment: env, payload }) => ({ id, ref, environment: env, payload }));
      return send(res, 200, listed);
    }
    const statuses = new RegExp(`^${base}/(\\d+)/statuses$`).exec(url.pathname);
    if (method === 'POST' && statuses) {
      const deployment = deployments.find((d) => d.id === Number(statuses[1]));
      if (!deployment) return send(res, 404, { message: 'Not Found' });
      const problem = await check(CREATE_STATUS_SCHEMA);
      if (problem) return send(res, 422, { message: `Validation Failed: ${problem}` });
      const status = body as Deployment['statuses'][number];
      deployment.statuses.push(status);
      return send(res, 201, { id: deployment.statuses.length, state: status.state });
    }
    send(res, 404, { message: 'Not Found' });
  });
  return {
    ...server,
    calls,
    deployments,
    invalid,
    fail: (match, answer) => {
      faults.push({ match, answer });
    },
    reset: () => {
      for (const list of [calls, deployments, invalid, faults]) list.length = 0;
    },
  };
}
