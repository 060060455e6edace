# test_long_fashion.sh — Fashion-MNIST (Debian's dataset-fashion-mnist): 70,000 gzip'd
# IDX images. The profile agrees with an independent computation, the 10,000 test images
# stay the test split, and the pixels are scaled by the fixed 0..255 range.
. "$(dirname "$0")/lib.sh"
F=/usr/share/datasets/fashion-mnist
if [ ! -f "$F/t10k-labels-idx1-ubyte.gz" ]; then
  skip "$F not installed (make deps installs dataset-fashion-mnist)"
  finish
  exit
fi
start=$(date +%s)
run "$TFG_BIN" data "$TFG_SRC/examples/fashion/spec.json" --out "$T/f"
expect_rc 0
echo "fashion data stage: $(( $(date +%s) - start )) s"
run python3 "$TFG_SRC/tests/profile_check.py" --profile "$T/f/data/profile.json" \
  --idx "$F/train-images-idx3-ubyte.gz" "$F/train-labels-idx1-ubyte.gz" \
  --idx "$F/t10k-images-idx3-ubyte.gz" "$F/t10k-labels-idx1-ubyte.gz"
expect_rc 0
cat "$T/out"
ok; [ "$(json_get "$T/f/data/summary.json" "j['splits']['test']['rows']")" = 10000 ] || fail "test split is not the 10,000 t10k images"
ok; [ "$(json_get "$T/f/data/summary.json" "j['splits']['train']['rows'] + j['splits']['val']['rows']")" = 60000 ] || fail "train+val is not 60,000"
ok; [ "$(json_get "$T/f/data/summary.json" "j['input_shape']")" = "[28, 28, 1]" ] || fail "input shape is not 28x28x1"
ok; [ "$(json_get "$T/f/data/summary.json" "j['classes'][9]")" = "Ankle boot" ] || fail "class names not applied"
finish
