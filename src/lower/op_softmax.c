/* op_softmax.c — SOFTMAX: everything about it in one place (op.h).
 *
 * Over the last dimension, output scale 1/256 and zero point -128 as TFLite requires;
 * the input scaling from beta as TFLM's softmax_common.cc. */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"
#include "lower/op_unary.h"

static tfg_status prepare(const tfg_lower_prep *c)
{
    float in_s;
    int32_t in_zp;
    tfg_status st;
    if ((st = tfg_lower_prep_unary_int8(c, &in_s, &in_zp)) ||
        (st = tfg_lower_need_fixed_output(c, 1.0f / 256, -128)))
        return st;
    const tfg_tfl_tensor *x = tfg_lower_tensor(c, c->s->in[0]);
    if (x->rank < 1 || x->shape[x->rank - 1] <= 0)
        return tfg_lower_fail(c, "input (tensor %d) has no last dimension to take softmax "
                              "over", (int)c->s->in[0]);
    c->s->depth = x->shape[x->rank - 1];
    c->s->rows = (int32_t)(x->elems / c->s->depth);
    tfg_rt_status rs = tfg_rt_softmax_prepare(in_s, c->op->opt.beta, &c->s->p.softmax);
    return rs ? tfg_lower_rt_fail(c, rs, "the softmax scaling (input scale x beta)") : TFG_OK;
}

static tfg_rt_status eval(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_softmax_s8(&s->p.softmax, s->rows, s->depth, x, y);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    const tfg_rt_softmax_params *p = &s->p.softmax;
    tfg_buf_printf(e->decl, "static const tfg_rt_softmax_params %s_params = {"
                   ".input_multiplier = %ld, .input_left_shift = %ld, .diff_min = %ld};\n",
                   e->name, (long)p->input_multiplier, (long)p->input_left_shift,
                   (long)p->diff_min);
    *e->flash += sizeof *p;
    char *call = tfg_xasprintf("%s(&%s_params, %ld, %ld, %s, %s)", s->kernel, e->name,
                               (long)s->rows, (long)s->depth, e->x, e->y);
    tfg_lower_put_call(e, s, call);
    free(call);
}

const tfg_lower_op tfg_lower_op_softmax = {
    .builtin = TFG_TFL_SOFTMAX,
    .n_required = 1,
    .kernel = "tfg_rt_softmax_s8",
    .prepare = prepare,
    .eval = eval,
    .emit = emit,
};
