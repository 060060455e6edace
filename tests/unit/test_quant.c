/* test_quant.c — post-training quantization (quant/quant.h): the parameters follow the
 * TFLite int8 spec, batch norm and ReLU fold, the int8 model runs in the interpreter and
 * tracks the float network, calibration ranges are exact (min/max) or cut (percentile),
 * and what cannot be expressed is refused naming the layer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/rng.h"
#include "lower/invoke.h"
#include "import/tflite_write.h"
#include "quant/quant.h"
#include "tfg_runtime.h"

static void build(const char *arch_text, tfg_graph *g, uint64_t seed)
{
    json_error_t je;
    json_t *arch = json_loads(arch_text, 0, &je);
    CHECK(arch != NULL);
    tfg_err err;
    tfg_status st = tfg_graph_from_json(arch, "arch.json", NULL, 0, g, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    json_decref(arch);
    tfg_rng r;
    tfg_rng_seed(&r, seed);
    tfg_graph_init_params(g, &r);
    /* Non-trivial biases and batch-norm statistics, so folding has something to do. */
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *L = &g->layers[i];
        if (L->kind == TFG_LAYER_BATCHNORM) {
            for (size_t c = 0; c < L->w.n; c++) {
                L->w.value[c] = (float)(0.5 + tfg_rng_uniform(&r));
                L->b.value[c] = (float)(tfg_rng_uniform(&r) - 0.5);
                L->mean[c] = (float)(tfg_rng_uniform(&r) - 0.5);
                L->var[c] = (float)(0.2 + tfg_rng_uniform(&r));
            }
        } else if (L->b.value) {
            for (size_t c = 0; c < L->b.n; c++)
                L->b.value[c] = (float)(0.2 * (tfg_rng_uniform(&r) - 0.5));
        }
    }
}

static float *random_inputs(const tfg_graph *g, size_t n, uint64_t seed)
{
    size_t in = tfg_shape_size(&g->tensors[0]);
    float *x = tfg_xmalloc(n * in * sizeof *x);
    tfg_rng r;
    tfg_rng_seed(&r, seed);
    for (size_t k = 0; k < n * in; k++)
        x[k] = (float)(2.0 * tfg_rng_uniform(&r) - 0.5);
    return x;
}

