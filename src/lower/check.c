/* check.c — the checks every op's prepare shares (op.h).
 *
 * TFLite Micro's kernels trust the converter; tinyforge does not, because a wrong type,
 * shape or scale would make a kernel read or write out of bounds or give silently
 * wrong numbers. Every check names the operator, because a user fixing a model needs to
 * know which layer is wrong. The arithmetic itself lives in runtime/multiplier.c and
 * padding.c, shared with the device. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "lower/op.h"

#define TYPES_SUPPORTED                                                                    \
    "supported: int8 activations and weights, int32 bias, float32 only into QUANTIZE and " \
    "out of DEQUANTIZE"

/* Constant data lives in the model's buffers (its bytes stay in flash); the one place
 * that says so, for prepare's checks here and the lifetimes of lower.c. */
bool tfg_lower_is_const(const tfg_tflite *m, const tfg_tfl_subgraph *g, int32_t t)
{
    uint32_t b = g->tensors[t].buffer;
    return b != 0 && b < m->n_buffers && m->buffers[b].len > 0;
}

tfg_status tfg_lower_fail(const tfg_lower_prep *c, const char *fmt, ...)
{
    char what[TFG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return tfg_err_set(c->err, TFG_EINPUT, "%s: operators[%zu] (%s): %s", c->m->name,
                       c->s->index, tfg_tflite_op_name(c->op->builtin), what);
}

tfg_status tfg_lower_rt_fail(const tfg_lower_prep *c, tfg_rt_status rs, const char *what)
{
    return tfg_lower_fail(c, "%s failed (%s)", what, tfg_rt_status_name(rs));
}

const tfg_tfl_tensor *tfg_lower_tensor(const tfg_lower_prep *c, int32_t t)
{
    return &c->g->tensors[t];
}

tfg_status tfg_lower_need_type(const tfg_lower_prep *c, int32_t t, const char *role,
                               int32_t type)
{
    const tfg_tfl_tensor *x = tfg_lower_tensor(c, t);
    if (x->type != type)
        return tfg_lower_fail(c, "%s (tensor %d) is %s, expected %s; " TYPES_SUPPORTED, role,
                              (int)t, tfg_tflite_type_name(x->type),
                              tfg_tflite_type_name(type));
    return TFG_OK;
}

tfg_status tfg_lower_need_rank(const tfg_lower_prep *c, int32_t t, const char *role,
                               size_t rank)
{
    const tfg_tfl_tensor *x = tfg_lower_tensor(c, t);
    if (x->rank != rank)
        return tfg_lower_fail(c, "%s (tensor %d) has %zu dimensions, expected %zu", role,
                              (int)t, x->rank, rank);
    return TFG_OK;
}

tfg_status tfg_lower_need_const(const tfg_lower_prep *c, int32_t t, const char *role)
{
    if (!tfg_lower_is_const(c->m, c->g, t))
        return tfg_lower_fail(c, "%s (tensor %d) has no constant data; only constant weights "
                              "and biases are supported", role, (int)t);
    return TFG_OK;
}

/* The zero point of a quantized tensor (0 when the model leaves it out). */
int64_t tfg_lower_zero_point(const tfg_tfl_tensor *x, size_t k)
{
    return k < x->n_zero_point ? x->zero_point[k] : 0;
}

static tfg_status check_scale(const tfg_lower_prep *c, int32_t t, const char *role, float s)
{
    if (!(s > 0.0f) || !isfinite(s))
        return tfg_lower_fail(c, "%s (tensor %d) has scale %g, expected a finite scale > 0",
                              role, (int)t, (double)s);
    return TFG_OK;
}

tfg_status tfg_lower_need_quant(const tfg_lower_prep *c, int32_t t, const char *role,
                                float *scale, int32_t *zp)
{
    const tfg_tfl_tensor *x = tfg_lower_tensor(c, t);
    if (x->n_scale != 1)
        return tfg_lower_fail(c, "%s (tensor %d) has %zu quantization scales, expected one "
                              "(per-tensor int8)", role, (int)t, x->n_scale);
    int64_t z = tfg_lower_zero_point(x, 0);
    if (z < INT8_MIN || z > INT8_MAX)
        return tfg_lower_fail(c, "%s (tensor %d) has zero point %lld, outside int8", role,
                              (int)t, (long long)z);
    *scale = x->scale[0];
    *zp = (int32_t)z;
    return check_scale(c, t, role, *scale);
}

/* Symmetric (zero points 0) is what TFLite's int8 kernels without a filter offset
 * assume. */
tfg_status tfg_lower_need_filter_quant(const tfg_lower_prep *c, int32_t t, int32_t dim,
                                       int32_t channels, bool allow_zp)
{
    const tfg_tfl_tensor *x = tfg_lower_tensor(c, t);
    if (x->n_scale != 1 && x->n_scale != (size_t)channels)
        return tfg_lower_fail(c, "filter (tensor %d) has %zu quantization scales, expected 1 "
                              "or one per output channel (%d)", (int)t, x->n_scale,
                              (int)channels);
    if (x->n_scale > 1 && x->quantized_dimension != dim)
        return tfg_lower_fail(c, "filter (tensor %d) is quantized along dimension %d, "
                              "expected %d", (int)t, (int)x->quantized_dimension, (int)dim);
    for (size_t k = 0; k < x->n_scale; k++) {
        tfg_status st = check_scale(c, t, "filter", x->scale[k]);
        if (st)
            return st;
    }
    bool per_tensor_zp_ok = allow_zp && x->n_scale == 1;
    for (size_t k = 0; k < x->n_zero_point; k++) {
        int64_t z = x->zero_point[k];
        if (z != 0 && !(per_tensor_zp_ok && z >= INT8_MIN && z <= INT8_MAX))
            return tfg_lower_fail(c, "filter (tensor %d) has zero point %lld at channel %zu, "
                                  "expected 0 (symmetric int8 weights)", (int)t,
                                  (long long)z, k);
    }
    return TFG_OK;
}

tfg_status tfg_lower_need_same_elems(const tfg_lower_prep *c, int32_t a, int32_t b)
{
    const tfg_tfl_tensor *x = tfg_lower_tensor(c, a), *y = tfg_lower_tensor(c, b);
    if (x->elems != y->elems)
        return tfg_lower_fail(c, "input (tensor %d) has %lld elements but output (tensor %d) "
                              "has %lld", (int)a, (long long)x->elems, (int)b,
                              (long long)y->elems);
    return TFG_OK;
}

tfg_status tfg_lower_activation(const tfg_lower_prep *c, tfg_rt_act *a)
{
    switch (c->op->opt.activation) {
    case TFG_TFL_ACT_NONE: *a = TFG_RT_ACT_NONE; return TFG_OK;
    case TFG_TFL_ACT_RELU: *a = TFG_RT_ACT_RELU; return TFG_OK;
    case TFG_TFL_ACT_RELU6: *a = TFG_RT_ACT_RELU6; return TFG_OK;
    case TFG_TFL_ACT_RELU_N1_TO_1: *a = TFG_RT_ACT_RELU_N1_TO_1; return TFG_OK;
    default:
        return tfg_lower_fail(c, "fused activation %s is not supported; supported: NONE, "
                              "RELU, RELU6, RELU_N1_TO_1",
                              tfg_tflite_activation_name(c->op->opt.activation));
    }
}

tfg_status tfg_lower_fused_range(const tfg_lower_prep *c, float out_scale, int32_t out_zp,
                                 int32_t *lo, int32_t *hi)
{
    tfg_rt_act a = TFG_RT_ACT_NONE;
    tfg_status st = tfg_lower_activation(c, &a);
    if (st)
        return st;
    tfg_rt_status rs = tfg_rt_activation_range(a, out_scale, out_zp, lo, hi);
    return rs ? tfg_lower_rt_fail(c, rs, "the fused activation range") : TFG_OK;
}

/* Checked against the output tensor: TFLM trusts the converter, and a wrong shape here
 * would write out of bounds. */
tfg_status tfg_lower_spatial(const tfg_lower_prep *c, const char *axis, int32_t in,
                             int32_t filter, int32_t stride, int32_t dilation, int32_t out,
                             int32_t *pad)
{
    int32_t n;
    tfg_rt_padding pd = c->op->opt.padding == TFG_TFL_PAD_SAME ? TFG_RT_PAD_SAME
                                                                : TFG_RT_PAD_VALID;
    tfg_rt_status rs = tfg_rt_compute_padding(pd, in, filter, stride, dilation, &n, pad);
    if (rs)
        return tfg_lower_fail(c, "%s: a window of %d (dilation %d) does not fit an input of "
                              "%d with %s padding", axis, (int)filter, (int)dilation, (int)in,
                              pd == TFG_RT_PAD_SAME ? "SAME" : "VALID");
    if (n != out)
        return tfg_lower_fail(c, "%s: the output is %d but input %d, window %d, stride %d "
                              "give %d", axis, (int)out, (int)in, (int)filter, (int)stride,
                              (int)n);
    return TFG_OK;
}

tfg_rt_dims tfg_lower_dims4(const tfg_tfl_tensor *x)
{
    return (tfg_rt_dims){x->shape[0], x->shape[1], x->shape[2], x->shape[3]};
}

/* Copied so the kernels read aligned int32 (the model's bytes are little-endian, as is
 * every host tinyforge runs on). */
tfg_status tfg_lower_take_bias(const tfg_lower_prep *c, int32_t channels)
{
    int32_t b = c->s->in[2];
    if (b < 0)
        return TFG_OK;
    tfg_status st;
    if ((st = tfg_lower_need_type(c, b, "bias", TFG_TFL_INT32)) ||
        (st = tfg_lower_need_const(c, b, "bias")))
        return st;
    if (tfg_lower_tensor(c, b)->elems != channels)
        return tfg_lower_fail(c, "bias (tensor %d) has %lld values, expected one per output "
                              "channel (%d)", (int)b, (long long)tfg_lower_tensor(c, b)->elems,
                              (int)channels);
    const tfg_tfl_buffer *data = &c->m->buffers[c->g->tensors[b].buffer];
    if (data->len < (size_t)channels * sizeof *c->s->bias)
        return tfg_lower_fail(c, "bias (tensor %d) has %zu bytes of data, expected %zu",
                              (int)b, data->len, (size_t)channels * sizeof *c->s->bias);
    c->s->bias = tfg_xcalloc((size_t)channels, sizeof *c->s->bias);
    memcpy(c->s->bias, data->data, (size_t)channels * sizeof *c->s->bias);
    return TFG_OK;
}

void tfg_lower_alloc_requant(tfg_lower_step *s, int32_t count)
{
    s->multiplier = tfg_xcalloc((size_t)count, sizeof *s->multiplier);
    s->shift = tfg_xcalloc((size_t)count, sizeof *s->shift);
    s->rq = (tfg_rt_requant){s->multiplier, s->shift, count};
}
