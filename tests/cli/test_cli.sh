# test_cli.sh — the command line itself: help that teaches (every command has an
# example), version, `check`, `boards`, --json output that parses, and an unknown
# command that is a stage's first-release name answered with the stage's one name.
. "$(dirname "$0")/lib.sh"
run "$TFG_BIN" --help
expect_rc 0
expect_out "exit codes"
for cmd in data train inspect invoke check boards; do
  run "$TFG_BIN" "$cmd" --help
  expect_rc 0
  expect_out "usage: tinyforge $cmd"
  run "$TFG_BIN" help "$cmd"
  expect_rc 0
  expect_out "usage: tinyforge $cmd"
done
run "$TFG_BIN" data --help
expect_out "example:"
run "$TFG_BIN" model
expect_rc 2
expect_err "unknown command 'model': the stage is called 'train' now (see: tinyforge --help)"
run "$TFG_BIN" quant
expect_rc 2
expect_err "the stage is called 'quantize' now"
run "$TFG_BIN" trian
expect_rc 2
expect_err "did you mean 'train'?"
run "$TFG_BIN" --version
expect_rc 0
expect_out "tinyforge "
run "$TFG_BIN" check "$TFG_SRC/examples/fruit/spec.json"
expect_rc 0
expect_out "ok"
run "$TFG_BIN" --json check "$TFG_SRC/examples/fruit/spec.json"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["board"])' <"$T/out")" = arduino_nano_33_ble_sense ] || fail "check --json"
run "$TFG_BIN" boards
expect_rc 0
for b in arduino_nano_33_ble_sense arduino_uno raspberry_pi_pico nucleo_l4r5zi; do expect_out "$b"; done
run "$TFG_BIN" boards --json
expect_rc 0
ok; python3 -c 'import json,sys; assert len(json.load(sys.stdin)["boards"]) >= 4' <"$T/out" || fail "boards --json"
# An error with --json is one JSON object on stdout with the exit code in it.
printf '{"name": "x"}' >"$T/s.json"
run "$TFG_BIN" --json check "$T/s.json"
expect_rc 3
ok; [ "$(python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; print(e["kind"], e["exit_code"])' <"$T/out")" = "input 3" ] || fail "error --json: $(cat "$T/out")"
expect_err "s.json: task: required field is missing"
finish
