# test_quant_gate.sh — the int8 gate (src/quant/gate.h) end to end on fruit.
#
# The degradation is real and made here: one hidden ReLU unit's incoming weights and
# bias are scaled by K and its outgoing weights by 1/K. The float model computes the
# same function (ReLU(Kz)/K = ReLU(z)), but that unit now dominates the layer's one
# int8 activation range, so the other units lose resolution: the more so, the larger K.
# A sweep over K, with max_drop 0, must find a run where int8 loses a right answer or
# a few (more than max_drop, not more than chance) and passes; every run's verdict must
# follow the rule as computed here in Python; K = 1000 fails with the numbers, a report
# marked failed, no model, no manifest, and hints only for what was not tried.
. "$(dirname "$0")/lib.sh"

SPEC=$TFG_SRC/examples/fruit/spec.json
R=$T/run
cat >"$T/arch.json" <<'J'
{"input": [3], "layers": [{"type": "dense", "units": 8, "activation": "relu"},
 {"type": "dense", "units": 3}, {"type": "softmax"}]}
J
# A spec with the fruit data at an absolute path and a quantization section ($2).
spec_with() {
  python3 - "$SPEC" "$1" "$2" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[1]))
src = j["data"]["sources"][0]
src["path"] = os.path.join(os.path.dirname(sys.argv[1]), src["path"])
j["quantization"] = json.loads(sys.argv[3])
json.dump(j, open(sys.argv[2], "w"))
PY
}
spec_with "$T/zero.json" '{"max_drop": 0}'
spec_with "$T/auto.json" '{}'
spec_with "$T/minmax.json" '{"method": "minmax", "calibration_samples": 20}'

# outlier K: the weights of the trained model with hidden unit 0 scaled by K.
outlier() {
  python3 - "$T/w0.bin" "$R/train/weights.bin" "$1" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read()); K = float(sys.argv[3])
n = struct.unpack_from('<I', b, 12)[0]
v = list(struct.unpack_from('<%df' % n, b, 16))
nin, h, nout = 3, 8, 3                   # dense [units][inputs], then bias, per layer
for i in range(nin): v[i] *= K           # W0[0][i]
v[nin * h] *= K                          # b0[0]
for o in range(nout): v[nin * h + h + o * h] /= K   # W1[o][0]
assert n == nin * h + h + nout * h + nout
struct.pack_into('<%df' % n, b, 16, *v)
open(sys.argv[2], 'wb').write(b)
PY
}

# The rule, independently: fail iff drop > max_drop and P(X >= lost) < 0.05 for
# X ~ Binomial(lost + gained, 1/2). Prints "failed" or "passed" for report $1.
rule() {
  python3 - "$1" <<'PY'
import json, math, sys
g = json.load(open(sys.argv[1]))["gate"]
m = g["lost"] + g["gained"]
p = sum(math.comb(m, i) for i in range(g["lost"], m + 1)) / 2 ** m if g["lost"] else 1.0
drop = 100 * (g["lost"] - g["gained"]) / g["rows"]
assert abs(drop - g["drop_points"]) < 1e-6, (drop, g)
assert abs(p - g["p_value"]) < 1e-6 * max(p, 1e-300) + 1e-12, (p, g)
print("failed" if drop > g["max_drop"] and p < 0.05 else "passed")
PY
}

run "$TFG_BIN" -q data "$SPEC" --out "$R"; expect_rc 0
run "$TFG_BIN" -q train "$SPEC" --out "$R" --arch "$T/arch.json"; expect_rc 0
cp "$R/train/weights.bin" "$T/w0.bin"
test_rows=$(json_get "$R/data/summary.json" "j['splits']['test']['rows']")
val_rows=$(json_get "$R/data/summary.json" "j['splits']['val']['rows']")

noise=0
for K in 1 8 11 16 22 32 45 64 90 128 181 256 362 512; do
  outlier $K
  run "$TFG_BIN" quantize "$T/zero.json" --out "$R"
  rep=$R/quantize/report.json
  ok; [ -f "$rep" ] || { fail "K=$K: no quantize/report.json (exit $RC)"; continue; }
  want=$(rule "$rep") || { fail "K=$K: the gate's numbers disagree with the rule"; continue; }
  got=$(json_get "$rep" "j['result']")
  ok; [ "$got" = "$want" ] || fail "K=$K: gate says $got, the rule says $want"
  ok; [ "$(json_get "$rep" "j['gate']['rows']")" = $((test_rows + val_rows)) ] ||
    fail "K=$K: the gate did not judge the test and validation rows"
  if [ "$want" = passed ]; then
    expect_rc 0
    lost=$(json_get "$rep" "j['gate']['lost']")
    drop=$(json_get "$rep" "j['gate']['drop_points']")
    python3 -c "import sys; sys.exit(0 if $lost >= 1 and $drop > 0 else 1)" &&
      noise=$((noise + 1))
  else
    expect_rc 1
  fi
  echo "K=$K: $(json_get "$rep" "' '.join('%s %s' % (k, j['gate'][k]) for k in
    ('lost', 'gained', 'flipped', 'drop_points', 'result'))")"
