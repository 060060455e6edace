/* net.c — mini-batch execution of a tfg_graph for training: the activation and gradient
 * buffers, the forward and backward walks over the layers, and the kernels of the
 * non-spatial layers (dense, activations, softmax, flatten/reshape, add, batchnorm).
 * conv.c and pool.c hold the spatial kernels (layers.h).
 *
 * Everything is allocated once in tfg_net_new for max_batch samples, so a training
 * step allocates nothing. Dense layers are one sgemm per batch. Nothing here starts
 * threads or reduces in an order that varies between runs, so the same inputs give the
 * same floats. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/graph.h"
#include "nn/layers.h"

/* The most im2col scratch a conv2d uses at once; larger batches run in chunks. */
#define TFG_COL_BUDGET ((size_t)8 << 20)

struct tfg_net {
    tfg_graph *g;
    size_t max_batch, batch;
    bool training, input_grad;
    float **act, **grad;     /* per tensor: max_batch x size */
    float *col, *dcol;       /* im2col scratch */
    size_t col_cap;
    int32_t **argmax;        /* per layer: maxpool only */
    float **bn_mean, **bn_istd; /* per layer: batchnorm only, per channel */
};

static size_t tsize(const tfg_net *n, int t)
{
    return tfg_shape_size(&n->g->tensors[t]);
}

static size_t last_dim(const tfg_shape *s)
{
    return s->dim[s->rank - 1];
}

/* Samples per im2col chunk of layer L (at least one). */
static size_t col_chunk(const tfg_net *n, const tfg_layer *L)
{
    size_t per = tfg_conv2d_col_per_sample(L, &n->g->tensors[L->in], &n->g->tensors[L->out]);
    if (!per)
        return n->max_batch;
    size_t c = TFG_COL_BUDGET / per;
    return c < 1 ? 1 : c > n->max_batch ? n->max_batch : c;
}

tfg_net *tfg_net_new(tfg_graph *g, size_t max_batch)
{
    tfg_net *n = tfg_xcalloc(1, sizeof *n);
    n->g = g;
    n->max_batch = max_batch ? max_batch : 1;
    n->act = tfg_xcalloc(g->n_tensors, sizeof *n->act);
    n->grad = tfg_xcalloc(g->n_tensors, sizeof *n->grad);
    for (size_t t = 0; t < g->n_tensors; t++) {
        n->act[t] = tfg_xcalloc(n->max_batch * tsize(n, (int)t), sizeof(float));
        n->grad[t] = tfg_xcalloc(n->max_batch * tsize(n, (int)t), sizeof(float));
    }
    n->argmax = tfg_xcalloc(g->n_layers, sizeof *n->argmax);
    n->bn_mean = tfg_xcalloc(g->n_layers, sizeof *n->bn_mean);
    n->bn_istd = tfg_xcalloc(g->n_layers, sizeof *n->bn_istd);
    for (size_t i = 0; i < g->n_layers; i++) {
        tfg_layer *L = &g->layers[i];
        if (L->kind == TFG_LAYER_MAXPOOL)
            n->argmax[i] = tfg_xcalloc(n->max_batch * tsize(n, L->out), sizeof(int32_t));
        if (L->kind == TFG_LAYER_BATCHNORM) {
            n->bn_mean[i] = tfg_xcalloc(L->w.n, sizeof(float));
            n->bn_istd[i] = tfg_xcalloc(L->w.n, sizeof(float));
        }
        size_t per = tfg_conv2d_col_per_sample(L, &g->tensors[L->in], &g->tensors[L->out]);
        if (per * col_chunk(n, L) > n->col_cap)
            n->col_cap = per * col_chunk(n, L);
    }
    if (n->col_cap) {
        n->col = tfg_xmalloc(n->col_cap * sizeof(float));
        n->dcol = tfg_xmalloc(n->col_cap * sizeof(float));
    }
    return n;
}

void tfg_net_free(tfg_net *n)
{
    if (!n)
        return;
    for (size_t t = 0; t < n->g->n_tensors; t++) {
        free(n->act[t]);
        free(n->grad[t]);
    }
    for (size_t i = 0; i < n->g->n_layers; i++) {
        free(n->argmax[i]);
        free(n->bn_mean[i]);
        free(n->bn_istd[i]);
    }
    free(n->act);
    free(n->grad);
    free(n->argmax);
    free(n->bn_mean);
    free(n->bn_istd);
    free(n->col);
    free(n->dcol);
    free(n);
}

/* ---- dense: y = x W^T + b, W [out][in] ---- */

