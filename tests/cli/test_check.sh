# test_check.sh — `tinyforge check` reads every section a run will read (issue 21): each
# wrong value below is refused with its field path and the nearest valid value, before
# anything runs; a data file that is a FIFO or a device is refused at once by `check`
# and by the data stage (never waited on); a good spec with every section still passes.
. "$(dirname "$0")/lib.sh"
cp "$TFG_SRC/examples/fruit/spec.json" "$TFG_SRC/examples/fruit/fruit.csv" "$T/"
# variant NAME PYTHON: $T/NAME.json is the fruit spec changed by PYTHON (on dict j)
variant() {
  python3 - "$T/spec.json" "$T/$1.json" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(j, open(sys.argv[2], "w"))
PY
}
# refused NAME PYTHON FIELD WORDS: check exits 3 naming FIELD and saying WORDS
refused() {
  variant "$1" "$2"
  run "$TFG_BIN" check "$T/$1.json"
  expect_rc 3
  expect_err "$1.json: $3: "
  expect_err "$4"
}
refused epochs 'j["training"] = {"epochs": 1.5}' training.epochs "expected an integer, got 1.5 (nearest valid: 2)"
refused lr 'j["training"] = {"lr": -0.1}' training.lr "nearest valid: 1e-12"
refused percentile 'j["quantization"] = {"percentile": 200}' quantization.percentile "nearest valid: 100"
refused maxdrop 'j["quantization"] = {"max_drop": -1}' quantization.max_drop "expected a number from 0 to 100, got -1 (nearest valid: 0)"
refused method 'j["quantization"] = {"method": "minmx"}' quantization.method "did you mean 'minmax'?"
refused attempts 'j["routing"] = {"attempts": 0}' routing.attempts "nearest valid: 1"
refused route 'j["routing"] = {"data": ["nosuch"]}' "routing.data[0]" "nosuch"
refused userinfo 'j["backends"] = {"b": {"type": "openai", "base_url": "http://u:pw@127.0.0.1:9/v1", "model": "m"}}' "backends.b.base_url" "credentials"
refused arch 'j["model"] = {"arch": "missing-arch.json"}' model.arch "missing-arch.json"
refused plan 'j["data"]["plan"] = "missing-plan.json"' data.plan "file not found"
refused unread 'j["validate"] = {"samples": 10}' validate "takes no settings yet"
# the message names the section even when the file it points to is not JSON
printf 'not json' >"$T/bad-arch.json"
refused archtext 'j["model"] = {"arch": "bad-arch.json"}' model.arch "bad-arch.json"
# every section right: still ok (a check that refuses everything proves nothing)
printf '{"layers": [{"type": "dense", "units": 8}]}' >"$T/arch.json"
variant good 'j["training"] = {"epochs": 3, "lr": 0.01}; j["quantization"] = {"method": "minmax"}; j["model"] = {"arch": "arch.json"}; j["routing"] = {"attempts": 2, "data": ["builtin"]}'
run "$TFG_BIN" check "$T/good.json"
expect_rc 0
expect_out "good.json: ok"
# data files that never end or never start: refused by check and by the data stage at
# once (timeout 20: a reader that waits fails the test instead of hanging it)
mkfifo "$T/fifo.csv"
for src in "$T/fifo.csv" /dev/zero /dev/urandom; do
  variant odd "j['data']['sources'][0]['path'] = '$src'"
  run timeout 20 "$TFG_BIN" check "$T/odd.json"
  expect_rc 3
  expect_err "data.sources[0].path: $src: cannot read a"
  expect_err "regular file"
  run timeout 20 "$TFG_BIN" data "$T/odd.json" --out "$T/run-odd"
  expect_rc 3
  expect_err "regular file"
done
finish
