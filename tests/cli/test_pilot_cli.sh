# test_pilot_cli.sh — `tinyforge new` and `tinyforge bench`: a spec written by the builtin
# writer that `check` accepts, for a CSV and for IDX images with a test split that `data`
# keeps; a spec proposed by the scripted server after one repair; usage errors; and the
# bench's 30/30 with builtin on every stage of fruit (all five chained per run, two
# workers), with the CSV and Markdown it writes. Digits: test_long_bench.sh.
. "$(dirname "$0")/lib.sh"

unset TINYFORGE_LLM_CONFIG
export HOME="$T/home"
FRUIT="$TFG_SRC/examples/fruit/fruit.csv"
cd "$T" || exit 1

# new, builtin: the label is the column whose values the request names; the board too.
run "$TFG_BIN" new "tell apple, banana and orange apart by colour on an Arduino Uno" \
  --data "$FRUIT" --out fruit.json --run "$T/newrun"
expect_rc 0
expect_out "proposed by builtin"
ok; [ "$(json_get fruit.json 'j["data"]["label"]')" = fruit ] || fail "label: $(cat fruit.json)"
ok; [ "$(json_get fruit.json 'j["board"]')" = arduino_uno ] || fail "board: $(cat fruit.json)"
run "$TFG_BIN" check fruit.json
expect_rc 0

# An existing spec is not overwritten; a missing --data is a usage error.
run "$TFG_BIN" new "again" --data "$FRUIT" --out fruit.json --run "$T/newrun"
expect_rc 2
expect_one_error
expect_err "--force"
run "$TFG_BIN" new "no data"
expect_rc 2
expect_err "--data FILE is required"
run "$TFG_BIN" new "x" --data "$T/nope.csv" --out x.json --run "$T/newrun"
expect_rc 3
expect_err "nope.csv: data file not found"

# new on images: tiny IDX files (40 training, 12 test images of 4x4, gzip'd and raw mixed;
# told apart by content, not name). The builtin's spec passes `check`, and `data` keeps
# exactly the 12 test images as the test split.
python3 - "$T" <<'PY'
import gzip, struct, sys
def idx(path, dims, body, gz):
    b = bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(body)
    (gzip.open if gz else open)(path, "wb").write(b)
def images(stem, n, first, gz):
    px, lab = [], []
    for i in range(first, first + n):
        lab.append(i % 4)
        px += [180 + i if p % 4 == i % 4 else 5 + (i + p) % 30 for p in range(16)]
    idx(f"{sys.argv[1]}/{stem}-images.bin", [n, 4, 4], px, gz)
    idx(f"{sys.argv[1]}/{stem}-labels.bin", [n], lab, not gz)
images("train", 40, 0, True)
images("test", 12, 40, False)
PY
run "$TFG_BIN" new "sort the pictures into four kinds on the Nucleo L4R5ZI" \
  --data "$T/train-images.bin" --labels "$T/train-labels.bin" \
  --test-data "$T/test-images.bin" --test-labels "$T/test-labels.bin" --out img.json \
  --run "$T/imgrun"
expect_rc 0
expect_out "proposed by builtin"
ok; [ "$(json_get img.json 'j["data"]["sources"][1]["split"]')" = test ] || fail "sources: $(cat img.json)"
ok; [ "$(json_get img.json 'j["board"]')" = nucleo_l4r5zi ] || fail "board: $(cat img.json)"
run "$TFG_BIN" check img.json
expect_rc 0
run "$TFG_BIN" data img.json --out "$T/imgdata"
expect_rc 0
ok; [ "$(json_get "$T/imgdata/data/summary.json" 'j["splits"]["test"]["rows"]')" = 12 ] || fail "test split: $(cat "$T/imgdata/data/summary.json")"
ok; [ "$(json_get "$T/imgdata/data/summary.json" 'j["input_shape"]')" = "[4, 4, 1]" ] || fail "input shape"
# Images without their labels, labels for a CSV, test labels without test images: usage.
run "$TFG_BIN" new "x" --data "$T/train-images.bin" --out x.json --run "$T/newrun"
expect_rc 2
expect_one_error
expect_err "train-images.bin holds IDX images: their labels file is needed too (--labels FILE)"
run "$TFG_BIN" new "x" --data "$FRUIT" --labels "$T/train-labels.bin" --out x.json --run "$T/newrun"
expect_rc 2
expect_err "a labels file (--labels"
run "$TFG_BIN" new "x" --data "$FRUIT" --test-labels "$T/test-labels.bin" --out x.json
expect_rc 2
expect_err "--test-labels"
ok; [ ! -e x.json ] || fail "x.json written after a usage error"

# new against the scripted server: a spec naming a host file is rejected (unsafe), the
# repaired one accepted; the pilot log and the trace record both attempts.
python3 - "$FRUIT" >"$T/script.json" <<'PY'
import json, sys
bad = {"name": "fruit", "task": "classification", "board": "arduino_nano_33_ble_sense",
       "data": {"sources": [{"path": "/etc/passwd"}], "label": "fruit"}}
good = dict(bad, data={"sources": [{"path": sys.argv[1]}], "label": "fruit"})
print(json.dumps({"steps": [{"content": "```json\n" + json.dumps(bad) + "\n```", "usage": [50, 20]},
                            {"content": "Fixed:\n" + json.dumps(good), "usage": [80, 20]}]}))
PY
python3 "$TFG_SRC/tests/llmserver/server.py" "$T/script.json" "$T/server.log" \
  --max-seconds 60 >"$T/port" &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$T/port")
cat >"$T/llm.json" <<JSON
{"srv": {"type": "openai", "base_url": "http://127.0.0.1:$PORT", "model": "gpt-4o-mini",
         "timeout_ms": 10000, "retries": 0}}
JSON
run "$TFG_BIN" new "fruit by colour" --data "$FRUIT" --out srv.json --run "$T/srvrun" \
  --backend srv --config "$T/llm.json"
expect_rc 0
expect_out "proposed by srv, 2 attempts; 1 rejected as unsafe"
ok; grep -q '"class":"unsafe"' "$T/srvrun/llm/pilot.jsonl" || fail "pilot log: $(cat "$T/srvrun/llm/pilot.jsonl")"
run "$TFG_BIN" trace "$T/srvrun"
expect_rc 0
expect_out "srv"
kill $SRV 2>/dev/null

# bench, builtin, every stage chained, 30 runs on two workers: 30/30 each.
run "$TFG_BIN" bench "$TFG_SRC/examples/fruit/spec.json" --stage all --runs 30 -j 2 \
  --out "$T/bench"
expect_rc 0
for s in spec data train quantize sketch; do
  expect_out "| $s | builtin | 30/30 (100 %)"
done
ok; [ "$(grep -c '^' "$T/bench/bench.csv")" = 151 ] || fail "bench.csv rows: $(wc -l <"$T/bench/bench.csv")"
ok; [ "$(json_get "$T/bench/bench.json" 'sum(s["ok"] for s in j["stages"])')" = 150 ] || fail "bench.json"
ok; grep -q "| quantize | builtin |" "$T/bench/bench.md" || fail "bench.md"

# A single stage with --json; an unknown stage is a usage error.
run "$TFG_BIN" bench "$TFG_SRC/examples/fruit/spec.json" --stage quantize --runs 3 --json \
  --out "$T/bench-q"
expect_rc 0
expect_out '"success":1'
run "$TFG_BIN" bench "$TFG_SRC/examples/fruit/spec.json" --stage sketchy --out "$T/b2"
expect_rc 2
expect_err "unknown stage 'sketchy'"

finish
