/* test_grad.c — the forward and backward passes of every layer kind (src/nn/net.c,
 * conv.c, pool.c) against an independent, slow, obvious reference written here in
 * double precision (conv2d by seven nested loops, and so on).
 *
 * Forward: the network's float output must match the reference within
 * 1e-4 * (1 + |ref|).
 * Backward: with the scalar loss L = sum(r * y) for a fixed random r, the analytic
 * gradients (dX of the input, dW and db of every layer, gamma/beta of batchnorm) are
 * compared with central differences of L computed by the DOUBLE reference
 * (eps = 1e-5, so the numeric side is accurate to ~1e-9 and the bound measures the
 * float implementation): |analytic - numeric| <= 1e-3 * |numeric| + 1e-4 * max(1, M),
 * where M is the largest |numeric| of that array. Inputs are random uniform; a kink
 * (relu at 0, a max pool tie) within eps of a sample is improbable at these sizes and
 * the seeds are fixed, so the test is deterministic. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../check.h"
#include "core/alloc.h"
#include "core/rng.h"
#include "nn/graph.h"

/* ---- the reference: a whole graph in double, parameters in separate arrays ---- */

typedef struct {
    const tfg_graph *g;
    size_t batch;
    bool training;
    double **w, **b; /* per layer, copies of the float parameters (perturbed by the test) */
    double **t;      /* per tensor, batch x size */
} ref;

static size_t sz(const tfg_graph *g, int t)
{
    return tfg_shape_size(&g->tensors[t]);
}

/* TensorFlow's padding, computed here independently of graph.c. */
static void pads(size_t in, size_t k, size_t s, bool same, size_t *out, long *before)
{
    if (!same) {
        *out = (in - k) / s + 1;
        *before = 0;
        return;
    }
    *out = (in + s - 1) / s;
    long total = (long)((*out - 1) * s + k) - (long)in;
    *before = total > 0 ? total / 2 : 0;
}

static double act(tfg_act a, double v)
{
    if (a == TFG_ACT_RELU)
        return v > 0 ? v : 0;
    if (a == TFG_ACT_RELU6)
        return v > 0 ? (v < 6 ? v : 6) : 0;
    return v;
}

static void ref_dense(const ref *R, size_t li)
{
    const tfg_layer *L = &R->g->layers[li];
    size_t in = sz(R->g, L->in), out = sz(R->g, L->out);
    for (size_t b = 0; b < R->batch; b++)
        for (size_t o = 0; o < out; o++) {
            double s = R->b[li][o];
            for (size_t i = 0; i < in; i++)
                s += R->t[L->in][b * in + i] * R->w[li][o * in + i];
            R->t[L->out][b * out + o] = act(L->act, s);
        }
}

/* conv2d, depthwise conv2d, max and average pooling: one loop nest over output
 * pixel, output channel and window cell, each kind picking its input channel and
 * weight. */
