import { open, readdir } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';

/** What the repository holds, as far as choosing scanners goes. Paths are relative, forward slashes. */
export interface Inventory {
  pythonFiles: string[];
  shellFiles: string[];
  /** package-lock.json or npm-shrinkwrap.json at the root: what `npm audit` reads. */
  npmLockfile?: string;
  requirementsFiles: string[];
  fileCount: number;
  /** The walk stopped at the file cap. */
  capped: boolean;
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

export async function takeInventory(root: string): Promise<Inventory> {
  const inventory: Inventory = {
    pythonFiles: [],
    shellFiles: [],
    requirementsFiles: [],
    fileCount: 0,
    capped: false,
  };
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
      const rel = relative(root, full).split(sep).join('/');
      const ext = extname(entry.name).toLowerCase();
      if (ext === '.py') inventory.pythonFiles.push(rel);
      else if (SHELL_EXTENSIONS.has(ext)) inventory.shellFiles.push(rel);
      else if (ext === '' && SHELL_SHEBANG.test(await firstLine(full).catch(() => '')))
        inventory.shellFiles.push(rel);
      if (dir === root && (entry.name === 'package-lock.json' || entry.name === 'npm-shrinkwrap.json'))
        inventory.npmLockfile ??= rel;
      if (/^requirements.*\.txt$/i.test(entry.name)) inventory.requirementsFiles.push(rel);
    }
  }
  for (const list of [inventory.pythonFiles, inventory.shellFiles, inventory.requirementsFiles]) list.sort();
  return inventory;
}
