# test_validate.sh — the device proof through the CLI: `tinyforge run` takes fruit from
# CSV to validated firmware, a proven application sketch and a report with every stage
# timed (how long it takes is a figure of bench/device, not a test); the firmware's output
# bytes equal the host int8 bytes on mps2-an386 and mps2-an505 for fruit and digits, on
# mps3-an547 (Cortex-M55) and the Uno (simavr) for fruit; instruction counts repeat
# exactly; a wrong host reference, an emulator missing from PATH, an unknown board and a
# model too big for the Uno each give a clear error and the right exit code, and leave the
# published stage alone.
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
R=$T/fruit

run "$TFG_BIN" run "$SPEC" --out "$R"
expect_rc 0
cat "$T/out"
for s in data train quantize build validate sketch report; do
  ok; grep -qE "^$s +[0-9]+\.[0-9]+ s" "$T/out" || fail "no timed line for stage $s"
done
V=$R/validate/report.json
ok; [ "$(json_get "$V" "j['matches']")" = "$(json_get "$V" "j['samples']")" ] || fail "fruit: device differs from host"
ok; [ "$(json_get "$V" "j['mismatches']")" = 0 ] || fail "fruit: mismatches reported"
ok; cmp -s "$R/validate/device_output.bin" "$R/quantize/test_output.bin" || fail "fruit: device_output.bin differs from the host int8 outputs"
ok; [ "$(json_get "$V" "j['emulator']")" = mps2-an386 ] || fail "the Nano 33 BLE should run on mps2-an386"
ok; [ "$(json_get "$V" "j['device_accuracy'] == json.load(open('$R/quantize/report.json'))['int8_accuracy']")" = True ] || fail "device accuracy differs from the host int8 accuracy"
# The kernel variant of each layer, chosen for the spec board's core: fruit's fully
# connected layer (the chooser keeps the linear model) runs the DSP GEMM on the
# Cortex-M4, its softmax the reference, and validate and the report say so.
want="['cortex-m4f', 'dsp_fc: 0; reference: 1']"
ok; [ "$(json_get "$V" "[j['kernels']['core'], j['kernels']['summary']]")" = "$want" ] ||
  fail "fruit's kernels: $(json_get "$V" "j.get('kernels')")"
layers="[l['kernel'] for l in j['layers']]"
ok; [ "$(json_get "$V" "[l['kernel'] for l in j['kernels']['layers']]")" = \
  "$(json_get "$R/build/report.json" "$layers")" ] || fail "validate's layers are not the build's"
ok; grep -q "tfg_rt_fully_connected_s8_dsp(" "$R/build/model.c" ||
  fail "model.c does not call the DSP kernel"
row='| **kernel variants, by operator** | dsp\_fc: 0; reference: 1 (chosen for cortex-m4f) |'
ok; grep -qF "$row" "$R/report/report.md" ||
  fail "the report does not say which kernels ran: $(grep -i kernel "$R/report/report.md")"
ok; [ -s "$R/report/report.html" ] || fail "no report"
ok; grep -q "mps2-an386" "$R/report/report.html" || fail "the report does not name the emulator"
ok; grep -q "The application sketch (builtin template)" "$R/report/report.md" || fail "the report does not show the sketch's proof"
ok; [ "$(json_get "$R/sketch/report.json" "j['result']")" = passed ] || fail "the builtin sketch did not pass"

# A relative run directory, as `make demo` gives (the emulator runs in another folder).
(cd "$T" && "$TFG_BIN" -q run "$SPEC" --out rel >"$T/rel.out" 2>&1); rel_rc=$?
ok; [ $rel_rc = 0 ] && [ "$(json_get "$T/rel/validate/report.json" "j['mismatches']")" = 0 ] || fail "run with a relative --out: $(cat "$T/rel.out")"

# --sketch-samples: the sketch streams the first N readings per pass (the model is still
# validated on all); a bad count is a usage error.
run "$TFG_BIN" -q run "$SPEC" --out "$T/few" --sketch-samples 7
expect_rc 0
ok; [ "$(json_get "$T/few/sketch/report.json" "j['checks'][0]['samples']")" = 7 ] || fail "--sketch-samples 7: $(json_get "$T/few/sketch/report.json" "j['checks']")"
ok; [ "$(json_get "$T/few/validate/report.json" "j['samples']")" = 45 ] || fail "validate did not prove every sample"
run "$TFG_BIN" run "$SPEC" --out "$T/few" --sketch-samples 0
expect_rc 2
expect_err "--sketch-samples"

# Unchanged: every stage skipped; the second run's JSON says so.
run "$TFG_BIN" --json run "$SPEC" --out "$R"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(sorted({s["status"] for s in json.load(sys.stdin)["stages"]}))' <"$T/out")" = "['skipped']" ] || fail "an unchanged run was not skipped: $(cat "$T/out")"

