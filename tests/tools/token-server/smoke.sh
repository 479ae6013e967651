#!/usr/bin/env bash
# Smoke test for the alemwatch test token server (server.mjs).
#
# Generates keys with the openssl CLI (RSA 3072, EC P-384, and two "rogue" keys), builds the
# public JWK Sets with jose's exportJWK, signs client assertions with jose (node -e), starts
# the token server on port 0 in front of the test FHIR server (../fhir-server), and checks
# discovery, private_key_jwt (RS384/ES384) and every refusal, client_secret_basic, scopes,
# the bearer-protected FHIR proxy (URL rewriting, If-Match, If-None-Exist), --token-lifetime,
# --fail-once-with-401-after, the concurrency counter, /$stats, SIGTERM and bad options.
#
# Usage: bash tests/tools/token-server/smoke.sh     (needs node >= 20.19, curl, openssl)
# Installs node_modules (here and in ../fhir-server) with `npm ci` when missing.
# Last line: "smoke: N passed, M failed"; exit status 0 only when M = 0.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
FHIR_DIR="$ROOT/tests/tools/fhir-server"
SAMPLES="$ROOT/samples"
TMP=$(mktemp -d)
PASS=0
FAIL=0
PIDS=()
AT='urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
FORM='Content-Type: application/x-www-form-urlencoded'
J='Content-Type: application/fhir+json'

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

if [ ! -d "$HERE/node_modules/jose" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || { echo "smoke: npm ci failed"; exit 1; }
fi
if [ ! -d "$FHIR_DIR/node_modules/@medplum/fhir-router" ]; then
  (cd "$FHIR_DIR" && npm ci --no-audit --no-fund --loglevel=error) || { echo "smoke: npm ci in fhir-server failed"; exit 1; }
fi

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }

# Evaluates a JS expression with b = parsed body (or null), h = response headers (lower-case
# names), e = process.env; passes when it is === true.
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

# req METHOD URL-or-PATH [curl args...] -> $CODE, $TMP/body, $TMP/headers (PATH is under $TS)
req() {
  local m=$1 u=$2
  shift 2
  case $u in http*) ;; *) u="$TS$u" ;; esac
  CODE=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$m" "$@" "$u" 2>"$TMP/curlerr") || CODE=000
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

# refused NAME WANT-CODE WANT-ERROR DESCRIPTION-REGEX: an OAuth error response
refused() {
  check "$1" "$2" "b.error===\"$3\" && /$4/.test(b.error_description)"
}

# start_bg NAME REGEX COMMAND... -> $URL (first group of REGEX on the listening line), $SRV_PID
start_bg() {
  local name=$1 re=$2
  shift 2
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  for _ in $(seq 1 200); do
    [ -s "$TMP/$name.out" ] && break
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.05
  done
  sleep 0.05
  local line
  line=$(head -n 1 "$TMP/$name.out")
  if [[ "$line" =~ $re ]]; then
    URL=${BASH_REMATCH[1]}
    ok "$name: started, printed '$line'"
  else
    bad "$name: no listening line (stdout: '$line', stderr: $(head -c 400 "$TMP/$name.err"))"
    echo "smoke: $PASS passed, $FAIL failed"
    exit 1
  fi
}

# start_token NAME [server args...] -> $TS (http://127.0.0.1:PORT), $TOKEN_URL, $SRV_PID
start_token() {
  local name=$1
  shift
  start_bg "$name" '^listening (http://127\.0\.0\.1:[0-9]+)$' node "$HERE/server.mjs" "$@"
  export TS=$URL TOKEN_URL="$URL/token"
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
  if [ "$rc" = 0 ] && [ "$(wc -l <"$TMP/$name.out")" = 1 ]; then
    ok "$name: SIGTERM -> exit 0, stdout exactly one line"
  else
    bad "$name: SIGTERM -> exit '${rc:-still running}', stdout $(wc -l <"$TMP/$name.out") lines; stderr: $(head -c 400 "$TMP/$name.err")"
  fi
}

###########################################################################
echo "# keys (openssl) and JWK Sets (jose exportJWK)"
K="$TMP/keys"
mkdir -p "$K"
for spec in rsa:RSA:rsa_keygen_bits:3072 rogue-rsa:RSA:rsa_keygen_bits:3072 ec:EC:ec_paramgen_curve:P-384 rogue-ec:EC:ec_paramgen_curve:P-384; do
  IFS=: read -r name alg opt val <<<"$spec"
  if openssl genpkey -algorithm "$alg" -pkeyopt "$opt:$val" -out "$K/$name.pem" 2>"$TMP/openssl.err" &&
    openssl pkey -in "$K/$name.pem" -pubout -out "$K/$name.pub.pem" 2>>"$TMP/openssl.err"; then
    :
  else
    bad "openssl: generating $name failed: $(cat "$TMP/openssl.err")"
    echo "smoke: $PASS passed, $FAIL failed"
    exit 1
  fi
