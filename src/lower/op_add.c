/* op_add.c — ADD: everything about it in one place (op.h).
 *
 * Elementwise, with one input allowed to be a single broadcast value; scales prepared
 * by tfg_rt_add_prepare as TFLM's add.cc. The kernel reads element i of both inputs
 * before it writes element i of the output, so the output may stream over a dying
 * full-size input with lag 0: the two branches of a residual block then need the bytes
 * of two tensors, not three (docs/planner.md). */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"

static tfg_status prepare(const tfg_lower_prep *c)
{
    tfg_lower_step *s = c->s;
    int32_t a = s->in[0], b = s->in[1], y = s->out;
    float sa, sb, sy;
    int32_t za, zb, zy;
    tfg_status st;
    if ((st = tfg_lower_need_type(c, a, "input 1", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, b, "input 2", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, y, "output", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_quant(c, a, "input 1", &sa, &za)) ||
        (st = tfg_lower_need_quant(c, b, "input 2", &sb, &zb)) ||
        (st = tfg_lower_need_quant(c, y, "output", &sy, &zy)))
        return st;
    s->size = (int32_t)tfg_lower_tensor(c, y)->elems;
    s->n1 = (int32_t)tfg_lower_tensor(c, a)->elems;
    s->n2 = (int32_t)tfg_lower_tensor(c, b)->elems;
    if ((s->n1 != s->size && s->n1 != 1) || (s->n2 != s->size && s->n2 != 1))
        return tfg_lower_fail(c, "inputs of %d and %d elements into an output of %d: only "
                              "equal shapes or a single broadcast value are supported",
                              (int)s->n1, (int)s->n2, (int)s->size);
    tfg_rt_act act = TFG_RT_ACT_NONE;
    if ((st = tfg_lower_activation(c, &act)))
        return st;
    tfg_rt_status rs = tfg_rt_add_prepare(sa, za, sb, zb, sy, zy, act, &s->p.add);
    return rs ? tfg_lower_rt_fail(c, rs, "preparing the scales") : TFG_OK;
}

static tfg_rt_status eval(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_add_s8(&s->p.add, x, s->n1, w, s->n2, y, s->size);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    const char *o = e->name;
    const tfg_rt_add_params *p = &s->p.add;
    tfg_buf_printf(e->decl, "static const tfg_rt_add_params %s_params = {.input1_zero_point = "
                   "%ld, .input2_zero_point = %ld, .output_zero_point = %ld, .left_shift = "
                   "%ld, .input1_multiplier = %ld, .input1_shift = %ld, .input2_multiplier = "
                   "%ld, .input2_shift = %ld, .output_multiplier = %ld, .output_shift = %ld, "
                   ".act_min = %ld, .act_max = %ld};\n", o, (long)p->input1_zero_point,
                   (long)p->input2_zero_point, (long)p->output_zero_point,
                   (long)p->left_shift, (long)p->input1_multiplier, (long)p->input1_shift,
                   (long)p->input2_multiplier, (long)p->input2_shift,
                   (long)p->output_multiplier, (long)p->output_shift, (long)p->act_min,
                   (long)p->act_max);
    *e->flash += sizeof *p;
    char *call = tfg_xasprintf("%s(&%s_params, %s, %ld, %s, %ld, %s, %ld)", s->kernel, o,
                               e->x, (long)s->n1, e->w, (long)s->n2, e->y, (long)s->size);
    tfg_lower_put_call(e, s, call);
    free(call);
}

/* Lag 0 over input k when that input is as large as the output, of the same element
 * size (int8 in, int8 out: a model that breaks it is refused by prepare, and then never
 * planned for code), and not also the other input. */
static int64_t stream_lag(const tfg_tfl_subgraph *g, const tfg_tfl_op *op, size_t k)
{
    if (k > 1 || op->n_inputs < 2 || op->n_outputs != 1 || op->inputs[0] < 0 ||
        op->inputs[1] < 0 || op->inputs[0] == op->inputs[1] || op->outputs[0] < 0)
        return -1;
    const tfg_tfl_tensor *x = &g->tensors[op->inputs[k]], *y = &g->tensors[op->outputs[0]];
    if (x->type != TFG_TFL_INT8 || y->type != TFG_TFL_INT8 || x->elems != y->elems ||
        x->bytes != y->bytes)
        return -1;
    return 0;
}

const tfg_lower_op tfg_lower_op_add = {
    .builtin = TFG_TFL_ADD,
    .n_required = 2,
    .kernel = "tfg_rt_add_s8",
    .prepare = prepare,
    .eval = eval,
    .emit = emit,
    .stream_lag = stream_lag,
};
