/* test_tflite_write.c — the .tflite writer (import/tflite_write.c) against the reader.
 *
 * The writer is right when the reader (tflite.c, tested on its own) gets back what was
 * written and TFLM-exact inference still holds. So: the two MLPerf Tiny reference models
 * of ../shared/models are read, written and read again, and everything tfg_tflite holds
 * must match (op codes, versions, options; tensor names, shapes, types, buffers,
 * quantization bit for bit; buffer bytes), the bytes must be the same on a second write
 * and on writing the re-read model, constant data must start 16-byte aligned, and the
 * rewritten model must give exactly TFLM's outputs/NNN.bin for every inputs/NNN.bin.
 * A hand-built model carries every supported op's options with non-default values plus
 * a CUSTOM op and a builtin code above 127. Then the refusals (TFG_EINPUT naming the
 * culprit) and tfg_tflite_save. The shared models are skipped with a note when absent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/io.h"
#include "lower/invoke.h"
#include "import/tflite.h"
#include "import/tflite_write.h"
#include "shared_models.h"

/* ---- comparing two models --------------------------------------------------------- */

static bool same_i32(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (!na || memcmp(a, b, na * sizeof *a) == 0);
}

static void compare_opts(const char *w, const tfg_tfl_options *a, const tfg_tfl_options *b)
{
    CHECK_MSG(a->type == b->type, "%s options type %u vs %u", w, a->type, b->type);
    CHECK_MSG(a->padding == b->padding && a->stride_w == b->stride_w &&
                  a->stride_h == b->stride_h && a->dilation_w == b->dilation_w &&
                  a->dilation_h == b->dilation_h && a->depth_multiplier == b->depth_multiplier &&
                  a->filter_w == b->filter_w && a->filter_h == b->filter_h &&
                  a->activation == b->activation,
              "%s: padding/stride/dilation/depth/filter/activation differ", w);
    CHECK_MSG(memcmp(&a->beta, &b->beta, sizeof a->beta) == 0, "%s beta %g vs %g", w,
              (double)a->beta, (double)b->beta);
    CHECK_MSG(a->keep_num_dims == b->keep_num_dims && a->weights_format == b->weights_format,
              "%s: fully connected options differ", w);
    CHECK_MSG(same_i32(a->new_shape, a->n_new_shape, b->new_shape, b->n_new_shape),
              "%s: new_shape differs", w);
    CHECK_MSG((a->new_shape == NULL) == (b->new_shape == NULL), "%s: new_shape presence", w);
}

static void compare_tensor(size_t i, const tfg_tfl_tensor *a, const tfg_tfl_tensor *b)
{
    CHECK_MSG(strcmp(a->name, b->name) == 0, "tensor %zu name %s vs %s", i, a->name, b->name);
    CHECK_MSG(a->type == b->type, "tensor %zu type %d vs %d", i, a->type, b->type);
    CHECK_MSG(same_i32(a->shape, a->rank, b->shape, b->rank), "tensor %zu shape", i);
    CHECK_MSG(a->buffer == b->buffer, "tensor %zu buffer %u vs %u", i, a->buffer, b->buffer);
    CHECK_MSG(a->is_variable == b->is_variable, "tensor %zu is_variable", i);
    CHECK_MSG(a->n_scale == b->n_scale && a->n_zero_point == b->n_zero_point,
              "tensor %zu quantization counts", i);
    if (a->n_scale == b->n_scale && a->n_scale)
        CHECK_MSG(memcmp(a->scale, b->scale, a->n_scale * sizeof *a->scale) == 0,
                  "tensor %zu scales differ in some bit", i);
    if (a->n_zero_point == b->n_zero_point && a->n_zero_point)
        CHECK_MSG(memcmp(a->zero_point, b->zero_point, a->n_zero_point * 8) == 0,
                  "tensor %zu zero points", i);
    CHECK_MSG(a->quantized_dimension == b->quantized_dimension, "tensor %zu qdim", i);
}

