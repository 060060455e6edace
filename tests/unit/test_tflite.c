/* test_tflite.c — the .tflite reader (import/flatbuf.c, import/tflite.c) and its JSON
 * description.
 *
 * Three parts: the two MLPerf Tiny reference models in /work/shared/models (checked
 * against the figures of their READMEs; skipped with a note when absent), small models
 * written by tflite_builder.h (options of every supported op, unsupported ops, each
 * semantic error), and a corruption corpus made from the kws model (truncations, seeded
 * random bit flips, bad offsets, identifier, vtable sizes) where every failure must be a
 * TFG_EINPUT naming a byte offset, and nothing may crash under ASan/UBSan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "shared_models.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/json.h"
#include "core/rng.h"
#include "import/flatbuf.h"
#include "import/tflite.h"
#include "tflite_builder.h"

static size_t count_op(const tfg_tfl_subgraph *g, int32_t code)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_ops; i++)
        n += g->ops[i].builtin == code;
    return n;
}

/* Every op's constant inputs hold exactly shape product x element size bytes. */
static void check_constant_sizes(const tfg_tflite *m)
{
    const tfg_tfl_subgraph *g = &m->subgraphs[0];
    size_t n_const = 0;
    for (size_t i = 0; i < g->n_ops; i++)
        for (size_t k = 0; k < g->ops[i].n_inputs; k++) {
            int32_t t = g->ops[i].inputs[k];
            if (t < 0)
                continue;
            const tfg_tfl_tensor *x = &g->tensors[t];
            const tfg_tfl_buffer *b = &m->buffers[x->buffer];
            if (!b->len)
                continue;
            n_const++;
            size_t elem = tfg_tflite_type_bits(x->type) / 8;
            CHECK_INT(b->len, (size_t)x->elems * elem);
            CHECK(b->data >= m->file && b->data + b->len <= m->file + m->file_len);
        }
    CHECK(n_const > 0);
}

/* "[1,25,5,64]" */
static void shape_text(const tfg_tfl_tensor *x, char *dst, size_t n)
{
    size_t k = (size_t)snprintf(dst, n, "[");
    for (size_t d = 0; d < x->rank && k < n; d++)
        k += (size_t)snprintf(dst + k, n - k, "%s%d", d ? "," : "", (int)x->shape[d]);
    if (k < n)
        snprintf(dst + k, n - k, "]");
}

/* Each line of the TFLM dump's manifest.txt (op, op name, output tensor, its name, type,
 * shape, scale with its exact hex float, zero point) matches the model as read. */
static void check_manifest(const tfg_tflite *m, const char *rel)
{
    char *path = tfg_test_shared_model(rel), *text = NULL;
    size_t len, lines = 0;
    tfg_err err;
    if (!path)
        return;
    CHECK_INT(tfg_read_file(path, 1 << 20, &text, &len, &err), TFG_OK);
    const tfg_tfl_subgraph *g = &m->subgraphs[0];
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        size_t op;
        int t;
        long long zp;
        char opname[64], name[1024], type[32], shape[128], scale[128], want[128];
        if (sscanf(line, "%zu %63s %d %1023s %31s %127s %127s %lld", &op, opname, &t, name,
                   type, shape, scale, &zp) != 8 || op >= g->n_ops || t < 0 ||
            (size_t)t >= g->n_tensors) {
            CHECK_MSG(0, "bad manifest line: %s", line);
            continue;
        }
        lines++;
        const tfg_tfl_tensor *x = &g->tensors[t];
        CHECK_STR(tfg_tflite_op_name(g->ops[op].builtin), opname);
        CHECK_INT(g->ops[op].outputs[0], t);
        CHECK_STR(x->name, name);
        CHECK_STR(tfg_tflite_type_name(x->type), type);
        shape_text(x, want, sizeof want);
        CHECK_STR(want, shape);
        const char *hex = strchr(scale, '(');
        CHECK(hex && x->n_scale == 1);
        if (hex && x->n_scale == 1)
            CHECK(x->scale[0] == strtof(hex + 1, NULL)); /* bit-exact float32 */
        CHECK(x->n_zero_point == 1 && x->zero_point[0] == zp);
    }
    CHECK_INT(lines, g->n_ops);
    free(text);
    free(path);
}

