# test_regression.sh — a regression task end to end with the builtin (issue 15, part 1):
# `run` on a table the test makes passes every stage that applies; train and quantize
# report the mean squared and absolute errors and R2 of the float and int8 models, the
# int8 gate judges the mean absolute error on test + validation rows, the device's
# outputs equal the host int8 ones, and the report shows errors, not accuracies or a
# class table of the label's values.
. "$(dirname "$0")/lib.sh"

command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc missing: skipped"; exit 77; }
command -v qemu-system-arm >/dev/null || { echo "qemu-system-arm missing: skipped"; exit 77; }
unset TINYFORGE_LLM_CONFIG
export HOME="$T/home"
cd "$T" || exit 1

python3 - <<'PY'
import random
random.seed(7)
with open("reg.csv", "w") as f:
    f.write("load_kg,speed_ms,temp_c,power_w\n")
    for _ in range(400):
        a, b, c = random.uniform(0, 50), random.uniform(0.1, 3), random.uniform(-10, 40)
        f.write(f"{a:.3f},{b:.3f},{c:.2f},{12 * a * b + 0.5 * c + random.gauss(0, 8):.2f}\n")
PY
printf '{"name": "reg", "task": "regression", "board": "nano33ble", "seed": 42,
 "data": {"sources": [{"path": "reg.csv"}], "label": "power_w"}}\n' > reg.json

run "$TFG_BIN" run reg.json --out "$T/r"
expect_rc 0
expect_out "float test MAE"
expect_out "int8 test MAE"
expect_out "samples identical to the host"
Q=$T/r/quantize/report.json
ok; [ "$(json_get "$Q" "sorted(k for k in j if k[:5] in ('float', 'int8_'))")" = \
  "['float_mae', 'float_mse', 'float_r2', 'int8_mae', 'int8_mse', 'int8_r2']" ] ||
  fail "quantize/report.json lacks a regression figure: $(cat "$Q")"
ok; [ "$(json_get "$Q" "j['float_r2'] > 0.9 and abs(j['int8_mae'] - j['float_mae']) < 0.1 * j['float_mae']")" = True ] ||
  fail "the model does not fit the table, or int8 lost much: $(cat "$Q")"
# the gate: test and validation rows, rows worse and better, passed
ok; [ "$(json_get "$Q" "(j['gate']['rows'] == j['gate']['test_rows'] + j['gate']['val_rows'], j['gate']['test_rows'] == j['test_samples'], j['gate']['worse'] + j['gate']['better'] <= j['gate']['rows'], j['gate']['result'])")" = \
  "(True, True, True, 'passed')" ] || fail "the regression gate: $(cat "$Q")"
# the float figures agree between train and quantize (the same model, the same rows)
ok; [ "$(json_get "$T/r/train/report.json" "round(j['test_mae'], 4)")" = \
  "$(json_get "$Q" "round(j['float_mae'], 4)")" ] || fail "train and quantize disagree on float MAE"
ok; [ "$(json_get "$T/r/validate/report.json" "j['mismatches']")" = 0 ] ||
  fail "the device's outputs differ from the host int8 ones"
MD=$T/r/report/report.md
ok; grep -q "mean absolute error on the device" "$MD" || fail "report: no device MAE in the key figures"
ok; grep -q "## Errors: float, int8, device" "$MD" || fail "report: no errors section"
ok; ! grep -q "Class balance\|accuracy, float model" "$MD" || fail "report: classification tables for a regression"

# quantization.max_mae_increase is read and checked: a negative one is refused by name.
python3 - <<'PY'
import json
s = json.load(open("reg.json")); s["quantization"] = {"max_mae_increase": -1}
json.dump(s, open("bad.json", "w"))
PY
run "$TFG_BIN" quantize bad.json --out "$T/r"
expect_rc 3
expect_err "max_mae_increase"

finish
