#!/usr/bin/env bash
# Writes OUTDIR/large-string.ndjson (about 30 MiB, so it is generated, never committed):
#   line 1: a platelet Observation, valid in every other way, whose note[0].text is a single
#           string of 30 MiB (31457280 'x' characters);
#   line 2: a fully valid platelet Observation (large-string-good-1).
# A correct reader reports line 1 (file, line 1, Observation/large-string-30mb, note[0].text,
# "string too long" or similar) or reads it without trouble, and in either case still reads line 2.
# Usage: make-large.sh OUTDIR
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
mkdir -p "$out"
size=$((30 * 1024 * 1024))

obs() { # $1 id, $2 extra members (starting with a comma) or empty
  printf '{"resourceType":"Observation","id":"%s","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"777-3","display":"Platelets [#/volume] in Blood by Automated count"}]},"subject":{"reference":"Patient/bad-1"},"effectiveDateTime":"2026-03-02T08:15:00Z","valueQuantity":{"value":200,"unit":"10*3/uL","system":"http://unitsofmeasure.org","code":"10*3/uL"}%s}' "$1" "$2"
}

big=$(obs large-string-30mb ',"note":[{"text":"@BIG@"}]')
{
  printf '%s' "${big%%@BIG@*}"
  head -c "$size" /dev/zero | tr '\0' 'x'
  printf '%s\n' "${big#*@BIG@}"
  obs large-string-good-1 ''
  printf '\n'
} >"$out/large-string.ndjson"
echo "$out/large-string.ndjson"