static void ref_window(const ref *R, size_t li)
{
    const tfg_layer *L = &R->g->layers[li];
    const tfg_shape *xs = &R->g->tensors[L->in], *ys = &R->g->tensors[L->out];
    size_t H = xs->dim[0], W = xs->dim[1], C = xs->dim[2], OH, OW, CO = ys->dim[2];
    long pt, pl;
    bool same = L->padding == TFG_PAD_SAME;
    pads(H, L->kh, L->sh, same, &OH, &pt);
    pads(W, L->kw, L->sw, same, &OW, &pl);
    CHECK_INT(OH, ys->dim[0]);
    CHECK_INT(OW, ys->dim[1]);
    for (size_t b = 0; b < R->batch; b++)
        for (size_t oy = 0; oy < OH; oy++)
            for (size_t ox = 0; ox < OW; ox++)
                for (size_t co = 0; co < CO; co++) {
                    double s = 0, mx = -INFINITY;
                    size_t cells = 0;
                    for (size_t ky = 0; ky < L->kh; ky++)
                        for (size_t kx = 0; kx < L->kw; kx++) {
                            long iy = (long)(oy * L->sh + ky) - pt;
                            long ix = (long)(ox * L->sw + kx) - pl;
                            if (iy < 0 || ix < 0 || iy >= (long)H || ix >= (long)W)
                                continue;
                            const double *xp = R->t[L->in] + ((b * H + (size_t)iy) * W + (size_t)ix) * C;
                            cells++;
                            if (L->kind == TFG_LAYER_CONV2D) {
                                for (size_t c = 0; c < C; c++)
                                    s += xp[c] * R->w[li][((co * L->kh + ky) * L->kw + kx) * C + c];
                            } else if (L->kind == TFG_LAYER_DWCONV2D) {
                                s += xp[co / L->multiplier] * R->w[li][(ky * L->kw + kx) * CO + co];
                            } else {
                                s += xp[co];
                                mx = xp[co] > mx ? xp[co] : mx;
                            }
                        }
                    double v;
                    if (L->kind == TFG_LAYER_MAXPOOL)
                        v = mx;
                    else if (L->kind == TFG_LAYER_AVGPOOL)
                        v = s / (double)cells;
                    else
                        v = act(L->act, s + R->b[li][co]);
                    R->t[L->out][((b * OH + oy) * OW + ox) * CO + co] = v;
                }
}

static void ref_batchnorm(const ref *R, size_t li)
{
    const tfg_layer *L = &R->g->layers[li];
    size_t C = R->g->tensors[L->in].dim[R->g->tensors[L->in].rank - 1];
    size_t rows = R->batch * sz(R->g, L->in) / C;
    const double *x = R->t[L->in];
    for (size_t c = 0; c < C; c++) {
        double mean = L->mean[c], var = L->var[c];
        if (R->training) {
            mean = var = 0;
            for (size_t r = 0; r < rows; r++)
                mean += x[r * C + c] / (double)rows;
            for (size_t r = 0; r < rows; r++)
                var += (x[r * C + c] - mean) * (x[r * C + c] - mean) / (double)rows;
        }
        for (size_t r = 0; r < rows; r++)
            R->t[L->out][r * C + c] =
                R->w[li][c] * (x[r * C + c] - mean) / sqrt(var + L->eps) + R->b[li][c];
    }
}

static void ref_layer(const ref *R, size_t li)
{
    const tfg_layer *L = &R->g->layers[li];
    const tfg_shape *ys = &R->g->tensors[L->out];
    size_t n = R->batch * sz(R->g, L->out), C = ys->dim[ys->rank - 1];
    const double *x = R->t[L->in];
    double *y = R->t[L->out];
    switch (L->kind) {
    case TFG_LAYER_DENSE: ref_dense(R, li); break;
    case TFG_LAYER_CONV2D:
    case TFG_LAYER_DWCONV2D:
    case TFG_LAYER_MAXPOOL:
    case TFG_LAYER_AVGPOOL: ref_window(R, li); break;
    case TFG_LAYER_RELU:
        for (size_t k = 0; k < n; k++)
            y[k] = act(TFG_ACT_RELU, x[k]);
        break;
    case TFG_LAYER_RELU6:
        for (size_t k = 0; k < n; k++)
            y[k] = act(TFG_ACT_RELU6, x[k]);
        break;
    case TFG_LAYER_SOFTMAX:
        for (size_t r = 0; r < n / C; r++) {
            double s = 0;
            for (size_t c = 0; c < C; c++)
                s += exp(x[r * C + c]);
            for (size_t c = 0; c < C; c++)
                y[r * C + c] = exp(x[r * C + c]) / s;
        }
        break;
    case TFG_LAYER_FLATTEN:
    case TFG_LAYER_RESHAPE: memcpy(y, x, n * sizeof *y); break;
    case TFG_LAYER_ADD:
        for (size_t k = 0; k < n; k++)
            y[k] = x[k] + R->t[L->in2][k];
        break;
    case TFG_LAYER_BATCHNORM: ref_batchnorm(R, li); break;
    default: CHECK(!"unknown layer kind"); break;
    }
}

