# test_digits.sh — scikit-learn's digits (Debian's python3-sklearn): a header-less
# gzip'd CSV; the profile agrees with an independent computation and the splits are
# stratified.
. "$(dirname "$0")/lib.sh"
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
run "$TFG_BIN" data "$TFG_SRC/examples/digits/spec.json" --out "$T/d"
expect_rc 0
run python3 "$TFG_SRC/tests/profile_check.py" --profile "$T/d/data/profile.json" --csv "$CSV" --no-header --label c64
expect_rc 0
ok; [ "$(json_get "$T/d/data/profile.json" "j['rows']")" = 1797 ] || fail "digits should have 1797 rows"
ok; [ "$(json_get "$T/d/data/summary.json" "len(j['classes'])")" = 10 ] || fail "digits should have 10 classes"
run python3 "$TFG_SRC/tests/cli/splits.py" stratified "$T/d/data"
expect_rc 0
finish
