#!/usr/bin/env bash
# bench/memory — the memory planner's arena for the MLPerf Tiny reference models next to
# the naive arena (every non-constant tensor in its own bytes) and TFLM's
# arena_used_bytes (32-bit, reference kernels) from /work/shared/models/README.md.
# Goal (issue 5): planned <= TFLM, aiming at <= 0.7x. TFLM's figure also holds its own
# run-time structs; ours is tensor data and kernel scratch only (the generated code keeps
# its op list in flash), so the comparison is what each needs in RAM for the arena.
# A benchmark, not a test: run it by hand (`make bench-memory`, or
# `bench/memory/run.sh [BUILD_DIR]` after building; BUILD_DIR defaults to build/).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD:-$root/build}}
models=${TFG_MODELS:-$root/../shared/models}
cc=${CC:-cc}
[ -f "$build/libtfg_codegen.a" ] || {
  echo "bench/memory: $build/libtfg_codegen.a not found; build first (make build)" >&2; exit 2; }
[ -f "$models/README.md" ] || { echo "bench/memory: no models in $models" >&2; exit 2; }
out=$(mktemp -d /tmp/tfg_bench_memory_XXXXXX)
trap 'rm -rf "$out"' EXIT
# Built by hand against the build's static libraries: nothing in CMake to keep in sync.
$cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$root/src" -I"$root/runtime" \
  "$root/bench/memory/memory.c" -o "$out/memory" \
  "$build/libtfg_codegen.a" "$build/libtfg_lower.a" "$build/libtfg_import.a" \
  "$build/libtfg_spec.a" \
  "$build/libtfg_core.a" "$build/libtfg_runtime.a" \
  $(pkg-config --libs jansson libcrypto zlib) -lm
# The TFLM arena of a model: the last column of its "TFLM reference" row.
tflm() {
  awk -F'|' -v m="$1" '$2 ~ "^ *"m" *$" && $3 ~ /TFLM reference/ {gsub(/[ ,]/, "", $6); print $6}' \
    "$models/README.md"
}
args=()
for m in kws/kws_ref_model.tflite ad/ad01_int8.tflite; do
  [ -f "$models/$m" ] && args+=("$models/$m=$(tflm "${m%%/*}")")
done
"$out/memory" "${args[@]}" >"$out/result.txt"
printf '%-5s %8s %8s %11s %8s %8s %10s %10s %13s\n' model planned bound no-in-place naive tflm plan/tflm plan/naive no-in-pl/tflm
while read -r line; do
  declare -A f=()
  for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
  name=$(basename "$(dirname "${f[model]}")")
  awk -v n="$name" -v a="${f[arena]}" -v b="${f[lower_bound]}" -v v="${f[naive]}" -v t="${f[tflm]}" \
    -v p="${f[arena_no_in_place]}" \
    'BEGIN {printf "%-5s %8d %8d %11d %8d %8d %9.3fx %9.3fx %12.3fx\n", n, a, b, p, v, t, a / t, a / v, p / t}'
  unset f
done <"$out/result.txt"
echo "bytes; planned = tinyforge arena (tensors + kernel scratch; convolution outputs may overlap"
echo "their dying input, docs/planner.md), bound = max live bytes at one op, no-in-place = the arena"
echo "without that overlap, naive = sum of all non-constant tensors, tflm = TFLM arena_used_bytes"
echo "(which also holds TFLM's own structs)."
echo "goal: plan/tflm <= 0.7"
