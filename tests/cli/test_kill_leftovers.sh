# test_kill_leftovers.sh — a run killed (SIGKILL) while the build stage's staging
# directory and its host-check scratch exist leaves nothing behind once the next run
# has started: that run skips build as up to date (its published artifacts were never
# touched), yet the stale "<out>/.build.tmp" goes, no scratch directory survives in
# /tmp or anywhere else, and the run's results are byte for byte the same (issue 22).
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
R=$T/fruit

run "$TFG_BIN" -q run "$SPEC" --out "$R"
expect_rc 0
sums() { (cd "$R" && sha256sum build/model.c build/model.h quantize/model.tflite \
  validate/device_output.bin data/train.bin); }
sums >"$T/before"

# A compiler that says where it was asked to write, then waits to be killed: the build
# stage is caught in its host check, with the staging directory in place.
cat >"$T/slowcc" <<'SH'
#!/bin/sh
printf '%s\n' "$$" "$@" >"$MARK.tmp" && mv "$MARK.tmp" "$MARK"
exec sleep 120
SH
chmod +x "$T/slowcc"
MARK=$T/mark CC=$T/slowcc "$TFG_BIN" -q run "$SPEC" --out "$R" --force \
  >"$T/killed.out" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$T/mark" ] && break; sleep 0.1; done
ok; [ -s "$T/mark" ] || fail "the build never reached its host check: $(cat "$T/killed.out")"
ccpid=$(head -1 "$T/mark")
# the compile's output path: the scratch directory the host check writes in
prog=$(awk 'p {print; exit} $0 == "-o" {p = 1}' "$T/mark")
scratch=$(dirname "$prog")
ok; kill -0 "$pid" 2>/dev/null || fail "the run was not alive before the kill"
ok; [ -d "$R/.build.tmp" ] || fail "no staging directory $R/.build.tmp before the kill"
ok; [ -d "$scratch" ] || fail "no scratch directory $scratch before the kill"
kill -KILL "$pid"
kill -KILL "$ccpid" 2>/dev/null
wait "$pid" 2>/dev/null
ok; [ -d "$R/.build.tmp" ] || fail "the kill left no staging behind: the test proves nothing"

run "$TFG_BIN" --json run "$SPEC" --out "$R"
expect_rc 0
st=$(python3 -c 'import json,sys
print({s["stage"]: s["status"] for s in json.load(sys.stdin)["stages"]}["build"])' <"$T/out")
ok; [ "$st" = skipped ] || fail "the rerun did not skip build as up to date (status $st)"
left=$(cd "$R" && ls -A | grep -E '^\.' | tr '\n' ' ')
ok; [ -z "$left" ] || fail "leftovers in the run directory after the rerun: $left"
ok; [ ! -e "$scratch" ] || fail "the host check's scratch $scratch survived the rerun"
sums >"$T/after"
ok; cmp -s "$T/before" "$T/after" || fail "the results changed: $(diff "$T/before" "$T/after")"
finish
