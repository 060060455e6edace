/* plan_tflite.c — the memory planner's adapter for imported .tflite models.
 *
 * Draws each activation tensor's lifetime from the operator order of subgraph 0 (the
 * order the generated code runs them in), asks the runtime how much scratch each kernel
 * wants, and hands both to tfg_mem_plan_make. Constant tensors (those with buffer data)
 * are weights in flash and get no arena bytes. A RESHAPE does not move data, so its
 * output is the same bytes as its input: the two share one buffer and the generated
 * code passes the same pointer on (docs/planner.md). */
#include <stdlib.h>
#include <string.h>

#include "codegen/memplan.h"
#include "core/alloc.h"
#include "tfg_runtime.h"

/* Per-tensor facts the adapter gathers before making buffers. */
typedef struct {
    const tfg_tflite *m;
    const tfg_tfl_subgraph *g;
    int32_t n_ops;       /* at least 1, so an op-less graph still has op 0 */
    int32_t *first;      /* per tensor: first op alive, -1 = not used */
    int32_t *last;
    int32_t *root;       /* per tensor: the tensor whose buffer it uses */
} tensor_facts;

static bool is_constant(const tfg_tflite *m, const tfg_tfl_tensor *t)
{
    return t->buffer != 0 && t->buffer < m->n_buffers && m->buffers[t->buffer].len > 0;
}

/* The parser checks tensor indexes already; a hand-built model (tests, the nn/ export)
 * may not have been through it, and a wrong index must not read out of bounds. */
static tfg_status check_index(const tensor_facts *f, int32_t t, bool optional, const char *what,
                              size_t i, tfg_err *err)
{
    if ((optional && t == -1) || (t >= 0 && (size_t)t < f->g->n_tensors))
        return TFG_OK;
    return tfg_err_set(err, TFG_EINPUT,
                       "%s: subgraphs[0]: %s %zu names tensor %d; expected 0..%zu",
                       f->m->name ? f->m->name : "model", what, i, (int)t,
                       f->g->n_tensors ? f->g->n_tensors - 1 : 0);
}

/* Extends tensor t's lifetime to cover op. */
static void touch(tensor_facts *f, int32_t t, int32_t op)
{
    if (t < 0 || is_constant(f->m, &f->g->tensors[t]))
        return;
    if (f->first[t] < 0 || op < f->first[t])
        f->first[t] = op;
    if (op > f->last[t])
        f->last[t] = op;
}

/* Lifetimes from the operator order; see tfg_plan_tflite in memplan.h for the rules. */
static tfg_status draw_lifetimes(tensor_facts *f, tfg_err *err)
{
    const tfg_tfl_subgraph *g = f->g;
    for (size_t i = 0; i < g->n_ops; i++) {
        const tfg_tfl_op *op = &g->ops[i];
        for (size_t k = 0; k < op->n_inputs; k++) {
            if (check_index(f, op->inputs[k], true, "an input of operator", i, err))
                return TFG_EINPUT;
            /* read before any op writes it: a graph input or state, alive from the start */
            if (op->inputs[k] >= 0 && f->first[op->inputs[k]] < 0)
                touch(f, op->inputs[k], 0);
            touch(f, op->inputs[k], (int32_t)i);
        }
        for (size_t k = 0; k < op->n_outputs; k++) {
            if (check_index(f, op->outputs[k], true, "an output of operator", i, err))
                return TFG_EINPUT;
            touch(f, op->outputs[k], (int32_t)i);
        }
    }
    for (size_t k = 0; k < g->n_inputs; k++) {
        if (check_index(f, g->inputs[k], false, "input", k, err))
            return TFG_EINPUT;
        touch(f, g->inputs[k], 0);
    }
    for (size_t k = 0; k < g->n_outputs; k++) {
        if (check_index(f, g->outputs[k], false, "output", k, err))
            return TFG_EINPUT;
        if (f->first[g->outputs[k]] < 0) /* no op writes it: it holds its bytes throughout */
            touch(f, g->outputs[k], 0);
        touch(f, g->outputs[k], f->n_ops - 1);
    }
    for (size_t t = 0; t < g->n_tensors; t++) /* state outlives every op */
        if (g->tensors[t].is_variable && f->first[t] >= 0) {
            touch(f, (int32_t)t, 0);
            touch(f, (int32_t)t, f->n_ops - 1);
        }
    return TFG_OK;
}

