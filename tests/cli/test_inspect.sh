# test_inspect.sh — `tinyforge inspect` on the MLPerf Tiny models in ../shared/models:
# the ops and quantization their READMEs list, --json that parses, and a broken file
# refused with the byte offset.
. "$(dirname "$0")/lib.sh"
M=$TFG_SRC/../shared/models
if [ ! -f "$M/kws/kws_ref_model.tflite" ]; then echo "skipped: $M not present"; finish; exit; fi
run "$TFG_BIN" inspect "$M/kws/kws_ref_model.tflite"
expect_rc 0
expect_out "13 ops, 35 tensors"
expect_out "DEPTHWISE_CONV_2D"
expect_out "scale 0.584703 zp 83"
expect_out "scale 0.00390625 zp -128"
run "$TFG_BIN" --json inspect "$M/ad/ad01_int8.tflite"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["op_counts"]["FULLY_CONNECTED"])' <"$T/out")" = 10 ] || fail "ad should have 10 FULLY_CONNECTED ops"
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
finish
