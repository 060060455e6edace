# test_llm_cli.sh — `tinyforge llm ping|ask` and `tinyforge trace` against the scripted
# server (tests/llmserver/server.py): replies, classified failures with one error line
# and the right exit code, tokens and cost in the trace equal to the script's usage times
# the shipped price table (llm/prices.json) exactly, an offline replay with the server
# stopped that prints the same bytes, and a fake key found in no file and no output.
. "$(dirname "$0")/lib.sh"

KEY="sk-cliFAKE-Zq8Lm2Rt5Yx9Wv"
export TFG_FAKE_KEY="$KEY"
unset TINYFORGE_LLM_CONFIG TINYFORGE_LLM_PRICES
export HOME="$T/home" # no user config is read by accident
R="$T/run"

# Every command's stdout and stderr also go to one transcript for the key check.
runlog() { run "$@"; cat "$T/out" "$T/err" >>"$T/transcript"; }

cat >"$T/script.json" <<'JSON'
{"steps": [
  {"api": "openai", "content": "pong", "usage": [11, 3], "expect": {"auth": true}},
  {"api": "ollama", "content": "pong", "usage": [5, 1], "expect": {"auth": false}},
  {"api": "openai", "content": "four\nand a second line", "usage": [120, 40]},
  {"fault": "status", "status": 500, "repeat": 2},
  {"fault": "echo_auth"},
  {"api": "openai", "content": "{\"answer\": 4}", "usage": [30, 7],
   "expect": {"response_format": {"type": "json_object"}}},
  {"fault": "status", "status": 429, "retry_after": "0"},
  {"api": "openai", "content": "after 429", "usage": [9, 2]},
  {"api": "openai", "content": " \n\t", "usage": [8, 1]}
]}
JSON
python3 "$TFG_SRC/tests/llmserver/server.py" "$T/script.json" "$T/server.log" \
  --max-seconds 120 >"$T/port" &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$T/port")

cat >"$T/llm.json" <<JSON
{"local": {"type": "openai", "base_url": "http://127.0.0.1:$PORT/v1", "model": "gpt-4o-mini",
           "key_env": "TFG_FAKE_KEY", "timeout_ms": 5000, "retries": 1},
 "oll": {"type": "ollama", "base_url": "http://127.0.0.1:$PORT", "model": "llama3.2",
         "timeout_ms": 5000, "retries": 1}}
JSON
C="--config $T/llm.json"

# ping: every backend, never from the cache.
runlog "$TFG_BIN" llm ping $C --run "$R"
expect_rc 0
expect_out "local"
expect_out "gpt-4o-mini"
expect_out "11/3"
expect_out "llama3.2"
expect_out "5/1"
expect_out "builtin"

# ask: the reply on stdout, as sent.
runlog "$TFG_BIN" llm ask $C --run "$R" --backend local "What is 2+2?"
expect_rc 0
cp "$T/out" "$T/ask_live.out"
ok; [ "$(cat "$T/out")" = "$(printf 'four\nand a second line')" ] || fail "ask printed: $(cat "$T/out")"

# 500 twice with one retry: one error line, exit 5, the status named.
runlog "$TFG_BIN" llm ask $C --run "$R" --backend local "fail please"
expect_rc 5
expect_one_error
expect_err "HTTP 500"
expect_err "attempt 2 of 2"

# A server that echoes the Authorization header: the message keeps the echo, not the key.
runlog "$TFG_BIN" --json llm ask $C --run "$R" --backend local "echo"
expect_rc 5
expect_err "Bearer ***"
expect_out '"status":"error"'

# JSON response format, then 429 with Retry-After: 0 and success.
runlog "$TFG_BIN" llm ask $C --run "$R" --backend local --format json "answer in JSON"
expect_rc 0
expect_out '{"answer": 4}'
runlog "$TFG_BIN" llm ask $C --run "$R" --backend local "rate limited"
expect_rc 0
expect_out "after 429"
expect_err "2 attempts"
# A reply of white space alone answers nothing: a format failure, not exit 0.
runlog "$TFG_BIN" --json llm ask $C --run "$T/run-empty" --backend local "say nothing"
expect_rc 5
expect_err "the reply is empty"
expect_out '"status":"error"'

