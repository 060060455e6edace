/* from_tflite.c — a .tflite model as the float network IR (tfg_graph_from_tflite in
 * quant.h).
 *
 * Two passes over the operators. The first writes the architecture JSON the IR is built
 * from (docs/arch.md) — so the importer goes through the very checks and shape
 * inference a hand-written architecture gets — and remembers which operator each layer
 * came from. The second fills each weighted layer's parameters from its operator's
 * constant tensors, dequantizing int8 and int32 data with their scales. The IR holds
 * chains with residual adds, so every operator must read the output of the one before
 * it (an add: and one earlier output). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "quant/quant.h"

typedef struct {
    const tfg_tflite *m;
    const tfg_tfl_subgraph *sg;
    int32_t *alias;     /* tensor -> the tensor it equals (QUANTIZE/DEQUANTIZE), or itself */
    char **producer;    /* tensor -> the layer name that writes it ("input" for the input) */
    json_t *layers;
    int32_t *op_of_layer;
    size_t n_layers;
    tfg_err *err;
} imp;

static tfg_status op_err(imp *c, size_t i, const char *fmt, const char *detail)
{
    char why[256];
    snprintf(why, sizeof why, fmt, detail ? detail : "");
    return tfg_err_set(c->err, TFG_EINPUT, "%s: operators[%zu] (%s): %s", c->m->name, i,
                       tfg_tflite_op_name(c->sg->ops[i].builtin), why);
}

static int32_t real(imp *c, int32_t t)
{
    return t >= 0 ? c->alias[t] : t;
}

static const tfg_tfl_tensor *ten(imp *c, int32_t t)
{
    return &c->sg->tensors[t];
}

static void add_layer(imp *c, json_t *L, size_t op, int32_t out)
{
    char *name = tfg_xasprintf("op%zu_%zu", op, c->n_layers);
    json_object_set_new(L, "name", json_string(name));
    json_array_append_new(c->layers, L);
    c->op_of_layer = tfg_xreallocarray(c->op_of_layer, c->n_layers + 1, sizeof *c->op_of_layer);
    c->op_of_layer[c->n_layers++] = (int32_t)op;
    if (out < 0) { /* a layer of the IR's own (a flatten) writes no TFLite tensor */
        free(name);
        return;
    }
    free(c->producer[out]);
    c->producer[out] = name;
}

static tfg_status window(imp *c, size_t i, json_t *L, bool pool)
{
    const tfg_tfl_options *o = &c->sg->ops[i].opt;
    if (o->dilation_h != 1 || o->dilation_w != 1)
        return op_err(c, i, "dilation is not 1; the IR has no dilated convolution%s", NULL);
    if (pool)
        json_object_set_new(L, "size", json_pack("[i, i]", o->filter_h, o->filter_w));
    json_object_set_new(L, "stride", json_pack("[i, i]", o->stride_h, o->stride_w));
    json_object_set_new(L, "padding",
                        json_string(o->padding == TFG_TFL_PAD_SAME ? "same" : "valid"));
    return TFG_OK;
}

static tfg_status activation(imp *c, size_t i, json_t *L)
{
    tfg_tfl_activation a = c->sg->ops[i].opt.activation;
    if (a == TFG_TFL_ACT_RELU)
        json_object_set_new(L, "activation", json_string("relu"));
    else if (a == TFG_TFL_ACT_RELU6)
        json_object_set_new(L, "activation", json_string("relu6"));
    else if (a != TFG_TFL_ACT_NONE)
        return op_err(c, i, "fused activation %s; supported: NONE, RELU, RELU6",
                      tfg_tflite_activation_name(a));
    return TFG_OK;
}

/* The per-sample shape of tensor t (its shape without the batch dimension). */
static size_t sample_rank(imp *c, int32_t t)
{
    return ten(c, t)->rank ? ten(c, t)->rank - 1 : 0;
}

static tfg_status weighted(imp *c, size_t i, json_t *L, int32_t x)
{
    const tfg_tfl_op *op = &c->sg->ops[i];
    if (op->n_inputs < 2 || op->inputs[1] < 0)
        return op_err(c, i, "has no weights%s", NULL);
    const tfg_tfl_tensor *w = ten(c, op->inputs[1]);
    tfg_status st = TFG_OK;
    switch (op->builtin) {
    case TFG_TFL_CONV_2D:
        json_object_set_new(L, "type", json_string("conv2d"));
        json_object_set_new(L, "filters", json_integer(w->shape[0]));
        json_object_set_new(L, "kernel", json_pack("[i, i]", w->shape[1], w->shape[2]));
        st = window(c, i, L, false);
        break;
    case TFG_TFL_DEPTHWISE_CONV_2D: {
        int32_t in_c = ten(c, x)->rank == 4 ? ten(c, x)->shape[3] : 0;
        json_object_set_new(L, "type", json_string("depthwise_conv2d"));
        json_object_set_new(L, "multiplier", json_integer(in_c > 0 ? w->shape[3] / in_c : 1));
        json_object_set_new(L, "kernel", json_pack("[i, i]", w->shape[1], w->shape[2]));
        st = window(c, i, L, false);
        break;
    }
    default: /* FULLY_CONNECTED */
        json_object_set_new(L, "type", json_string("dense"));
        json_object_set_new(L, "units", json_integer(w->shape[0]));
    }
    return st ? st : activation(c, i, L);
}

