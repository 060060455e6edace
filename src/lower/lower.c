/* lower.c — tfg_lower (lower.h): a .tflite subgraph as steps and lifetimes, one pass.
 *
 * The pass: check the graph (with TFG_LOWER_PREPARE), draw every tensor's lifetime
 * from the execution order, then per step take its op from the table (ops.c), its
 * planning facts (scratch, reference kernel) and, when preparing, check its data flow
 * and call the op's prepare. The rules for lifetimes are docs/planner.md's; they are
 * drawn here once, and the memory planner and the emitter read them. */
#include "lower/lower.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "lower/op.h"

static const char *name_of(const tfg_tflite *m)
{
    return m->name ? m->name : "model";
}

/* The parser checks tensor indexes already; a hand-built model (tests, the nn/ export)
 * may not have been through it, and a wrong index must not read out of bounds. */
static tfg_status check_index(const tfg_lowered *l, int32_t t, bool optional, const char *what,
                              size_t i, tfg_err *err)
{
    if ((optional && t == -1) || (t >= 0 && (size_t)t < l->g->n_tensors))
        return TFG_OK;
    return tfg_err_set(err, TFG_EINPUT,
                       "%s: subgraphs[0]: %s %zu names tensor %d; expected 0..%zu",
                       name_of(l->m), what, i, (int)t,
                       l->g->n_tensors ? l->g->n_tensors - 1 : 0);
}

/* Extends tensor t's lifetime to cover step position p. */
static void touch(tfg_lowered *l, int32_t t, int32_t p)
{
    if (t < 0 || tfg_lower_is_const(l->m, l->g, t))
        return;
    tfg_lower_life *f = &l->life[t];
    if (f->first < 0 || p < f->first)
        f->first = p;
    if (p > f->last)
        f->last = p;
}

/* Every non-constant tensor a step or the subgraph uses lives from the step that
 * writes it (step 0 for subgraph inputs and tensors read before any step writes them)
 * to the last step that reads it (the last step for subgraph outputs); state lives
 * throughout. */
static tfg_status draw_lifetimes(tfg_lowered *l, tfg_err *err)
{
    const tfg_tfl_subgraph *g = l->g;
    for (size_t t = 0; t < g->n_tensors; t++)
        l->life[t] = (tfg_lower_life){-1, -1};
    for (size_t p = 0; p < l->n_steps; p++) {
        size_t i = l->steps[p].index;
        const tfg_tfl_op *op = &g->ops[i];
        for (size_t k = 0; k < op->n_inputs; k++) {
            if (check_index(l, op->inputs[k], true, "an input of operator", i, err))
                return TFG_EINPUT;
            if (op->inputs[k] >= 0 && l->life[op->inputs[k]].first < 0)
                touch(l, op->inputs[k], 0);
            touch(l, op->inputs[k], (int32_t)p);
        }
        for (size_t k = 0; k < op->n_outputs; k++) {
            if (check_index(l, op->outputs[k], true, "an output of operator", i, err))
                return TFG_EINPUT;
            touch(l, op->outputs[k], (int32_t)p);
        }
    }
    for (size_t k = 0; k < g->n_inputs; k++) {
        if (check_index(l, g->inputs[k], false, "input", k, err))
            return TFG_EINPUT;
        touch(l, g->inputs[k], 0);
    }
    for (size_t k = 0; k < g->n_outputs; k++) {
        if (check_index(l, g->outputs[k], false, "output", k, err))
            return TFG_EINPUT;
        if (l->life[g->outputs[k]].first < 0) /* no step writes it: it holds its bytes */
            touch(l, g->outputs[k], 0);
        touch(l, g->outputs[k], l->n_positions - 1);
    }
    for (size_t t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].is_variable && l->life[t].first >= 0) {
            touch(l, (int32_t)t, 0);
            touch(l, (int32_t)t, l->n_positions - 1);
        }
    return TFG_OK;
}

