# test_run_routed.sh — `tinyforge run` with a routing policy against the scripted LLM
# server: data and train go to a "cheap" backend, quantize to "builtin", the sketch to a
# "strong" one (train routed by its old name "model", still read for one release). The server first answers the data stage with an unknown op (rejected,
# repaired), then a correct plan, then a correct architecture; later the sketch stage
# with a sketch that prints a constant class (rejected on the emulated board, repaired),
# then a correct sketch. The run completes, the pilot's log shows each stage served by
# its intended backend, and with the server stopped an --offline replay into a fresh
# directory produces the same artifacts (hashes), the sketch included.
. "$(dirname "$0")/lib.sh"
unset TINYFORGE_LLM_CONFIG
export HOME="$T/home"
C=$TFG_SRC/tests/llmserver/faults

python3 - "$C" >"$T/script.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/data.json"))
m = json.load(open(sys.argv[1] + "/train.json"))
k = json.load(open(sys.argv[1] + "/sketch.json"))
bad = next(c for c in d["cases"] if c["what"] == "unknown op")
bad_sketch = next(c for c in k["cases"] if c["what"] == "a constant class")
steps = [{"content": bad["content"], "usage": [400, 120]},
         {"content": d["correct"], "usage": [520, 140]},
         {"content": m["correct"], "usage": [300, 90]},
         {"content": bad_sketch["content"], "usage": [2100, 400]},
         {"content": k["correct"], "usage": [2600, 420]}]
print(json.dumps({"steps": steps}))
PY
python3 "$TFG_SRC/tests/llmserver/server.py" "$T/script.json" "$T/server.log" \
  --max-seconds 120 >"$T/port" &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$T/port")

# The fruit spec with backends and a routing section.
python3 - "$TFG_SRC/examples/fruit/spec.json" "$PORT" "$TFG_SRC/examples/fruit/fruit.csv" >"$T/spec.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["data"]["sources"][0]["path"] = sys.argv[3]
url = "http://127.0.0.1:" + sys.argv[2]
s["backends"] = {"cheap": {"type": "openai", "base_url": url, "model": "gpt-4o-mini",
                           "timeout_ms": 20000, "retries": 0},
                 "strong": {"type": "openai", "base_url": url, "model": "gpt-4o",
                            "timeout_ms": 20000, "retries": 0}}
s["routing"] = {"data": ["cheap", "builtin"], "model": ["cheap", "builtin"],
                "quantize": ["builtin"], "sketch": ["strong", "builtin"]}
print(json.dumps(s))
PY
run "$TFG_BIN" run "$T/spec.json" --out "$T/r"
expect_rc 0
cat "$T/out"
expect_out "proposed by cheap after 2 attempt(s)"
expect_out "proposed by builtin after 1 attempt(s)"
expect_out "proposed by strong after 2 attempt(s)"
ok; [ "$(json_get "$T/r/validate/report.json" "j['mismatches']")" = 0 ] || fail "routed run: device differs"
L=$T/r/llm/pilot.jsonl
ok; python3 - "$L" <<'PY' || fail "pilot log: $(cat "$L")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
served = {r["stage"]: r["backend"] for r in rows if r.get("outcome") == "accepted"}
assert served == {"data": "cheap", "train": "cheap", "quantize": "builtin",
                  "sketch": "strong"}, served
assert any(r["stage"] == "data" and r.get("class") == "spec" for r in rows), rows
sk = [r for r in rows if r["stage"] == "sketch"]
assert [(r["backend"], r["outcome"], r["class"]) for r in sk] == [
    ("strong", "rejected", "silent"), ("strong", "accepted", None)], sk
assert "constant class" in sk[0]["message"], sk[0]
assert all(r["tokens_in"] > 0 and r["cost"] > 0 for r in sk), sk
PY
ok; [ "$(json_get "$T/r/sketch/report.json" "j['result']")" = passed ] || fail "routed run: sketch report not passed"
ok; grep -q "prediction: " "$T/r/sketch/fruit.ino" || fail "routed run: the published sketch is not the strong backend's"
run "$TFG_BIN" trace "$T/r"
expect_rc 0
expect_out "cheap"

# Replay with the server gone: same plan, splits and model.
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null
mkdir -p "$T/r2" && cp -r "$T/r/llm" "$T/r2/llm"
run "$TFG_BIN" run "$T/spec.json" --out "$T/r2" --offline
expect_rc 0
for f in data/plan.json data/train.bin data/test.bin train/arch.json train/weights.bin quantize/model.tflite \
         sketch/fruit.ino sketch/libraries/tinyforge_fruit/src/model.c; do
  ok; cmp -s "$T/r/$f" "$T/r2/$f" || fail "offline replay: $f differs"
done
finish
