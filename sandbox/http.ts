import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request bodies above this are refused: nothing the control plane accepts comes close. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** More of ARM's error object: `target`, `details`, `additionalInfo`. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpProblem(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text).toString(),
    ...headers,
  });
  res.end(text);
}

/** ARM's error envelope; every ARM refusal carries a request id as real ARM does. */
export function sendArmError(res: ServerResponse, problem: HttpProblem): void {
  sendJson(
    res,
    problem.status,
    { error: { code: problem.code, message: problem.message, ...problem.extra } },
    { 'x-ms-failure-cause': problem.status >= 500 ? 'service' : 'gateway', ...problem.headers },
  );
}

/** Parse a JSON request body, refusing anything else the way ARM does. */
export function parseJsonBody(text: string, required = true): unknown {
  if (text.trim() === '') {
    if (required)
      throw new HttpProblem(
        400,
        'InvalidRequestContent',
        'The request content was invalid and could not be deserialized: the body is empty.',
      );
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${(error as Error).message}'.`,
    );
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