static int32_t find_root(const tensor_facts *f, int32_t t)
{
    while (f->root[t] != t)
        t = f->root[t];
    return t;
}

/* Lets each RESHAPE output use its input's buffer; returns how many do. */
static size_t alias_reshapes(tensor_facts *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->g->n_ops; i++) {
        const tfg_tfl_op *op = &f->g->ops[i];
        if (op->builtin != TFG_TFL_RESHAPE || op->n_inputs < 1 || op->n_outputs != 1)
            continue;
        int32_t in = op->inputs[0], out = op->outputs[0];
        if (in < 0 || in == out || f->first[in] < 0 || f->first[out] < 0)
            continue; /* a constant input is folded, not aliased */
        if (f->g->tensors[in].bytes != f->g->tensors[out].bytes)
            continue;
        int32_t ri = find_root(f, in), ro = find_root(f, out);
        if (ri != ro) {
            f->root[ro] = ri;
            n++;
        }
    }
    return n;
}

/* Kernel scratch of op i, from the runtime (0 when the shapes are not as expected: the
 * kernel will refuse them itself). */
static size_t op_scratch(const tfg_tfl_subgraph *g, const tfg_tfl_op *op)
{
    if (op->n_inputs < 2 || op->inputs[0] < 0 || op->inputs[1] < 0)
        return 0;
    const tfg_tfl_tensor *x = &g->tensors[op->inputs[0]], *w = &g->tensors[op->inputs[1]];
    if (op->builtin == TFG_TFL_FULLY_CONNECTED && w->rank == 2 && w->shape[1] > 0) {
        tfg_rt_fc_dims d = {(int32_t)(x->elems / w->shape[1]), w->shape[1], w->shape[0]};
        return tfg_rt_fully_connected_s8_scratch_size(&d);
    }
    if (x->rank != 4 || w->rank != 4)
        return 0;
    tfg_rt_dims in = {x->shape[0], x->shape[1], x->shape[2], x->shape[3]};
    tfg_rt_dims f = {w->shape[0], w->shape[1], w->shape[2], w->shape[3]};
    if (op->builtin == TFG_TFL_CONV_2D)
        return tfg_rt_conv2d_s8_scratch_size(&in, &f);
    if (op->builtin == TFG_TFL_DEPTHWISE_CONV_2D)
        return tfg_rt_depthwise_conv2d_s8_scratch_size(&in, &f);
    return 0;
}

/* The most bytes a raster-order kernel (pixel after pixel, all channels of a pixel
 * before the next, as runtime/conv.c and depthwise.c run) has written ahead of the
 * first input byte that it or a later pixel still reads. The window of output pixel q
 * starts at input row q_y*stride - pad, column q_x*stride - pad; clamping it into the
 * input can only move that start earlier, which makes the lag larger (safer). */
static int64_t stream_lag(const int32_t in[2], int64_t in_px, const int32_t out[2],
                          int64_t out_px, const int32_t stride[2], const int32_t pad[2])
{
    int64_t lag = 0, need = INT64_MAX;
    for (int64_t q = (int64_t)out[0] * out[1] - 1; q >= 0; q--) {
        int64_t y0 = (q / out[1]) * stride[0] - pad[0], x0 = (q % out[1]) * stride[1] - pad[1];
        y0 = y0 < 0 ? 0 : y0 >= in[0] ? in[0] - 1 : y0;
        x0 = x0 < 0 ? 0 : x0 >= in[1] ? in[1] - 1 : x0;
        if (y0 * in[1] + x0 < need)
            need = y0 * in[1] + x0;
        if ((q + 1) * out_px - need * in_px > lag)
            lag = (q + 1) * out_px - need * in_px;
    }
    return lag;
}

/* Bytes per pixel of an NHWC batch-1 tensor, 0 when it is not one. */
static int64_t pixel_bytes(const tfg_tfl_tensor *t)
{
    if (t->rank != 4 || t->shape[0] != 1 || t->elems <= 0 || t->bytes % (size_t)t->elems)
        return 0;
    return (int64_t)(t->bytes / (size_t)t->elems) * t->shape[3];
}

/* The lag of a CONV_2D or DEPTHWISE_CONV_2D, or -1 when its shapes are not the plain
 * batch-1 NHWC case worked out here. */
