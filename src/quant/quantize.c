/* quantize.c — a float graph and its activation ranges -> an int8 TFLite model (quant.h).
 *
 * Lowering walks the layers in order. A dense/conv2d/depthwise layer swallows a batch
 * norm and then a ReLU/ReLU6 right after it (when it alone reads them and its own
 * activation is none), so one TFLite operator computes the chain and its output tensor
 * is the chain's last; an add swallows a ReLU the same way. Pooling and reshape pass
 * their input's quantization through. The model is assembled as a tfg_tflite whose
 * constant buffers this file owns, serialized by import/tflite_write.h and parsed back,
 * so the caller's model owns one copy of the bytes like any model read from disk. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "import/tflite_write.h"
#include "quant/quant.h"

void tfg_quant_params(float min, float max, float *scale, int32_t *zero_point)
{
    double lo = min < 0 ? min : 0, hi = max > 0 ? max : 0;
    if (!(hi > lo)) {
        *scale = 1.0f / 255.0f;
        *zero_point = -128;
        return;
    }
    double s = (hi - lo) / 255.0;
    float sf = (float)s;
    /* The zero point that maps lo to -128, from the float scale the model will carry. */
    double zp = -128.0 - lo / (double)sf;
    zp = zp < -128 ? -128 : zp > 127 ? 127 : zp;
    *scale = sf;
    *zero_point = (int32_t)lround(zp);
}

typedef struct {
    const tfg_graph *g;
    const tfg_ranges *r;
    tfg_tflite m;
    tfg_tfl_subgraph *sg;
    size_t cap_tensors, cap_buffers, cap_opcodes;
    void **owned;  /* constant data this file allocated (buffers point into it) */
    size_t n_owned;
    int *tmap;     /* nn tensor -> TFLite tensor, -1 until written */
    tfg_err *err;
} qb;

static tfg_status layer_err(qb *q, size_t i, const char *why)
{
    const tfg_layer *L = &q->g->layers[i];
    return tfg_err_set(q->err, TFG_EINPUT, "layers[%zu] (%s '%s'): %s", i,
                       tfg_layer_kind_name(L->kind), L->name, why);
}

static int32_t *ints(size_t n, const int32_t *v)
{
    int32_t *p = tfg_xcalloc(n ? n : 1, sizeof *p);
    memcpy(p, v, n * sizeof *p);
    return p;
}

static uint32_t add_buffer(qb *q, void *data, size_t len)
{
    q->owned = tfg_xreallocarray(q->owned, q->n_owned + 1, sizeof *q->owned);
    q->owned[q->n_owned++] = data;
    if (q->m.n_buffers == q->cap_buffers) {
        q->cap_buffers = q->cap_buffers ? 2 * q->cap_buffers : 16;
        q->m.buffers = tfg_xreallocarray(q->m.buffers, q->cap_buffers, sizeof *q->m.buffers);
    }
    q->m.buffers[q->m.n_buffers] = (tfg_tfl_buffer){data, len, 0};
    return (uint32_t)q->m.n_buffers++;
}

