import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { Agent, type Dispatcher, request } from 'undici';
import { type BackoffPolicy, backoffDelay, type Clock, DEFAULT_BACKOFF, systemClock } from './backoff.js';
import { errorMessage } from './errors.js';

/** The one HTTP layer of slotline: undici, keep-alive, a hard timeout per request, optional retry. */

export interface HttpRequest {
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The body as sent on the wire (still compressed when Content-Encoding says so). */
  rawBody: Buffer;
  /** The body after undoing Content-Encoding. */
  body: Buffer;
  /** Wall time from sending the request to the last byte of the body. */
  latencyMs: number;
}

export interface HttpClientOptions {
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  clock?: Clock;
}

/** A keep-alive connection pool; close it when done so the process can exit promptly. */
export function createHttpAgent(connectionsPerOrigin = 8): Agent {
  return new Agent({
    connections: connectionsPerOrigin,
    keepAliveTimeout: 4_000,
    connect: { timeout: 10_000 },
  });
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly latencyMs: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function decodeBody(raw: Buffer, contentEncoding: string | undefined): Buffer {
  const encodings = (contentEncoding ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e && e !== 'identity');
  let body = raw;
  for (const encoding of encodings.reverse()) {
    if (encoding === 'gzip' || encoding === 'x-gzip') body = gunzipSync(body);
    else if (encoding === 'br') body = brotliDecompressSync(body);
    else if (encoding === 'deflate') body = inflateSync(body);
    else throw new Error(`unsupported Content-Encoding "${encoding}"`);
  }
  return body;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** One request. Network failures and timeouts throw HttpError; any HTTP status is a response. */
export async function httpRequest(req: HttpRequest, opts: HttpClientOptions = {}): Promise<HttpResponse> {
  const clock = opts.clock ?? systemClock;
  const url = String(req.url);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = clock.now();
  try {
    const res = await request(url, {
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      dispatcher: opts.dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const rawBody = Buffer.from(await res.body.arrayBuffer());
    const latencyMs = clock.now() - started;
    const headers = flattenHeaders(res.headers);
    return {
      url,
      status: res.statusCode,
      headers,
      rawBody,
      body: decodeBody(rawBody, headers['content-encoding']),
      latencyMs,
    };
  } catch (error) {
    const latencyMs = clock.now() - started;
    const reason =
      error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
        ? `no complete response within ${timeoutMs} ms`
        : describeNetworkError(error);
    throw new HttpError(reason, url, latencyMs);
  }
}

function describeNetworkError(error: unknown): string {
  const code =
    (error as { code?: string; cause?: { code?: string } })?.code ??
    (error as { cause?: { code?: string } })?.cause?.code;
  const message = errorMessage(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * A request retried on network errors and on 408/429/5xx with backoff and jitter, honouring Retry-After.
 * Only for idempotent calls; the caller decides by using it.
 */
export async function httpRequestWithRetry(
  req: HttpRequest,
  opts: HttpClientOptions & { retries?: number; policy?: BackoffPolicy; random?: () => number } = {},
): Promise<HttpResponse> {
  const clock = opts.clock ?? systemClock;
  const retries = opts.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    let waitMs: number;
    try {
      const res = await httpRequest(req, opts);
      if (!RETRYABLE_STATUS.has(res.status) || attempt >= retries) return res;
      waitMs =
        parseRetryAfter(res.headers['retry-after'], clock.now()) ??
        backoffDelay(attempt + 1, opts.policy ?? DEFAULT_BACKOFF, opts.random);
    } catch (error) {
      if (attempt >= retries) throw error;
      waitMs = backoffDelay(attempt + 1, opts.policy ?? DEFAULT_BACKOFF, opts.random);
    }
    await clock.sleep(waitMs);
  }
}
