import type { TokenCredential } from '@azure/core-auth';
import type { OperationResponse, OperationState, PollerLike } from '@azure/core-lro';
import type { HttpClient, Pipeline, PipelineResponse } from '@azure/core-rest-pipeline';
import { CancelledError } from '../cancellation.js';
import { ActionError } from '../errors.js';
import {
  type AzureBounds,
  AzureOriginError,
  AzureTimeoutError,
  anySignal,
  boundedHttpClient,
  callDeadlinePolicy,
  cancellationOf,
  type Endpoint,
  networkFailure,
  resolveBounds,
  sameOriginPolicy,
  seconds,
} from './bounds.js';
import { ArmError, type ArmErrorDetail, translateAzureError } from './errors.js';
import { type AzureInputs, armScope } from './inputs.js';

export interface ArmClientOptions {
  credential: TokenCredential;
  /** Inputs the errors refer to; `armEndpoint` is where requests go. */
  inputs: Pick<
    AzureInputs,
    'armEndpoint' | 'subscriptionId' | 'clientId' | 'tenantId' | 'authorityHost' | 'credentialKind'
  >;
  /** Retries of throttled (429, honouring Retry-After), failed (5xx) and dropped requests. Default 4. */
  maxRetries?: number;
  /** First exponential back-off delay; default 800 ms as in the SDK. */
  retryDelayInMs?: number;
  maxRetryDelayInMs?: number;
  /** Poll interval of long-running operations when the service sends no Retry-After; default 2000 ms. */
  pollIntervalMs?: number;
  /** Timeouts, deadlines and caps; DEFAULT_AZURE_BOUNDS unless set (tests use short ones). */
  bounds?: Partial<AzureBounds>;
}

export interface ArmRequest {
  apiVersion: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /**
   * Aborts the call (and, for long-running operations, every poll): cancellation reaches the socket, and
   * the call rejects with the signal's reason (CancelledError from cancelOnSignals).
   */
  abortSignal?: AbortSignal;
}

export interface ArmResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export type ArmPoller<T> = PollerLike<OperationState<T>, T>;

