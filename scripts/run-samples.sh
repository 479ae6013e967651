#!/usr/bin/env bash
# The main job on embedded defaults: installs what is needed and builds; starts a local FHIR
# server (tests/tools/fhir-server, in memory, on a free loopback port) loaded with the sample
# patients of samples/; runs `alemwatch sync` against it with SQLite state; shows the
# DetectedIssues that are now on the server; and writes the HTML report of the synced patients
# (`alemwatch report --state`) to build/samples-run/report.html. The server stops when the
# script ends.
#
#   scripts/run-samples.sh [--at TIME]
#
# The samples' expected issues are worked out for --at 2026-11-01T00:00:00Z, the default here.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
at=2026-11-01T00:00:00Z
[[ ${1:-} == --at && -n ${2:-} ]] && at=$2

"$root/scripts/setup.sh" "$root/build" >/dev/null
"$root/scripts/install-test-tools.sh" >/dev/null

work="$root/build/samples-run"
rm -rf "$work" && mkdir -p "$work"
node "$root/tests/tools/fhir-server/server.mjs" --port 0 --load "$root"/samples/*/bundle.json >"$work/server.out" 2>"$work/server.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^listening ' "$work/server.out" 2>/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
  sleep 0.1
done
base=$(sed -n 's/^listening //p' "$work/server.out")
echo "FHIR server with the $(ls "$root"/samples/*/bundle.json | wc -l) sample patients at $base"
echo

"$root/build/adapter/alemwatch" sync --base-url "$base" --state "$work/alemwatch.db" --at "$at" \
  --summary-json "$work/summary.json" 2>"$work/sync.log" || { cat "$work/sync.log" >&2; exit 1; }
sed -n '/^alemwatch sync summary/,$p' "$work/sync.log"

echo
echo "DetectedIssues on the server (GET $base/DetectedIssue):"
curl -sS "$base/DetectedIssue?_count=500&_sort=identifier" >"$work/detectedissues.json"
node -e '
  const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const rows = (b.entry || []).map(e => e.resource)
    .map(r => [r.severity, r.identifier[0].value, r.detail])
    .sort((a, b) => a[1] < b[1] ? -1 : 1);
  for (const [sev, id, detail] of rows) {
    const d = detail.length > 100 ? detail.slice(0, 97) + "..." : detail;
    console.log(`  ${sev.padEnd(9)} ${id.padEnd(50)} ${d}`);
  }
  console.log(`  (${rows.length} DetectedIssues; full summary in the run log, state in build/samples-run/alemwatch.db)`);
' "$work/detectedissues.json"

# The same signals drawn for a clinician: one HTML page over what the sync pulled (docs/report.md).
"$root/build/adapter/alemwatch" report --state "$work/alemwatch.db" --at "$at" --out "$work/report.html" \
  2>"$work/report.log" || { cat "$work/report.log" >&2; exit 1; }
echo
echo "Report: $work/report.html"
