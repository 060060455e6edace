/* test_invoke.c — the in-process interpreter (lower/invoke.c) against TFLite Micro.
 *
 * The point of issue 5: every input of the two MLPerf Tiny reference models in
 * /work/shared/models gives exactly TFLM's output bytes (a one-LSB difference is a bug).
 * When a final output differs, the layer dumps in intermediates/NNN (listed by
 * manifest.txt) show the first operator that diverges, so every layer is compared too.
 * Then small models written by tflite_builder.h, each checked against the layer worked
 * out in the test (a depthwise conv with per-channel scales and a non-zero bias among
 * them, so a lost bias shows without the shared folder), and the refusals: an unsupported op
 * names its index and the supported list, an unsupported tensor type names the op, and
 * a wrong input or output size is TFG_EUSAGE. The shared models are skipped with a note
 * when the folder is absent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "shared_models.h"
#include "core/alloc.h"
#include "core/io.h"
#include "lower/invoke.h"
#include "import/tflite.h"
#include "tflite_builder.h"
#include "tfg_runtime.h"

static char *read_all(const char *path, size_t *len)
{
    char *buf = NULL;
    tfg_err err;
    if (tfg_read_file(path, 1 << 24, &buf, len, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return NULL;
    }
    return buf;
}

/* Compares got with the file at path; returns the number of differing bytes and prints
 * the first difference. */
static size_t compare_file(const char *what, const int8_t *got, size_t n, const char *path)
{
    size_t len;
    char *want = read_all(path, &len);
    if (!want)
        return n ? n : 1;
    size_t diff = 0;
    if (len != n) {
        fprintf(stderr, "%s: %zu bytes, reference %s has %zu\n", what, n, path, len);
        diff = n > len ? n : len;
    } else {
        for (size_t i = 0; i < n; i++) {
            if ((int8_t)want[i] == got[i])
                continue;
            if (!diff)
                fprintf(stderr, "%s: first difference at byte %zu: got %d, TFLM %d\n", what,
                        i, got[i], (int8_t)want[i]);
            diff++;
        }
    }
    free(want);
    return diff;
}

/* Runs inputs/NNN.bin for NNN = 000, 001, ... while they exist; returns how many ran
 * and counts the inputs whose output differs from outputs/NNN.bin. */
static size_t run_all_inputs(tfg_tflite_runner *r, const char *dir, size_t *n_bad)
{
    size_t n_out = tfg_tflite_runner_output_bytes(r), count = 0;
    int8_t *out = tfg_xmalloc(n_out);
    *n_bad = 0;
    for (int k = 0; k < 1000; k++) {
        char *in_path = tfg_xasprintf("%s/inputs/%03d.bin", dir, k);
        char *out_path = tfg_xasprintf("%s/outputs/%03d.bin", dir, k);
        size_t len;
        char *in = tfg_exists(in_path) ? read_all(in_path, &len) : NULL;
        if (in) {
            tfg_err err;
            tfg_status st = tfg_tflite_runner_invoke(r, in, len, out, n_out, &err);
            CHECK_MSG(st == TFG_OK, "%s", err.msg);
            *n_bad += st != TFG_OK || compare_file(in_path, out, n_out, out_path) != 0;
            count++;
            free(in);
        }
        free(in_path);
        free(out_path);
        if (!in)
            break;
    }
    free(out);
    return count;
}

/* Runs the input of intermediates/NNN and compares every operator's output with the
 * dump named by manifest.txt ("op_index op_name tensor_index name ... file"); reports
 * the first operator that diverges. */
