# test_tflite.sh — `tinyforge inspect` and `invoke` on the MLPerf Tiny models in
# the shared folder's models/ ($SHARED, lib.sh): the ops and quantization their READMEs list, outputs byte-equal to
# TensorFlow Lite Micro's reference outputs for every input, and broken input refused.
. "$(dirname "$0")/lib.sh"
M=$SHARED/models
if [ ! -f "$M/kws/kws_ref_model.tflite" ]; then
  skip "$M not present (set TFG_SHARED to the shared folder)"
  finish
  exit
fi
run "$TFG_BIN" inspect "$M/kws/kws_ref_model.tflite"
expect_rc 0
expect_out "13 ops, 35 tensors"
expect_out "DEPTHWISE_CONV_2D"
expect_out "scale 0.584703 zp 83"
expect_out "scale 0.00390625 zp -128"
expect_out "memory plan: one arena of"
run "$TFG_BIN" --json inspect "$M/ad/ad01_int8.tflite"
expect_rc 0
# The plan inspect shows is the one code generation uses: at most 0.7 x TFLM's arena
# (2,260 bytes in ../shared/models/ad/README.md), every activation tensor placed.
ok; python3 - "$T/out" <<'PY' || fail "ad memory plan: $(head -c 600 "$T/out")"
import json, sys
j = json.load(open(sys.argv[1])); p = j["memory_plan"]; t = j["subgraphs"][0]["tensors"]
assert p["arena_bytes"] <= 0.7 * 2260, p["arena_bytes"]
assert p["naive_bytes"] > p["arena_bytes"]
placed = [i for i, x in enumerate(t) if not x.get("constant")]
assert all(p["tensor_offsets"][i] is not None for i in placed), p["tensor_offsets"]
assert all(p["tensor_offsets"][i] + t[i]["bytes"] <= p["arena_bytes"] for i in placed)
PY
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["op_counts"]["FULLY_CONNECTED"])' <"$T/out")" = 10 ] || fail "ad should have 10 FULLY_CONNECTED ops"
# A tensor name of bytes that are not UTF-8, with a control byte, a quote and a
# backslash (same length, so the model stays valid): --json is still JSON, the stray
# bytes are U+FFFD and said so, the rest is kept; the text view escapes the control byte.
python3 - "$M/kws/kws_ref_model.tflite" "$T/odd.tflite" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); i = b.find(b"input_1")
b[i:i + 7] = b'\xff\x01"\\\xc3(z'
open(sys.argv[2], "wb").write(b)
PY
run "$TFG_BIN" --json inspect "$T/odd.tflite"
expect_rc 0
ok; python3 - "$T/out" <<'PY' || fail "inspect --json of odd names: $(head -c 300 "$T/out")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["subgraphs"][0]["tensors"][0]["name"] == '\ufffd\x01"\\\ufffd(z', j["subgraphs"][0]["tensors"][0]
assert j["text_replaced"]["strings"] == 1, j.get("text_replaced")
PY
run "$TFG_BIN" inspect "$T/odd.tflite"
expect_rc 0
ok; ! grep -q "$(printf '\001')" "$T/out" || fail "inspect printed a raw control byte"
head -c 20000 "$M/kws/kws_ref_model.tflite" >"$T/cut.tflite"
run "$TFG_BIN" inspect "$T/cut.tflite"
expect_rc 3
expect_one_error
expect_err "cut.tflite: offset"
printf 'not a model at all' >"$T/text.tflite"
run "$TFG_BIN" inspect "$T/text.tflite"
expect_rc 3
expect_err "text.tflite"
run "$TFG_BIN" inspect "$T/missing.tflite"
expect_rc 4
# A model's names are the file's, not ours: an ESC in a tensor name is shown escaped,
# never sent to the terminal (issue 22).
python3 - "$TFG_SRC/tests/fuzz/seeds_fuzz_tflite/small.tflite" "$T/esc.tflite" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"input")
d[i:i + 5] = b"\x1b[31m"[:5]
open(sys.argv[2], "wb").write(d)
PY
run "$TFG_BIN" inspect "$T/esc.tflite"
expect_rc 0
expect_out '\x1b[31'
ok; ! grep -q $'\x1b' "$T/out" || fail "inspect printed a raw ESC byte"

for model in kws/kws_ref_model.tflite ad/ad01_int8.tflite; do
  d=$(dirname "$model")
  run "$TFG_BIN" --json invoke "$M/$model" --input "$M/$d/inputs" --output "$T/$d"
  expect_rc 0
  ok; diff -r -q "$T/$d" "$M/$d/outputs" >/dev/null || fail "$d: outputs differ from TFLM's: $(diff -r -q "$T/$d" "$M/$d/outputs" | head -3)"
  ok; [ "$(ls "$T/$d" | wc -l)" = "$(ls "$M/$d/outputs" | wc -l)" ] || fail "$d: not every input was run"
done
run "$TFG_BIN" invoke "$M/kws/kws_ref_model.tflite" --input "$M/kws/inputs/003.bin" --output "$T/one.bin"
expect_rc 0
ok; cmp -s "$T/one.bin" "$M/kws/outputs/003.bin" || fail "single-file invoke differs"
head -c 100 "$M/kws/inputs/003.bin" >"$T/short.bin"
run "$TFG_BIN" invoke "$M/kws/kws_ref_model.tflite" --input "$T/short.bin" --output "$T/x.bin"
expect_rc 3
expect_err "short.bin: 100 bytes, the model's input tensor has 490"
ok; [ ! -e "$T/x.bin" ] || fail "a failed invoke wrote its output"
run "$TFG_BIN" invoke "$M/kws/kws_ref_model.tflite" --input "$T/short.bin"
expect_rc 2
finish
