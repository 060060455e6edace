/* op_unary.c — the shared part of the one-input int8 ops (SOFTMAX, LOGISTIC, TANH):
 * input and output int8 with the same element count, the input per-tensor quantized,
 * and the one output quantization TFLite requires of them. */
#include <math.h>

#include "lower/op.h"
#include "lower/op_unary.h"

tfg_status tfg_lower_prep_unary_int8(const tfg_lower_prep *c, float *in_s, int32_t *in_zp)
{
    int32_t x = c->s->in[0], y = c->s->out;
    tfg_status st;
    if ((st = tfg_lower_need_type(c, x, "input", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_type(c, y, "output", TFG_TFL_INT8)) ||
        (st = tfg_lower_need_same_elems(c, x, y)) ||
        (st = tfg_lower_need_quant(c, x, "input", in_s, in_zp)))
        return st;
    c->s->size = (int32_t)tfg_lower_tensor(c, x)->elems;
    return TFG_OK;
}

tfg_status tfg_lower_need_fixed_output(const tfg_lower_prep *c, float want_scale,
                                       int32_t want_zp)
{
    float sy;
    int32_t zy;
    tfg_status st = tfg_lower_need_quant(c, c->s->out, "output", &sy, &zy);
    if (st)
        return st;
    if (zy != want_zp || fabs((double)sy - (double)want_scale) > 0.001 * (double)want_scale)
        return tfg_lower_fail(c, "output (tensor %d) has scale %g and zero point %d, expected "
                              "%g and %d", (int)c->s->out, (double)sy, (int)zy,
                              (double)want_scale, (int)want_zp);
    return TFG_OK;
}
