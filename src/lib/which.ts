import { constants, realpathSync } from 'node:fs';
import { access, realpath } from 'node:fs/promises';
import { delimiter, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The one PATH lookup of slotline, with the rule that keeps security-scan safe: nothing inside the scanned
 * tree runs. A pull request controls that tree, so a `bandit` or `git` planted there (or a symlink leading
 * there, or a relative PATH entry that resolves there) must never be found.
 *
 * Not @actions/io's `which(tool)`: it reads only this process's PATH (we look up over the scrubbed PATH the
 * scanners get), and it has no way to refuse a folder, neither a PATH entry nor a symlink's real target.
 */

/** Where a command lives, or undefined: PATH lookup, injectable so tests can hide or add tools. */
export type Which = (command: string) => Promise<string | undefined>;

/** Is `path` the folder `root` or inside it? Both should be absolute and normalised the same way. */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * PATH entries a program may be taken from: absolute folders outside every `untrusted` folder, as
 * written and with symlinks resolved. A relative entry (or an empty one, which means the working
 * directory) would resolve inside the scanned tree, whose contents a pull request controls.
 */
export function trustedPathEntries(pathValue: string | undefined, untrusted: readonly string[]): string[] {
  const roots = untrusted.flatMap((root) => [resolve(root), realOrSelf(root)]);
  return (pathValue ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && isAbsolute(dir))
    .filter((dir) => !roots.some((root) => isInside(resolve(dir), root) || isInside(realOrSelf(dir), root)));
}

/**
 * PATH lookup over `pathValue` (default: this process's PATH), never finding a program inside an
 * `untrusted` folder, whether by its PATH entry or by a symlink that leads there.
 */
export function whichOnPath(
  pathValue: string | undefined = process.env['PATH'],
  untrusted: readonly string[] = [],
): Which {
  const dirs = trustedPathEntries(pathValue, untrusted);
  const roots = untrusted.flatMap((root) => [resolve(root), realOrSelf(root)]);
  return async (command) => {
    for (const dir of dirs) {
      const candidate = join(dir, command);
      try {
        await access(candidate, constants.X_OK);
      } catch {
        continue; // not here; next directory
      }
      const real = await realpath(candidate).catch(() => candidate);
      if (!roots.some((root) => isInside(real, root))) return candidate;
    }
    return undefined;
  };
}
