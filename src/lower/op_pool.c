/* op_pool.c — AVERAGE_POOL_2D and MAX_POOL_2D: one prepare, one C form, two kernels.
 *
 * Pooling works on raw int8, so input and output must share their quantization (the
 * converter guarantees it; a model that breaks it would give silently wrong numbers).
 * Padding as TFLM's pooling.cc: ComputePaddingHeightWidth with dilation 1. */
#include <stdlib.h>

#include "core/alloc.h"
#include "lower/op.h"

static tfg_status prepare(const tfg_lower_prep *c)
{
    tfg_lower_step *s = c->s;
    int32_t x = s->in[0], y = s->out;
    float in_s, out_s;
    int32_t in_zp, out_zp;
    tfg_status st;
    if ((st = tfg_lower_need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, y, "output", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_rank(c, x, "input", 4)) ||
        (st = tfg_lower_need_rank(c, y, "output", 4)) ||
        (st = tfg_lower_need_quant(c, x, "input", &in_s, &in_zp)) ||
        (st = tfg_lower_need_quant(c, y, "output", &out_s, &out_zp)))
        return st;
    if (in_s != out_s || in_zp != out_zp)
        return tfg_lower_fail(c, "input quantization (%g, %d) differs from output (%g, %d); "
                              "pooling needs them equal", (double)in_s, (int)in_zp,
                              (double)out_s, (int)out_zp);
    s->din = tfg_lower_dims4(tfg_lower_tensor(c, x));
    s->dout = tfg_lower_dims4(tfg_lower_tensor(c, y));
    if (s->din.n != s->dout.n || s->din.c != s->dout.c)
        return tfg_lower_fail(c, "input [%d,..,%d] and output [%d,..,%d] differ in batch or "
                              "channels", (int)s->din.n, (int)s->din.c, (int)s->dout.n,
                              (int)s->dout.c);
    const tfg_tfl_options *o = &c->op->opt;
    tfg_rt_pool_params *p = &s->p.pool;
    p->filter_h = o->filter_h;
    p->filter_w = o->filter_w;
    p->stride_h = o->stride_h;
    p->stride_w = o->stride_w;
    if ((st = tfg_lower_spatial(c, "height", s->din.h, o->filter_h, o->stride_h, 1, s->dout.h,
                                &p->pad_h)) ||
        (st = tfg_lower_spatial(c, "width", s->din.w, o->filter_w, o->stride_w, 1, s->dout.w,
                                &p->pad_w)))
        return st;
    return tfg_lower_fused_range(c, out_s, out_zp, &p->act_min, &p->act_max);
}

static tfg_rt_status eval_avg(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_avgpool_s8(&s->p.pool, &s->din, x, &s->dout, y);
}

static tfg_rt_status eval_max(const tfg_lower_step *s, const void *x, const void *w, void *y)
{
    return tfg_rt_maxpool_s8(&s->p.pool, &s->din, x, &s->dout, y);
}

static void emit(const tfg_lower_step *s, const tfg_lower_emit *e)
{
    const char *o = e->name;
    const tfg_rt_pool_params *p = &s->p.pool;
    tfg_buf_printf(e->decl, "static const tfg_rt_pool_params %s_params = {.filter_h = %ld, "
                   ".filter_w = %ld, .stride_h = %ld, .stride_w = %ld, .pad_h = %ld, .pad_w = "
                   "%ld, .act_min = %ld, .act_max = %ld};\n", o, (long)p->filter_h,
                   (long)p->filter_w, (long)p->stride_h, (long)p->stride_w, (long)p->pad_h,
                   (long)p->pad_w, (long)p->act_min, (long)p->act_max);
    *e->flash += sizeof *p;
    tfg_lower_put_dims(e, "din", &s->din);
    tfg_lower_put_dims(e, "dout", &s->dout);
    char *call = tfg_xasprintf("%s(&%s_params, &%s_din, %s, &%s_dout, %s)", s->kernel, o, o,
                               e->x, o, e->y);
    tfg_lower_put_call(e, s, call);
    free(call);
}

const tfg_lower_op tfg_lower_op_avgpool = {
    .builtin = TFG_TFL_AVERAGE_POOL_2D,
    .n_required = 1,
    .kernel = "tfg_rt_avgpool_s8",
    .prepare = prepare,
    .eval = eval_avg,
    .emit = emit,
};

const tfg_lower_op tfg_lower_op_maxpool = {
    .builtin = TFG_TFL_MAX_POOL_2D,
    .n_required = 1,
    .kernel = "tfg_rt_maxpool_s8",
    .prepare = prepare,
    .eval = eval_max,
    .emit = emit,
};
