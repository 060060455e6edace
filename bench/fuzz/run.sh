#!/usr/bin/env bash
# bench/fuzz — runs each libFuzzer target (the CSV reader, the spec/plan JSON, the TFLite
# reader) for a fixed number of executions (default 1,000,000) from its seed corpus and
# prints executions, seconds and findings. The test suite runs the same targets for 60 s
# each; this is the longer soak. Needs the sanitizer build: `make build-san`.
# usage: bench/fuzz/run.sh [BUILD_SAN_DIR] [RUNS]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-san}
runs=${2:-1000000}
status=0
for bin in "$build"/tests/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus=$(mktemp -d /tmp/tfg_bench_fuzz_XXXXXX)
  cp "$root/tests/fuzz/seeds_$name"/* "$corpus"/ 2>/dev/null
  # inputs up to 4 KiB, or past the largest seed (as tests/fuzz/run.sh: a smaller bound
  # cuts the TFLite seeds and never fuzzes a whole model)
  largest=$(find "$corpus" -type f -printf '%s\n' | sort -n | tail -n 1)
  max_len=4096
  [ "${largest:-0}" -lt "$max_len" ] || max_len=$((largest + 4096))
  start=$(date +%s%N)
  "$bin" "$corpus" -runs="$runs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$corpus/" >"$corpus/log" 2>&1
  rc=$?
  secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { print (b - a) / 1e9 }')
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$corpus/log" | grep -o '[0-9]*$')
  if [ "$rc" = 0 ]; then
    printf '%-14s %10s executions in %6.1f s, 0 findings\n' "$name" "${execs:-?}" "$secs"
    rm -rf "$corpus"
  else
    printf '%-14s FINDING (exit %s) after %s executions; kept in %s\n' "$name" "$rc" "${execs:-?}" "$corpus"
    status=1
  fi
done
exit $status