done
ok "openssl: RSA 3072 and EC P-384 keys (and two rogue keys) generated"

# node -e (ESM) from $HERE so that 'jose' resolves to ./node_modules.
jsm() { (cd "$HERE" && node --input-type=module -e "$@"); }

# jwks PUB.pem:ALG... -> {"keys":[...]} with kid = RFC 7638 thumbprint, alg, use "sig"
JWKS_JS='
import { importSPKI, exportJWK, calculateJwkThumbprint } from "jose";
import { readFileSync } from "node:fs";
const keys = [];
for (const arg of process.argv.slice(1)) {
  const [pem, alg] = arg.split(":");
  const jwk = await exportJWK(await importSPKI(readFileSync(pem, "utf8"), alg, { extractable: true }));
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = alg;
  jwk.use = "sig";
  keys.push(jwk);
}
process.stdout.write(JSON.stringify({ keys }, null, 2));
'
jsm "$JWKS_JS" "$K/rsa.pub.pem:RS384" >"$K/rsa.jwks" &&
  jsm "$JWKS_JS" "$K/ec.pub.pem:ES384" >"$K/ec.jwks" &&
  jsm "$JWKS_JS" "$K/rsa.pub.pem:RS384" "$K/ec.pub.pem:ES384" >"$K/both.jwks" &&
  jsm "$JWKS_JS" "$K/rogue-ec.pub.pem:ES384" >"$K/rogue-ec.jwks" ||
  { bad "building JWKS with jose failed"; echo "smoke: $PASS passed, $FAIL failed"; exit 1; }
kid_of() { node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).keys[0].kid)' "$1"; }
RSA_KID=$(kid_of "$K/rsa.jwks")
EC_KID=$(kid_of "$K/ec.jwks")
ROGUE_EC_KID=$(kid_of "$K/rogue-ec.jwks")
if node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); process.exit(j.keys.length===2 && j.keys[0].kty==="RSA" && j.keys[0].n && j.keys[0].e && j.keys[1].kty==="EC" && j.keys[1].crv==="P-384" && j.keys[1].x && j.keys[1].y && !j.keys.some(k=>k.d) ? 0 : 1)' "$K/both.jwks"; then
  ok "JWKS: public RSA (n,e) and EC P-384 (crv,x,y) JWKs with kid, no private members"
else
  bad "JWKS content: $(head -c 400 "$K/both.jwks")"
fi
# a JWKS that wrongly holds the private key, for the refusal check
jsm '
import { importPKCS8, exportJWK } from "jose";
import { readFileSync } from "node:fs";
const jwk = await exportJWK(await importPKCS8(readFileSync(process.argv[1], "utf8"), "ES384", { extractable: true }));
jwk.kid = "private";
process.stdout.write(JSON.stringify({ keys: [jwk] }));
' "$K/ec.pem" >"$K/private.jwks"
SECRET=$(openssl rand -hex 24)
printf '%s\n' "$SECRET" >"$K/secret.txt"
SECRET2='p@ss w+rd/:%x'
printf '%s' "$SECRET2" >"$K/secret2.txt"

# sign PEM ALG KID CLIENT [CLAIMS-JS [HEADER-JS]] -> a compact JWS on stdout.
# Defaults: iss = sub = CLIENT, aud = $TOKEN_URL, iat = now, exp = now + 240, jti random;
# CLAIMS-JS / HEADER-JS are object literals (with `now` and `e` = env) merged over them,
# a value of undefined removes the member.
SIGN_JS='
import { SignJWT, importPKCS8 } from "jose";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
const [pem, alg, kid, client, extra = "{}", hdr = "{}"] = process.argv.slice(1);
const now = Math.floor(Date.now() / 1000);
const e = process.env;
const clean = (o) => { for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]; return o; };
const claims = clean({ iss: client, sub: client, aud: e.TOKEN_URL, iat: now, exp: now + 240, jti: randomUUID(), ...eval("(" + extra + ")") });
const header = clean({ alg, kid, typ: "JWT", ...eval("(" + hdr + ")") });
const key = await importPKCS8(readFileSync(pem, "utf8"), alg);
process.stdout.write(await new SignJWT(claims).setProtectedHeader(header).sign(key));
'
sign() { jsm "$SIGN_JS" "$@"; }
rsa_jwt() { sign "$K/rsa.pem" RS384 "$RSA_KID" app-rsa "$@"; }
ec_jwt() { sign "$K/ec.pem" ES384 "$EC_KID" app-ec "$@"; }

# tok ASSERTION [curl args...]: private_key_jwt token request; scope from $SCOPE
tok() {
  local a=$1
  shift
  req POST /token -H "$FORM" --data-urlencode grant_type=client_credentials \
    --data-urlencode "scope=${SCOPE:-system/Observation.rs}" \
    --data-urlencode "client_assertion_type=$AT" --data-urlencode "client_assertion=$a" "$@"
}