/* ---- prepare ------------------------------------------------------------------------ */

static tfg_status check_graph(const tfg_lowered *l, tfg_err *err)
{
    const char *name = l->m->name;
    const tfg_tfl_subgraph *g = l->g;
    if (g->n_inputs != 1 || g->n_outputs != 1)
        return tfg_err_set(err, TFG_EINPUT, "%s: the model has %zu inputs and %zu outputs; "
                           "only one of each is supported", name, g->n_inputs, g->n_outputs);
    const tfg_tfl_tensor *in = &g->tensors[g->inputs[0]];
    if (tfg_lower_is_const(l->m, g, g->inputs[0]) || !tfg_tflite_type_bits(in->type))
        return tfg_err_set(err, TFG_EINPUT, "%s: the model input (tensor %d) is a constant "
                           "or has no fixed-size type", name, (int)g->inputs[0]);
    return tfg_tflite_check_supported(l->m, err);
}

/* The inputs the op reads: data (and weights) are required, bias is optional. */
static tfg_status take_inputs(const tfg_lower_prep *c)
{
    const tfg_lower_op *o = c->s->op;
    static const char *const roles[] = {"input", "filter or second input"};
    for (size_t k = 0; k < 3; k++) {
        c->s->in[k] = -1;
        if ((int)k < o->n_required) {
            if (k >= c->op->n_inputs || c->op->inputs[k] < 0)
                return tfg_lower_fail(c, "has no %s (input %zu)", roles[k], k);
            c->s->in[k] = c->op->inputs[k];
        }
    }
    if (o->has_bias && c->op->n_inputs > 2)
        c->s->in[2] = c->op->inputs[2];
    if (c->op->n_outputs != 1)
        return tfg_lower_fail(c, "has %zu outputs, expected 1", c->op->n_outputs);
    c->s->out = c->op->outputs[0];
    return TFG_OK;
}

/* Every input of the step already has bytes (a constant, the graph input or an earlier
 * step's output), and its output is written here only. */
static tfg_status wire_step(const tfg_lower_prep *c, bool *has)
{
    for (size_t k = 0; k < c->op->n_inputs; k++) {
        int32_t t = c->op->inputs[k];
        if (t >= 0 && !has[t])
            return tfg_lower_fail(c, "reads tensor %d before any operator writes it", (int)t);
    }
    for (size_t k = 0; k < c->op->n_outputs; k++) {
        int32_t t = c->op->outputs[k];
        if (has[t])
            return tfg_lower_fail(c, "writes tensor %d, which already has data (a constant, "
                                  "the model input or another operator's output)", (int)t);
        if (!tfg_tflite_type_bits(c->g->tensors[t].type))
            return tfg_lower_fail(c, "output tensor %d is %s, which has no fixed size", (int)t,
                                  tfg_tflite_type_name(c->g->tensors[t].type));
        has[t] = true;
    }
    return TFG_OK;
}

static tfg_status prepare_all(tfg_lowered *l, tfg_err *err)
{
    const tfg_tfl_subgraph *g = l->g;
    bool *has = tfg_xcalloc(g->n_tensors ? g->n_tensors : 1, sizeof *has);
    for (size_t t = 0; t < g->n_tensors; t++)
        has[t] = tfg_lower_is_const(l->m, g, (int32_t)t);
    has[g->inputs[0]] = true;
    tfg_status st = TFG_OK;
    for (size_t p = 0; p < l->n_steps && !st; p++) {
        tfg_lower_step *s = &l->steps[p];
        tfg_lower_prep c = {l->m, g, &g->ops[s->index], s, err};
        st = wire_step(&c, has);
        if (!st && !s->op) /* tfg_tflite_check_supported ran first: a missing table line */
            st = tfg_lower_fail(&c, "has no lowering; supported: %s",
                                tfg_tflite_supported_list());
        if (!st)
            st = take_inputs(&c);
        if (!st)
            st = s->op->prepare(&c);
    }
    if (!st && !has[g->outputs[0]])
        st = tfg_err_set(err, TFG_EINPUT, "%s: no operator writes the model output (tensor "
                         "%d)", l->m->name, (int)g->outputs[0]);
    free(has);
    return st;
}