static void quantize_or_die(tfg_graph *g, const float *x, size_t n, tfg_calib_method m,
                            tfg_tflite *model, tfg_ranges *r)
{
    tfg_err err;
    tfg_calib_opts o = {m, 99.9};
    tfg_status st = tfg_calibrate(g, x, n, &o, NULL, r, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    st = tfg_quantize(g, r, "test", model, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
}

static const char *cnn =
    "{\"input\": [8, 8, 2], \"layers\": ["
    "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\"},"
    "{\"type\": \"batchnorm\"}, {\"type\": \"relu\"},"
    "{\"type\": \"depthwise_conv2d\", \"kernel\": 3, \"multiplier\": 2, \"activation\": \"relu6\"},"
    "{\"type\": \"maxpool\", \"size\": 2},"
    "{\"type\": \"avgpool\", \"size\": 2},"
    "{\"type\": \"flatten\"},"
    "{\"type\": \"dense\", \"units\": 5}, {\"type\": \"softmax\"}]}";

/* The spec's rules, checked on the written model. */
static void test_params_follow_spec(void)
{
    tfg_graph g;
    build(cnn, &g, 7);
    float *x = random_inputs(&g, 100, 1);
    tfg_tflite m;
    tfg_ranges r;
    quantize_or_die(&g, x, 100, TFG_CALIB_MINMAX, &m, &r);
    CHECK_INT((int)m.n_subgraphs, 1);
    const tfg_tfl_subgraph *sg = &m.subgraphs[0];
    /* conv+bn+relu fold into one CONV_2D: conv, dw, max, avg, reshape, fc, softmax. */
    CHECK_INT((int)sg->n_ops, 7);
    static const int32_t want[] = {TFG_TFL_CONV_2D,     TFG_TFL_DEPTHWISE_CONV_2D,
                                   TFG_TFL_MAX_POOL_2D, TFG_TFL_AVERAGE_POOL_2D,
                                   TFG_TFL_RESHAPE,     TFG_TFL_FULLY_CONNECTED,
                                   TFG_TFL_SOFTMAX};
    for (size_t i = 0; i < 7 && i < sg->n_ops; i++)
        CHECK_INT(sg->ops[i].builtin, want[i]);
    CHECK_INT(sg->ops[0].opt.activation, TFG_TFL_ACT_RELU);
    CHECK_INT(sg->ops[1].opt.activation, TFG_TFL_ACT_RELU6);
    for (size_t i = 0; i < sg->n_ops; i++) {
        const tfg_tfl_op *op = &sg->ops[i];
        const tfg_tfl_tensor *in = &sg->tensors[op->inputs[0]], *out = &sg->tensors[op->outputs[0]];
        CHECK_INT(in->type, TFG_TFL_INT8);
        CHECK_INT(out->type, TFG_TFL_INT8);
        CHECK_INT((int)out->n_scale, 1);
        if (op->builtin == TFG_TFL_MAX_POOL_2D || op->builtin == TFG_TFL_AVERAGE_POOL_2D ||
            op->builtin == TFG_TFL_RESHAPE) {
            CHECK(in->scale[0] == out->scale[0]);
            CHECK(in->zero_point[0] == out->zero_point[0]);
        }
        if (op->builtin == TFG_TFL_SOFTMAX) {
            CHECK(out->scale[0] == 1.0f / 256.0f);
            CHECK_INT((int)out->zero_point[0], -128);
        }
        if (op->opt.activation == TFG_TFL_ACT_RELU || op->opt.activation == TFG_TFL_ACT_RELU6)
            CHECK_INT((int)out->zero_point[0], -128); /* calibrated ranges start at 0 */
        if (op->n_inputs == 3) {
            const tfg_tfl_tensor *w = &sg->tensors[op->inputs[1]], *b = &sg->tensors[op->inputs[2]];
            size_t ch = (size_t)w->shape[op->builtin == TFG_TFL_DEPTHWISE_CONV_2D ? 3 : 0];
            CHECK_INT((int)w->n_scale, (int)ch);
            CHECK_INT(w->quantized_dimension, op->builtin == TFG_TFL_DEPTHWISE_CONV_2D ? 3 : 0);
            CHECK_INT(b->type, TFG_TFL_INT32);
            const int8_t *wq = (const int8_t *)m.buffers[w->buffer].data;
            int hit127 = 0;
            for (int64_t k = 0; k < w->elems; k++) {
                CHECK(wq[k] >= -127);
                hit127 |= wq[k] == 127 || wq[k] == -127;
            }
            CHECK(hit127); /* symmetric scale: the largest weight maps to +-127 */
            for (size_t c = 0; c < ch; c++) {
                CHECK(w->zero_point[c] == 0 && b->zero_point[c] == 0);
                CHECK_NEAR(b->scale[c], in->scale[0] * w->scale[c], 1e-6 * b->scale[c]);
            }
        }
    }
    tfg_ranges_free(&r);
    tfg_tflite_free(&m);
    tfg_graph_free(&g);
    free(x);
}

/* The int8 model tracks the float network: dequantized outputs close, argmax agrees on
 * nearly every sample (the folded batch norm included). */
static void test_int8_tracks_float(void)
{
    tfg_graph g;
    build(cnn, &g, 11);
    size_t n = 200, in = tfg_shape_size(&g.tensors[0]);
    float *x = random_inputs(&g, n, 2);
    tfg_tflite m;
    tfg_ranges r;
    quantize_or_die(&g, x, n, TFG_CALIB_MINMAX, &m, &r);
    tfg_err err;
    tfg_tflite_runner *run;
    CHECK_INT(tfg_tflite_runner_new(&m, &run, &err), TFG_OK);
    const tfg_tfl_tensor *ti = &m.subgraphs[0].tensors[m.subgraphs[0].inputs[0]];
    const tfg_tfl_tensor *to = &m.subgraphs[0].tensors[m.subgraphs[0].outputs[0]];
    tfg_net *net = tfg_net_new(&g, 1);
    int agree = 0;
    double worst = 0;
    for (size_t s = 0; s < n; s++) {
        int8_t qi[128], qo[5];
        CHECK(in <= sizeof qi);
        tfg_rt_quantize_f32_s8(ti->scale[0], (int32_t)ti->zero_point[0], x + s * in, qi, (int32_t)in);
        CHECK_INT(tfg_tflite_runner_invoke(run, qi, in, qo, 5, &err), TFG_OK);
        const float *y = tfg_net_forward(net, x + s * in, 1, false);
        int af = 0, aq = 0;
        for (int k = 0; k < 5; k++) {
            double d = fabs(to->scale[0] * (qo[k] - to->zero_point[0]) - y[k]);
            worst = d > worst ? d : worst;
            af = y[k] > y[af] ? k : af;
            aq = qo[k] > qo[aq] ? k : aq;
        }
        agree += af == aq;
    }
    CHECK_MSG(worst < 0.05, "worst probability difference %g", worst);
    CHECK_MSG(agree >= (int)n * 9 / 10, "argmax agrees on %d of %zu", agree, n);
    tfg_net_free(net);
    tfg_tflite_runner_free(run);
    tfg_ranges_free(&r);
    tfg_tflite_free(&m);
    tfg_graph_free(&g);
    free(x);
}

/* Ranges: min/max are exact; the percentile cuts a lone outlier; the parameters map the
 * range's ends near -128 and 127 and 0 exactly onto an integer. */
static void test_ranges_and_params(void)
{
    tfg_graph g;
    build("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}", &g, 3);
    size_t n = 1000;
    float *x = random_inputs(&g, n, 5); /* uniform in [-0.5, 1.5) */
    x[17] = 40.0f;                     /* one outlier */
    tfg_ranges r;
    tfg_err err;
    tfg_calib_opts mm = {TFG_CALIB_MINMAX, 0}, pc = {TFG_CALIB_PERCENTILE, 99.9};
    CHECK_INT(tfg_calibrate(&g, x, n, &mm, NULL, &r, &err), TFG_OK);
    CHECK(r.max[0] == 40.0f);
    float lo = INFINITY;
    for (size_t k = 0; k < n * 4; k++)
        lo = x[k] < lo ? x[k] : lo;
    CHECK(r.min[0] == lo);
    tfg_ranges_free(&r);
    CHECK_INT(tfg_calibrate(&g, x, n, &pc, NULL, &r, &err), TFG_OK);
    CHECK_MSG(r.max[0] < 2.0f && r.max[0] > 1.3f, "percentile max %g", (double)r.max[0]);
    CHECK(r.min[0] >= lo);
    tfg_ranges_free(&r);

    float s;
    int32_t zp;
    tfg_quant_params(-1.0f, 3.0f, &s, &zp);
    CHECK_NEAR(s, 4.0 / 255.0, 1e-9);
    CHECK_INT(zp, -64); /* -128 + 1/s = -128 + 63.75 */
    tfg_quant_params(0.5f, 2.0f, &s, &zp); /* widened to include 0 */
    CHECK_NEAR(s, 2.0 / 255.0, 1e-9);
    CHECK_INT(zp, -128);
    tfg_quant_params(-2.0f, -0.5f, &s, &zp);
    CHECK_INT(zp, 127);
    tfg_quant_params(0.0f, 0.0f, &s, &zp);
    CHECK(s > 0);
    pc.percentile = 20;
    CHECK_INT(tfg_calibrate(&g, x, n, &pc, NULL, &r, &err), TFG_EUSAGE);
    CHECK_INT(tfg_calibrate(&g, x, 0, &mm, NULL, &r, &err), TFG_EINPUT);
    x[3] = NAN;
    CHECK_INT(tfg_calibrate(&g, x, n, &mm, NULL, &r, &err), TFG_EINPUT);
    CHECK_HAS(err.msg, "non-finite");
    tfg_graph_free(&g);
    free(x);
}

/* What an int8 model cannot say is refused naming the layer. */
static void test_refusals(void)
{
    static const char *const bad[] = {
        /* a ReLU read by two layers cannot be fused */
        "{\"input\": [4], \"layers\": [{\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 2}]}",
        /* batch norm after an activation */
        "{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 3, \"activation\": "
        "\"relu\"}, {\"type\": \"batchnorm\"}, {\"type\": \"dense\", \"units\": 2}]}"};
    static const char *const needle[] = {"layers[0] (relu", "layers[1] (batchnorm"};
    for (size_t k = 0; k < 2; k++) {
        tfg_graph g;
        build(bad[k], &g, 1);
        float *x = random_inputs(&g, 10, 1);
        tfg_ranges r;
        tfg_err err;
        tfg_calib_opts o = {TFG_CALIB_MINMAX, 0};
        CHECK_INT(tfg_calibrate(&g, x, 10, &o, NULL, &r, &err), TFG_OK);
        tfg_tflite m;
        CHECK_INT(tfg_quantize(&g, &r, NULL, &m, &err), TFG_EINPUT);
        CHECK_HAS(err.msg, needle[k]);
        tfg_tflite_free(&m);
        tfg_ranges_free(&r);
        tfg_graph_free(&g);
        free(x);
    }
}

/* A residual add with a ReLU after it, quantized and written, reads back to the same
 * bytes (the written model is what TFLM would load). */
static void test_residual_round_trip(void)
{
    tfg_graph g;
    build("{\"input\": [6, 6, 3], \"layers\": ["
          "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"padding\": \"same\","
          " \"name\": \"c1\"},"
          "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 1},"
          "{\"type\": \"add\", \"from\": \"c1\"}, {\"type\": \"relu\"},"
          "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 3}]}",
          &g, 9);
    float *x = random_inputs(&g, 50, 9);
    tfg_tflite m, back;
    tfg_ranges r;
    quantize_or_die(&g, x, 50, TFG_CALIB_PERCENTILE, &m, &r);
    const tfg_tfl_subgraph *sg = &m.subgraphs[0];
    CHECK_INT((int)sg->n_ops, 5);
    CHECK_INT(sg->ops[2].builtin, TFG_TFL_ADD);
    CHECK_INT(sg->ops[2].opt.activation, TFG_TFL_ACT_RELU);
    tfg_err err;
    void *bytes;
    size_t len;
    CHECK_INT(tfg_tflite_write(&m, &bytes, &len, &err), TFG_OK);
    CHECK(len == m.file_len && memcmp(bytes, m.file, len) == 0);
    CHECK_INT(tfg_tflite_parse(bytes, len, "again", &back, &err), TFG_OK);
    CHECK_INT((int)back.subgraphs[0].n_tensors, (int)sg->n_tensors);
    tfg_tflite_runner *run;
    CHECK_INT(tfg_tflite_runner_new(&back, &run, &err), TFG_OK);
    tfg_tflite_runner_free(run);
    free(bytes);
    tfg_tflite_free(&back);
    tfg_ranges_free(&r);
    tfg_tflite_free(&m);
    tfg_graph_free(&g);
    free(x);
}

TFG_TEST_MAIN(test_params_follow_spec, test_int8_tracks_float, test_ranges_and_params,
              test_refusals, test_residual_round_trip)
