/* test_quant_import.c — .tflite -> float IR (tfg_graph_from_tflite): our own int8 models
 * come back as the networks they were made from (same layers, outputs within the
 * quantization error), the MLPerf keyword-spotting and anomaly models import and agree
 * with TFLM's reference outputs, an imported model quantizes again, and an operator the
 * IR lacks is refused by index and name. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/io.h"
#include "core/rng.h"
#include "lower/invoke.h"
#include "quant/quant.h"
#include "shared_models.h"
#include "tfg_runtime.h"

static void build(const char *arch_text, tfg_graph *g, uint64_t seed)
{
    json_error_t je;
    json_t *arch = json_loads(arch_text, 0, &je);
    tfg_err err;
    CHECK_INT(tfg_graph_from_json(arch, "arch.json", NULL, 0, g, &err), TFG_OK);
    json_decref(arch);
    tfg_rng r;
    tfg_rng_seed(&r, seed);
    tfg_graph_init_params(g, &r);
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *L = &g->layers[i];
        for (size_t c = 0; L->kind == TFG_LAYER_BATCHNORM && c < L->w.n; c++) {
            L->w.value[c] = (float)(0.5 + tfg_rng_uniform(&r));
            L->mean[c] = (float)(tfg_rng_uniform(&r) - 0.5);
            L->var[c] = (float)(0.2 + tfg_rng_uniform(&r));
        }
    }
}

static float *inputs(size_t n, size_t in, uint64_t seed)
{
    float *x = tfg_xmalloc(n * in * sizeof *x);
    tfg_rng r;
    tfg_rng_seed(&r, seed);
    for (size_t k = 0; k < n * in; k++)
        x[k] = (float)(2.0 * tfg_rng_uniform(&r) - 0.5);
    return x;
}

static size_t argmax(const float *v, size_t n)
{
    size_t b = 0;
    for (size_t k = 1; k < n; k++)
        b = v[k] > v[b] ? k : b;
    return b;
}

/* float graph -> int8 model -> float graph again: the layers are the folded ones and the
 * outputs agree within the quantization error. */
