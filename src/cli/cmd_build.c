/* cmd_build.c — `tinyforge build SPEC`: the int8 model as a C99 library, checked on the
 * host against the in-process int8 results before it is published. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "spec/results.h"

static const char usage[] =
    "usage: tinyforge build SPEC [--out DIR] [--force] [--json]\n"
    "\n"
    "Generates C99 for the int8 model in DIR/quantize/model.tflite (written by `tinyforge\n"
    "quantize`): const weights in flash, one static arena laid out by the memory planner,\n"
    "no malloc, no float in the int8 path. Writes into DIR/build/:\n"
    "  model.h, model.c       int tfg_model_invoke(const int8_t *in, int8_t *out) and a\n"
    "                         float wrapper tfg_model_invoke_f32; sizes as macros\n"
    "  preprocess.h, .c       int tfg_model_preprocess(const float *raw, float *features):\n"
    "                         the data plan's steps for one raw reading, bit-identical to\n"
    "                         the host (not for window plans)\n"
    "  tfg_runtime.h, *.c     the runtime kernels the model needs\n"
    "  report.json            flash and arena bytes, model hash, files, the host check\n"
    "\n"
    "Before anything is published the files are compiled with the host compiler ($CC or\n"
    "cc, -std=c99 -Wall -Wextra -Werror -pedantic) and run on the whole test split: the\n"
    "output bytes must equal the in-process int8 model's (exit code 1 otherwise).\n"
    "\n"
    "options:\n"
    "  --out DIR    run directory (default: runs/<spec name>)\n"
    "  --force      run even when nothing changed\n"
    "  --json       print the report as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge quantize examples/fruit/spec.json && tinyforge build examples/fruit/spec.json\n"
    "  cc -std=c99 -Iruns/fruit/build runs/fruit/build/*.c my_main.c\n";

static void print_report(const tfg_stage_outcome *o, const tfg_cli_run *run,
                         const tfg_stage_opts *so)
{
    if (!o->has_result)
        return;
    const json_t *r = o->report;
    const tfg_build_result b = o->result.build;
    printf("model: flash %lld bytes (weights and parameters), arena %lld bytes, input %lld "
           "bytes, output %lld bytes\n",
           (long long)b.flash_bytes, (long long)b.arena_bytes, (long long)b.input_bytes,
           (long long)b.output_bytes);
    const json_t *pp = json_object_get(r, "preprocess");
    if (json_is_string(pp))
        printf("device preprocessing: not generated (%s)\n", json_string_value(pp));
    if (b.host_check_rows >= 0)
        printf("host check: %lld test rows through the generated code with %s: identical to "
               "the int8 runtime\n", (long long)b.host_check_rows,
               b.host_check_compiler ? b.host_check_compiler : "?");
    printf("files:");
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(r, "files"), i, f)
        printf(" %s", json_string_value(f));
    putchar('\n');
}

int tfg_cmd_build(int argc, char **argv, tfg_cli *c)
{
    static const tfg_cli_stage stage = {.id = TFG_STAGE_BUILD, .usage = usage,
                                        .unchanged = "model unchanged since the last run",
                                        .print = print_report};
    return tfg_cli_stage_main(argc, argv, c, &stage);
}
