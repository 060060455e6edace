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

# SIGKILL while a training publishes: the previous artifacts stay, a rerun is clean. The
# staging directory exists only while the trained network is written, so the network is
# made big (about 1 MB of weights) to hold it open for tens of milliseconds; a poller
# kills the process the moment the directory appears, and a try counts only if the
# process was alive then and the directory still there after the kill.
run "$TFG_BIN" -q train "$SPEC" --out "$T/a"
expect_rc 0
before=$(cd "$T/a/train" && sha256sum * | sha256sum)
spec_with '{"patience": 0, "epochs": 5}'
cat >"$T/big.json" <<'JSON'
{"layers": [{"type": "dense", "units": 480, "activation": "relu"},
            {"type": "dense", "units": 480, "activation": "relu"},
            {"type": "dense", "units": 3}, {"type": "softmax"}]}
JSON
cat >"$T/kill.py" <<'PY'
import os, signal, subprocess, sys
out, argv = sys.argv[1], sys.argv[2:]
tmp = os.path.join(out, ".train.tmp")
for attempt in range(1, 6):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None and not os.path.isdir(tmp):
        pass
    alive = p.poll() is None  # not reaped yet: the pid is still this process
    if alive:
        os.kill(p.pid, signal.SIGKILL)
    rc = p.wait()
    if alive and rc == -signal.SIGKILL and os.path.isdir(tmp):
        print("try %d: killed while %s existed" % (attempt, tmp))
        sys.exit(0)
    print("try %d: missed (exit %d, staging directory %s)"
          % (attempt, rc, "left" if os.path.isdir(tmp) else "gone"))
sys.exit(1)
PY
ok; python3 "$T/kill.py" "$T/a" "$TFG_BIN" -q train "$T/s.json" --out "$T/a" --force \
  --arch "$T/big.json" >"$T/kill.log" 2>&1 \
  || fail "no SIGKILL landed while the staging directory existed: $(cat "$T/kill.log")"
# The swap moves the old directory aside for an instant: a kill there leaves it in
# .train.old, which the next stage restores; anywhere else train/ is the old one.
pub=$T/a/train
[ -d "$pub" ] || pub=$T/a/.train.old
after=$(cd "$pub" && sha256sum * | sha256sum)
ok; [ "$before" = "$after" ] || fail "SIGKILL changed the previous train artifacts"
run "$TFG_BIN" --json train "$SPEC" --out "$T/a"
expect_rc 0
ok; [ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' <"$T/out")" = skipped ] || fail "after SIGKILL the complete previous run is not recognised"
run "$TFG_BIN" -q train "$SPEC" --out "$T/a" --force
expect_rc 0
ok; [ ! -e "$T/a/.train.tmp" ] || fail "a rerun left the killed run's staging directory"
finish