# Usage mistakes and bad configs.
runlog "$TFG_BIN" llm ask $C "no backend"
expect_rc 2
runlog "$TFG_BIN" llm ask $C --backend locl "typo"
expect_rc 3
expect_err "did you mean 'local'"
printf '{"x": {"type": "openai", "base_url": "http://127.0.0.1:1", "modle": "m"}}' >"$T/bad.json"
runlog "$TFG_BIN" llm ping --config "$T/bad.json"
expect_rc 3
expect_err "x.modle"
expect_err "did you mean 'model'"
printf '{"x": {"type": "openai", "base_url": "http://u:%s@127.0.0.1:1", "model": "m"}}' "$KEY" >"$T/bad2.json"
runlog "$TFG_BIN" llm ping --config "$T/bad2.json"
expect_rc 3
expect_err "credentials"
rm -f "$T/bad2.json" # it holds the key on purpose; the key check below covers the rest

# trace: per stage and backend; tokens and cost equal usage x the shipped price table.
runlog "$TFG_BIN" trace "$R"
expect_rc 0
expect_out "ping"
expect_out "ask"
runlog "$TFG_BIN" trace --json "$R"
expect_rc 0
cp "$T/out" "$T/trace.json"
ok
python3 - "$R/llm/trace.jsonl" "$TFG_SRC/llm/prices.json" "$T/trace.json" <<'PY' || fail "trace numbers differ"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
prices = json.load(open(sys.argv[2]))["models"]
summary = json.load(open(sys.argv[3]))
# (stage, backend, tokens_in, tokens_out) of the successful attempts, from the script
want = [("ping", "local", 11, 3), ("ping", "oll", 5, 1), ("ask", "local", 120, 40),
        ("ask", "local", 30, 7), ("ask", "local", 9, 2)]
got = [(r["stage"], r["backend"], r["tokens_in"], r["tokens_out"])
       for r in recs if r["outcome"] == "ok" and r["backend"] != "builtin"]
assert got == want, got
for r in recs:
    if r["outcome"] == "ok" and r["backend"] != "builtin":
        p = prices[r["model"]]
        cost = r["tokens_in"] * p["input_per_1m"] / 1e6 + r["tokens_out"] * p["output_per_1m"] / 1e6
        assert r["cost"] == cost, (r, cost)
    elif r["outcome"] != "ok":
        assert r["tokens_in"] == 0 and r["cost"] == 0, r
t = summary["total"]
assert t["tokens_in"] == sum(w[2] for w in want) + sum(r["tokens_in"] for r in recs if r["backend"] == "builtin")
assert t["errors"] == 2 and t["attempts"] == len([r for r in recs if r["attempt"] > 0]), t
assert abs(t["cost"] - sum(r["cost"] for r in recs)) < 1e-15
PY

# The server goes away: an offline replay prints the same bytes; a new prompt is a miss.
kill $SRV; wait $SRV 2>/dev/null
runlog "$TFG_BIN" llm ask $C --run "$R" --offline --backend local "What is 2+2?"
expect_rc 0
expect_err "from cache"
ok; cmp -s "$T/out" "$T/ask_live.out" || fail "offline replay differs: $(cat "$T/out")"
runlog "$TFG_BIN" llm ask $C --run "$R" --offline --backend local "never asked"
expect_rc 3
expect_one_error
expect_err "offline"
runlog "$TFG_BIN" llm ask $C --run "$R" --offline "x"
expect_rc 2
runlog "$TFG_BIN" trace "$T/nothing"
expect_rc 3
expect_err "no LLM trace"

# The server checked every request's shape.
ok; ! grep -v '"problems": \[\]' "$T/server.log" | grep -q . || fail "shape problems: $(grep -v '"problems": \[\]' "$T/server.log" | head -3)"

# The key: in no file under the scratch directory (run, cache, trace, configs, server
# log, every command's stdout and stderr), yet it was sent.
ok; ! grep -rqF -- "$KEY" "$T" || fail "the key leaked into: $(grep -rlF -- "$KEY" "$T" | tr '\n' ' ')"
ok; grep -q '"auth": true' "$T/server.log" || fail "the key was never sent"
finish