/* sum(r * output) after a full reference forward. */
static double ref_loss(const ref *R, const double *r)
{
    for (size_t i = 0; i < R->g->n_layers; i++)
        ref_layer(R, i);
    int last = (int)R->g->n_tensors - 1;
    double L = 0;
    for (size_t k = 0; k < R->batch * sz(R->g, last); k++)
        L += r[k] * R->t[last][k];
    return L;
}

/* ---- the check ---- */

static double urand(tfg_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * tfg_rng_uniform(r);
}

/* Compares analytic gradients a[0..n) with central differences of the loss in *p. */
static void compare(const char *what, const char *arch, const float *a, double *p, size_t n,
                    ref *R, const double *r)
{
    const double eps = 1e-5;
    double *num = tfg_xmalloc(n * sizeof *num), M = 1;
    for (size_t k = 0; k < n; k++) {
        double keep = p[k];
        p[k] = keep + eps;
        double lp = ref_loss(R, r);
        p[k] = keep - eps;
        double lm = ref_loss(R, r);
        p[k] = keep;
        num[k] = (lp - lm) / (2 * eps);
        M = fabs(num[k]) > M ? fabs(num[k]) : M;
    }
    int bad = 0;
    for (size_t k = 0; k < n && bad < 3; k++)
        if (!(fabs(a[k] - num[k]) <= 1e-3 * fabs(num[k]) + 1e-4 * M)) {
            bad++;
            CHECK_MSG(0, "%s: %s[%zu]: analytic %.9g, numeric %.9g", arch, what, k, a[k],
                      num[k]);
        }
    tfg_check_count++;
    free(num);
}

static void fill_params(tfg_graph *g, tfg_rng *rng)
{
    tfg_graph_init_params(g, rng);
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *L = &g->layers[i];
        bool bn = L->kind == TFG_LAYER_BATCHNORM;
        for (size_t k = 0; k < L->b.n; k++)
            L->b.value[k] = (float)urand(rng, -0.5, 0.5);
        for (size_t k = 0; bn && k < L->w.n; k++) {
            L->w.value[k] = (float)urand(rng, 0.5, 1.5);
            L->mean[k] = (float)urand(rng, -0.5, 0.5);
            L->var[k] = (float)urand(rng, 0.5, 1.5);
        }
    }
}

