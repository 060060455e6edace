# test_quant_build.sh — quantize and build on fruit and digits: int8 accuracy within 1.0
# point of float; the generated C, compiled here by gcc and clang independently of the
# build stage's own check, gives the in-process int8 output bytes for every test row;
# the int8 path links for a soft-float Cortex-M0+ without one floating-point helper;
# the stages skip when unchanged, refuse to run out of order, and a wrong reference
# fails the build with the row that differs.
. "$(dirname "$0")/lib.sh"

# Compiles build dir $1 with compiler $2 and a main that streams rows, runs it on the
# quantize stage's test inputs, and compares with its outputs.
check_generated() {
  local dir=$1 cc=$2 run=$3
  cat >"$T/rows_main.c" <<'C'
#include <stdio.h>
#include "model.h"
int main(int argc, char **argv)
{
    static int8_t in[TFG_MODEL_INPUT_BYTES], out[TFG_MODEL_OUTPUT_BYTES];
    FILE *fi = fopen(argv[1], "rb"), *fo = fopen(argv[2], "wb");
    if (argc != 3 || !fi || !fo)
        return 2;
    while (fread(in, 1, sizeof in, fi) == sizeof in) {
        if (tfg_model_invoke(in, out) != 0 || fwrite(out, 1, sizeof out, fo) != sizeof out)
            return 1;
    }
    return fclose(fo) != 0;
}
C
  run "$cc" -std=c99 -Wall -Wextra -Werror -pedantic -O1 -I"$dir" "$dir"/*.c "$T/rows_main.c" -o "$T/rows_$cc"
  expect_rc 0
  run "$T/rows_$cc" "$run/quantize/test_input.bin" "$T/rows_$cc.out"
  expect_rc 0
  ok; cmp -s "$T/rows_$cc.out" "$run/quantize/test_output.bin" || fail "$cc: generated code differs from the int8 runtime ($dir)"
}

# The int8 entry point for a Cortex-M0+ with soft float: keep only what tfg_model_invoke
# reaches and list what it still needs from outside.
check_soft_float() {
  local dir=$1
  if ! command -v arm-none-eabi-gcc >/dev/null; then
    echo "arm-none-eabi-gcc missing (make deps installs it)"; fail "no arm-none-eabi-gcc"; return
  fi
  run arm-none-eabi-gcc -std=c99 -Wall -Wextra -Werror -pedantic -Os -mcpu=cortex-m0plus -mthumb \
    -mfloat-abi=soft -ffunction-sections -fdata-sections -nostdlib -Wl,--gc-sections \
    -Wl,-e,tfg_model_invoke -Wl,--unresolved-symbols=ignore-all -I"$dir" "$dir"/*.c -o "$T/m0.elf"
  expect_rc 0
  run arm-none-eabi-nm -u "$T/m0.elf"
  expect_rc 0
  ok; ! grep -E '__aeabi_(f|d|i2f|ui2f|l2f|i2d|ui2d|l2d)|__(add|sub|mul|div)(sf|df)3|__float|__fix' "$T/out" || fail "the int8 path needs floating-point helpers: $(tr '\n' ' ' <"$T/out")"
  run arm-none-eabi-nm "$T/m0.elf"
  ok; grep -q ' T tfg_model_invoke$' "$T/out" || fail "tfg_model_invoke not in the M0+ image"
}

for ex in fruit digits; do
  SPEC=$TFG_SRC/examples/$ex/spec.json
  R=$T/$ex
  run "$TFG_BIN" -q data "$SPEC" --out "$R"; expect_rc 0
  run "$TFG_BIN" -q train "$SPEC" --out "$R"; expect_rc 0
  run "$TFG_BIN" --json quantize "$SPEC" --out "$R"; expect_rc 0
  cp "$T/out" "$T/q.json"
  fa=$(json_get "$T/q.json" "j['float_accuracy']"); qa=$(json_get "$T/q.json" "j['int8_accuracy']")
  echo "$ex: float $fa, int8 $qa, calibration $(json_get "$T/q.json" "j['calibration']['method']")"
  ok; python3 -c "import sys; sys.exit(0 if $fa - $qa <= 0.01 else 1)" || fail "$ex: int8 accuracy $qa more than 1 point below float $fa"
  rows=$(json_get "$T/q.json" "j['test_samples']")
  inb=$(json_get "$R/quantize/report.json" "j['test_samples']")
  ok; [ "$(stat -c %s "$R/quantize/test_output.bin")" -gt 0 ] || fail "$ex: empty test_output.bin"
  run "$TFG_BIN" inspect "$R/quantize/model.tflite"; expect_rc 0
  expect_out "FULLY_CONNECTED"
  run "$TFG_BIN" --json build "$SPEC" --out "$R"; expect_rc 0
  ok; [ "$(json_get "$R/build/report.json" "j['host_check']['rows']")" = "$rows" ] || fail "$ex: host check did not cover the $rows test rows"
  ok; [ "$(json_get "$R/build/report.json" "j['preprocess']")" = True ] || fail "$ex: no device preprocessing"
  ok; head -c 400 "$R/build/model.c" | grep -q "sha256: $(sha256sum <"$R/quantize/model.tflite" | cut -c1-64)" || fail "$ex: model.c banner lacks the model's hash"
  for cc in gcc clang; do check_generated "$R/build" $cc "$R"; done
  check_soft_float "$R/build"
done

# Unchanged: skipped; out of order: a clear error; a wrong reference: exit 1 with the row.
R=$T/fruit; SPEC=$TFG_SRC/examples/fruit/spec.json
run "$TFG_BIN" --json quantize "$SPEC" --out "$R"; expect_rc 0
expect_out '"status":"skipped"'
run "$TFG_BIN" --json build "$SPEC" --out "$R"; expect_rc 0
expect_out '"status":"skipped"'
run "$TFG_BIN" build "$SPEC" --out "$T/empty"
expect_rc 3
expect_err "run \`tinyforge quantize"
run "$TFG_BIN" quantize "$SPEC" --out "$T/empty"
expect_rc 3
expect_err "run \`tinyforge data"
python3 - "$R/quantize/test_output.bin" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[3 * 5 + 1] ^= 0x40; open(p, 'wb').write(b)
PY
before=$(sha256sum <"$R/build/model.c")
run "$TFG_BIN" build "$SPEC" --out "$R" --force
expect_rc 1
expect_err "first in test row 5"
ok; [ "$before" = "$(sha256sum <"$R/build/model.c")" ] || fail "a failed build replaced the published one"

# A bad quantization section names the field.
sed 's/"seed"/"quantization": {"method": "minmax", "max_drop": 101}, "seed"/' "$SPEC" >"$T/bad.json"
sed -i "s#\"fruit.csv\"#\"$TFG_SRC/examples/fruit/fruit.csv\"#" "$T/bad.json"
run "$TFG_BIN" quantize "$T/bad.json" --out "$R"
expect_rc 3
expect_err "quantization.max_drop"
finish
