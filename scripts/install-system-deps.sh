#!/usr/bin/env bash
# System packages the test suite drives for real (Debian 12 / Ubuntu). Idempotent; run as root.
set -euo pipefail
packages=(
  ca-certificates git curl python3 openssl
  # The sandbox's test image and its data plane; security-scan's scanners.
  busybox-static bandit shellcheck
  # build-image: builders, registry, inspection, and the offline Python base image (mmdebstrap).
  buildah podman skopeo docker-registry runc netavark containernetworking-plugins mmdebstrap apache2-utils
  # The reference Flask app's tests (Debian python3, not pyenv) with real PostgreSQL and Redis, and its
  # load benchmark (wrk).
  python3-pytest python3-flask python3-psycopg2 python3-redis python3-gevent gunicorn
  postgresql redis-server wrk
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
