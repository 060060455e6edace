# test_long_train.sh — the accuracy floors of the training issue on full data (plain
# build only): digits with an MLP >= 95 %, Fashion-MNIST with a CNN of at most 64 K
# parameters >= 88 % trained in at most 10 minutes, its int8 model within 1 point,
# and its firmware identical to the host on every test image on M4 and M33.
. "$(dirname "$0")/lib.sh"
run "$TFG_BIN" -q data "$TFG_SRC/examples/digits/spec.json" --out "$T/d"
expect_rc 0
run "$TFG_BIN" --json train "$TFG_SRC/examples/digits/spec.json" --out "$T/d"
expect_rc 0
cp "$T/out" "$T/d.json"
acc=$(json_get "$T/d.json" "j['test_accuracy']")
echo "digits: test accuracy $acc, $(json_get "$T/d.json" "j['params']") parameters"
ok; python3 -c "import sys; sys.exit(0 if $acc >= 0.95 else 1)" || fail "digits test accuracy $acc < 0.95"
ok; [ "$(json_get "$T/d/train/arch.json" "any(l['type'] == 'conv2d' for l in j['layers'])")" = False ] || fail "digits should be an MLP"

run "$TFG_BIN" -q data "$TFG_SRC/examples/fashion/spec.json" --out "$T/f"
expect_rc 0
start=$(date +%s)
run "$TFG_BIN" --json train "$TFG_SRC/examples/fashion/spec.json" --out "$T/f"
expect_rc 0
secs=$(( $(date +%s) - start ))
cp "$T/out" "$T/f.json"
acc=$(json_get "$T/f.json" "j['test_accuracy']")
params=$(json_get "$T/f.json" "j['params']")
echo "fashion: test accuracy $acc, $params parameters, $secs s, $(json_get "$T/f.json" "round(j['samples_per_s'])") samples/s"
ok; python3 -c "import sys; sys.exit(0 if $acc >= 0.88 else 1)" || fail "fashion test accuracy $acc < 0.88"
ok; [ "$params" -le 65536 ] || fail "fashion CNN has $params > 64K parameters"
ok; [ "$secs" -le 600 ] || fail "fashion training took $secs s > 600 s"

# int8: within 1.0 point of float, and the generated C gives the int8 bytes on all
# 10,000 test images (the build stage's host check).
run "$TFG_BIN" --json quantize "$TFG_SRC/examples/fashion/spec.json" --out "$T/f"
expect_rc 0
cp "$T/out" "$T/fq.json"
fa=$(json_get "$T/fq.json" "j['float_accuracy']"); qa=$(json_get "$T/fq.json" "j['int8_accuracy']")
echo "fashion: float $fa, int8 $qa"
ok; python3 -c "import sys; sys.exit(0 if $fa - $qa <= 0.01 else 1)" || fail "fashion int8 accuracy $qa more than 1 point below float $fa"
run "$TFG_BIN" -q build "$TFG_SRC/examples/fashion/spec.json" --out "$T/f"
expect_rc 0
ok; [ "$(json_get "$T/f/build/report.json" "j['host_check']['rows']")" = 10000 ] || fail "fashion host check did not cover 10,000 rows"

# The device proof on all 10,000 test images, on the Cortex-M4 and the Cortex-M33 machines.
for m in mps2-an386 mps2-an505; do
  start=$(date +%s)
  run "$TFG_BIN" -q validate "$TFG_SRC/examples/fashion/spec.json" --out "$T/f" --board $m --force
  expect_rc 0
  echo "fashion on $m: $(json_get "$T/f/validate/report.json" "j['matches']") of 10000 identical, $(json_get "$T/f/validate/report.json" "j['instructions_per_inference']") instructions per inference, $(( $(date +%s) - start )) s"
  ok; [ "$(json_get "$T/f/validate/report.json" "j['matches']")" = 10000 ] || fail "fashion on $m: not every image matched"
  ok; cmp -s "$T/f/validate/device_output.bin" "$T/f/quantize/test_output.bin" || fail "fashion on $m: device bytes differ"
done
run "$TFG_BIN" validate "$TFG_SRC/examples/fashion/spec.json" --out "$T/f" --board uno
expect_rc 1
expect_err "does not fit the Arduino Uno"

# The CNN (convolutions through multithreaded OpenBLAS) is reproducible too.
mkdir -p "$T/g" && cp -r "$T/f/data" "$T/g/data"
# Each training must succeed (a failed second one would leave the first weights
# published, and two failures would compare two empty hashes), and the first weights are
# kept aside, so the compare is of two files that each training wrote.
run "$TFG_BIN" -q train "$TFG_SRC/examples/fashion/spec.json" --out "$T/g" --epochs 1
expect_rc 0
ok; [ -s "$T/g/train/weights.bin" ] || fail "the first CNN training published no weights"
mv "$T/g/train/weights.bin" "$T/first_weights.bin"
run "$TFG_BIN" -q train "$TFG_SRC/examples/fashion/spec.json" --out "$T/g" --epochs 1 --force
expect_rc 0
ok; [ -s "$T/g/train/weights.bin" ] || fail "the second CNN training published no weights"
ok; cmp -s "$T/first_weights.bin" "$T/g/train/weights.bin" ||
  fail "two CNN trainings with one seed gave different weights"
finish