static void test_kws(void)
{
    char *path = tfg_test_shared_model("kws/kws_ref_model.tflite");
    if (!path)
        return;
    tfg_tflite m;
    tfg_err err;
    tfg_err_clear(&err);
    CHECK_INT(tfg_tflite_read(path, &m, &err), TFG_OK);
    if (err.code) {
        printf("%s\n", err.msg);
        free(path);
        return;
    }
    CHECK_INT(m.version, 3);
    CHECK_INT(m.file_len, 53936);
    CHECK_INT(m.n_subgraphs, 1);
    const tfg_tfl_subgraph *g = &m.subgraphs[0];
    static const int32_t order[] = {3, 4, 3, 4, 3, 4, 3, 4, 3, 1, 22, 9, 25};
    CHECK_INT(g->n_ops, 13);
    for (size_t i = 0; i < 13 && i < g->n_ops; i++) {
        CHECK_INT(g->ops[i].builtin, order[i]);
        CHECK(g->ops[i].supported);
    }
    CHECK_INT(count_op(g, TFG_TFL_CONV_2D), 5);
    CHECK_INT(count_op(g, TFG_TFL_DEPTHWISE_CONV_2D), 4);
    CHECK_STR(tfg_tflite_op_name(g->ops[9].builtin), "AVERAGE_POOL_2D");
    CHECK_INT(tfg_tflite_check_supported(&m, &err), TFG_OK);

    CHECK_INT(g->n_inputs, 1);
    CHECK_INT(g->n_outputs, 1);
    const tfg_tfl_tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
    CHECK_INT(in->type, TFG_TFL_INT8);
    CHECK_INT(in->rank, 4);
    CHECK(in->rank == 4 && in->shape[0] == 1 && in->shape[1] == 49 && in->shape[2] == 10 &&
          in->shape[3] == 1);
    CHECK_INT(in->bytes, 490);
    CHECK_INT(in->n_scale, 1);
    CHECK_NEAR(in->scale[0], 0.584702909, 1e-9);
    CHECK_INT(in->zero_point[0], 83);
    CHECK_INT(out->rank, 2);
    CHECK(out->rank == 2 && out->shape[0] == 1 && out->shape[1] == 12);
    CHECK_NEAR(out->scale[0], 0.00390625, 0);
    CHECK_INT(out->zero_point[0], -128);

    /* weights: conv per-channel along axis 0, depthwise along axis 3 (README) */
    const tfg_tfl_op *conv = &g->ops[0], *dw = &g->ops[1];
    const tfg_tfl_tensor *cw = &g->tensors[conv->inputs[1]], *dww = &g->tensors[dw->inputs[1]];
    CHECK_INT(cw->quantized_dimension, 0);
    CHECK_INT(cw->n_scale, cw->shape[0]);
    CHECK(cw->n_scale > 1);
    CHECK_INT(dww->quantized_dimension, 3);
    CHECK_INT(dww->n_scale, dww->shape[3]);
    CHECK_INT(g->tensors[conv->inputs[2]].type, TFG_TFL_INT32); /* bias */
    CHECK(conv->opt.stride_w >= 1 && conv->opt.stride_h >= 1);
    CHECK_INT(conv->opt.dilation_w, 1);
    CHECK(dw->opt.depth_multiplier >= 1);
    CHECK(g->ops[9].opt.filter_w > 1 && g->ops[9].opt.filter_h > 1);
    const tfg_tfl_tensor *fcw = &g->tensors[g->ops[11].inputs[1]];
    CHECK_INT(fcw->n_scale, 1); /* per-tensor */
    check_constant_sizes(&m);
    check_manifest(&m, "kws/intermediates/000/manifest.txt");

    json_t *d = tfg_tflite_describe(&m);
    json_t *ops = json_object_get(json_array_get(json_object_get(d, "subgraphs"), 0), "ops");
    CHECK_INT(json_array_size(ops), 13);
    CHECK_STR(json_string_value(json_object_get(json_array_get(ops, 12), "op")), "SOFTMAX");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(d, "op_counts"), "CONV_2D")), 5);
    CHECK_INT(json_integer_value(json_object_get(d, "unsupported_ops")), 0);
    json_t *tensors =
        json_object_get(json_array_get(json_object_get(d, "subgraphs"), 0), "tensors");
    json_t *jin = json_array_get(tensors, (size_t)g->inputs[0]);
    CHECK_INT(json_integer_value(json_object_get(jin, "bytes")), 490);
    CHECK_INT(json_integer_value(json_array_get(json_object_get(jin, "zero_point"), 0)), 83);
    CHECK_STR(json_string_value(json_object_get(jin, "type")), "INT8");
    char *text = tfg_json_pretty(d);
    CHECK(text && strstr(text, "\"DEPTHWISE_CONV_2D\""));
    free(text);
    json_decref(d);
    tfg_tflite_free(&m);
    free(path);
}

static void test_ad(void)
{
    char *path = tfg_test_shared_model("ad/ad01_int8.tflite");
    if (!path)
        return;
    tfg_tflite m;
    tfg_err err;
    tfg_err_clear(&err);
    CHECK_INT(tfg_tflite_read(path, &m, &err), TFG_OK);
    if (err.code) {
        printf("%s\n", err.msg);
        free(path);
        return;
    }
    CHECK_INT(m.file_len, 276976);
    const tfg_tfl_subgraph *g = &m.subgraphs[0];
    CHECK_INT(g->n_ops, 10);
    CHECK_INT(count_op(g, TFG_TFL_FULLY_CONNECTED), 10);
    const tfg_tfl_tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
    CHECK(in->rank == 2 && in->shape[1] == 640 && out->rank == 2 && out->shape[1] == 640);
    CHECK_NEAR(in->scale[0], 0.391015232, 1e-9);
    CHECK_INT(in->zero_point[0], 89);
    CHECK_NEAR(out->scale[0], 0.364498466, 1e-9);
    CHECK_INT(out->zero_point[0], 96);
    /* "fused ReLU" on every layer but the last, which outputs the reconstruction */
    for (size_t i = 0; i < g->n_ops; i++)
        CHECK_INT(g->ops[i].opt.activation, i + 1 < g->n_ops ? TFG_TFL_ACT_RELU
                                                               : TFG_TFL_ACT_NONE);
    check_constant_sizes(&m);
    check_manifest(&m, "ad/intermediates/000/manifest.txt");
    CHECK_INT(tfg_tflite_check_supported(&m, &err), TFG_OK);
    tfg_tflite_free(&m);
    free(path);
}

/* ---- built models ----------------------------------------------------------------- */

