import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type {
  HttpClient,
  PipelinePolicy,
  PipelineRequest,
  PipelineResponse,
  RestError,
} from '@azure/core-rest-pipeline';

import { CancelledError, untilAborted } from '../cancellation.js';
import { ActionError, TimeoutError } from '../errors.js';
import { networkErrorInWords } from '../http.js';
import { readCapped as readStreamCapped } from '../stream.js';

/**
 * How long anything that talks to Entra ID or Resource Manager may wait, and how much it may read.
 * Each is an option of ArmClient / createAzureCredential, so tests can use 1 s.
 */
export interface AzureBounds {
  /** One HTTP attempt, from connect through the TLS handshake and headers to the last byte of the body. */
  attemptTimeoutMs: number;
  /** One ARM call across all its retries and the token it needs. */
  callDeadlineMs: number;
  /** A long-running operation, from its first request to its end. */
  operationDeadlineMs: number;
  /** One access token (Entra ID or the Azure CLI), with its retries. */
  tokenDeadlineMs: number;
  /** The GitHub OIDC token request, with its retries. */
  oidcDeadlineMs: number;
  /** The longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
  /** The largest response body read, after decompression. */
  maxBodyBytes: number;
}

export const DEFAULT_AZURE_BOUNDS: AzureBounds = {
  attemptTimeoutMs: 30_000,
  callDeadlineMs: 120_000,
  operationDeadlineMs: 30 * 60_000,
  tokenDeadlineMs: 60_000,
  oidcDeadlineMs: 30_000,
  maxRetryAfterMs: 60_000,
  maxBodyBytes: 32 * 1024 * 1024,
};

export function resolveBounds(bounds: Partial<AzureBounds> = {}): AzureBounds {
  return { ...DEFAULT_AZURE_BOUNDS, ...bounds };
}

/** Which input a user changes when this endpoint cannot be reached. */
export interface Endpoint {
  input: 'arm-endpoint' | 'authority-host';
  origin: string;
}

/** Entra ID or ARM could not be reached, or did not answer in time: one line naming the input. */
export class AzureNetworkError extends ActionError {}

/** A deadline of the Azure library ran out (a call, a token, a long-running operation). */
export class AzureTimeoutError extends TimeoutError {}

/** A request to another origin than arm-endpoint was refused before any token was attached. */
export class AzureOriginError extends ActionError {}

/** A response body over the limit, before or after decompression. */
export class ResponseTooLargeError extends ActionError {}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** What the caller's abort means: its reason when that is an error (CancelledError from cancelOnSignals). */
export function cancellationOf(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name !== 'AbortError' && reason.name !== 'TimeoutError'
    ? reason
    : new CancelledError('abort');
}

export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 1 ? present[0]! : AbortSignal.any(present);
}

/**
 * The token request in progress on this async path. MSAL takes no abort signal, so the credential's
 * deadline and the caller's abort reach MSAL's HTTP requests through here; the HTTP client also notes
 * the last network failure so that MSAL's bare `network_error` can be told in words.
 */
export interface TokenRequestContext {
  signal: AbortSignal;
  lastFailure?: unknown;
  /** A failure of the GitHub OIDC token request, which MSAL would otherwise rewrap. */
  assertionFailure?: Error;
}
export const tokenRequestContext = new AsyncLocalStorage<TokenRequestContext>();

/** The last failed attempt of a request, kept for the message when a later deadline ends it. */
const lastFailures = new WeakMap<PipelineRequest, unknown>();
export function lastFailureOf(request: PipelineRequest): unknown {
  return lastFailures.get(request);
}

/**
 * How far the current attempt's new connection got, for the timeout's message. Node announces every
 * client socket on the `net.client.socket` channel, inside the async context of the request that made it.
 */