static void compare_layers(tfg_tflite_runner *r, const char *dir, const char *nnn)
{
    char *man_path = tfg_xasprintf("%s/intermediates/%s/manifest.txt", dir, nnn);
    char *in_path = tfg_xasprintf("%s/inputs/%s.bin", dir, nnn);
    size_t len, in_len, n_layers = 0;
    char *man = tfg_exists(man_path) ? read_all(man_path, &len) : NULL;
    char *in = man ? read_all(in_path, &in_len) : NULL;
    if (man && in) {
        size_t n_out = tfg_tflite_runner_output_bytes(r);
        int8_t *out = tfg_xmalloc(n_out);
        tfg_err err;
        CHECK_INT(tfg_tflite_runner_invoke(r, in, in_len, out, n_out, &err), TFG_OK);
        free(out);
        int first_bad = -1;
        for (char *line = strtok(man, "\n"); line; line = strtok(NULL, "\n")) {
            int op, t;
            char name[64];
            if (line[0] == '#' || sscanf(line, "%d %63s %d", &op, name, &t) != 3)
                continue;
            const char *file = strrchr(line, ' ') + 1;
            char *dump = tfg_xasprintf("%s/intermediates/%s/%s", dir, nnn, file);
            char *what = tfg_xasprintf("%s op %d %s tensor %d", nnn, op, name, t);
            size_t n;
            const int8_t *got = tfg_tflite_runner_tensor(r, t, &n);
            size_t diff = got ? compare_file(what, got, n, dump) : 1;
            CHECK_MSG(diff == 0, "%s: %zu bytes differ", what, diff);
            if (diff && first_bad < 0)
                first_bad = op;
            n_layers++;
            free(dump);
            free(what);
        }
        if (first_bad >= 0)
            fprintf(stderr, "%s: the first diverging operator is %d\n", dir, first_bad);
        CHECK_INT(n_layers, tfg_tflite_runner_ops(r));
    }
    free(man);
    free(in);
    free(man_path);
    free(in_path);
}

static void check_reference_model(const char *folder, const char *file, size_t in_bytes,
                                  size_t out_bytes)
{
    char *rel = tfg_xasprintf("%s/%s", folder, file);
    char *path = tfg_test_shared_model(rel), *dir = path ? tfg_path_dirname(path) : NULL;
    free(rel);
    if (!path)
        return;
    tfg_tflite m;
    tfg_tflite_runner *r = NULL;
    tfg_err err;
    CHECK_INT(tfg_tflite_read(path, &m, &err), TFG_OK);
    tfg_status st = tfg_tflite_runner_new(&m, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (!st) {
        CHECK_INT(tfg_tflite_runner_input_bytes(r), in_bytes);
        CHECK_INT(tfg_tflite_runner_output_bytes(r), out_bytes);
        CHECK_INT(tfg_tflite_runner_ops(r), m.subgraphs[0].n_ops);
        size_t bad, n = run_all_inputs(r, dir, &bad);
        printf("%s: %zu inputs, %zu outputs differ from TFLM\n", folder, n, bad);
        CHECK(n > 0);
        CHECK_INT(bad, 0);
        compare_layers(r, dir, "000");
        compare_layers(r, dir, "001");
    }
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);
    free(dir);
    free(path);
}

static void test_kws(void)
{
    check_reference_model("kws", "kws_ref_model.tflite", 490, 12);
}

static void test_ad(void)
{
    check_reference_model("ad", "ad01_int8.tflite", 640, 640);
}

/* ---- small built models ------------------------------------------------------------ */

/* Builds, parses and prepares bm; returns the status of tfg_tflite_runner_new. */
static tfg_status prepare_built(const tb_model *bm, tfg_tflite *m, tfg_tflite_runner **r,
                                tfg_err *err)
{
    size_t len;
    uint8_t *bytes = tb_write_model(bm, &len);
    tfg_err_clear(err);
    tfg_status st = tfg_tflite_parse(bytes, len, "small.tflite", m, err);
    free(bytes);
    *r = NULL;
    if (st)
        return st;
    return tfg_tflite_runner_new(m, r, err);
}

