# test_train_bad.sh — bad training input gets one clear error naming the layer or field,
# and a training run killed with SIGKILL leaves the previous artifacts intact.
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
CSV=$TFG_SRC/examples/fruit/fruit.csv

# Before the data stage: say what to run.
run "$TFG_BIN" train "$SPEC" --out "$T/none"
expect_rc 3
expect_err "tinyforge data"
run "$TFG_BIN" -q data "$SPEC" --out "$T/a"
expect_rc 0

bad_arch() { # RC JSON NEEDLE...
  local rc=$1 json=$2
  shift 2
  printf '%s' "$json" >"$T/arch.json"
  run "$TFG_BIN" train "$SPEC" --out "$T/a" --arch "$T/arch.json"
  expect_rc "$rc"
  expect_one_error
  for n in "$@"; do expect_err "$n"; done
}
bad_arch 3 '{"layers": [{"type": "conv2d", "filters": 4, "kernel": 3}, {"type": "dense", "units": 3}]}' "arch.json: layers[0] (conv2d)"
bad_arch 3 '{"layers": [{"type": "dense", "units": 8}, {"type": "dense", "units": 4}, {"type": "softmax"}]}' "arch.json" "gives 4 values, the data has 3"
bad_arch 3 '{"layers": [{"type": "dens", "units": 3}]}' "layers[0]" "did you mean 'dense'"
# A layer the board cannot hold: the numbers and the largest layer.
bad_arch 1 '{"layers": [{"type": "dense", "units": 4096, "activation": "relu"}, {"type": "dense", "units": 4096, "activation": "relu"}, {"type": "dense", "units": 3}, {"type": "softmax"}]}' "flash" "layers[1] (dense"

# Bad training settings name the field.
spec_with() { # TRAINING-JSON -> $T/s.json
  python3 - "$SPEC" "$CSV" "$1" >"$T/s.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["data"]["sources"][0]["path"] = sys.argv[2]
s["training"] = json.loads(sys.argv[3])
print(json.dumps(s))
PY
}
for case in '{"epochs": 0}|training.epochs' '{"lr": "NaN"}|training.lr' '{"lr": -1}|training.lr' \
            '{"batch": 0}|training.batch' '{"optimiser": "adam"}|did you mean'; do
  spec_with "${case%|*}"
  run "$TFG_BIN" train "$T/s.json" --out "$T/a"
  expect_rc 3
  expect_one_error
  expect_err "${case#*|}"
done
run "$TFG_BIN" train "$SPEC" --out "$T/a" --epochs 0
expect_rc 2

# SIGKILL in the middle of training: the previous artifacts stay, a rerun is clean.
run "$TFG_BIN" -q train "$SPEC" --out "$T/a"
expect_rc 0
before=$(cd "$T/a/train" && sha256sum * | sha256sum)
spec_with '{"patience": 0, "epochs": 100000}'
"$TFG_BIN" -q train "$T/s.json" --out "$T/a" --force --arch "$TFG_SRC/tests/data/wide_mlp.json" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do [ -d "$T/a/.train.tmp" ] && break; sleep 0.1; done
sleep 0.5
kill -9 "$pid"
wait "$pid" 2>/dev/null
after=$(cd "$T/a/train" && sha256sum * | sha256sum)
ok; [ "$before" = "$after" ] || fail "SIGKILL changed the previous train artifacts"
run "$TFG_BIN" --json train "$SPEC" --out "$T/a"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <"$T/out")" = skipped ] || fail "after SIGKILL the complete previous run is not recognised"
run "$TFG_BIN" -q train "$SPEC" --out "$T/a" --force
expect_rc 0
ok; [ ! -e "$T/a/.train.tmp" ] || fail "a rerun left the killed run's staging directory"
finish