interface AttemptTrace {
  phase?: 'tcp-connect' | 'tls-handshake' | 'response';
}
const attemptTrace = new AsyncLocalStorage<AttemptTrace>();
let tracing = false;
function traceNewSockets(): void {
  if (tracing) return;
  tracing = true;
  // node:tls costs tens of milliseconds to load: not at start, only once Azure is called.
  const { TLSSocket } = process.getBuiltinModule('node:tls');
  subscribe('net.client.socket', (message) => {
    const trace = attemptTrace.getStore();
    if (!trace) return;
    const socket = (message as { socket: Socket }).socket;
    trace.phase = 'tcp-connect';
    socket.once('connect', () => {
      if (trace.phase === 'tcp-connect')
        trace.phase = socket instanceof TLSSocket ? 'tls-handshake' : 'response';
    });
    socket.once('secureConnect', () => {
      trace.phase = 'response';
    });
  });
}

function timeoutInWords(trace: AttemptTrace, ms: number): string {
  switch (trace.phase) {
    case 'tcp-connect':
      return `no TCP connection within ${seconds(ms)}`;
    case 'tls-handshake':
      return `TLS handshake not completed within ${seconds(ms)}`;
    default:
      return `no response within ${seconds(ms)}`;
  }
}

type Sdk = Pick<typeof import('@azure/core-rest-pipeline'), 'RestError'>;

const RETRY_AFTER_MS_HEADERS = ['retry-after-ms', 'x-ms-retry-after-ms'];

/**
 * Cut Retry-After (seconds or an HTTP date) and its millisecond variants to `maxMs`, for every reader:
 * the retry policy reads `retry-after-ms` first, core-lro reads `retry-after` (whole seconds).
 */
export function capRetryAfter(response: PipelineResponse, maxMs: number, nowMs = Date.now()): void {
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter !== undefined) {
    const trimmed = retryAfter.trim();
    const ms = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - nowMs;
    // Only a long wait is cut; an unreadable value is left for the SDK to ignore (a garbage header
    // must not force the longest wait).
    if (Number.isFinite(ms) && ms > maxMs) {
      response.headers.set('retry-after', String(Math.floor(maxMs / 1000)));
      response.headers.set('retry-after-ms', String(maxMs));
    }
  }
  for (const name of RETRY_AFTER_MS_HEADERS) {
    const value = response.headers.get(name);
    if (value !== undefined && Number(value) > maxMs) response.headers.set(name, String(maxMs));
  }
}

/** Read a body stream to its end, refusing more than `maxBytes`, and stop when the signal aborts. */
export function readCapped(stream: Readable, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return readStreamCapped(
    stream,
    maxBytes,
    signal,
    (max) => new ResponseTooLargeError(`response body larger than ${max} bytes (after decompression)`),
  );
}

/**
 * Wrap the SDK's HTTP client so that every attempt is bounded: connect, TLS handshake, headers and the
 * whole body within `attemptTimeoutMs` (the SDK's own `timeout` stops at the headers), bodies capped
 * after decompression, and Retry-After cut to `maxRetryAfterMs` before the retry policy or core-lro
 * reads it. A timed-out attempt is a RestError with code ETIMEDOUT, which the retry policy retries
 * inside the call's deadline; a caller's abort is not retried.
 */
