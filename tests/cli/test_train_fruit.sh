# test_train_fruit.sh — training on the fruit example: the chooser starts with the
# linear model (3 -> 3, 12 parameters; the paper's 3 -> 8 -> 5 -> 3 comes next), which
# separates the colours and reaches 95 % on the test split, so it is kept; the same seed
# gives the same weights; an unchanged stage is skipped.
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
run "$TFG_BIN" -q data "$SPEC" --out "$T/a"
expect_rc 0
run "$TFG_BIN" --json train "$SPEC" --out "$T/a"
expect_rc 0
cp "$T/out" "$T/a.json"
acc=$(json_get "$T/a.json" "j['test_accuracy']")
echo "fruit test accuracy: $acc"
ok; python3 -c "import sys; sys.exit(0 if $acc >= 0.95 else 1)" || fail "fruit test accuracy $acc < 0.95"
ok; [ "$(json_get "$T/a.json" "j['candidates'][0]['params']")" = 12 ] ||
  fail "first candidate is not the linear 3 -> 3 (12 parameters)"
ok; [ "$(json_get "$T/a/train/arch.json" \
  "[l.get('units') for l in j['layers'] if l['type'] == 'dense']")" = "[3]" ] ||
  fail "chosen network is not the linear 3 -> 3: $(cat "$T/a/train/arch.json")"
# it trained at the linear model's own rate (the spec gives none), and says so
ok; [ "$(json_get "$T/a.json" "round(j['training']['lr'], 6)")" = 0.01 ] ||
  fail "the report does not give the linear model's learning rate 0.01"
for f in arch.json model.json weights.bin report.json manifest.json; do
  ok; [ -s "$T/a/train/$f" ] || fail "missing train/$f"
done
# Same seed, same weights (a second run directory from the same data).
run "$TFG_BIN" -q data "$SPEC" --out "$T/b"
run "$TFG_BIN" -q train "$SPEC" --out "$T/b"
expect_rc 0
ok; cmp -s "$T/a/train/weights.bin" "$T/b/train/weights.bin" || fail "two runs with one seed gave different weights"
# Unchanged: skipped.
run "$TFG_BIN" --json train "$SPEC" --out "$T/a"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <"$T/out")" = skipped ] || fail "unchanged train stage was not skipped"
# A given architecture is trained as given.
cat >"$T/arch.json" <<'JSON'
{"layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 3}, {"type": "softmax"}]}
JSON
run "$TFG_BIN" --json train "$SPEC" --out "$T/a" --arch "$T/arch.json" --epochs 40
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["params"])' <"$T/out")" = 115 ] || fail "--arch not used: $(head -c 300 "$T/out")"
finish
