/* cmd_inspect.c — `tinyforge inspect FILE.tflite`: what any TFLite model computes and
 * what it costs — ops in order with their tensors and options, every tensor with its
 * shape, type, bytes and quantization — without a viewer. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "codegen/memplan.h"
#include "core/strutil.h"
#include "import/tflite.h"

static const char usage[] =
    "usage: tinyforge inspect FILE.tflite [--json]\n"
    "\n"
    "Reads a TensorFlow Lite model (every offset checked; a broken file is refused with\n"
    "the byte offset and what is wrong) and shows its operators in order with their\n"
    "input and output tensors and options, and every tensor with its shape, type, size,\n"
    "and int8 quantization (scale and zero point; per-channel tensors show the count).\n"
    "Operators tinyforge cannot run are listed and flagged.\n"
    "\n"
    "options:\n"
    "  --json   the whole description as one JSON object\n"
    "\n"
    "example:\n"
    "  tinyforge inspect ../shared/models/kws/kws_ref_model.tflite\n";

static void print_shape(char *dst, size_t n, const json_t *shape)
{
    size_t used = 0;
    used += (size_t)snprintf(dst, n, "[");
    for (size_t i = 0; i < json_array_size(shape) && used < n; i++)
        used += (size_t)snprintf(dst + used, n - used, "%s%lld", i ? "," : "",
                                 (long long)json_integer_value(json_array_get(shape, i)));
    if (used < n)
        snprintf(dst + used, n - used, "]");
}

static void print_quant(const json_t *t)
{
    const json_t *sc = json_object_get(t, "scale"), *zp = json_object_get(t, "zero_point");
    if (json_array_size(sc) == 1)
        printf("  scale %.6g zp %lld", json_number_value(json_array_get(sc, 0)),
               (long long)json_integer_value(json_array_get(zp, 0)));
    else if (json_array_size(sc) > 1)
        printf("  %zu per-channel scales", json_array_size(sc));
}

static void print_options(const json_t *opts)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)opts, key, v) {
        if (json_is_string(v))
            printf(" %s=%s", key, json_string_value(v));
        else if (json_is_integer(v))
            printf(" %s=%lld", key, (long long)json_integer_value(v));
        else if (json_is_real(v))
            printf(" %s=%g", key, json_real_value(v));
        else if (json_is_boolean(v))
            printf(" %s=%s", key, json_is_true(v) ? "true" : "false");
    }
}

/* plan: the memory plan of this subgraph (subgraph 0 only), or NULL. */
static void print_subgraph(const json_t *sg, const json_t *plan)
{
    const json_t *tensors = json_object_get(sg, "tensors"), *ops = json_object_get(sg, "ops");
    char shape[96];
    size_t act = 0;
    for (size_t i = 0; i < json_array_size(tensors); i++) {
        const json_t *t = json_array_get(tensors, i);
        if (!json_is_true(json_object_get(t, "constant")))
            act += (size_t)json_integer_value(json_object_get(t, "bytes"));
    }
    printf("\n%zu ops, %zu tensors; activations %zu bytes if none shared a buffer\n",
           json_array_size(ops), json_array_size(tensors), act);
    printf("\n  #  op                    inputs -> outputs           options\n");
    for (size_t i = 0; i < json_array_size(ops); i++) {
        const json_t *op = json_array_get(ops, i);
        char io[128] = "";
        size_t used = 0;
        const json_t *ins = json_object_get(op, "inputs"), *outs = json_object_get(op, "outputs");
        for (size_t k = 0; k < json_array_size(ins) && used < sizeof io; k++)
            used += (size_t)snprintf(io + used, sizeof io - used, "%st%lld", k ? "," : "",
                                     (long long)json_integer_value(json_array_get(ins, k)));
        for (size_t k = 0; k < json_array_size(outs) && used < sizeof io; k++)
            used += (size_t)snprintf(io + used, sizeof io - used, "%st%lld", k ? "," : " -> ",
                                     (long long)json_integer_value(json_array_get(outs, k)));
        char name[64];
        printf("  %2zu %-21s %-27s", i,
               tfg_escape_control(name, sizeof name, json_string_value(json_object_get(op, "op"))),
               io);
        print_options(json_object_get(op, "options"));
        if (!json_is_true(json_object_get(op, "supported")))
            printf("  (not supported by tinyforge)");
        putchar('\n');
    }
    const json_t *offsets = json_object_get(plan, "tensor_offsets");
    if (plan)
        printf("\nmemory plan: one arena of %lld bytes (every tensor apart: %lld; the most alive "
               "at once: %lld); %lld reshape(s) share their input, %lld convolution(s) write "
               "over their dying input\n",
               (long long)json_integer_value(json_object_get(plan, "arena_bytes")),
               (long long)json_integer_value(json_object_get(plan, "naive_bytes")),
               (long long)json_integer_value(json_object_get(plan, "lower_bound_bytes")),
               (long long)json_integer_value(json_object_get(plan, "aliased_reshapes")),
               (long long)json_integer_value(json_object_get(plan, "in_place_convolutions")));
    printf("\n  t#  %-34s %-6s %-16s %8s %8s  quantization\n", "name", "type", "shape", "bytes",
           plan ? "arena@" : "");
    for (size_t i = 0; i < json_array_size(tensors); i++) {
        const json_t *t = json_array_get(tensors, i);
        print_shape(shape, sizeof shape, json_object_get(t, "shape"));
        char name[160];
        tfg_escape_control(name, sizeof name, json_string_value(json_object_get(t, "name")));
        printf("  %2zu  %-34.34s %-6s %-16s %8lld%s", i, name,
               json_string_value(json_object_get(t, "type")), shape,
               (long long)json_integer_value(json_object_get(t, "bytes")),
               json_is_true(json_object_get(t, "constant")) ? " c" : "  ");
        const json_t *off = json_array_get(offsets, i);
        if (json_is_integer(off))
            printf(" %6lld", (long long)json_integer_value(off));
        else
            printf(" %6s", "");
        print_quant(t);
        putchar('\n');
    }
    printf("  (c: constant, stored in flash)\n");
}