static void test_small_fc(void)
{
    tb_model bm;
    tfg_tflite m;
    tfg_tflite_runner *r;
    tfg_err err;
    tb_fc_softmax_model(&bm, 0);
    tfg_status st = prepare_built(&bm, &m, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        tfg_tflite_free(&m);
        return;
    }
    CHECK_INT(tfg_tflite_runner_input_bytes(r), 4);
    CHECK_INT(tfg_tflite_runner_output_bytes(r), 3);
    int8_t in[4] = {-3, 10, -50, 127}, out[3];
    CHECK_INT(tfg_tflite_runner_invoke(r, in, 4, out, 3, &err), TFG_OK);
    /* The FC layer by hand: weights are the builder's bytes k*7+1. */
    const tfg_tfl_buffer *wb = &m.buffers[1];
    int32_t mult, shift;
    tfg_rt_fc_multiplier(0.5f, 0.01f, 0.5f, &mult, &shift);
    size_t n;
    const int8_t *y = tfg_tflite_runner_tensor(r, 3, &n);
    CHECK_INT(n, 3);
    for (int o = 0; o < 3 && y; o++) {
        int32_t acc = 0;
        for (int i = 0; i < 4; i++)
            acc += (int8_t)wb->data[o * 4 + i] * (in[i] + 3);
        int32_t q = tfg_rt_requantize(acc, mult, shift) + 2;
        q = q < -128 ? -128 : (q > 127 ? 127 : q);
        CHECK_INT(y[o], q);
    }
    /* softmax output: probabilities in 1/256 that sum to about one */
    int sum = 0;
    for (int o = 0; o < 3; o++)
        sum += out[o] + 128;
    CHECK(sum >= 253 && sum <= 259);

    /* sizes are the caller's mistake */
    CHECK_INT(tfg_tflite_runner_invoke(r, in, 3, out, 3, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "the input has 3 bytes, expected 4");
    CHECK_INT(tfg_tflite_runner_invoke(r, in, 4, out, 2, &err), TFG_EUSAGE);
    CHECK_HAS(err.msg, "expected 3");
    CHECK(tfg_tflite_runner_tensor(r, 99, &n) == NULL && n == 0);
    CHECK(tfg_tflite_runner_tensor(r, -1, &n) == NULL);
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);
}

/* Each way the small model can be wrong gives TFG_EINPUT with these words. */
static void expect_refused(const tb_model *bm, const char *needle1, const char *needle2)
{
    tfg_tflite m;
    tfg_tflite_runner *r;
    tfg_err err;
    tfg_status st = prepare_built(bm, &m, &r, &err);
    CHECK_INT(st, TFG_EINPUT);
    CHECK(r == NULL);
    if (st == TFG_EINPUT) {
        CHECK_HAS(err.msg, needle1);
        CHECK_HAS(err.msg, needle2);
    }
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);
}

static void test_refusals(void)
{
    tb_model bm;
    tb_fc_softmax_model(&bm, 0);
    bm.opcodes[1] = (tb_opcode){TFG_TFL_CUSTOM, "myop", 0};
    bm.ops[1].opt_type = 0;
    expect_refused(&bm, "unsupported op CUSTOM 'myop' at operators[1]",
                   "supported: CONV_2D, DEPTHWISE_CONV_2D");

    tb_fc_softmax_model(&bm, 0);
    bm.opcodes[1] = (tb_opcode){150, NULL, 0}; /* GELU */
    bm.ops[1].opt_type = 0;
    expect_refused(&bm, "GELU (builtin code 150) at operators[1]", "FULLY_CONNECTED");

    tb_fc_softmax_model(&bm, 0); /* a float FC: only the edges may be float */
    bm.tensors[0].type = TFG_TFL_FLOAT32;
    bm.tensors[0].n_q = 0;
    expect_refused(&bm, "operators[0] (FULLY_CONNECTED): input (tensor 0) is FLOAT32, "
                   "expected INT8", "supported: int8 activations");

    tb_fc_softmax_model(&bm, 0); /* int16 bias */
    bm.ops[0].in[2] = 2;
    bm.tensors[2].type = TFG_TFL_INT16;
    bm.buffer_len[2] = 6;
    expect_refused(&bm, "operators[0] (FULLY_CONNECTED): bias (tensor 2) is INT16", "INT32");

    tb_fc_softmax_model(&bm, 0); /* softmax output must be 1/256, -128 */
    bm.tensors[4].zp[0] = 0;
    expect_refused(&bm, "operators[1] (SOFTMAX): output (tensor 4)", "expected 0.00390625");

    tb_fc_softmax_model(&bm, 0); /* fused TANH is not a clamp */
    tb_field(&bm.ops[0].opt, 0, 1, TFG_TFL_ACT_TANH);
    expect_refused(&bm, "operators[0] (FULLY_CONNECTED): fused activation TANH", "RELU6");

    tb_fc_softmax_model(&bm, 0); /* the FC output shape does not match the filter */
    bm.tensors[3].shape[1] = 2;
    bm.tensors[4].shape[1] = 2;
    expect_refused(&bm, "operators[0]", "expected 1 batches x 3");

    tb_fc_softmax_model(&bm, 0); /* weights that are neither constants nor computed */
    bm.tensors[1].buffer = 0;
    expect_refused(&bm, "operators[0]", "reads tensor 1 before any operator writes it");

    tb_fc_softmax_model(&bm, 0); /* op 1 reads a tensor no one wrote */
    bm.ops[1].in[0] = 2;
    bm.tensors[2].buffer = 0;
    expect_refused(&bm, "operators[1] (SOFTMAX)", "reads tensor 2 before any operator");

    tb_fc_softmax_model(&bm, 0); /* asymmetric per-channel-style weights are refused for conv-like ops,
                      but a per-tensor FC weight zero point is allowed; a huge one is not */
    bm.tensors[1].zp[0] = 1000;
    expect_refused(&bm, "filter (tensor 1) has zero point 1000", "symmetric");
}

