#!/usr/bin/env bash
# Smoke test for the alemwatch test FHIR server (server.mjs).
#
# Starts the server on port 0 (twice: plain, then with the quirk options),
# loads all samples/*/bundle.json, exercises every interaction the README
# promises with curl, asserting HTTP status codes (and key parts of the
# bodies/headers), and stops the servers with SIGTERM.
#
# Usage: bash tests/tools/fhir-server/smoke.sh     (needs node >= 20.19, curl)
# Installs node_modules with `npm ci` when missing.
# Last line: "smoke: N passed, M failed"; exit status 0 only when M = 0.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
SAMPLES="$ROOT/samples"
TMP=$(mktemp -d)
PASS=0
FAIL=0
PIDS=()
J='Content-Type: application/fhir+json'

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ ! -d "$HERE/node_modules/@medplum/fhir-router" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || { echo "smoke: npm ci failed"; exit 1; }
fi

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }

# Evaluates a JS expression with b = parsed body (or null), h = response
# headers (lower-case names), e = process.env; passes when it is === true.
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
const ids = () => (b && b.entry || []).map((x) => x.resource && x.resource.id);
let r;
try { r = eval(process.argv[3]); } catch (err) { console.error("    " + err); process.exit(2); }
if (process.argv[4] === "print") { process.stdout.write(r === undefined || r === null ? "" : String(r)); process.exit(0); }
if (r === true) process.exit(0);
console.error("    expression gave: " + JSON.stringify(r));
process.exit(1);
'

# req METHOD URL-or-PATH [curl args...]  -> $CODE, $TMP/body, $TMP/headers, $TIME
req() {
  local m=$1 u=$2
  shift 2
  case $u in http*) ;; *) u="$BASE$u" ;; esac
  local out
  out=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code} %{time_total}' -X "$m" "$@" "$u" 2>"$TMP/curlerr") || out="000 0"
  CODE=${out% *}
  TIME=${out#* }
}

# check NAME WANT-CODE [JS-EXPR]
check() {
  local name=$1 want=$2 expr=${3:-}
  if [ "$CODE" != "$want" ]; then
    bad "$name: HTTP $CODE, want $want: $(head -c 400 "$TMP/body" 2>/dev/null) $(cat "$TMP/curlerr" 2>/dev/null)"
    return
  fi
  if [ -n "$expr" ]; then
    if ! node -e "$EVAL" "$TMP/body" "$TMP/headers" "$expr" 2>"$TMP/evalerr"; then
      bad "$name: $expr"
      sed 's/^/    /' "$TMP/evalerr"
      echo "    body: $(head -c 400 "$TMP/body")"
      return
    fi
  fi
  ok "$name"
}

# jv JS-EXPR -> prints the value for the last response
jv() { node -e "$EVAL" "$TMP/body" "$TMP/headers" "$1" print; }