static int64_t conv_lag(const tfg_tfl_subgraph *g, const tfg_tfl_op *op)
{
    const tfg_tfl_tensor *x = &g->tensors[op->inputs[0]], *w = &g->tensors[op->inputs[1]];
    const tfg_tfl_tensor *y = &g->tensors[op->outputs[0]];
    int64_t in_px = pixel_bytes(x), out_px = pixel_bytes(y);
    if (!in_px || !out_px || w->rank != 4)
        return -1;
    tfg_rt_padding mode = op->opt.padding == TFG_TFL_PAD_SAME ? TFG_RT_PAD_SAME : TFG_RT_PAD_VALID;
    int32_t in[2] = {x->shape[1], x->shape[2]}, out[2] = {y->shape[1], y->shape[2]};
    int32_t stride[2] = {op->opt.stride_h, op->opt.stride_w}, pad[2], size[2];
    if (tfg_rt_compute_padding(mode, in[0], w->shape[1], stride[0], op->opt.dilation_h, &size[0],
                               &pad[0]) != TFG_RT_OK ||
        tfg_rt_compute_padding(mode, in[1], w->shape[2], stride[1], op->opt.dilation_w, &size[1],
                               &pad[1]) != TFG_RT_OK ||
        size[0] != out[0] || size[1] != out[1] || in[0] <= 0 || in[1] <= 0)
        return -1;
    return stream_lag(in, in_px, out, out_px, stride, pad);
}

/* Must buffer b keep its bytes after the last op (a subgraph output or state shares it)? */
static bool outlives_graph(const tfg_tfl_subgraph *g, const tfg_tflite_mem *out, int32_t b)
{
    for (size_t k = 0; k < g->n_outputs; k++)
        if (out->tensor_buf[g->outputs[k]] == b)
            return true;
    for (size_t t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].is_variable && out->tensor_buf[t] == b)
            return true;
    return false;
}

/* Lets a convolution's output overlap its input when the input dies at that op and
 * the lag leaves some bytes to share; returns how many do. */
static size_t mark_in_place(const tfg_tfl_subgraph *g, const tfg_tflite_mem *out,
                            tfg_mem_buffer *bufs)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_ops; i++) {
        const tfg_tfl_op *op = &g->ops[i];
        if ((op->builtin != TFG_TFL_CONV_2D && op->builtin != TFG_TFL_DEPTHWISE_CONV_2D) ||
            op->n_inputs < 2 || op->n_outputs != 1 || op->inputs[0] < 0 || op->inputs[1] < 0)
            continue;
        int32_t bi = out->tensor_buf[op->inputs[0]], bo = out->tensor_buf[op->outputs[0]];
        if (bi < 0 || bo < 0 || bi == bo || bufs[bi].last_op != (int32_t)i ||
            bufs[bo].first_op != (int32_t)i)
            continue;
        bool shared = false; /* another operand in the same bytes would be overwritten */
        for (size_t k = 1; k < op->n_inputs; k++)
            shared |= op->inputs[k] >= 0 && out->tensor_buf[op->inputs[k]] == bi;
        shared |= outlives_graph(g, out, bi); /* dies here, yet must not be overwritten */
        int64_t lag = shared ? -1 : conv_lag(g, op);
        if (lag < 0 || (uint64_t)lag >= bufs[bo].size)
            continue;
        bufs[bo].in_place = true;
        bufs[bo].in_place_of = (size_t)bi;
        bufs[bo].lag = (size_t)lag;
        n++;
    }
    return n;
}

