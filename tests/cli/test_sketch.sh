# test_sketch.sh — the application sketch (issue 6 part 4, issue 8's sketch validator):
# the builtin fruit sketch passes on mps2-an386 (Cortex-M4), on the Uno via simavr built
# by tinyforge and via the exported library with arduino-builder; every bad sketch of
# tests/data/sketches/ is rejected with its failure class; the raw readings replay; and
# "fits the board" has one definition: validate and the sketch agree on the Uno and on
# a board whose RAM lies between what validate's firmware and the sketch's need.
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
R=$T/fruit
BAD=$TFG_SRC/tests/data/sketches
for s in data train quantize build; do run "$TFG_BIN" -q $s "$SPEC" --out "$R"; expect_rc 0; done

# The raw readings: one row per test row, and preprocess.json replayed on each (in
# Python, float32 after every operation as src/data/preprocess.c does it) gives test.bin's
# features bit for bit. The data stage checks this in C; this checks the files.
ok; python3 "$TFG_SRC/tests/cli/splits.py" replay "$R/data" >"$T/replay" 2>&1 \
  || fail "test_raw.bin does not replay to test.bin: $(cat "$T/replay")"
raw_rows=$(python3 -c "import sys; sys.path.insert(0, sys.argv[1]); import splits
print(len(splits.read_split(sys.argv[2])[0]))" "$TFG_SRC/tests/cli" "$R/data/test_raw.bin")
ok; [ "$(json_get "$R/data/summary.json" "j['raw_readings']['rows']")" = "$raw_rows" ] \
  || fail "summary.json's raw_readings.rows is not test_raw.bin's $raw_rows rows"

# The builtin sketch: Cortex-M4, both runs (as given, then the model's classes permuted
# and the samples in an order drawn at random), with a bwrap on PATH that logs each call
# before running the real one.
mkdir "$T/bin"
if real_bwrap=$(command -v bwrap); then
  printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec "%s" "$@"\n' \
    "$T/bwrap.log" "$real_bwrap" >"$T/bin/bwrap"
  chmod +x "$T/bin/bwrap"
fi
run env PATH="$T/bin:$PATH" "$TFG_BIN" sketch "$SPEC" --out "$R"
expect_rc 0
expect_out "45 samples"
ok; [ "$(json_get "$R/sketch/report.json" "j['checks'][0]['passes'][1]['matches']")" = 45 ] || fail "second run did not match"
ok; [ -s "$R/sketch/fruit.ino" ] && [ -s "$R/sketch/libraries/tinyforge_fruit/library.properties" ] && [ -s "$R/sketch/libraries/tinyforge_fruit/examples/fruit/fruit.ino" ] && [ -s "$R/sketch/libraries/tinyforge_fruit/src/model.c" ] || fail "sketch or library files missing"
# Where bubblewrap can make a sandbox here, the emulator must have run in it: the report
# says so, and both passes of the firmware went through bwrap. Only where it cannot is
# running without one ("none: why") right, and then that check cannot run.
if bwrap --unshare-all --ro-bind / / true 2>/dev/null; then
  sb=$(json_get "$R/sketch/report.json" "j['checks'][0]['sandbox']")
  ok; [ "${sb%%:*}" = bubblewrap ] || fail "bwrap works here, but the sketch says: $sb"
  ok; [ "$(grep -c -- '--unshare-all.*/tmp/firmware.elf' "$T/bwrap.log")" -ge 2 ] \
    || fail "the sketch's two passes did not run in bwrap: $(cat "$T/bwrap.log" 2>&1)"
else
  skip "bwrap cannot make a sandbox here, so the sketch's emulator ran without one"
fi

# The Uno: tinyforge's own AVR build and arduino-builder with the exported library.
run "$TFG_BIN" sketch "$SPEC" --out "$R" --board arduino_uno --arduino-builder
expect_rc 0
ok; [ "$(json_get "$R/sketch/report.json" "[c['builder'] for c in j['checks'] if c['result'] == 'passed']")" = "['tinyforge', 'arduino-builder']" ] || fail "Uno builds did not both pass: $(cat "$R/sketch/report.json")"

# One fit rule: validate sizes the builtin sketch the way the sketch stage builds it, so
# on the Uno both pass with the same numbers, and on a board with RAM between validate's
# own firmware and the sketch's (where validate used to pass and the sketch fail) both
# refuse, naming the sketch firmware's bytes.
run "$TFG_BIN" -q validate "$SPEC" --out "$R" --board uno --force
expect_rc 0
V=$R/validate/report.json
vram=$(json_get "$V" "j['ram']['used']")
sram=$(json_get "$R/sketch/report.json" "j['checks'][0]['passes'][0]['ram_bytes']")
ok; [ "$(json_get "$V" "j['sketch_firmware']['ram_used']")" = "$sram" ] || fail "validate sized the sketch at $(json_get "$V" "j['sketch_firmware']"), the sketch stage at $sram bytes of RAM"
ok; [ "$vram" -lt "$sram" ] || fail "the sketch's firmware ($sram) should need more RAM than validate's ($vram)"
tight=$(( (vram + sram) / 2 ))
python3 - "$TFG_SRC/boards/boards.json" "$T/boards.json" "$tight" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
uno = dict(next(b for b in j['boards'] if b['id'] == 'arduino_uno'))
uno.update(id='uno_tight', name='Arduino Uno (tight)', aliases=[], ram_bytes=int(sys.argv[3]))
j['boards'].append(uno)
json.dump(j, open(sys.argv[2], 'w'))
PY
run env TINYFORGE_BOARDS="$T/boards.json" "$TFG_BIN" validate "$SPEC" --out "$R" --board uno_tight
vrc=$RC
expect_rc 1
expect_err "the firmware with the application sketch does not fit the Arduino Uno (tight): it needs $(python3 -c "print(f'{$sram:,}')") bytes of RAM"
run env TINYFORGE_BOARDS="$T/boards.json" "$TFG_BIN" sketch "$SPEC" --out "$R" --board uno_tight
expect_rc 1
expect_err "budget exceeded"
ok; [ "$RC" = "$vrc" ] || fail "validate (exit $vrc) and the sketch (exit $RC) disagree on whether the firmware fits $tight bytes of RAM"

# Bad sketches: each rejected with its class (exit 1), never accepted.
python3 - "$R/quantize/test_output.bin" "$BAD/label_table.ino" "$T/label_table.ino" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read(); rows = [b[i:i+3] for i in range(0, len(b), 3)]
def s8(x): return x - 256 if x > 127 else x
table = [max(range(3), key=lambda k: (s8(r[k]), -k)) for r in rows]
open(sys.argv[3], 'w').write(open(sys.argv[2]).read().replace('@TABLE@', ','.join(map(str, table))))
PY
check_bad() { # FILE CLASS TEXT
  run "$TFG_BIN" sketch "$SPEC" --out "$R" --source "$1" --timeout 6
  expect_rc 1
  expect_err "error: $2"
  [ -z "${3:-}" ] || expect_err "$3"
  ok; [ "$(json_get "$R/sketch/report.json" "j['result']")" = rejected ] || fail "$1: report does not say rejected"
}
check_bad "$BAD/compile_error.ino" "compile error" "compile_error.ino:"
check_bad "$BAD/system_call.ino" "unsafe output" "calls system()"
check_bad "$BAD/fopen.ino" "unsafe output" "stdio.h"
check_bad "$BAD/semihosting.ino" "unsafe output" "__asm__"
check_bad "$BAD/constant.ino" "silent failure" "constant class"
check_bad "$T/label_table.ino" "silent failure" "do not follow the model"
check_bad "$BAD/infinite_loop.ino" "unsafe output" "did not finish"
check_bad "$BAD/overrun.ino" "unsafe output" "crashed"
check_bad "$BAD/wrong_sensor.ino" "embedded-ML misuse" "sensor"
finish
