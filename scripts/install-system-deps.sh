#!/usr/bin/env bash
# System packages the test suite drives for real (Debian 12 / Ubuntu). Idempotent; run as root.
set -euo pipefail
packages=(ca-certificates git curl python3 openssl podman buildah runc busybox-static bandit shellcheck)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