/* QUANTIZE float -> int8 -> ADD (itself, RELU) -> LOGISTIC -> DEQUANTIZE float: the
 * float edges and the elementwise ops end to end, checked by their meaning. */
static void edge_model(tb_model *m)
{
    static const int32_t codes[] = {TFG_TFL_QUANTIZE, TFG_TFL_ADD, TFG_TFL_LOGISTIC,
                                    TFG_TFL_DEQUANTIZE};
    memset(m, 0, sizeof *m);
    m->n_opcodes = m->n_ops = 4;
    for (int i = 0; i < 4; i++) {
        m->opcodes[i].code = codes[i];
        m->ops[i] = (tb_op){.opcode = (uint32_t)i, .n_in = 1, .n_out = 1, .in = {i},
                            .out = {i + 1}};
    }
    m->ops[1].n_in = 2;
    m->ops[1].in[1] = 1;
    m->ops[1].opt_type = 11;
    tb_field(&m->ops[1].opt, 0, 1, TFG_TFL_ACT_RELU);
    m->n_buffers = 1;
    m->n_tensors = 5;
    m->tensors[0] = (tb_tensor){"x", TFG_TFL_FLOAT32, 2, {1, 6}, 0, 0, {0}, {0}, 0};
    m->tensors[1] = (tb_tensor){"xq", TFG_TFL_INT8, 2, {1, 6}, 0, 1, {0.05f}, {10}, 0};
    m->tensors[2] = (tb_tensor){"sum", TFG_TFL_INT8, 2, {1, 6}, 0, 1, {0.1f}, {-128}, 0};
    m->tensors[3] = (tb_tensor){"sig", TFG_TFL_INT8, 2, {1, 6}, 0, 1, {1.0f / 256}, {-128}, 0};
    m->tensors[4] = (tb_tensor){"y", TFG_TFL_FLOAT32, 2, {1, 6}, 0, 0, {0}, {0}, 0};
    m->n_in = m->n_out = 1;
    m->in[0] = 0;
    m->out[0] = 4;
}