export function boundedHttpClient(inner: HttpClient, sdk: Sdk, bounds: AzureBounds): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      traceNewSockets();
      const trace: AttemptTrace = {};
      const context = tokenRequestContext.getStore();
      const callerSignal = request.abortSignal as AbortSignal | undefined;
      const attempt = new AbortController();
      const timer = setTimeout(
        () => attempt.abort(new Error(timeoutInWords(trace, bounds.attemptTimeoutMs))),
        bounds.attemptTimeoutMs,
      );
      const signal = anySignal(attempt.signal, callerSignal, context?.signal);
      const wantedStream = request.streamResponseStatusCodes;
      request.abortSignal = signal;
      request.streamResponseStatusCodes = new Set([Number.POSITIVE_INFINITY]);
      try {
        const response = await untilAborted(
          attemptTrace.run(trace, () => inner.sendRequest(request)),
          signal,
        );
        const stream = response.readableStreamBody as Readable | undefined;
        if (stream) {
          delete response.readableStreamBody;
          const declared = Number(response.headers.get('content-length'));
          if (!response.headers.get('content-encoding') && declared > bounds.maxBodyBytes) {
            stream.destroy();
            throw new ResponseTooLargeError(
              `response body of ${declared} bytes is larger than ${bounds.maxBodyBytes} bytes`,
            );
          }
          response.bodyAsText = (await readCapped(stream, bounds.maxBodyBytes, signal)).toString('utf8');
        }
        capRetryAfter(response, bounds.maxRetryAfterMs);
        return response;
      } catch (error) {
        const failure =
          attempt.signal.aborted && !callerSignal?.aborted && !context?.signal.aborted
            ? new sdk.RestError(timeoutInWords(trace, bounds.attemptTimeoutMs), {
                code: 'ETIMEDOUT',
                request,
              })
            : error;
        if (!callerSignal?.aborted && !context?.signal.aborted) {
          lastFailures.set(request, failure);
          if (context) context.lastFailure = failure;
        }
        throw failure;
      } finally {
        clearTimeout(timer);
        request.abortSignal = callerSignal;
        request.streamResponseStatusCodes = wantedStream;
      }
    },
  };
}

/**
 * Refuse, before the bearer token policy runs, any request to another origin than the endpoint's: the
 * token for arm-endpoint never leaves for another host, whatever URL a response names.
 */
export function sameOriginPolicy(endpoint: Endpoint): PipelinePolicy {
  return {
    name: 'slotlineSameOriginPolicy',
    async sendRequest(request, next) {
      const origin = new URL(request.url).origin;
      if (origin !== endpoint.origin)
        throw new AzureOriginError(
          `refused to send a request to ${origin}: slotline sends its Azure token only to ${endpoint.input} ${endpoint.origin}`,
        );
      return next(request);
    },
  };
}

/**
 * One deadline for a call across its retries, Retry-After waits and the token it needs. The caller's
 * abort wins: it ends the call with the caller's reason (CancelledError from cancelOnSignals).
 */
export function callDeadlinePolicy(endpoint: Endpoint, deadlineMs: number): PipelinePolicy {
  return {
    name: 'slotlineCallDeadlinePolicy',
    async sendRequest(request, next) {
      const callerSignal = request.abortSignal as AbortSignal | undefined;
      if (callerSignal?.aborted) throw cancellationOf(callerSignal);
      const deadline = AbortSignal.timeout(deadlineMs);
      const signal = anySignal(callerSignal, deadline);
      request.abortSignal = signal;
      try {
        return await untilAborted(next(request), signal);
      } catch (error) {
        if (callerSignal?.aborted) throw cancellationOf(callerSignal);
        if (deadline.aborted) {
          const last = lastFailureOf(request);
          throw new AzureTimeoutError(
            `${endpoint.input} ${endpoint.origin}: ${request.method} ${new URL(request.url).pathname} got no answer within ${seconds(deadlineMs)}${last ? ` (last attempt: ${networkErrorInWords(last)})` : ''}`,
          );
        }
        throw error;
      } finally {
        request.abortSignal = callerSignal;
      }
    },
  };
}

/** A network failure (a RestError from the SDK client) as one line naming the input. */
export function networkFailure(endpoint: Endpoint, error: unknown): AzureNetworkError | undefined {
  const code = (error as RestError | undefined)?.code;
  if (!code || !/^(E[A-Z_]+|UND_ERR_\w+|CERT_\w+|\w*SELF_SIGNED\w*|UNABLE_TO_\w+|ERR_TLS_\w+)$/.test(code))
    return undefined;
  return new AzureNetworkError(`${endpoint.input} ${endpoint.origin}: ${networkErrorInWords(error)}`);
}
