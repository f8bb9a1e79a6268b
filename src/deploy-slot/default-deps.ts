import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { ArmClient } from '../lib/azure/arm.js';
import { createAzureCredential } from '../lib/azure/credential.js';
import { systemClock } from '../lib/backoff.js';
import { throwIfCancelled, untilAborted } from '../lib/cancellation.js';
import { errorMessage } from '../lib/errors.js';
import { createHttpAgent, httpRequest } from '../lib/http.js';
import type { ActionDeps, TimeSpent } from './deps.js';
import { gitHubRunFrom } from './github-deployment.js';
import { armPlatform, timed } from './platform.js';

/** The real dependencies: the process's signals, timers, ARM over the shared client, probes over HTTP. */
export function defaultDeps(): ActionDeps {
  const spent: TimeSpent = { azure: { ms: 0 }, probes: 0, waits: 0 };
  return {
    signals: process,
    spent,
    newNonce: () => randomUUID(),
    clock: {
      now: () => systemClock.now(),
      sleep: async (ms, signal) => {
        const t = performance.now();
        try {
          await delay(ms, undefined, signal ? { signal } : {});
        } catch (error) {
          throwIfCancelled(signal);
          throw error;
        } finally {
          spent.waits += performance.now() - t;
        }
      },
    },
    connect: async (inputs, env) => {
      const credential = await createAzureCredential(inputs.azure, { env });
      const client = await ArmClient.create({ credential, inputs: inputs.azure });
      return (signal) =>
        timed(armPlatform(client, inputs.resourceGroup, inputs.appName, signal), spent.azure);
    },
    openGitHub: async (token, env) => {
      // @actions/github (Octokit) loads here, only when a github-token is given.
      const { getOctokit } = await import('@actions/github');
      const octokit = getOctokit(token, {
        baseUrl: (env['GITHUB_API_URL'] || 'https://api.github.com').replace(/\/+$/, ''),
        userAgent: 'slotline-deploy-slot',
      });
      let event: unknown;
      const eventPath = env['GITHUB_EVENT_PATH'];
      if (eventPath)
        event = await readFile(eventPath, 'utf8')
          .then((text) => JSON.parse(text) as unknown)
          .catch(() => undefined);
      return {
        run: gitHubRunFrom(env, event),
        request: async (route, params, signal) => {
          const res = await octokit.request(route, { ...params, request: { signal } });
          return { status: res.status, data: res.data };
        },
      };
    },
    openProber: async () => {
      // undici loads here, on the first use, not on the start path.
      const agent = await createHttpAgent(4);
      return {
        probe: async (url, signal) => {
          const t = performance.now();
          try {
            const res = await untilAborted(
              httpRequest(
                { url, headers: { 'user-agent': 'slotline-deploy-slot' } },
                { timeoutMs: 10_000, dispatcher: agent },
              ),
              signal,
            );
            return { status: res.status };
          } catch (error) {
            throwIfCancelled(signal);
            return { error: (error as { code?: string }).code ?? errorMessage(error).split('\n')[0] };
          } finally {
            spent.probes += performance.now() - t;
          }
        },
        close: (abandon) => (abandon ? agent.destroy() : agent.close()),
      };
    },
  };
}