# stats_check NAME JS-EXPR
stats_check() {
  req GET "/\$stats"
  check "$1" 200 "$2"
}

###########################################################################
echo "# upstream: the test FHIR server"
start_bg fhir '^listening (http://127\.0\.0\.1:[0-9]+/fhir)$' node "$FHIR_DIR/server.mjs" --load "$SAMPLES/02-itp/bundle.json"
FHIR=$URL
FHIR_PID=$SRV_PID
export FHIR

###########################################################################
echo "# token server: discovery"
ALLOWED="system/Observation.read system/Patient.rs system/DetectedIssue.cruds"
start_token main --client app-rsa="$K/rsa.jwks" --client app-ec="$K/ec.jwks" --client app-both="$K/both.jwks" \
  --secret app-basic="$K/secret.txt" --secret app-enc="$K/secret2.txt" --scopes "$ALLOWED" --fhir-upstream "$FHIR"
MAIN_PID=$SRV_PID
export ALLOWED
req GET /.well-known/smart-configuration
check "smart-configuration: token_endpoint, auth methods, algs, grant types, capabilities, scopes" 200 '
  /^application\/json/.test(h["content-type"]) &&
  b.token_endpoint === e.TOKEN_URL &&
  JSON.stringify(b.token_endpoint_auth_methods_supported) === "[\"private_key_jwt\",\"client_secret_basic\"]" &&
  JSON.stringify(b.token_endpoint_auth_signing_alg_values_supported) === "[\"RS384\",\"ES384\"]" &&
  JSON.stringify(b.grant_types_supported) === "[\"client_credentials\"]" &&
  b.capabilities.includes("client-confidential-asymmetric") && b.capabilities.includes("client-confidential-symmetric") &&
  b.scopes_supported.join(" ") === e.ALLOWED'
req GET /fhir/.well-known/smart-configuration -H 'Accept: application/fhir+json'
check "smart-configuration under the FHIR base, no token needed, JSON whatever Accept says" 200 \
  'b.token_endpoint === e.TOKEN_URL && /^application\/json/.test(h["content-type"])'

###########################################################################
echo "# private_key_jwt"
ISSUED=0
tok "$(rsa_jwt)"
check "valid RS384 assertion -> token" 200 \
  'b.token_type === "bearer" && b.expires_in === 300 && b.scope === "system/Observation.rs" && typeof b.access_token === "string" && b.access_token.length >= 32 && h["cache-control"] === "no-store"'
RSA_TOKEN=$(jv b.access_token)
ISSUED=$((ISSUED + 1))
tok "$(ec_jwt)"
check "valid ES384 assertion -> token" 200 'b.token_type === "bearer" && b.expires_in === 300'
EC_TOKEN=$(jv b.access_token)
ISSUED=$((ISSUED + 1))
if [ "$RSA_TOKEN" != "$EC_TOKEN" ]; then ok "tokens are distinct"; else bad "two token requests gave the same token"; fi
tok "$(sign "$K/ec.pem" ES384 "$EC_KID" app-both)"
check "two-key JWKS: the kid selects the EC key" 200
ISSUED=$((ISSUED + 1))
tok "$(sign "$K/rsa.pem" RS384 "$RSA_KID" app-both)"
check "two-key JWKS: the kid selects the RSA key" 200
ISSUED=$((ISSUED + 1))
tok "$(rsa_jwt)" --data-urlencode client_id=app-rsa
check "client_id form field equal to iss -> token" 200
ISSUED=$((ISSUED + 1))
tok "$(rsa_jwt '{exp: now - 2}')"
check "exp 2 s ago is within the 5 s clock tolerance -> token" 200
ISSUED=$((ISSUED + 1))

tok "$(sign "$K/rogue-rsa.pem" RS384 "$RSA_KID" app-rsa)"
refused "wrong key (rogue RSA key, registered kid) -> 401 invalid_client" 401 invalid_client '^signature verification failed$'
tok "$(sign "$K/rogue-ec.pem" ES384 "$ROGUE_EC_KID" app-ec)"
refused "wrong key (unregistered kid) -> 401 invalid_client" 401 invalid_client 'no key .* matches kid'
tok "$(sign "$K/ec.pem" ES384 "$EC_KID" app-rsa)"
refused "key of another client -> 401" 401 invalid_client 'no key .* matches kid'
tok "$(ec_jwt '{}' '{kid: undefined}')"
refused "kid header missing -> 401" 401 invalid_client '^kid header missing$'
tok "$(rsa_jwt '{iat: now - 120, exp: now - 60}')"
refused "expired assertion -> 401 invalid_client 'assertion expired'" 401 invalid_client '^assertion expired'
tok "$(rsa_jwt '{iat: undefined, exp: now + 600}')"
refused "exp 10 minutes ahead -> 401" 401 invalid_client 'more than 300 s in the future'
tok "$(rsa_jwt '{iat: now - 200, exp: now + 200}')"
refused "exp more than 5 minutes after iat -> 401" 401 invalid_client 'more than 300 s after iat'
tok "$(rsa_jwt '{iat: now + 60, exp: now + 120}')"
refused "iat in the future -> 401" 401 invalid_client '^iat is in the future$'
tok "$(rsa_jwt '{nbf: now + 60}')"
refused "nbf in the future -> 401" 401 invalid_client 'not yet valid'
tok "$(rsa_jwt '{exp: undefined}')"
refused "exp missing -> 401" 401 invalid_client '^exp claim missing$'
tok "$(rsa_jwt '{jti: undefined}')"
refused "jti missing -> 401" 401 invalid_client '^jti claim missing$'

