import { type Clock, retryUntil, systemClock } from '../lib/backoff.js';
import { mapLimit } from '../lib/concurrency.js';
import { errorMessage } from '../lib/errors.js';
import { HttpError, type HttpRequest, type HttpResponse } from '../lib/http.js';
import { describeStatusItems, statusMatches } from '../lib/http-status.js';
import { redactUrlsIn } from '../lib/redact.js';
import { percentile } from '../lib/stats.js';
import type { SmokeCheck } from './checks.js';
import { jsonExpectationFailures } from './json-path.js';
import {
  type AssetResult,
  assessPage,
  extractSameOriginAssets,
  isCompressed,
  isLongLivedCache,
  type PageReport,
} from './page.js';

export interface SmokeOptions {
  url: URL;
  checks: readonly SmokeCheck[];
  waitTimeoutMs: number;
  /** Sent with every check; check-level headers win. */
  headers: Readonly<Record<string, string>>;
  pageLoadBudgetMs: number;
  concurrency: number;
}

export interface SmokeDeps {
  send: (req: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;
  clock?: Clock;
  random?: () => number;
  /** Called after each failed attempt that will be retried, for progress logs. */
  onRetry?: (check: string, attempt: number, reason: string, delayMs: number) => void;
}

export interface CheckResult {
  name: string;
  method: string;
  url: string;
  passed: boolean;
  status?: number;
  latencyMs?: number;
  attempts: number;
  reason?: string;
  page?: PageReport;
}

export interface SmokeReport {
  passed: boolean;
  failed: number;
  results: CheckResult[];
  p95LatencyMs?: number;
}

/** Browsers open about six connections per origin; a page load fetches assets with the same parallelism. */
export const BROWSER_CONNECTIONS_PER_ORIGIN = 6;
const MAX_ATTEMPT_TIMEOUT_MS = 30_000;
const MIN_ATTEMPT_TIMEOUT_MS = 1_000;

/** Resolve a check path against the base URL, keeping any path prefix of the base (`/app` + `/healthz`). */
export function checkUrl(base: URL, path: string): string {
  const url = new URL(base.href);
  const [pathname, query] = splitOnce(path, '?');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${pathname}`;
  url.search = query === undefined ? '' : `?${query}`;
  url.hash = '';
  return url.href;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Every way a response misses the check's expectations; empty means it passes. Pure. */
export function responseFailures(
  check: SmokeCheck,
  res: Pick<HttpResponse, 'status' | 'body' | 'latencyMs'>,
): string[] {
  const failures: string[] = [];
  if (!statusMatches(res.status, check.expectStatus)) {
    failures.push(`status ${res.status}, expected ${describeStatusItems(check.expectStatus)}`);
  }
  const text =
    check.expectBody !== undefined || check.expectBodyRegex || check.expectJson
      ? res.body.toString('utf8')
      : '';
  if (check.expectBody !== undefined && !text.includes(check.expectBody)) {
    failures.push(`body does not contain ${JSON.stringify(check.expectBody)}`);
  }
  if (check.expectBodyRegex && !check.expectBodyRegex.test(text)) {
    failures.push(`body does not match /${check.expectBodyRegex.source}/`);
  }
  if (check.expectJson) {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      failures.push('body is not JSON');
    }
    if (document !== undefined) failures.push(...jsonExpectationFailures(document, check.expectJson));
  }
  if (check.maxLatencyMs !== undefined && res.latencyMs > check.maxLatencyMs) {
    failures.push(`latency ${Math.round(res.latencyMs)} ms exceeds max-latency ${check.maxLatencyMs} ms`);
  }
  return failures;
}

function assetResult(res: HttpResponse, kind: AssetResult['kind']): AssetResult {
  return {
    url: res.url,
    kind,
    status: res.status,
    bytes: res.rawBody.length,
    latencyMs: res.latencyMs,
    contentType: res.headers['content-type'],
    compressed: isCompressed(res.headers['content-encoding']),
    longLivedCache: isLongLivedCache(res.headers['cache-control']),
  };
}

interface Attempt {
  result: CheckResult;
}
async function attemptCheck(
  check: SmokeCheck,
  opts: SmokeOptions,
  deps: SmokeDeps,
  remainingMs: number,
): Promise<Attempt> {
  const clock = deps.clock ?? systemClock;
  const url = checkUrl(opts.url, check.path);
  const timeoutMs = Math.min(MAX_ATTEMPT_TIMEOUT_MS, Math.max(MIN_ATTEMPT_TIMEOUT_MS, remainingMs));
  const headers = { 'accept-encoding': 'gzip, br', ...opts.headers, ...check.headers };
  const base = { name: check.name, method: check.method, url, attempts: 1 };
  const started = clock.now();
  let res: HttpResponse;
  try {
    res = await deps.send({ url, method: check.method, headers, body: check.body }, timeoutMs);
  } catch (error) {
    const reason = redactUrlsIn(errorMessage(error));
    return {
      result: {
        ...base,
        passed: false,
        reason,
        latencyMs: error instanceof HttpError ? error.latencyMs : undefined,
      },
    };
  }
  const failures = responseFailures(check, res);
  let page: PageReport | undefined;
  if (check.page && statusMatches(res.status, check.expectStatus)) {
    const assets = await extractSameOriginAssets(res.body.toString('utf8'), url);
    const assetHeaders = { 'accept-encoding': 'gzip, br', ...opts.headers };
    const fetched = await mapLimit(
      assets,
      BROWSER_CONNECTIONS_PER_ORIGIN,
      async (asset): Promise<AssetResult> => {
        try {
          return assetResult(
            await deps.send({ url: asset.url, headers: assetHeaders }, timeoutMs),
            asset.kind,
          );
        } catch (error) {
          const message = redactUrlsIn(errorMessage(error));
          return {
            url: asset.url,
            kind: asset.kind,
            status: 0,
            bytes: 0,
            latencyMs: 0,
            compressed: false,
            longLivedCache: false,
            error: message,
          };
        }
      },
    );
    page = assessPage(assetResult(res, 'document'), fetched, clock.now() - started, opts.pageLoadBudgetMs);
    if (page.failedAssets.length > 0) failures.push(`assets failed: ${page.failedAssets.join(', ')}`);
    if (!page.withinBudget) {
      failures.push(
        `page load ${Math.round(page.loadMs)} ms exceeds page-load-budget ${opts.pageLoadBudgetMs} ms`,
      );
    }
  }
  return {
    result: {
      ...base,
      passed: failures.length === 0,
      status: res.status,
      latencyMs: page ? page.loadMs : res.latencyMs,
      reason: failures.length > 0 ? failures.join('; ') : undefined,
      page,
    },
  };
}

/**
 * Run every check, each retried with backoff until it passes or `waitTimeoutMs` (one shared deadline)
 * runs out, so a slot that is still warming up gets the time it needs and no more.
 */
export async function runSmokeTests(opts: SmokeOptions, deps: SmokeDeps): Promise<SmokeReport> {
  const results = await mapLimit(opts.checks, opts.concurrency, async (check) => {
    const outcome = await retryUntil(
      async (_attempt, remainingMs) => (await attemptCheck(check, opts, deps, remainingMs)).result,
      (result) => result.passed,
      {
        timeoutMs: opts.waitTimeoutMs,
        clock: deps.clock,
        random: deps.random,
        onRetry: (result, attempt, delayMs) =>
          deps.onRetry?.(check.name, attempt, result.reason ?? 'failed', delayMs),
      },
    );
    return { ...outcome.value, attempts: outcome.attempts };
  });
  const failed = results.filter((r) => !r.passed).length;
  const latencies = results.map((r) => r.latencyMs).filter((ms): ms is number => ms !== undefined);
  const p95 = percentile(latencies, 0.95);
  return {
    passed: failed === 0,
    failed,
    results,
    p95LatencyMs: p95 === undefined ? undefined : Math.round(p95),
  };
}