/* conv 3x3/2 SAME RELU6 -> max pool 2x2/2 VALID -> reshape [1,16] -> softmax beta 1. */
static void small_model(tb_model *m)
{
    memset(m, 0, sizeof *m);
    m->n_opcodes = 4;
    m->opcodes[0].code = TFG_TFL_CONV_2D;
    m->opcodes[1].code = TFG_TFL_MAX_POOL_2D;
    m->opcodes[2].code = TFG_TFL_RESHAPE;
    m->opcodes[3].code = TFG_TFL_SOFTMAX;
    m->n_buffers = 3;
    m->buffer_len[1] = 72;
    m->buffer_len[2] = 16;
    m->n_tensors = 7;
    m->tensors[0] = (tb_tensor){"input", TFG_TFL_INT8, 4, {1, 8, 8, 2}, 0, 1, {0.5f}, {-1}, 0};
    m->tensors[1] = (tb_tensor){"w", TFG_TFL_INT8, 4, {4, 3, 3, 2}, 1, 4,
                                {0.1f, 0.2f, 0.3f, 0.4f}, {0, 0, 0, 0}, 0};
    m->tensors[2] = (tb_tensor){"b", TFG_TFL_INT32, 1, {4}, 2, 0, {0}, {0}, 0};
    m->tensors[3] = (tb_tensor){"conv", TFG_TFL_INT8, 4, {1, 4, 4, 4}, 0, 1, {0.25f}, {5}, 0};
    m->tensors[4] = (tb_tensor){"pool", TFG_TFL_INT8, 4, {1, 2, 2, 4}, 0, 1, {0.25f}, {5}, 0};
    m->tensors[5] = (tb_tensor){"flat", TFG_TFL_INT8, 2, {1, 16}, 0, 1, {0.25f}, {5}, 0};
    m->tensors[6] = (tb_tensor){"prob", TFG_TFL_INT8, 2, {1, 16}, 0, 1, {1.0f / 256}, {-128}, 0};
    m->n_ops = 4;
    tb_op *o = &m->ops[0];
    *o = (tb_op){.opcode = 0, .n_in = 3, .n_out = 1, .in = {0, 1, 2}, .out = {3}, .opt_type = 1};
    tb_field(&o->opt, 0, 1, 0); /* SAME */
    tb_field(&o->opt, 1, 4, 2);
    tb_field(&o->opt, 2, 4, 2);
    tb_field(&o->opt, 3, 1, TFG_TFL_ACT_RELU6);
    o = &m->ops[1];
    *o = (tb_op){.opcode = 1, .n_in = 1, .n_out = 1, .in = {3}, .out = {4}, .opt_type = 5};
    tb_field(&o->opt, 0, 1, 1); /* VALID */
    tb_field(&o->opt, 1, 4, 2);
    tb_field(&o->opt, 2, 4, 2);
    tb_field(&o->opt, 3, 4, 2);
    tb_field(&o->opt, 4, 4, 3);
    o = &m->ops[2];
    *o = (tb_op){.opcode = 2, .n_in = 1, .n_out = 1, .in = {4}, .out = {5}, .opt_type = 17,
                 .n_new_shape = 2, .new_shape = {1, 16}};
    o = &m->ops[3];
    *o = (tb_op){.opcode = 3, .n_in = 1, .n_out = 1, .in = {5}, .out = {6}, .opt_type = 9};
    tb_field(&o->opt, 0, 4, 0x3f800000u); /* 1.0f */
    m->n_in = m->n_out = 1;
    m->in[0] = 0;
    m->out[0] = 6;
}

/* Test hook: with TFG_TFLITE_WRITE_SEEDS=dir, writes a built model there as a fuzz seed
 * (that is how tests/fuzz/seeds_fuzz_tflite/{small,mixed}.tflite were made). */
static void write_seed(const tb_model *bm, const char *name)
{
    const char *dir = getenv("TFG_TFLITE_WRITE_SEEDS");
    if (!dir)
        return;
    size_t len;
    tfg_err err;
    uint8_t *bytes = tb_write_model(bm, &len);
    char *path = tfg_path_join(dir, name);
    CHECK_INT(tfg_write_atomic(path, bytes, len, &err), TFG_OK);
    free(path);
    free(bytes);
}

/* Writes and parses m; returns the status, leaving the message in err. */
static tfg_status parse_built(const tb_model *bm, tfg_tflite *m, tfg_err *err)
{
    size_t len;
    uint8_t *bytes = tb_write_model(bm, &len);
    tfg_err_clear(err);
    tfg_status s = tfg_tflite_parse(bytes, len, "small.tflite", m, err);
    free(bytes);
    return s;
}