A=$(rsa_jwt '{jti: "fixed-jti-1"}')
tok "$A"
check "assertion with jti fixed-jti-1 -> token" 200
ISSUED=$((ISSUED + 1))
tok "$A"
refused "same assertion again (jti reuse) -> 401 'jti already used'" 401 invalid_client '^jti already used$'
tok "$(rsa_jwt '{jti: "fixed-jti-1"}')"
refused "new assertion reusing the jti -> 401 'jti already used'" 401 invalid_client '^jti already used$'
tok "$(ec_jwt '{jti: "fixed-jti-1"}')"
check "the same jti from another client is its own -> token" 200
ISSUED=$((ISSUED + 1))

tok "$(rsa_jwt '{aud: "http://127.0.0.1:1/token"}')"
refused "wrong aud -> 401 'aud must be <token URL>'" 401 invalid_client "^aud must be ${TOKEN_URL//\//\\/}\$"
tok "$(rsa_jwt '{aud: e.TOKEN_URL + "/"}')"
refused "aud with a trailing slash -> 401" 401 invalid_client '^aud must be '
tok "$(rsa_jwt '{aud: e.TS + "/fhir"}')"
refused "aud = FHIR base -> 401" 401 invalid_client '^aud must be '
tok "$(rsa_jwt '{aud: [e.TOKEN_URL, "other"]}')"
refused "aud as an array -> 401 (must be the token URL string)" 401 invalid_client '^aud must be '
tok "$(rsa_jwt '{sub: "someone-else"}')"
refused "sub != iss -> 401" 401 invalid_client 'sub must equal iss'
tok "$(rsa_jwt)" --data-urlencode client_id=app-ec
refused "client_id form field != iss -> 401" 401 invalid_client 'does not match'
tok "$(sign "$K/rsa.pem" RS384 "$RSA_KID" nobody)"
refused "unknown client -> 401" 401 invalid_client '^unknown client nobody$'
tok "$(sign "$K/rsa.pem" RS384 "$RSA_KID" app-basic)"
refused "client registered only with a secret -> 401" 401 invalid_client 'not registered for private_key_jwt'
tok "$(sign "$K/rsa.pem" RS256 "$RSA_KID" app-rsa)"
refused "RS256 -> 401 (RS384/ES384 only)" 401 invalid_client 'alg RS256 not allowed'
tok "$(rsa_jwt '{}' '{typ: undefined}')"
refused "typ header missing -> 401" 401 invalid_client 'typ header must be JWT'
tok "not.a.jwt"
refused "garbage assertion -> 401" 401 invalid_client 'not a signed JWT'
req POST /token -H "$FORM" --data-urlencode grant_type=client_credentials --data-urlencode scope=system/Observation.rs \
  --data-urlencode "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:saml2-bearer" --data-urlencode "client_assertion=$(rsa_jwt)"
refused "wrong client_assertion_type -> 401" 401 invalid_client 'client_assertion_type must be'

###########################################################################
echo "# grant type, request format, scopes"
req POST /token -H "$FORM" --data-urlencode scope=system/Observation.rs --data-urlencode "client_assertion_type=$AT" --data-urlencode "client_assertion=$(rsa_jwt)"
refused "grant_type missing -> 400 invalid_request" 400 invalid_request 'grant_type is required'
req POST /token -H "$FORM" --data-urlencode grant_type=authorization_code --data-urlencode code=x --data-urlencode "client_assertion_type=$AT" --data-urlencode "client_assertion=$(rsa_jwt)"
refused "grant_type=authorization_code -> 400 unsupported_grant_type" 400 unsupported_grant_type 'client_credentials'
req POST /token -H 'Content-Type: application/json' --data '{"grant_type":"client_credentials"}'
refused "JSON body -> 400 invalid_request" 400 invalid_request 'x-www-form-urlencoded'
req POST /token -H "$FORM" --data 'grant_type=client_credentials&grant_type=client_credentials'
refused "repeated parameter -> 400 invalid_request" 400 invalid_request 'more than once'
req GET /token
check "GET /token -> 405" 405 'h.allow === "POST"'