static void compare_op(size_t i, const tfg_tfl_op *a, const tfg_tfl_op *b)
{
    char w[48];
    snprintf(w, sizeof w, "operators[%zu]", i);
    CHECK_MSG(a->opcode_index == b->opcode_index && a->builtin == b->builtin, "%s code", w);
    CHECK_MSG(a->supported == b->supported, "%s supported", w);
    CHECK_MSG(same_i32(a->inputs, a->n_inputs, b->inputs, b->n_inputs), "%s inputs", w);
    CHECK_MSG(same_i32(a->outputs, a->n_outputs, b->outputs, b->n_outputs), "%s outputs", w);
    compare_opts(w, &a->opt, &b->opt);
}

static void compare_models(const tfg_tflite *a, const tfg_tflite *b)
{
    CHECK_INT(b->version, 3);
    CHECK_STR(a->description, b->description);
    CHECK_INT(a->n_opcodes, b->n_opcodes);
    for (size_t i = 0; i < a->n_opcodes && i < b->n_opcodes; i++) {
        CHECK_INT(a->opcodes[i].builtin, b->opcodes[i].builtin);
        CHECK_INT(a->opcodes[i].version, b->opcodes[i].version);
        CHECK((a->opcodes[i].custom == NULL) == (b->opcodes[i].custom == NULL));
        if (a->opcodes[i].custom && b->opcodes[i].custom)
            CHECK_STR(a->opcodes[i].custom, b->opcodes[i].custom);
    }
    CHECK_INT(a->n_buffers, b->n_buffers);
    for (size_t i = 0; i < a->n_buffers && i < b->n_buffers; i++) {
        CHECK_MSG(a->buffers[i].len == b->buffers[i].len, "buffer %zu: %zu vs %zu bytes", i,
                  a->buffers[i].len, b->buffers[i].len);
        if (a->buffers[i].len == b->buffers[i].len && a->buffers[i].len)
            CHECK_MSG(memcmp(a->buffers[i].data, b->buffers[i].data, a->buffers[i].len) == 0,
                      "buffer %zu bytes differ", i);
    }
    CHECK_INT(a->n_subgraphs, b->n_subgraphs);
    for (size_t s = 0; s < a->n_subgraphs && s < b->n_subgraphs; s++) {
        const tfg_tfl_subgraph *ga = &a->subgraphs[s], *gb = &b->subgraphs[s];
        CHECK_STR(ga->name, gb->name);
        CHECK(same_i32(ga->inputs, ga->n_inputs, gb->inputs, gb->n_inputs));
        CHECK(same_i32(ga->outputs, ga->n_outputs, gb->outputs, gb->n_outputs));
        CHECK_INT(ga->n_tensors, gb->n_tensors);
        for (size_t i = 0; i < ga->n_tensors && i < gb->n_tensors; i++)
            compare_tensor(i, &ga->tensors[i], &gb->tensors[i]);
        CHECK_INT(ga->n_ops, gb->n_ops);
        for (size_t i = 0; i < ga->n_ops && i < gb->n_ops; i++)
            compare_op(i, &ga->ops[i], &gb->ops[i]);
    }
}

/* Writes m, reads it back into *back, checks it equals m and that writing it (and m
 * again) gives the same bytes. Returns the written bytes (caller frees) or NULL. */
static uint8_t *round_trip(const tfg_tflite *m, tfg_tflite *back, size_t *len)
{
    void *data, *again, *third;
    size_t n2, n3;
    tfg_err err;
    memset(back, 0, sizeof *back);
    CHECK_INT(tfg_tflite_write(m, &data, len, &err), TFG_OK);
    if (!data) {
        fprintf(stderr, "write: %s\n", err.msg);
        return NULL;
    }
    CHECK(memcmp(data, "\0\0\0\0TFL3", 8) != 0 && memcmp((uint8_t *)data + 4, "TFL3", 4) == 0);
    tfg_status st = tfg_tflite_parse(data, *len, "rewritten.tflite", back, &err);
    CHECK_MSG(st == TFG_OK, "re-read: %s", err.msg);
    if (st) {
        free(data);
        return NULL;
    }
    compare_models(m, back);
    CHECK_INT(tfg_tflite_write(m, &again, &n2, &err), TFG_OK);
    CHECK_INT(tfg_tflite_write(back, &third, &n3, &err), TFG_OK);
    CHECK(again && n2 == *len && memcmp(again, data, *len) == 0);
    CHECK(third && n3 == *len && memcmp(third, data, *len) == 0);
    free(again);
    free(third);
    return data;
}

