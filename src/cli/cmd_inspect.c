/* cmd_inspect.c — `tinyforge inspect FILE.tflite`: what any TFLite model computes and
 * what it costs — ops in order with their tensors and options, every tensor with its
 * shape, type, bytes and quantization — without a viewer. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
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

static void print_subgraph(const json_t *sg)
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
        printf("  %2zu %-21s %-27s", i, json_string_value(json_object_get(op, "op")), io);
        print_options(json_object_get(op, "options"));
        if (!json_is_true(json_object_get(op, "supported")))
            printf("  (not supported by tinyforge)");
        putchar('\n');
    }
    printf("\n  t#  %-34s %-6s %-16s %8s  quantization\n", "name", "type", "shape", "bytes");
    for (size_t i = 0; i < json_array_size(tensors); i++) {
        const json_t *t = json_array_get(tensors, i);
        print_shape(shape, sizeof shape, json_object_get(t, "shape"));
        printf("  %2zu  %-34.34s %-6s %-16s %8lld%s", i, json_string_value(json_object_get(t, "name")),
               json_string_value(json_object_get(t, "type")), shape,
               (long long)json_integer_value(json_object_get(t, "bytes")),
               json_is_true(json_object_get(t, "constant")) ? " c" : "  ");
        print_quant(t);
        putchar('\n');
    }
    printf("  (c: constant, stored in flash)\n");
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
    if (c->json) {
        json_object_set_new(d, "status", json_string("ok"));
        tfg_cli_print_json(d);
    } else {
        printf("%s: %lld bytes, TFLite schema %lld, \"%s\"; %lld bytes of constants\n",
               argv[optind], (long long)json_integer_value(json_object_get(d, "bytes")),
               (long long)json_integer_value(json_object_get(d, "schema_version")),
               json_string_value(json_object_get(d, "description")),
               (long long)json_integer_value(json_object_get(d, "constant_bytes")));
        const json_t *sgs = json_object_get(d, "subgraphs");
        for (size_t i = 0; i < json_array_size(sgs); i++)
            print_subgraph(json_array_get(sgs, i));
        size_t bad = (size_t)json_integer_value(json_object_get(d, "unsupported_ops"));
        if (bad)
            printf("\n%zu op%s not supported by tinyforge.\n", bad, bad == 1 ? " is" : "s are");
        json_decref(d);
    }
    tfg_tflite_free(&m);
    return TFG_EXIT_OK;
}
