import { lstat, open, readdir } from 'node:fs/promises';
import { extname, join, posix, relative, sep } from 'node:path';

/** What the repository holds, as far as choosing scanners goes. Paths are relative, forward slashes. */
export interface Inventory {
  pythonFiles: string[];
  shellFiles: string[];
  /** Every regular file to scan for secrets. */
  files: string[];
  /** package-lock.json or npm-shrinkwrap.json at the root: what `npm audit` reads. */
  npmLockfile?: string;
  requirementsFiles: string[];
  /** Container, IaC and dependency files trivy reads: with any, the tree needs trivy. */
  trivyFiles: string[];
  fileCount: number;
  /** The walk stopped at the file cap. */
  capped: boolean;
  /** Paths git ignores (folders end in /), for scanners that walk the tree themselves. */
  ignored: string[];
  /** The list came from git rather than a walk. */
  fromGit: boolean;
}

/** Folders no scanner should walk: dependencies, virtualenvs, VCS metadata, caches. */
export const IGNORED_DIRS = new Set([
  '.git',
  'node_modules',
  '.venv',
  'venv',
  '__pycache__',
  '.tox',
  '.mypy_cache',
  '.pytest_cache',
]);
const SHELL_EXTENSIONS = new Set(['.sh', '.bash', '.ksh', '.dash']);
const SHELL_SHEBANG = /^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:ba|da|k)?sh\b/;
const MAX_FILES = 100_000;

/**
 * What makes the tree need trivy: container files (Dockerfile, Containerfile), IaC it checks for
 * misconfiguration (Terraform, Helm charts) and the dependency manifests and lockfiles its vulnerability
 * scanner reads. Kubernetes and CloudFormation YAML are not recognised by name, so they alone do not.
 */
const TRIVY_NAMES = new Set([
  'dockerfile',
  'containerfile',
  'chart.yaml',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'pipfile.lock',
  'poetry.lock',
  'uv.lock',
  'go.mod',
  'cargo.lock',
  'gemfile.lock',
  'composer.lock',
  'pom.xml',
  'packages.lock.json',
]);

function isTrivyFile(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    TRIVY_NAMES.has(lower) ||
    /^(?:docker|container)file\./.test(lower) ||
    /\.(?:dockerfile|tf|tf\.json)$/.test(lower) ||
    /^requirements.*\.txt$/.test(lower)
  );
}

async function firstLine(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(128);
    const { bytesRead } = await handle.read(buffer, 0, 128, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
  } finally {
    await handle.close();
  }
}

function emptyInventory(): Inventory {
  return {
    pythonFiles: [],
    shellFiles: [],
    files: [],
    requirementsFiles: [],
    trivyFiles: [],
    fileCount: 0,
    capped: false,
    ignored: [],
    fromGit: false,
  };
}

async function classify(inventory: Inventory, root: string, rel: string): Promise<void> {
  const name = posix.basename(rel);
  const ext = extname(name).toLowerCase();
  inventory.files.push(rel);
  if (ext === '.py') inventory.pythonFiles.push(rel);
  else if (SHELL_EXTENSIONS.has(ext)) inventory.shellFiles.push(rel);
  else if (ext === '' && SHELL_SHEBANG.test(await firstLine(join(root, rel)).catch(() => '')))
    inventory.shellFiles.push(rel);
  if (!rel.includes('/') && (name === 'package-lock.json' || name === 'npm-shrinkwrap.json'))
    inventory.npmLockfile ??= rel;
  if (/^requirements.*\.txt$/i.test(name)) inventory.requirementsFiles.push(rel);
  if (isTrivyFile(name)) inventory.trivyFiles.push(rel);
}

function finish(inventory: Inventory): Inventory {
  for (const list of [
    inventory.pythonFiles,
    inventory.shellFiles,
    inventory.requirementsFiles,
    inventory.trivyFiles,
    inventory.files,
  ])
    list.sort();
  return inventory;
}

/**
 * From git's list (tracked plus untracked-not-ignored): only regular files that exist (a tracked file
 * deleted in the work tree, or a symlink, is skipped: GitHub shows no results reached through links),
 * outside the dependency and cache folders the walk skips too.
 */
export async function inventoryFromList(
  root: string,
  paths: readonly string[],
  ignored: readonly string[] = [],
): Promise<Inventory> {
  const inventory = { ...emptyInventory(), ignored: [...ignored], fromGit: true };
  for (const rel of paths) {
    if (rel.split('/').some((part) => IGNORED_DIRS.has(part))) continue;
    const stat = await lstat(join(root, rel)).catch(() => undefined);
    if (!stat?.isFile()) continue;
    inventory.fileCount++;
    await classify(inventory, root, rel);
  }
  return finish(inventory);
}

/** Outside a git work tree: walk the folder. */
export async function takeInventory(root: string): Promise<Inventory> {
  const inventory = emptyInventory();
  const pending = [root];
  while (pending.length > 0 && !inventory.capped) {
    const dir = pending.pop()!;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!IGNORED_DIRS.has(entry.name)) pending.push(full);
        continue;
      }
      if (!entry.isFile()) continue; // symlinks: GitHub does not show results reached through them
      if (++inventory.fileCount > MAX_FILES) {
        inventory.capped = true;
        break;
      }
      await classify(inventory, root, relative(root, full).split(sep).join('/'));
    }
  }
  return finish(inventory);
}