/* ---- the reference models --------------------------------------------------------- */

/* Runs inputs/NNN.bin while they exist and compares with outputs/NNN.bin. */
static void check_outputs(const tfg_tflite *m, const char *dir)
{
    tfg_tflite_runner *r;
    tfg_err err;
    tfg_status st = tfg_tflite_runner_new(m, &r, &err);
    CHECK_MSG(st == TFG_OK, "runner: %s", err.msg);
    if (st)
        return;
    size_t n_out = tfg_tflite_runner_output_bytes(r), ran = 0, bad = 0;
    uint8_t *out = tfg_xmalloc(n_out);
    for (int k = 0; k < 1000; k++) {
        char *ip = tfg_xasprintf("%s/inputs/%03d.bin", dir, k);
        char *op = tfg_xasprintf("%s/outputs/%03d.bin", dir, k);
        char *in = NULL, *want = NULL;
        size_t in_len, want_len;
        bool have = tfg_exists(ip);
        if (have && !tfg_read_file(ip, 1 << 24, &in, &in_len, &err) &&
            !tfg_read_file(op, 1 << 24, &want, &want_len, &err)) {
            st = tfg_tflite_runner_invoke(r, in, in_len, out, n_out, &err);
            CHECK_MSG(st == TFG_OK, "%s: %s", ip, err.msg);
            if (st || want_len != n_out || memcmp(out, want, n_out) != 0)
                bad++;
            ran++;
        }
        free(in);
        free(want);
        free(ip);
        free(op);
        if (!have)
            break;
    }
    CHECK_MSG(ran > 0, "%s: no inputs ran", dir);
    CHECK_MSG(bad == 0, "%s: %zu of %zu outputs differ from TFLM's", dir, bad, ran);
    if (!bad)
        printf("%s: %zu inputs, rewritten model gives TFLM's outputs\n", dir, ran);
    free(out);
    tfg_tflite_runner_free(r);
}

static void check_reference(const char *folder, const char *file)
{
    char *rel = tfg_xasprintf("%s/%s", folder, file);
    char *path = tfg_test_shared_model(rel);
    free(rel);
    if (!path)
        return;
    tfg_tflite m, back;
    tfg_err err;
    tfg_status st = tfg_tflite_read(path, &m, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        size_t len;
        uint8_t *data = round_trip(&m, &back, &len);
        if (data) {
            for (size_t i = 1; i < back.n_buffers; i++)
                if (back.buffers[i].len)
                    CHECK_MSG(back.buffers[i].offset % 16 == 0, "buffer %zu at offset %zu", i,
                              back.buffers[i].offset);
            char *dir = tfg_path_dirname(path);
            check_outputs(&back, dir);
            free(dir);
        }
        free(data);
        tfg_tflite_free(&back);
    }
    tfg_tflite_free(&m);
    free(path);
}

static void test_reference_models(void)
{
    check_reference("kws", "kws_ref_model.tflite");
    check_reference("ad", "ad01_int8.tflite");
}

/* ---- a hand-built model with every supported op ------------------------------------ */

static int8_t weights[4 * 3 * 3 * 4];
static int32_t bias[4] = {100, -200, 300, -400};

static int32_t *ints(size_t n, const int32_t *v)
{
    int32_t *p = tfg_xcalloc(n ? n : 1, sizeof *p);
    memcpy(p, v, n * sizeof *p);
    return p;
}

