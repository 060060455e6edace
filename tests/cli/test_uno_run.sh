# test_uno_run.sh — the default `tinyforge run` on the Arduino Uno (simavr atmega328p) on
# small tables the test makes: the chooser holds the network to the whole firmware's rule
# (src/spec/fit.h), so 32 features and 4 classes run end to end (validate and the sketch
# pass, and the chooser's RAM estimate is no less than the sketch firmware's real RAM),
# and 128 features, too many for even the linear model, stop at the train stage with the
# numbers, before anything is built.
. "$(dirname "$0")/lib.sh"

command -v avr-gcc >/dev/null || { echo "avr-gcc not installed: skipped"; exit 77; }
[ -x "${TFG_SIMAVR_RUNNER:-}" ] || { echo "no simavr runner built: skipped"; exit 77; }
unset TINYFORGE_LLM_CONFIG
export HOME="$T/home"
cd "$T" || exit 1

table() { # table FEATURES FILE: 400 rows, 4 classes around random centres
  python3 - "$1" "$2" <<'PY'
import random, sys
f, path = int(sys.argv[1]), sys.argv[2]
random.seed(1)
centre = [[random.gauss(0, 1) for _ in range(f)] for _ in range(4)]
with open(path, "w") as out:
    out.write(",".join([f"f{i}" for i in range(f)] + ["label"]) + "\n")
    for r in range(400):
        c = r % 4
        out.write(",".join(f"{centre[c][i] + random.gauss(0, 1.2):.4f}" for i in range(f))
                  + f",class{c}\n")
PY
  printf '{"name": "t%s", "task": "classification", "board": "Uno", "seed": 42,
 "data": {"sources": [{"path": "%s"}], "label": "label"}}\n' "$1" "$2" > "t$1.json"
}

# 32 features: every stage passes on the Uno, the sketch included.
table 32 t32.csv
run "$TFG_BIN" run t32.json --out "$T/r32"
expect_rc 0
expect_out "samples identical to the host on atmega328p"
expect_out "the application sketch agrees with the host on every sample"
EST=$(json_get "$T/r32/train/report.json" "j['estimate']['ram_bytes']")
USED=$(json_get "$T/r32/validate/report.json" "j['sketch_firmware']['ram_used']")
ok; [ -n "$USED" ] && [ "$EST" -ge "$USED" ] && [ "$EST" -le 2048 ] ||
  fail "the chooser's RAM estimate $EST is under the sketch firmware's $USED or over 2048"

# 128 features: no builtin network fits the Uno's 2 KB, not even the linear 128 -> 4;
# the train stage says by how much.
table 128 t128.csv
run "$TFG_BIN" run t128.json --out "$T/r128"
expect_rc 1 # a check did not hold
expect_one_error
expect_err "the train stage failed"
expect_err "the smallest builtin architecture: the network needs 2.5 KB of RAM, the \
budget is 2 KB"
expect_err "by the firmware rule: 2,568 bytes = weights 664 (copied to RAM on AVR) + \
arena 132 + input and output 132 + stack 256 + the program around the model 1,384"
ok; [ ! -d "$T/r128/build" ] || fail "a firmware was built for a model that cannot fit"

finish
