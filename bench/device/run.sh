#!/usr/bin/env bash
# bench/device — tinyforge's generated firmware on emulated Cortex-M boards: instructions
# per inference (QEMU -icount, exact to the CMSDK timer's 40/50-instruction tick; QEMU
# counts instructions, not cycles), flash and arena bytes, for the MLPerf Tiny KWS and AD
# models of ../shared/models on mps2-an386 (Cortex-M4), mps2-an505 (Cortex-M33) and
# mps3-an547 (Cortex-M55, its FPGAIO counter's 50-instruction tick), beside the TFLM
# reference and TFLM + CMSIS-NN figures measured the same way on the same emulator (the
# table in ../shared/models/README.md, Cortex-M4 only), with the ratios. Each layer's
# kernel is chosen for the board's core (the DSP variants on all three), and the bench
# lists them. Every output of every input is compared with TFLM's reference bytes;
# the bench fails if one differs.
# A benchmark, not a test: `make bench-device`, or `bench/device/run.sh [BUILD_DIR]`.
# Then tinyforge's own examples (fruit, digits, the Fashion CNN; BENCH_SKIP_FASHION=1 skips
# its 3-minute training): trained, quantized and built here, validated on each machine.
# Last, the wall time of fruit's whole `tinyforge run` and of its `validate` alone, each
# as a ratio against one cross compile of fruit's model.c measured in the same run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD:-$root/build}}
models=${TFG_MODELS:-$root/../shared/models}
cc=${CC:-cc}
[ -f "$build/libtfg_target.a" ] || {
  echo "bench/device: $build/libtfg_target.a not found; build first (make build)" >&2; exit 2; }
[ -f "$models/README.md" ] || { echo "bench/device: no models in $models" >&2; exit 2; }
out=$(mktemp -d /tmp/tfg_bench_device_XXXXXX)
trap 'rm -rf "$out"' EXIT
# Built by hand against the build's static libraries: nothing in CMake to keep in sync.
$cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -DTFG_SOURCE_DIR="\"$root\"" -I"$root/src" \
  -I"$root/runtime" "$root/bench/device/device.c" -o "$out/device" \
  "$build/libtfg_target.a" "$build/libtfg_codegen.a" "$build/libtfg_lower.a" \
  "$build/libtfg_import.a" \
  "$build/libtfg_spec.a" "$build/libtfg_core.a" "$build/libtfg_runtime.a" \
  $(pkg-config --libs jansson libcrypto zlib) -lm
# A figure of the README's TFLM table: model, kernels row ("TFLM reference" or
# "CMSIS-NN"), column (4 instructions, 5 flash minus model, 6 arena).
tflm() {
  awk -F'|' -v m="$1" -v k="$2" -v c="$3" \
    '$2 ~ "^ *"m" *$" && $3 ~ k {gsub(/[ ,]/, "", $c); print $c}' "$models/README.md"
}
TFG_SRC=$root "$out/device" qemu_mps2_an386,qemu_mps2_an505,qemu_mps3_an547 \
  "$models/kws/kws_ref_model.tflite" "$models/ad/ad01_int8.tflite" >"$out/result.txt"
printf '%-4s %-11s %7s %12s %12s %12s %9s %9s %8s %8s %9s %7s %7s\n' model machine equal \
  instr tflm_ref tflm_cmsis x_ref x_cmsis code tflm_fl x_flash arena x_arena
declare -A kern=()
while read -r line; do
  declare -A f=()
  for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
  name=$(basename "$(dirname "${f[model]}")")
  [ "${f[equal]}" = "${f[n]}" ] || { echo "bench/device: $name on ${f[machine]}: only" \
    "${f[equal]} of ${f[n]} outputs equal TFLM's" >&2; exit 1; }
  awk -v n="$name" -v m="${f[machine]}" -v e="${f[equal]}/${f[n]}" -v w="${f[work]}" \
    -v r="$(tflm "$name" "TFLM reference" 4)" -v c="$(tflm "$name" "CMSIS-NN" 4)" \
    -v code="${f[code]}" -v fl="$(tflm "$name" "TFLM reference" 5)" -v a="${f[arena]}" \
    -v ta="$(tflm "$name" "TFLM reference" 6)" \
    'BEGIN {printf "%-4s %-11s %7s %12d %12d %12d %8.3fx %8.3fx %8d %8d %8.3fx %7d %6.3fx\n",
            n, m, e, w, r, c, w / r, w / c, code, fl, code / fl, a, a / ta}'
  kern[$name]=${f[kernels]}
  unset f