static void dense_forward(const tfg_lrun *r)
{
    size_t in = tfg_shape_size(r->xs), out = r->L->units;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r->batch, (int)out, (int)in,
                1.0f, r->x, (int)in, r->L->w.value, (int)in, 0.0f, r->y, (int)out);
}

static void dense_backward(const tfg_lrun *r)
{
    size_t in = tfg_shape_size(r->xs), out = r->L->units;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)r->batch,
                1.0f, r->dy, (int)out, r->x, (int)in, 1.0f, r->L->w.grad, (int)in);
    for (size_t b = 0; b < r->batch; b++)
        for (size_t o = 0; o < out; o++)
            r->L->b.grad[o] += r->dy[b * out + o];
    if (r->dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r->batch, (int)in,
                    (int)out, 1.0f, r->dy, (int)out, r->L->w.value, (int)in, 1.0f, r->dx,
                    (int)in);
}

/* ---- activations ----
 * The gradient at the kinks (x = 0, and x = 6 for relu6) is taken as 0: the mask is
 * computed from the output, where the boundary points are exactly the clipped values. */

/* v when c holds, else +0, without a branch: relu inputs are half negative at random,
 * and a mispredicted branch per element costs more than the rest of the loop. */
static inline float keep_if(float v, int c)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u &= 0u - (uint32_t)c;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* y = act(y + bias) over rows of n (bias may be NULL): one pass after the sgemm. */
static void bias_act(float *y, size_t rows, size_t n, const float *bias, tfg_act a)
{
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * n;
        if (bias)
            for (size_t k = 0; k < n; k++)
                yr[k] += bias[k];
        if (a == TFG_ACT_RELU)
            for (size_t k = 0; k < n; k++)
                yr[k] = keep_if(yr[k], yr[k] > 0.0f);
        else if (a == TFG_ACT_RELU6)
            for (size_t k = 0; k < n; k++)
                yr[k] = keep_if(yr[k] < 6.0f ? yr[k] : 6.0f, yr[k] > 0.0f);
    }
}

/* Where the activation passed its input through, judged from its output. */
static inline int act_pass(tfg_act a, float y)
{
    return a == TFG_ACT_RELU ? y > 0.0f : (y > 0.0f) & (y < 6.0f);
}

/* dy masked by where the activation passed its input through (in place). */
static void act_mask(tfg_act a, const float *y, float *dy, size_t n)
{
    if (a == TFG_ACT_NONE)
        return;
    for (size_t i = 0; i < n; i++)
        dy[i] = keep_if(dy[i], act_pass(a, y[i]));
}

static void act_backward(tfg_act a, const float *y, const float *dy, float *dx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dx[i] += keep_if(dy[i], act_pass(a, y[i]));
}

/* ---- softmax over the last dimension ---- */

static void softmax_forward(const float *x, float *y, size_t rows, size_t c)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        float mx = xr[0];
        for (size_t k = 1; k < c; k++)
            mx = xr[k] > mx ? xr[k] : mx;
        double sum = 0.0;
        for (size_t k = 0; k < c; k++) {
            yr[k] = expf(xr[k] - mx);
            sum += yr[k];
        }
        float inv = (float)(1.0 / sum);
        for (size_t k = 0; k < c; k++)
            yr[k] *= inv;
    }
}

/* dx = J^T dy with J = diag(y) - y y^T: dx_k = y_k (dy_k - sum_j dy_j y_j). */
static void softmax_backward(const float *y, const float *dy, float *dx, size_t rows, size_t c)
{
    for (size_t r = 0; r < rows; r++) {
        const float *yr = y + r * c, *dr = dy + r * c;
        double dot = 0.0;
        for (size_t k = 0; k < c; k++)
            dot += (double)dr[k] * yr[k];
        for (size_t k = 0; k < c; k++)
            dx[r * c + k] += yr[k] * (dr[k] - (float)dot);
    }
}

/* ---- batchnorm over the last dimension ----
 * Training normalizes by the batch's mean and (biased) variance and moves the running
 * statistics toward them as Keras does (running = momentum * running + (1 - momentum)
 * * batch); evaluation uses the running statistics. */

static void bn_stats(const float *x, size_t rows, size_t c, float *mean, float *var)
{
    for (size_t k = 0; k < c; k++) {
        double s = 0.0, ss = 0.0;
        for (size_t r = 0; r < rows; r++)
            s += x[r * c + k];
        double m = s / (double)rows;
        for (size_t r = 0; r < rows; r++) {
            double d = x[r * c + k] - m;
            ss += d * d;
        }
        mean[k] = (float)m;
        var[k] = (float)(ss / (double)rows);
    }
}