static void set_tensor(tfg_tfl_tensor *x, const char *name, int32_t type, size_t rank,
                       const int32_t *shape, uint32_t buffer)
{
    x->name = tfg_xstrdup(name);
    x->type = type;
    x->rank = rank;
    x->shape = rank ? ints(rank, shape) : NULL;
    x->buffer = buffer;
}

static void set_quant(tfg_tfl_tensor *x, size_t n, const float *scale, const int64_t *zp,
                      int32_t dim)
{
    x->scale = tfg_xcalloc(n, sizeof *x->scale);
    x->zero_point = tfg_xcalloc(n, sizeof *x->zero_point);
    memcpy(x->scale, scale, n * sizeof *scale);
    memcpy(x->zero_point, zp, n * sizeof *zp);
    x->n_scale = x->n_zero_point = n;
    x->quantized_dimension = dim;
}

/* Operator codes in the order of the ops below; 150 is past the int8 field's range. */
static const int32_t codes[] = {
    TFG_TFL_CONV_2D, TFG_TFL_DEPTHWISE_CONV_2D, TFG_TFL_AVERAGE_POOL_2D, TFG_TFL_MAX_POOL_2D,
    TFG_TFL_FULLY_CONNECTED, TFG_TFL_SOFTMAX, TFG_TFL_ADD, TFG_TFL_RESHAPE, TFG_TFL_LOGISTIC,
    TFG_TFL_TANH, TFG_TFL_QUANTIZE, TFG_TFL_DEQUANTIZE, TFG_TFL_CUSTOM, 150};
#define N_CODES (sizeof codes / sizeof codes[0])

/* Options with non-default values for op k (its code codes[k]); union type numbers from
 * schema.fbs, written out here independently of both reader and writer. */
static void set_options(size_t k, tfg_tfl_options *p)
{
    p->dilation_w = p->dilation_h = 1; /* the reader's defaults for every op */
    switch (codes[k]) {
    case TFG_TFL_CONV_2D:
        *p = (tfg_tfl_options){.type = 1, .padding = TFG_TFL_PAD_VALID, .stride_w = 2,
                               .stride_h = 3, .dilation_w = 2, .dilation_h = 3,
                               .activation = TFG_TFL_ACT_RELU};
        break;
    case TFG_TFL_DEPTHWISE_CONV_2D:
        *p = (tfg_tfl_options){.type = 2, .padding = TFG_TFL_PAD_SAME, .stride_w = 1,
                               .stride_h = 2, .depth_multiplier = 2, .dilation_w = 3,
                               .dilation_h = 1, .activation = TFG_TFL_ACT_RELU6};
        break;
    case TFG_TFL_AVERAGE_POOL_2D:
        *p = (tfg_tfl_options){.type = 5, .padding = TFG_TFL_PAD_VALID, .stride_w = 2,
                               .stride_h = 2, .filter_w = 3, .filter_h = 2, .dilation_w = 1,
                               .dilation_h = 1, .activation = TFG_TFL_ACT_RELU_N1_TO_1};
        break;
    case TFG_TFL_MAX_POOL_2D:
        *p = (tfg_tfl_options){.type = 5, .stride_w = 1, .stride_h = 4, .filter_w = 2,
                               .filter_h = 5, .dilation_w = 1, .dilation_h = 1,
                               .activation = TFG_TFL_ACT_TANH};
        break;
    case TFG_TFL_FULLY_CONNECTED:
        *p = (tfg_tfl_options){.type = 8, .activation = TFG_TFL_ACT_SIGN_BIT,
                               .weights_format = 1, .keep_num_dims = true, .dilation_w = 1,
                               .dilation_h = 1};
        break;
    case TFG_TFL_SOFTMAX:
        *p = (tfg_tfl_options){.type = 9, .beta = 0.3f, .dilation_w = 1, .dilation_h = 1};
        break;
    case TFG_TFL_ADD:
        *p = (tfg_tfl_options){.type = 11, .activation = TFG_TFL_ACT_RELU6, .dilation_w = 1,
                               .dilation_h = 1};
        break;
    case TFG_TFL_RESHAPE:
        p->type = 17;
        p->new_shape = ints(2, (const int32_t[]){1, -1});
        p->n_new_shape = 2;
        break;
    default:
        break;
    }
}

