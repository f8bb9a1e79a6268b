import type { Exec } from '../lib/exec.js';

/**
 * Git settings that keep `git` from running anything configured in the repository: no fsmonitor hook,
 * no hooks at all. (Reading the index and object store runs no filters.)
 */
export const SAFE_GIT = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'];

/** Runs git with SAFE_GIT prepended, in `cwd`, with the scanners' scrubbed environment. */
export type GitRunner = (args: readonly string[], cwd: string) => Promise<{ ok: boolean; stdout: string }>;

export function gitRunner(exec: Exec, git: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): GitRunner {
  return async (args, cwd) => {
    const result = await exec(git, [...SAFE_GIT, ...args], { cwd, env, timeoutMs: 120_000, signal });
    return { ok: result.exitCode === 0, stdout: result.stdout };
  };
}

const splitZ = (text: string): string[] => text.split('\0').filter((p) => p !== '');

/**
 * What code scanning can show: in a git work tree, the tracked files plus untracked files that are not
 * ignored, relative to `root`. Undefined when `root` is not in a work tree (then the caller walks it).
 * `ignored` is what the scanners that walk on their own (trivy, gitleaks) must skip: ignored files,
 * and whole ignored folders as `dir/`.
 */
export async function gitFileList(
  git: GitRunner,
  root: string,
): Promise<{ files: string[]; ignored: string[] } | undefined> {
  const inside = await git(['rev-parse', '--is-inside-work-tree'], root);
  if (!inside.ok || inside.stdout.trim() !== 'true') return undefined;
  const listed = await git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root);
  if (!listed.ok) return undefined;
  const ignored = await git(
    ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'],
    root,
  );
  return { files: [...new Set(splitZ(listed.stdout))], ignored: ignored.ok ? splitZ(ignored.stdout) : [] };
}

/** `./`-prefixed, so a file named `-x.py` or `--help.sh` is never read as an option. */
export function asOperand(path: string): string {
  return path.startsWith('/') ? path : `./${path}`;
}

/** Split paths into command lines of at most `maxBytes` of arguments (Linux allows ~2 MB in all). */
export function batchesBySize(paths: readonly string[], maxBytes = 256 * 1024): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const path of paths) {
    const bytes = Buffer.byteLength(path) + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(path);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