done
ok; [ "$noise" -ge 1 ] ||
  fail "no run lost a few predictions and passed: the sweep did not reach the noise case"

# A real degradation with the defaults (auto, every training row calibrates).
outlier 1000
run "$TFG_BIN" quantize "$T/auto.json" --out "$R"
expect_rc 1
expect_one_error
rep=$R/quantize/report.json
ok; [ "$(json_get "$rep" "j['result']")" = failed ] || fail "report.json not marked failed"
ok; [ "$(rule "$rep")" = failed ] || fail "the rule says this degradation passes"
flipped=$(json_get "$rep" "j['gate']['flipped']")
expect_err "$flipped predictions flipped"
expect_err "on $((test_rows + val_rows)) rows (test $test_rows + validation $val_rows)"
expect_err "method auto already tried"
train_rows=$(json_get "$R/data/summary.json" "j['splits']['train']['rows']")
expect_err "on all $train_rows training rows"
ok; ! grep -q 'try quantization.method\|more quantization.calibration_samples' "$T/err" ||
  fail "suggests what auto with every training row already tried: $(cat "$T/err")"
ok; [ "$(json_get "$rep" "j['error']")" = "$(sed 's/^tinyforge: error: //' "$T/err")" ] ||
  fail "report.json's error is not the message printed"
ok; [ ! -e "$R/quantize/model.tflite" ] && [ ! -e "$R/quantize/manifest.json" ] ||
  fail "a failed gate published a model or a manifest: $(ls "$R/quantize")"
# Not skipped next time (no manifest), and later stages say why they cannot run.
run "$TFG_BIN" quantize "$T/auto.json" --out "$R"
expect_rc 1
run "$TFG_BIN" build "$T/auto.json" --out "$R"
expect_rc 3
expect_err "failed its accuracy gate"
run "$TFG_BIN" report "$T/auto.json" --out "$R" --force
expect_rc 0
expect_out "quantize failed"
ok; grep -q "gate on $((test_rows + val_rows)) test and validation rows: $flipped flipped" \
  "$R/report/report.md" || fail "report.md does not show the failed gate"

# minmax on 20 rows: the hints are auto and more calibration rows.
run "$TFG_BIN" quantize "$T/minmax.json" --out "$R"
expect_rc 1
expect_err 'try quantization.method "auto" (it tries percentiles 99.99 and 99.9 too)'
expect_err "more quantization.calibration_samples (20 of the"

# The unscaled model passes again and publishes everything.
cp "$T/w0.bin" "$R/train/weights.bin"
run "$TFG_BIN" quantize "$T/auto.json" --out "$R"
expect_rc 0
ok; [ "$(json_get "$R/quantize/report.json" "j['result']")" = passed ] && \
  [ -f "$R/quantize/model.tflite" ] && [ -f "$R/quantize/manifest.json" ] ||
  fail "a passing gate did not publish the stage"

# 1,000 classes: int8 softmax sums at most 511 scores, so quantize refuses the model up
# front and names the class count as the cause (issue 22), not a kernel's "parameter
# out of range" on some row.
K=$T/k1000
mkdir -p "$K"
python3 - "$K/d.csv" <<'PY'
import random, sys
r = random.Random(1)
with open(sys.argv[1], "w") as f:
    f.write("a,b,y\n")
    for i in range(3000):
        f.write("%f,%f,%d\n" % (i % 1000 + r.random() * 0.1, r.random(), i % 1000))
PY
cat >"$K/spec.json" <<'JSON'
{"name": "k1000", "task": "classification", "board": "arduino_nano_33_ble_sense",
 "data": {"sources": [{"path": "d.csv"}], "label": "y"}, "training": {"epochs": 1},
 "seed": 1}
JSON
run "$TFG_BIN" -q data "$K/spec.json" --out "$K/run"
expect_rc 0
run "$TFG_BIN" -q train "$K/spec.json" --out "$K/run"
expect_rc 0
run "$TFG_BIN" quantize "$K/spec.json" --out "$K/run"
expect_rc 3
expect_one_error
expect_err "spreads over 1000 classes, more than the 511 an int8 softmax can sum"
finish
