#!/usr/bin/env bash
# The main job on embedded defaults: installs what is needed, builds, evaluates the sample
# patients in samples/ and shows the DetectedIssues raised.
#
#   scripts/run-samples.sh [--at TIME]
#
# The samples' expected issues are worked out for --at 2026-11-01T00:00:00Z, the default here.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
at=2026-11-01T00:00:00Z
[[ ${1:-} == --at && -n ${2:-} ]] && at=$2

"$root/scripts/setup.sh" "$root/build" >/dev/null
out="$root/build/samples-detectedissues.ndjson"
"$root/build/adapter/alemwatch" evaluate --at "$at" --out "$out" "$root"/samples/*/bundle.json

echo
echo "DetectedIssues raised for the sample patients at $at (full resources in $out):"
# One line per issue: severity, identifier, and the first sentence of its detail.
sed -E 's/.*"value":"([^"]*)".*"severity":"([^"]*)".*"detail":"([^.]*\.[^"]*)".*/\2|\1|\3/' "$out" |
  awk -F'|' '{ d = $3; if (length(d) > 110) d = substr(d, 1, 107) "..."; printf "  %-9s %-52s %s\n", $1, $2, d }'
