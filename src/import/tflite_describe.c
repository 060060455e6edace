/* tflite_describe.c — the JSON picture of a read .tflite model (tfg_tflite_describe).
 *
 * This is what a future `tinyforge inspect` prints: enough to see what a model computes
 * and what it costs (ops in order, tensors with shapes, types, bytes and quantization),
 * without a viewer. Unsupported ops appear like the others, flagged, so a user sees
 * every reason a model will not import at once. Kept apart from the reader so the
 * reader stays about the file format alone. */
#include "import/tflite.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/strutil.h"

/* Names in a model are arbitrary bytes; JSON needs UTF-8. Bytes that are not UTF-8
 * become U+FFFD (counted in *lossy, which the description reports); control bytes stay
 * and are escaped by the JSON writer. */
static json_t *jstr(const char *s, size_t *lossy)
{
    bool replaced = false;
    char *t = tfg_utf8_lossy(s ? s : "", &replaced);
    json_t *j = json_string(t);
    free(t);
    *lossy += replaced;
    return j;
}

static json_t *jints(const int32_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

static json_t *describe_tensor(const tfg_tflite *m, const tfg_tfl_tensor *x, size_t i,
                               size_t *lossy)
{
    json_t *t = json_object();
    json_object_set_new(t, "index", json_integer((json_int_t)i));
    json_object_set_new(t, "name", jstr(x->name, lossy));
    json_object_set_new(t, "type", json_string(tfg_tflite_type_name(x->type)));
    json_object_set_new(t, "shape", jints(x->shape, x->rank));
    json_object_set_new(t, "bytes", json_integer((json_int_t)x->bytes));
    json_object_set_new(t, "buffer", json_integer(x->buffer));
    bool constant = x->buffer < m->n_buffers && m->buffers[x->buffer].len > 0;
    json_object_set_new(t, "constant", json_boolean(constant));
    if (x->is_variable)
        json_object_set_new(t, "variable", json_true());
    if (x->n_scale || x->n_zero_point) {
        json_t *sc = json_array(), *zp = json_array();
        for (size_t k = 0; k < x->n_scale; k++)
            json_array_append_new(sc, json_real(x->scale[k]));
        for (size_t k = 0; k < x->n_zero_point; k++)
            json_array_append_new(zp, json_integer((json_int_t)x->zero_point[k]));
        json_object_set_new(t, "scale", sc);
        json_object_set_new(t, "zero_point", zp);
        if (x->n_scale > 1)
            json_object_set_new(t, "quantized_dimension", json_integer(x->quantized_dimension));
    }
    return t;
}

static json_t *describe_options(const tfg_tfl_op *op)
{
    const tfg_tfl_options *p = &op->opt;
    json_t *o = json_object();
    bool conv = op->builtin == TFG_TFL_CONV_2D || op->builtin == TFG_TFL_DEPTHWISE_CONV_2D;
    bool pool = op->builtin == TFG_TFL_AVERAGE_POOL_2D || op->builtin == TFG_TFL_MAX_POOL_2D;
    if (conv || pool) {
        json_object_set_new(o, "padding", json_string(p->padding ? "VALID" : "SAME"));
        json_object_set_new(o, "stride_w", json_integer(p->stride_w));
        json_object_set_new(o, "stride_h", json_integer(p->stride_h));
    }
    if (conv) {
        json_object_set_new(o, "dilation_w", json_integer(p->dilation_w));
        json_object_set_new(o, "dilation_h", json_integer(p->dilation_h));
    }
    if (pool) {
        json_object_set_new(o, "filter_w", json_integer(p->filter_w));
        json_object_set_new(o, "filter_h", json_integer(p->filter_h));
    }
    switch (op->builtin) {
    case TFG_TFL_DEPTHWISE_CONV_2D:
        json_object_set_new(o, "depth_multiplier", json_integer(p->depth_multiplier));
        break;
    case TFG_TFL_FULLY_CONNECTED:
        json_object_set_new(o, "keep_num_dims", json_boolean(p->keep_num_dims));
        json_object_set_new(o, "weights_format", json_integer(p->weights_format));
        break;
    case TFG_TFL_SOFTMAX: json_object_set_new(o, "beta", json_real(p->beta)); break;
    case TFG_TFL_RESHAPE:
        if (p->new_shape)
            json_object_set_new(o, "new_shape", jints(p->new_shape, p->n_new_shape));
        break;
    default: break;
    }
    switch (op->builtin) {
    case TFG_TFL_CONV_2D:
    case TFG_TFL_DEPTHWISE_CONV_2D:
    case TFG_TFL_AVERAGE_POOL_2D:
    case TFG_TFL_MAX_POOL_2D:
    case TFG_TFL_FULLY_CONNECTED:
    case TFG_TFL_ADD:
        json_object_set_new(o, "activation",
                            json_string(tfg_tflite_activation_name(p->activation)));
        break;
    default: break;
    }
    return o;
}

static json_t *describe_op(const tfg_tflite *m, const tfg_tfl_op *op, size_t i, size_t *lossy)
{
    const tfg_tfl_opcode *oc = &m->opcodes[op->opcode_index];
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer((json_int_t)i));
    json_object_set_new(o, "op", json_string(tfg_tflite_op_name(op->builtin)));
    json_object_set_new(o, "builtin_code", json_integer(op->builtin));
    if (oc->custom)
        json_object_set_new(o, "custom_code", jstr(oc->custom, lossy));
    json_object_set_new(o, "version", json_integer(oc->version));
    json_object_set_new(o, "supported", json_boolean(op->supported));
    json_object_set_new(o, "inputs", jints(op->inputs, op->n_inputs));
    json_object_set_new(o, "outputs", jints(op->outputs, op->n_outputs));
    if (op->supported)
        json_object_set_new(o, "options", describe_options(op));
    return o;
}

