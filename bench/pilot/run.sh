#!/usr/bin/env bash
# bench/pilot — the study table of issue 8 for the bundled examples: `tinyforge bench`
# with one backend (default builtin), every stage (spec, data, train, quantize, sketch)
# as its own bench of N runs (default 30) on J workers, for fruit, digits and
# Fashion-MNIST. Prints each bench's table and writes them all to OUT/pilot.md; exits 1
# if a stage of an example succeeds in fewer than N runs.
# A benchmark, not a test (Fashion-MNIST alone takes about an hour on 2 cores):
#   make bench-pilot, or bench/pilot/run.sh [BUILD_DIR]
# Environment: PILOT_RUNS (30), PILOT_JOBS (2), PILOT_BACKEND (builtin), PILOT_EXAMPLES
# ("fruit digits fashion"), PILOT_STAGES ("spec data train quantize sketch"),
# PILOT_SKETCH_SAMPLES (Fashion only: test samples streamed to each sketch; default
# 100 of the 10,000; 0: all, see docs/pilot.md), PILOT_OUT (a temporary directory).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD:-$root/build}}
bin=$build/tinyforge
[ -x "$bin" ] || { echo "bench/pilot: $bin not found; build first (make build)" >&2; exit 2; }
runs=${PILOT_RUNS:-30}
jobs=${PILOT_JOBS:-2}
backend=${PILOT_BACKEND:-builtin}
examples=${PILOT_EXAMPLES:-fruit digits fashion}
stages=${PILOT_STAGES:-spec data train quantize sketch}
out=${PILOT_OUT:-$(mktemp -d /tmp/tfg_bench_pilot_XXXXXX)}
mkdir -p "$out"
report=$out/pilot.md
printf '# tinyforge bench: %s, %s runs per stage, -j %s (%s)\n\n' "$backend" "$runs" "$jobs" \
  "$(date -u +%Y-%m-%dT%H:%MZ)" >"$report"
short=0
for ex in $examples; do
  spec=$root/examples/$ex/spec.json
  printf '## %s\n\n' "$ex" >>"$report"
  for st in $stages; do
    extra=()
    [ "$ex" = fashion ] && [ "$st" = sketch ] && [ "${PILOT_SKETCH_SAMPLES:-100}" != 0 ] &&
      extra=(--samples "${PILOT_SKETCH_SAMPLES:-100}")
    dir=$out/$ex-$st
    start=$(date +%s)
    "$bin" -q bench "$spec" --stage "$st" --runs "$runs" -j "$jobs" --backend "$backend" \
      --out "$dir" ${extra[@]+"${extra[@]}"} --json >"$dir.json" || true
    took=$(( $(date +%s) - start ))
    line=$(python3 - "$dir/bench.md" "$st" <<'PY'
import sys
rows = [l for l in open(sys.argv[1]) if l.startswith("| " + sys.argv[2] + " |")]
print(rows[0].rstrip() if rows else "")
PY
    ) || line=""
    [ -n "$line" ] || line="| $st | $backend | bench failed: see $dir.json | | | | | |"
    [ "$st" = "$(echo "$stages" | awk '{print $1}')" ] &&
      printf '| stage | backend | success | time (s) mean ± std | tokens in/out per run | cost per run | attempts per run | failure classes |\n|---|---|---|---|---|---|---|---|\n' >>"$report"
    echo "$line" >>"$report"
    echo "$ex $st (${took} s wall): $line"
    ok=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sum(s["ok"] for s in j["stages"]))' "$dir/bench.json" 2>/dev/null || echo 0)
    [ "$ok" = "$runs" ] || short=1
  done
  echo >>"$report"
  [ "$ex" = fashion ] && [ "${PILOT_SKETCH_SAMPLES:-100}" != 0 ] &&
    printf 'Fashion-MNIST sketch runs stream %s of the 10,000 test samples per pass.\n\n' \
      "${PILOT_SKETCH_SAMPLES:-100}" >>"$report"
done
echo
cat "$report"
echo "written: $report"
exit $short