static void test_small(void)
{
    tb_model bm;
    tfg_tflite m;
    tfg_err err;
    small_model(&bm);
    CHECK_INT(parse_built(&bm, &m, &err), TFG_OK);
    if (err.code) {
        printf("%s\n", err.msg);
        return;
    }
    const tfg_tfl_subgraph *g = &m.subgraphs[0];
    CHECK_STR(g->name, "main");
    CHECK_INT(g->n_tensors, 7);
    CHECK_STR(g->tensors[1].name, "w");
    CHECK_INT(g->tensors[1].n_scale, 4);
    CHECK_NEAR(g->tensors[1].scale[3], 0.4f, 0);
    CHECK_INT(g->tensors[0].zero_point[0], -1);
    CHECK_INT(m.buffers[1].len, 72);
    CHECK_INT(m.buffers[1].data[1], 8);
    const tfg_tfl_options *c = &g->ops[0].opt, *p = &g->ops[1].opt;
    CHECK_INT(c->padding, TFG_TFL_PAD_SAME);
    CHECK_INT(c->stride_w, 2);
    CHECK_INT(c->activation, TFG_TFL_ACT_RELU6);
    CHECK_INT(c->dilation_w, 1); /* absent: schema default */
    CHECK_INT(p->padding, TFG_TFL_PAD_VALID);
    CHECK_INT(p->filter_w, 2);
    CHECK_INT(p->filter_h, 3);
    CHECK_INT(g->ops[2].opt.n_new_shape, 2);
    CHECK_INT(g->ops[2].opt.new_shape[1], 16);
    CHECK_NEAR(g->ops[3].opt.beta, 1.0, 0);
    json_t *d = tfg_tflite_describe(&m);
    json_t *op0 = json_array_get(
        json_object_get(json_array_get(json_object_get(d, "subgraphs"), 0), "ops"), 0);
    json_t *opt = json_object_get(op0, "options");
    CHECK_STR(json_string_value(json_object_get(opt, "activation")), "RELU6");
    CHECK_STR(json_string_value(json_object_get(opt, "padding")), "SAME");
    json_decref(d);
    tfg_tflite_free(&m);
    write_seed(&bm, "small.tflite");
}

/* quantize -> depthwise 3x3 (dilation 2, RELU) -> average pool 4x4 -> fully connected
 * (keep_num_dims) -> add (RELU_N1_TO_1) -> logistic -> tanh -> dequantize: the rest of
 * the supported op set and its options. */
static void mixed_model(tb_model *m)
{
    static const int32_t codes[] = {TFG_TFL_QUANTIZE, TFG_TFL_DEPTHWISE_CONV_2D,
                                    TFG_TFL_AVERAGE_POOL_2D, TFG_TFL_FULLY_CONNECTED,
                                    TFG_TFL_ADD, TFG_TFL_LOGISTIC, TFG_TFL_TANH,
                                    TFG_TFL_DEQUANTIZE};
    memset(m, 0, sizeof *m);
    m->n_opcodes = m->n_ops = 8;
    for (int i = 0; i < 8; i++) {
        m->opcodes[i].code = codes[i];
        m->ops[i] = (tb_op){.opcode = (uint32_t)i, .n_in = 1, .n_out = 1, .in = {i + (i > 1) +
                            (i > 3)}, .out = {i + 1 + (i > 0) + (i > 2)}};
    }
    m->n_buffers = 3;
    m->buffer_len[1] = 18;
    m->buffer_len[2] = 6;
    m->n_tensors = 11;
    m->tensors[0] = (tb_tensor){"x", TFG_TFL_FLOAT32, 4, {1, 4, 4, 2}, 0, 0, {0}, {0}, 0};
    m->tensors[1] = (tb_tensor){"xq", TFG_TFL_INT8, 4, {1, 4, 4, 2}, 0, 1, {0.1f}, {3}, 0};
    m->tensors[2] = (tb_tensor){"dw_w", TFG_TFL_INT8, 4, {1, 3, 3, 2}, 1, 2, {0.5f, 0.25f},
                                {0, 0}, 3};
    m->tensors[3] = (tb_tensor){"dw", TFG_TFL_INT8, 4, {1, 4, 4, 2}, 0, 1, {0.1f}, {0}, 0};
    m->tensors[4] = (tb_tensor){"pool", TFG_TFL_INT8, 4, {1, 1, 1, 2}, 0, 1, {0.1f}, {0}, 0};
    m->tensors[5] = (tb_tensor){"fc_w", TFG_TFL_INT8, 2, {3, 2}, 2, 1, {0.02f}, {0}, 0};
    for (int i = 6; i < 10; i++)
        m->tensors[i] = (tb_tensor){"act", TFG_TFL_INT8, 2, {1, 3}, 0, 1, {0.05f}, {-2}, 0};
    m->tensors[10] = (tb_tensor){"y", TFG_TFL_FLOAT32, 2, {1, 3}, 0, 0, {0}, {0}, 0};
    /* quantize 0->1, dw 1,2->3, pool 3->4, fc 4,5->6, add 6,6->7, 7->8, 8->9, 9->10 */
    m->ops[1] = (tb_op){.opcode = 1, .n_in = 3, .n_out = 1, .in = {1, 2, -1}, .out = {3},
                        .opt_type = 2};
    tb_table_def *o = &m->ops[1].opt;
    tb_field(o, 1, 4, 1);
    tb_field(o, 2, 4, 1);
    tb_field(o, 3, 4, 1);
    tb_field(o, 4, 1, TFG_TFL_ACT_RELU);
    tb_field(o, 5, 4, 2);
    tb_field(o, 6, 4, 2);
    m->ops[2] = (tb_op){.opcode = 2, .n_in = 1, .n_out = 1, .in = {3}, .out = {4}, .opt_type = 5};
    o = &m->ops[2].opt;
    for (int f = 1; f <= 4; f++)
        tb_field(o, f, 4, 4);
    m->ops[3] = (tb_op){.opcode = 3, .n_in = 3, .n_out = 1, .in = {4, 5, -1}, .out = {6},
                        .opt_type = 8};
    tb_field(&m->ops[3].opt, 2, 1, 1); /* keep_num_dims */
    m->ops[4] = (tb_op){.opcode = 4, .n_in = 2, .n_out = 1, .in = {6, 6}, .out = {7},
                        .opt_type = 11};
    tb_field(&m->ops[4].opt, 0, 1, TFG_TFL_ACT_RELU_N1_TO_1);
    for (int i = 5; i < 8; i++)
        m->ops[i] = (tb_op){.opcode = (uint32_t)i, .n_in = 1, .n_out = 1, .in = {i + 2},
                            .out = {i + 3}};
    m->n_in = m->n_out = 1;
    m->in[0] = 0;
    m->out[0] = 10;
}

