/* tfg_rt_internal.h — small helpers shared by the kernel files of runtime/; not part of
 * the public API (generated code includes tfg_runtime.h only).
 *
 * The gemmlowp fixed-point functions (fixedpoint.c) live here too: softmax, logistic
 * and tanh are built from them. A value "in Qn" is an int32 raw value with n integer
 * bits and 31 - n fractional bits, as gemmlowp's FixedPoint<int32_t, n>. */
#ifndef TFG_RT_INTERNAL_H
#define TFG_RT_INTERNAL_H

#include "tfg_runtime.h"

static inline int32_t tfg_rt_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* a + b as the 32-bit adder of a Cortex-M gives it, wrapping on overflow. An int8
 * model's accumulator overflows only for parameters no converter writes (an int32 bias
 * near INT32_MIN, say), which TFLM's int32 `acc += bias` then meets as undefined
 * behaviour; here the sum is defined, the same on the host and every core, and an
 * optimised kernel (SMLAD, ADD) wraps the same way. */
static inline int32_t tfg_rt_add_wrap(int32_t a, int32_t b)
{
    uint32_t u = (uint32_t)a + (uint32_t)b;
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

/* The fused-activation clamp must be a non-empty sub-range of int8. */
static inline int tfg_rt_act_ok(int32_t act_min, int32_t act_max)
{
    return act_min >= INT8_MIN && act_max <= INT8_MAX && act_min <= act_max;
}

static inline int tfg_rt_dims_ok(const tfg_rt_dims *d)
{
    return d && d->n > 0 && d->h > 0 && d->w > 0 && d->c > 0;
}

/* Offset of element (b, y, x, c) of an NHWC tensor. */
static inline int32_t tfg_rt_offset(const tfg_rt_dims *d, int32_t b, int32_t y, int32_t x,
                                    int32_t c)
{
    return ((b * d->h + y) * d->w + x) * d->c + c;
}

/* Checks a requantization table for `channels` output channels. */
int tfg_rt_requant_ok(const tfg_rt_requant *rq, int32_t channels);
/* The geometry and requantization checks conv2d and depthwise conv2d share: positive
 * strides and dilations, no negative padding, a usable requantization for every output
 * channel and an ordered activation range. */
int tfg_rt_conv_params_ok(const tfg_rt_conv_params *p, const tfg_rt_requant *rq,
                          int32_t out_channels);

/* Multiplier and shift of output channel c (count 1 broadcasts). */
static inline int32_t tfg_rt_rq_apply(const tfg_rt_requant *rq, int32_t c, int32_t acc)
{
    const int32_t i = rq->count == 1 ? 0 : c;
    return tfg_rt_requantize(acc, rq->multiplier[i], rq->shift[i]);
}

/* gemmlowp fixed point (fixedpoint.c). */
int32_t tfg_rt_fp_exp_on_negative_values(int32_t a, int integer_bits); /* Q(ib) -> Q0 */
int32_t tfg_rt_fp_one_over_one_plus_x(int32_t a);                     /* Q0 (0,1) -> Q0 */
int32_t tfg_rt_fp_logistic(int32_t a, int integer_bits);               /* Q(ib) -> Q0 */
int32_t tfg_rt_fp_tanh(int32_t a, int integer_bits);                   /* Q(ib) -> Q0 */
/* Saturating x * 2^exponent (exponent >= 0) or rounding x / 2^-exponent. */
int32_t tfg_rt_fp_mul_pot(int32_t x, int exponent);
int tfg_rt_fp_clz32(uint32_t x);

#endif