/* RESHAPE: a flat result is a flatten; H x W x C a reshape; other ranks the IR lacks. */
static tfg_status reshape(imp *c, size_t i, json_t *L, int32_t y)
{
    const tfg_tfl_tensor *t = ten(c, y);
    size_t r = sample_rank(c, y), big = 0;
    for (size_t k = 1; k < t->rank; k++)
        big += t->shape[k] != 1;
    if (r == 1 || big <= 1) {
        json_object_set_new(L, "type", json_string("flatten"));
        return TFG_OK;
    }
    if (r != 3)
        return op_err(c, i, "a result of rank %s is neither flat nor height x width x "
                      "channels", r == 2 ? "2" : "above 3");
    json_object_set_new(L, "type", json_string("reshape"));
    json_object_set_new(L, "shape", json_pack("[i, i, i]", t->shape[1], t->shape[2], t->shape[3]));
    return TFG_OK;
}

static tfg_status one_op(imp *c, size_t i, int32_t *prev)
{
    const tfg_tfl_op *op = &c->sg->ops[i];
    if (op->n_inputs < 1 || op->n_outputs != 1)
        return op_err(c, i, "expected one output and at least one input%s", NULL);
    int32_t x = real(c, op->inputs[0]), y = op->outputs[0];
    if (op->builtin == TFG_TFL_QUANTIZE || op->builtin == TFG_TFL_DEQUANTIZE) {
        if (x != *prev)
            return op_err(c, i, "an edge conversion inside the model%s", NULL);
        c->alias[y] = x;
        return TFG_OK;
    }
    int32_t from = -1;
    if (op->builtin == TFG_TFL_ADD) {
        if (op->n_inputs != 2)
            return op_err(c, i, "expected two inputs%s", NULL);
        int32_t b = real(c, op->inputs[1]);
        from = x == *prev ? b : x;
        x = x == *prev ? x : b;
    }
    if (x != *prev)
        return op_err(c, i, "reads tensor %s, not the output of the operator before it: "
                      "the IR holds chains (with residual adds)",
                      ten(c, op->inputs[0])->name);
    json_t *L = json_object();
    tfg_status st = TFG_OK;
    switch (op->builtin) {
    case TFG_TFL_CONV_2D:
    case TFG_TFL_DEPTHWISE_CONV_2D:
    case TFG_TFL_FULLY_CONNECTED:
        if (op->builtin == TFG_TFL_FULLY_CONNECTED && sample_rank(c, x) > 1)
            add_layer(c, json_pack("{s:s}", "type", "flatten"), i, -1);
        st = weighted(c, i, L, x);
        break;
    case TFG_TFL_AVERAGE_POOL_2D:
    case TFG_TFL_MAX_POOL_2D:
        json_object_set_new(L, "type", json_string(op->builtin == TFG_TFL_MAX_POOL_2D
                                                       ? "maxpool" : "avgpool"));
        st = window(c, i, L, true);
        if (!st && op->opt.activation != TFG_TFL_ACT_NONE)
            st = op_err(c, i, "a pooling layer with a fused activation%s", NULL);
        break;
    case TFG_TFL_RESHAPE:
        st = reshape(c, i, L, y);
        break;
    case TFG_TFL_SOFTMAX:
        json_object_set_new(L, "type", json_string("softmax"));
        if (op->opt.beta != 1.0f)
            st = op_err(c, i, "beta is not 1%s", NULL);
        break;
    case TFG_TFL_ADD: {
        /* The IR's add has no fused activation: a ReLU layer follows it instead. */
        json_object_set_new(L, "type", json_string("add"));
        json_t *act = json_object();
        if (!c->producer[from])
            st = op_err(c, i, "its second input is not the output of an earlier operator%s",
                        NULL);
        else
            json_object_set_new(L, "from", json_string(c->producer[from]));
        st = st ? st : activation(c, i, act);
        const char *a = json_string_value(json_object_get(act, "activation"));
        if (!st && a) {
            add_layer(c, L, i, -1);
            L = json_pack("{s:s}", "type", a);
        }
        json_decref(act);
        break;
    }
    default:
        st = op_err(c, i, "has no layer in the IR; importable: CONV_2D, DEPTHWISE_CONV_2D, "
                    "FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, RESHAPE, SOFTMAX, ADD%s",
                    NULL);
    }
    if (st) {
        json_decref(L);
        return st;
    }
    add_layer(c, L, i, y);
    *prev = y;
    return TFG_OK;
}