static void test_mixed(void)
{
    tb_model bm;
    tfg_tflite m;
    tfg_err err;
    mixed_model(&bm);
    CHECK_INT(parse_built(&bm, &m, &err), TFG_OK);
    if (err.code) {
        printf("%s\n", err.msg);
        return;
    }
    const tfg_tfl_subgraph *g = &m.subgraphs[0];
    CHECK_INT(g->n_ops, 8);
    CHECK_INT(g->ops[0].builtin, TFG_TFL_QUANTIZE);
    CHECK_INT(g->ops[0].inputs[0], 0);
    CHECK_INT(g->ops[0].outputs[0], 1);
    CHECK_INT(g->ops[7].builtin, TFG_TFL_DEQUANTIZE);
    CHECK_INT(g->ops[7].outputs[0], 10);
    const tfg_tfl_options *dw = &g->ops[1].opt, *pool = &g->ops[2].opt;
    CHECK_INT(dw->padding, TFG_TFL_PAD_SAME); /* absent: the default */
    CHECK_INT(dw->depth_multiplier, 1);
    CHECK_INT(dw->dilation_w, 2);
    CHECK_INT(dw->dilation_h, 2);
    CHECK_INT(dw->activation, TFG_TFL_ACT_RELU);
    CHECK_INT(g->ops[1].inputs[2], -1);
    CHECK_INT(pool->filter_w, 4);
    CHECK_INT(pool->stride_h, 4);
    CHECK(g->ops[3].opt.keep_num_dims);
    CHECK_INT(g->ops[4].opt.activation, TFG_TFL_ACT_RELU_N1_TO_1);
    CHECK_INT(g->tensors[2].quantized_dimension, 3);
    CHECK_INT(g->tensors[0].n_scale, 0);
    CHECK_INT(g->tensors[0].bytes, 128);
    CHECK_INT(tfg_tflite_check_supported(&m, &err), TFG_OK);
    json_t *d = tfg_tflite_describe(&m);
    json_t *ops = json_object_get(json_array_get(json_object_get(d, "subgraphs"), 0), "ops");
    json_t *o1 = json_object_get(json_array_get(ops, 1), "options");
    CHECK_INT(json_integer_value(json_object_get(o1, "depth_multiplier")), 1);
    CHECK_STR(json_string_value(json_object_get(o1, "padding")), "SAME");
    CHECK_STR(json_string_value(json_array_get(ops, 5) ? json_object_get(json_array_get(ops, 5),
                                "op") : NULL), "LOGISTIC");
    CHECK_INT(json_object_size(json_object_get(d, "op_counts")), 8);
    json_decref(d);
    tfg_tflite_free(&m);
    write_seed(&bm, "mixed.tflite");
}

