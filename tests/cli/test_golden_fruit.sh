# test_golden_fruit.sh — the generated C of the fruit example, byte for byte: data,
# train, quantize and build on examples/fruit, then build/model.c, model.h, preprocess.c
# and preprocess.h must equal tests/data/golden/fruit/ (training is bit-reproducible;
# the gcc and the clang sanitizer builds give the same bytes). No generated file may name
# the directory it was made in. After a deliberate change to the generated code:
#   TFG_REGOLD=1 ctest --test-dir build -R golden_fruit
# rewrites the golden files; review the diff before committing it.
. "$(dirname "$0")/lib.sh"
SPEC=$TFG_SRC/examples/fruit/spec.json
GOLD=$TFG_SRC/tests/data/golden/fruit
R=$T/fruit
for stage in data train quantize build; do
  run "$TFG_BIN" -q "$stage" "$SPEC" --out "$R"; expect_rc 0
done
for f in model.c model.h preprocess.c preprocess.h; do
  ok; [ -s "$R/build/$f" ] || { fail "build/$f was not written"; continue; }
  if [ "${TFG_REGOLD:-}" = 1 ]; then
    mkdir -p "$GOLD" && cp "$R/build/$f" "$GOLD/$f"
    echo "regold: wrote $GOLD/$f"
  fi
  ok; cmp -s "$R/build/$f" "$GOLD/$f" ||
    fail "build/$f differs from tests/data/golden/fruit/$f (TFG_REGOLD=1 rewrites it): $(diff "$GOLD/$f" "$R/build/$f" | head -20)"
done
# No path of this machine in anything the build stage generated.
for f in "$R"/build/*.c "$R"/build/*.h; do
  ok; ! grep -qF -e "$T" -e "$TFG_SRC" "$f" || fail "$(basename "$f") names a directory of the build machine: $(grep -nF -e "$T" -e "$TFG_SRC" "$f" | head -3)"
done
# The golden sources compile with -Werror as C99 and run: the float entry point on the
# first test reading gives a probability distribution.
cat >"$T/main.c" <<'C'
#include <stdio.h>
#include "model.h"
#include "preprocess.h"
int main(void)
{
    float raw[TFG_MODEL_RAW_INPUTS] = {0.6f, 0.25f, 0.15f}, f[TFG_MODEL_FEATURES], p[3];
    if (tfg_model_preprocess(raw, f) != 0 || tfg_model_invoke_f32(f, p) != 0)
        return 1;
    float sum = p[0] + p[1] + p[2];
    return !(sum > 0.98f && sum < 1.02f);
}
C
run cc -std=c99 -Wall -Wextra -Werror -pedantic -O1 -I"$GOLD" -I"$TFG_SRC/runtime" "$GOLD"/*.c \
  "$TFG_SRC"/runtime/*.c "$T/main.c" -o "$T/fruit_golden"
expect_rc 0
run "$T/fruit_golden"; expect_rc 0
finish
