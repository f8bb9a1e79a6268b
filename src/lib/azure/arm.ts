import type { TokenCredential } from '@azure/core-auth';
import type { OperationResponse, OperationState, PollerLike } from '@azure/core-lro';
import type { HttpClient, Pipeline, PipelineResponse } from '@azure/core-rest-pipeline';
import { ArmError, translateAzureError } from './errors.js';
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
}

export interface ArmRequest {
  apiVersion: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Aborts the call (and, for long-running operations, every poll): cancellation reaches the socket. */
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
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = error?.code ?? `Http${response.status}`;
  const message =
    error?.message ?? (typeof body === 'string' && body ? body.slice(0, 300) : `HTTP ${response.status}`);
  return new ArmError(
    response.status,
    code,
    `${response.request.method} ${new URL(response.request.url).pathname} failed: ${response.status} ${code}: ${message}`,
    response.headers.get('x-ms-request-id') ?? undefined,
  );
}

/**
 * A small ARM client on the Azure SDK's own pipeline: bearer tokens (refreshed by the credential),
 * retries with Retry-After, and long-running operations polled by @azure/core-lro.
 */
export class ArmClient {
  private constructor(
    private readonly pipeline: Pipeline,
    private readonly httpClient: HttpClient,
    private readonly sdk: typeof import('@azure/core-rest-pipeline'),
    private readonly lro: typeof import('@azure/core-lro'),
    private readonly options: ArmClientOptions,
  ) {}

  static async create(options: ArmClientOptions): Promise<ArmClient> {
    const [sdk, lro] = await Promise.all([import('@azure/core-rest-pipeline'), import('@azure/core-lro')]);
    const pipeline = sdk.createPipelineFromOptions({
      retryOptions: {
        maxRetries: options.maxRetries ?? 4,
        retryDelayInMs: options.retryDelayInMs ?? 800,
        maxRetryDelayInMs: options.maxRetryDelayInMs ?? 30_000,
      },
      userAgentOptions: { userAgentPrefix: 'slotline' },
    });
    pipeline.addPolicy(
      sdk.bearerTokenAuthenticationPolicy({
        credential: options.credential,
        scopes: armScope(options.inputs.armEndpoint),
      }),
    );
    return new ArmClient(pipeline, sdk.createDefaultHttpClient(), sdk, lro, options);
  }

  get subscriptionId(): string {
    return this.options.inputs.subscriptionId;
  }

  private url(path: string, request?: ArmRequest): string {
    const url = new URL(
      path.startsWith('https://')
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
      throw translateAzureError(error, this.options.inputs);
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
          const response = await this.send(
            method,
            this.url(path, request),
            request.body,
            request.abortSignal,
          );
          const body = parseBody(response);
          if (response.status >= 400)
            throw translateAzureError(toArmError(response, body), this.options.inputs);
          return toOperationResponse(response, body);
        },
        // Poll responses go to core-lro as they are: it reads a 4xx/5xx or a "Failed" status as the
        // operation's failure and raises it with the service's error code and message.
        sendPollRequest: async (pollPath) => {
          const response = await this.send('GET', this.url(pollPath), undefined, request.abortSignal);
          return toOperationResponse(response, parseBody(response));
        },
      },
      {
        resourceLocationConfig: request.finalState ?? 'location',
        intervalInMs: this.options.pollIntervalMs ?? 2000,
        ...(request.skipFinalGet ? { skipFinalGet: true } : {}),
      },
    );
    return poller;
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
    const poller = this.beginLongRunning<T>(method, path, request);
    try {
      return await poller.pollUntilDone({ abortSignal: request.abortSignal });
    } catch (error) {
      if (error instanceof ArmError || !(error instanceof Error)) throw error;
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