SCOPE=system/Observation.read tok "$(rsa_jwt)"
check "v1 scope system/Observation.read -> granted as requested" 200 'b.scope === "system/Observation.read"'
ISSUED=$((ISSUED + 1))
SCOPE=system/Patient.read tok "$(rsa_jwt)"
check "v1 system/Patient.read covered by allowed v2 system/Patient.rs" 200 'b.scope === "system/Patient.read"'
ISSUED=$((ISSUED + 1))
SCOPE='system/Observation.rs system/DetectedIssue.cu system/Patient.s' tok "$(rsa_jwt)"
check "several scopes (v2 subsets) -> all granted" 200 'b.scope === "system/Observation.rs system/DetectedIssue.cu system/Patient.s"'
ISSUED=$((ISSUED + 1))
SCOPE='system/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory' tok "$(rsa_jwt)"
check "v2 scope with a query, narrower than an allowed one -> granted" 200 'b.scope.startsWith("system/Observation.rs?category=")'
ISSUED=$((ISSUED + 1))
SCOPE=system/Observation.write tok "$(rsa_jwt)"
refused "system/Observation.write not allowed -> 400 invalid_scope" 400 invalid_scope 'system\/Observation.write'
SCOPE='system/Observation.rs system/Patient.cruds' tok "$(rsa_jwt)"
refused "one scope beyond the allowed ones -> 400 invalid_scope naming it" 400 invalid_scope 'not allowed: system\/Patient.cruds \('
SCOPE=system/Encounter.rs tok "$(rsa_jwt)"
refused "resource type not allowed -> 400 invalid_scope" 400 invalid_scope 'Encounter'
SCOPE=' ' tok "$(rsa_jwt)"
refused "scope missing -> 400 invalid_scope" 400 invalid_scope 'scope is required'

###########################################################################
echo "# client_secret_basic"
export SECRET
req POST /token -H "$FORM" -u "app-basic:$SECRET" --data 'grant_type=client_credentials&scope=system/Observation.rs'
check "client_secret_basic, right secret -> token" 200 'b.token_type === "bearer" && b.scope === "system/Observation.rs"'
BASIC_TOKEN=$(jv b.access_token)
ISSUED=$((ISSUED + 1))
ENC=$(node -e 'const f=(s)=>encodeURIComponent(s).replace(/%20/g,"+"); process.stdout.write(Buffer.from(f("app-enc")+":"+f(process.argv[1])).toString("base64"))' "$SECRET2")
req POST /token -H "$FORM" -H "Authorization: Basic $ENC" --data 'grant_type=client_credentials&scope=system/Observation.rs'
check "client_secret_basic with a form-urlencoded secret (RFC 6749 2.3.1) -> token" 200
ISSUED=$((ISSUED + 1))
req POST /token -H "$FORM" -u "app-enc:$SECRET2" --data 'grant_type=client_credentials&scope=system/Observation.rs'
check "client_secret_basic with the same secret sent raw -> token" 200
ISSUED=$((ISSUED + 1))
req POST /token -H "$FORM" -u "app-basic:$SECRET" --data 'grant_type=client_credentials&scope=system/Observation.rs&client_id=app-basic'
check "client_secret_basic plus a matching client_id field -> token" 200
ISSUED=$((ISSUED + 1))
req POST /token -H "$FORM" -u "app-basic:wrong-$SECRET" --data 'grant_type=client_credentials&scope=system/Observation.rs'
check "client_secret_basic, bad secret -> 401 invalid_client + WWW-Authenticate: Basic" 401 \
  'b.error === "invalid_client" && /secret does not match/.test(b.error_description) && /^Basic /.test(h["www-authenticate"])'
req POST /token -H "$FORM" -u "nobody:$SECRET" --data 'grant_type=client_credentials&scope=system/Observation.rs'
refused "client_secret_basic, unknown client -> 401" 401 invalid_client '^unknown client nobody$'
req POST /token -H "$FORM" -u "app-rsa:$SECRET" --data 'grant_type=client_credentials&scope=system/Observation.rs'
refused "client_secret_basic for a private_key_jwt-only client -> 401" 401 invalid_client 'not registered for client_secret_basic'
req POST /token -H "$FORM" --data "grant_type=client_credentials&scope=system/Observation.rs&client_id=app-basic&client_secret=$SECRET"
refused "client_secret_post -> 401 (not supported)" 401 invalid_client 'client_secret_post is not supported'
req POST /token -H "$FORM" --data 'grant_type=client_credentials&scope=system/Observation.rs'
refused "no client authentication -> 401" 401 invalid_client 'no client authentication'
req POST /token -H "$FORM" -u "app-basic:$SECRET" --data-urlencode grant_type=client_credentials --data-urlencode scope=system/Observation.rs \
  --data-urlencode "client_assertion_type=$AT" --data-urlencode "client_assertion=$(rsa_jwt)"
