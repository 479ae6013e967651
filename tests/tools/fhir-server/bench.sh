#!/usr/bin/env bash
# Performance benchmark for the alemwatch test FHIR server (server.mjs).
#
# Generates a deterministic data set with bench-data.mjs (default 1,000
# patients x 200 Observations + 8 MedicationAdministrations: 1,000 transaction
# Bundles of 209 PUT entries, 209,000 resources), starts the server on port 0,
# loads the Bundles one after another over a keep-alive connection, then times
# the searches alemwatch's sync issues (each RUNS times, curl time_total):
#
#   patient         Observation?patient=Patient/X&_count=200          (200 results)
#   patient+code    Observation?patient=…&code=<all analyte codes>&_count=200
#   patient+1code   Observation?patient=…&code=http://loinc.org|777-3&_count=200
#   code+since      Observation?code=<all analyte codes>&_lastUpdated=ge<T>&_count=200,
#                   T = when the last 10% of the patients were loaded
#   code+since(all) the same with T before the load (every monitored result matches)
#   code+since(0)   the same with T after the load (an incremental run: nothing new)
#   …+cat           patient+code and code+since with &category=laboratory, as sent by
#                   `alemwatch sync --require-category` (the first one builds its index)
#   MA patient      MedicationAdministration?patient=…&_count=200
#   MA code+since   MedicationAdministration?code=rxnorm|1594659&_lastUpdated=ge<T>&_count=200
#   cond. PUT       PUT DetectedIssue?identifier=… (conditional update: create, then same)
#   reload          one patient's Bundle POSTed again (every entry a no-op update)
#
# and checks the totals. Prints one line per figure and the server's RSS.
#
# Usage: bash tests/tools/fhir-server/bench.sh
# Environment: PATIENTS (1000), OBS (200), MAS (8), RUNS (5),
#   SERVER_ARGS (extra server.mjs options, e.g. --no-validate),
#   SERVER (server script, default ./server.mjs next to this file),
#   KEEP_DATA=DIR (generate the Bundles into DIR and reuse them while
#   PATIENTS/OBS/MAS stay the same; default: a temporary directory).
# Needs node >= 20.19 and curl. Exit 1 when a load or a check fails.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SERVER=${SERVER:-$HERE/server.mjs}
PATIENTS=${PATIENTS:-1000}
OBS=${OBS:-200}
MAS=${MAS:-8}
RUNS=${RUNS:-5}
TMP=$(mktemp -d)
PID=
STATUS=0

cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ ! -d "$HERE/node_modules/@medplum/fhir-router" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || { echo "bench: npm ci failed"; exit 1; }
fi
[ "$PATIENTS" -ge 2 ] && [ "$OBS" -ge 1 ] || { echo "bench: PATIENTS must be >= 2 and OBS >= 1"; exit 2; }

DATA=${KEEP_DATA:-$TMP/data}
STAMP="patients=$PATIENTS obs=$OBS mas=$MAS"
if [ "$(cat "$DATA/params" 2>/dev/null)" != "$STAMP" ]; then
  rm -f "$DATA"/bundle-*.json
  node "$HERE/bench-data.mjs" gen "$DATA" --patients "$PATIENTS" --obs "$OBS" --mas "$MAS" >"$TMP/gen" || exit 1
  echo "$STAMP" >"$DATA/params"
fi
echo "data:    $PATIENTS patients x ($OBS Observations + $MAS MedicationAdministrations + 1 Patient) = $((PATIENTS * (OBS + MAS + 1))) resources"

# shellcheck disable=SC2086
node "$SERVER" ${SERVER_ARGS:-} >"$TMP/out" 2>"$TMP/err" &
PID=$!
for _ in $(seq 1 300); do [ -s "$TMP/out" ] && break; sleep 0.1; done
BASE=$(awk '{print $2}' "$TMP/out")
[ -n "$BASE" ] || { echo "bench: server did not start"; cat "$TMP/err"; exit 1; }
echo "server:  $SERVER ${SERVER_ARGS:-}"

fail() { echo "FAIL - $*"; STATUS=1; }

# json FILE EXPR -> prints EXPR evaluated with b = parsed FILE
json() { node -e 'const b=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(String(eval(process.argv[2])))' "$1" "$2"; }

patient_ts() { # lastUpdated of Patient/bench-NNNN
  curl -sS -o "$TMP/p.json" "$BASE/Patient/bench-$(printf %04d "$1")" && json "$TMP/p.json" 'b.meta.lastUpdated'
}