# start_server NAME [server args...] -> $BASE, $ROOTURL, $SRV_PID
start_server() {
  local name=$1
  shift
  node "$HERE/server.mjs" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  for _ in $(seq 1 200); do
    [ -s "$TMP/$name.out" ] && break
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.1
  done
  local line
  line=$(head -n 1 "$TMP/$name.out")
  if [[ "$line" =~ ^listening\ (http://127\.0\.0\.1:[0-9]+/fhir)$ ]]; then
    export BASE=${BASH_REMATCH[1]}
    ROOTURL=${BASE%/fhir}
    ok "$name: started, printed '$line'"
  else
    bad "$name: no listening line (stdout: '$line', stderr: $(head -c 400 "$TMP/$name.err"))"
    echo "smoke: $PASS passed, $((FAIL)) failed"
    exit 1
  fi
}

# stop_server NAME PID: SIGTERM, must exit 0 within 5 s, stdout exactly one line
stop_server() {
  local name=$1 pid=$2
  kill -TERM "$pid"
  local rc=
  for _ in $(seq 1 50); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      rc=$?
      break
    fi
    sleep 0.1
  done
  if [ "$rc" = 0 ]; then ok "$name: SIGTERM -> exit 0"; else bad "$name: SIGTERM -> exit '${rc:-still running}'"; fi
  local n
  n=$(wc -l <"$TMP/$name.out")
  if [ "$n" = 1 ]; then ok "$name: stdout had exactly one line"; else bad "$name: stdout had $n lines"; fi
}

post_bundle_file() { req POST "" -H "$J" --data-binary @"$1"; }

###########################################################################
echo "# plain server"
start_server plain
PLAIN_PID=$SRV_PID

req GET /metadata
check "GET metadata -> CapabilityStatement (application/fhir+json)" 200 \
  'b.resourceType==="CapabilityStatement" && b.fhirVersion==="4.0.1" && h["content-type"].startsWith("application/fhir+json")'

# ---- samples: transaction Bundles of PUT Type/id
nsamples=0
total_entries=0
for f in "$SAMPLES"/*/bundle.json; do
  nsamples=$((nsamples + 1))
  d=$(basename "$(dirname "$f")")
  n=$(node -e 'console.log(require(process.argv[1]).entry.length)' "$f")
  total_entries=$((total_entries + n))
  post_bundle_file "$f"
  check "load sample $d ($n entries): transaction-response, all 201 with etag/location" 200 \
    "b.type===\"transaction-response\" && b.entry.length===$n && b.entry.every(x => x.response.status.startsWith(\"201\") && x.response.etag==='W/\"1\"' && /\\/_history\\/1\$/.test(x.response.location) && x.fullUrl.startsWith(e.BASE))"
done
[ "$nsamples" = 14 ] && ok "found 14 sample bundles" || bad "found $nsamples sample bundles, want 14"

post_bundle_file "$SAMPLES/02-itp/bundle.json"
check "reload sample 02 (same content): 200, versions stay 1 (no-op update)" 200 \
  'b.entry.every(x => x.response.status.startsWith("200") && x.resource.meta.versionId==="1")'

req GET "$ROOTURL/\$admin/count"
check "admin count of everything = $total_entries sample entries" 200 "b.count===$total_entries"
req GET "/Observation?_summary=count"
OBS_TOTAL=$(node -e 'let n=0;for(const f of process.argv.slice(1))n+=require(f).entry.filter(e=>e.resource.resourceType==="Observation").length;console.log(n)' "$SAMPLES"/*/bundle.json)
check "_summary=count: total only, no entries" 200 "b.type===\"searchset\" && b.total===$OBS_TOTAL && !b.entry"

# ---- _lastUpdated: create one Patient after the samples
req POST /Patient -H "$J" --data '{"resourceType":"Patient","id":"client-id-ignored","name":[{"family":"Later"}],"gender":"other"}'
check "create POST Patient -> 201, server id, Location/ETag/Last-Modified" 201 \
  'b.id!=="client-id-ignored" && b.meta.versionId==="1" && h.etag==="W/\"1\"" && h.location===`${e.BASE}/Patient/${b.id}/_history/1` && !!h["last-modified"]'
PID1=$(jv b.id)
T1=$(jv b.meta.lastUpdated)
req GET "/Patient?_lastUpdated=lt$T1&_summary=count"
check "_lastUpdated=lt<T>: the 14 sample Patients" 200 'b.total===14'
req GET "/Patient?_lastUpdated=ge$T1"
check "_lastUpdated=ge<T>: just the new Patient" 200 "b.total===1 && b.entry[0].resource.id===\"$PID1\""
req GET "/Patient?_lastUpdated=gt$T1"
check "_lastUpdated=gt<T>: nothing" 200 'b.total===0 && !b.entry'
req GET "/Patient?_lastUpdated=gt2000-01-01T00:00:00+01:00&_summary=count"
check "_lastUpdated with unencoded +01:00 offset accepted" 200 'b.total===15'
req GET "/Patient?_lastUpdated=ge-not-a-date"
check "_lastUpdated with a bad date -> 400 OperationOutcome" 400 'b.resourceType==="OperationOutcome"'

# ---- read / vread / update / If-Match / history / delete
req GET /Patient/aw-02
check "read Patient/aw-02 -> 200 with ETag, Last-Modified, meta" 200 \
  'b.id==="aw-02" && h.etag==="W/\"1\"" && !!h["last-modified"] && !!b.meta.lastUpdated'
req GET /Patient/aw-02 -H 'If-None-Match: W/"1"'
check "read with matching If-None-Match -> 304" 304
req GET /Patient/does-not-exist
check "read missing -> 404 OperationOutcome" 404 'b.resourceType==="OperationOutcome" && b.issue[0].severity==="error"'
req GET /Foo/1
check "unknown resource type -> 404 OperationOutcome" 404 'b.resourceType==="OperationOutcome"'

req PUT "/Patient/$PID1" -H "$J" -H 'If-Match: W/"1"' \
  --data "{\"resourceType\":\"Patient\",\"id\":\"$PID1\",\"name\":[{\"family\":\"Later\"}],\"gender\":\"female\"}"
check "update PUT with If-Match W/\"1\" -> 200, version 2, ETag/Location/Last-Modified" 200 \
  "b.meta.versionId===\"2\" && b.gender===\"female\" && h.etag==='W/\"2\"' && h.location===\`\${e.BASE}/Patient/$PID1/_history/2\` && !!h['last-modified'] && b.meta.lastUpdated > \"$T1\""
req PUT "/Patient/$PID1" -H "$J" -H 'If-Match: W/"1"' \
  --data "{\"resourceType\":\"Patient\",\"id\":\"$PID1\",\"gender\":\"male\"}"
check "update with stale If-Match -> 412 OperationOutcome" 412 'b.resourceType==="OperationOutcome"'
req PUT "/Patient/$PID1" -H "$J" -H 'If-Match: 2' --data "{\"resourceType\":\"Patient\",\"id\":\"$PID1\"}"
check "update with malformed If-Match -> 400" 400 'b.resourceType==="OperationOutcome"'
req GET "/Patient/$PID1/_history/1"
check "vread version 1" 200 'b.meta.versionId==="1" && b.gender==="other" && h.etag==="W/\"1\""'
req GET "/Patient/$PID1/_history/9"
check "vread unknown version -> 404" 404 'b.resourceType==="OperationOutcome"'
req PUT /Patient/new-by-put -H "$J" --data '{"resourceType":"Patient","id":"new-by-put","gender":"male"}'
check "update-as-create PUT Patient/new-by-put -> 201" 201 'b.meta.versionId==="1" && h.location.endsWith("/Patient/new-by-put/_history/1")'
req PUT /Patient/new-by-put -H "$J" -H 'If-Match: W/"1"' --data '{"resourceType":"Patient","id":"new-by-put","gender":"male"}'
check "identical update -> 200, no new version" 200 'b.meta.versionId==="1"'
req PUT /Patient/never-there -H "$J" -H 'If-Match: W/"1"' --data '{"resourceType":"Patient","id":"never-there"}'
check "If-Match on a resource that does not exist -> 412" 412
req PUT /Patient/aw-02 -H "$J" --data '{"resourceType":"Patient","id":"other"}'
check "PUT with body id != URL id -> 400" 400 'b.resourceType==="OperationOutcome"'
req PUT /Patient/bad-1 -H "$J" --data '{"resourceType":"Patient","id":"bad-1","birthDate":"yesterday"}'
check "PUT invalid resource (bad birthDate) -> 422 OperationOutcome" 422 'b.resourceType==="OperationOutcome" && b.issue.length>0'
req POST /Patient -H "$J" --data '{"resourceType":"Patient","colour":"blue"}'
check "POST resource with unknown element -> 422" 422 'b.resourceType==="OperationOutcome"'
req POST /Patient -H "$J" --data '{"resourceType":"Observation","status":"final","code":{"text":"x"}}'
check "POST Patient with an Observation body -> 400" 400 'b.resourceType==="OperationOutcome"'
req POST /Patient -H 'Content-Type: text/plain' --data '{"resourceType":"Patient"}'
check "wrong Content-Type -> 415" 415 'b.resourceType==="OperationOutcome"'
req POST /Patient -H "$J" --data '{"resourceType":'
check "malformed JSON -> 400" 400 'b.resourceType==="OperationOutcome"'
req GET /Patient/aw-02 -H 'Accept: application/fhir+xml'
check "Accept: application/fhir+xml only -> 406" 406 'b.resourceType==="OperationOutcome"'
req DELETE ""
check "DELETE on the base -> 405 with Allow" 405 'b.resourceType==="OperationOutcome" && /GET/.test(h.allow)'
req PATCH "/Patient/$PID1" -H 'Content-Type: application/json-patch+json' --data '[{"op":"replace","path":"/gender","value":"unknown"}]'
check "JSON Patch -> 200, version 3" 200 'b.gender==="unknown" && b.meta.versionId==="3"'
req GET "/Patient/$PID1/_history"
check "history: 3 versions, newest first, fullUrl" 200 \
  'b.type==="history" && b.total===3 && b.entry.map(x=>x.resource.meta.versionId).join()==="3,2,1" && b.entry.every(x=>x.fullUrl.startsWith(e.BASE))'
req DELETE "/Patient/$PID1"
check "delete -> 200 OperationOutcome" 200 'b.resourceType==="OperationOutcome"'
req GET "/Patient/$PID1"
check "read deleted -> 410 Gone" 410 'b.resourceType==="OperationOutcome"'
req DELETE "/Patient/$PID1"
check "delete again -> 200 (idempotent)" 200
req DELETE /Patient/never-existed
check "delete never-existing -> 404" 404
req GET "/Patient/$PID1/_history/2"
check "vread an old version of a deleted resource" 200 'b.meta.versionId==="2"'
req GET "/Patient/$PID1/_history"
check "history shows the delete as version 4" 200 'b.total===4 && b.entry[0].request.method==="DELETE" && !b.entry[0].resource'
req PUT "/Patient/$PID1" -H "$J" --data "{\"resourceType\":\"Patient\",\"id\":\"$PID1\"}"
check "re-create a deleted resource by PUT -> 201, version 5" 201 'b.meta.versionId==="5"'

# ---- DetectedIssue: conditional update / conditional create
DI_FILE="$TMP/di.json"
head -n 1 "$SAMPLES/02-itp/expected.ndjson" >"$DI_FILE"
DI_SYS=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(r.identifier[0].system)' "$DI_FILE")
DI_VAL=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(r.identifier[0].value)' "$DI_FILE")
DI_Q="identifier=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]+"|"+process.argv[2]))' "$DI_SYS" "$DI_VAL")"
node -e 'const fs=require("fs");const r=JSON.parse(fs.readFileSync(process.argv[1],"utf8"));r.status="final";fs.writeFileSync(process.argv[2],JSON.stringify(r))' "$DI_FILE" "$TMP/di-final.json"
node -e 'const fs=require("fs");const r=JSON.parse(fs.readFileSync(process.argv[1],"utf8"));r.status="cancelled";fs.writeFileSync(process.argv[2],JSON.stringify(r))' "$DI_FILE" "$TMP/di-cancelled.json"

req PUT "/DetectedIssue?$DI_Q" -H "$J" --data-binary @"$DI_FILE"
check "conditional update, no match -> 201 create, Location/ETag" 201 \
  'b.resourceType==="DetectedIssue" && b.meta.versionId==="1" && h.location===`${e.BASE}/DetectedIssue/${b.id}/_history/1` && h.etag==="W/\"1\""'
DI_ID=$(jv b.id)
req PUT "/DetectedIssue?$DI_Q" -H "$J" --data-binary @"$DI_FILE"
check "conditional update, one match, same content -> 200, still version 1" 200 "b.id===\"$DI_ID\" && b.meta.versionId===\"1\""
req PUT "/DetectedIssue?$DI_Q" -H "$J" --data-binary @"$TMP/di-final.json"
check "conditional update, one match, changed -> 200, version 2" 200 "b.id===\"$DI_ID\" && b.meta.versionId===\"2\" && b.status===\"final\" && h.etag==='W/\"2\"'"
req PUT "/DetectedIssue?$DI_Q" -H "$J" -H 'If-Match: W/"1"' --data-binary @"$TMP/di-cancelled.json"
check "conditional update with stale If-Match -> 412" 412 'b.resourceType==="OperationOutcome"'
req PUT "/DetectedIssue?identifier=$DI_SYS|$DI_VAL" -H "$J" -H 'If-Match: W/"2"' --data-binary @"$TMP/di-cancelled.json"
check "conditional update (raw '|' in URL) with current If-Match -> 200, version 3" 200 "b.id===\"$DI_ID\" && b.meta.versionId===\"3\""
req GET "/DetectedIssue?$DI_Q"
check "search identifier=system|value -> 1" 200 "b.total===1 && b.entry[0].resource.id===\"$DI_ID\""
req POST /DetectedIssue -H "$J" -H "If-None-Exist: $DI_Q" --data-binary @"$DI_FILE"
check "conditional create (If-None-Exist), one match -> 200 with the existing resource" 200 "b.id===\"$DI_ID\""
req POST /DetectedIssue -H "$J" -H "If-None-Exist: identifier=urn:test|cc-1" \
  --data '{"resourceType":"DetectedIssue","status":"preliminary","identifier":[{"system":"urn:test","value":"cc-1"}]}'
check "conditional create, no match -> 201" 201 'b.meta.versionId==="1"'
CC_ID=$(jv b.id)
req POST /DetectedIssue -H "$J" -H "If-None-Exist: identifier=urn:test|cc-1" \
  --data '{"resourceType":"DetectedIssue","status":"preliminary","identifier":[{"system":"urn:test","value":"cc-1"}]}'
check "conditional create repeated -> 200, same id" 200 "b.id===\"$CC_ID\""
req POST /DetectedIssue -H "$J" --data-binary @"$DI_FILE"
check "plain POST of a second DetectedIssue with the same identifier -> 201" 201
req PUT "/DetectedIssue?$DI_Q" -H "$J" --data-binary @"$DI_FILE"
check "conditional update, two matches -> 412" 412 'b.resourceType==="OperationOutcome"'
req POST /DetectedIssue -H "$J" -H "If-None-Exist: $DI_Q" --data-binary @"$DI_FILE"
check "conditional create, two matches -> 412" 412 'b.resourceType==="OperationOutcome"'
req PUT "/DetectedIssue" -H "$J" --data-binary @"$DI_FILE"
check "conditional update without criteria -> 400" 400
# conditional update inside a transaction (how a client may write DetectedIssues in bulk)
TXDI='{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"DetectedIssue","status":"STATUS","identifier":[{"system":"urn:test","value":"tx-1"}]},"request":{"method":"PUT","url":"DetectedIssue?identifier=urn:test|tx-1"}}]}'
req POST "" -H "$J" --data "${TXDI/STATUS/preliminary}"
check "transaction with conditional PUT, no match -> entry 201" 200 'b.entry[0].response.status.startsWith("201") && b.entry[0].response.etag==="W/\"1\""'
TXDI_ID=$(jv 'b.entry[0].resource.id')
req POST "" -H "$J" --data "${TXDI/STATUS/preliminary}"
check "... same again -> entry 200, same id, version 1" 200 "b.entry[0].response.status.startsWith(\"200\") && b.entry[0].resource.id===\"$TXDI_ID\" && b.entry[0].resource.meta.versionId===\"1\""
req POST "" -H "$J" --data "${TXDI/STATUS/final}"
check "... changed -> entry 200, version 2" 200 "b.entry[0].resource.id===\"$TXDI_ID\" && b.entry[0].response.etag==='W/\"2\"'"
req PUT "/DetectedIssue?identifier=urn:test%7Cno-such" -H "$J" --data "{\"resourceType\":\"DetectedIssue\",\"id\":\"$TXDI_ID\",\"status\":\"final\"}"
check "conditional update, no match, body id of another existing resource -> 409" 409 'b.resourceType==="OperationOutcome"'
req PUT "/DetectedIssue?identifier=urn:test%7Ctx-1" -H "$J" -H 'Prefer: return=minimal' \
  --data '{"resourceType":"DetectedIssue","status":"cancelled","identifier":[{"system":"urn:test","value":"tx-1"}]}'
check "Prefer: return=minimal -> empty body, ETag/Location still set" 200 'b===null && h.etag==="W/\"3\"" && h.location.endsWith("/_history/3")'
req DELETE "/DetectedIssue?identifier=urn:test%7Ctx-1"
check "conditional delete" 200
req GET "$ROOTURL/\$admin/count?type=DetectedIssue"
check "admin count DetectedIssue = 3" 200 'b.count===3'
req GET "/DetectedIssue?_summary=count"
check "DetectedIssue?_summary=count total = 3" 200 'b.total===3'

# ---- search
req GET "/Observation?patient=Patient/aw-01&_count=25"
check "search _count=25: total, 25 entries, fullUrl, search.mode, self/next absolute" 200 \
  'b.type==="searchset" && b.total===139 && b.entry.length===25 && b.entry.every(x=>x.fullUrl===`${e.BASE}/Observation/${x.resource.id}` && x.search.mode==="match") && b.link.find(l=>l.relation==="self").url.startsWith(e.BASE+"/Observation?") && b.link.find(l=>l.relation==="next").url.startsWith(e.BASE+"/Observation?")'
: >"$TMP/paged-ids"
pages=0
next="$BASE/Observation?patient=Patient/aw-01&_count=25"
while [ -n "$next" ] && [ $pages -lt 20 ]; do
  req GET "$next"
  [ "$CODE" = 200 ] || break
  jv 'ids().join("\n")' >>"$TMP/paged-ids"
  echo >>"$TMP/paged-ids"
  pages=$((pages + 1))
  next=$(jv '(b.link.find(l=>l.relation==="next")||{}).url')
done
nids=$(grep -c . "$TMP/paged-ids")
nuniq=$(grep . "$TMP/paged-ids" | sort -u | wc -l)
if [ "$CODE" = 200 ] && [ $pages = 6 ] && [ "$nids" = 139 ] && [ "$nuniq" = 139 ]; then
  ok "following next links verbatim: 6 pages, 139 distinct Observations"
else
  bad "following next links: code $CODE, $pages pages, $nids ids ($nuniq distinct)"
fi
req GET "/Observation?patient=Patient/aw-01"
check "default page size 50 when no _count" 200 'b.total===139 && b.entry.length===50'
req GET "/Observation?patient=Patient/aw-02&_summary=count"
check "patient=Patient/aw-02 -> 51" 200 'b.total===51'
req GET "/Observation?subject=Patient/aw-02&_summary=count"
check "subject=Patient/aw-02 -> 51" 200 'b.total===51'
req GET "/Observation?patient=aw-02&_summary=count"
check "patient=aw-02 (bare id) -> 51" 200 'b.total===51'
req GET "/Observation?subject=$BASE/Patient/aw-02&_summary=count"
check "subject=<absolute URL> -> 51" 200 'b.total===51'
req GET "/Observation?patient=Patient/aw-02&code=http://loinc.org%7C777-3"
check "code=system|code" 200 'b.total>0 && b.entry.every(x=>x.resource.code.coding.some(c=>c.system==="http://loinc.org"&&c.code==="777-3"))'
PLT=$(jv b.total)
req GET "/Observation?patient=Patient/aw-02&code=http://loinc.org%7C718-7"
HB=$(jv b.total)
req GET "/Observation?patient=Patient/aw-02&code=http://loinc.org%7C777-3,http://loinc.org%7C718-7"
check "code=a,b (OR) -> $PLT + $HB" 200 "b.total===$PLT+$HB"
req GET "/Observation?patient=Patient/aw-02&code:text=platelet"
check "code:text=platelet" 200 "b.total===$PLT && b.entry.every(x=>/platelet/i.test(x.resource.code.text+x.resource.code.coding[0].display))"
req GET "/Observation?patient=Patient/aw-02&category=laboratory&_summary=count"
check "category=laboratory" 200 'b.total===51'
req GET "/Observation?patient=Patient/aw-02&category=http://terminology.hl7.org/CodeSystem/observation-category%7Cvital-signs&_summary=count"
check "category=...|vital-signs -> 0" 200 'b.total===0'
req GET "/Observation?patient=Patient/aw-02&date=ge2021-01-01&_count=100"
check "date=ge2021-01-01" 200 'b.total>0 && b.total<51 && b.entry.every(x=>x.resource.effectiveDateTime>="2021-01-01")'
GE=$(jv b.total)
req GET "/Observation?patient=Patient/aw-02&date=lt2021-01-01&_summary=count"
check "date=lt2021-01-01 is the complement (51 - $GE)" 200 "b.total===51-$GE"
req GET "/Observation?_id=aw-02-plt-1,aw-02-hb-1"
check "_id=a,b" 200 'b.total===2 && ids().sort().join()==="aw-02-hb-1,aw-02-plt-1"'
req GET "/Observation?patient=Patient/aw-02&_sort=-date&_count=100"
check "_sort=-date: newest first" 200 'b.entry.every((x,i,a)=>i===0||a[i-1].resource.effectiveDateTime>=x.resource.effectiveDateTime) && b.entry[0].resource.effectiveDateTime>b.entry[50].resource.effectiveDateTime'
req GET "/Observation?patient=Patient/aw-02&_sort=date&_count=100"
check "_sort=date: oldest first" 200 'b.entry.every((x,i,a)=>i===0||a[i-1].resource.effectiveDateTime<=x.resource.effectiveDateTime)'
req GET "/Observation?patient=Patient/aw-02&_sort=code,-date&_count=100"
check "_sort=code,-date: two keys" 200 'b.entry.every((x,i,a)=>{if(!i)return true;const p=a[i-1].resource,c=x.resource;const pc=p.code.coding[0].code,cc=c.code.coding[0].code;return pc<cc||(pc===cc&&p.effectiveDateTime>=c.effectiveDateTime)})'
req GET "/Observation?patient=Patient/aw-02&_sort=_lastUpdated&_count=3"
check "_sort=_lastUpdated" 200 'b.entry.every((x,i,a)=>i===0||a[i-1].resource.meta.lastUpdated<=x.resource.meta.lastUpdated)'
req GET "/Observation?patient=Patient/aw-02&_count=0"
check "_count=0 -> total only" 200 'b.total===51 && !b.entry'
req GET "/Observation?patient=Patient/aw-02&_count=abc"
check "_count=abc -> 400" 400 'b.resourceType==="OperationOutcome"'
req GET "/Observation?colour=blue"
check "unknown search parameter -> 400 OperationOutcome" 400 'b.resourceType==="OperationOutcome" && /colour/.test(b.issue[0].details.text)'
req GET "/Observation?colour=blue&_summary=count" -H 'Prefer: handling=lenient'
check "unknown parameter with Prefer: handling=lenient -> ignored" 200 "b.total===$OBS_TOTAL"
req GET "/Observation?value-quantity=gt5"
check "quantity parameter (unsupported) -> 400, not a silent empty result" 400
req POST /Observation/_search -H 'Content-Type: application/x-www-form-urlencoded' --data 'patient=Patient/aw-02&code=http://loinc.org|777-3'
check "POST Observation/_search (form) = GET search" 200 "b.total===$PLT && b.link[0].url.startsWith(e.BASE)"
req GET "/MedicationAdministration?code=http://www.nlm.nih.gov/research/umls/rxnorm%7C1594659&patient=Patient/aw-02"
check "MedicationAdministration?code=rxnorm|1594659 (medicationCodeableConcept)" 200 'b.total>0 && b.entry.every(x=>x.resource.medicationCodeableConcept.coding.some(c=>c.code==="1594659"))'

# medication as a Reference, for medication= and chained medication.code=
post_bundle_file /dev/stdin <<'EOF'
{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b7e5e0c-0000-4000-8000-000000000001","resource":{"resourceType":"Medication","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1594659","display":"Lemtrada"}]}},"request":{"method":"POST","url":"Medication"}},
 {"fullUrl":"urn:uuid:0b7e5e0c-0000-4000-8000-000000000002","resource":{"resourceType":"Medication","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"161","display":"Acetaminophen"}]}},"request":{"method":"POST","url":"Medication"}},
 {"resource":{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/aw-02"},"medicationReference":{"reference":"urn:uuid:0b7e5e0c-0000-4000-8000-000000000001"}},"request":{"method":"POST","url":"MedicationRequest"}},
 {"resource":{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/aw-02"},"medicationReference":{"reference":"urn:uuid:0b7e5e0c-0000-4000-8000-000000000002"}},"request":{"method":"POST","url":"MedicationRequest"}}
]}
EOF
check "transaction with POST entries and urn:uuid references -> 201s" 200 \
  'b.entry.length===4 && b.entry.every(x=>x.response.status.startsWith("201"))'
MED1=$(jv 'b.entry[0].resource.id')
req GET "/MedicationRequest?medication=Medication/$MED1"
check "medication=Medication/x (urn:uuid rewritten to the new id)" 200 "b.total===1 && b.entry[0].resource.medicationReference.reference===\"Medication/$MED1\""
req GET "/MedicationRequest?medication.code=http://www.nlm.nih.gov/research/umls/rxnorm%7C1594659"
check "chained medication.code=rxnorm|1594659" 200 "b.total===1 && b.entry[0].resource.medicationReference.reference===\"Medication/$MED1\""
req GET "/MedicationRequest?medication.code=1594659,161&_summary=count"
check "chained medication.code=a,b" 200 'b.total===2'
req GET "/MedicationRequest?medication.code=999"
check "chained medication.code with no match -> 0" 200 'b.total===0'
req GET "/MedicationRequest?medication=Medication/$MED1&_include=MedicationRequest:medication"
check "_include=MedicationRequest:medication" 200 "b.total===1 && b.entry.length===2 && b.entry[1].search.mode===\"include\" && b.entry[1].resource.id===\"$MED1\""
req GET "/Patient?_id=aw-02&_revinclude=Observation:patient&_count=5"
check "_revinclude=Observation:patient" 200 'b.total===1 && b.entry.length===52 && b.entry.slice(1).every(x=>x.search.mode==="include")'

# ---- batch
post_bundle_file /dev/stdin <<'EOF'
{"resourceType":"Bundle","type":"batch","entry":[
 {"request":{"method":"GET","url":"Patient/aw-02"}},
 {"request":{"method":"GET","url":"Patient/nope"}},
 {"resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
 {"resource":{"resourceType":"Patient","id":"batch-put"},"request":{"method":"PUT","url":"Patient/batch-put"}},
 {"request":{"method":"GET","url":"Observation?patient=Patient/aw-02&_count=1"}},
 {"resource":{"resourceType":"Patient","id":"x"},"request":{"method":"PUT","url":"Patient/y"}},
 {"resource":{"resourceType":"Patient","id":"batch-put"},"request":{"method":"PUT","url":"Patient/batch-put","ifMatch":"W/\"7\""}}
]}
EOF
check "batch: per-entry statuses 200,404,201,201,200,400,412" 200 \
  'b.type==="batch-response" && b.entry.map(x=>x.response.status.slice(0,3)).join()==="200,404,201,201,200,400,412" && b.entry[4].resource.total===51 && b.entry[1].response.outcome.resourceType==="OperationOutcome"'

# ---- transaction atomicity
post_bundle_file /dev/stdin <<'EOF'
{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient","id":"tx-a"},"request":{"method":"PUT","url":"Patient/tx-a"}},
 {"resource":{"resourceType":"Patient","id":"tx-b","birthDate":"yesterday"},"request":{"method":"PUT","url":"Patient/tx-b"}}
]}
EOF
check "transaction with an invalid entry -> 422 OperationOutcome for the whole Bundle" 422 'b.resourceType==="OperationOutcome" && /entry\[1\]/.test(JSON.stringify(b))'
req GET /Patient/tx-a
check "... and nothing from it was written (rollback)" 404
post_bundle_file /dev/stdin <<'EOF'
{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient","id":"aw-03","name":[{"family":"Changed"}]},"request":{"method":"PUT","url":"Patient/aw-03"}},
 {"resource":{"resourceType":"Patient","id":"aw-04"},"request":{"method":"PUT","url":"Patient/aw-04","ifMatch":"W/\"42\""}}
]}
EOF
check "transaction with a version conflict -> 412, rolled back" 412 'b.resourceType==="OperationOutcome"'
req GET /Patient/aw-03
check "... aw-03 unchanged" 200 'b.name[0].family!=="Changed" && b.meta.versionId==="1"'
post_bundle_file /dev/stdin <<'EOF'
{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient","id":"dup"},"request":{"method":"PUT","url":"Patient/dup"}},
 {"resource":{"resourceType":"Patient","id":"dup"},"request":{"method":"PUT","url":"Patient/dup"}}
]}
EOF
check "transaction with the same resource twice -> 400" 400
req POST "" -H "$J" --data '{"resourceType":"Patient"}'
check "POST base with a non-Bundle -> 400" 400 'b.resourceType==="OperationOutcome"'
req POST "" -H "$J" --data '{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}}]}'
check "POST base with a collection Bundle -> 400" 400

# ---- admin fault injection
req POST "$ROOTURL/\$admin/fail?count=2&status=503&retryAfter=1"
check "admin fail: arm 2 x 503" 200 'b.ok===true'
req GET /Patient/aw-02
check "injected fault 1 -> 503 OperationOutcome, Retry-After" 503 'b.resourceType==="OperationOutcome" && h["retry-after"]==="1"'
req GET /Patient/aw-02
check "injected fault 2 -> 503" 503
req GET /Patient/aw-02
check "after the faults -> 200 again" 200
req POST "$ROOTURL/\$admin/reset"
check "admin reset" 200
req GET "/Observation?_summary=count"
check "after reset: empty" 200 'b.total===0'

stop_server plain "$PLAIN_PID"

###########################################################################
echo "# quirk server"
start_server quirks --require-category --no-conditional-update --read-only-type DetectedIssue \
  --latency-ms 300 --page-size 7 --load "$SAMPLES/02-itp/bundle.json" "$SAMPLES/03-itp-early/bundle.json"
QUIRK_PID=$SRV_PID
req GET "/Observation?patient=Patient/aw-02"
check "--require-category: Observation search without category -> 400 OperationOutcome" 400 \
  'b.resourceType==="OperationOutcome" && /category/.test(b.issue[0].details.text)'
req GET "/Observation?patient=Patient/aw-02&category=laboratory"
check "--require-category: with category=laboratory -> 200; --page-size 7" 200 'b.total===51 && b.entry.length===7'
req GET "/Observation?patient=Patient/aw-02&category=http://terminology.hl7.org/CodeSystem/observation-category%7Claboratory&_count=60"
check "--require-category: system|laboratory accepted, _count overrides page size" 200 'b.total===51 && b.entry.length===51'
req GET /Observation/aw-02-plt-1
check "--require-category: read by id unaffected" 200
if awk "BEGIN{exit !($TIME >= 0.3)}"; then ok "--latency-ms 300: request took ${TIME}s"; else bad "--latency-ms 300: request took ${TIME}s"; fi
req PUT "/Patient?identifier=urn:x%7C1" -H "$J" --data '{"resourceType":"Patient"}'
check "--no-conditional-update: PUT Type?query -> 405 OperationOutcome" 405 'b.resourceType==="OperationOutcome" && /onditional update/.test(b.issue[0].details.text)'
post_bundle_file /dev/stdin <<'EOF'
{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient?identifier=urn:x|1"}}
]}
EOF
check "--no-conditional-update: in a transaction too -> 405" 405 'b.resourceType==="OperationOutcome"'
req PUT /Patient/aw-02 -H "$J" --data '{"resourceType":"Patient","id":"aw-02","gender":"female"}'
check "--no-conditional-update: plain PUT Type/id still works" 200 'b.meta.versionId==="2"'
req POST /DetectedIssue -H "$J" --data-binary @"$DI_FILE"
check "--read-only-type DetectedIssue: POST -> 405 OperationOutcome" 405 'b.resourceType==="OperationOutcome"'
req PUT /DetectedIssue/di-1 -H "$J" --data '{"resourceType":"DetectedIssue","id":"di-1","status":"final"}'
check "--read-only-type DetectedIssue: PUT -> 405" 405 'b.resourceType==="OperationOutcome"'
req DELETE /DetectedIssue/di-1
check "--read-only-type DetectedIssue: DELETE -> 405" 405
post_bundle_file /dev/stdin <<'EOF'
{"resourceType":"Bundle","type":"transaction","entry":[
 {"resource":{"resourceType":"Patient","id":"ro-1"},"request":{"method":"PUT","url":"Patient/ro-1"}},
 {"resource":{"resourceType":"DetectedIssue","status":"final"},"request":{"method":"POST","url":"DetectedIssue"}}
]}
EOF
check "--read-only-type: transaction writing one -> 405, rolled back" 405
req GET /Patient/ro-1
check "... Patient/ro-1 not written" 404
req GET "/DetectedIssue?patient=Patient/aw-02"
check "--read-only-type DetectedIssue: search still works" 200 'b.total===0'
req GET "$ROOTURL/\$admin/count?type=Patient"
check "--load: 2 sample Patients" 200 'b.count===2'
stop_server quirks "$QUIRK_PID"

# fail-first from the command line
start_server failfirst --fail-first 1 --fail-status 429
req GET /metadata
check "--fail-first 1 --fail-status 429: first request -> 429" 429 'b.resourceType==="OperationOutcome"'
req GET /metadata
check "--fail-first: second request -> 200" 200
stop_server failfirst "$SRV_PID"

# bad options
if node "$HERE/server.mjs" --host 0.0.0.0 >/dev/null 2>&1; then bad "--host 0.0.0.0 accepted"; else ok "--host 0.0.0.0 refused"; fi

echo "smoke: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
