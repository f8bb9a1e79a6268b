import * as core from '@actions/core';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../lib/backoff.js';
import { formatDuration } from '../lib/duration.js';
import { CheckFailedError } from '../lib/errors.js';
import {
  createHttpAgent,
  type HttpClientOptions,
  type HttpRequest,
  type HttpResponse,
  httpRequest,
} from '../lib/http.js';
import type { Env } from '../lib/inputs.js';
import { redactUrl } from '../lib/redact.js';
import { runAction } from '../lib/runner/action.js';
import { logInfo, logWarning, withGroup } from '../lib/runner/log.js';
import { maskValue } from '../lib/runner/secrets.js';
import { writeSummary } from '../lib/runner/summary.js';
import { parseInputs } from './inputs.js';
import { failureMessage, resultsOutput, summaryMarkdown } from './report.js';
import { SECRET_INPUTS } from './secret-inputs.js';
import { runSmokeTests } from './smoke.js';

/** What smoke-test needs from the world, injected so tests can script it (see defaultDeps). */
export interface SmokeTestDeps {
  /** One HTTP request; `dispatcher` is the run's connection pool. */
  http: (request: HttpRequest, options: HttpClientOptions) => Promise<HttpResponse>;
  /** A connection pool allowing `connections` per origin, closed at the end of the run. */
  /** A keep-alive pool; async because undici loads on first use, off the start path. */
  connectionPool: (connections: number) => Promise<Dispatcher & { close(): Promise<void> }>;
  /** Waits between attempts, and the page-load timings. */
  clock: Clock;
  /** The jitter of the retry backoff. */
  random: () => number;
}

/** The real world: undici over the network, the system clock, Math.random. */
export function defaultDeps(): SmokeTestDeps {
  return { http: httpRequest, connectionPool: createHttpAgent, clock: systemClock, random: Math.random };
}

export async function run(env: Env = process.env, deps: SmokeTestDeps = defaultDeps()): Promise<void> {
  await runAction(
    'smoke-test',
    SECRET_INPUTS,
    async () => {
      const inputs = await parseInputs(env);
      // Printed URLs are redacted (redactUrl); a password in the URL is masked too, for anything else.
      if (inputs.url.password) maskValue(decodeURIComponent(inputs.url.password));
      for (const value of Object.values(inputs.headers)) maskValue(value);
      for (const check of inputs.checks) for (const value of Object.values(check.headers)) maskValue(value);

      const agent = await deps.connectionPool(Math.max(inputs.concurrency, 6));
      try {
        const report = await withGroup(
          `Smoke testing ${redactUrl(inputs.url)} (${inputs.checks.length} checks)`,
          () =>
            runSmokeTests(inputs, {
              send: (req, timeoutMs) => deps.http(req, { timeoutMs, dispatcher: agent }),
              clock: deps.clock,
              random: deps.random,
              onRetry: (name, attempt, reason, delayMs) =>
                logInfo(
                  `${name}: attempt ${attempt} failed (${reason}); retrying in ${formatDuration(delayMs)}`,
                ),
            }),
        );
        for (const r of report.results) {
          logInfo(
            `${r.passed ? 'PASS' : 'FAIL'} ${r.name}: ${r.status ?? 'no response'} in ${Math.round(r.latencyMs ?? 0)} ms after ${r.attempts} attempt(s)${r.reason ? ` (${r.reason})` : ''}`,
          );
          if (r.page?.uncompressedText.length)
            logWarning(`${r.name}: text sent without gzip or br: ${r.page.uncompressedText.join(', ')}`);
          if (r.page?.shortCache.length)
            logWarning(
              `${r.name}: static assets without long-lived Cache-Control: ${r.page.shortCache.join(', ')}`,
            );
        }
        core.setOutput('passed', String(report.passed));
        core.setOutput('failed', String(report.failed));
        core.setOutput('results', JSON.stringify(resultsOutput(report)));
        core.setOutput(
          'p95-latency-ms',
          report.p95LatencyMs === undefined ? '' : String(report.p95LatencyMs),
        );
        await writeSummary(summaryMarkdown(report, inputs.url.href));
        if (!report.passed) throw new CheckFailedError(failureMessage(report));
      } finally {
        await agent.close();
      }
    },
    env,
  );
}
