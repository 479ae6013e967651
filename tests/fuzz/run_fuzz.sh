#!/usr/bin/env bash
# Runs the FHIR input fuzzer for a bounded time, seeded with the samples' resources, the
# bad-input corpus, the inputs that once crashed it (tests/fuzz/regressions) and plain lines for the
# simdjson shortcuts (tests/fuzz/seeds). Usage: run_fuzz.sh FUZZER SOURCE_DIR CORPUS_DIR SECONDS
set -euo pipefail
fuzzer=$1 src=$2 corpus=$3 seconds=$4
mkdir -p "$corpus"
# Seeds: small files only (libFuzzer's default max_len would truncate big ones anyway).
for f in "$src"/tests/data/bad/*.json "$src"/tests/data/bad/*.ndjson "$src"/tests/fuzz/regressions/* "$src"/tests/fuzz/seeds/*.ndjson; do cp -f "$f" "$corpus/"; done
# One sample Bundle's first entries, as a small transaction.
head -c 6000 "$src/samples/02-itp/bundle.json" > "$corpus/sample-prefix.json"
exec "$fuzzer" "$corpus" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1