static void bn_forward(tfg_net *n, size_t li, const tfg_lrun *r)
{
    tfg_layer *L = r->L;
    size_t c = last_dim(r->xs), rows = r->batch * tfg_shape_size(r->xs) / c;
    float *mean = n->bn_mean[li], *istd = n->bn_istd[li];
    if (n->training) {
        bn_stats(r->x, rows, c, mean, istd); /* istd holds the variance for a moment */
        for (size_t k = 0; k < c; k++) {
            L->mean[k] = L->momentum * L->mean[k] + (1.0f - L->momentum) * mean[k];
            L->var[k] = L->momentum * L->var[k] + (1.0f - L->momentum) * istd[k];
            istd[k] = 1.0f / sqrtf(istd[k] + L->eps);
        }
    } else {
        for (size_t k = 0; k < c; k++) {
            mean[k] = L->mean[k];
            istd[k] = 1.0f / sqrtf(L->var[k] + L->eps);
        }
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t k = 0; k < c; k++)
            r->y[i * c + k] = L->w.value[k] * (r->x[i * c + k] - mean[k]) * istd[k] +
                              L->b.value[k];
}

static void bn_backward(tfg_net *n, size_t li, const tfg_lrun *r)
{
    tfg_layer *L = r->L;
    size_t c = last_dim(r->xs), rows = r->batch * tfg_shape_size(r->xs) / c;
    const float *mean = n->bn_mean[li], *istd = n->bn_istd[li];
    for (size_t k = 0; k < c; k++) {
        double sdy = 0.0, sdyx = 0.0;
        for (size_t i = 0; i < rows; i++) {
            float xh = (r->x[i * c + k] - mean[k]) * istd[k];
            sdy += r->dy[i * c + k];
            sdyx += (double)r->dy[i * c + k] * xh;
        }
        L->w.grad[k] += (float)sdyx;
        L->b.grad[k] += (float)sdy;
        if (!r->dx)
            continue;
        float g = L->w.value[k] * istd[k];
        /* In training the batch statistics depend on x too: the standard three-term form. */
        float a = n->training ? (float)(sdy / (double)rows) : 0.0f;
        float bterm = n->training ? (float)(sdyx / (double)rows) : 0.0f;
        for (size_t i = 0; i < rows; i++) {
            float xh = (r->x[i * c + k] - mean[k]) * istd[k];
            r->dx[i * c + k] += g * (r->dy[i * c + k] - a - xh * bterm);
        }
    }
}

/* ---- the walks ---- */

static tfg_lrun lrun(tfg_net *n, tfg_layer *L)
{
    tfg_lrun r = {.L = L,
                  .xs = &n->g->tensors[L->in],
                  .ys = &n->g->tensors[L->out],
                  .batch = n->batch,
                  .x = n->act[L->in],
                  .y = n->act[L->out],
                  .dy = n->grad[L->out],
                  .dx = (L->in > 0 || n->input_grad) ? n->grad[L->in] : NULL,
                  .col = n->col,
                  .dcol = n->dcol,
                  .col_cap = n->col_cap,
                  .argmax = n->argmax[L - n->g->layers]};
    return r;
}

static void layer_forward(tfg_net *n, size_t i)
{
    tfg_layer *L = &n->g->layers[i];
    tfg_lrun r = lrun(n, L);
    size_t ny = n->batch * tsize(n, L->out);
    switch (L->kind) {
    case TFG_LAYER_DENSE: dense_forward(&r); break;
    case TFG_LAYER_CONV2D: tfg_conv2d_forward(&r); break;
    case TFG_LAYER_DWCONV2D: tfg_dwconv2d_forward(&r); break;
    case TFG_LAYER_MAXPOOL: tfg_maxpool_forward(&r); break;
    case TFG_LAYER_AVGPOOL: tfg_avgpool_forward(&r); break;
    case TFG_LAYER_RELU:
    case TFG_LAYER_RELU6:
        memcpy(r.y, r.x, ny * sizeof(float));
        bias_act(r.y, 1, ny, NULL, L->kind == TFG_LAYER_RELU ? TFG_ACT_RELU : TFG_ACT_RELU6);
        break;
    case TFG_LAYER_SOFTMAX:
        softmax_forward(r.x, r.y, ny / last_dim(r.ys), last_dim(r.ys));
        break;
    case TFG_LAYER_FLATTEN:
    case TFG_LAYER_RESHAPE: memcpy(r.y, r.x, ny * sizeof(float)); break;
    case TFG_LAYER_ADD: {
        const float *b = n->act[L->in2];
        for (size_t k = 0; k < ny; k++)
            r.y[k] = r.x[k] + b[k];
        break;
    }
    case TFG_LAYER_BATCHNORM: bn_forward(n, i, &r); break;
    default: break;
    }
    /* dense and conv2d leave bias and activation to one pass here; depthwise starts
     * from its bias. */
    size_t co = last_dim(r.ys);
    if (L->kind == TFG_LAYER_DENSE || L->kind == TFG_LAYER_CONV2D)
        bias_act(r.y, ny / co, co, L->b.value, L->act);
    else if (L->kind == TFG_LAYER_DWCONV2D)
        bias_act(r.y, ny / co, co, NULL, L->act);
}