/* The hand model: tensors 0 input int8, 1 weights (per-channel), 2 bias, 3 output,
 * 4 a float variable; op k uses code k. The ops need not make a runnable graph. */
static void build_model(tfg_tflite *m)
{
    memset(m, 0, sizeof *m);
    m->name = tfg_xstrdup("hand.tflite");
    m->description = tfg_xstrdup("built by test_tflite_write");
    m->n_opcodes = N_CODES;
    m->opcodes = tfg_xcalloc(N_CODES, sizeof *m->opcodes);
    for (size_t k = 0; k < N_CODES; k++) {
        m->opcodes[k].builtin = codes[k];
        m->opcodes[k].version = (int32_t)(k % 3) + 1;
    }
    m->opcodes[12].custom = tfg_xstrdup("my_custom_op");
    for (size_t i = 0; i < sizeof weights; i++)
        weights[i] = (int8_t)(i * 37 + 5);
    m->n_buffers = 3;
    m->buffers = tfg_xcalloc(3, sizeof *m->buffers);
    m->buffers[1] = (tfg_tfl_buffer){(const uint8_t *)weights, sizeof weights, 0};
    m->buffers[2] = (tfg_tfl_buffer){(const uint8_t *)bias, sizeof bias, 0};
    m->n_subgraphs = 1;
    m->subgraphs = tfg_xcalloc(1, sizeof *m->subgraphs);
    tfg_tfl_subgraph *g = &m->subgraphs[0];
    g->name = tfg_xstrdup("main");
    g->n_tensors = 5;
    g->tensors = tfg_xcalloc(5, sizeof *g->tensors);
    set_tensor(&g->tensors[0], "input", TFG_TFL_INT8, 4, (const int32_t[]){1, 8, 8, 4}, 0);
    set_quant(&g->tensors[0], 1, (const float[]){0.584702909f}, (const int64_t[]){83}, 0);
    set_tensor(&g->tensors[1], "weights", TFG_TFL_INT8, 4, (const int32_t[]){4, 3, 3, 4}, 1);
    set_quant(&g->tensors[1], 4, (const float[]){0.01f, 0.02f, 1e-7f, 3.5f},
              (const int64_t[]){0, 0, 0, 0}, 0);
    set_tensor(&g->tensors[2], "bias", TFG_TFL_INT32, 1, (const int32_t[]){4}, 2);
    set_quant(&g->tensors[2], 4, (const float[]){1e-4f, 2e-4f, 1e-11f, 0.035f},
              (const int64_t[]){0, 0, 0, -5}, 0);
    set_tensor(&g->tensors[3], "output", TFG_TFL_INT8, 2, (const int32_t[]){1, 12}, 0);
    set_quant(&g->tensors[3], 1, (const float[]){0.00390625f}, (const int64_t[]){-128}, 0);
    set_tensor(&g->tensors[4], "state", TFG_TFL_FLOAT32, 0, NULL, 0);
    g->tensors[4].is_variable = true;
    g->inputs = ints(1, (const int32_t[]){0});
    g->n_inputs = 1;
    g->outputs = ints(2, (const int32_t[]){3, 4});
    g->n_outputs = 2;
    g->n_ops = N_CODES;
    g->ops = tfg_xcalloc(N_CODES, sizeof *g->ops);
    for (size_t k = 0; k < N_CODES; k++) {
        tfg_tfl_op *op = &g->ops[k];
        op->opcode_index = (uint32_t)k;
        op->builtin = codes[k];
        op->supported = tfg_tflite_op_supported(codes[k]);
        op->inputs = ints(3, (const int32_t[]){0, 1, k % 2 ? -1 : 2});
        op->n_inputs = 3;
        op->outputs = ints(1, (const int32_t[]){3});
        op->n_outputs = 1;
        set_options(k, &op->opt);
    }
}

