# test_long_new_fashion.sh — `tinyforge new` on Fashion-MNIST (Debian's
# dataset-fashion-mnist, gzip'd IDX): the builtin writes a spec that reads the training
# images with their labels and keeps the 10,000 t10k images as the test split, on the
# board the request names; `tinyforge data` on it gives 10,000 test rows (about 35 s).
# Label long (plain build only): the sanitizer build covers the same code on tiny IDX
# files in test_pilot_spec. Skipped when the data set is not installed.
. "$(dirname "$0")/lib.sh"
F=/usr/share/datasets/fashion-mnist
if [ ! -f "$F/t10k-labels-idx1-ubyte.gz" ]; then
  skip "$F not installed (make deps installs it)"
  finish
  exit
fi
cd "$T" || exit 1

start=$(date +%s.%N)
run "$TFG_BIN" new "sort photos of clothing into ten kinds on the Nucleo L4R5ZI" \
  --data "$F/train-images-idx3-ubyte.gz" --labels "$F/train-labels-idx1-ubyte.gz" \
  --test-data "$F/t10k-images-idx3-ubyte.gz" --test-labels "$F/t10k-labels-idx1-ubyte.gz" \
  --out fashion.json --run "$T/newrun"
expect_rc 0
echo "fashion new: $(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }") s"
expect_out "proposed by builtin, 1 attempt"
ok; [ "$(json_get fashion.json 'j["board"]')" = nucleo_l4r5zi ] || fail "board: $(cat fashion.json)"
ok; [ "$(json_get fashion.json 'j["task"] + " " + j["data"]["label"]')" = "classification label" ] || fail "task/label: $(cat fashion.json)"
ok; [ "$(json_get fashion.json '[s.get("split", "-") for s in j["data"]["sources"]]')" = "['-', 'test']" ] || fail "sources: $(cat fashion.json)"
ok; [ "$(json_get fashion.json 'j["data"]["sources"][1]["images"]')" = "$F/t10k-images-idx3-ubyte.gz" ] || fail "test images: $(cat fashion.json)"
run "$TFG_BIN" check fashion.json
expect_rc 0

# The data stage on 70,000 images.
start=$(date +%s)
run "$TFG_BIN" data fashion.json --out "$T/f"
expect_rc 0
echo "fashion data stage: $(( $(date +%s) - start )) s"
ok; [ "$(json_get "$T/f/data/summary.json" 'j["splits"]["test"]["rows"]')" = 10000 ] || fail "test split is not the 10,000 t10k images"
ok; [ "$(json_get "$T/f/data/summary.json" 'j["input_shape"]')" = "[28, 28, 1]" ] || fail "input shape is not 28x28x1"
finish