static json_t *describe_subgraph(const tfg_tflite *m, const tfg_tfl_subgraph *g,
                                 size_t *lossy)
{
    json_t *s = json_object(), *ops = json_array(), *tensors = json_array();
    json_object_set_new(s, "name", jstr(g->name, lossy));
    json_object_set_new(s, "inputs", jints(g->inputs, g->n_inputs));
    json_object_set_new(s, "outputs", jints(g->outputs, g->n_outputs));
    for (size_t i = 0; i < g->n_ops; i++)
        json_array_append_new(ops, describe_op(m, &g->ops[i], i, lossy));
    for (size_t i = 0; i < g->n_tensors; i++)
        json_array_append_new(tensors, describe_tensor(m, &g->tensors[i], i, lossy));
    json_object_set_new(s, "ops", ops);
    json_object_set_new(s, "tensors", tensors);
    return s;
}

json_t *tfg_tflite_describe(const tfg_tflite *m)
{
    json_t *d = json_object(), *counts = json_object(), *sgs = json_array();
    size_t weight_bytes = 0, n_unsupported = 0, lossy = 0;
    json_object_set_new(d, "file", jstr(m->name, &lossy));
    json_object_set_new(d, "bytes", json_integer((json_int_t)m->file_len));
    json_object_set_new(d, "schema_version", json_integer(m->version));
    json_object_set_new(d, "description", jstr(m->description, &lossy));
    for (size_t b = 0; b < m->n_buffers; b++)
        weight_bytes += m->buffers[b].len;
    json_object_set_new(d, "constant_bytes", json_integer((json_int_t)weight_bytes));
    for (size_t s = 0; s < m->n_subgraphs; s++) {
        const tfg_tfl_subgraph *g = &m->subgraphs[s];
        for (size_t i = 0; i < g->n_ops; i++) {
            const char *name = tfg_tflite_op_name(g->ops[i].builtin);
            json_t *c = json_object_get(counts, name);
            json_object_set_new(counts, name, json_integer(c ? json_integer_value(c) + 1 : 1));
            n_unsupported += !g->ops[i].supported;
        }
        json_array_append_new(sgs, describe_subgraph(m, g, &lossy));
    }
    json_object_set_new(d, "op_counts", counts);
    json_object_set_new(d, "unsupported_ops", json_integer((json_int_t)n_unsupported));
    json_object_set_new(d, "subgraphs", sgs);
    if (lossy)
        json_object_set_new(d, "text_replaced",
                            json_pack("{s:I, s:s}", "strings", (json_int_t)lossy, "why",
                                      "held bytes that are not UTF-8, shown as U+FFFD"));
    return d;
}
