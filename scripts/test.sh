#!/usr/bin/env bash
# Installs everything the tests need, builds, and runs the whole test suite twice: once in a
# normal build and once under AddressSanitizer + UndefinedBehaviorSanitizer; then fuzzes the FHIR
# input path for a minute (clang, libFuzzer, ASan + UBSan).
#
#   scripts/test.sh            all three stages
#   scripts/test.sh --fast     the normal build only
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

"$root/scripts/setup.sh" "$root/build"
"$root/scripts/install-test-tools.sh"
# Configure again: the validator test is only registered once node_modules exists.
cmake -S "$root" -B "$root/build" >/dev/null
cmake --build "$root/build" -j "$jobs"
echo "== tests (RelWithDebInfo)"
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"

if [[ ${1:-} != --fast ]]; then
  echo "== tests under ASan + UBSan"
  cmake -S "$root" -B "$root/build-sanitize" -DCMAKE_BUILD_TYPE=Debug -DALEMWATCH_SANITIZE=ON >/dev/null
  cmake --build "$root/build-sanitize" -j "$jobs"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-sanitize" --output-on-failure -j "$jobs"

  echo "== fuzzing the FHIR input path (libFuzzer, ${ALEMWATCH_FUZZ_SECONDS:-60} s)"
  CC=clang CXX=clang++ cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=Debug -DALEMWATCH_SANITIZE=ON \
    -DALEMWATCH_FUZZ=ON -DALEMWATCH_FUZZ_SECONDS="${ALEMWATCH_FUZZ_SECONDS:-60}" >/dev/null
  cmake --build "$root/build-fuzz" -j "$jobs" --target fuzz_fhir_input
  ctest --test-dir "$root/build-fuzz" -R '^fuzz_' --output-on-failure
fi
