#!/usr/bin/env bash
# Smoke test for the Bulk Data $export of the test FHIR server (bulk.mjs).
#
# Starts server.mjs with all samples and the bulk faults (one 429 poll, every
# file cut off once after 100 bytes, a simulated error file, 250 lines per
# file), then with curl: kick-off errors; system, Patient and Group level
# exports (POST too), each polled to its manifest, every file downloaded
# (the cut-off one resumed with Range and compared with a whole download) and
# its lines counted against the samples; _since, _typeFilter (supported and
# unsupported), an unknown _type; Range 206/416; requiresAccessToken; the
# $admin/bulk-faults and $admin/bulk-stats endpoints; DELETE then 404.
#
# Usage: bash tests/tools/fhir-server/bulk-smoke.sh   (needs node >= 20.19, curl)
# Last line: "bulk-smoke: N passed, M failed"; exit status 0 only when M = 0.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
SAMPLES="$ROOT/samples"
TMP=$(mktemp -d)
PASS=0
FAIL=0
SRV_PID=
ASYNC=(-H 'Prefer: respond-async' -H 'Accept: application/fhir+json')

cleanup() {
  [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ ! -d "$HERE/node_modules/@medplum/fhir-router" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || { echo "bulk-smoke: npm ci failed"; exit 1; }
fi

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }

# Evaluates a JS expression with b = parsed body (or null), h = response
# headers (lower-case names), e = process.env; "print" prints it, otherwise
# it passes when it is === true.
EVAL='
const fs = require("fs");
let b = null;
try { b = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch {}
const h = {};
for (const l of fs.readFileSync(process.argv[2], "utf8").split(/\r?\n/)) {
  const i = l.indexOf(":");
  if (i > 0) h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
}
const e = process.env;
let r;
try { r = eval(process.argv[3]); } catch (err) { console.error("    " + err); process.exit(2); }
if (process.argv[4] === "print") { process.stdout.write(r === undefined || r === null ? "" : String(r)); process.exit(0); }
if (r === true) process.exit(0);
console.error("    expression gave: " + JSON.stringify(r));
process.exit(1);
'

# req METHOD URL-or-PATH [curl args...] -> $CODE, $CURLRC, $TMP/body, $TMP/headers
req() {
  local m=$1 u=$2
  shift 2
  case $u in http*) ;; *) u="$BASE$u" ;; esac
  : >"$TMP/headers"
  CODE=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$m" "$@" "$u" 2>"$TMP/curlerr")
  CURLRC=$?
}

# check NAME WANT-CODE [JS-EXPR]
check() {
  local name=$1 want=$2 expr=${3:-}
  if [ "$CODE" != "$want" ]; then
    bad "$name: HTTP $CODE, want $want: $(head -c 400 "$TMP/body" 2>/dev/null) $(cat "$TMP/curlerr" 2>/dev/null)"
    return 1
  fi
  if [ -n "$expr" ] && ! node -e "$EVAL" "$TMP/body" "$TMP/headers" "$expr" 2>"$TMP/evalerr"; then
    bad "$name: $expr"
    sed 's/^/    /' "$TMP/evalerr"
    echo "    body: $(head -c 400 "$TMP/body")"
    return 1
  fi
  ok "$name"
}

# jv JS-EXPR -> prints the value for the last response
jv() { node -e "$EVAL" "$TMP/body" "$TMP/headers" "$1" print; }

# expect NAME JS-EXPR: a check on values only (e = environment)
expect() {
  if node -e "$EVAL" /dev/null /dev/null "$2" 2>"$TMP/evalerr"; then ok "$1"; else
    bad "$1: $2"
    sed 's/^/    /' "$TMP/evalerr"
    echo "    lines per type: ${LINES:-}"
  fi
}

