/* op_logistic.c — LOGISTIC and TANH: one prepare and C form, two kernels (op.h).
 *
 * Outputs quantized as TFLite requires (1/256 and -128 for LOGISTIC, 1/128 and 0 for
 * TANH); the input scaling as TFLM's logistic_common.cc / tanh_common.cc. */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"
#include "lower/op_unary.h"

static tfg_status prepare_like(const tfg_lower_prep *c, bool tanh_op)
{
    float in_s;
    int32_t in_zp;
    tfg_status st;
    if ((st = tfg_lower_prep_unary_int8(c, &in_s, &in_zp)) ||
        (st = tfg_lower_need_fixed_output(c, tanh_op ? 1.0f / 128 : 1.0f / 256,
                                          tanh_op ? 0 : -128)))
        return st;
    tfg_rt_status rs = tanh_op ? tfg_rt_tanh_prepare(in_s, in_zp, &c->s->p.logistic)
                               : tfg_rt_logistic_prepare(in_s, in_zp, &c->s->p.logistic);
    return rs ? tfg_lower_rt_fail(c, rs, "the input scaling") : TFG_OK;
}

static tfg_status prepare_logistic(const tfg_lower_prep *c)
{
    return prepare_like(c, false);
}

static tfg_status prepare_tanh(const tfg_lower_prep *c)
{
    return prepare_like(c, true);
}

static tfg_rt_status eval_logistic(const tfg_lower_step *s, const void *x, const void *w,
                                   void *y)
{
    return tfg_rt_logistic_s8(&s->p.logistic, x, y, s->size);
}

static tfg_rt_status eval_tanh(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_tanh_s8(&s->p.logistic, x, y, s->size);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    const tfg_rt_logistic_params *p = &s->p.logistic;
    tfg_buf_printf(e->decl, "static const tfg_rt_logistic_params %s_params = {"
                   ".input_zero_point = %ld, .input_range_radius = %ld, "
                   ".input_multiplier = %ld, .input_left_shift = %ld};\n", e->name,
                   (long)p->input_zero_point, (long)p->input_range_radius,
                   (long)p->input_multiplier, (long)p->input_left_shift);
    *e->flash += sizeof *p;
    char *call = tfg_xasprintf("%s(&%s_params, %s, %s, %ld)", s->kernel, e->name, e->x, e->y,
                               (long)s->size);
    tfg_lower_put_call(e, s, call);
    free(call);
}

const tfg_lower_op tfg_lower_op_logistic = {
    .builtin = TFG_TFL_LOGISTIC,
    .n_required = 1,
    .kernel = "tfg_rt_logistic_s8",
    .prepare = prepare_logistic,
    .eval = eval_logistic,
    .emit = emit,
};

const tfg_lower_op tfg_lower_op_tanh = {
    .builtin = TFG_TFL_TANH,
    .n_required = 1,
    .kernel = "tfg_rt_tanh_s8",
    .prepare = prepare_tanh,
    .eval = eval_tanh,
    .emit = emit,
};