function parseBody(response: PipelineResponse): unknown {
  const text = response.bodyAsText;
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toArmError(response: PipelineResponse, body: unknown): ArmError {
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
    ?.error;
  const code = error?.code ?? `Http${response.status}`;
  const message =
    error?.message ?? (typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${response.status}`);
  return new ArmError(
    response.status,
    code,
    `${response.request.method} ${new URL(response.request.url).pathname} failed: ${response.status} ${code}: ${message}`,
    response.headers.get('x-ms-request-id') ?? undefined,
    Array.isArray(error?.details) ? (error.details as ArmErrorDetail[]) : undefined,
  );
}

/**
 * A small ARM client on the Azure SDK's own pipeline: bearer tokens (refreshed by the credential),
 * retries with Retry-After, and long-running operations polled by @azure/core-lro.
 */
export class ArmClient {
  private readonly endpoint: Endpoint;

  private constructor(
    private readonly pipeline: Pipeline,
    private readonly httpClient: HttpClient,
    private readonly sdk: typeof import('@azure/core-rest-pipeline'),
    private readonly lro: typeof import('@azure/core-lro'),
    private readonly options: ArmClientOptions,
    private readonly bounds: AzureBounds,
  ) {
    this.endpoint = { input: 'arm-endpoint', origin: new URL(options.inputs.armEndpoint).origin };
  }

  static async create(options: ArmClientOptions): Promise<ArmClient> {
    const [sdk, lro] = await Promise.all([import('@azure/core-rest-pipeline'), import('@azure/core-lro')]);
    const bounds = resolveBounds(options.bounds);
    const endpoint: Endpoint = { input: 'arm-endpoint', origin: new URL(options.inputs.armEndpoint).origin };
    const pipeline = sdk.createPipelineFromOptions({
      retryOptions: {
        maxRetries: options.maxRetries ?? 4,
        retryDelayInMs: options.retryDelayInMs ?? 800,
        maxRetryDelayInMs: options.maxRetryDelayInMs ?? 30_000,
      },
      userAgentOptions: { userAgentPrefix: 'slotline' },
    });
    // The Serialize phase runs before every other policy: the deadline covers the token and the retries,
    // and a request for another origin is refused before the bearer token policy attaches a token.
    pipeline.addPolicy(callDeadlinePolicy(endpoint, bounds.callDeadlineMs), { phase: 'Serialize' });
    pipeline.addPolicy(sameOriginPolicy(endpoint), { phase: 'Serialize' });
    pipeline.addPolicy(
      sdk.bearerTokenAuthenticationPolicy({
        credential: options.credential,
        scopes: armScope(options.inputs.armEndpoint),
      }),
    );
    const httpClient = boundedHttpClient(sdk.createDefaultHttpClient(), sdk, bounds);
    return new ArmClient(pipeline, httpClient, sdk, lro, options, bounds);
  }

  get subscriptionId(): string {
    return this.options.inputs.subscriptionId;
  }

  private url(path: string, request?: ArmRequest): string {
    // An absolute URL (a poll location, a nextLink) stays as it is; the same-origin policy refuses other hosts.
    const url = new URL(
      /^[a-z][a-z0-9+.-]*:/i.test(path)
        ? path
        : `${this.options.inputs.armEndpoint}${path.startsWith('/') ? '' : '/'}${path}`,
    );
    if (request) {
      url.searchParams.set('api-version', request.apiVersion);
      for (const [k, v] of Object.entries(request.query ?? {}))
        if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url.toString();
  }

  private async send(
    method: string,
    url: string,
    body: unknown,
    abortSignal?: AbortSignal,
  ): Promise<PipelineResponse> {
    const request = this.sdk.createPipelineRequest({ url, method: method as 'GET', abortSignal });
    request.headers.set('accept', 'application/json');
    if (body !== undefined) {
      request.body = JSON.stringify(body);
      request.headers.set('content-type', 'application/json');
    }
    try {
      return await this.pipeline.sendRequest(this.httpClient, request);
    } catch (error) {
      if (abortSignal?.aborted) throw cancellationOf(abortSignal);
      if (error instanceof ActionError || error instanceof CancelledError) throw error;
      throw networkFailure(this.endpoint, error) ?? translateAzureError(error, this.options.inputs);
    }
  }

  /** One ARM call; a status of 400 or more throws an ArmError (translated into a hint for auth failures). */
  async request<T = unknown>(method: string, path: string, request: ArmRequest): Promise<ArmResponse<T>> {
    const response = await this.send(method, this.url(path, request), request.body, request.abortSignal);
    const body = parseBody(response);
    if (response.status >= 400) throw translateAzureError(toArmError(response, body), this.options.inputs);
    return { status: response.status, headers: response.headers.toJSON(), body: body as T };
  }

  /**
   * Start a long-running operation and return its poller. `finalState` says where the result lives:
   * `location` for App Service (site PUT, slot swap), `azure-async-operation` for most other providers.
   * Not async on purpose: the poller is itself a promise of the result, and awaiting it would wait for the end.
   */
  beginLongRunning<T = unknown>(
    method: string,
    path: string,
    request: ArmRequest & {
      finalState?: 'location' | 'azure-async-operation' | 'original-uri';
      skipFinalGet?: boolean;
    },
  ): ArmPoller<T> {
    return this.startLongRunning<T>(method, path, request).poller;
  }

  /** The poller, and the signal that ends its operation: the caller's abort or the operation's deadline. */
  private startLongRunning<T>(
    method: string,
    path: string,
    request: ArmRequest & {
      finalState?: 'location' | 'azure-async-operation' | 'original-uri';
      skipFinalGet?: boolean;
    },
  ): { poller: ArmPoller<T>; deadline: AbortSignal; signal: AbortSignal } {
    const deadline = AbortSignal.timeout(this.bounds.operationDeadlineMs);
    const signal = anySignal(request.abortSignal, deadline);
    const toOperationResponse = (response: PipelineResponse, body: unknown): OperationResponse<T> => ({
      flatResponse: body as T,
      rawResponse: {
        statusCode: response.status,
        headers: response.headers.toJSON(),
        request: { method: response.request.method, url: response.request.url },
        body,
      },
    });
    const poller = this.lro.createHttpPoller<T, OperationState<T>>(
      {
        sendInitialRequest: async () => {
          const response = await this.send(method, this.url(path, request), request.body, signal);
          const body = parseBody(response);
          if (response.status >= 400)
            throw translateAzureError(toArmError(response, body), this.options.inputs);
          return toOperationResponse(response, body);
        },
        // Poll responses go to core-lro as they are: it reads a 4xx/5xx or a "Failed" status as the
        // operation's failure and raises it with the service's error code and message.
        sendPollRequest: async (pollPath) => {
          const pollUrl = this.url(pollPath);
          const origin = new URL(pollUrl).origin;
          if (origin !== this.endpoint.origin)
            throw new AzureOriginError(
              `${method} ${path.split('?')[0]}: ARM named ${origin} as the place to poll the operation, which is not arm-endpoint ${this.endpoint.origin}; slotline follows Location and Azure-AsyncOperation only on arm-endpoint, so its token goes nowhere else`,
            );
          const response = await this.send('GET', pollUrl, undefined, signal);
          return toOperationResponse(response, parseBody(response));
        },
      },
      {
        resourceLocationConfig: request.finalState ?? 'location',
        intervalInMs: this.options.pollIntervalMs ?? 2000,
        ...(request.skipFinalGet ? { skipFinalGet: true } : {}),
      },
    );
    return { poller, deadline, signal };
  }

  /** Run a long-running operation to its end; a failed operation throws an ArmError with the service's code. */
  async longRunning<T = unknown>(
    method: string,
    path: string,
    request: ArmRequest & {
      finalState?: 'location' | 'azure-async-operation' | 'original-uri';
      skipFinalGet?: boolean;
    },
  ): Promise<T> {
    const { poller, deadline, signal } = this.startLongRunning<T>(method, path, request);
    try {
      return await poller.pollUntilDone({ abortSignal: signal });
    } catch (error) {
      if (request.abortSignal?.aborted) throw cancellationOf(request.abortSignal);
      if (deadline.aborted)
        throw new AzureTimeoutError(
          `${method} ${path.split('?')[0]}: the operation did not finish within ${seconds(this.bounds.operationDeadlineMs)} (last status: ${poller.operationState?.status ?? 'not started'})`,
        );
      if (error instanceof ActionError || error instanceof CancelledError || !(error instanceof Error))
        throw error;
      // core-lro reports a failed operation as "The long-running operation has failed. <code>. <message>".
      const failed = /long-running operation has failed(?:\. ([^.\s]+)\. ([\s\S]*))?$/.exec(error.message);
      if (failed) {
        const code = failed[1] ?? 'OperationFailed';
        throw new ArmError(
          0,
          code,
          `${method} ${path.split('?')[0]} ended Failed: ${code}: ${failed[2] ?? 'no error details'}`,
        );
      }
      throw translateAzureError(error, this.options.inputs);
    }
  }
}