# Instruction counts repeat exactly.
w1=$(json_get "$V" "[j['work']['min'], j['work']['max'], j['instructions_per_inference']]")
run "$TFG_BIN" -q validate "$SPEC" --out "$R" --force
expect_rc 0
ok; [ "$w1" = "$(json_get "$V" "[j['work']['min'], j['work']['max'], j['instructions_per_inference']]")" ] || fail "instruction counts changed between runs"

# Another core: the Cortex-M33 machine, and digits on both.
run "$TFG_BIN" --json validate "$SPEC" --out "$R" --board mps2-an505
expect_rc 0
ok; [ "$(json_get "$V" "j['emulator']")" = mps2-an505 ] || fail "--board mps2-an505 did not run on mps2-an505"
ok; [ "$(json_get "$V" "j['mismatches']")" = 0 ] || fail "fruit differs on mps2-an505"
run "$TFG_BIN" validate "$SPEC" --out "$R" --board mps2-an505 --force
expect_rc 0
expect_out "kernels (chosen for cortex-m4f), by operator: dsp_fc: 0; reference: 1"
# The Cortex-M55 (Armv8.1-M with Helium): every byte equal, counted in instructions.
run "$TFG_BIN" --json validate "$SPEC" --out "$R" --board mps3-an547 --force
expect_rc 0
got=$(json_get "$V" "[j['emulator'], j['mismatches'], j['work']['unit']]")
ok; [ "$got" = "['mps3-an547', 0, 'instructions']" ] || fail "fruit on mps3-an547: $(cat "$V")"
ok; cmp -s "$R/validate/device_output.bin" "$R/quantize/test_output.bin" ||
  fail "fruit on mps3-an547: device bytes differ"
# The Uno: the fruit model on the ATmega328P under simavr (cycles, not instructions).
run "$TFG_BIN" --json validate "$SPEC" --out "$R" --board uno
expect_rc 0
ok; [ "$(json_get "$V" "[j['emulator'], j['mismatches'], j['work']['unit']]")" = "['atmega328p', 0, 'cycles']" ] || fail "fruit on the Uno: $(cat "$V")"
ok; cmp -s "$R/validate/device_output.bin" "$R/quantize/test_output.bin" || fail "fruit on the Uno: device bytes differ"
D=$T/digits; DSPEC=$TFG_SRC/examples/digits/spec.json
for s in data train quantize build; do run "$TFG_BIN" -q $s "$DSPEC" --out "$D"; expect_rc 0; done
for m in mps2-an386 mps2-an505; do
  run "$TFG_BIN" -q validate "$DSPEC" --out "$D" --board $m --force
  expect_rc 0
  ok; [ "$(json_get "$D/validate/report.json" "j['matches']")" = "$(json_get "$D/quantize/report.json" "j['test_samples']")" ] || fail "digits on $m: not every sample matched"
  ok; cmp -s "$D/validate/device_output.bin" "$D/quantize/test_output.bin" || fail "digits on $m: device bytes differ"
done

# Too big for the board: fails early with the numbers, not a linker dump.
run "$TFG_BIN" validate "$DSPEC" --out "$D" --board uno
expect_rc 1
expect_err "Arduino Uno"
ok; ! grep -q "ld:\|region .* overflowed" "$T/err" || fail "a linker dump instead of the numbers: $(cat "$T/err")"

# A host reference that is wrong in one byte of sample 7: exit 1 naming it, nothing published.
cp "$R/quantize/test_output.bin" "$T/saved.bin"
python3 - "$R/quantize/test_output.bin" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[3 * 7 + 2] ^= 0x01; open(p, 'wb').write(b)
PY
before=$(sha256sum <"$V")
run "$TFG_BIN" validate "$SPEC" --out "$R"
expect_rc 1
expect_err "first at sample 7"
ok; [ "$before" = "$(sha256sum <"$V")" ] || fail "a failed validate replaced the published report"
cp "$T/saved.bin" "$R/quantize/test_output.bin"

# No emulator on PATH: exit 5 naming the program (the compilers stay reachable).
mkdir -p "$T/bin"
for t in /usr/bin/arm-none-eabi-*; do ln -sf "$t" "$T/bin/"; done
run env PATH="$T/bin" "$TFG_BIN" validate "$SPEC" --out "$R" --force
expect_rc 5
expect_err "qemu-system-arm"

# Unknown board: exit 3 with the closest names.
run "$TFG_BIN" validate "$SPEC" --out "$R" --board mps2-an50
expect_rc 3
expect_err "closest known"
# >>> micro:bit (issue 6 part 1): fruit on the Cortex-M0 with 16 KiB, byte-equal to the host
run "$TFG_BIN" --json validate "$SPEC" --out "$R" --board microbit
expect_rc 0
ok; [ "$(json_get "$V" "[j['emulator'], j['mismatches'], j['ram']['limit']]")" = "['microbit', 0, 16384]" ] || fail "fruit on the micro:bit: $(cat "$V")"
ok; cmp -s "$R/validate/device_output.bin" "$R/quantize/test_output.bin" || fail "fruit on the micro:bit: device bytes differ"
# <<< micro:bit
finish