/* Builds arch, runs forward and backward on a random batch, checks both. */
static void gradcheck_mode(const char *arch, size_t batch, double xscale, bool training)
{
    json_error_t je;
    json_t *j = json_loads(arch, 0, &je);
    CHECK_MSG(j != NULL, "%s: %s", arch, je.text);
    if (!j)
        return;
    tfg_graph g;
    tfg_err err = {0};
    tfg_status st = tfg_graph_from_json(j, "t.json", NULL, 0, &g, &err);
    json_decref(j);
    CHECK_MSG(st == TFG_OK, "%s: %s", arch, err.msg);
    if (st)
        return;
    tfg_rng rng;
    tfg_rng_seed(&rng, 42 + batch);
    fill_params(&g, &rng);
    int last = (int)g.n_tensors - 1;
    size_t nx = batch * sz(&g, 0), ny = batch * sz(&g, last);
    float *x = tfg_xmalloc(nx * sizeof *x), *rf = tfg_xmalloc(ny * sizeof *rf);
    double *r = tfg_xmalloc(ny * sizeof *r);
    for (size_t k = 0; k < nx; k++)
        x[k] = (float)urand(&rng, -xscale, xscale);
    for (size_t k = 0; k < ny; k++)
        rf[k] = (float)(r[k] = (float)urand(&rng, -1, 1));

    ref R = {.g = &g, .batch = batch, .training = training};
    R.w = tfg_xcalloc(g.n_layers, sizeof *R.w);
    R.b = tfg_xcalloc(g.n_layers, sizeof *R.b);
    R.t = tfg_xcalloc(g.n_tensors, sizeof *R.t);
    for (size_t t = 0; t < g.n_tensors; t++)
        R.t[t] = tfg_xcalloc(batch * sz(&g, (int)t), sizeof(double));
    for (size_t k = 0; k < nx; k++)
        R.t[0][k] = x[k];
    for (size_t i = 0; i < g.n_layers; i++) {
        tfg_param *w = &g.layers[i].w, *b = &g.layers[i].b;
        R.w[i] = tfg_xcalloc(w->n + 1, sizeof(double));
        R.b[i] = tfg_xcalloc(b->n + 1, sizeof(double));
        for (size_t k = 0; k < w->n; k++)
            R.w[i][k] = w->value[k];
        for (size_t k = 0; k < b->n; k++)
            R.b[i][k] = b->value[k];
    }

    /* Forward first: the reference must see the running statistics as the net saw
     * them (a training forward moves them afterwards). */
    ref_loss(&R, r);
    tfg_net *n = tfg_net_new(&g, batch);
    tfg_net_want_input_grad(n, true);
    tfg_net_zero_grad(n);
    const float *y = tfg_net_forward(n, x, batch, training);
    CHECK(y != NULL);
    int fbad = 0;
    for (size_t k = 0; y && k < ny && fbad < 3; k++)
        if (!(fabs(y[k] - R.t[last][k]) <= 1e-4 * (1 + fabs(R.t[last][k])))) {
            fbad++;
            CHECK_MSG(0, "%s: forward y[%zu] = %.9g, reference %.9g", arch, k, y[k],
                      R.t[last][k]);
        }
    tfg_net_backward(n, last, rf);

    char what[64];
    compare("dX", arch, tfg_net_grad(n, 0), R.t[0], nx, &R, r);
    for (size_t i = 0; i < g.n_layers; i++) {
        snprintf(what, sizeof what, "layers[%zu].w", i);
        compare(what, arch, g.layers[i].w.grad, R.w[i], g.layers[i].w.n, &R, r);
        snprintf(what, sizeof what, "layers[%zu].b", i);
        compare(what, arch, g.layers[i].b.grad, R.b[i], g.layers[i].b.n, &R, r);
    }

    tfg_net_free(n);
    for (size_t t = 0; t < g.n_tensors; t++)
        free(R.t[t]);
    for (size_t i = 0; i < g.n_layers; i++) {
        free(R.w[i]);
        free(R.b[i]);
    }
    free(R.t);
    free(R.w);
    free(R.b);
    free(x);
    free(rf);
    free(r);
    tfg_graph_free(&g);
}

static void gradcheck(const char *arch, size_t batch)
{
    gradcheck_mode(arch, batch, 1.0, true);
}

static void test_dense(void)
{
    gradcheck("{\"input\":[5],\"layers\":[{\"type\":\"dense\",\"units\":4}]}", 3);
    gradcheck("{\"input\":[6],\"layers\":[{\"type\":\"dense\",\"units\":5,\"activation\":"
              "\"relu\"},{\"type\":\"dense\",\"units\":4,\"activation\":\"relu6\"},"
              "{\"type\":\"dense\",\"units\":3},{\"type\":\"softmax\"}]}",
              4);
    gradcheck("{\"input\":[1],\"layers\":[{\"type\":\"dense\",\"units\":1}]}", 1);
}

static void test_activations(void)
{
    /* Wide inputs so relu6 clips at both ends. */
    gradcheck_mode("{\"input\":[10],\"layers\":[{\"type\":\"relu\"}]}", 3, 9.0, true);
    gradcheck_mode("{\"input\":[10],\"layers\":[{\"type\":\"relu6\"}]}", 3, 9.0, true);
    gradcheck_mode("{\"input\":[2,3,4],\"layers\":[{\"type\":\"softmax\"}]}", 2, 3.0, true);
    gradcheck("{\"input\":[7],\"layers\":[{\"type\":\"softmax\"}]}", 3);
}

