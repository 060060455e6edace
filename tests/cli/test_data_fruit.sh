# test_data_fruit.sh — the data stage on the bundled fruit example, end to end: the
# profile agrees with an independent computation, the builtin plan removes the injected
# dirt and splits stratified, the results reproduce from the seed, an unchanged stage is
# skipped and an edited plan reruns.
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
CSV=$TFG_SRC/examples/fruit/fruit.csv

run "$TFG_BIN" data "$SPEC" --out "$T/a"
expect_rc 0
expect_out "profile:"
expect_out "plan (builtin"
for f in profile.json plan.json preprocess.json train.bin val.bin test.bin summary.json manifest.json; do
  ok; [ -s "$T/a/data/$f" ] || fail "missing artifact $f"
done
ok; [ ! -e "$T/a/.data.tmp" ] || fail "staging directory left behind"

# The profile, checked against values computed independently (Python, stdlib only).
run python3 "$TFG_SRC/tests/profile_check.py" --profile "$T/a/data/profile.json" --csv "$CSV" --label fruit
expect_rc 0

# The generator's manifest says which dirt it injected; the cleaned splits hold none.
"$TFG_FRUITGEN" --manifest >"$T/dirt.json"
ok; [ "$(json_get "$T/dirt.json" "len(j['missing_cells'])")" -gt 0 ] || fail "fruit has no missing cells"
ok; [ "$(json_get "$T/dirt.json" "len(j['outliers'])")" -gt 0 ] || fail "fruit has no outliers"
run python3 "$TFG_SRC/tests/cli/splits.py" clean "$T/a/data" "$T/dirt.json"
expect_rc 0
# Missing cells and outliers were seen by the profile and handled by the plan.
ok; json_get "$T/a/data/plan.json" "[o['op'] for o in j['ops']]" | grep -q impute || fail "no impute op"
ok; json_get "$T/a/data/plan.json" "[o['op'] for o in j['ops']]" | grep -q outliers || fail "no outliers op"
ok; json_get "$T/a/data/plan.json" "[o['op'] for o in j['ops']]" | grep -q scale || fail "no scale op"
run python3 "$TFG_SRC/tests/cli/splits.py" stratified "$T/a/data"
expect_rc 0
# The test split is drawn first from the 304 raw rows: 45 of them, none dropped; the
# summary and the report say where the rows went.
ok; [ "$(json_get "$T/a/data/summary.json" "(j['splits']['test']['drawn'], j['splits']['test']['rows'], j['splits']['train']['dropped'])")" = "(45, 45, 4)" ] || fail "summary: $(json_get "$T/a/data/summary.json" "j['splits']")"
run "$TFG_BIN" report "$SPEC" --out "$T/a"
expect_rc 0
ok; grep -qF 'The split was drawn first, from the raw rows: train 213, val 46, test 45. The plan dropped 4 training rows' "$T/a/report/report.md" || fail "report.md does not say where the rows went"

# Same seed, same bytes.
run "$TFG_BIN" data "$SPEC" --out "$T/b"
expect_rc 0
for f in train.bin val.bin test.bin preprocess.json plan.json; do
  ok; cmp -s "$T/a/data/$f" "$T/b/data/$f" || fail "$f differs between two runs with one seed"
done
# Another seed, another split.
sed -e 's/"seed": 42/"seed": 43/' -e "s#\"fruit.csv\"#\"$CSV\"#" "$SPEC" >"$T/seed43.json"
run "$TFG_BIN" data "$T/seed43.json" --out "$T/c"
expect_rc 0
ok; ! cmp -s "$T/a/data/train.bin" "$T/c/data/train.bin" || fail "seed 43 gave the same train split as 42"

# Unchanged inputs: skipped, and it says so.
run "$TFG_BIN" data "$SPEC" --out "$T/a"
expect_rc 0
expect_out "up to date"
run "$TFG_BIN" --json data "$SPEC" --out "$T/a"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <"$T/out")" = skipped ] || fail "--json status is not skipped"

# An edited plan reruns the stage, and is kept on later runs.
python3 - "$T/a/data/plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for op in p["ops"]:
    if op["op"] == "split":
        op["train"], op["val"], op["test"] = 0.6, 0.2, 0.2
json.dump(p, open(sys.argv[1], "w"), indent=2)
PY
run "$TFG_BIN" --json data "$SPEC" --out "$T/a"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["plan_origin"])' <"$T/out")" = "ok edited" ] || fail "edited plan did not rerun: $(cat "$T/out")"
run "$TFG_BIN" --json data "$SPEC" --out "$T/a"
ok; [ "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["plan_origin"])' <"$T/out")" = "skipped edited" ] || fail "edited plan not kept: $(cat "$T/out")"
run python3 "$TFG_SRC/tests/cli/splits.py" stratified "$T/a/data"
expect_rc 0
# --replan goes back to the builtin plan.
run "$TFG_BIN" --json data "$SPEC" --out "$T/a" --replan
ok; [ "$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["plan_origin"])' <"$T/out")" = builtin ] || fail "--replan did not restore the builtin plan"
ok; cmp -s "$T/a/data/train.bin" "$T/b/data/train.bin" || fail "--replan did not reproduce the builtin splits"
finish