# ---------------------------------------------------------------- load
# The last 10% are loaded separately, to know a _lastUpdated that splits the data.
LATE=$((PATIENTS / 10))
[ "$LATE" -ge 1 ] || LATE=1
SPLIT=$((PATIENTS - LATE))
t1=$(node "$HERE/bench-data.mjs" load "$BASE" "$DATA" --to "$SPLIT") || { fail "load"; exit 1; }
t2=$(node "$HERE/bench-data.mjs" load "$BASE" "$DATA" --from "$SPLIT") || { fail "load"; exit 1; }
load=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", a + b }')
echo "load:    $PATIENTS transaction Bundles in $load s ($(awk -v s="$load" -v n="$PATIENTS" 'BEGIN { printf "%.1f", s * 1000 / n }') ms/Bundle)"
SINCE=$(patient_ts $((SPLIT + 1)))
SINCE_ALL=$(patient_ts 1)
# The server's lastUpdated values are strictly increasing and can run ahead of
# the clock during a fast load: "after the load" is the last write's value + 1 ms.
curl -sS -o "$TMP/o.json" "$BASE/Observation/bench-$(printf %04d "$PATIENTS")-obs-$OBS"
AFTER=$(json "$TMP/o.json" 'new Date(Date.parse(b.meta.lastUpdated) + 1).toISOString()')
curl -sS -o "$TMP/c.json" "$BASE/\$admin/count"
echo "count:   $(json "$TMP/c.json" 'JSON.stringify(b.byType)')"
[ "$(json "$TMP/c.json" 'b.count')" = $((PATIENTS * (OBS + MAS + 1))) ] || fail "resource count"

# --------------------------------------------------------------- searches
enc() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }
CODES=$(node "$HERE/bench-data.mjs" codes)
P=$(printf %04d $(((PATIENTS + 1) / 2)))
PREF=$(enc "Patient/bench-$P")
RX=$(enc 'http://www.nlm.nih.gov/research/umls/rxnorm|1594659')
# Expected totals (see bench-data.mjs: 12 codes in turn, the first 8 monitored).
MON=$(node -e 'let n=0;for(let i=0;i<+process.argv[1];i++)if(i%12<8)n++;console.log(n)' "$OBS")
P1=$(node -e 'let n=0;for(let i=0;i<+process.argv[1];i++)if(i%12==0)n++;console.log(n)' "$OBS")

# timed NAME EXPECTED-TOTAL METHOD PATH [curl args]
timed() {
  local name=$1 want=$2 m=$3 path=$4
  shift 4
  local times=() i out code t
  for i in $(seq 1 "$RUNS"); do
    out=$(curl -sS -o "$TMP/body" -w '%{http_code} %{time_total}' -X "$m" "$@" "$BASE/$path") || out="000 0"
    code=${out% *}
    t=${out#* }
    case $code in 2*) ;; *) fail "$name: HTTP $code $(head -c 300 "$TMP/body")"; return ;; esac
    times+=("$t")
  done
  if [ "$want" != - ]; then
    local got
    got=$(json "$TMP/body" 'b.total')
    [ "$got" = "$want" ] || fail "$name: total $got, want $want"
  fi
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" -v n="$RUNS" '
    { t[NR] = $1 * 1000 }
    END { printf "%-16s median %8.1f ms   min %8.1f ms   max %8.1f ms   (%d runs)\n", name, t[int((n + 1) / 2)], t[1], t[n], n }'
}

timed 'patient' "$OBS" GET "Observation?patient=$PREF&_count=200"
timed 'patient+code' "$MON" GET "Observation?patient=$PREF&code=$CODES&_count=200"
timed 'patient+1code' "$P1" GET "Observation?patient=$PREF&code=$(enc 'http://loinc.org|777-3')&_count=200"
timed 'code+since' $((LATE * MON)) GET "Observation?code=$CODES&_lastUpdated=ge$(enc "$SINCE")&_count=200"
timed 'code+since(all)' $((PATIENTS * MON)) GET "Observation?code=$CODES&_lastUpdated=ge$(enc "$SINCE_ALL")&_count=200"
timed 'code+since(0)' 0 GET "Observation?code=$CODES&_lastUpdated=ge$(enc "$AFTER")&_count=200"
CAT=$(enc 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory')
timed 'patient+code+cat' "$MON" GET "Observation?patient=$PREF&code=$CODES&category=$CAT&_count=200"
timed 'code+since+cat' $((LATE * MON)) GET "Observation?code=$CODES&_lastUpdated=ge$(enc "$SINCE")&category=$CAT&_count=200"
timed 'MA patient' "$MAS" GET "MedicationAdministration?patient=$PREF&_count=200"
timed 'MA code+since' $((LATE * MAS)) GET "MedicationAdministration?code=$RX&_lastUpdated=ge$(enc "$SINCE")&_count=200"

DI='{"resourceType":"DetectedIssue","status":"final","identifier":[{"system":"urn:alemwatch:signal","value":"bench/x/1"}],"patient":{"reference":"Patient/bench-0001"}}'
COND="DetectedIssue?identifier=$(enc 'urn:alemwatch:signal|bench/x/1')"
RUNS=1 timed 'cond. PUT new' - PUT "$COND" -H 'Content-Type: application/fhir+json' --data-binary "$DI"
timed 'cond. PUT same' - PUT "$COND" -H 'Content-Type: application/fhir+json' --data-binary "$DI"
timed 'reload bundle' - POST "" -H 'Content-Type: application/fhir+json' --data-binary "@$DATA/bundle-$P.json"

rss=$(awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' "/proc/$PID/status" 2>/dev/null)
[ -n "$rss" ] && echo "rss:     $rss"

kill -TERM "$PID"
wait "$PID" 2>/dev/null
PID=
[ "$STATUS" = 0 ] && echo "bench: ok" || echo "bench: FAILED"
exit "$STATUS"