static void round_trip(const char *arch, const char *want_kinds, size_t n_out)
{
    tfg_graph g, back;
    build(arch, &g, 21);
    size_t n = 100, in = tfg_shape_size(&g.tensors[0]);
    float *x = inputs(n, in, 4);
    tfg_ranges r;
    tfg_err err;
    tfg_calib_opts o = {TFG_CALIB_MINMAX, 0};
    CHECK_INT(tfg_calibrate(&g, x, n, &o, NULL, &r, &err), TFG_OK);
    tfg_tflite m;
    CHECK_INT(tfg_quantize(&g, &r, "rt", &m, &err), TFG_OK);
    tfg_status st = tfg_graph_from_tflite(&m, &back, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    if (st)
        return;
    char kinds[256] = "";
    for (size_t i = 0; i < back.n_layers; i++) {
        strcat(kinds, tfg_layer_kind_name(back.layers[i].kind));
        if (back.layers[i].act != TFG_ACT_NONE)
            strcat(kinds, back.layers[i].act == TFG_ACT_RELU ? "+relu" : "+relu6");
        strcat(kinds, i + 1 < back.n_layers ? " " : "");
    }
    CHECK_STR(kinds, want_kinds);
    tfg_net *a = tfg_net_new(&g, 1), *b = tfg_net_new(&back, 1);
    double worst = 0;
    int agree = 0;
    for (size_t s = 0; s < n; s++) {
        const float *ya = tfg_net_forward(a, x + s * in, 1, false);
        float keep[16];
        memcpy(keep, ya, n_out * sizeof *keep);
        const float *yb = tfg_net_forward(b, x + s * in, 1, false);
        for (size_t k = 0; k < n_out; k++)
            worst = fmax(worst, fabs(keep[k] - yb[k]));
        agree += argmax(keep, n_out) == argmax(yb, n_out);
    }
    CHECK_MSG(worst < 0.05, "imported network differs from the original by %g", worst);
    CHECK_MSG(agree >= 95, "argmax agrees on %d of 100", agree);
    /* An operator the IR lacks. */
    m.subgraphs[0].ops[m.subgraphs[0].n_ops - 1].builtin = TFG_TFL_TANH;
    tfg_graph bad;
    CHECK_INT(tfg_graph_from_tflite(&m, &bad, &err), TFG_EINPUT);
    char want[64];
    snprintf(want, sizeof want, "operators[%zu] (TANH)", m.subgraphs[0].n_ops - 1);
    CHECK_HAS(err.msg, want);
    CHECK_HAS(err.msg, "importable: CONV_2D");
    tfg_net_free(a);
    tfg_net_free(b);
    tfg_graph_free(&back);
    tfg_tflite_free(&m);
    tfg_ranges_free(&r);
    tfg_graph_free(&g);
    free(x);
}

static void test_own_models(void)
{
    round_trip("{\"input\": [8, 8, 2], \"layers\": ["
               "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\"},"
               "{\"type\": \"batchnorm\"}, {\"type\": \"relu\"},"
               "{\"type\": \"depthwise_conv2d\", \"kernel\": [3, 2], \"stride\": [1, 2],"
               " \"multiplier\": 2, \"activation\": \"relu6\"},"
               "{\"type\": \"maxpool\", \"size\": 2}, {\"type\": \"avgpool\", \"size\": 2},"
               "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 5},"
               "{\"type\": \"softmax\"}]}",
               "conv2d+relu depthwise_conv2d+relu6 maxpool avgpool flatten dense softmax", 5);
    round_trip("{\"input\": [6, 6, 3], \"layers\": ["
               "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"padding\": \"same\","
               " \"name\": \"c1\"}, {\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 1},"
               "{\"type\": \"add\", \"from\": \"c1\"}, {\"type\": \"relu\"},"
               "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 3}]}",
               "conv2d conv2d add relu flatten dense", 3);
}

static bool read_exact(const char *path, void *buf, size_t n)
{
    char *data;
    size_t len;
    tfg_err err;
    if (tfg_read_file(path, n + 1, &data, &len, &err) != TFG_OK)
        return false;
    bool ok = len == n;
    if (ok)
        memcpy(buf, data, n);
    free(data);
    return ok;
}

/* KWS: on the speech sample and its eight perturbed copies (inputs 000, 023-030 of the
 * README's index) the imported float network's logits (the softmax's input) stay within
 * a few int8 steps of TFLM's. The other inputs are pseudo-random or constant: the int8
 * model clamps its activations there, far outside the ranges it was calibrated for, so
 * the float network is not expected to follow it. Quantized again from the natural
 * inputs, the imported network runs and picks TFLM's class on each one where TFLM is
 * decisive (top probability >= 3/4: seven of the nine; 029 and 030 are near ties). */
static void test_kws(void)
{
    char *dir = tfg_test_shared_model("kws");
    if (!dir)
        return;
    char *path = tfg_path_join(dir, "kws_ref_model.tflite");
    tfg_tflite m;
    tfg_err err;
    CHECK_INT(tfg_tflite_read(path, &m, &err), TFG_OK);
    tfg_graph g;
    tfg_status st = tfg_graph_from_tflite(&m, &g, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    tfg_tflite_runner *ref_run;
    CHECK_INT(tfg_tflite_runner_new(&m, &ref_run, &err), TFG_OK);
    const tfg_tfl_subgraph *sg = &m.subgraphs[0];
    const tfg_tfl_tensor *ti = &sg->tensors[sg->inputs[0]];
    int32_t logits_t = sg->ops[sg->n_ops - 1].inputs[0]; /* the softmax's input */
    const tfg_tfl_tensor *tl = &sg->tensors[logits_t];
    size_t in = 490, n = 0, natural = 0, decisive = 0, agree8 = 0;
    double worst = 0;
    CHECK_INT((int)tfg_shape_size(&g.tensors[0]), (int)in);
    float *x = tfg_xmalloc(64 * in * sizeof *x);
    int8_t ref[64][12];
    tfg_net *net = st ? NULL : tfg_net_new(&g, 1);
    for (; net && n < 64; n++) {
        int8_t qi[490];
        char name[32];
        snprintf(name, sizeof name, "inputs/%03zu.bin", n);
        char *pi = tfg_path_join(dir, name);
        snprintf(name, sizeof name, "outputs/%03zu.bin", n);
        char *po = tfg_path_join(dir, name);
        bool ok = read_exact(pi, qi, in) && read_exact(po, ref[n], 12);
        free(pi);
        free(po);
        if (!ok)
            break;
        int8_t out[12];
        CHECK_INT(tfg_tflite_runner_invoke(ref_run, qi, in, out, 12, &err), TFG_OK);
        CHECK(memcmp(out, ref[n], 12) == 0);
        size_t nb;
        const int8_t *ql = tfg_tflite_runner_tensor(ref_run, logits_t, &nb);
        if (n != 0 && n < 23)
            continue;
        float *xn = x + natural * in;
        memcpy(ref[natural++], out, 12);
        for (size_t k = 0; k < in; k++)
            xn[k] = ti->scale[0] * (float)(qi[k] - ti->zero_point[0]);
        tfg_net_forward(net, xn, 1, false);
        const float *yl = tfg_net_tensor(net, (int)g.n_tensors - 2);
        for (size_t k = 0; ql && k < 12; k++)
            worst = fmax(worst, fabs(yl[k] / tl->scale[0] - (ql[k] - tl->zero_point[0])));
    }
    CHECK_MSG(natural == 9, "%zu natural KWS inputs, expected 9", natural);
    CHECK_MSG(worst <= 4, "imported KWS logits are %g int8 steps from TFLM's", worst);
    tfg_ranges r;
    tfg_calib_opts o = {TFG_CALIB_MINMAX, 0};
    tfg_tflite m2;
    memset(&m2, 0, sizeof m2);
    if (net && !tfg_calibrate(&g, x, natural, &o, NULL, &r, &err)) {
        CHECK_INT(tfg_quantize(&g, &r, "kws again", &m2, &err), TFG_OK);
        tfg_tflite_runner *run;
        CHECK_INT(tfg_tflite_runner_new(&m2, &run, &err), TFG_OK);
        const tfg_tfl_tensor *t2 = &m2.subgraphs[0].tensors[m2.subgraphs[0].inputs[0]];
        for (size_t s = 0; s < natural; s++) {
            int8_t qi[490], qo[12];
            tfg_rt_quantize_f32_s8(t2->scale[0], (int32_t)t2->zero_point[0], x + s * in, qi, 490);
            CHECK_INT(tfg_tflite_runner_invoke(run, qi, 490, qo, 12, &err), TFG_OK);
            int b = 0, rb = 0;
            for (int k = 1; k < 12; k++) {
                b = qo[k] > qo[b] ? k : b;
                rb = ref[s][k] > ref[s][rb] ? k : rb;
            }
            if (ref[s][rb] >= 64) {
                decisive++;
                agree8 += b == rb;
            }
        }
        CHECK_MSG(decisive == 7 && agree8 == decisive,
                  "requantized KWS picks TFLM's class on %zu of %zu decisive inputs", agree8,
                  decisive);
        tfg_tflite_runner_free(run);
        tfg_ranges_free(&r);
    }
    printf("kws: imported logits within %.2f int8 steps of TFLM on %zu natural inputs; "
           "requantized picks TFLM's class on %zu of %zu decisive\n", worst, natural, agree8,
           decisive);
    tfg_tflite_runner_free(ref_run);
    tfg_tflite_free(&m2);
    tfg_net_free(net);
    free(x);
    tfg_graph_free(&g);
    tfg_tflite_free(&m);
    free(path);
    free(dir);
}

/* AD (an autoencoder of dense layers): the imported network reconstructs like TFLM's
 * int8 model, within a few output steps. */
static void test_ad(void)
{
    char *dir = tfg_test_shared_model("ad");
    if (!dir)
        return;
    char *path = tfg_path_join(dir, "ad01_int8.tflite");
    tfg_tflite m;
    tfg_err err;
    CHECK_INT(tfg_tflite_read(path, &m, &err), TFG_OK);
    tfg_graph g;
    tfg_status st = tfg_graph_from_tflite(&m, &g, &err);
    CHECK_MSG(st == TFG_OK, "%s", err.msg);
    const tfg_tfl_subgraph *sg = &m.subgraphs[0];
    const tfg_tfl_tensor *ti = &sg->tensors[sg->inputs[0]], *to = &sg->tensors[sg->outputs[0]];
    size_t in = (size_t)ti->elems, out = (size_t)to->elems;
    int8_t *qi = tfg_xmalloc(in), *qo = tfg_xmalloc(out);
    float *x = tfg_xmalloc(in * sizeof *x);
    tfg_net *net = st ? NULL : tfg_net_new(&g, 1);
    double worst_steps = 0;
    size_t n = 0;
    for (; net && n < 16; n++) {
        char name[32];
        snprintf(name, sizeof name, "inputs/%03zu.bin", n);
        char *pi = tfg_path_join(dir, name);
        snprintf(name, sizeof name, "outputs/%03zu.bin", n);
        char *po = tfg_path_join(dir, name);
        bool ok = read_exact(pi, qi, in) && read_exact(po, qo, out);
        free(pi);
        free(po);
        if (!ok)
            break;
        for (size_t k = 0; k < in; k++)
            x[k] = ti->scale[0] * (float)(qi[k] - ti->zero_point[0]);
        const float *y = tfg_net_forward(net, x, 1, false);
        for (size_t k = 0; k < out; k++) {
            double ref = to->scale[0] * (double)(qo[k] - to->zero_point[0]);
            worst_steps = fmax(worst_steps, fabs(y[k] - ref) / to->scale[0]);
        }
    }
    CHECK_MSG(n >= 4, "only %zu AD reference inputs", n);
    CHECK_MSG(worst_steps < 8, "imported AD differs from TFLM by %g output steps", worst_steps);
    printf("ad: imported float within %.2f output steps of TFLM on %zu inputs\n", worst_steps, n);
    tfg_net_free(net);
    free(qi);
    free(qo);
    free(x);
    tfg_graph_free(&g);
    tfg_tflite_free(&m);
    free(path);
    free(dir);
}

TFG_TEST_MAIN(test_own_models, test_kws, test_ad)