refused "Basic and client_assertion together -> 400 invalid_request" 400 invalid_request 'more than one'
req POST /token -H "$FORM" -u "app-basic:$SECRET" --data 'grant_type=client_credentials&scope=system/Observation.write'
refused "client_secret_basic, scope not allowed -> 400 invalid_scope" 400 invalid_scope 'not allowed'

###########################################################################
echo "# protected FHIR proxy"
PROXIED=0
UNAUTH=0
req GET /fhir/Patient/aw-02
check "no token -> 401 OperationOutcome + WWW-Authenticate: Bearer" 401 \
  'b.resourceType === "OperationOutcome" && /^Bearer/.test(h["www-authenticate"]) && /token required/.test(b.issue[0].details.text)'
UNAUTH=$((UNAUTH + 1))
req GET /fhir/Patient/aw-02 -H 'Authorization: Bearer not-a-token'
check "unknown token -> 401, error=\"invalid_token\"" 401 \
  'b.resourceType === "OperationOutcome" && /^Bearer .*error="invalid_token"/.test(h["www-authenticate"])'
UNAUTH=$((UNAUTH + 1))
req GET /fhir/Patient/aw-02 -u "app-basic:$SECRET"
check "Basic credentials instead of a bearer token -> 401" 401 'b.resourceType === "OperationOutcome"'
UNAUTH=$((UNAUTH + 1))
req GET /fhir/metadata
check "metadata without a token -> 401 (no --public-metadata)" 401
UNAUTH=$((UNAUTH + 1))
req POST /fhir/Patient -H "$J" --data '{"resourceType":"Patient"}'
check "write without a token -> 401, nothing forwarded" 401
UNAUTH=$((UNAUTH + 1))
AUTH="Authorization: Bearer $RSA_TOKEN"
req GET /fhir/Patient/aw-02 -H "$AUTH"
check "RS384 client's token -> 200 from the upstream" 200 'b.resourceType === "Patient" && b.id === "aw-02" && /^W\//.test(h.etag)'
PROXIED=$((PROXIED + 1))
req GET /fhir/Patient/aw-02 -H "Authorization: Bearer $BASIC_TOKEN"
check "client_secret_basic client's token -> 200" 200 'b.id === "aw-02"'
PROXIED=$((PROXIED + 1))
req GET /fhir/metadata -H "$AUTH"
check "metadata with a token -> 200 CapabilityStatement" 200 'b.resourceType === "CapabilityStatement"'
PROXIED=$((PROXIED + 1))
req GET "/fhir/Observation?patient=Patient/aw-02&_count=20" -H "$AUTH"
check "search: query forwarded; next link and fullUrls rewritten to the proxy base" 200 \
  'b.total > 20 && b.entry.length === 20 && b.entry.every(x => x.fullUrl.startsWith(e.TS + "/fhir/Observation/")) && b.link.find(l => l.relation === "next").url.startsWith(e.TS + "/fhir/Observation?") && !JSON.stringify(b).includes(e.FHIR)'
PROXIED=$((PROXIED + 1))
NEXT=$(jv 'b.link.find(l => l.relation === "next").url')
FIRST_IDS=$(jv 'b.entry.map(x => x.resource.id).join()')
export FIRST_IDS
req GET "$NEXT" -H "$AUTH"
check "following the rewritten next link verbatim -> page 2" 200 \
  'b.entry.length > 0 && b.entry.every(x => !e.FIRST_IDS.split(",").includes(x.resource.id))'
PROXIED=$((PROXIED + 1))
req GET "/fhir/Observation?patient=Patient/aw-02&_summary=count" -H "$AUTH"
PROXY_TOTAL=$(jv b.total)
req GET "$FHIR/Observation?patient=Patient/aw-02&_summary=count"
UP_TOTAL=$(jv b.total)
if [ -n "$PROXY_TOTAL" ] && [ "$PROXY_TOTAL" = "$UP_TOTAL" ]; then
  ok "proxy and upstream agree on the search total ($PROXY_TOTAL)"
else
  bad "search totals differ: proxy '$PROXY_TOTAL', upstream '$UP_TOTAL'"
fi
PROXIED=$((PROXIED + 1))
req POST /fhir/Patient -H "$AUTH" -H "$J" --data '{"resourceType":"Patient","gender":"female"}'
check "create through the proxy -> 201, Location rewritten to the proxy base" 201 \
  'b.resourceType === "Patient" && h.location.startsWith(e.TS + "/fhir/Patient/") && h.etag === "W/\"1\""'
