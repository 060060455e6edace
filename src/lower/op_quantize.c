/* op_quantize.c — QUANTIZE (float32 -> int8) and DEQUANTIZE (int8 -> float32), the
 * model's float edges (op.h). The host runs them; the C emitter has no form for them
 * yet (the generated API has its own float wrapper), so tfg_lower_can_emit is false. */
#include "lower/op.h"

static tfg_status prepare_edge(const tfg_lower_prep *c, bool quantize)
{
    int32_t x = c->s->in[0], y = c->s->out, q = quantize ? y : x;
    tfg_status st;
    int32_t tx = quantize ? TFG_TFL_FLOAT32 : TFG_TFL_INT8;
    int32_t ty = quantize ? TFG_TFL_INT8 : TFG_TFL_FLOAT32;
    if ((st = tfg_lower_need_type(c, x, "input", tx)) ||
        (st = tfg_lower_need_type(c, y, "output", ty)) ||
        (st = tfg_lower_need_same_elems(c, x, y)) ||
        (st = tfg_lower_need_quant(c, q, quantize ? "output" : "input", &c->s->p.q.scale,
                                   &c->s->p.q.zero_point)))
        return st;
    c->s->size = (int32_t)tfg_lower_tensor(c, x)->elems;
    return TFG_OK;
}

static tfg_status prepare_quantize(const tfg_lower_prep *c)
{
    return prepare_edge(c, true);
}

static tfg_status prepare_dequantize(const tfg_lower_prep *c)
{
    return prepare_edge(c, false);
}

static tfg_rt_status eval_quantize(const tfg_lower_step *s, const void *x, const void *w,
                                   void *y)
{
    return tfg_rt_quantize_f32_s8(s->p.q.scale, s->p.q.zero_point, x, y, s->size);
}

static tfg_rt_status eval_dequantize(const tfg_lower_step *s, const void *x, const void *w,
                                     void *y)
{
    return tfg_rt_dequantize_s8_f32(s->p.q.scale, s->p.q.zero_point, x, y, s->size);
}

const tfg_lower_op tfg_lower_op_quantize = {
    .builtin = TFG_TFL_QUANTIZE,
    .n_required = 1,
    .prepare = prepare_quantize,
    .eval = eval_quantize,
};

const tfg_lower_op tfg_lower_op_dequantize = {
    .builtin = TFG_TFL_DEQUANTIZE,
    .n_required = 1,
    .prepare = prepare_dequantize,
    .eval = eval_dequantize,
};