static void test_conv2d(void)
{
    static const char *const conv[] = {
        "\"kernel\":3", /* valid, stride 1 */
        "\"kernel\":[3,2],\"stride\":2,\"padding\":\"same\"", /* 7x6: asymmetric rows */
        "\"kernel\":5,\"stride\":[2,1],\"padding\":\"same\"",
        "\"kernel\":1",                      /* pointwise: no im2col */
        "\"kernel\":1,\"stride\":2",         /* 1x1 with stride: im2col */
        "\"kernel\":[2,3],\"stride\":[1,2],\"activation\":\"relu\"",
        "\"kernel\":4,\"stride\":3,\"padding\":\"same\",\"activation\":\"relu6\"",
    };
    char arch[512];
    for (size_t i = 0; i < sizeof conv / sizeof conv[0]; i++) {
        snprintf(arch, sizeof arch,
                 "{\"input\":[7,6,3],\"layers\":[{\"type\":\"conv2d\",\"filters\":4,%s}]}",
                 conv[i]);
        gradcheck(arch, i % 2 ? 2 : 3);
    }
}

static void test_dwconv2d(void)
{
    static const char *const dw[] = {
        "\"kernel\":3",
        "\"kernel\":3,\"multiplier\":2,\"stride\":2,\"padding\":\"same\"",
        ("\"kernel\":[2,3],\"multiplier\":3,\"stride\":[1,2],\"padding\":\"same\","
         "\"activation\":\"relu\""),
        "\"kernel\":4,\"stride\":2,\"activation\":\"relu6\"",
    };
    char arch[512];
    for (size_t i = 0; i < sizeof dw / sizeof dw[0]; i++) {
        snprintf(arch, sizeof arch,
                 "{\"input\":[7,8,2],\"layers\":[{\"type\":\"depthwise_conv2d\",%s}]}", dw[i]);
        gradcheck(arch, 2);
    }
}

static void test_pools(void)
{
    static const char *const pool[] = {
        "\"size\":2",
        "\"size\":3,\"stride\":2,\"padding\":\"same\"", /* 7x6: asymmetric */
        "\"size\":[2,3],\"stride\":1,\"padding\":\"same\"",
        "\"size\":2,\"stride\":[1,3],\"padding\":\"same\"",
        "\"size\":3,\"stride\":2",
    };
    char arch[512];
    for (int max = 0; max < 2; max++)
        for (size_t i = 0; i < sizeof pool / sizeof pool[0]; i++) {
            snprintf(arch, sizeof arch, "{\"input\":[7,6,3],\"layers\":[{\"type\":\"%s\",%s}]}",
                     max ? "maxpool" : "avgpool", pool[i]);
            gradcheck(arch, 2);
        }
}

static void test_shapes_and_add(void)
{
    gradcheck("{\"input\":[5,4,2],\"layers\":[{\"type\":\"conv2d\",\"filters\":3,\"kernel\":"
              "3,\"padding\":\"same\",\"activation\":\"relu\"},{\"type\":\"maxpool\",\"size\":"
              "2},{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":3},{\"type\":"
              "\"softmax\"}]}",
              3);
    gradcheck("{\"input\":[12],\"layers\":[{\"type\":\"reshape\",\"shape\":[2,3,2]},"
              "{\"type\":\"conv2d\",\"filters\":2,\"kernel\":2},{\"type\":\"reshape\","
              "\"shape\":[4]}]}",
              2);
    /* Residual: tensor "a" is read by the relu and by the add, so its gradient sums. */
    gradcheck("{\"input\":[6],\"layers\":[{\"type\":\"dense\",\"units\":6,\"name\":\"a\"},"
              "{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":6},{\"type\":\"add\","
              "\"from\":\"a\"},{\"type\":\"add\",\"from\":\"input\"}]}",
              3);
    gradcheck("{\"input\":[4,4,2],\"layers\":[{\"type\":\"conv2d\",\"filters\":2,\"kernel\":"
              "3,\"padding\":\"same\",\"name\":\"c1\"},{\"type\":\"depthwise_conv2d\","
              "\"kernel\":3,\"padding\":\"same\",\"activation\":\"relu\"},{\"type\":\"add\","
              "\"from\":\"c1\"},{\"type\":\"avgpool\",\"size\":2}]}",
              2);
}

