import { type GroupRunResult, runInProcessGroup } from '../lib/exec.js';

export { type Which, whichOnPath } from '../lib/which.js';

export type ExecResult = GroupRunResult;

export type Exec = (
  file: string,
  args: readonly string[],
  opts: {
    cwd: string;
    timeoutMs: number;
    /** Exactly what the scanner sees (see scrubbedEnv): nothing of this process's environment is inherited. */
    env: NodeJS.ProcessEnv;
    signal?: AbortSignal;
  },
) => Promise<ExecResult>;

/**
 * Run a scanner without a shell (paths with spaces or quotes stay literal), in its own process group so
 * a timeout, a cancelled run or the end of the action stops it and everything it started.
 */
export const execFile: Exec = (file, args, opts) => runInProcessGroup(file, args, opts);