static void test_hand_model(void)
{
    tfg_tflite m, back;
    size_t len;
    build_model(&m);
    uint8_t *data = round_trip(&m, &back, &len);
    CHECK(data != NULL);
    if (data) {
        /* the code past 127 is 127 (PLACEHOLDER) in the int8 field and itself in int32 */
        CHECK_INT(back.opcodes[13].deprecated_code, 127);
        CHECK_INT(back.opcodes[13].builtin_code, 150);
        CHECK_INT(back.opcodes[0].deprecated_code, TFG_TFL_CONV_2D);
        CHECK_INT(back.opcodes[0].builtin_code, TFG_TFL_CONV_2D);
        CHECK(back.buffers[0].len == 0 && back.buffers[1].offset % 16 == 0 &&
              back.buffers[2].offset % 16 == 0);
        CHECK(back.subgraphs[0].tensors[4].is_variable);
        CHECK_INT(back.subgraphs[0].ops[7].opt.new_shape[1], -1);
    }
    free(data);
    tfg_tflite_free(&back);
    tfg_tflite_free(&m);
}

/* A model with no buffers at all still gets the empty buffer 0 TFLite expects. */
static void test_no_buffers(void)
{
    tfg_tflite m, back;
    size_t len;
    build_model(&m);
    tfg_tfl_subgraph *g = &m.subgraphs[0];
    g->tensors[1].buffer = g->tensors[2].buffer = 0;
    free(m.buffers);
    m.buffers = NULL;
    m.n_buffers = 0;
    void *data;
    tfg_err err;
    CHECK_INT(tfg_tflite_write(&m, &data, &len, &err), TFG_OK);
    CHECK_INT(tfg_tflite_parse(data, len, "nobuf.tflite", &back, &err), TFG_OK);
    CHECK_INT(back.n_buffers, 1);
    CHECK(back.n_buffers == 1 && back.buffers[0].len == 0);
    free(data);
    tfg_tflite_free(&back);
    tfg_tflite_free(&m);
}

/* ---- refusals --------------------------------------------------------------------- */

/* Builds the hand model, lets break_it damage it, and expects TFG_EINPUT whose message
 * contains needle. */
static void expect_refusal(void (*break_it)(tfg_tflite *), const char *needle)
{
    tfg_tflite m;
    void *data = (void *)1;
    size_t len = 1;
    tfg_err err;
    build_model(&m);
    break_it(&m);
    CHECK_INT(tfg_tflite_write(&m, &data, &len, &err), TFG_EINPUT);
    CHECK(data == NULL && len == 0);
    CHECK_HAS(err.msg, needle);
    CHECK_HAS(err.msg, "hand.tflite");
    tfg_tflite_free(&m);
}

static void bad_op_input(tfg_tflite *m) { m->subgraphs[0].ops[3].inputs[1] = 99; }
static void bad_op_output(tfg_tflite *m) { m->subgraphs[0].ops[0].outputs[0] = -1; }
static void bad_opcode_index(tfg_tflite *m) { m->subgraphs[0].ops[2].opcode_index = 40; }
static void bad_builtin(tfg_tflite *m) { m->subgraphs[0].ops[1].builtin = TFG_TFL_ADD; }
static void bad_sg_output(tfg_tflite *m) { m->subgraphs[0].outputs[1] = 5; }
static void bad_tensor_buffer(tfg_tflite *m) { m->subgraphs[0].tensors[1].buffer = 7; }
static void bad_buffer_size(tfg_tflite *m) { m->buffers[2].len = 12; }
static void bad_buffer0(tfg_tflite *m) { m->buffers[0] = m->buffers[2]; }
static void bad_stride(tfg_tflite *m) { m->subgraphs[0].ops[0].opt.stride_h = 0; }
static void bad_filter(tfg_tflite *m) { m->subgraphs[0].ops[2].opt.filter_w = 0; }
static void bad_dilation(tfg_tflite *m) { m->subgraphs[0].ops[1].opt.dilation_w = 0; }
static void bad_padding(tfg_tflite *m) { m->subgraphs[0].ops[0].opt.padding = 2; }
static void bad_opt_type(tfg_tflite *m) { m->subgraphs[0].ops[0].opt.type = 9; }
static void bad_shape(tfg_tflite *m) { m->subgraphs[0].tensors[3].shape[1] = -2; }
static void bad_quant(tfg_tflite *m) { m->subgraphs[0].tensors[1].quantized_dimension = 1; }
static void bad_version(tfg_tflite *m) { m->opcodes[4].version = 0; }

