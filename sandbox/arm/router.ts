import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { HttpProblem, parseJsonBody, readBody, sendArmError } from '../http.js';
import type { AccessTokenClaims } from '../login/entra-id.js';
import { authenticate, authorize, checkSubscription } from './auth.js';
import type { ArmContext, Handler, RouteOptions, Routes } from './context.js';

interface Route extends RouteOptions {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/**
 * ARM's front door: request ids, bearer auth, the api-version rule, case-insensitive paths, 404/405 for
 * what no provider serves, the subscription and role checks, and ARM's error envelope.
 */
export class Router implements Routes {
  private readonly routes: Route[] = [];

  constructor(private readonly ctx: ArmContext) {}

  add(method: string, pattern: string, handler: Handler, options: RouteOptions = {}): void {
    this.routes.push({ method, pattern: new RegExp(`^${pattern}$`, 'i'), handler, ...options });
  }

  private find(method: string, path: string): Route | undefined {
    return this.routes.find((r) => r.pattern.test(path) && r.method === method);
  }

  /** Whether a provider (not a fallback route) serves `method` on `path`. */
  serves(method: string, path: string): boolean {
    const route = this.find(method, path);
    return route !== undefined && !route.fallback;
  }

  /**
   * A request made inside the sandbox, through this front door exactly as one from outside (auth, roles,
   * locks, the provider's own handler): the deployments engine writes resources this way.
   */
  async dispatch(
    method: string,
    pathAndQuery: string,
    authorization: string | undefined,
    body?: unknown,
  ): Promise<InternalResponse> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const req = Object.assign(Readable.from(text ? [Buffer.from(text)] : []), {
      method,
      url: pathAndQuery,
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(text ? { 'content-type': 'application/json' } : {}),
      },
    }) as unknown as IncomingMessage;
    const res = new InternalResponse();
    await this.handle(
      req,
      res as unknown as ServerResponse,
      new URL(pathAndQuery, 'https://sandbox.internal'),
    );
    return res;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    res.setHeader('x-ms-request-id', randomUUID());
    res.setHeader(
      'x-ms-correlation-request-id',
      req.headers['x-ms-correlation-request-id']?.toString() ?? randomUUID(),
    );
    try {
      this.ctx.operations.settle();
      // Paths are case-insensitive and tolerate a doubled or trailing slash, as ARM's front door does.
      const path = url.pathname.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
      const route = this.find(req.method!, path);
      const caller = route?.anonymous
        ? ANONYMOUS
        : await authenticate(req, this.ctx.identity, this.ctx.armEndpoint);
      if (!url.searchParams.has('api-version')) {
        throw new HttpProblem(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
      }
      if (!route) {
        const anyMethod = this.routes.some((r) => !r.fallback && r.pattern.test(path));
        if (anyMethod)
          throw new HttpProblem(
            405,
            'MethodNotAllowed',
            `The requested resource does not support http method '${req.method}'.`,
          );
        throw new HttpProblem(
          404,
          'NoRegisteredProviderFound',
          `No registered resource provider found for path '${path}' and API version '${url.searchParams.get('api-version')}'.`,
        );
      }
      const m = route.pattern
        .exec(path)!
        .map((g) => (g === undefined ? g : decodeURIComponent(g))) as string[];
      checkSubscription(path, this.ctx.store);
      if (!route.anonymous && !route.anyCaller) authorize(caller, req.method!, path, this.ctx.store);
      let parsed: { value: unknown } | undefined;
      const body = async () => {
        parsed ??= { value: parseJsonBody(await readBody(req), false) };
        return parsed.value;
      };
      await route.handler({ req, res, url, m, caller, body });
    } catch (error) {
      if (error instanceof HttpProblem) sendArmError(res, error);
      else {
        sendArmError(
          res,
          new HttpProblem(500, 'InternalServerError', 'The sandbox hit an unexpected error; see its log.'),
        );
        console.error(`sandbox: ARM ${req.method} ${url.pathname}: ${(error as Error).stack ?? error}`);
      }
    }
  }
}

/** The caller of an anonymous route: no principal, no roles. */
const ANONYMOUS: AccessTokenClaims = { appid: '', oid: '', tid: '' };

/** What `dispatch` collects of a response: the status, the headers (lower-case names) and the JSON body. */
export class InternalResponse {
  status = 0;
  readonly headers: Record<string, string> = {};
  text = '';

  setHeader(name: string, value: string | number): this {
    this.headers[name.toLowerCase()] = String(value);
    return this;
  }

  writeHead(status: number, headers: Record<string, string> = {}): this {
    this.status = status;
    for (const [k, v] of Object.entries(headers)) this.setHeader(k, v);
    return this;
  }

  end(text?: string): this {
    this.text = text ?? '';
    return this;
  }

  get json(): Record<string, unknown> | undefined {
    return this.text ? (JSON.parse(this.text) as Record<string, unknown>) : undefined;
  }
}