/* ---- the pass ----------------------------------------------------------------------- */

tfg_status tfg_lower(const tfg_tflite *m, unsigned flags, tfg_lowered *out, tfg_err *err)
{
    memset(out, 0, sizeof *out);
    out->m = m;
    if (m->n_subgraphs < 1)
        return tfg_err_set(err, TFG_EINPUT, "%s: the model has no subgraph", name_of(m));
    const tfg_tfl_subgraph *g = &m->subgraphs[0];
    out->g = g;
    if (g->n_ops > INT32_MAX || g->n_tensors > INT32_MAX)
        return tfg_err_set(err, TFG_EINPUT, "%s: subgraph 0 is too large to lower",
                           name_of(m));
    tfg_status st;
    if ((flags & TFG_LOWER_PREPARE) && (st = check_graph(out, err)))
        return st;
    out->prepared = flags & TFG_LOWER_PREPARE;
    out->n_steps = g->n_ops;
    out->n_positions = g->n_ops ? (int32_t)g->n_ops : 1;
    out->steps = tfg_xcalloc(g->n_ops ? g->n_ops : 1, sizeof *out->steps);
    out->life = tfg_xcalloc(g->n_tensors ? g->n_tensors : 1, sizeof *out->life);
    for (size_t p = 0; p < g->n_ops; p++) {
        tfg_lower_step *s = &out->steps[p];
        const tfg_tfl_op *op = &g->ops[p];
        s->index = p;
        s->builtin = op->builtin;
        s->op = tfg_lower_op_of(op->builtin);
        s->in[0] = s->in[1] = s->in[2] = s->out = -1;
    }
    st = draw_lifetimes(out, err);
    /* planning facts after the index checks: the hooks read the op's tensors */
    for (size_t p = 0; p < out->n_steps && !st; p++) {
        tfg_lower_step *s = &out->steps[p];
        if (!s->op)
            continue;
        s->kernel = s->op->kernel;
        s->scratch = s->op->scratch ? s->op->scratch(g, &g->ops[s->index]) : 0;
        s->variant = s->kernel ? "reference" : NULL;
    }
    if (!st && (flags & TFG_LOWER_PREPARE))
        st = prepare_all(out, err);
    if (st)
        tfg_lower_free(out);
    return st;
}

void tfg_lower_free(tfg_lowered *l)
{
    if (!l)
        return;
    for (size_t i = 0; l->steps && i < l->n_steps; i++) {
        free(l->steps[i].multiplier);
        free(l->steps[i].shift);
        free(l->steps[i].bias);
        free(l->steps[i].sums);
        free(l->steps[i].packed);
    }
    free(l->steps);
    free(l->life);
    memset(l, 0, sizeof *l);
}

bool tfg_lower_same_bytes(const tfg_lowered *l, const tfg_lower_step *s)
{
    return s->op && s->op->same_bytes;
}

int64_t tfg_lower_stream_lag(const tfg_lowered *l, const tfg_lower_step *s, size_t k)
{
    if (!s->op || !s->op->stream_lag || s->no_stream)
        return -1;
    return s->op->stream_lag(l->g, &l->g->ops[s->index], k);
}

bool tfg_lower_can_emit(const tfg_lower_step *s)
{
    return s->op && s->op->emit && s->kernel;
}

void tfg_lower_emit_step(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    s->op->emit(s, e);
}

tfg_rt_status tfg_lower_eval_step(const tfg_lower_step *s, const void *x, const void *w,
                                  void *y)
{
    return s->op && s->op->eval ? s->op->eval(s, x, w, y) : TFG_RT_EPARAM;
}
