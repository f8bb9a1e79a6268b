// Where slotline keeps large state, and the podman/buildah flags for its private container store: the one
// place tests (__tests__/helpers/containers.ts), benches (scripts/bench/*) and scripts/base-image.sh take
// them from.
//
// Large state (vfs container stores hold a full copy per layer: several GB) lives outside the work tree,
// under $SLOTLINE_STATE_DIR (default ~/.cache/slotline), so it never lands in a checkout, a scan or a
// backup of the repository.
//
// As a command, for shell scripts:
//   node scripts/lib/containers.mjs state-dir [name]    the state dir, or a folder in it
//   node scripts/lib/containers.mjs store-dir           the shared container store
//   node scripts/lib/containers.mjs storage-flags [store]   buildah/podman storage flags, one a line
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The root for large state, or `name` inside it. */
export function stateDir(name = '') {
  const root = process.env.SLOTLINE_STATE_DIR || join(homedir(), '.cache', 'slotline');
  return name ? join(root, name) : root;
}

/**
 * The private vfs store shared by the tests, the benches and scripts/base-image.sh, so the base image is
 * built once per machine. SLOTLINE_CONTAINERS_DIR overrides it (a bench that needs an empty store).
 */
export function storeDir() {
  return process.env.SLOTLINE_CONTAINERS_DIR || stateDir('containers');
}

/**
 * buildah/podman flags for a private store: vfs (works without fuse-overlayfs or a kernel overlay
 * mount, in any container or VM), images under `<store>/storage`, run state under `<store>/run`.
 */
export function storageFlags(store = storeDir()) {
  return ['--storage-driver', 'vfs', '--root', join(store, 'storage'), '--runroot', join(store, 'run')];
}

/** podman's flags on this kind of host: the private store, cgroupfs (no systemd session) and runc. */
export function podmanFlags(store = storeDir()) {
  return [...storageFlags(store), '--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];
}

/** The same store as a storage.conf, for tools that take CONTAINERS_STORAGE_CONF (the action under test). */
export function storageConf(store = storeDir()) {
  return `[storage]\ndriver = "vfs"\ngraphroot = "${join(store, 'storage')}"\nrunroot = "${join(store, 'run')}"\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, arg] = process.argv.slice(2);
  if (command === 'state-dir') console.log(stateDir(arg));
  else if (command === 'store-dir') console.log(storeDir());
  else if (command === 'storage-flags') console.log(storageFlags(arg || storeDir()).join('\n'));
  else {
    console.error('usage: containers.mjs state-dir [name] | store-dir | storage-flags [store]');
    process.exit(2);
  }
}
