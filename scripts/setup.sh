#!/usr/bin/env bash
# Installs the Debian packages alemwatch needs to build and test, then configures and builds it.
# Idempotent and quick when everything is already there.
#
#   scripts/setup.sh [BUILD_DIR] [extra cmake arguments...]
#
# BUILD_DIR defaults to ./build. Set ALEMWATCH_SKIP_BUILD=1 to only install packages.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
shift || true

# Boost 1.81 (Beast, Asio, JSON, URL) sits beside Debian 12's default 1.74, which has no Boost.JSON.
packages=(
  build-essential cmake
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev
  libcli11-dev libfmt-dev libsimdjson-dev libmimalloc-dev
  libgtest-dev libgmock-dev
)

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "setup: need root (or sudo) to run: $*" >&2; exit 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[[ ${ALEMWATCH_SKIP_BUILD:-0} == 1 ]] && exit 0

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j "$jobs"
