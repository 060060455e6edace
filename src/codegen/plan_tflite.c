/* plan_tflite.c — the memory planner's adapter for int8 .tflite models.
 *
 * Reads the lowering (lower/lower.h): each activation tensor's lifetime in execution
 * order, each step's kernel scratch (the variant chosen for the target), whether a
 * step's output is its input's very bytes (RESHAPE: the two share one buffer and the
 * generated code passes the same pointer on) and how far it may stream over a dying
 * input (in place), and hands buffers to tfg_mem_plan_make. Constant tensors are
 * weights in flash and get no arena bytes (docs/planner.md). */
#include <stdlib.h>
#include <string.h>

#include "codegen/memplan.h"
#include "core/alloc.h"
#include "lower/lower.h"

/* Per-tensor facts the adapter gathers before making buffers. */
typedef struct {
    const tfg_lowered *l;
    const tfg_tfl_subgraph *g;
    int32_t *root;       /* per tensor: the tensor whose buffer it uses */
} tensor_facts;

static int32_t find_root(const tensor_facts *f, int32_t t)
{
    while (f->root[t] != t)
        t = f->root[t];
    return t;
}

/* Lets each same-bytes step's output (RESHAPE) use its input's buffer; returns how
 * many do. */
static size_t alias_reshapes(tensor_facts *f)
{
    size_t n = 0;
    for (size_t p = 0; p < f->l->n_steps; p++) {
        const tfg_lower_step *s = &f->l->steps[p];
        const tfg_tfl_op *op = &f->g->ops[s->index];
        if (!tfg_lower_same_bytes(f->l, s) || op->n_inputs < 1 || op->n_outputs != 1)
            continue;
        int32_t in = op->inputs[0], out = op->outputs[0];
        if (in < 0 || in == out || f->l->life[in].first < 0 || f->l->life[out].first < 0)
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

/* Lets a step's output overlap an input that dies at that step when the op streams
 * over it (lower.h: conv-like ops in raster order, elementwise ADD) and the lag leaves
 * some bytes to share; returns how many do. */
static size_t mark_in_place(const tfg_lowered *l, const tfg_tflite_mem *out,
                            tfg_mem_buffer *bufs)
{
    const tfg_tfl_subgraph *g = l->g;
    size_t n = 0;
    for (size_t p = 0; p < l->n_steps; p++) {
        const tfg_lower_step *s = &l->steps[p];
        const tfg_tfl_op *op = &g->ops[s->index];
        if (op->n_outputs != 1 || op->outputs[0] < 0)
            continue;
        int32_t bo = out->tensor_buf[op->outputs[0]];
        if (bo < 0 || bufs[bo].first_op != (int32_t)p)
            continue;
        for (size_t k = 0; k < op->n_inputs && k < 2; k++) {
            int64_t lag = tfg_lower_stream_lag(l, s, k);
            if (lag < 0 || op->inputs[k] < 0)
                continue;
            int32_t bi = out->tensor_buf[op->inputs[k]];
            if (bi < 0 || bi == bo || bufs[bi].last_op != (int32_t)p)
                continue;
            bool shared = false; /* another operand in the same bytes would be overwritten */
            for (size_t j = 0; j < op->n_inputs; j++)
                shared |= j != k && op->inputs[j] >= 0 &&
                          out->tensor_buf[op->inputs[j]] == bi;
            shared |= outlives_graph(g, out, bi); /* dies here, yet must not be overwritten */
            if (shared || (uint64_t)lag >= bufs[bo].size)
                continue;
            bufs[bo].in_place = true;
            bufs[bo].in_place_of = (size_t)bi;
            bufs[bo].lag = (size_t)lag;
            n++;
            break;
        }
    }
    return n;
}

/* One buffer per root tensor, lifetimes joined over the tensors that share it. */
static tfg_status make_buffers(const tensor_facts *f, tfg_tflite_mem *out, tfg_mem_buffer **bufs,
                               size_t *n_bufs, tfg_err *err)
{
    const tfg_tfl_subgraph *g = f->g;
    const tfg_lower_life *life = f->l->life;
    *bufs = tfg_xcalloc(g->n_tensors ? g->n_tensors : 1, sizeof **bufs);
    *n_bufs = 0;
    for (size_t t = 0; t < g->n_tensors; t++) {
        const tfg_tfl_tensor *x = &g->tensors[t];
        if (life[t].first < 0)
            continue;
        if (tfg_tflite_type_bits(x->type) == 0)
            return tfg_err_set(err, TFG_EINPUT,
                               "%s: subgraphs[0].tensors[%zu] '%s' has type %s, whose size is "
                               "not fixed; expected a numeric activation tensor",
                               f->l->m->name ? f->l->m->name : "model", t,
                               x->name ? x->name : "", tfg_tflite_type_name(x->type));
        out->tensor_bytes += x->bytes;
        int32_t r = find_root(f, (int32_t)t);
        if (out->tensor_buf[r] < 0) {
            out->tensor_buf[r] = (int32_t)*n_bufs;
            (*bufs)[(*n_bufs)++] = (tfg_mem_buffer){.first_op = life[t].first,
                                                    .last_op = life[t].last, .id = r};
        }
        tfg_mem_buffer *b = &(*bufs)[out->tensor_buf[r]];
        if (x->bytes > b->size)
            b->size = x->bytes;
        if (life[t].first < b->first_op)
            b->first_op = life[t].first;
        if (life[t].last > b->last_op)
            b->last_op = life[t].last;
        out->tensor_buf[t] = out->tensor_buf[r];
    }
    return TFG_OK;
}

tfg_status tfg_plan_lowered(const tfg_lowered *l, unsigned flags, tfg_tflite_mem *out,
                            tfg_err *err)
{
    memset(out, 0, sizeof *out);
    const tfg_tfl_subgraph *g = l->g;
    size_t nt = g->n_tensors ? g->n_tensors : 1;
    out->n_tensors = g->n_tensors;
    out->tensor_offset = tfg_xcalloc(nt, sizeof *out->tensor_offset);
    out->tensor_buf = tfg_xcalloc(nt, sizeof *out->tensor_buf);
    tensor_facts f = {l, g, tfg_xcalloc(nt, sizeof(int32_t))};
    for (size_t t = 0; t < g->n_tensors; t++) {
        out->tensor_offset[t] = TFG_MEM_NONE;
        out->tensor_buf[t] = -1;
        f.root[t] = (int32_t)t;
    }
    out->n_aliased = flags & TFG_PLAN_NO_ALIAS ? 0 : alias_reshapes(&f);
    tfg_mem_buffer *bufs = NULL;
    size_t n_bufs = 0;
    tfg_status st = make_buffers(&f, out, &bufs, &n_bufs, err);
    if (st == TFG_OK) {
        out->n_in_place = flags & TFG_PLAN_NO_IN_PLACE ? 0 : mark_in_place(l, out, bufs);
        tfg_mem_scratch *scr = tfg_xcalloc(l->n_steps ? l->n_steps : 1, sizeof *scr);
        size_t n_scr = 0;
        for (size_t p = 0; p < l->n_steps; p++) /* the scratch of the chosen variant */
            if (l->steps[p].scratch)
                scr[n_scr++] = (tfg_mem_scratch){(int32_t)p, l->steps[p].scratch};
        st = tfg_mem_plan_make(bufs, n_bufs, scr, n_scr, &out->mem, err);
        free(scr);
    }
    free(bufs);
    free(f.root);
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
    tfg_lowered l;
    tfg_status st = tfg_lower(m, 0, &l, err);
    if (st == TFG_OK)
        st = tfg_plan_lowered(&l, flags, out, err);
    tfg_lower_free(&l);
    return st;
}

void tfg_tflite_mem_free(tfg_tflite_mem *t)
{
    tfg_mem_plan_free(&t->mem);
    free(t->tensor_offset);
    free(t->tensor_buf);
    memset(t, 0, sizeof *t);
}