/* The planner's arena for subgraph 0 (codegen/memplan.h), as code generation would lay
 * it out; NULL when the model cannot be planned (a tensor without a fixed size). */
static json_t *memory_plan(const tfg_tflite *m)
{
    tfg_tflite_mem mem;
    tfg_err err;
    if (tfg_plan_tflite(m, 0, &mem, &err)) {
        tfg_tflite_mem_free(&mem);
        return NULL;
    }
    json_t *offs = json_array();
    for (size_t t = 0; t < mem.n_tensors; t++)
        json_array_append_new(offs, mem.tensor_offset[t] == TFG_MEM_NONE
                                        ? json_null()
                                        : json_integer((json_int_t)mem.tensor_offset[t]));
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "arena_bytes",
                          (json_int_t)mem.mem.arena_size, "naive_bytes",
                          (json_int_t)mem.mem.naive_size, "lower_bound_bytes",
                          (json_int_t)mem.mem.lower_bound, "aliased_reshapes",
                          (json_int_t)mem.n_aliased, "in_place_convolutions",
                          (json_int_t)mem.n_in_place, "tensor_offsets", offs);
    tfg_tflite_mem_free(&mem);
    return j;
}

int tfg_cmd_inspect(int argc, char **argv, tfg_cli *c)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt, code;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "jhqv", longopts, NULL)) != -1)
        if ((code = tfg_cli_common_opt(c, opt, "inspect", usage, argv[optind - 1])) >= 0)
            return code;
    if (optind != argc - 1)
        return tfg_cli_usage(c, "inspect", optind >= argc ? "missing FILE" : "one FILE expected");
    tfg_tflite m;
    tfg_err err;
    if (tfg_tflite_read(argv[optind], &m, &err))
        return tfg_cli_fail(c, &err);
    json_t *d = tfg_tflite_describe(&m);
    json_t *plan = memory_plan(&m);
    json_object_set_new(d, "memory_plan", plan ? plan : json_null());
    if (c->json) {
        json_object_set_new(d, "status", json_string("ok"));
        tfg_cli_print_json(d);
    } else {
        char desc[512];
        tfg_escape_control(desc, sizeof desc,
                           json_string_value(json_object_get(d, "description")));
        printf("%s: %lld bytes, TFLite schema %lld, \"%s\"; %lld bytes of constants\n",
               argv[optind], (long long)json_integer_value(json_object_get(d, "bytes")),
               (long long)json_integer_value(json_object_get(d, "schema_version")),
               desc, (long long)json_integer_value(json_object_get(d, "constant_bytes")));
        const json_t *sgs = json_object_get(d, "subgraphs");
        for (size_t i = 0; i < json_array_size(sgs); i++)
            print_subgraph(json_array_get(sgs, i), i == 0 ? plan : NULL);
        size_t bad = (size_t)json_integer_value(json_object_get(d, "unsupported_ops"));
        if (bad)
            printf("\n%zu op%s not supported by tinyforge.\n", bad, bad == 1 ? " is" : "s are");
        json_decref(d);
    }
    tfg_tflite_free(&m);
    return TFG_EXIT_OK;
}