static void test_opcodes(void)
{
    tb_model bm;
    tfg_tflite m;
    tfg_err err;
    small_model(&bm);
    bm.opcodes[3] = (tb_opcode){TFG_TFL_CUSTOM, "foo", 0};
    CHECK_INT(parse_built(&bm, &m, &err), TFG_OK); /* readable for inspect */
    CHECK(!m.subgraphs[0].ops[3].supported);
    CHECK_STR(m.opcodes[3].custom, "foo");
    CHECK_INT(tfg_tflite_check_supported(&m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "unsupported op CUSTOM 'foo' at operators[3]; supported: CONV_2D");
    CHECK_HAS(err.msg, "DEQUANTIZE");
    json_t *d = tfg_tflite_describe(&m);
    CHECK_INT(json_integer_value(json_object_get(d, "unsupported_ops")), 1);
    json_decref(d);
    tfg_tflite_free(&m);

    /* code >= 127 lives only in the int32 field; the int8 one says 127 */
    bm.opcodes[3] = (tb_opcode){150, NULL, 0};
    CHECK_INT(parse_built(&bm, &m, &err), TFG_OK);
    CHECK_INT(m.opcodes[3].builtin, 150);
    CHECK_INT(m.opcodes[3].deprecated_code, 127);
    CHECK_INT(tfg_tflite_check_supported(&m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "unsupported op GELU (builtin code 150) at operators[3]");
    tfg_tflite_free(&m);

    /* an old writer: only the int8 field */
    bm.opcodes[3] = (tb_opcode){TFG_TFL_SOFTMAX, NULL, 1};
    CHECK_INT(parse_built(&bm, &m, &err), TFG_OK);
    CHECK_INT(m.opcodes[3].builtin, TFG_TFL_SOFTMAX);
    CHECK_INT(m.opcodes[3].builtin_code, 0);
    CHECK(m.subgraphs[0].ops[3].supported);
    tfg_tflite_free(&m);

    size_t n_supported = 0;
    for (int32_t code = -1; code < 300; code++) {
        if (!tfg_tflite_op_supported(code))
            continue;
        n_supported++;
        CHECK_HAS(tfg_tflite_supported_list(), tfg_tflite_op_name(code));
    }
    CHECK_INT(n_supported, 12);
    CHECK(!tfg_tflite_op_supported(TFG_TFL_CUSTOM));
    CHECK_STR(tfg_tflite_op_name(TFG_TFL_QUANTIZE), "QUANTIZE");
    CHECK_STR(tfg_tflite_op_name(-3), "UNKNOWN");
    CHECK_STR(tfg_tflite_type_name(TFG_TFL_INT16), "INT16");
    CHECK_INT(tfg_tflite_type_bits(17), 4); /* INT4 */
}

/* One mutation of the small model that must fail with a message containing want. */
static void expect_bad(const tb_model *bm, const char *want)
{
    tfg_tflite m;
    tfg_err err;
    CHECK_INT(parse_built(bm, &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "small.tflite: offset ");
    CHECK_HAS(err.msg, want);
    CHECK(m.subgraphs == NULL && m.file == NULL);
    tfg_tflite_free(&m);
}

static void test_semantic_errors(void)
{
    tb_model bm;
    small_model(&bm);
    bm.ops[1].in[0] = 99;
    expect_bad(&bm, "operators[1] inputs[0] names tensor 99, but the subgraph has 7 tensors");

    small_model(&bm);
    bm.ops[0].in[2] = -1; /* an optional input left out is fine */
    tfg_tflite m;
    tfg_err err;
    CHECK_INT(parse_built(&bm, &m, &err), TFG_OK);
    tfg_tflite_free(&m);
    bm.ops[0].out[0] = -1; /* but an output must exist */
    expect_bad(&bm, "operators[0] outputs[0] names tensor -1");

    small_model(&bm);
    bm.tensors[2].buffer = 7;
    expect_bad(&bm, "tensor 2 names buffer 7, but the model has 3 buffers");

    small_model(&bm);
    bm.buffer_len[1] = 70;
    expect_bad(&bm, "tensor 1 has 70 bytes of data in buffer 1, but 72 elements of INT8 need 72");

    small_model(&bm);
    bm.tensors[3].shape[1] = 65536;
    bm.tensors[3].shape[2] = 65536;
    expect_bad(&bm, "tensor 3 shape has 2^31 or more elements");

    small_model(&bm);
    bm.tensors[3].shape[1] = -1;
    expect_bad(&bm, "tensor 3 shape[1] is -1");

    small_model(&bm); /* a zero dimension divided prep_conv by zero (issue 22) */
    bm.tensors[0].shape[3] = 0;
    expect_bad(&bm, "tensor 0 shape[3] is 0, expected a size >= 1");

    small_model(&bm);
    bm.tensors[1].qdim = 3; /* 4 scales along a dimension of 2 */
    expect_bad(&bm, "tensor 1 quantization has 4 per-channel scales along dimension 3");

    small_model(&bm);
    tb_field(&bm.ops[0].opt, 1, 4, 0);
    expect_bad(&bm, "operators[0] (CONV_2D) builtin options stride_w is 0, expected >= 1");

    small_model(&bm);
    bm.ops[0].opt_type = 5;
    expect_bad(&bm, "operators[0] (CONV_2D) builtin options have union type 5, expected 1");

    small_model(&bm);
    tb_field(&bm.ops[1].opt, 0, 1, 2);
    expect_bad(&bm, "padding is 2, expected 0 (SAME) or 1 (VALID)");

    small_model(&bm);
    bm.ops[2].opcode = 4;
    expect_bad(&bm, "operators[2] names operator code 4, but the model has 4");
}

/* A model whose one subgraph lists n tensors that all share one tensor table (with a
 * name of name_len bytes): legal FlatBuffers, absurd as a model. */
static uint8_t *shared_tensors(size_t n, size_t name_len, size_t *len)
{
    tb_w w = {0};
    tb_grow(&w, 8);
    memcpy(w.d + 4, "TFL3", 4);
    tb_table_def root = {0}, sg = {0}, t = {0};
    tb_field(&root, 0, 4, 3);
    tb_field(&root, 2, 4, 0);
    tb_patch(&w, 0, tb_table(&w, &root));
    size_t sgv = tb_vec(&w, 4, 1, NULL);
    tb_patch(&w, root.pos[2], sgv);
    tb_field(&sg, 0, 4, 0);
    tb_patch(&w, sgv + 4, tb_table(&w, &sg));
    size_t tv = tb_vec(&w, 4, n, NULL);
    tb_patch(&w, sg.pos[0], tv);
    tb_field(&t, 1, 1, TFG_TFL_INT8);
    tb_field(&t, 3, 4, 0);
    size_t T = tb_table(&w, &t);
    char *name = tfg_xmalloc(name_len + 1);
    memset(name, 'x', name_len);
    name[name_len] = '\0';
    tb_patch(&w, t.pos[3], tb_str(&w, name));
    free(name);
    for (size_t i = 0; i < n; i++)
        tb_patch(&w, tv + 4 + 4 * i, T);
    *len = w.len;
    return w.d;
}

static void test_absurd_sizes(void)
{
    size_t len;
    tfg_tflite m;
    tfg_err err;
    uint8_t *b = shared_tensors(1000, 10, &len);
    CHECK_INT(tfg_tflite_parse(b, len, "shared.tflite", &m, &err), TFG_OK);
    CHECK_INT(m.subgraphs[0].n_tensors, 1000);
    CHECK_INT(m.subgraphs[0].tensors[999].rank, 0);
    CHECK_INT(m.subgraphs[0].tensors[999].elems, 1);
    tfg_tflite_free(&m);
    free(b);

    b = shared_tensors(TFG_TFL_MAX_COUNT + 1, 1, &len);
    CHECK_INT(tfg_tflite_parse(b, len, "many.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "many.tflite: offset ");
    CHECK_HAS(err.msg, "tensors has 100001 entries, more than 100000");
    free(b);

    /* 50000 tensors x a shared 100 KB name would decode to 5 GB from 300 KB */
    b = shared_tensors(50000, 100000, &len);
    CHECK_INT(tfg_tflite_parse(b, len, "bomb.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "offset ");
    CHECK_HAS(err.msg, "larger than 4 times the file");
    free(b);
}

/* Finds tensor ti of the small model with the flatbuf primitives themselves. */
static void find_tensor(const tfg_fb *fb, size_t ti, tfg_fb_table *t)
{
    tfg_fb_table root, sg;
    tfg_fb_vec v;
    bool present;
    tfg_err err;
    CHECK_INT(tfg_fb_root(fb, "TFL3", &root, &err), TFG_OK);
    CHECK_INT(tfg_fb_get_vec(fb, &root, 2, 4, "subgraphs", &v, &present, &err), TFG_OK);
    CHECK(present && v.n == 1);
    CHECK_INT(tfg_fb_vec_table(fb, &v, 0, "subgraph", &sg, &err), TFG_OK);
    CHECK_INT(tfg_fb_get_vec(fb, &sg, 0, 4, "tensors", &v, &present, &err), TFG_OK);
    CHECK_INT(tfg_fb_vec_table(fb, &v, ti, "tensor", t, &err), TFG_OK);
}

static void test_flatbuf(void)
{
    tb_model bm;
    size_t len;
    small_model(&bm);
    uint8_t *b = tb_write_model(&bm, &len);
    tb_w w = {b, len, len};
    tfg_fb fb;
    tfg_fb_init(&fb, b, len, "small.tflite");
    tfg_fb_table t;
    tfg_fb_vec v;
    bool present;
    tfg_err err;
    find_tensor(&fb, 3, &t);
    CHECK_INT(tfg_fb_get_vec(&fb, &t, 0, 4, "shape", &v, &present, &err), TFG_OK);
    CHECK_INT(v.n, 4);
    CHECK_INT(tfg_fb_vec_i32(&fb, &v, 2), 4);
    const char *s;
    size_t n;
    CHECK_INT(tfg_fb_get_str(&fb, &t, 3, "name", &s, &n, &present, &err), TFG_OK);
    CHECK(present && n == 4 && strcmp(s, "conv") == 0);
    int32_t x = 77;
    CHECK_INT(tfg_fb_get_i32(&fb, &t, 11, -5, &x, "beyond the vtable", &err), TFG_OK);
    CHECK_INT(x, -5); /* a field newer than the writer: the default */

    /* the length of tensor 3's shape vector runs past the end */
    size_t lenpos = v.pos - 4;
    tb_put(&w, lenpos, 1u << 30, 4);
    tfg_tflite m;
    CHECK_INT(tfg_tflite_parse(b, len, "small.tflite", &m, &err), TFG_EINPUT);
    char want[160];
    snprintf(want, sizeof want, "small.tflite: offset %zu: tensor 3 shape vector runs past the "
             "end of the file (length 1073741824 at %zu, file is %zu bytes)", v.ref, lenpos, len);
    CHECK_STR(err.msg, want);
    tb_put(&w, lenpos, 4, 4);

    /* its name loses the NUL */
    size_t spos = (size_t)((const uint8_t *)s - b);
    b[spos + 4] = 'x';
    CHECK_INT(tfg_tflite_parse(b, len, "small.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "tensor 3 name string at");
    CHECK_HAS(err.msg, "is not NUL-terminated");
    b[spos + 4] = 0;

    /* the shape reference moves off 4-byte alignment */
    size_t ref = v.ref;
    tb_put(&w, ref, tfg_fb_le32(b + ref) + 1, 4);
    CHECK_INT(tfg_tflite_parse(b, len, "small.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "tensor 3 shape vector at");
    CHECK_HAS(err.msg, "is not 4-byte aligned");
    tb_put(&w, ref, tfg_fb_le32(b + ref) - 1, 4);

    /* the vtable puts the shape field beyond the table's end */
    uint16_t fo = tfg_fb_le16(b + t.vt + 4);
    tb_put(&w, t.vt + 4, t.obj_size, 2);
    CHECK_INT(tfg_tflite_parse(b, len, "small.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "lies outside its table");
    tb_put(&w, t.vt + 4, fo, 2);

    /* the table's soffset sends its vtable before the file */
    tb_put(&w, t.pos, (uint32_t)(t.pos + 8), 4);
    CHECK_INT(tfg_tflite_parse(b, len, "small.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "has its vtable at -8");
    tb_put(&w, t.pos, (uint32_t)(t.pos - t.vt), 4);

    CHECK_INT(tfg_tflite_parse(b, len, "small.tflite", &m, &err), TFG_OK); /* all undone */
    tfg_tflite_free(&m);
    free(b);

    CHECK_STR(tfg_tflite_op_name(133), "IMAG");
    CHECK_STR(tfg_tflite_op_name(127), "PLACEHOLDER_FOR_GREATER_OP_CODES");
    CHECK_STR(tfg_tflite_op_name(209), "STABLEHLO_CASE");
    CHECK_STR(tfg_tflite_op_name(210), "UNKNOWN");
}

/* ---- corruption corpus ------------------------------------------------------------ */

/* Parses a corrupted copy: it must either be read (the flip hit weights or padding) or
 * be refused as input naming an offset. Returns 1 when refused. */
static int parse_corrupt(const uint8_t *d, size_t n, const char *what, size_t at)
{
    tfg_tflite m;
    tfg_err err;
    tfg_err_clear(&err);
    tfg_status s = tfg_tflite_parse(d, n, "kws.tflite", &m, &err);
    if (s == TFG_OK) {
        json_t *j = tfg_tflite_describe(&m); /* what inspect would do with it */
        CHECK(j != NULL);
        json_decref(j);
        tfg_tflite_check_supported(&m, &err);
        tfg_tflite_free(&m);
        return 0;
    }
    CHECK_MSG(s == TFG_EINPUT && strstr(err.msg, "offset "), "%s %zu: status %d: %s", what, at,
              (int)s, err.msg);
    CHECK(m.file == NULL && m.subgraphs == NULL);
    return 1;
}

static uint8_t *load_kws(size_t *len)
{
    char *path = tfg_test_shared_model("kws/kws_ref_model.tflite");
    char *buf = NULL;
    tfg_err err;
    if (path && tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, len, &err) != TFG_OK)
        buf = NULL;
    free(path);
    return (uint8_t *)buf;
}

static void test_truncation(void)
{
    size_t len;
    uint8_t *d = load_kws(&len);
    if (!d)
        return;
    size_t refused = 0, tried = 0;
    for (size_t n = 0; n < len; n += 7, tried++)
        refused += (size_t)parse_corrupt(d, n, "truncated at", n);
    /* The FlatBuffer is written back to front, so its last bytes belong to objects the
     * model refers to: every cut must be noticed. */
    CHECK_INT(refused, tried);
    tfg_err err;
    tfg_tflite m;
    CHECK_INT(tfg_tflite_parse(d, 53930, "kws.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "file is 53930 bytes");
    CHECK_INT(tfg_tflite_parse(d, 3, "kws.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "too short");
    free(d);
}

static void test_bit_flips(void)
{
    size_t len;
    uint8_t *d = load_kws(&len);
    if (!d)
        return;
    uint8_t *c = tfg_xmalloc(len);
    tfg_rng r;
    tfg_rng_seed(&r, 20261125);
    size_t refused = 0;
    for (int i = 0; i < 2000; i++) {
        memcpy(c, d, len);
        /* Half the flips land in the first 4 KB where the tables are; weights are most
         * of the rest of the file and a flip there is harmless. */
        size_t span = (i % 2) ? len : (len < 4096 ? len : 4096);
        size_t at = (size_t)tfg_rng_below(&r, span);
        c[at] ^= (uint8_t)(1u << tfg_rng_below(&r, 8));
        refused += (size_t)parse_corrupt(c, len, "bit flip at", at);
    }
    CHECK(refused > 50); /* the corpus does exercise the error paths */
    printf("bit flips: %zu of 2000 refused\n", refused);
    free(c);
    free(d);
}

static void test_bad_offsets(void)
{
    size_t len;
    uint8_t *d = load_kws(&len);
    if (!d)
        return;
    uint8_t *c = tfg_xmalloc(len);
    tfg_tflite m;
    tfg_err err;

    memcpy(c, d, len);
    memcpy(c + 4, "ABCD", 4);
    CHECK_INT(tfg_tflite_parse(c, len, "kws.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "kws.tflite: offset 4: not a TFLite model: file identifier is 'ABCD', "
                       "expected 'TFL3'");

    memcpy(c, d, len);
    tb_w w = {c, len, len};
    tb_put(&w, 0, 0xfffffff0u, 4); /* root offset outside */
    CHECK_INT(tfg_tflite_parse(c, len, "kws.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "offset 0: the root table offset points outside the file");

    /* the root table's vtable claims a huge size */
    memcpy(c, d, len);
    size_t root = tfg_fb_le32(c);
    size_t vt = (size_t)((int64_t)root - (int32_t)tfg_fb_le32(c + root));
    tb_put(&w, vt, 0xfffe, 2);
    CHECK_INT(tfg_tflite_parse(c, len, "kws.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "vtable claims 65534 bytes");
    CHECK_HAS(err.msg, "offset ");

    /* and a huge object size */
    memcpy(c, d, len);
    tb_put(&w, vt + 2, 0xfffc, 2);
    CHECK_INT(tfg_tflite_parse(c, len, "kws.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "claims 65532 bytes");

    memcpy(c, d, len);
    size_t vfo = tfg_fb_le16(d + vt + 4); /* version: field 0 */
    CHECK(vfo != 0);
    tb_put(&w, root + vfo, 4, 4);
    CHECK_INT(tfg_tflite_parse(c, len, "kws.tflite", &m, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "schema version is 4, expected 3");

    /* each reference the reader follows from the root (operator_codes, subgraphs,
     * description, buffers: fields 1..4) in turn points far away */
    size_t vts = tfg_fb_le16(d + vt);
    for (size_t slot = 6; slot <= 12 && slot + 2 <= vts; slot += 2) {
        memcpy(c, d, len);
        size_t fo = tfg_fb_le16(d + vt + slot);
        if (!fo)
            continue;
        tb_put(&w, root + fo, 0x7ffffff0u, 4);
        CHECK_INT(tfg_tflite_parse(c, len, "kws.tflite", &m, &err), TFG_EINPUT);
        CHECK_HAS(err.msg, "offset ");
        tfg_tflite_free(&m);
    }
    free(c);
    free(d);
}

TFG_TEST_MAIN(test_kws, test_ad, test_small, test_mixed, test_flatbuf, test_opcodes, test_semantic_errors,
              test_absurd_sizes, test_truncation, test_bit_flips, test_bad_offsets)
