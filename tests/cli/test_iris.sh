# test_iris.sh — issue 14's must-hold for a 150-row, 3-class, 4-feature data set
# (scikit-learn's iris, from Debian's python3-sklearn): with the default training
# settings, tinyforge's test accuracy reaches scikit-learn's LogisticRegression's on the
# same split files (within one sample), its int8 model scores the same, and training
# ended by patience, not by running out of epochs.
. "$(dirname "$0")/lib.sh"
IRIS=/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv
PY=/usr/bin/python3 # Debian's, which has sklearn (make test installs python3-sklearn)
# The file's first line is counts and class names (150,4,setosa,...) with as many fields
# as the data, which follow without a header: detected as a preamble (150 counts the
# rows), so the file is read as it is, and `new` writes what it detected.
ok; [ -f "$IRIS" ] || fail "$IRIS missing: apt-get install python3-sklearn"
run "$TFG_BIN" new --data "$IRIS" --out "$T/new.json" "tell iris species apart"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]
s=d["sources"][0]; print(s.get("skip_rows"), s.get("header"), d["label"])' \
  "$T/new.json")" = "1 False c4" ] ||
  fail "new did not detect the preamble: $(cat "$T/new.json")"
cat >"$T/spec.json" <<JSON
{"name": "iris", "task": "classification",
 "data": {"sources": [{"path": "$IRIS"}], "label": "c4"},
 "board": "nucleo_l4r5zi", "seed": 42}
JSON
for stage in data train quantize; do
  run "$TFG_BIN" --json "$stage" "$T/spec.json" --out "$T/r"; expect_rc 0
  cp "$T/out" "$T/$stage.json"
done
acc=$(json_get "$T/train.json" "j['test_accuracy']")
reason=$(json_get "$T/train.json" "j['stop']['reason']")
ok; [ "$reason" = patience ] ||
  fail "training stopped by $reason, not patience: $(cat "$T/train.json")"
fa=$(json_get "$T/quantize.json" "j['float_accuracy']")
qa=$(json_get "$T/quantize.json" "j['int8_accuracy']")
ok; [ "$fa" = "$qa" ] || fail "int8 test accuracy $qa differs from float $fa"
# The report says why training stopped.
run "$TFG_BIN" report "$T/spec.json" --out "$T/r"; expect_rc 0
ok; grep -q "Training stopped because the validation loss had not fallen for 20 epochs" \
  "$T/r/report/report.md" || fail "the report does not say why training stopped"
# LogisticRegression on the very split files tinyforge trained on (train only).
cat >"$T/lr.py" <<'PYTHON'
import struct, sys
from sklearn.linear_model import LogisticRegression
def read(path):
    b = open(path, "rb").read()
    rows, feats = struct.unpack_from("<2I", b, 12)
    x = struct.unpack_from("<%df" % (rows * feats), b, 64)
    y = struct.unpack_from("<%di" % rows, b, 64 + 4 * rows * feats)
    return [x[i * feats:(i + 1) * feats] for i in range(rows)], list(y)
xtr, ytr = read(sys.argv[1] + "/train.bin")
xte, yte = read(sys.argv[1] + "/test.bin")
m = LogisticRegression(max_iter=5000).fit(xtr, ytr)
print(sum(int(p == t) for p, t in zip(m.predict(xte), yte)), len(yte))
PYTHON
run "$PY" "$T/lr.py" "$T/r/data"; expect_rc 0
read -r lr_right n <"$T/out"
ours=$("$PY" -c "print(round($acc * $n))")
echo "iris: tinyforge $ours/$n (int8 $qa), LogisticRegression $lr_right/$n, stop $reason"
ok; [ "$ours" -ge $((lr_right - 1)) ] ||
  fail "tinyforge $ours/$n right on test, LogisticRegression $lr_right/$n"
finish
