#!/usr/bin/env bash
# Writes deep-nesting.json and deep-nesting.ndjson: an otherwise valid platelet Observation whose
# extension chain is LEVELS (default 200) extensions deep, i.e. about 2 x LEVELS JSON levels
# (each extension is an object inside an "extension" array). The .ndjson file puts it between
# two good Observations. The committed files were made with: ./make-deep-nesting.sh
# Usage: make-deep-nesting.sh [OUTDIR [LEVELS]]   (OUTDIR defaults to this script's folder)
set -euo pipefail
out=${1:-$(cd "$(dirname "$0")" && pwd)}
levels=${2:-200}
mkdir -p "$out"

obs() { # $1 id, $2 extra members (starting with a comma) or empty
  printf '{"resourceType":"Observation","id":"%s"%s,"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"777-3","display":"Platelets [#/volume] in Blood by Automated count"}]},"subject":{"reference":"Patient/bad-1"},"effectiveDateTime":"2026-03-02T08:15:00Z","valueQuantity":{"value":200,"unit":"10*3/uL","system":"http://unitsofmeasure.org","code":"10*3/uL"}}' "$1" "$2"
}

chain() { # an "extension" member nested $levels deep, innermost with a valueString
  local open='' close='' i
  for ((i = 0; i < levels; i++)); do
    open+='{"url":"urn:alemwatch:test:deep","extension":['
    close+=']}'
  done
  printf ',"extension":[%s{"url":"urn:alemwatch:test:deep","valueString":"bottom"}%s]' "$open" "$close"
}

{ obs deep-nesting-json "$(chain)"; printf '\n'; } >"$out/deep-nesting.json"
{
  obs deep-nesting-good-1 ''; printf '\n'
  obs deep-nesting-ndjson "$(chain)"; printf '\n'
  obs deep-nesting-good-2 ''; printf '\n'
} >"$out/deep-nesting.ndjson"