PROXIED=$((PROXIED + 1))
NEW_ID=$(jv b.id)
req PUT "/fhir/Patient/$NEW_ID" -H "$AUTH" -H "$J" -H 'If-Match: W/"7"' --data "{\"resourceType\":\"Patient\",\"id\":\"$NEW_ID\",\"gender\":\"male\"}"
check "PUT with a stale If-Match -> 412 (If-Match forwarded)" 412 'b.resourceType === "OperationOutcome"'
PROXIED=$((PROXIED + 1))
req PUT "/fhir/Patient/$NEW_ID" -H "$AUTH" -H "$J" -H 'If-Match: W/"1"' --data "{\"resourceType\":\"Patient\",\"id\":\"$NEW_ID\",\"gender\":\"male\"}"
check "PUT with the current If-Match -> 200, version 2" 200 'b.meta.versionId === "2" && b.gender === "male"'
PROXIED=$((PROXIED + 1))
PAT='{"resourceType":"Patient","identifier":[{"system":"urn:smoke","value":"inx-1"}]}'
req POST /fhir/Patient -H "$AUTH" -H "$J" -H 'If-None-Exist: identifier=urn:smoke|inx-1' --data "$PAT"
check "conditional create (If-None-Exist), no match -> 201" 201
PROXIED=$((PROXIED + 1))
req POST /fhir/Patient -H "$AUTH" -H "$J" -H 'If-None-Exist: identifier=urn:smoke|inx-1' --data "$PAT"
check "conditional create again -> 200 existing (If-None-Exist forwarded)" 200
PROXIED=$((PROXIED + 1))
req POST /fhir -H "$AUTH" -H "$J" --data '{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","id":"tx-smoke"},"request":{"method":"PUT","url":"Patient/tx-smoke"}}]}'
check "transaction POSTed to the proxy base -> 200 transaction-response" 200 \
  'b.type === "transaction-response" && b.entry[0].response.status.startsWith("201") && !JSON.stringify(b).includes(e.FHIR)'
PROXIED=$((PROXIED + 1))
req DELETE /fhir/Patient/tx-smoke -H "$AUTH"
check "DELETE through the proxy -> 200" 200
PROXIED=$((PROXIED + 1))
req GET /fhir/Patient/tx-smoke -H "$AUTH"
check "upstream status passed through (410 Gone)" 410 'b.resourceType === "OperationOutcome"'
PROXIED=$((PROXIED + 1))
req GET /nowhere
check "unknown path outside /fhir -> 404" 404

###########################################################################
echo "# \$stats"
export ISSUED PROXIED UNAUTH
stats_check "\$stats: tokens_issued, proxied, proxy_unauthorized counted exactly" \
  'b.tokens_issued === +e.ISSUED && b.proxied === +e.PROXIED && b.proxy_unauthorized === +e.UNAUTH && b.token_requests === b.tokens_issued + b.rejected.length'
check "\$stats: rejected reasons recorded (signature, expired, jti, aud, scope)" 200 '
  ["signature verification failed", "jti already used"].every(r => b.rejected.some(x => x.reason === r)) &&
  b.rejected.some(x => /^assertion expired/.test(x.reason)) && b.rejected.some(x => /^aud must be /.test(x.reason)) &&
  b.rejected.some(x => x.error === "invalid_scope") && b.rejected.find(x => x.reason === "jti already used").client_id === "app-rsa"'
check "\$stats: sequential token requests -> max_concurrent_token_requests 1; fail_once null" 200 \
  'b.max_concurrent_token_requests === 1 && b.fail_once === null && b.issued.some(x => x.auth_method === "client_secret_basic") && b.issued.some(x => x.auth_method === "private_key_jwt")'

echo "# JWKS re-read on each request (key rotation)"
cp "$K/rsa.jwks" "$K/rsa.jwks.orig"
cp "$K/rogue-ec.jwks" "$K/rsa.jwks"
tok "$(rsa_jwt)"
refused "after the client's JWKS file is replaced, the old key is refused" 401 invalid_client 'no key .* matches kid'
tok "$(sign "$K/rogue-ec.pem" ES384 "$ROGUE_EC_KID" app-rsa)"
check "... and the new key is accepted without a restart" 200
cp "$K/rsa.jwks.orig" "$K/rsa.jwks"
stop_server main "$MAIN_PID"

###########################################################################
echo "# token lifetime, fail-once 401, concurrency"
start_token quirks --client app-ec="$K/ec.jwks" --token-lifetime 2 --fail-once-with-401-after 2 \
  --token-delay-ms 500 --fhir-upstream "$FHIR" --public-metadata