/* No subgraph: the count is put back before freeing, so nothing leaks. */
static void test_no_subgraphs(void)
{
    tfg_tflite m;
    void *data;
    size_t len;
    tfg_err err;
    build_model(&m);
    m.n_subgraphs = 0;
    CHECK_INT(tfg_tflite_write(&m, &data, &len, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "hand.tflite: cannot write: the model has no subgraphs");
    m.n_subgraphs = 1;
    tfg_tflite_free(&m);
}

static void test_refusals(void)
{
    expect_refusal(bad_op_input, "operators[3] (MAX_POOL_2D) inputs[1] names tensor 99");
    expect_refusal(bad_op_output, "operators[0] (CONV_2D) outputs[0] names tensor -1");
    expect_refusal(bad_opcode_index, "operators[2] names operator code 40");
    expect_refusal(bad_builtin, "operators[1] (DEPTHWISE_CONV_2D) says builtin 0");
    expect_refusal(bad_sg_output, "outputs[1] names tensor 5");
    expect_refusal(bad_tensor_buffer, "tensor 1 (weights) names buffer 7");
    expect_refusal(bad_buffer_size, "tensor 2 (bias) has 12 bytes of data in buffer 2");
    expect_refusal(bad_buffer0, "buffer 0 has 16 bytes");
    expect_refusal(bad_stride, "operators[0] (CONV_2D) builtin options stride_h is 0");
    expect_refusal(bad_filter, "filter_width is 0");
    expect_refusal(bad_dilation, "dilation_w_factor is 0");
    expect_refusal(bad_padding, "padding is 2");
    expect_refusal(bad_opt_type, "union type 9, expected 1");
    expect_refusal(bad_shape, "tensor 3 (output) shape[1] is -2");
    expect_refusal(bad_quant, "per-channel scales along dimension 1");
    expect_refusal(bad_version, "operator_codes[4] (FULLY_CONNECTED) has version 0");
    test_no_subgraphs();
}

/* ---- saving ----------------------------------------------------------------------- */

static void test_save(void)
{
    char dir[] = "/tmp/tfg_tflite_write_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *path = tfg_xasprintf("%s/model.tflite", dir);
    char *bad = tfg_xasprintf("%s/missing/model.tflite", dir);
    tfg_tflite m, back;
    tfg_err err;
    build_model(&m);
    CHECK_INT(tfg_tflite_save(&m, path, &err), TFG_OK);
    tfg_status st = tfg_tflite_read(path, &back, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st)
        compare_models(&m, &back);
    tfg_tflite_free(&back);
    CHECK(tfg_tflite_save(&m, bad, &err) != TFG_OK);
    CHECK(!tfg_exists(bad));
    m.subgraphs[0].ops[0].inputs[0] = 42;
    CHECK_INT(tfg_tflite_save(&m, path, &err), TFG_EINPUT);
    tfg_tflite_free(&m);
    unlink(path);
    rmdir(dir);
    free(path);
    free(bad);
}

TFG_TEST_MAIN(test_reference_models, test_hand_model, test_no_buffers, test_refusals, test_save)
