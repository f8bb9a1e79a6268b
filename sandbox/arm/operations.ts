import { randomUUID } from 'node:crypto';
import type { SandboxClock } from '../clock.js';
import type { FaultInjector } from '../faults.js';
import { HttpProblem, sendArmError, sendJson } from '../http.js';
import type { ResourceStore } from '../store.js';
import { authorizationFailed, rolesAllow } from './auth.js';
import type { Call } from './context.js';

/** One long-running operation: what it locks, when it may finish, and what finishing does. */
export interface Operation {
  id: string;
  name: string;
  /** The resource the operation locks: other writes to it get 409 until it ends. */
  lockId: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  startTime: number;
  completeAt: number;
  endTime?: number;
  /** What the final Location poll returns on success; undefined means an empty 200. */
  result?: () => unknown;
  complete: () => void;
  rollback: () => void;
  failure?: { status: number; code: string; message: string };
  /** Work the operation waits for (the data plane's part of a swap), besides its minimum duration. */
  pending?: boolean;
  /** The object id of the principal that started it: it may poll the status without a role there. */
  initiator: string;
}

export interface OperationStart {
  name: string;
  lockId: string;
  complete: () => void;
  rollback?: () => void;
  result?: () => unknown;
  work?: () => Promise<void>;
  /** The `Location` header (the provider's operation-results URL for this operation id). */
  location: (operationId: string) => string;
  /** The `Azure-AsyncOperation` header, for the operations that send one. */
  asyncOperation?: (operationId: string) => string;
}

/**
 * ARM's long-running operations: 202 with Location (and Azure-AsyncOperation), a minimum duration from
 * the settings, a lock on the resource while it runs, injected failures that roll back, and the two
 * status endpoints clients poll. Providers say which URLs the headers carry.
 */
export class OperationEngine {
  private readonly operations = new Map<string, Operation>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: ResourceStore,
    private readonly faults: FaultInjector,
    private readonly clock: SandboxClock,
    private readonly armEndpoint: () => string,
  ) {}

  /** Stop timers so the process can exit. Operations still running are abandoned. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  lockedBy(lockId: string): Operation | undefined {
    this.settle();
    const key = lockId.toLowerCase();
    return [...this.operations.values()].find(
      (o) => o.status === 'InProgress' && o.lockId.toLowerCase() === key,
    );
  }

  assertUnlocked(lockId: string): void {
    const op = this.lockedBy(lockId);
    if (op) {
      throw new HttpProblem(
        409,
        'Conflict',
        `Cannot modify this site because another operation is in progress. Details: Id: ${op.id}, OperationName: ${op.name}, CreatedTime: ${new Date(op.startTime).toISOString()}, EntityType: 1`,
      );
    }
  }

  settle(): void {
    const now = this.clock.now();
    for (const op of this.operations.values()) {
      if (op.status !== 'InProgress' || now < op.completeAt || op.pending) continue;
      op.endTime = now;
      if (op.failure) {
        op.status = 'Failed';
        op.rollback();
      } else {
        op.status = 'Succeeded';
        op.complete();
      }
    }
  }

  start(c: Call, args: OperationStart): Operation {
    const now = this.clock.now();
    const fault = this.faults.takeLroFailure(c.req.method!, c.url.pathname);
    const op: Operation = {
      id: randomUUID(),
      name: args.name,
      lockId: args.lockId,
      status: 'InProgress',
      startTime: now,
      initiator: c.caller.oid,
      completeAt: now + this.store.state.settings.operationDurationMs,
      complete: args.complete,
      rollback: args.rollback ?? (() => {}),
      ...(args.result ? { result: args.result } : {}),
      ...(fault
        ? {
            failure: {
              status: fault.status ?? 400,
              code: fault.code ?? 'OperationFailed',
              message:
                fault.message ??
                `The operation '${args.name}' failed (injected by the sandbox's fault injection).`,
            },
          }
        : {}),
    };
    this.operations.set(op.id, op);
    if (args.work && !op.failure) {
      op.pending = true;
      args.work().then(
        () => {
          op.pending = false;
          this.settle();
        },
        (error: Error) => {
          op.pending = false;
          op.failure = { status: 400, code: 'SwapFailed', message: `Swap failed: ${error.message}` };
          this.settle();
        },
      );
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.settle();
    }, this.store.state.settings.operationDurationMs + 5);
    timer.unref();
    this.timers.add(timer);
    c.res.setHeader('location', args.location(op.id));
    c.res.setHeader('retry-after', String(this.store.state.settings.retryAfterSeconds));
    if (args.asyncOperation) c.res.setHeader('azure-asyncoperation', args.asyncOperation(op.id));
    return op;
  }

  /** The operation, for its initiator or a caller whose roles reach the status URL's scope. */
  private require(c: Call, id: string): Operation {
    this.settle();
    const op = this.operations.get(id);
    const mayRead = (): boolean =>
      op?.initiator === c.caller.oid || rolesAllow(c.caller, 'GET', c.url.pathname, this.store);
    // Someone else's operation answers as the router would without the status exemption (403), so an
    // operation id neither leaks nor exists for a principal with no role there.
    if (!mayRead()) throw authorizationFailed(c.caller, 'GET', c.url.pathname);
    if (!op) throw new HttpProblem(404, 'ResourceNotFound', `The operation '${id}' was not found.`);
    return op;
  }

  /** The Azure-AsyncOperation poll: always 200, with the status in the body. */
  sendAsyncStatus(c: Call, id: string): void {
    const op = this.require(c, id);
    sendJson(c.res, 200, {
      id: c.url.pathname,
      name: op.id,
      status: op.status,
      startTime: new Date(op.startTime).toISOString(),
      ...(op.endTime ? { endTime: new Date(op.endTime).toISOString() } : {}),
      ...(op.status === 'Failed' ? { error: { code: op.failure!.code, message: op.failure!.message } } : {}),
    });
  }

  /** The Location poll: 202 while running, then the result (200) or the failure as an ARM error. */
  sendLocationStatus(c: Call, id: string): void {
    const op = this.require(c, id);
    if (op.status === 'InProgress') {
      sendJson(c.res, 202, undefined, {
        location: `${this.armEndpoint()}${c.url.pathname}${c.url.search}`,
        'retry-after': String(this.store.state.settings.retryAfterSeconds),
      });
    } else if (op.status === 'Failed') {
      sendArmError(c.res, new HttpProblem(op.failure!.status, op.failure!.code, op.failure!.message));
    } else {
      sendJson(c.res, 200, op.result?.());
    }
  }
}
