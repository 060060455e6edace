# test_bad_input.sh — every kind of bad input gets one clear error naming the file and
# line/column or field, a non-zero exit, no sanitizer report, and no artifact left
# behind (and an earlier run's artifacts stay as they were); what was read goes to
# RUN/data.failed/profile.json (test_csv_dialects.sh checks its content).
. "$(dirname "$0")/lib.sh"

# case NAME: a fresh folder with a spec over data.csv (label y, features a, b).
newcase() {
  D="$T/$1"
  mkdir -p "$D"
  cat >"$D/spec.json" <<JSON
{"name": "bad", "task": "classification", "board": "arduino_uno",
 "data": {"sources": [{"path": "data.csv"}], "label": "y", "features": ["a", "b"]}}
JSON
}

# expect_bad RC NEEDLE...: run the data stage on $D and check the failure.
expect_bad() {
  local rc=$1
  shift
  run "$TFG_BIN" data "$D/spec.json" --out "$D/run"
  expect_rc "$rc"
  expect_one_error
  for needle in "$@"; do expect_err "$needle"; done
  ok
  [ ! -e "$D/run/data" ] && [ ! -e "$D/run/.data.tmp" ] || fail "$D: artifacts left behind"
}

good_rows() { printf 'a,b,y\n1,2,x\n2,3,z\n3,1,x\n4,4,z\n5,2,x\n6,3,z\n7,1,x\n8,2,z\n9,9,x\n1,5,z\n'; }

newcase empty;      : >"$D/data.csv";                                expect_bad 3 "data.csv"
newcase header;     printf 'a,b,y\n' >"$D/data.csv";                  expect_bad 3 "data.csv" "no data rows"
newcase ragged;     printf 'a,b,y\n1,2,x\n3,4\n' >"$D/data.csv";      expect_bad 3 "data.csv:3"
newcase nonnum;     { good_rows; printf '1O,2,x\n'; } >"$D/data.csv"; expect_bad 3 "data.csv:12:1" "1O"
newcase nan;        { good_rows; printf 'nan,2,x\n'; } >"$D/data.csv"; expect_bad 3 "data.csv:12:1" "finite"
newcase inf;        { good_rows; printf '1,Inf,x\n'; } >"$D/data.csv"; expect_bad 3 "data.csv:12:2" "finite"
newcase longline
{ printf 'a,b,y\n1,2,'; head -c 1048576 /dev/zero | tr '\0' 'x'; printf '\n'; } >"$D/data.csv"
expect_bad 3 "data.csv:2" "limit"
# A 3 GB file (sparse: no disk) is refused by its size before it is hashed or read: the
# run's peak memory stays far below the file (reading it first took 4.4 GB; issue 22).
newcase huge;       good_rows >"$D/data.csv"; truncate -s 3G "$D/data.csv"
run python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[-1] + ".rss", "w").write(str(kb))
sys.exit(rc)' "$TFG_BIN" data "$D/spec.json" --out "$D/run"
expect_rc 3
expect_one_error
expect_err "data.csv: larger than the 2048 MiB limit"
ok; rss=$(cat "$D/run.rss")
[ "$rss" -lt 1048576 ] || fail "peak memory $rss KiB: the file was read"
ok; [ ! -e "$D/run/data" ] || fail "$D: artifacts left behind"
rm -f "$D/data.csv"
# invalid UTF-8 is an error when the source says UTF-8 (else it is read as Windows-1252)
newcase utf8;       { good_rows; printf '1,2,\xc3\x28\n'; } >"$D/data.csv"
sed -i 's/"data.csv"}/"data.csv", "encoding": "utf-8"}/' "$D/spec.json"; expect_bad 3 "data.csv:12" "UTF-8"
newcase quote;      { good_rows; printf '1,2,"open\n'; } >"$D/data.csv"; expect_bad 3 "data.csv:12"
# data.classes names integer classes: with a categorical label it is refused, not ignored
newcase classescat; good_rows >"$D/data.csv"
sed -i 's/"features"/"classes": ["z", "x"], "features"/' "$D/spec.json"
expect_bad 3 "data.classes" "the label 'y' is categorical"
newcase nolabel;    { good_rows; } | sed 's/^a,b,y$/a,b,why/' >"$D/data.csv"; expect_bad 3 "data.label" "no column 'y'"
newcase onefeature; good_rows >"$D/data.csv"; sed -i 's/"b"\]/"bb"]/' "$D/spec.json"; expect_bad 3 "data.features[1]" "did you mean 'b'"
newcase oneclass;   good_rows | sed 's/,z$/,x/' >"$D/data.csv";      expect_bad 3 "only one class"
newcase nofile;     expect_bad 3 "data.sources[0].path" "not found"
newcase badspec;    good_rows >"$D/data.csv"; sed -i 's/arduino_uno/arduino_unoo/' "$D/spec.json"
expect_bad 3 "spec.json: board" "'arduino_uno'"

# IDX: a wrong magic and a truncated file.
newcase idx
cat >"$D/spec.json" <<JSON
{"name": "bad", "task": "classification", "board": "arduino_uno",
 "data": {"sources": [{"images": "img.idx", "labels": "lab.idx"}], "label": "label"}}
JSON
printf '\x00\x00\x08\x01\x00\x00\x00\x02\x01\x02' >"$D/lab.idx"
printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04\x05\x06\x07' >"$D/img.idx"
expect_bad 3 "img.idx" "truncated"
printf '\x00\x00\x09\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04\x05\x06\x07\x08' >"$D/img.idx"
expect_bad 3 "img.idx"
printf '\x12\x34\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01\x02\x03\x04\x05\x06\x07\x08' >"$D/img.idx"
expect_bad 3 "img.idx" "magic"

# Plans: an unknown op and a bad argument name the op's index and field.
newcase plan
good_rows >"$D/data.csv"
cat >"$D/plan.json" <<'JSON'
{"plan_version": 1, "ops": [
  {"op": "drop_duplicates", "why": "repeats"},
  {"op": "normalise", "why": "scale it"},
  {"op": "split", "train": 0.6, "val": 0.2, "test": 0.2, "why": "evaluate"}]}
JSON
sed -i 's/"features"/"plan": "plan.json", "features"/' "$D/spec.json"
expect_bad 3 "plan.json: ops[1].op" "normalise"
cat >"$D/plan.json" <<'JSON'
{"plan_version": 1, "ops": [
  {"op": "impute", "strategy": "medain", "why": "fill gaps"},
  {"op": "split", "train": 0.6, "val": 0.2, "test": 0.2, "why": "evaluate"}]}
JSON
expect_bad 3 "plan.json: ops[0].strategy" "did you mean 'median'"

# A failed run leaves the previous artifacts exactly as they were.
newcase keep
good_rows >"$D/data.csv"
run "$TFG_BIN" data "$D/spec.json" --out "$D/run"
expect_rc 0
before=$(cd "$D/run/data" && sha256sum * | sha256sum)
printf 'a,b,y\n1,2\n' >"$D/data.csv"
run "$TFG_BIN" data "$D/spec.json" --out "$D/run"
expect_rc 3
after=$(cd "$D/run/data" && sha256sum * | sha256sum)
ok; [ "$before" = "$after" ] || fail "a failed run changed the previous artifacts"
ok; [ ! -e "$D/run/.data.tmp" ] || fail "staging directory left behind"

# Usage errors: exit 2 and a pointer to --help.
run "$TFG_BIN" data
expect_rc 2
expect_err "--help"
run "$TFG_BIN" dat x
expect_rc 2
expect_err "did you mean 'data'"
run "$TFG_BIN" data x.json --bogus
expect_rc 2
finish
