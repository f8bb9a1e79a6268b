#!/usr/bin/env bash
# Build the reference app's base image from Debian packages, for machines that reach no public registry:
# Debian bookworm minbase + python3 + the app's dependencies as Debian packages. The result stands in for
# python:3.12-slim via `--build-arg BASE_IMAGE=...`.
#
# Usage: scripts/base-image.sh [--force] [--push docker://HOST/REPO:TAG [--creds USER:PASS]]
# Prints the local image name on the last line of stdout. Cached: when an image built from the same
# package list is already in the store it is reused (a few ms), unless --force.
# Storage: a private vfs store under $SLOTLINE_CONTAINERS_DIR (default $SLOTLINE_STATE_DIR/containers, that
# is ~/.cache/slotline/containers, outside the work tree), so it never collides with other buildah/podman
# users on the machine. The store and its flags come from scripts/lib/containers.mjs, as for the tests.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
store=$(node "$repo/scripts/lib/containers.mjs" store-dir)
image=${SLOTLINE_BASE_IMAGE:-localhost/slotline/python-base:bookworm}
suite=bookworm
# Only what the app imports at run time; minbase keeps everything else out (no docs, no man pages).
packages=(python3 python3-flask gunicorn python3-gevent python3-psycopg2 python3-redis)

force=false push_to="" creds=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=true ;;
    --push) push_to=${2:?--push needs docker://HOST/REPO:TAG}; shift ;;
    --creds) creds=${2:?--creds needs USER:PASS}; shift ;;
    *) echo "base-image: unknown argument $1 (expected --force, --push REF, --creds USER:PASS)" >&2; exit 2 ;;
  esac
  shift
done

for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "base-image: $tool not found; run scripts/install-system-deps.sh" >&2; exit 1; }
done

mapfile -t storage_flags < <(node "$repo/scripts/lib/containers.mjs" storage-flags "$store")
# Never fall back to the machine's default store.
[ "${#storage_flags[@]}" -gt 0 ] || { echo "base-image: no storage flags from scripts/lib/containers.mjs" >&2; exit 1; }
buildah_() { buildah "${storage_flags[@]}" "$@"; }
mkdir -p "$store"

# The cache key is the suite plus the package list: a change to either builds a new image.
key=$(printf '%s\n' "$suite" "${packages[@]}" | sha256sum | cut -c1-16)
existing=$(buildah_ inspect --type image --format '{{index .ImageAnnotations "org.slotline.base.key"}}{{index .OCIv1.Config.Labels "org.slotline.base.key"}}' "$image" 2>/dev/null || true)

if [ "$force" = false ] && [ "$existing" = "$key" ]; then
  echo "base-image: $image is cached (key $key)" >&2
else
  started=$(date +%s)
  work=$(mktemp -d "${TMPDIR:-/tmp}/slotline-base-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "base-image: mmdebstrap $suite minbase + ${packages[*]}" >&2
  mmdebstrap --quiet --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    "$suite" "$work/rootfs.tar" >&2
  container=$(buildah_ from scratch)
  buildah_ add "$container" "$work/rootfs.tar" / >/dev/null
  buildah_ config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --cmd python3 \
    --label "org.slotline.base.key=$key" \
    --label "org.slotline.base.packages=${packages[*]}" \
    --label "org.opencontainers.image.title=slotline python base ($suite, Debian packages)" \
    "$container"
  buildah_ commit --quiet --rm "$container" "$image" >/dev/null
  echo "base-image: built $image in $(( $(date +%s) - started ))s" >&2
fi

if [ -n "$push_to" ]; then
  args=(--tls-verify=false)
  [ -n "$creds" ] && args+=(--creds "$creds")
  buildah_ push --quiet "${args[@]}" "$image" "$push_to" >&2
  echo "base-image: pushed to $push_to" >&2
fi
echo "$image"
