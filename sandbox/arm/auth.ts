import type { IncomingMessage } from 'node:http';
import { HttpProblem } from '../http.js';
import { type AccessTokenClaims, armAudiences, TokenProblem } from '../login/entra-id.js';
import type { IdentityService } from '../login/identity.js';
import type { ResourceStore } from '../store.js';

/** ARM's bearer-token check: a sandbox-signed Entra token for an ARM audience, or 401 with a challenge. */
export async function authenticate(
  req: IncomingMessage,
  identity: IdentityService,
  armEndpoint: string,
): Promise<AccessTokenClaims> {
  const header = req.headers.authorization;
  const challenge = (error: string, description: string) => ({
    'www-authenticate': `Bearer authorization_uri="${identity.authorityHost}/${identity.tenantId}", error="${error}", error_description="${description}"`,
  });
  if (!header) {
    throw new HttpProblem(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      challenge('invalid_token', "The authentication failed because of missing 'Authorization' header."),
    );
  }
  const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (!token) {
    throw new HttpProblem(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      challenge('invalid_token', 'The access token is invalid.'),
    );
  }
  try {
    return await identity.verifyAccessToken(token, armAudiences(armEndpoint));
  } catch (error) {
    if (error instanceof TokenProblem)
      throw new HttpProblem(401, error.code, error.message, challenge('invalid_token', error.message));
    throw error;
  }
}

/** A path under another subscription is SubscriptionNotFound, as for a subscription the tenant lacks. */
export function checkSubscription(path: string, store: ResourceStore): void {
  const sub = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];
  if (sub && sub.toLowerCase() !== store.state.subscriptionId.toLowerCase()) {
    throw new HttpProblem(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  }
}

const OPERATION_STATUS = /\/operation(Results|Statuses)\/[^/]+$/i;

/**
 * Reader may GET and nothing else; Contributor may do everything but write Microsoft.Authorization (role
 * assignments: Contributor's NotActions); Owner may do everything; User Access Administrator may read and write
 * Microsoft.Authorization only; no assignment, nothing.
 */
export function authorize(
  caller: AccessTokenClaims,
  method: string,
  path: string,
  store: ResourceStore,
): void {
  // An operation's status (the Location / Azure-AsyncOperation URL of an LRO) sits at subscription scope
  // (`.../providers/Microsoft.Web/locations/<loc>/operationResults/<id>`). A principal assigned only on a
  // resource group polls the operations it started there, as on Azure: the operation engine lets through
  // the principal that started the operation (OperationEngine.require), and roles decide for anyone else.
  const anyAssignment = store.state.roleAssignments.some((a) => a.principalObjectId === caller.oid);
  if (method === 'GET' && anyAssignment && OPERATION_STATUS.test(path)) return;
  if (!rolesAllow(caller, method, path, store)) throw authorizationFailed(caller, method, path);
}

/** Whether the caller's role assignments at or above `path` allow `method` there (no exemptions). */
export function rolesAllow(
  caller: AccessTokenClaims,
  method: string,
  path: string,
  store: ResourceStore,
): boolean {
  const lowerPath = path.toLowerCase();
  const roles = store.state.roleAssignments
    .filter((a) => a.principalObjectId === caller.oid)
    .filter((a) => lowerPath === a.scope.toLowerCase() || lowerPath.startsWith(`${a.scope.toLowerCase()}/`))
    .map((a) => a.role);
  const write = method !== 'GET';
  const authorization = /\/providers\/microsoft\.authorization\//.test(lowerPath);
  const reads = !write && roles.some((r) => r === 'Reader' || r === 'User Access Administrator');
  if (roles.includes('Owner') || reads) return true;
  if (roles.includes('Contributor') && !(write && authorization)) return true;
  return write && authorization && roles.includes('User Access Administrator');
}

/** ARM's 403 for a caller without the role. */
export function authorizationFailed(caller: AccessTokenClaims, method: string, path: string): HttpProblem {
  return new HttpProblem(
    403,
    'AuthorizationFailed',
    `The client '${caller.appid}' with object id '${caller.oid}' does not have authorization to perform action '${actionName(method, path)}' over scope '${scopeOf(path)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

/** The RBAC action name ARM reports in AuthorizationFailed, derived from the path and method. */
function actionName(method: string, path: string): string {
  const providers = path.split(/\/providers\//i);
  const tail = providers[providers.length - 1] ?? '';
  const parts = tail.split('/');
  const namespace = providers.length > 1 ? parts[0] : 'Microsoft.Resources';
  const types: string[] = [];
  for (let i = 1; i < parts.length; i += 2) types.push(parts[i]!);
  const verb =
    method === 'GET' ? 'read' : method === 'DELETE' ? 'delete' : method === 'POST' ? 'action' : 'write';
  return `${namespace}/${types.join('/')}/${verb}`;
}

function scopeOf(path: string): string {
  return path.replace(
    /\/(slotsswap|slotsdiffs|applyslotconfig|resetslotconfig|restart|start|stop|list|publishxml)$/i,
    '',
  );
}
