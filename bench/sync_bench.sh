#!/usr/bin/env bash
# Benchmark of `alemwatch sync` against the local FHIR test server (tests/tools/fhir-server):
# a full sync of PATIENTS patients x OBS Observations (each with MAS alemtuzumab infusions),
# then an incremental sync after CHANGED_PERCENT % of the patients had one Observation changed.
# Prints wall time, CPU time, requests, peak RSS and the DetectedIssues pushed for each.
#
#   bash bench/sync_bench.sh            (PATIENTS=1000 OBS=200 MAS=8 CHANGED_PERCENT=1)
#
# Needs the build (scripts/setup.sh) and the test tools (scripts/install-test-tools.sh).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATIENTS=${PATIENTS:-1000}
OBS=${OBS:-200}
MAS=${MAS:-8}
CHANGED_PERCENT=${CHANGED_PERCENT:-1}
alemwatch=${ALEMWATCH:-$root/build/adapter/alemwatch}
tools="$root/tests/tools/fhir-server"
work=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== generating $PATIENTS patients x $OBS Observations (+$MAS infusions each)"
node "$tools/bench-data.mjs" gen "$work/data" --patients "$PATIENTS" --obs "$OBS" --mas "$MAS" >/dev/null

node "${SERVER:-$tools/server.mjs}" --port 0 ${SERVER_ARGS:-} >"$work/server.out" 2>"$work/server.err" &
server=$!
for _ in $(seq 1 300); do grep -q '^listening ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening //p' "$work/server.out")
load_seconds=$(node "$tools/bench-data.mjs" load "$base" "$work/data")
echo "   loaded into $base in ${load_seconds} s"
# The test server hands out strictly increasing lastUpdated times (1 ms apart at least), which run
# ahead of the clock during a fast bulk load: wait until the clock has passed the last one, so that
# the incremental run sees only what the benchmark changes.
node -e '
  (async () => {
    const r = await fetch(process.argv[1] + "/Observation?_sort=-_lastUpdated&_count=1");
    const last = Date.parse((await r.json()).entry[0].resource.meta.lastUpdated);
    const wait = last - Date.now() + 1000;
    if (wait > 0) { console.log(`   waiting ${(wait / 1000).toFixed(1)} s for the server clock`); await new Promise(f => setTimeout(f, wait)); }
  })();
' "$base"

config="$work/config.json"
echo '{"watermark_overlap_minutes": 0, "concurrency": 4}' >"$config"

run_sync() {  # name
  local name=$1
  /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" \
    "$alemwatch" sync --base-url "$base" --state "$work/state.db" --config "$config" \
    --summary-json "$work/$name.json" 2>"$work/$name.log" || { tail -20 "$work/$name.log"; exit 1; }
  read -r wall user sys rss_kb <"$work/$name.time"
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).sync;
    const [name, wall, user, sys, rss] = process.argv.slice(2);
    const cpu = (Number(user) + Number(sys)).toFixed(2);
    const p = s.pushed;
    console.log(`${name.padEnd(12)} wall ${wall} s   cpu ${cpu} s (user ${user}, sys ${sys})   peak RSS ${(rss / 1024).toFixed(1)} MB   ` +
                `requests ${s.requests} (${s.retries} retries)   patients fetched ${s.patients.fetched}, from state ${s.patients.from_last_pull}   ` +
                `DetectedIssues created ${p.created}, updated ${p.updated}, unchanged ${p.unchanged}`);
  ' "$work/$name.json" "$name" "$wall" "$user" "$sys" "$rss_kb"
}

echo "== full sync"
run_sync full

changed=$(( PATIENTS * CHANGED_PERCENT / 100 ))
echo "== changing one Observation of $changed patients ($CHANGED_PERCENT %)"
node -e '
  const [base, n, total] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
  const step = Math.max(1, Math.floor(total / n));
  (async () => {
    for (let i = 0; i < n; i++) {
      const id = `bench-${String(1 + i * step).padStart(4, "0")}-obs-1`;
      const url = `${base}/Observation/${id}`;
      const got = await fetch(url);
      if (!got.ok) throw new Error(`GET ${url}: ${got.status}`);
      const obs = await got.json();
      if (obs.valueQuantity) obs.valueQuantity.value = obs.valueQuantity.value + 1;
      const put = await fetch(url, { method: "PUT", headers: { "content-type": "application/fhir+json" }, body: JSON.stringify(obs) });
      if (!put.ok) throw new Error(`PUT ${url}: ${put.status}`);
    }
  })().catch(e => { console.error(e.message); process.exit(1); });
' "$base" "$changed" "$PATIENTS"

echo "== incremental sync"
run_sync incremental