/* Float values of constant tensor t: float32 copied, int8/int32 times their scales. */
static tfg_status dequantize(imp *c, size_t op, int32_t t, size_t channels, int qdim_default,
                             float *out, size_t n)
{
    const tfg_tfl_tensor *x = ten(c, t);
    const tfg_tfl_buffer *b = x->buffer < c->m->n_buffers ? &c->m->buffers[x->buffer] : NULL;
    if (!b || !b->data || (size_t)x->elems != n)
        return op_err(c, op, "a constant tensor (%s) is missing or has the wrong size", x->name);
    if (x->type == TFG_TFL_FLOAT32) {
        memcpy(out, b->data, n * sizeof *out);
        return TFG_OK;
    }
    if ((x->type != TFG_TFL_INT8 && x->type != TFG_TFL_INT32) || x->n_scale == 0 ||
        (x->n_scale != 1 && x->n_scale != channels))
        return op_err(c, op, "constant tensor %s is neither float32 nor int8/int32 with a "
                      "scale per tensor or per channel", x->name);
    int qdim = x->n_scale > 1 ? x->quantized_dimension : qdim_default;
    size_t inner = 1;
    for (size_t k = (size_t)qdim + 1; k < x->rank; k++)
        inner *= (size_t)x->shape[k];
    for (size_t k = 0; k < n; k++) {
        size_t ch = x->n_scale > 1 ? (k / inner) % channels : 0;
        double zp = x->n_zero_point > ch ? (double)x->zero_point[ch] : 0;
        double q = x->type == TFG_TFL_INT8 ? ((const int8_t *)b->data)[k]
                                           : (double)((const int32_t *)b->data)[k];
        out[k] = (float)(x->scale[ch] * (q - zp));
    }
    return TFG_OK;
}

static tfg_status fill(imp *c, tfg_graph *g)
{
    for (size_t l = 0; l < g->n_layers; l++) {
        tfg_layer *L = &g->layers[l];
        if (!L->w.value || L->kind == TFG_LAYER_BATCHNORM)
            continue;
        size_t i = (size_t)c->op_of_layer[l];
        const tfg_tfl_op *op = &c->sg->ops[i];
        int qdim = op->builtin == TFG_TFL_DEPTHWISE_CONV_2D ? 3 : 0;
        tfg_status st = dequantize(c, i, op->inputs[1], L->b.n, qdim, L->w.value, L->w.n);
        if (st)
            return st;
        if (op->n_inputs > 2 && op->inputs[2] >= 0)
            st = dequantize(c, i, op->inputs[2], L->b.n, 0, L->b.value, L->b.n);
        else
            memset(L->b.value, 0, L->b.n * sizeof *L->b.value);
        if (st)
            return st;
    }
    return TFG_OK;
}

tfg_status tfg_graph_from_tflite(const tfg_tflite *m, tfg_graph *g, tfg_err *err)
{
    memset(g, 0, sizeof *g);
    if (m->n_subgraphs < 1 || m->subgraphs[0].n_inputs != 1 || m->subgraphs[0].n_outputs != 1)
        return tfg_err_set(err, TFG_EINPUT, "%s: the IR takes a model whose first subgraph "
                           "has one input and one output", m->name);
    imp c = {.m = m, .sg = &m->subgraphs[0], .layers = json_array(), .err = err};
    size_t nt = c.sg->n_tensors;
    c.alias = tfg_xmalloc(nt * sizeof *c.alias);
    c.producer = tfg_xcalloc(nt, sizeof *c.producer);
    for (size_t t = 0; t < nt; t++)
        c.alias[t] = (int32_t)t;
    int32_t prev = c.sg->inputs[0];
    c.producer[prev] = tfg_xstrdup("input");
    tfg_status st = TFG_OK;
    for (size_t i = 0; !st && i < c.sg->n_ops; i++)
        st = one_op(&c, i, &prev);
    if (!st && real(&c, c.sg->outputs[0]) != prev)
        st = tfg_err_set(err, TFG_EINPUT, "%s: the model's output is not the last operator's",
                         m->name);
    if (!st) {
        const tfg_tfl_tensor *in = ten(&c, c.sg->inputs[0]);
        json_t *shape = json_array();
        for (size_t k = 1; k < in->rank; k++)
            json_array_append_new(shape, json_integer(in->shape[k]));
        json_t *arch = json_pack("{s:o, s:O}", "input", shape, "layers", c.layers);
        st = tfg_graph_from_json(arch, m->name, NULL, 0, g, err);
        json_decref(arch);
    }
    if (!st)
        st = fill(&c, g);
    if (st)
        tfg_graph_free(g);
    for (size_t t = 0; t < nt; t++)
        free(c.producer[t]);
    free(c.producer);
    free(c.alias);
    free(c.op_of_layer);
    json_decref(c.layers);
    return st;
}
