#!/usr/bin/env bash
# test_dsp_device.sh — the optimized kernels (runtime/ *_dsp.c) against the reference on
# the emulated Cortex-M4 and Cortex-M55 of the board table (qemu_mps2_an386,
# qemu_mps3_an547), with the real SMLAD and SXTB16: tests/device/dsp_main.c is built here
# with arm-none-eabi-gcc and each board's own flags, linked with its board support, and
# run on qemu-system-arm; every byte of random layers (tests/device/dsp_cases.h: shapes,
# strides, paddings, zero points, multipliers, channel counts 1, odd, not a multiple of 4)
# must agree, for two seeds. A build with one output byte flipped must be caught. Exit 77
# only without the tools.
. "$(dirname "$0")/lib.sh"
for tool in arm-none-eabi-gcc qemu-system-arm python3; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
R=$TFG_SRC/runtime
# board_flags ID: "machine flags..." of a board of the table
board_flags() {
  python3 - "$TFG_SRC/boards/boards.json" "$1" <<'PY'
import json, sys
b = [b for b in json.load(open(sys.argv[1]))["boards"] if b["id"] == sys.argv[2]][0]
print(b["emulator"].split(":", 1)[1], " ".join(b["cpu_flags"]))
PY
}
# build NAME EXTRA...: firmware $T/NAME.elf for $machine, compiler output in $T/NAME.log
build() {
  local name=$1
  shift
  # shellcheck disable=SC2086
  arm-none-eabi-gcc $flags -O2 -ffunction-sections -fdata-sections -std=c99 -Wall -Wextra \
    -Werror -DNDEBUG -D"$define" -DTFG_FW_SEMIHOST "$@" -I"$R" -I"$R/board" \
    -I"$TFG_SRC/tests/device" "$R"/*.c "$R"/board/arm/*.c "$TFG_SRC/tests/device/dsp_cases.c" \
    "$TFG_SRC/tests/device/dsp_main.c" -nostartfiles --specs=nano.specs -L"$R/board/arm" \
    -T"$R/board/arm/$machine.ld" -Wl,--gc-sections -o "$T/$name.elf" >"$T/$name.log" 2>&1
}
# qemu NAME: runs $T/NAME.elf; its UART in $T/out, status in $RC
qemu() {
  run timeout 600 qemu-system-arm -M "$machine" -display none -monitor none -serial stdio \
    -semihosting-config enable=on,target=native -kernel "$T/$1.elf"
}
# The Cortex-M4 (Armv7E-M) and the Cortex-M55 (Armv8.1-M, whose DSP extension runs the
# same SMLAD and SXTB16; the compiler may vectorize the C around them with Helium).
for id in qemu_mps2_an386 qemu_mps3_an547; do
  board=$(board_flags "$id")
  machine=${board%% *}
  flags=${board#* }
  define=TFG_MACHINE_$(echo "$machine" | tr 'a-z-' 'A-Z_')
  for seed in 16 20261207; do
    ok
    if ! build "dsp_${id}_$seed" -DTFG_DSP_SEED="${seed}u"; then
      fail "$id: the device test firmware did not build:" \
        "$(head -c 1500 "$T/dsp_${id}_$seed.log")"
      continue
    fi
    qemu "dsp_${id}_$seed"
    cat "$T/out"
    expect_rc 0
    expect_out "dsp OK"
    for k in fc conv_im2col conv_1x1 dw_3x3 requant; do
      ok
      grep -qE "^dsp $k cases [1-9][0-9]* differ 0 refused 0" "$T/out" ||
        fail "$id seed $seed: $k: $(grep "^dsp $k " "$T/out")"
    done
  done
  # The comparison is live: one flipped byte per layer is reported, and the firmware fails.
  ok
  if build "broken_$id" -DTFG_DSP_CASES_BREAK -DTFG_DSP_LAYERS=20u; then
    qemu "broken_$id"
    expect_rc 1
    expect_out "dsp FAILED"
    expect_out "dsp conv_1x1 cases 20 differ 20"
  else
    fail "$id: the broken firmware did not build: $(head -c 1500 "$T/broken_$id.log")"
  fi
done
finish