static void test_batchnorm(void)
{
    const char *a = "{\"input\":[3,4,3],\"layers\":[{\"type\":\"batchnorm\"}]}";
    const char *b = "{\"input\":[5],\"layers\":[{\"type\":\"dense\",\"units\":4},"
                    "{\"type\":\"batchnorm\",\"eps\":0.01},{\"type\":\"relu\"},"
                    "{\"type\":\"dense\",\"units\":2}]}";
    gradcheck_mode(a, 2, 1.0, true);
    gradcheck_mode(a, 2, 1.0, false);
    gradcheck_mode(b, 5, 1.0, true);
    gradcheck_mode(b, 5, 1.0, false);
}

/* Running statistics move toward the batch's by (1 - momentum). */
static void test_batchnorm_running(void)
{
    json_t *j = json_loads("{\"input\":[2],\"layers\":[{\"type\":\"batchnorm\",\"momentum\":"
                           "0.5}]}", 0, NULL);
    tfg_graph g;
    tfg_err err = {0};
    CHECK(tfg_graph_from_json(j, "t.json", NULL, 0, &g, &err) == TFG_OK);
    json_decref(j);
    tfg_rng rng;
    tfg_rng_seed(&rng, 1);
    tfg_graph_init_params(&g, &rng);
    tfg_net *n = tfg_net_new(&g, 4);
    const float x[8] = {1, 10, 3, 10, 5, 20, 7, 20}; /* ch0 mean 4 var 5; ch1 mean 15 var 25 */
    tfg_net_forward(n, x, 4, true);
    CHECK_NEAR(g.layers[0].mean[0], 2.0, 1e-6);
    CHECK_NEAR(g.layers[0].mean[1], 7.5, 1e-6);
    CHECK_NEAR(g.layers[0].var[0], 0.5 + 2.5, 1e-5);
    CHECK_NEAR(g.layers[0].var[1], 0.5 + 12.5, 1e-5);
    tfg_net_forward(n, x, 4, false);
    CHECK_NEAR(g.layers[0].mean[0], 2.0, 1e-6); /* evaluation leaves them */
    CHECK_NEAR(tfg_net_tensor(n, 1)[0], (1 - 2.0) / sqrt(3.0 + 1e-3), 1e-5);
    tfg_net_free(n);
    tfg_graph_free(&g);
}

/* A batch big enough that conv2d runs im2col in chunks gives the same output and the
 * same summed weight gradient as one sample at a time. */
