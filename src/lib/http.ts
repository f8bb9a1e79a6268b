import type { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import { type BackoffPolicy, backoffDelay, type Clock, DEFAULT_BACKOFF, systemClock } from './backoff.js';
import { CancelledError, untilAborted } from './cancellation.js';
import { errorMessage, systemErrorWords } from './errors.js';
import { readCapped } from './stream.js';

/**
 * The one HTTP layer of slotline: undici, keep-alive, a hard timeout per request (connect, TLS handshake,
 * headers and body), an abort signal, a body cap after decompression, optional retry.
 */

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
  /** The whole request: connect, TLS handshake, headers and body. Default 30 s. */
  timeoutMs?: number;
  /** Aborts the request; it then rejects with the signal's reason (CancelledError from cancelOnSignals). */
  signal?: AbortSignal;
  /** The largest body read, before and after decompression. Default 32 MiB. */
  maxBodyBytes?: number;
  dispatcher?: Dispatcher;
  clock?: Clock;
}

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

// undici is most of an action's JavaScript: loaded on the first request, so a run that stops at input
// validation never reads it.
type Undici = Pick<typeof import('undici'), 'Agent' | 'request'>;
let undici: Promise<Undici> | undefined;
function loadUndici(): Promise<Undici> {
  undici ??= import('undici').then(({ Agent, request }) => ({ Agent, request }));
  return undici;
}

/**
 * A keep-alive connection pool; close it when done so the process can exit promptly. A request's own
 * timeout ends the request at once; a connection attempt left behind ends at `connectTimeoutMs`.
 */
export async function createHttpAgent(connectionsPerOrigin = 8, connectTimeoutMs = 10_000): Promise<Agent> {
  const { Agent } = await loadUndici();
  return new Agent({
    connections: connectionsPerOrigin,
    keepAliveTimeout: 4_000,
    connect: { timeout: connectTimeoutMs },
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

/** A body over the cap, before or after decompression: not worth a retry. */
export class ResponseTooLargeHttpError extends HttpError {}

class BodyTooLarge extends Error {}

/** Undo Content-Encoding; a body that would decompress to more than `maxBytes` is refused (a gzip bomb). */
export function decodeBody(
  raw: Buffer,
  contentEncoding: string | undefined,
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): Buffer {
  const encodings = (contentEncoding ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e && e !== 'identity');
  let body = raw;
  if (encodings.length === 0) return body;
  // Loaded on the first compressed body: node:zlib is not free at start-up.
  const { brotliDecompressSync, gunzipSync, inflateSync } = process.getBuiltinModule('node:zlib');
  const limit = { maxOutputLength: maxBytes };
  for (const encoding of encodings.reverse()) {
    try {
      if (encoding === 'gzip' || encoding === 'x-gzip') body = gunzipSync(body, limit);
      else if (encoding === 'br') body = brotliDecompressSync(body, limit);
      else if (encoding === 'deflate') body = inflateSync(body, limit);
      else throw new Error(`unsupported Content-Encoding "${encoding}"`);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new BodyTooLarge(`response body larger than ${maxBytes} bytes after decompression`);
      throw error;
    }
  }
  return body;
}

/** Read a body to its end, refusing more than `maxBytes`; the signal stops it (and destroys the stream). */
function readBody(body: Readable, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return readCapped(
    body,
    maxBytes,
    signal,
    (max) => new BodyTooLarge(`response body larger than ${max} bytes`),
  );
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/**
 * One request. Network failures and timeouts throw HttpError; any HTTP status is a response. The
 * caller's abort rejects with the signal's reason.
 */
export async function httpRequest(req: HttpRequest, opts: HttpClientOptions = {}): Promise<HttpResponse> {
  const clock = opts.clock ?? systemClock;
  const url = String(req.url);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (opts.signal?.aborted) throw cancellationReason(opts.signal);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  // undici's connect timeout, not the request's signal, ends a stalled TLS handshake: without a pool of
  // the caller's, use one for this request whose connect timeout is the request's, destroyed at the end.
  const { request } = await loadUndici();
  const ownAgent = opts.dispatcher ? undefined : await createHttpAgent(1, timeoutMs);
  const started = clock.now();
  try {
    const res = await untilAborted(
      request(url, {
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
        dispatcher: opts.dispatcher ?? ownAgent,
        signal,
      }),
      signal,
    );
    const rawBody = await readBody(res.body, maxBodyBytes, signal);
    const latencyMs = clock.now() - started;
    const headers = flattenHeaders(res.headers);
    return {
      url,
      status: res.statusCode,
      headers,
      rawBody,
      body: decodeBody(rawBody, headers['content-encoding'], maxBodyBytes),
      latencyMs,
    };
  } catch (error) {
    const latencyMs = clock.now() - started;
    if (opts.signal?.aborted) throw cancellationReason(opts.signal);
    if (error instanceof BodyTooLarge) throw new ResponseTooLargeHttpError(error.message, url, latencyMs);
    const reason = timeout.aborted
      ? `no complete response within ${timeoutMs} ms`
      : networkErrorInWords(error);
    throw new HttpError(reason, url, latencyMs);
  } finally {
    if (ownAgent) void ownAgent.destroy().catch(() => {});
  }
}

function cancellationReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name !== 'AbortError' ? reason : new CancelledError('abort');
}

/**
 * A network error as words plus its code, e.g. `connection refused (ECONNREFUSED)`; a timeout of ours
 * (code ETIMEDOUT with its own message) keeps that message.
 */
export function networkErrorInWords(error: unknown): string {
  const code =
    (error as { code?: unknown } | undefined)?.code ??
    (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  // The error's own message: errorMessage would already have put a known code into words.
  const message = (error instanceof Error ? error.message : errorMessage(error)).split('\n')[0] ?? '';
  if (typeof code !== 'string' || !code) return message;
  // A timeout of ours says which phase stalled; keep its words.
  if (code === 'ETIMEDOUT' && / within [\d.]+ s$/.test(message)) return `${message} (${code})`;
  const words = systemErrorWords(code);
  if (words) return `${words} (${code})`;
  return message.includes(code) ? message : `${message} (${code})`;
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
  opts: HttpClientOptions & {
    retries?: number;
    policy?: BackoffPolicy;
    random?: () => number;
    /** The longest Retry-After honoured; default 60 s. */
    maxRetryAfterMs?: number;
  } = {},
): Promise<HttpResponse> {
  const clock = opts.clock ?? systemClock;
  const retries = opts.retries ?? 3;
  const sleep = (ms: number): Promise<void> =>
    opts.signal ? untilAborted(clock.sleep(ms), opts.signal) : clock.sleep(ms);
  for (let attempt = 0; ; attempt++) {
    let waitMs: number;
    try {
      const res = await httpRequest(req, opts);
      if (!RETRYABLE_STATUS.has(res.status) || attempt >= retries) return res;
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], clock.now());
      waitMs =
        retryAfterMs !== undefined
          ? Math.min(retryAfterMs, opts.maxRetryAfterMs ?? 60_000)
          : backoffDelay(attempt + 1, opts.policy ?? DEFAULT_BACKOFF, opts.random);
    } catch (error) {
      if (attempt >= retries || !(error instanceof HttpError) || error instanceof ResponseTooLargeHttpError)
        throw error;
      waitMs = backoffDelay(attempt + 1, opts.policy ?? DEFAULT_BACKOFF, opts.random);
    }
    try {
      await sleep(waitMs);
    } catch {
      throw cancellationReason(opts.signal!);
    }
  }
}
