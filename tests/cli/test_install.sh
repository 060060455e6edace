# test_install.sh — tinyforge needs no source checkout at run time. `cmake --install` to a
# fresh prefix gives bin/tinyforge, bin/tfg-simavr-runner and share/tinyforge; run from an
# empty folder with a cleared environment, the installed binary lists the boards, checks
# a spec, writes one with the builtin writer (prompts, price table) and takes fruit
# through data, train, quantize, build, validate (Nano 33 BLE and Uno) and sketch, while
# strace shows that it touches no file of the source checkout or the build tree.
# $TINYFORGE_HOME moves every resource, and a resource missing there is named.
. "$(dirname "$0")/lib.sh"
: "${TFG_FRUITGEN:?set by ctest}"
BUILD=$(cd "$(dirname "$TFG_BIN")" && pwd)
P=$T/prefix # one prefix per run: the plain and the sanitizer build never share one
W=$T/work
mkdir -p "$W/home"

run env -u DESTDIR cmake --install "$BUILD" --prefix "$P"
expect_rc 0
for f in bin/tinyforge share/tinyforge/boards.json share/tinyforge/prices.json \
  share/tinyforge/prompts/spec.user.md share/tinyforge/runtime/tfg_runtime.h \
  share/tinyforge/runtime/board/fw_main.c share/tinyforge/runtime/board/arm/cortex-m.ld \
  share/tinyforge/runtime/arduino/Arduino.h; do
  ok; [ -f "$P/$f" ] || fail "the install lacks $f"
done
uno=false
[ -x "$BUILD/tfg-simavr-runner" ] && uno=true
if $uno; then ok; [ -x "$P/bin/tfg-simavr-runner" ] || fail "the install lacks bin/tfg-simavr-runner"; fi

# The spec and its data, as a user would have them: in the work folder, nothing else.
"$TFG_FRUITGEN" >"$W/fruit.csv"
cp "$TFG_SRC/examples/fruit/spec.json" "$W/spec.json"

# inst [VAR=VALUE...] ARGS...: the installed tinyforge run in $W with only PATH, HOME and
# the sanitizer options (no TINYFORGE_*, no TFG_*), under strace; every file it or a
# child names is kept in $T/trace.all. LeakSanitizer cannot run under a tracer, so leaks
# stay the other tests' business.
inst() {
  local vars=()
  while [ $# -gt 0 ] && [[ $1 == *=* ]]; do vars+=("$1"); shift; done
  (cd "$W" && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$W/home" \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "${vars[@]}" \
    strace -f -qq -e trace=%file -o "$T/trace" "$P/bin/tinyforge" "$@") >"$T/out" 2>"$T/err"
  RC=$?
  cat "$T/trace" >>"$T/trace.all"
}

inst boards
expect_rc 0
expect_out "arduino_nano_33_ble_sense"
inst check spec.json
expect_rc 0
inst new "tell apple, banana and orange apart by colour" --data fruit.csv --out new.json --run newrun
expect_rc 0
ok; [ "$(json_get "$W/new.json" 'j["data"]["label"]')" = fruit ] || fail "new: $(cat "$W/new.json")"

inst -q data spec.json --out run
expect_rc 0
inst -q train spec.json --out run --epochs 30
expect_rc 0
for s in quantize build validate; do
  inst -q $s spec.json --out run
  expect_rc 0
done
V=$W/run/validate/report.json
ok; [ -f "$V" ] && [ "$(json_get "$V" "[j['emulator'], j['mismatches']]")" = "['mps2-an386', 0]" ] || fail "validate from the install: $(cat "$V" 2>/dev/null)"
if $uno; then
  inst -q validate spec.json --out run --board uno
  expect_rc 0
  ok; [ "$(json_get "$V" "[j['emulator'], j['mismatches']]")" = "['atmega328p', 0]" ] || fail "validate on the Uno from the install: $(cat "$V")"
  ok; grep -q "execve(\"$P/bin/tfg-simavr-runner\"" "$T/trace.all" || fail "the simavr runner beside the installed binary was not used"
fi
inst -q sketch spec.json --out run
expect_rc 0
ok; [ "$(json_get "$W/run/sketch/report.json" "j['result']")" = passed ] || fail "the sketch from the install did not pass"

# Every resource came from the prefix, and nothing from the checkout or the build tree.
for f in boards.json prices.json prompts/spec.user.md runtime/board/fw_main.c \
  runtime/arduino/Arduino.h; do
  ok; grep -q "\"$P/share/tinyforge/$f\"" "$T/trace.all" || fail "share/tinyforge/$f was not read from the install"
done
ok; ! grep -qF -e "\"$TFG_SRC/" -e "\"$BUILD/" "$T/trace.all" ||
  fail "the installed binary touched the checkout: $(grep -F -e "\"$TFG_SRC/" -e "\"$BUILD/" "$T/trace.all" | head -5)"

# The one override: $TINYFORGE_HOME, a folder of the share/tinyforge layout, wins over
# the install (and over the build tree's source fallback).
: >"$T/trace.all"
inst TINYFORGE_HOME="$T/nohome" boards
expect_rc 4
expect_err "$T/nohome/boards.json"
run env TINYFORGE_HOME="$P/share/tinyforge" strace -f -qq -e trace=%file -o "$T/trace" \
  env ASAN_OPTIONS=detect_leaks=0 "$TFG_BIN" boards
expect_rc 0
ok; grep -q "\"$P/share/tinyforge/boards.json\"" "$T/trace" || fail "the build tree's binary ignored \$TINYFORGE_HOME"
finish
