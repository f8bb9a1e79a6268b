import { join } from 'node:path';

/**
 * The one place that says how the sandbox drives podman and buildah on this kind of machine: a private vfs
 * store under `storageRoot` (`root/` and `run/`), cgroupfs and runc. The data plane's runtime, the test
 * image build and the tests that look into the sandbox's store all take their flags from here.
 */

/** `--storage-driver vfs --root … --runroot …`: podman and buildah take the same storage flags. */
function storageArgs(storageRoot: string): string[] {
  return [
    '--storage-driver',
    'vfs',
    '--root',
    join(storageRoot, 'root'),
    '--runroot',
    join(storageRoot, 'run'),
  ];
}

/** podman's global flags: the storage above plus the cgroup manager and OCI runtime this host needs. */
export function podmanArgs(storageRoot: string): string[] {
  return [...storageArgs(storageRoot), '--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];
}

/** buildah's global flags. */
export function buildahArgs(storageRoot: string): string[] {
  return storageArgs(storageRoot);
}

/** The label every sandbox container carries: the absolute state dir of the sandbox that started it. */
export const STATE_DIR_LABEL = 'slotline.sandbox.state-dir';
