/** Base class for every error slotline raises on purpose; anything else is a bug. */
export class ActionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The user configured the action wrongly: a missing or malformed input. */
export class InputError extends ActionError {}

/** The action ran correctly and the answer is red: a failed smoke test, a breached gate, a finding. */
export class CheckFailedError extends ActionError {}

/** A wait ran out of time before the awaited state was reached. */
export class TimeoutError extends ActionError {}

/**
 * Node's and undici's error codes, in words. A user reading `connect ECONNREFUSED 10.0.0.4:443` has to
 * know the code; `10.0.0.4:443: connection refused (ECONNREFUSED)` says it and keeps the code to search.
 */
const SYSTEM_ERROR_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the other side',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed for now (DNS)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  UND_ERR_CONNECT_TIMEOUT: 'no connection within the connect timeout (TCP connect or TLS handshake)',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the response body stalled',
  UND_ERR_SOCKET: 'connection closed by the other side',
  CERT_HAS_EXPIRED: 'the TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the TLS certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'the TLS certificate chain ends in an untrusted certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the TLS certificate cannot be verified (unknown issuer)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the TLS certificate issuer is not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the TLS certificate does not match the host name',
};

/** The runner's file-command variables: a path in an error that is one of these is named by its variable. */
export const RUNNER_FILE_VARIABLES = [
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
  'GITHUB_ENV',
  'GITHUB_PATH',
];

/** The words for a Node or undici error code, when it is one we explain. */
export function systemErrorWords(code: string): string | undefined {
  return Object.hasOwn(SYSTEM_ERROR_WORDS, code) ? SYSTEM_ERROR_WORDS[code] : undefined;
}

interface SystemErrorLike {
  code: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
}

function asSystemError(value: unknown): SystemErrorLike | undefined {
  const code = (value as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code in SYSTEM_ERROR_WORDS ? (value as SystemErrorLike) : undefined;
}

/** The error itself, its `cause`, or the first of an AggregateError's errors (Node's dual-stack connect). */
function findSystemError(error: unknown, depth = 0): SystemErrorLike | undefined {
  if (error === null || typeof error !== 'object' || depth > 4) return undefined;
  const own = asSystemError(error);
  const nested = (error as { errors?: unknown }).errors;
  const first = Array.isArray(nested) ? findSystemError(nested[0], depth + 1) : undefined;
  // An AggregateError carries the code, and its members carry the address.
  if (own && first?.code === own.code) return first;
  return own ?? first ?? findSystemError((error as { cause?: unknown }).cause, depth + 1);
}

function runnerFileVariable(path: string, env: NodeJS.ProcessEnv): string | undefined {
  return RUNNER_FILE_VARIABLES.find((name) => env[name] !== undefined && env[name] === path);
}

/** `<what>: <words> (<CODE>)`, naming the program, file or address the system call was about. */
export function describeSystemError(error: SystemErrorLike, env: NodeJS.ProcessEnv = process.env): string {
  const code = error.code;
  const syscall = error.syscall ?? '';
  if (syscall.startsWith('spawn')) {
    const program = error.path ?? syscall.replace(/^spawn\s*/, '');
    if (code === 'ENOENT') return `${program}: program not found on PATH (ENOENT)`;
    if (code === 'EACCES') return `${program}: program is not executable (EACCES)`;
  }
  const words = SYSTEM_ERROR_WORDS[code] ?? 'system error';
  let subject: string | undefined;
  if (error.path !== undefined) {
    const variable = runnerFileVariable(error.path, env);
    subject = variable ? `the runner's ${variable} file ${error.path}` : error.path;
  } else if (error.address !== undefined) {
    subject = error.port === undefined ? error.address : `${error.address}:${error.port}`;
  } else if (error.hostname !== undefined) {
    subject = error.hostname;
  }
  return subject ? `${subject}: ${words} (${code})` : `${words} (${code})`;
}

/** @actions/core's words for a file command whose file is gone. */
const MISSING_FILE = /^Missing file at path: (.*)$/;

/** A message for users: system errors in words, wherever they sit in the cause chain. */
export function errorMessage(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const missing = error instanceof Error ? MISSING_FILE.exec(error.message) : null;
  if (missing) {
    const variable = runnerFileVariable(missing[1]!, env);
    return variable
      ? `the runner's ${variable} file ${missing[1]} does not exist`
      : `${missing[1]}: no such file or directory (ENOENT)`;
  }
  if (!(error instanceof ActionError)) {
    const system = findSystemError(error);
    if (system) {
      const described = describeSystemError(system, env);
      // Node's own message for the error itself ("connect ECONNREFUSED 127.0.0.1:9") adds nothing;
      // a wrapper's ("fetch failed", "could not push") is context worth keeping.
      if (system === error || (asSystemError(error) && system.code === (error as SystemErrorLike).code))
        return described;
      const outer = plainMessage(error);
      return outer && !outer.includes(described) ? `${outer}: ${described}` : described;
    }
  }
  return plainMessage(error);
}

function plainMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/**
 * Whether an error is one we can explain to a user: our own, a system error (a refused connection, a
 * missing program) or the runner's missing file. Anything else is a bug, reported as unexpected.
 */
export function isExplainedError(error: unknown): boolean {
  return (
    error instanceof ActionError ||
    findSystemError(error) !== undefined ||
    (error instanceof Error && MISSING_FILE.test(error.message))
  );
}

/** A system error's words without its subject, `permission denied (EACCES)`; any other error's message. */
export function systemErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const words = code === undefined ? undefined : systemErrorWords(code);
  if (words) return `${words} (${code})`;
  return error instanceof Error ? error.message : String(error);
}
