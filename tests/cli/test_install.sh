# test_install.sh — tinyforge needs no source checkout at run time. `cmake --install` to a
# fresh prefix gives bin/tinyforge, bin/tfg-simavr-runner and share/tinyforge; run from an
# empty folder with a cleared environment, the installed binary lists the boards, checks
# a spec, writes one with the builtin writer (prompts, price table) and takes fruit
# through data, train, quantize, build, validate (Nano 33 BLE and Uno) and sketch, with
# the source checkout and the build tree hidden (bwrap mounts an empty folder over them)
# and, where strace is installed, a trace showing that every shipped file came from the
# prefix and that no file of the checkout or the build tree was touched.
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

# The watchers: bwrap hides the checkout and the build tree (not when the scratch folder
# is inside them); strace -f keeps every file name the binary or a child uses.
hide=()
case "$T/" in
  "$TFG_SRC"/* | "$BUILD"/*) ;;
  *) if bwrap --dev-bind / / --tmpfs "$TFG_SRC" --tmpfs "$BUILD" true 2>/dev/null; then
       hide=(bwrap --dev-bind / / --tmpfs "$TFG_SRC" --tmpfs "$BUILD")
     fi ;;
esac
trace=()
command -v strace >/dev/null && trace=(strace -f -qq -e trace=%file -o "$T/trace")
ok; [ ${#hide[@]} -gt 0 ] || [ ${#trace[@]} -gt 0 ] ||
  fail "neither bwrap (Debian bubblewrap) nor strace can keep the checkout from the installed binary"
[ ${#trace[@]} -gt 0 ] || echo "note: strace not installed; the checkout is hidden, not traced"
: >"$T/trace"

# inst [VAR=VALUE...] ARGS...: the installed tinyforge run in $W with only PATH, HOME and
# the sanitizer options (no TINYFORGE_*, no TFG_*), watched; the trace is appended to
# $T/trace.all. LeakSanitizer cannot run under a tracer, so leaks stay the other tests'
# business.
inst() {
  local vars=()
  while [ $# -gt 0 ] && [[ $1 == *=* ]]; do vars+=("$1"); shift; done
  (cd "$W" && "${hide[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$W/home" \
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "${vars[@]}" \
    "${trace[@]}" "$P/bin/tinyforge" "$@") >"$T/out" 2>"$T/err"
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
  if [ ${#trace[@]} -gt 0 ]; then
    ok; grep -q "execve(\"$P/bin/tfg-simavr-runner\"" "$T/trace.all" || fail "the simavr runner beside the installed binary was not used"
  fi
fi
inst -q sketch spec.json --out run
expect_rc 0
ok; [ "$(json_get "$W/run/sketch/report.json" "j['result']")" = passed ] || fail "the sketch from the install did not pass"

# Every resource came from the prefix, and nothing from the checkout or the build tree.
if [ ${#trace[@]} -gt 0 ]; then
  for f in boards.json prices.json prompts/spec.user.md runtime/board/fw_main.c \
    runtime/arduino/Arduino.h; do
    ok; grep -q "\"$P/share/tinyforge/$f\"" "$T/trace.all" || fail "share/tinyforge/$f was not read from the install"
  done
  ok; ! grep -qF -e "\"$TFG_SRC/" -e "\"$BUILD/" "$T/trace.all" ||
    fail "the installed binary touched the checkout: $(grep -F -e "\"$TFG_SRC/" -e "\"$BUILD/" "$T/trace.all" | head -5)"
fi

# The one override: $TINYFORGE_HOME, a folder of the share/tinyforge layout, wins over
# the install (and over the build tree's source fallback).
inst TINYFORGE_HOME="$T/nohome" boards
expect_rc 4
expect_err "$T/nohome/boards.json"
mkdir -p "$T/one"
python3 - "$P/share/tinyforge/boards.json" "$T/one/boards.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); j["boards"] = j["boards"][:1]; json.dump(j, open(sys.argv[2], "w"))
PY
run env -u TINYFORGE_BOARDS TINYFORGE_HOME="$T/one" "$TFG_BIN" --json boards
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["boards"]))' <"$T/out")" = 1 ] ||
  fail "the build tree's binary ignored \$TINYFORGE_HOME: $(head -c 300 "$T/out")"
finish
