#!/usr/bin/env bash
# Installs what the tests need besides the C++ toolchain: Node.js (Debian's, only when no `node`
# is on PATH) and the independent FHIR validator's npm packages in
# tests/tools/fhir-validator/node_modules (npm ci from the committed package-lock.json, only when
# node_modules is missing or older than package.json / package-lock.json).
# Also Debian's chromium for the report's headless browser test (tests/tools/report-check).
# Idempotent: a second run does nothing. Usage: scripts/install-test-tools.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-test-tools: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

apt_install() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

if ! command -v node >/dev/null 2>&1; then
  echo "install-test-tools: node not found; installing Debian's nodejs and npm"
  apt_install nodejs npm
elif ! command -v npm >/dev/null 2>&1; then
  echo "install-test-tools: npm not found; installing Debian's npm"
  apt_install npm
fi

# clang and its runtime (libFuzzer) for the fuzzing stage of scripts/test.sh.
if ! command -v clang++ >/dev/null 2>&1 || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "install-test-tools: installing clang and libclang-rt-14-dev (libFuzzer)"
  apt_install clang libclang-rt-14-dev
fi

# Debian's Chromium for the report's browser test (tests/tools/report-check drives it; no browser
# is ever downloaded by npm).
if [[ ! -x /usr/bin/chromium ]]; then
  echo "install-test-tools: installing Debian's chromium (headless report test)"
  apt_install chromium
fi

# npm ci in each Node tool folder, from its committed package-lock.json. The stamp is written
# only after npm ci succeeded, so a half-finished install is redone.
for tool in fhir-validator fhir-server token-server report-check; do
  dir="$root/tests/tools/$tool"
  stamp="$dir/node_modules/.alemwatch-npm-ci-done"
  if [[ ! -f $stamp || $dir/package-lock.json -nt $stamp || $dir/package.json -nt $stamp ]]; then
    echo "install-test-tools: npm ci in tests/tools/$tool (node $(node --version))"
    (cd "$dir" && npm ci --no-audit --no-fund)
    touch "$stamp"
  else
    echo "install-test-tools: tests/tools/$tool/node_modules is up to date"
  fi
done