# ------------------------------------------------------------------ counts
# What the samples hold, counted from the bundles themselves.
export SAMPLE_COUNTS
SAMPLE_COUNTS=$(node -e '
const fs = require("fs");
const out = { byType: {}, group: {}, code7773: 0 };
for (const d of fs.readdirSync(process.argv[1]).sort()) {
  const f = `${process.argv[1]}/${d}/bundle.json`;
  if (!fs.existsSync(f)) continue;
  for (const { resource: r } of JSON.parse(fs.readFileSync(f, "utf8")).entry) {
    out.byType[r.resourceType] = (out.byType[r.resourceType] || 0) + 1;
    const who = (r.subject || r.patient || {}).reference;
    if (r.resourceType === "Patient" ? ["aw-01", "aw-02"].includes(r.id) : ["Patient/aw-01", "Patient/aw-02"].includes(who)) {
      out.group[r.resourceType] = (out.group[r.resourceType] || 0) + 1;
    }
    if (r.resourceType === "Observation" && (r.code.coding || []).some((c) => c.system === "http://loinc.org" && c.code === "777-3")) out.code7773++;
  }
}
process.stdout.write(JSON.stringify(out));
' "$SAMPLES")
echo "# samples: $SAMPLE_COUNTS"
S='JSON.parse(e.SAMPLE_COUNTS)'

# ------------------------------------------------------------------ server
node "$HERE/server.mjs" --load "$SAMPLES"/*/bundle.json --bulk-429-polls 1 --bulk-drop-after-bytes 100 \
  --bulk-error-file --bulk-file-lines 250 >"$TMP/server.out" 2>"$TMP/server.err" &
SRV_PID=$!
for _ in $(seq 1 300); do
  [ -s "$TMP/server.out" ] && break
  kill -0 "$SRV_PID" 2>/dev/null || break
  sleep 0.1
done
line=$(head -n 1 "$TMP/server.out")
if [[ "$line" =~ ^listening\ (http://127\.0\.0\.1:[0-9]+/fhir)$ ]]; then
  BASE=${BASH_REMATCH[1]}
  ok "server started: $line"
else
  bad "no listening line (stdout: '$line', stderr: $(head -c 400 "$TMP/server.err"))"
  echo "bulk-smoke: $PASS passed, $FAIL failed"
  exit 1
fi

# ------------------------------------------------------------ the flow
# kickoff NAME METHOD PATH [curl args...] -> $STATUS_URL (202 checked)
kickoff() {
  local name=$1 m=$2 p=$3
  shift 3
  STATUS_URL=
  req "$m" "$p" "${ASYNC[@]}" "$@"
  check "$name: kick-off 202 + Content-Location" 202 \
    'h["content-location"] && h["content-location"].startsWith(e.BASE + "/") && b.resourceType === "OperationOutcome"' &&
    STATUS_URL=$(jv 'h["content-location"]')
}

# poll NAME -> manifest in $TMP/manifest.json; $POLL_429 and $POLL_202 counted
poll() {
  local name=$1 i
  POLL_429=0
  POLL_202=0
  for i in $(seq 1 20); do
    req GET "$STATUS_URL"
    case $CODE in
      429)
        check "$name: poll 429 has Retry-After: 1 and an OperationOutcome" 429 \
          'h["retry-after"] === "1" && b.resourceType === "OperationOutcome"' || return 1
        POLL_429=$((POLL_429 + 1)) ;;
      202)
        if ! node -e "$EVAL" "$TMP/body" "$TMP/headers" '/^\d+$/.test(h["retry-after"]) && h["x-progress"].length > 0' 2>/dev/null; then
          bad "$name: 202 poll without Retry-After/X-Progress: $(tr -d '\r' <"$TMP/headers" | tr '\n' ' ')"
          return 1
        fi
        POLL_202=$((POLL_202 + 1)) ;;
      200)
        cp "$TMP/body" "$TMP/manifest.json"
        check "$name: manifest after $POLL_429 x 429 and $POLL_202 x 202" 200 \
          'h["content-type"].startsWith("application/json") && typeof b.transactionTime === "string" &&
           b.requiresAccessToken === false && Array.isArray(b.output) && Array.isArray(b.error) &&
           b.output.every((o) => o.url.startsWith(e.BASE + "/") && o.count > 0 && o.count <= 250)'
        return $? ;;
      *)
        bad "$name: poll answered $CODE: $(head -c 300 "$TMP/body")"
        return 1 ;;
    esac
  done
  bad "$name: still in progress after 20 polls"
  return 1
}

# download NAME -> every output and error file of the manifest into
# $TMP/files/<n>.ndjson; $TMP/lines.json = {type: lines} of the outputs,
# $TMP/errors.ndjson = all error lines. The first plain GET of a file larger
# than 100 bytes must be cut off after 100 bytes; a Range request resumes it,
# and the two parts must equal a second, whole download.
download() {
  local name=$1 n=0 url type want_bad=0
  rm -rf "$TMP/files"
  mkdir -p "$TMP/files"
  : >"$TMP/errors.ndjson"
  local specs
  specs=$(node -e 'const m = require(process.argv[1]);
    for (const o of m.output) console.log("output " + o.type + " " + o.url);
    for (const o of m.error) console.log("error " + o.type + " " + o.url);' "$TMP/manifest.json")
  local dropped=0 resumed=0 whole=0 typed=0
  while read -r kind type url; do
    [ -z "$url" ] && continue
    n=$((n + 1))
    local f="$TMP/files/$n.ndjson"
    curl -sS -o "$f.part" -D "$TMP/h1" "$url" 2>/dev/null
    local rc=$? size
    size=$(tr -d '\r' <"$TMP/h1" | awk 'tolower($1)=="content-length:"{print $2}')
    local got
    got=$(wc -c <"$f.part")
    if [ "$size" -gt 100 ]; then
      if [ "$rc" -ne 0 ] && [ "$got" -eq 100 ]; then dropped=$((dropped + 1)); else
        bad "$name: $url: first GET not cut off at 100 bytes (curl rc $rc, $got of $size bytes)"
      fi
    elif [ "$rc" -eq 0 ]; then dropped=$((dropped + 1)); fi
    if [ "$got" -lt "$size" ]; then
      local rcode
      rcode=$(curl -sS -o "$f.rest" -D "$TMP/h2" -w '%{http_code}' -H "Range: bytes=$got-" "$url")
      if [ "$rcode" = 206 ] && tr -d '\r' <"$TMP/h2" | grep -qi "^content-range: bytes $got-$((size - 1))/$size$"; then
        resumed=$((resumed + 1))
      else
        bad "$name: $url: Range bytes=$got- gave $rcode $(tr -d '\r' <"$TMP/h2" | grep -i content-range)"
      fi
      cat "$f.part" "$f.rest" >"$f"
    else
      cp "$f.part" "$f"
    fi
    local wcode
    wcode=$(curl -sS -o "$f.whole" -D "$TMP/h3" -w '%{http_code}' "$url")
    if [ "$wcode" = 200 ] && cmp -s "$f" "$f.whole" && [ "$(wc -c <"$f")" -eq "$size" ] &&
      tr -d '\r' <"$TMP/h3" | grep -qi '^content-type: application/fhir+ndjson' &&
      tr -d '\r' <"$TMP/h3" | grep -qi '^accept-ranges: bytes'; then
      whole=$((whole + 1))
    else
      bad "$name: $url: resumed download differs from a whole one (HTTP $wcode, $size bytes announced)"
    fi
    if node -e 'const fs = require("fs");
      const lines = fs.readFileSync(process.argv[1], "utf8").split("\n");
      if (lines.pop() !== "") process.exit(1);
      process.exit(lines.every((l) => JSON.parse(l).resourceType === process.argv[2]) ? 0 : 1);' "$f" "$type" 2>/dev/null; then
      typed=$((typed + 1))
    else
      bad "$name: $url: not NDJSON of $type ending in a newline"
    fi
    [ "$kind" = error ] && cat "$f" >>"$TMP/errors.ndjson"
  done <<<"$specs"
  [ "$n" -gt 0 ] && [ "$dropped" -eq "$n" ] && [ "$resumed" -ge 1 ] && [ "$whole" -eq "$n" ] && [ "$typed" -eq "$n" ] &&
    ok "$name: $n files: each cut off once and resumed with Range ($resumed), equal to a whole download, NDJSON of its type"
  node -e 'const m = require(process.argv[1]); const fs = require("fs"); const t = {};
    m.output.forEach((o, i) => {
      const n = fs.readFileSync(`${process.argv[2]}/${i + 1}.ndjson`, "utf8").split("\n").length - 1;
      if (n !== o.count) { console.error(`${o.url}: ${n} lines, manifest count ${o.count}`); process.exit(1); }
      t[o.type] = (t[o.type] || 0) + n;
    });
    fs.writeFileSync(process.argv[3], JSON.stringify(t));' "$TMP/manifest.json" "$TMP/files" "$TMP/lines.json" 2>"$TMP/evalerr" ||
    { bad "$name: line counts differ from the manifest: $(cat "$TMP/evalerr")"; return; }
  export LINES
  LINES=$(cat "$TMP/lines.json")
  export ERRORS
  ERRORS=$(node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map(JSON.parse)))' "$TMP/errors.ndjson")
}
L='JSON.parse(e.LINES)'
ERR='JSON.parse(e.ERRORS)'
SIM='x.issue[0].severity === "error" && x.issue[0].diagnostics === "simulated export error for testing"'

# ------------------------------------------------------- kick-off errors
export BASE
req GET '/$export' -H 'Accept: application/fhir+json'
check 'no Prefer: respond-async -> 400 OperationOutcome' 400 'b.resourceType === "OperationOutcome" && /respond-async/.test(b.issue[0].diagnostics)'
req GET '/$export' -H 'Prefer: respond-async' -H 'Accept: application/xml'
check 'Accept: application/xml -> 406' 406 'b.resourceType === "OperationOutcome"'
req GET '/$export?_outputFormat=text/csv' "${ASYNC[@]}"
check '_outputFormat=text/csv -> 400' 400 '/_outputFormat/.test(b.issue[0].diagnostics)'
req GET '/$export?_since=yesterday' "${ASYNC[@]}"
check '_since=yesterday -> 400' 400 '/_since/.test(b.issue[0].diagnostics)'
req GET '/$export?_elements=id' "${ASYNC[@]}"
check 'unknown kick-off parameter -> 400' 400 '/_elements/.test(b.issue[0].diagnostics)'
req GET '/Group/no-such-group/$export' "${ASYNC[@]}"
check 'Group/no-such-group/$export -> 404' 404 'b.resourceType === "OperationOutcome"'
req PUT '/$export' "${ASYNC[@]}"
check 'PUT $export -> 405' 405
req GET '/$export?_type=Observation,NotAType&_typeFilter=Observation%3Fvalue-quantity%3D5' -H 'Prefer: respond-async, handling=strict'
check 'handling=strict with an unknown _type and an unsupported _typeFilter -> 400 naming both' 400 \
  'b.issue.length === 2 && /NotAType/.test(b.issue[0].diagnostics) && /value-quantity/.test(b.issue[1].diagnostics)'

# ------------------------------------------------------- system level
kickoff 'system' GET '/$export?_outputFormat=application%2Ffhir%2Bndjson'
poll 'system'
expect 'system: the first status poll of the server got 429 (--bulk-429-polls 1), then 2 x 202 (--bulk-polls default)' \
  "$POLL_429 === 1 && $POLL_202 === 2"
check 'system: manifest request, error file with the simulated OperationOutcome' 200 \
  'b.request === e.BASE + "/$export?_outputFormat=application%2Ffhir%2Bndjson" && b.error.length === 1 && b.error[0].type === "OperationOutcome"'
download 'system'
expect 'system: Observation lines = Observations in the samples; Patient, MedicationAdministration too' \
  "$L.Observation === $S.byType.Observation && $L.Patient === $S.byType.Patient && $L.MedicationAdministration === $S.byType.MedicationAdministration"
expect 'system: Observations split into files of <= 250 lines' \
  "require('$TMP/manifest.json').output.filter((o) => o.type === 'Observation').length === Math.ceil($S.byType.Observation / 250)"
expect 'system: error file = one simulated OperationOutcome' "$ERR.length === 1 && $ERR.every((x) => $SIM)"
SYS_STATUS=$STATUS_URL
SYS_FILE=$(node -e 'console.log(require(process.argv[1]).output[0].url)' "$TMP/manifest.json")
SYS_SIZE=$(curl -sS "$SYS_FILE" | wc -c)

# -------------------------------------------------------- ranges
req GET "$SYS_FILE" -H 'Range: bytes=0-9'
check 'Range bytes=0-9 -> 206, 10 bytes, Content-Range' 206 "h['content-range'] === 'bytes 0-9/$SYS_SIZE' && h['content-length'] === '10'"
req GET "$SYS_FILE" -H "Range: bytes=$SYS_SIZE-"
check 'Range past the end -> 416 + Content-Range bytes */size' 416 "h['content-range'] === 'bytes */$SYS_SIZE'"

# ------------------------------------------- new data for _since and Medication
T_BEFORE=$(node -e 'process.stdout.write(new Date().toISOString())')
sleep 0.05
req POST '' -H 'Content-Type: application/fhir+json' --data-binary @- <<'EOF'
{"resourceType": "Bundle", "type": "transaction", "entry": [
  {"resource": {"resourceType": "Medication", "id": "bulk-med-1", "code": {"text": "alemtuzumab"}},
   "request": {"method": "PUT", "url": "Medication/bulk-med-1"}},
  {"resource": {"resourceType": "Medication", "id": "bulk-med-2", "code": {"text": "unused"}},
   "request": {"method": "PUT", "url": "Medication/bulk-med-2"}},
  {"resource": {"resourceType": "MedicationAdministration", "id": "bulk-ma-1", "status": "completed",
     "medicationReference": {"reference": "Medication/bulk-med-1"}, "subject": {"reference": "Patient/aw-01"},
     "effectiveDateTime": "2025-01-02T09:00:00Z"},
   "request": {"method": "PUT", "url": "MedicationAdministration/bulk-ma-1"}},
  {"resource": {"resourceType": "Group", "id": "bulk-group", "type": "person", "actual": true,
     "member": [{"entity": {"reference": "Patient/aw-01"}}, {"entity": {"reference": "Patient/aw-02"}}]},
   "request": {"method": "PUT", "url": "Group/bulk-group"}}
]}
EOF
check 'transaction with 2 Medications, a MedicationAdministration and a Group' 200 'b.entry.length === 4'

kickoff 'system _since' GET "/\$export?_since=$T_BEFORE"
poll 'system _since'
download 'system _since'
expect 'system _since: only the 4 resources written after _since' \
  "JSON.stringify($L) === JSON.stringify({ Group: 1, Medication: 2, MedicationAdministration: 1 })"

# ------------------------------------------------------- Patient level
kickoff 'Patient' GET '/Patient/$export'
poll 'Patient'
download 'Patient'
expect 'Patient: Observation lines = Observations in the samples' "$L.Observation === $S.byType.Observation"
expect 'Patient: all Patients, MedicationAdministrations + 1, only the referenced Medication, the Group (a member is a patient)' \
  "$L.Patient === $S.byType.Patient && $L.MedicationAdministration === $S.byType.MedicationAdministration + 1 && $L.Medication === 1 && $L.Group === 1"
grep -q '"id":"bulk-med-1"' "$TMP"/files/*.ndjson && ! grep -q '"id":"bulk-med-2"' "$TMP"/files/*.ndjson &&
  ok 'Patient: the Medication file holds bulk-med-1, not bulk-med-2' || bad 'Patient: wrong Medication exported'

# --------------------------------------------------------- Group level
kickoff 'Group' GET '/Group/bulk-group/$export?_type=Patient,Observation,MedicationAdministration,Medication'
poll 'Group'
download 'Group'
expect 'Group: aw-01 and aw-02 compartments only (Observations, Patients, MedicationAdministrations + 1, Medication)' \
  "$L.Observation === $S.group.Observation && $L.Patient === 2 && $L.MedicationAdministration === $S.group.MedicationAdministration + 1 && $L.Medication === 1"

# ----------------------------------------- _typeFilter and unknown _type
kickoff '_typeFilter' GET '/Group/bulk-group/$export?_type=Observation,NotAType&_typeFilter=Observation%3Fcode%3Dhttp%3A%2F%2Floinc.org%7C777-3,Observation%3Fvalue-quantity%3D5'
req GET '/$admin/bulk-stats'
check '_typeFilter: bulk-stats shows the query as the server received it' 200 \
  'b.lastKickoff.level === "group" && b.lastKickoff.params._typeFilter[0] === "Observation?code=http://loinc.org|777-3,Observation?value-quantity=5" && b.lastKickoff.params._type[0] === "Observation,NotAType"'
poll '_typeFilter'
download '_typeFilter'
export GROUP_7773
GROUP_7773=$(curl -sS -G "$BASE/Observation" --data-urlencode 'code=http://loinc.org|777-3' --data-urlencode 'subject=Patient/aw-01,Patient/aw-02' --data-urlencode '_summary=count' |
  node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8")).total))')
expect "_typeFilter: only the 777-3 Observations of the group ($GROUP_7773, by a plain search)" \
  "JSON.stringify($L) === JSON.stringify({ Observation: Number(e.GROUP_7773) }) && Number(e.GROUP_7773) > 0"
expect '_typeFilter: error lines for NotAType and value-quantity, plus the simulated one' \
  "$ERR.length === 3 && /NotAType/.test($ERR[0].issue[0].diagnostics) && /value-quantity/.test($ERR[1].issue[0].diagnostics) && [$ERR[2]].every((x) => $SIM)"

kickoff '_typeFilter OR + _lastUpdated' GET "/\$export?_type=Observation,MedicationAdministration&_typeFilter=Observation%3Fcode%3Dhttp%3A%2F%2Floinc.org%7C777-3&_typeFilter=Observation%3Fcode%3Dhttp%3A%2F%2Floinc.org%7C2160-0&_typeFilter=MedicationAdministration%3F_lastUpdated%3Dgt$T_BEFORE"
poll '_typeFilter OR + _lastUpdated'
download '_typeFilter OR + _lastUpdated'
export OBS_2160
OBS_2160=$(curl -sS -G "$BASE/Observation" --data-urlencode 'code=http://loinc.org|2160-0' --data-urlencode '_summary=count' |
  node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(0, "utf8")).total))')
expect '_typeFilter: two Observation filters OR-ed, MedicationAdministration by _lastUpdated' \
  "$L.Observation === $S.code7773 + Number(e.OBS_2160) && $L.MedicationAdministration === 1"

# ------------------------------------------------------ POST kick-off
kickoff 'POST Parameters' POST '/Patient/$export' -H 'Content-Type: application/fhir+json' --data-binary \
  '{"resourceType":"Parameters","parameter":[{"name":"_type","valueString":"Patient"},{"name":"patient","valueReference":{"reference":"Patient/aw-03"}}]}'
poll 'POST Parameters'
download 'POST Parameters'
expect 'POST Parameters: _type=Patient and patient=aw-03 -> one Patient line' "JSON.stringify($L) === JSON.stringify({ Patient: 1 })"

# ------------------------------------------ faults set at run time
req POST '/$admin/bulk-faults' -H 'Content-Type: application/json' --data-binary '{"polls429": 2, "polls": 0, "requiresAccessToken": true, "errorFile": false}'
check 'POST $admin/bulk-faults' 200 'b.polls429 === 2 && b.polls === 0 && b.requiresAccessToken === true'
req POST '/$admin/bulk-faults' --data-binary '{"polls": -1}'
check '$admin/bulk-faults with a bad value -> 400' 400
kickoff 'token' GET '/$export?_type=Patient'
req GET "$STATUS_URL"
check 'token: poll 1 -> 429' 429
req GET "$STATUS_URL"
check 'token: poll 2 -> 429' 429
req GET "$STATUS_URL"
check 'token: poll 3 -> manifest at once (polls 0), requiresAccessToken, no error files' 200 \
  'b.requiresAccessToken === true && b.error.length === 0 && b.output.length === 1'
TOKEN_FILE=$(jv 'b.output[0].url')
req GET "$TOKEN_FILE"
check 'token: file without Authorization -> 401' 401 'h["www-authenticate"] === "Bearer"'
req GET "$TOKEN_FILE" -H 'Authorization: Bearer test-token' -H 'Range: bytes=0-'
check 'token: file with a Bearer token -> 206' 206

# ------------------------------------------------------------ stats
req GET '/$admin/bulk-stats'
check 'bulk-stats counts kick-offs, polls, 429s, files, ranges, drops' 200 \
  'b.kickoffs === 15 && b.polls >= 20 && b.throttled === 3 && b.filesServed > 20 && b.rangedRequests > 5 && b.drops > 5 && b.deletes === 0'

# ------------------------------------------------------------ DELETE
req DELETE "$SYS_STATUS"
check 'DELETE status URL -> 202' 202
req GET "$SYS_STATUS"
check 'status after DELETE -> 404' 404 'b.resourceType === "OperationOutcome"'
req GET "$SYS_FILE"
check 'file after DELETE -> 404' 404
req DELETE "$SYS_STATUS"
check 'DELETE again -> 404' 404
req GET '/$admin/bulk-stats'
check 'bulk-stats counted the delete' 200 'b.deletes === 1'

# ------------------------------------------------------------ stop
kill -TERM "$SRV_PID"
rc=
for _ in $(seq 1 50); do
  if ! kill -0 "$SRV_PID" 2>/dev/null; then
    wait "$SRV_PID"
    rc=$?
    break
  fi
  sleep 0.1
done
SRV_PID=
if [ "$rc" = 0 ]; then ok 'SIGTERM -> exit 0'; else bad "SIGTERM -> exit '${rc:-still running}'"; fi

echo "bulk-smoke: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
