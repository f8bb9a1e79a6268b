import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildahArgs } from '../container-storage.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** Where Debian's busybox-static puts its binary; the image is that binary plus two shell scripts. */
export const BUSYBOX = '/bin/busybox';

/**
 * Build the sandbox test app with buildah (`FROM scratch` + busybox-static) into the given storage,
 * tagged `tag`. Takes about a second; fails clearly when buildah or busybox-static is missing.
 */
export async function buildTestImage(tag: string, storageRoot: string, version = 'dev'): Promise<void> {
  const context = mkdtempSync(join(tmpdir(), 'slotline-testimage-'));
  try {
    for (const file of ['Containerfile', 'entrypoint.sh', 'handler.sh'])
      copyFileSync(join(here, file), join(context, file));
    try {
      copyFileSync(BUSYBOX, join(context, 'busybox'));
    } catch {
      throw new Error(
        `${BUSYBOX} is missing: install Debian's busybox-static (scripts/install-system-deps.sh)`,
      );
    }
    const args = [
      ...buildahArgs(storageRoot),
      'bud',
      '--isolation',
      'chroot',
      '-q',
      '--build-arg',
      `VERSION=${version}`,
      '-t',
      tag,
      '-f',
      join(context, 'Containerfile'),
      context,
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        await run('buildah', args, { timeout: 120_000 });
        break;
      } catch (error) {
        // runc's copy of itself for a RUN step can fail when builds run at once ("Close_Fd sealing memfd
        // copy: Device or resource busy"): a race in the runtime, not in the image. Tried again, twice.
        const transient = /sealing memfd|Device or resource busy/.test(String((error as Error).message));
        if (!transient || attempt >= 3) throw error;
      }
    }
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Push an image from that storage to a registry (plain HTTP on loopback, basic auth). */
export async function pushImage(
  tag: string,
  destination: string,
  storageRoot: string,
  creds?: { username: string; password: string },
): Promise<void> {
  await run('buildah', [
    ...buildahArgs(storageRoot),
    'push',
    '--tls-verify=false',
    ...(creds ? ['--creds', `${creds.username}:${creds.password}`] : []),
    tag,
    `docker://${destination}`,
  ]);
}