Q_PID=$SRV_PID
tok "$(ec_jwt)"
check "--token-lifetime 2 -> expires_in 2" 200 'b.expires_in === 2'
AUTH="Authorization: Bearer $(jv b.access_token)"
req GET /fhir/Patient/aw-02 -H "$AUTH"
check "proxied request 1 -> 200" 200
req GET /fhir/Patient/aw-02 -H "$AUTH"
check "proxied request 2 -> 200" 200
stats_check "\$stats: fail_once armed, not fired" 'b.fail_once.after === 2 && b.fail_once.fired === false && b.proxied === 2'
req GET /fhir/Patient/aw-02 -H "$AUTH"
check "request 3 with a valid token -> 401 once (--fail-once-with-401-after 2)" 401 \
  'b.resourceType === "OperationOutcome" && /^Bearer .*error="invalid_token"/.test(h["www-authenticate"])'
stats_check "\$stats: fail_once fired, no token request after it yet" \
  'b.fail_once.fired === true && b.fail_once.token_requests_after === 0 && b.proxied === 2'
tok "$(ec_jwt)"
check "refresh after the 401 -> new token" 200
AUTH="Authorization: Bearer $(jv b.access_token)"
req GET /fhir/Patient/aw-02 -H "$AUTH"
check "retry with the new token -> 200" 200
req GET /fhir/Patient/aw-02 -H "$AUTH"
check "the forced 401 happens only once -> 200" 200
stats_check "\$stats: token request after the 401 recorded (1 request, 1 token, 2 proxied after)" \
  'b.fail_once.token_requests_after === 1 && b.fail_once.tokens_issued_after === 1 && b.fail_once.proxied_after === 2 && b.max_concurrent_token_requests === 1'
req GET /fhir/metadata
check "--public-metadata: GET metadata without a token -> 200" 200 'b.resourceType === "CapabilityStatement"'
req GET /fhir/Patient/aw-02
check "--public-metadata: other reads still need a token" 401

sleep 2.2
req GET /fhir/Patient/aw-02 -H "$AUTH"
check "token older than --token-lifetime 2 -> 401 'access token expired'" 401 \
  '/access token expired/.test(b.issue[0].details.text) && /error="invalid_token"/.test(h["www-authenticate"])'

# sign first, then send the three requests together
PAR_A=("" "$(ec_jwt)" "$(ec_jwt)" "$(ec_jwt)")
PAR_PIDS=()
for i in 1 2 3; do
  A=${PAR_A[$i]}
  curl -sS -o "$TMP/par$i" -w '%{http_code}' -H "$FORM" --data-urlencode grant_type=client_credentials \
    --data-urlencode scope=system/Observation.rs --data-urlencode "client_assertion_type=$AT" \
    --data-urlencode "client_assertion=$A" "$TOKEN_URL" >"$TMP/par$i.code" &
  PAR_PIDS+=($!)
done
wait "${PAR_PIDS[@]}"
if [ "$(cat "$TMP"/par{1,2,3}.code)" = 200200200 ]; then ok "3 concurrent token requests -> 3 x 200"; else bad "concurrent token requests: $(cat "$TMP"/par{1,2,3}.code)"; fi
stats_check "\$stats: max_concurrent_token_requests 3 (overlap seen with --token-delay-ms 500)" \
  'b.max_concurrent_token_requests === 3 && b.concurrent_token_requests === 0 && b.tokens_issued === 5'
stop_server quirks "$Q_PID"
stop_server fhir "$FHIR_PID"

###########################################################################
echo "# bad options"
expect_exit() {
  local name=$1 want=$2 re=$3
  shift 3
  node "$HERE/server.mjs" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" &
  local pid=$!
  PIDS+=("$pid")
  local rc=
  for _ in $(seq 1 50); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      rc=$?
      break
    fi
    sleep 0.1
  done
  if [ "$rc" = "$want" ] && [ ! -s "$TMP/bad.out" ] && grep -Eq "$re" "$TMP/bad.err"; then
    ok "$name -> exit $want"
  else
    [ -z "$rc" ] && kill "$pid" 2>/dev/null
    bad "$name: exit '${rc:-still running}', want $want; stderr: $(head -c 300 "$TMP/bad.err")"
  fi
}
expect_exit "--host 0.0.0.0 refused" 2 'only 127.0.0.1' --host 0.0.0.0
expect_exit "--client without =FILE refused" 2 'needs ID=FILE' --client app
expect_exit "--client with a missing JWKS file" 1 'cannot read JWKS file' --client app="$TMP/none.jwks"
expect_exit "--client with a JWKS holding a private key" 1 'private key material' --client app="$K/private.jwks"
expect_exit "--secret with a missing file" 1 'cannot read secret file' --secret app="$TMP/none.txt"
expect_exit "--fhir-upstream off this machine refused" 2 'must be on this machine' --fhir-upstream http://fhir.example.invalid/fhir
expect_exit "--token-lifetime 0 refused" 2 'at least 1' --token-lifetime 0
expect_exit "malformed SMART scope in --scopes refused" 2 'malformed SMART scope' --scopes 'system/Observation.readx'
expect_exit "unknown option refused" 2 'unknown argument' --frobnicate

echo "smoke: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
