/* fuzz_spec.c — libFuzzer target for the JSON the user (or an LLM) writes: the bytes are
 * parsed as JSON, then read both as a spec and as a data plan. Neither may crash, leak
 * or misbehave on any input; errors are fine. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/json.h"
#include "data/plan.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tfg_boards boards;
    static int loaded;
    tfg_err err;
    if (!loaded) {
        loaded = 1;
        if (tfg_boards_load(TFG_SOURCE_DIR "/boards/boards.json", &boards, &err) != TFG_OK)
            __builtin_trap();
    }
    json_t *j;
    if (tfg_json_load_buf((const char *)data, size, "fuzz.json", &j, &err) != TFG_OK)
        return 0;
    tfg_spec spec;
    tfg_spec_from_json(j, "fuzz.json", &boards, &spec, &err);
    tfg_spec_free(&spec);
    tfg_plan *plan = NULL;
    if (tfg_plan_parse(j, "fuzz.json", &plan, &err) == TFG_OK)
        tfg_plan_free(plan);
    json_decref(j);
    return 0;
}