static void test_float_edges(void)
{
    tb_model bm;
    tfg_tflite m;
    tfg_tflite_runner *r;
    tfg_err err;
    edge_model(&bm);
    tfg_status st = prepare_built(&bm, &m, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        tfg_tflite_free(&m);
        return;
    }
    float x[6] = {-3.0f, -0.5f, 0.0f, 0.3f, 1.0f, 2.5f}, y[6];
    CHECK_INT(tfg_tflite_runner_input_bytes(r), sizeof x);
    CHECK_INT(tfg_tflite_runner_invoke(r, x, sizeof x, y, sizeof y, &err), TFG_OK);
    for (int i = 0; i < 6; i++) {
        /* sigmoid(relu(2x)), within the quantization steps on the way */
        double s = 2.0 * x[i] > 0 ? 2.0 * x[i] : 0.0, want = 1.0 / (1.0 + exp(-s));
        CHECK_NEAR(y[i], want, 0.1 + 1.0 / 256);
    }
    size_t n;
    const int8_t *q = tfg_tflite_runner_tensor(r, 1, &n);
    CHECK_INT(n, 6);
    CHECK_INT(q[2], 10); /* 0.0 is the zero point */
    CHECK_INT(q[0], -50); /* -3 / 0.05 + 10 */
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);

    edge_model(&bm); /* QUANTIZE int8 -> int8 (requantize) is not supported */
    bm.tensors[0].type = TFG_TFL_INT8;
    bm.tensors[0].n_q = 1;
    bm.tensors[0].scale[0] = 0.1f;
    expect_refused(&bm, "operators[0] (QUANTIZE): input (tensor 0) is INT8", "FLOAT32");
}

/* Per-channel FULLY_CONNECTED: each output row gets its own multiplier. */
static void test_fc_per_channel(void)
{
    tb_model bm;
    tfg_tflite m;
    tfg_tflite_runner *r;
    tfg_err err;
    tb_fc_softmax_model(&bm, 0);
    bm.tensors[1].n_q = 3;
    float ws[3] = {0.01f, 0.02f, 0.005f};
    memcpy(bm.tensors[1].scale, ws, sizeof ws);
    tfg_status st = prepare_built(&bm, &m, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        tfg_tflite_free(&m);
        return;
    }
    int8_t in[4] = {20, -7, 3, -128}, out[3];
    CHECK_INT(tfg_tflite_runner_invoke(r, in, 4, out, 3, &err), TFG_OK);
    int32_t mult[3], shift[3];
    CHECK_INT(tfg_rt_conv_multipliers(0.5f, ws, 3, 0.5f, 3, mult, shift), TFG_RT_OK);
    size_t n;
    const int8_t *y = tfg_tflite_runner_tensor(r, 3, &n);
    for (int o = 0; o < 3 && y; o++) {
        int32_t acc = 0;
        for (int i = 0; i < 4; i++)
            acc += (int8_t)m.buffers[1].data[o * 4 + i] * (in[i] + 3);
        int32_t q = tfg_rt_requantize(acc, mult[o], shift[o]) + 2;
        q = q < -128 ? -128 : (q > 127 ? 127 : q);
        CHECK_INT(y[o], q);
    }
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);
}

/* x[1,2,4,1] -> MAX_POOL_2D 2x2 stride 2 VALID -> [1,1,2,1] -> TANH -> y. */
static void test_maxpool_tanh(void)
{
    tb_model bm;
    memset(&bm, 0, sizeof bm);
    bm.n_opcodes = bm.n_ops = 2;
    bm.opcodes[0].code = TFG_TFL_MAX_POOL_2D;
    bm.opcodes[1].code = TFG_TFL_TANH;
    bm.n_buffers = 1;
    bm.n_tensors = 3;
    bm.tensors[0] = (tb_tensor){"x", TFG_TFL_INT8, 4, {1, 2, 4, 1}, 0, 1, {0.05f}, {-5}, 0};
    bm.tensors[1] = (tb_tensor){"p", TFG_TFL_INT8, 4, {1, 1, 2, 1}, 0, 1, {0.05f}, {-5}, 0};
    bm.tensors[2] = (tb_tensor){"y", TFG_TFL_INT8, 4, {1, 1, 2, 1}, 0, 1, {1.0f / 128}, {0}, 0};
    bm.ops[0] = (tb_op){.opcode = 0, .n_in = 1, .n_out = 1, .in = {0}, .out = {1},
                        .opt_type = 5};
    tb_field(&bm.ops[0].opt, 0, 1, TFG_TFL_PAD_VALID);
    for (int f = 1; f <= 4; f++)
        tb_field(&bm.ops[0].opt, f, 4, 2);
    bm.ops[1] = (tb_op){.opcode = 1, .n_in = 1, .n_out = 1, .in = {1}, .out = {2}};
    bm.n_in = bm.n_out = 1;
    bm.in[0] = 0;
    bm.out[0] = 2;
    tfg_tflite m;
    tfg_tflite_runner *r;
    tfg_err err;
    tfg_status st = prepare_built(&bm, &m, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        tfg_tflite_free(&m);
        return;
    }
    int8_t in[8] = {-20, 3, -100, -90, 7, -1, -95, -99}, out[2];
    CHECK_INT(tfg_tflite_runner_invoke(r, in, 8, out, 2, &err), TFG_OK);
    size_t n;
    const int8_t *p = tfg_tflite_runner_tensor(r, 1, &n);
    CHECK_INT(n, 2);
    CHECK_INT(p[0], 7);
    CHECK_INT(p[1], -90);
    for (int i = 0; i < 2; i++) {
        double want = tanh(0.05 * (p[i] + 5));
        CHECK_NEAR(out[i] / 128.0, want, 2.0 / 128);
    }
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);

    bm.tensors[1].scale[0] = 0.1f; /* pooling cannot requantize */
    expect_refused(&bm, "operators[0] (MAX_POOL_2D): input quantization", "needs them equal");
    bm.tensors[1].scale[0] = 0.05f;
    bm.tensors[1].shape[2] = 3; /* 4 wide, window 2, stride 2 gives 2 */
    expect_refused(&bm, "width: the output is 3", "give 2");
}

