import { randomUUID } from 'node:crypto';
import { lstatSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { ActionError, systemErrorText } from '../lib/errors.js';

/**
 * Registry credentials (a buildah/podman auth file, or a Docker config) live in one private directory
 * under RUNNER_TEMP, which the runner empties after the job, never under os.tmpdir(), which outlives it on
 * a self-hosted runner. The directory's path is saved as step state BEFORE it is created, so when the
 * step is killed outright (SIGKILL) the post step still knows what to remove.
 */

/** Step-state key of the credentials directory; the post step reads it back from `STATE_credentialsDir`. */
export const CREDENTIALS_STATE = 'credentialsDir';

const PREFIX = 'slotline-build-image-auth-';
const OURS = /^slotline-build-image-auth-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class CredentialsDir {
  private path?: string;

  constructor(
    /** RUNNER_TEMP; undefined is an error only once credentials must be written. */
    private readonly runnerTemp: string | undefined,
    private readonly saveState: (name: string, value: string) => void,
  ) {}

  /** The directory, created (mode 0700) on first use, after its path was saved as step state. */
  create(): string {
    if (this.path) return this.path;
    if (!this.runnerTemp) {
      throw new ActionError(
        'the runner variable RUNNER_TEMP is not set: build-image keeps registry credentials there so they end with the job',
      );
    }
    const path = join(resolve(this.runnerTemp), `${PREFIX}${randomUUID()}`);
    this.saveState(CREDENTIALS_STATE, path);
    this.path = path;
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      throw new ActionError(
        `cannot create the registry credentials directory in RUNNER_TEMP (${this.runnerTemp}): ${systemErrorText(error)}`,
      );
    }
    return path;
  }

  /** Synchronous, so that a signal handler can call it too; removing twice is harmless. */
  remove(): void {
    if (this.path) rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * The post step's sweep: remove the credentials directory a killed main step left behind. Only a path
 * that looks like ours is touched: directly in RUNNER_TEMP, named as create() names it, a real directory
 * (not a symlink). Returns what it found, for the log.
 */
export function sweepCredentials(saved: string, runnerTemp: string | undefined): string {
  if (!runnerTemp) return 'RUNNER_TEMP is not set, so the saved credentials path was left alone';
  const path = resolve(saved);
  const ours =
    isAbsolute(saved) && dirname(path) === resolve(runnerTemp) && OURS.test(basename(path)) && path === saved;
  if (!ours)
    return `the saved path ${JSON.stringify(saved)} is not a build-image credentials directory: left alone`;
  let isDirectory: boolean;
  try {
    const stat = lstatSync(path);
    isDirectory = stat.isDirectory() && !stat.isSymbolicLink();
  } catch {
    return 'no registry credentials were left behind';
  }
  if (!isDirectory) return `${path} is not a directory: left alone`;
  rmSync(path, { recursive: true, force: true });
  return `removed the registry credentials the main step left behind (${path})`;
}