done <"$out/result.txt"
echo "instr = guest instructions per inference inside tfg_model_invoke (mean over every input;"
echo "identical across runs), tflm_ref / tflm_cmsis = TFLM reference kernels / TFLM + CMSIS-NN"
echo "inside Invoke() on mps2-an386 (Cortex-M4 figures: the README has none for the M33 or the"
echo "M55, so the an505 and an547 rows compare with the M4's); code = flash minus the model's"
echo "const data (kernels, board support, C library), tflm_fl = TFLM's flash minus model (it"
echo "includes ~18 KB of C library and harness); arena = tinyforge's static arena vs TFLM's"
echo "arena_used_bytes."
echo "QEMU counts instructions, not cycles: it has no cycle-accurate model of any core, so"
echo "instructions are the measure here and for the TFLM figures; real cycles differ (load"
echo "latency, flash wait states, SMLAD and MLA are one cycle each on the M4)."
echo "kernels, per layer in execution order (chosen for the board's core; in-place overlap"
echo "kept for every layer: the DSP variants write pixels in the reference's order):"
for name in "${!kern[@]}"; do
  echo "  $name: ${kern[$name]}"
done

# tinyforge's own models: the whole pipeline, then `validate` on each machine (every
# test sample for fruit and digits; the first 200 Fashion images, the long test does all).
tfg=$build/tinyforge
examples="fruit digits"
[ "${BENCH_SKIP_FASHION:-0}" = 1 ] || examples="$examples fashion"
echo
printf '%-7s %-11s %9s %12s %9s %8s %8s %8s\n' model machine equal instr est_ms weights code arena
for ex in $examples; do
  spec=$root/examples/$ex/spec.json
  for s in data train quantize build; do "$tfg" -q $s "$spec" --out "$out/$ex" >/dev/null; done
  n=""; [ "$ex" = fashion ] && n="--samples 200"
  for m in mps2-an386 mps2-an505 mps3-an547; do
    "$tfg" -q validate "$spec" --out "$out/$ex" --board $m --force $n >/dev/null
    python3 - "$out/$ex/validate/report.json" "$ex" "$m" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
if j["mismatches"]:
    sys.exit(f"bench/device: {sys.argv[2]} on {sys.argv[3]}: device differs from host")
print(f"{sys.argv[2]:7s} {sys.argv[3]:11s} {j['matches']:>4}/{j['samples']:<4} "
      f"{j['instructions_per_inference']:12d} {j['estimated_ms']:9.3f} {j['flash']['weights']:8d} "
      f"{j['flash']['code']:8d} {j['ram']['arena']:8d}")
PY
  done
done
echo "equal = device output bytes == host int8 bytes; est_ms = instructions at the emulated"
echo "machine's own clock (an386 25 MHz, an505 20 MHz, an547 32 MHz), one instruction per"
echo "cycle: a floor."

# Wall time: fruit from CSV to proven firmware, sketch and report (`tinyforge run`), and
# `validate` alone, against a reference taken here and now: the best of three cross
# compiles of fruit's generated model.c (the unit every firmware build repeats).
now() { date +%s.%N; }
fb=$out/fruit/build
ref=9e9
for _ in 1 2 3; do
  t0=$(now)
  arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -std=c99 -O2 \
    -I"$fb" -I"$root/runtime" -c "$fb/model.c" -o "$out/ref.o"
  ref=$(python3 -c "print(min($ref, $(now) - $t0))")
done
t0=$(now)
"$tfg" -q run "$root/examples/fruit/spec.json" --out "$out/wall" >/dev/null
run_s=$(python3 -c "print($(now) - $t0)")
t0=$(now)
"$tfg" -q validate "$root/examples/fruit/spec.json" --out "$out/wall" --force >/dev/null
val_s=$(python3 -c "print($(now) - $t0)")
echo
printf '%-30s %9s %9s\n' "wall time (fruit)" seconds x_compile
printf '%-30s %9.2f %8.1fx\n' "tinyforge run (all stages)" "$run_s" "$(python3 -c "print($run_s / $ref)")"
printf '%-30s %9.2f %8.1fx\n' "tinyforge validate --force" "$val_s" "$(python3 -c "print($val_s / $ref)")"
printf '%-30s %9.3f %8.1fx\n' "reference: one cross compile" "$ref" 1
echo "x_compile = wall time / the best of three arm-none-eabi-gcc -O2 -c of fruit's model.c on this"
echo "machine in this run; the test suite used to require the whole run under 10 s."