/* tb_depthwise_bias_model: the importer hands the kernel the bias of each output
 * channel, checked against the layer worked out here directly. */
static int32_t clamp_s8(int32_t v)
{
    return v < -128 ? -128 : (v > 127 ? 127 : v);
}

static void test_depthwise_bias(void)
{
    const int32_t *bias = tb_dw_bias;
    const float *ws = tb_dw_scales;
    tb_model bm;
    tb_depthwise_bias_model(&bm);
    tfg_tflite m;
    tfg_tflite_runner *r;
    tfg_err err;
    tfg_status st = prepare_built(&bm, &m, &r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st) {
        tfg_tflite_free(&m);
        return;
    }
    int8_t in[18], out[16];
    for (int i = 0; i < 18; i++)
        in[i] = (int8_t)(i * 13 % 41 - 20);
    CHECK_INT(tfg_tflite_runner_invoke(r, in, 18, out, 16, &err), TFG_OK);
    int32_t mult[4], shift[4];
    CHECK_INT(tfg_rt_conv_multipliers(0.5f, ws, 4, 0.5f, 4, mult, shift), TFG_RT_OK);
    const int8_t *w = (const int8_t *)m.buffers[1].data; /* the builder's bytes k*7+1 */
    int differ = 0;
    for (int oy = 0; oy < 2; oy++)
        for (int ox = 0; ox < 2; ox++)
            for (int oc = 0; oc < 4; oc++) {
                int32_t acc = bias[oc];
                for (int ky = 0; ky < 2; ky++)
                    for (int kx = 0; kx < 2; kx++)
                        acc += w[(ky * 2 + kx) * 4 + oc] *
                               (in[((oy + ky) * 3 + ox + kx) * 2 + oc / 2] + 3);
                int32_t q = clamp_s8(tfg_rt_requantize(acc, mult[oc], shift[oc]) + 2);
                int8_t got = out[(oy * 2 + ox) * 4 + oc];
                CHECK_MSG(got == q, "y[%d,%d,%d] = %d, expected %d", oy, ox, oc, got, (int)q);
                /* the bias matters here: without it this output would differ */
                differ += q != clamp_s8(tfg_rt_requantize(acc - bias[oc], mult[oc],
                                                          shift[oc]) + 2);
            }
    CHECK(differ >= 12);
    tfg_tflite_runner_free(r);
    tfg_tflite_free(&m);
}

TFG_TEST_MAIN(test_kws, test_ad, test_small_fc, test_fc_per_channel, test_maxpool_tanh,
              test_depthwise_bias, test_refusals, test_float_edges)
