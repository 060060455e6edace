# test_long_bench.sh — issue 8's must-hold for digits (scikit-learn's, from Debian's
# python3-sklearn): `tinyforge bench` with builtin, every stage chained per run, 30 runs
# on two workers, 30/30 on each of spec, data, train, quantize and sketch. Fruit's table
# is in test_pilot_cli (both builds); Fashion-MNIST's is `make bench-pilot` (an hour).
# Plain build only (label long): about two minutes.
. "$(dirname "$0")/lib.sh"
DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ ! -f "$DIGITS" ]; then
  skip "$DIGITS not installed (make deps installs it)"
  finish
  exit
fi
run "$TFG_BIN" bench "$TFG_SRC/examples/digits/spec.json" --stage all --runs 30 -j 2 \
  --out "$T/bench-digits"
expect_rc 0
for s in spec data train quantize sketch; do
  expect_out "| $s | builtin | 30/30 (100 %)"
done
ok; [ "$(json_get "$T/bench-digits/bench.json" 'sum(s["ok"] for s in j["stages"])')" = 150 ] ||
  fail "bench.json: $(cat "$T/bench-digits/bench.json")"
# Every run's sketch compared every test sample (the test split's rows) on both passes.
R=$T/bench-digits/all-030
rows=$(json_get "$R/data/summary.json" 'j["splits"]["test"]["rows"]')
ok; [ "$rows" -gt 250 ] || fail "digits' test split has $rows rows, expected about 15 % of 1797"
ok; [ "$(json_get "$R/sketch/report.json" 'j["checks"][0]["samples"]')" = "$rows" ] ||
  fail "the sketch did not stream every test sample ($rows)"
finish
