/** The one way build-image runs a program; tests inject their own to record or script the calls. */

export interface ExecOptions {
  /** Written to the program's stdin (passwords go here, never into argv). */
  input?: string;
  /** Do not echo the program's output to the log (it is still captured). */
  silent?: boolean;
  env?: Record<string, string>;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type Exec = (command: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** @actions/exec, never throwing on a non-zero exit: callers turn exit codes into clear errors. */
export const actionsExec: Exec = async (command, args, options = {}) => {
  const { getExecOutput } = await import('@actions/exec');
  try {
    return await getExecOutput(command, [...args], {
      ignoreReturnCode: true,
      silent: options.silent ?? false,
      input: options.input === undefined ? undefined : Buffer.from(options.input),
      // Always explicit: spawn's own default reads the real process environment, which a test sandbox
      // (jest) does not share with the `process.env` this module sees.
      env: { ...process.env, ...options.env } as Record<string, string>,
    });
  } catch (error) {
    // A missing program rejects instead of exiting: report it the way a shell would.
    return { exitCode: 127, stdout: '', stderr: error instanceof Error ? error.message : String(error) };
  }
};
