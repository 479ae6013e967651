#!/usr/bin/env bash
# ctest install_tree_works: `cmake --install` into a scratch prefix gives a working alemwatch.
# The installed binary, run from outside the source tree, evaluates a sample with the installed
# mapping data (proved by breaking that copy and seeing the binary name it), also through a
# symlink; the samples, the documentation and the systemd units are installed beside it.
#
#   tests/install/check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build=$1
source=$2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/alemwatch-install.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" || { cat "$scratch/install.log" >&2; fail "cmake --install"; }

for path in bin/alemwatch share/alemwatch/mappings/analytes.json share/alemwatch/mappings/signals.json \
            share/alemwatch/samples/02-itp/bundle.json share/alemwatch/samples/alemwatch.example.json \
            share/doc/alemwatch/operations.md share/doc/alemwatch/config.md \
            share/doc/alemwatch/systemd/alemwatch-sync.service share/doc/alemwatch/systemd/alemwatch-sync.timer \
            share/doc/alemwatch/systemd/alemwatch-sync-full.service share/doc/alemwatch/systemd/alemwatch-sync-full.timer; do
  [[ -e $prefix/$path ]] || fail "not installed: $path"
done
[[ -x $prefix/bin/alemwatch ]] || fail "bin/alemwatch is not executable"
[[ ! -e $prefix/share/alemwatch/samples/tools ]] || fail "the samples' generator was installed"

# From a directory outside the source tree, with nothing of the build on the path.
mkdir "$scratch/elsewhere"
cd "$scratch/elsewhere"
evaluate() {
  "$1" evaluate "$source/samples/02-itp/bundle.json" --at 2026-11-01T00:00:00Z >"$scratch/out.ndjson" 2>"$scratch/err.log"
}
evaluate "$prefix/bin/alemwatch" || { cat "$scratch/err.log" >&2; fail "the installed alemwatch evaluate failed"; }
grep -q '"resourceType":"DetectedIssue"' "$scratch/out.ndjson" || { cat "$scratch/out.ndjson" "$scratch/err.log" >&2; fail "no DetectedIssue printed"; }
echo "installed alemwatch printed $(wc -l <"$scratch/out.ndjson") DetectedIssue(s)"

# Through a symlink elsewhere (as /usr/bin/alemwatch -> /opt/alemwatch/bin/alemwatch would be).
ln -s "$prefix/bin/alemwatch" "$scratch/elsewhere/alemwatch"
evaluate "$scratch/elsewhere/alemwatch" || { cat "$scratch/err.log" >&2; fail "the installed alemwatch run through a symlink failed"; }

# The mapping data used is the installed copy: break it and the binary must name that file.
echo '{ broken' >"$prefix/share/alemwatch/mappings/units.json"
if evaluate "$prefix/bin/alemwatch"; then fail "a broken installed units.json went unnoticed: the binary does not read the installed mappings"; fi
grep -qF "$prefix/share/alemwatch/mappings/units.json" "$scratch/err.log" || { cat "$scratch/err.log" >&2; fail "the error does not name the installed units.json"; }
echo "the installed binary reads $prefix/share/alemwatch/mappings"