static void layer_backward(tfg_net *n, size_t i)
{
    tfg_layer *L = &n->g->layers[i];
    tfg_lrun r = lrun(n, L);
    size_t ny = n->batch * tsize(n, L->out);
    /* Every reader of this layer's output comes later and has already added its
     * gradient, so the fused activation can mask it in place. */
    act_mask(L->act, r.y, n->grad[L->out], ny);
    switch (L->kind) {
    case TFG_LAYER_DENSE: dense_backward(&r); break;
    case TFG_LAYER_CONV2D: tfg_conv2d_backward(&r); break;
    case TFG_LAYER_DWCONV2D: tfg_dwconv2d_backward(&r); break;
    case TFG_LAYER_MAXPOOL: tfg_maxpool_backward(&r); break;
    case TFG_LAYER_AVGPOOL: tfg_avgpool_backward(&r); break;
    case TFG_LAYER_RELU:
    case TFG_LAYER_RELU6:
        if (r.dx)
            act_backward(L->kind == TFG_LAYER_RELU ? TFG_ACT_RELU : TFG_ACT_RELU6, r.y, r.dy,
                         r.dx, ny);
        break;
    case TFG_LAYER_SOFTMAX:
        if (r.dx)
            softmax_backward(r.y, r.dy, r.dx, ny / last_dim(r.ys), last_dim(r.ys));
        break;
    case TFG_LAYER_FLATTEN:
    case TFG_LAYER_RESHAPE:
    case TFG_LAYER_ADD:
        for (size_t k = 0; r.dx && k < ny; k++)
            r.dx[k] += r.dy[k];
        if (L->kind == TFG_LAYER_ADD && (L->in2 > 0 || n->input_grad))
            for (size_t k = 0; k < ny; k++)
                n->grad[L->in2][k] += r.dy[k];
        break;
    case TFG_LAYER_BATCHNORM: bn_backward(n, i, &r); break;
    default: break;
    }
}

const float *tfg_net_forward(tfg_net *n, const float *x, size_t batch, bool training)
{
    if (batch == 0 || batch > n->max_batch)
        return NULL; /* a caller bug: the buffers hold max_batch samples */
    n->batch = batch;
    n->training = training;
    memcpy(n->act[0], x, batch * tsize(n, 0) * sizeof(float));
    for (size_t i = 0; i < n->g->n_layers; i++)
        layer_forward(n, i);
    return n->act[n->g->n_tensors - 1];
}

const float *tfg_net_tensor(const tfg_net *n, int t)
{
    return n->act[t];
}

const float *tfg_net_grad(const tfg_net *n, int t)
{
    return n->grad[t];
}

void tfg_net_want_input_grad(tfg_net *n, bool on)
{
    n->input_grad = on;
}

void tfg_net_backward(tfg_net *n, int t, const float *dy)
{
    for (int k = 0; k < t; k++)
        memset(n->grad[k], 0, n->batch * tsize(n, k) * sizeof(float));
    memcpy(n->grad[t], dy, n->batch * tsize(n, t) * sizeof(float));
    /* Tensor t is written by layer t-1; layers after it do not matter. */
    for (int i = t - 1; i >= 0; i--)
        layer_backward(n, (size_t)i);
}

void tfg_net_zero_grad(tfg_net *n)
{
    for (size_t i = 0; i < n->g->n_layers; i++) {
        tfg_layer *L = &n->g->layers[i];
        if (L->w.grad)
            memset(L->w.grad, 0, L->w.n * sizeof(float));
        if (L->b.grad)
            memset(L->b.grad, 0, L->b.n * sizeof(float));
    }
}