static void test_conv_chunks(void)
{
    json_t *j = json_loads("{\"input\":[64,64,32],\"layers\":[{\"type\":\"conv2d\","
                           "\"filters\":2,\"kernel\":3,\"padding\":\"same\"}]}", 0, NULL);
    tfg_graph g;
    tfg_err err = {0};
    CHECK(tfg_graph_from_json(j, "t.json", NULL, 0, &g, &err) == TFG_OK);
    json_decref(j);
    tfg_rng rng;
    tfg_rng_seed(&rng, 7);
    tfg_graph_init_params(&g, &rng);
    const size_t B = 8, nx = 64 * 64 * 32, ny = 64 * 64 * 2;
    float *x = tfg_xmalloc(B * nx * sizeof *x), *dy = tfg_xmalloc(B * ny * sizeof *dy);
    for (size_t k = 0; k < B * nx; k++)
        x[k] = (float)urand(&rng, -1, 1);
    for (size_t k = 0; k < B * ny; k++)
        dy[k] = (float)urand(&rng, -1, 1);
    tfg_net *big = tfg_net_new(&g, B), *one = tfg_net_new(&g, 1);
    tfg_net_zero_grad(big);
    const float *y = tfg_net_forward(big, x, B, true);
    float *ybig = tfg_xmalloc(B * ny * sizeof *ybig);
    memcpy(ybig, y, B * ny * sizeof *ybig);
    tfg_net_backward(big, 1, dy);
    size_t nw = g.layers[0].w.n;
    float *gbig = tfg_xmalloc(nw * sizeof *gbig);
    memcpy(gbig, g.layers[0].w.grad, nw * sizeof *gbig);
    tfg_net_zero_grad(one);
    double maxdy = 0, maxdw = 0;
    for (size_t b = 0; b < B; b++) {
        const float *y1 = tfg_net_forward(one, x + b * nx, 1, true);
        for (size_t k = 0; k < ny; k++)
            maxdy = fmax(maxdy, fabs(y1[k] - ybig[b * ny + k]));
        tfg_net_backward(one, 1, dy + b * ny);
    }
    for (size_t k = 0; k < nw; k++)
        maxdw = fmax(maxdw, fabs(g.layers[0].w.grad[k] - gbig[k]) / (1 + fabs(gbig[k])));
    CHECK_MSG(maxdy < 1e-5, "outputs differ by %g", maxdy);
    CHECK_MSG(maxdw < 1e-4, "weight gradients differ by %g", maxdw);
    tfg_net_free(big);
    tfg_net_free(one);
    free(x);
    free(dy);
    free(ybig);
    free(gbig);
    tfg_graph_free(&g);
}

/* Backward from an inner tensor (the softmax's input) leaves the layers after it out. */
static void test_backward_from_inner(void)
{
    json_t *j = json_loads("{\"input\":[3],\"layers\":[{\"type\":\"dense\",\"units\":2},"
                           "{\"type\":\"softmax\"}]}", 0, NULL);
    tfg_graph g;
    tfg_err err = {0};
    CHECK(tfg_graph_from_json(j, "t.json", NULL, 2, &g, &err) == TFG_OK);
    json_decref(j);
    tfg_rng rng;
    tfg_rng_seed(&rng, 3);
    tfg_graph_init_params(&g, &rng);
    tfg_net *n = tfg_net_new(&g, 2);
    const float x[6] = {1, 2, 3, -1, 0.5f, 2}, dz[4] = {1, 0, 0, 1};
    tfg_net_zero_grad(n);
    tfg_net_forward(n, x, 2, true);
    tfg_net_backward(n, 1, dz);
    /* db = column sums of dz; dW[o][i] = sum_b dz[b][o] x[b][i]. */
    CHECK_NEAR(g.layers[0].b.grad[0], 1, 1e-6);
    CHECK_NEAR(g.layers[0].b.grad[1], 1, 1e-6);
    CHECK_NEAR(g.layers[0].w.grad[0 * 3 + 2], 3, 1e-6);
    CHECK_NEAR(g.layers[0].w.grad[1 * 3 + 0], -1, 1e-6);
    /* Gradients add up until zeroed. */
    tfg_net_backward(n, 1, dz);
    CHECK_NEAR(g.layers[0].b.grad[0], 2, 1e-6);
    tfg_net_zero_grad(n);
    CHECK_NEAR(g.layers[0].b.grad[0], 0, 0);
    CHECK(tfg_net_forward(n, x, 3, true) == NULL); /* more than max_batch */
    tfg_net_free(n);
    tfg_graph_free(&g);
}

TFG_TEST_MAIN(test_dense, test_activations, test_conv2d, test_dwconv2d, test_pools,
              test_shapes_and_add, test_batchnorm, test_batchnorm_running, test_conv_chunks,
              test_backward_from_inner)