/* A new tensor [1, per-sample shape] or of an explicit shape; returns its index. */
static int32_t add_tensor(qb *q, const char *name, int32_t type, size_t rank,
                          const int32_t *shape, uint32_t buffer)
{
    tfg_tfl_subgraph *sg = q->sg;
    if (sg->n_tensors == q->cap_tensors) {
        q->cap_tensors = q->cap_tensors ? 2 * q->cap_tensors : 32;
        sg->tensors = tfg_xreallocarray(sg->tensors, q->cap_tensors, sizeof *sg->tensors);
    }
    tfg_tfl_tensor *t = &sg->tensors[sg->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = tfg_xstrdup(name);
    t->type = type;
    t->rank = rank;
    t->shape = ints(rank, shape);
    t->buffer = buffer;
    return (int32_t)sg->n_tensors++;
}

static void set_quant(qb *q, int32_t t, size_t n, const float *scale, const int32_t *zp,
                      int32_t dim)
{
    tfg_tfl_tensor *x = &q->sg->tensors[t];
    x->scale = tfg_xmalloc(n * sizeof *x->scale);
    x->zero_point = tfg_xmalloc(n * sizeof *x->zero_point);
    for (size_t k = 0; k < n; k++) {
        x->scale[k] = scale[k];
        x->zero_point[k] = zp ? zp[k] : 0;
    }
    x->n_scale = x->n_zero_point = n;
    x->quantized_dimension = dim;
}

/* The TFLite activation tensor of nn tensor t, with explicit quantization. */
static int32_t act_tensor(qb *q, int t, const char *name, float scale, int32_t zp)
{
    const tfg_shape *s = &q->g->tensors[t];
    int32_t shape[4] = {1, 0, 0, 0};
    for (uint32_t k = 0; k < s->rank; k++)
        shape[k + 1] = (int32_t)s->dim[k];
    int32_t x = add_tensor(q, name, TFG_TFL_INT8, s->rank + 1, shape, 0);
    set_quant(q, x, 1, &scale, &zp, 0);
    q->tmap[t] = x;
    return x;
}

/* Quantization from the calibrated range of nn tensor t. */
static int32_t calibrated_tensor(qb *q, int t, const char *name)
{
    float scale;
    int32_t zp;
    tfg_quant_params(q->r->min[t], q->r->max[t], &scale, &zp);
    return act_tensor(q, t, name, scale, zp);
}

static const tfg_tfl_tensor *tfl(qb *q, int nn_tensor)
{
    return &q->sg->tensors[q->tmap[nn_tensor]];
}

static uint32_t opcode(qb *q, int32_t builtin, int32_t version)
{
    for (size_t k = 0; k < q->m.n_opcodes; k++)
        if (q->m.opcodes[k].builtin == builtin)
            return (uint32_t)k;
    if (q->m.n_opcodes == q->cap_opcodes) {
        q->cap_opcodes = q->cap_opcodes ? 2 * q->cap_opcodes : 8;
        q->m.opcodes = tfg_xreallocarray(q->m.opcodes, q->cap_opcodes, sizeof *q->m.opcodes);
    }
    tfg_tfl_opcode *c = &q->m.opcodes[q->m.n_opcodes];
    memset(c, 0, sizeof *c);
    c->builtin = builtin;
    c->builtin_code = builtin;
    c->deprecated_code = (int8_t)(builtin < 127 ? builtin : 127);
    c->version = version;
    return (uint32_t)q->m.n_opcodes++;
}

static tfg_tfl_op *add_op(qb *q, int32_t builtin, int32_t version, const int32_t *in,
                          size_t n_in, int32_t out)
{
    tfg_tfl_subgraph *sg = q->sg;
    tfg_tfl_op *op = &sg->ops[sg->n_ops++];
    memset(op, 0, sizeof *op);
    op->opcode_index = opcode(q, builtin, version);
    op->builtin = builtin;
    op->supported = true;
    op->inputs = ints(n_in, in);
    op->n_inputs = n_in;
    op->outputs = ints(1, &out);
    op->n_outputs = 1;
    op->opt.dilation_w = op->opt.dilation_h = 1;
    return op;
}

/* How many layers read nn tensor t (the graph output counts as one more reader). */
static int readers(const tfg_graph *g, int t)
{
    int n = t == (int)g->n_tensors - 1;
    for (size_t i = 0; i < g->n_layers; i++)
        n += (g->layers[i].in == t) + (g->layers[i].in2 == t);
    return n;
}

/* What a weighted layer becomes after folding: float weights and bias per output
 * channel, the fused activation, and the nn tensor it finally writes. */
typedef struct {
    float *w, *b;
    size_t n_w, channels, per_channel; /* per_channel: weights of one output channel */
    bool channel_last;                 /* depthwise: channel is the fastest index */
    tfg_act act;
    int out;
    size_t used;                       /* layers swallowed, the weighted one included */
} folded;

static size_t w_channel(const folded *f, size_t k)
{
    return f->channel_last ? k % f->channels : k / f->per_channel;
}

/* Folds the batch norm at layer j into f (y = gamma (x - mean) / sqrt(var + eps) + beta
 * per output channel, in double as the quantizer's arithmetic is not the device's). */
static void fold_bn(folded *f, const tfg_layer *bn)
{
    for (size_t c = 0; c < f->channels; c++) {
        double k = bn->w.value[c] / sqrt((double)bn->var[c] + bn->eps);
        f->b[c] = (float)((f->b[c] - (double)bn->mean[c]) * k + bn->b.value[c]);
        if (!f->channel_last)
            for (size_t i = 0; i < f->per_channel; i++)
                f->w[c * f->per_channel + i] = (float)(f->w[c * f->per_channel + i] * k);
        else
            for (size_t i = c; i < f->n_w; i += f->channels)
                f->w[i] = (float)(f->w[i] * k);
    }
}

static bool is_relu(const tfg_layer *L)
{
    return L->kind == TFG_LAYER_RELU || L->kind == TFG_LAYER_RELU6;
}

/* Layer i and what follows it that folds in (see the file comment). */
static tfg_status fold(qb *q, size_t i, folded *f)
{
    const tfg_graph *g = q->g;
    const tfg_layer *L = &g->layers[i];
    memset(f, 0, sizeof *f);
    f->act = L->act;
    f->out = L->out;
    f->used = 1;
    if (L->kind != TFG_LAYER_ADD) {
        f->n_w = L->w.n;
        f->channels = L->b.n;
        f->per_channel = f->n_w / f->channels;
        f->channel_last = L->kind == TFG_LAYER_DWCONV2D;
        f->w = tfg_xmalloc(f->n_w * sizeof *f->w);
        f->b = tfg_xmalloc(f->channels * sizeof *f->b);
        memcpy(f->w, L->w.value, f->n_w * sizeof *f->w);
        memcpy(f->b, L->b.value, f->channels * sizeof *f->b);
    }
    for (size_t j = i + 1; j < g->n_layers; j++) {
        const tfg_layer *N = &g->layers[j];
        if (N->in != f->out || readers(g, f->out) != 1 || f->act != TFG_ACT_NONE)
            break;
        if (N->kind == TFG_LAYER_BATCHNORM && L->kind != TFG_LAYER_ADD && f->used == 1)
            fold_bn(f, N);
        else if (is_relu(N))
            f->act = N->kind == TFG_LAYER_RELU ? TFG_ACT_RELU : TFG_ACT_RELU6;
        else
            break;
        f->out = N->out;
        f->used++;
    }
    return TFG_OK;
}

static tfg_tfl_activation tfl_act(tfg_act a)
{
    return a == TFG_ACT_RELU ? TFG_TFL_ACT_RELU
                             : a == TFG_ACT_RELU6 ? TFG_TFL_ACT_RELU6 : TFG_TFL_ACT_NONE;
}

/* int8 weights, symmetric per output channel, and int32 bias at in_scale x w_scale. */
static void quantize_weights(qb *q, const folded *f, float in_scale, int8_t *w, int32_t *b,
                             float *w_scale, float *b_scale)
{
    for (size_t c = 0; c < f->channels; c++)
        w_scale[c] = 0;
    for (size_t k = 0; k < f->n_w; k++) {
        float a = fabsf(f->w[k]);
        size_t c = w_channel(f, k);
        w_scale[c] = a > w_scale[c] ? a : w_scale[c];
    }
    for (size_t c = 0; c < f->channels; c++)
        w_scale[c] = w_scale[c] > 0 ? w_scale[c] / 127.0f : 1.0f;
    for (size_t k = 0; k < f->n_w; k++) {
        double v = nearbyint((double)f->w[k] / w_scale[w_channel(f, k)]);
        w[k] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
    }
    for (size_t c = 0; c < f->channels; c++) {
        b_scale[c] = in_scale * w_scale[c];
        double v = nearbyint((double)f->b[c] / b_scale[c]);
        b[c] = (int32_t)(v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : v);
    }
    (void)q;
}

static tfg_status lower_weighted(qb *q, size_t i, const folded *f)
{
    const tfg_layer *L = &q->g->layers[i];
    const tfg_tfl_tensor *in = tfl(q, L->in);
    float in_scale = in->scale[0];
    int8_t *w = tfg_xmalloc(f->n_w);
    int32_t *b = tfg_xmalloc(f->channels * sizeof *b);
    float *ws = tfg_xmalloc(f->channels * sizeof *ws), *bs = tfg_xmalloc(f->channels * sizeof *bs);
    quantize_weights(q, f, in_scale, w, b, ws, bs);
    int32_t wshape[4], brank_shape[1] = {(int32_t)f->channels};
    size_t wrank;
    int32_t builtin, version, qdim = 0;
    const tfg_shape *xs = &q->g->tensors[L->in];
    if (L->kind == TFG_LAYER_DENSE) {
        wrank = 2, wshape[0] = (int32_t)f->channels, wshape[1] = (int32_t)f->per_channel;
        builtin = TFG_TFL_FULLY_CONNECTED, version = 4;
    } else if (L->kind == TFG_LAYER_CONV2D) {
        wrank = 4, wshape[0] = (int32_t)f->channels, wshape[1] = (int32_t)L->kh;
        wshape[2] = (int32_t)L->kw, wshape[3] = (int32_t)xs->dim[2];
        builtin = TFG_TFL_CONV_2D, version = 3;
    } else {
        wrank = 4, wshape[0] = 1, wshape[1] = (int32_t)L->kh, wshape[2] = (int32_t)L->kw;
        wshape[3] = (int32_t)f->channels;
        builtin = TFG_TFL_DEPTHWISE_CONV_2D, version = 3, qdim = 3;
    }
    char name[160];
    snprintf(name, sizeof name, "%s/weights", L->name);
    int32_t wt = add_tensor(q, name, TFG_TFL_INT8, wrank, wshape, add_buffer(q, w, f->n_w));
    set_quant(q, wt, f->channels, ws, NULL, qdim);
    snprintf(name, sizeof name, "%s/bias", L->name);
    int32_t bt = add_tensor(q, name, TFG_TFL_INT32, 1, brank_shape,
                            add_buffer(q, b, f->channels * sizeof *b));
    set_quant(q, bt, f->channels, bs, NULL, 0);
    free(ws);
    free(bs);
    int32_t y = calibrated_tensor(q, f->out, L->name);
    int32_t ins[3] = {q->tmap[L->in], wt, bt};
    tfg_tfl_op *op = add_op(q, builtin, version, ins, 3, y);
    op->opt.activation = tfl_act(f->act);
    if (builtin != TFG_TFL_FULLY_CONNECTED) {
        op->opt.padding = L->padding == TFG_PAD_SAME ? TFG_TFL_PAD_SAME : TFG_TFL_PAD_VALID;
        op->opt.stride_h = (int32_t)L->sh, op->opt.stride_w = (int32_t)L->sw;
        if (builtin == TFG_TFL_DEPTHWISE_CONV_2D)
            op->opt.depth_multiplier = (int32_t)L->multiplier;
    }
    return TFG_OK;
}

/* An op whose output keeps its input's quantization (pooling, reshape). */
static int32_t passthrough_tensor(qb *q, const tfg_layer *L)
{
    const tfg_tfl_tensor *in = tfl(q, L->in);
    return act_tensor(q, L->out, L->name, in->scale[0], (int32_t)in->zero_point[0]);
}

static tfg_status lower_simple(qb *q, size_t i)
{
    const tfg_layer *L = &q->g->layers[i];
    int32_t x = q->tmap[L->in];
    switch (L->kind) {
    case TFG_LAYER_MAXPOOL:
    case TFG_LAYER_AVGPOOL: {
        int32_t y = passthrough_tensor(q, L);
        tfg_tfl_op *op = add_op(q, L->kind == TFG_LAYER_MAXPOOL ? TFG_TFL_MAX_POOL_2D
                                                                : TFG_TFL_AVERAGE_POOL_2D,
                                2, &x, 1, y);
        op->opt.padding = L->padding == TFG_PAD_SAME ? TFG_TFL_PAD_SAME : TFG_TFL_PAD_VALID;
        op->opt.stride_h = (int32_t)L->sh, op->opt.stride_w = (int32_t)L->sw;
        op->opt.filter_h = (int32_t)L->kh, op->opt.filter_w = (int32_t)L->kw;
        return TFG_OK;
    }
    case TFG_LAYER_FLATTEN:
    case TFG_LAYER_RESHAPE: {
        int32_t y = passthrough_tensor(q, L);
        const tfg_tfl_tensor *yt = &q->sg->tensors[y];
        size_t rank = yt->rank;
        int32_t *shape = tfg_xmalloc(rank * sizeof *shape);
        memcpy(shape, yt->shape, rank * sizeof *shape);
        char name[160];
        snprintf(name, sizeof name, "%s/shape", L->name);
        int32_t dims[1] = {(int32_t)rank};
        int32_t st = add_tensor(q, name, TFG_TFL_INT32, 1, dims,
                                add_buffer(q, shape, rank * sizeof *shape));
        int32_t ins[2] = {x, st};
        tfg_tfl_op *op = add_op(q, TFG_TFL_RESHAPE, 1, ins, 2, y);
        op->opt.new_shape = ints(rank, shape);
        op->opt.n_new_shape = rank;
        return TFG_OK;
    }
    case TFG_LAYER_SOFTMAX: {
        int32_t y = act_tensor(q, L->out, L->name, 1.0f / 256.0f, -128);
        tfg_tfl_op *op = add_op(q, TFG_TFL_SOFTMAX, 2, &x, 1, y);
        op->opt.beta = 1.0f;
        return TFG_OK;
    }
    case TFG_LAYER_RELU:
    case TFG_LAYER_RELU6:
        return layer_err(q, i, "an int8 model has no separate ReLU: it must directly follow a "
                               "dense, conv2d, depthwise or add layer that has no activation "
                               "of its own and is read by nothing else");
    case TFG_LAYER_BATCHNORM:
        return layer_err(q, i, "batch norm can be folded only into the dense, conv2d or "
                               "depthwise layer right before it, with no activation between");
    default:
        return layer_err(q, i, "this layer kind has no int8 lowering");
    }
}

static tfg_status lower_add(qb *q, size_t i, const folded *f)
{
    const tfg_layer *L = &q->g->layers[i];
    int32_t ins[2] = {q->tmap[L->in], q->tmap[L->in2]};
    int32_t y = calibrated_tensor(q, f->out, L->name);
    tfg_tfl_op *op = add_op(q, TFG_TFL_ADD, 2, ins, 2, y);
    op->opt.activation = tfl_act(f->act);
    return TFG_OK;
}

static tfg_status lower(qb *q)
{
    const tfg_graph *g = q->g;
    for (size_t t = 0; t < g->n_tensors; t++)
        q->tmap[t] = -1;
    calibrated_tensor(q, 0, "input");
    tfg_status st = TFG_OK;
    for (size_t i = 0; !st && i < g->n_layers;) {
        const tfg_layer *L = &g->layers[i];
        folded f;
        size_t used = 1;
        switch (L->kind) {
        case TFG_LAYER_DENSE:
        case TFG_LAYER_CONV2D:
        case TFG_LAYER_DWCONV2D:
        case TFG_LAYER_ADD:
            st = fold(q, i, &f);
            if (!st)
                st = L->kind == TFG_LAYER_ADD ? lower_add(q, i, &f) : lower_weighted(q, i, &f);
            used = f.used;
            free(f.w);
            free(f.b);
            break;
        default:
            st = lower_simple(q, i);
        }
        i += used;
    }
    if (st)
        return st;
    int out = (int)g->n_tensors - 1;
    q->sg->inputs = ints(1, &q->tmap[0]);
    q->sg->n_inputs = 1;
    q->sg->outputs = ints(1, &q->tmap[out]);
    q->sg->n_outputs = 1;
    return TFG_OK;
}

tfg_status tfg_quantize(const tfg_graph *g, const tfg_ranges *r, const char *description,
                        tfg_tflite *out, tfg_err *err)
{
    memset(out, 0, sizeof *out);
    if (r->n_tensors != g->n_tensors)
        return tfg_err_set(err, TFG_EINTERNAL, "ranges of %zu tensors for a graph of %zu",
                           r->n_tensors, g->n_tensors);
    qb q = {.g = g, .r = r, .err = err};
    q.tmap = tfg_xmalloc(g->n_tensors * sizeof *q.tmap);
    q.m.name = tfg_xstrdup("model.tflite");
    q.m.version = 3;
    q.m.description = tfg_xstrdup(description ? description : "");
    q.m.n_subgraphs = 1;
    q.m.subgraphs = tfg_xcalloc(1, sizeof *q.m.subgraphs);
    q.sg = &q.m.subgraphs[0];
    q.sg->name = tfg_xstrdup("main");
    q.sg->ops = tfg_xcalloc(g->n_layers ? g->n_layers : 1, sizeof *q.sg->ops);
    add_buffer(&q, NULL, 0); /* buffer 0: the empty one TFLite reserves */
    tfg_status st = lower(&q);
    void *bytes = NULL;
    size_t len = 0;
    if (!st)
        st = tfg_tflite_write(&q.m, &bytes, &len, err);
    if (!st)
        st = tfg_tflite_parse(bytes, len, "model.tflite", out, err);
    free(bytes);
    for (size_t k = 0; k < q.n_owned; k++)
        free(q.owned[k]);
    free(q.owned);
    free(q.tmap);
    tfg_tflite_free(&q.m);
    return st;
}
