# test_run_routed.sh — `tinyforge run` with a routing policy against the scripted LLM
# server: data and model go to a "cheap" backend, quantize to "builtin". The server
# first answers the data stage with an unknown op (rejected, repaired), then a correct
# plan, then a correct architecture. The run completes through validation, the pilot's
# log shows each stage served by its intended backend, and with the server stopped an
# --offline replay into a fresh directory produces the same artifacts (hashes).
. "$(dirname "$0")/lib.sh"
unset TINYFORGE_LLM_CONFIG
export HOME="$T/home"
C=$TFG_SRC/tests/llmserver/faults

python3 - "$C" >"$T/script.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1] + "/data.json"))
m = json.load(open(sys.argv[1] + "/model.json"))
bad = next(c for c in d["cases"] if c["what"] == "unknown op")
steps = [{"content": bad["content"], "usage": [400, 120]},
         {"content": d["correct"], "usage": [520, 140]},
         {"content": m["correct"], "usage": [300, 90]}]
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
s["backends"] = {"cheap": {"type": "openai", "base_url": "http://127.0.0.1:" + sys.argv[2],
                           "model": "gpt-4o-mini", "timeout_ms": 20000, "retries": 0}}
s["routing"] = {"data": ["cheap", "builtin"], "model": ["cheap", "builtin"],
                "quantize": ["builtin"]}
print(json.dumps(s))
PY
run "$TFG_BIN" run "$T/spec.json" --out "$T/r"
expect_rc 0
cat "$T/out"
expect_out "proposed by cheap after 2 attempt(s)"
expect_out "proposed by builtin after 1 attempt(s)"
ok; [ "$(json_get "$T/r/validate/report.json" "j['mismatches']")" = 0 ] || fail "routed run: device differs"
L=$T/r/llm/pilot.jsonl
ok; python3 - "$L" <<'PY' || fail "pilot log: $(cat "$L")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
served = {r["stage"]: r["backend"] for r in rows if r.get("outcome") == "accepted"}
assert served == {"data": "cheap", "model": "cheap", "quantize": "builtin"}, served
assert any(r["stage"] == "data" and r.get("class") == "spec" for r in rows), rows
PY
run "$TFG_BIN" trace "$T/r"
expect_rc 0
expect_out "cheap"

# Replay with the server gone: same plan, splits and model.
kill $SRV 2>/dev/null; wait $SRV 2>/dev/null
mkdir -p "$T/r2" && cp -r "$T/r/llm" "$T/r2/llm"
run "$TFG_BIN" run "$T/spec.json" --out "$T/r2" --offline
expect_rc 0
for f in data/plan.json data/train.bin data/test.bin train/arch.json train/weights.bin quant/model.tflite; do
  ok; cmp -s "$T/r/$f" "$T/r2/$f" || fail "offline replay: $f differs"
done
finish
