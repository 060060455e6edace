# test_boards.sh — boards by the names people type: a spec's "board" and --board take
# "micro:bit", "Nano 33", "Uno", "Pico"; an unknown board is an error naming the nearest
# known ones (check, validate --board, and a request in plain words to `new`, which also
# must not take ordinary words for boards).
. "$(dirname "$0")/lib.sh"

unset TINYFORGE_LLM_CONFIG
export HOME="$T/home"
FRUIT="$TFG_SRC/examples/fruit/fruit.csv"
cd "$T" || exit 1
cp "$FRUIT" fruit.csv

spec() { # spec FILE BOARD: fruit's spec on BOARD
  python3 - "$1" "$2" <<'PY'
import json, sys
json.dump({"name": "fruit", "task": "classification", "board": sys.argv[2], "seed": 42,
           "data": {"sources": [{"path": "fruit.csv"}], "label": "fruit"}},
          open(sys.argv[1], "w"))
PY
}

# The names a person types.
for pair in "micro:bit=QEMU micro:bit" "Nano 33=Arduino Nano 33 BLE Sense" "Uno=Arduino Uno" \
            "Pico=Raspberry Pi Pico" "arduino-UNO=Arduino Uno" "Micro Bit=QEMU micro:bit"; do
  spec s.json "${pair%%=*}"
  run "$TFG_BIN" check s.json
  expect_rc 0
  expect_out "on ${pair#*=}"
done

# An unknown board: the spec check and --board name it and the nearest known boards.
spec s.json "ESP32"
run "$TFG_BIN" check s.json
expect_rc 3
expect_one_error
expect_err "s.json: board: unknown board 'ESP32'; closest known: '"
spec s.json "Nano 33 IoT"
run "$TFG_BIN" check s.json
expect_rc 3
expect_err "unknown board 'Nano 33 IoT'; closest known: 'arduino_nano_33_ble_sense'"
spec s.json uno
run "$TFG_BIN" validate s.json --out "$T/r" --board "Nano 33 IoT"
expect_rc 3
expect_one_error
expect_err "--board: unknown board 'Nano 33 IoT'; closest known: 'arduino_nano_33_ble_sense'"

# new: the board a request names, by the same names; one tinyforge does not know stops
# the stage with its name and the nearest ones, whatever the backend would have said.
newb() { # newb REQUEST: `new` on fruit; the board it chose in $BOARD
  rm -f n.json
  run "$TFG_BIN" new "$1" --data "$FRUIT" --out n.json --run "$T/newrun"
  BOARD=$( [ -f n.json ] && json_get n.json 'j["board"]')
}
newb "tell apple, banana and orange apart by colour on a micro:bit"
expect_rc 0
ok; [ "$BOARD" = qemu_microbit ] || fail "micro:bit: $BOARD"
newb "tell the fruit apart on the Nano 33, please"
expect_rc 0
ok; [ "$BOARD" = arduino_nano_33_ble_sense ] || fail "Nano 33: $BOARD"
newb "fruit by colour on an Arduino Uno"
expect_rc 0
ok; [ "$BOARD" = arduino_uno ] || fail "Arduino Uno: $BOARD"
# Ordinary words, a sensor's part number and the Arduino IDE are no boards: the default.
newb "tell fruit apart by the colour an APDS9960 reads, on Monday, on CO2 budget, \
in the Arduino IDE"
expect_rc 0
ok; [ "$BOARD" = arduino_nano_33_ble_sense ] || fail "default board: $BOARD"
for req in "tell fruit apart by colour on an ESP32=ESP32" \
           "fruit on an Arduino Mega 2560=Arduino Mega" \
           "fruit, deployed onto the MKR1000=MKR1000" \
           "fruit on a Raspberry Pi 4=Raspberry Pi 4" \
           "fruit on an stm32f4 discovery kit=stm32f4"; do
  newb "${req%%=*}"
  expect_rc 3
  expect_one_error
  expect_err "the request names the board '${req#*=}', which tinyforge does not know; \
closest known: '"
  ok; [ ! -f n.json ] || fail "a spec was written for '${req%%=*}': $(cat n.json)"
done
newb "fruit on a Raspberry Pi 4"
expect_err "closest known: 'raspberry_pi_pico'"

finish
