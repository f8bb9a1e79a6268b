import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { Env } from '../lib/inputs.js';
import type { GitRunner } from './files.js';

/** Where the allowlist text came from, for the log. */
export interface AllowlistText {
  /** undefined: the base commit has no such file (no entries). */
  text: string | undefined;
  source: string;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The base commit of a pull_request* event, from the event payload the runner writes. */
export async function pullRequestBase(env: Env): Promise<string | undefined> {
  if (!env['GITHUB_EVENT_NAME']?.startsWith('pull_request') || !env['GITHUB_EVENT_PATH']) return undefined;
  try {
    const event = JSON.parse(await readFile(env['GITHUB_EVENT_PATH'], 'utf8')) as {
      pull_request?: { base?: { sha?: unknown } };
    };
    const sha = event.pull_request?.base?.sha;
    return typeof sha === 'string' && SHA.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The allowlist a pull request cannot widen: on pull_request* events it is read from the base commit
 * (`git cat-file blob <base>:<path>`, which runs nothing from the tree). An entry the pull request adds
 * has no effect until merged, and deleting the file removes none. A checkout without the base commit
 * (fetch-depth: 1) falls back to the working copy, with a warning.
 */
export async function readAllowlistText(
  file: string,
  opts: {
    env: Env;
    cwd: string;
    /** Started only on a pull_request* event; undefined when git is not on PATH. */
    git: () => Promise<GitRunner | undefined>;
    warn: (message: string) => void;
  },
): Promise<AllowlistText> {
  const full = resolve(opts.cwd, file);
  const workingCopy = async (): Promise<AllowlistText> => ({
    text: await readFile(full, 'utf8'),
    source: full,
  });
  const base = await pullRequestBase(opts.env);
  const rel = relative(opts.cwd, full);
  // A file outside the checkout is not the pull request's to change.
  if (!base || rel.startsWith('..') || isAbsolute(rel)) return workingCopy();
  const git = await opts.git();
  const fallback = (why: string): Promise<AllowlistText> => {
    opts.warn(
      `allowlist: ${why}, so ${file} is read from the pull request's own files, which it can change. Check out with fetch-depth: 2 (or 0) so the allowlist comes from the base branch.`,
    );
    return workingCopy();
  };
  if (!git) return fallback(`git is not on PATH to read the base commit ${base.slice(0, 12)}`);
  if (!(await git(['cat-file', '-e', `${base}^{commit}`], opts.cwd)).ok)
    return fallback(`the pull request's base commit ${base.slice(0, 12)} is not in this checkout`);
  const blob = await git(['cat-file', 'blob', `${base}:./${rel.split(sep).join('/')}`], opts.cwd);
  return { text: blob.ok ? blob.stdout : undefined, source: `${file} at base commit ${base.slice(0, 12)}` };
}