/* One buffer per root tensor, lifetimes joined over the tensors that share it. */
static tfg_status make_buffers(const tensor_facts *f, tfg_tflite_mem *out, tfg_mem_buffer **bufs,
                               size_t *n_bufs, tfg_err *err)
{
    const tfg_tfl_subgraph *g = f->g;
    *bufs = tfg_xcalloc(g->n_tensors ? g->n_tensors : 1, sizeof **bufs);
    *n_bufs = 0;
    for (size_t t = 0; t < g->n_tensors; t++) {
        const tfg_tfl_tensor *x = &g->tensors[t];
        if (f->first[t] < 0)
            continue;
        if (tfg_tflite_type_bits(x->type) == 0)
            return tfg_err_set(err, TFG_EINPUT,
                               "%s: subgraphs[0].tensors[%zu] '%s' has type %s, whose size is "
                               "not fixed; expected a numeric activation tensor",
                               f->m->name ? f->m->name : "model", t, x->name ? x->name : "",
                               tfg_tflite_type_name(x->type));
        out->tensor_bytes += x->bytes;
        int32_t r = find_root(f, (int32_t)t);
        if (out->tensor_buf[r] < 0) {
            out->tensor_buf[r] = (int32_t)*n_bufs;
            (*bufs)[(*n_bufs)++] =
                (tfg_mem_buffer){.first_op = f->first[t], .last_op = f->last[t], .id = r};
        }
        tfg_mem_buffer *b = &(*bufs)[out->tensor_buf[r]];
        if (x->bytes > b->size)
            b->size = x->bytes;
        if (f->first[t] < b->first_op)
            b->first_op = f->first[t];
        if (f->last[t] > b->last_op)
            b->last_op = f->last[t];
        out->tensor_buf[t] = out->tensor_buf[r];
    }
    return TFG_OK;
}

static tfg_status plan_graph(tensor_facts *f, unsigned flags, tfg_tflite_mem *out, tfg_err *err)
{
    const tfg_tfl_subgraph *g = f->g;
    tfg_status st = draw_lifetimes(f, err);
    if (st)
        return st;
    out->n_aliased = flags & TFG_PLAN_NO_ALIAS ? 0 : alias_reshapes(f);
    tfg_mem_buffer *bufs = NULL;
    size_t n_bufs = 0;
    st = make_buffers(f, out, &bufs, &n_bufs, err);
    if (st == TFG_OK) {
        out->n_in_place = flags & TFG_PLAN_NO_IN_PLACE ? 0 : mark_in_place(g, out, bufs);
        tfg_mem_scratch *scr = tfg_xcalloc(g->n_ops ? g->n_ops : 1, sizeof *scr);
        size_t n_scr = 0;
        for (size_t i = 0; i < g->n_ops; i++) {
            size_t size = op_scratch(g, &g->ops[i]);
            if (size)
                scr[n_scr++] = (tfg_mem_scratch){(int32_t)i, size};
        }
        st = tfg_mem_plan_make(bufs, n_bufs, scr, n_scr, &out->mem, err);
        free(scr);
    }
    free(bufs);
    if (st)
        return st;
    for (size_t t = 0; t < g->n_tensors; t++)
        if (out->tensor_buf[t] >= 0)
            out->tensor_offset[t] = out->mem.offset[out->tensor_buf[t]];
    return TFG_OK;
}

tfg_status tfg_plan_tflite(const tfg_tflite *m, unsigned flags, tfg_tflite_mem *out,
                           tfg_err *err)
{
    memset(out, 0, sizeof *out);
    if (m->n_subgraphs == 0)
        return tfg_err_set(err, TFG_EINPUT, "%s: the model has no subgraph to plan",
                           m->name ? m->name : "model");
    const tfg_tfl_subgraph *g = &m->subgraphs[0];
    if (g->n_ops > INT32_MAX || g->n_tensors > INT32_MAX)
        return tfg_err_set(err, TFG_EINPUT, "%s: subgraph 0 is too large to plan",
                           m->name ? m->name : "model");
    size_t nt = g->n_tensors ? g->n_tensors : 1;
    out->n_tensors = g->n_tensors;
    out->tensor_offset = tfg_xcalloc(nt, sizeof *out->tensor_offset);
    out->tensor_buf = tfg_xcalloc(nt, sizeof *out->tensor_buf);
    tensor_facts f = {m, g, g->n_ops ? (int32_t)g->n_ops : 1, tfg_xcalloc(nt, sizeof(int32_t)),
                      tfg_xcalloc(nt, sizeof(int32_t)), tfg_xcalloc(nt, sizeof(int32_t))};
    for (size_t t = 0; t < g->n_tensors; t++) {
        out->tensor_offset[t] = TFG_MEM_NONE;
        out->tensor_buf[t] = -1;
        f.first[t] = f.last[t] = -1;
        f.root[t] = (int32_t)t;
    }
    tfg_status st = plan_graph(&f, flags, out, err);
    free(f.first);
    free(f.last);
    free(f.root);
    return st;
}

void tfg_tflite_mem_free(tfg_tflite_mem *t)
{
    tfg_mem_plan_free(&t->mem);
    free(t->tensor_offset);
    free(t->tensor_buf);
    memset(t, 0, sizeof *t);
}
