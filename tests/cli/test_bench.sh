# test_bench.sh — `tinyforge bench` beyond the 30-run tables of test_pilot_cli.sh: the
# training cache (the first run trains, later runs of the same architecture reuse the
# entry; the reused weights are the ones a training gives, byte for byte; a damaged entry
# is trained again, not used), the sketch stage started from the base's build, and
# --samples.
. "$(dirname "$0")/lib.sh"

SPEC="$TFG_SRC/examples/fruit/spec.json"
hit() { json_get "$1/train/report.json" 'j["cache"]["hit"]'; }

# The train stage, 3 runs on one worker: run 1 trains, runs 2 and 3 hit.
run "$TFG_BIN" bench "$SPEC" --stage train --runs 3 --out "$T/c"
expect_rc 0
expect_out "| train | builtin | 3/3 (100 %)"
ok; [ "$(hit "$T/c/train-001")" = False ] || fail "run 1 did not train: $(hit "$T/c/train-001")"
for r in 002 003; do
  ok; [ "$(hit "$T/c/train-$r")" = True ] || fail "run $r did not reuse the training"
  ok; cmp -s "$T/c/train-001/train/weights.bin" "$T/c/train-$r/train/weights.bin" ||
    fail "run $r published other weights than run 1"
done
# What was reused is what training gives: the same bench without the cache.
run "$TFG_BIN" bench "$SPEC" --stage train --runs 2 --no-train-cache --out "$T/n"
expect_rc 0
ok; [ ! -d "$T/n/train-cache" ] || fail "--no-train-cache still wrote a cache"
ok; [ "$(json_get "$T/n/train-002/train/report.json" '"cache" in j')" = False ] ||
  fail "--no-train-cache run reports a cache"
ok; cmp -s "$T/n/train-002/train/weights.bin" "$T/c/train-003/train/weights.bin" ||
  fail "the cached weights differ from a fresh training's"
# The stage's manifest makes an unchanged rerun a skip, cache or not.
run "$TFG_BIN" -q train "$SPEC" --out "$T/c/train-003"
expect_rc 0

# A damaged entry (weights changed after it was stored) is not used: trained again.
key=$(json_get "$T/c/train-001/train/report.json" 'j["cache"]["key"]')
ok; [ -f "$T/c/train-cache/$key/weights.bin" ] || fail "no cache entry $key"
cp -r "$T/c/train-cache" "$T/keep"
printf 'x' | dd of="$T/c/train-cache/$key/weights.bin" bs=1 seek=7 conv=notrunc 2>/dev/null
rm -rf "$T/c/train-004" && mkdir -p "$T/c/train-004" && ln -s "$T/c/base/data" "$T/c/train-004/data"
cp "$T/c/train-001/llm/proposal-train.json" "$T/arch.json"
run "$TFG_BIN" train "$SPEC" --out "$T/c/train-004" --arch "$T/arch.json" --cache "$T/c/train-cache"
expect_rc 0
ok; ! grep -q "from the cache" "$T/out" || fail "a damaged entry was used"
ok; [ "$(hit "$T/c/train-004")" = False ] || fail "a damaged entry was used (report)"
ok; cmp -s "$T/c/train-004/train/weights.bin" "$T/c/train-001/train/weights.bin" ||
  fail "retraining gave other weights"
# ... and the training repaired the entry: another run directory now reuses it.
mkdir -p "$T/c/train-005" && ln -s "$T/c/base/data" "$T/c/train-005/data"
run "$TFG_BIN" train "$SPEC" --out "$T/c/train-005" --arch "$T/arch.json" --cache "$T/c/train-cache"
expect_rc 0
expect_out "published from the cache"
ok; cmp -s "$T/c/train-cache/$key/weights.bin" "$T/keep/$key/weights.bin" ||
  fail "the entry was not repaired"

# Two spellings of one network are one training: the arch.json a training publishes
# (names and defaults filled in) hits the entry of the hand-written file it came from.
printf '{"layers": [{"type": "dense", "units": 6, "activation": "relu"}, {"type": "dense", "units": 3}, {"type": "softmax"}]}\n' >"$T/mini.json"
for d in m1 m2; do mkdir -p "$T/$d" && ln -s "$T/c/base/data" "$T/$d/data"; done
run "$TFG_BIN" train "$SPEC" --out "$T/m1" --arch "$T/mini.json" --cache "$T/mc"
expect_rc 0
ok; ! grep -q "from the cache" "$T/out" || fail "an empty cache hit"
ok; ! cmp -s "$T/mini.json" "$T/m1/train/arch.json" || fail "the published arch.json is the same text"
run "$TFG_BIN" train "$SPEC" --out "$T/m2" --arch "$T/m1/train/arch.json" --cache "$T/mc"
expect_rc 0
expect_out "published from the cache"

# The sketch stage starts from the base's data, train, quantize and build; --samples.
run "$TFG_BIN" bench "$SPEC" --stage sketch --runs 2 --samples 10 --out "$T/s"
expect_rc 0
expect_out "| sketch | builtin | 2/2 (100 %)"
for d in data train quantize build; do
  ok; [ -L "$T/s/sketch-001/$d" ] || fail "sketch run does not start from the base's $d"
done
ok; [ "$(json_get "$T/s/sketch-002/sketch/report.json" 'j["checks"][0]["samples"]')" = 10 ] ||
  fail "--samples 10: $(json_get "$T/s/sketch-002/sketch/report.json" 'j["checks"]')"
run "$TFG_BIN" bench "$SPEC" --stage sketch --samples 0 --out "$T/s0"
expect_rc 2
expect_err "--samples"

finish
