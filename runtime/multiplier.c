/* multiplier.c — host-side preparation of kernel parameters: real scale factors to
 * int32 multiplier + shift, fused-activation clamps, and the ADD, softmax, logistic and
 * tanh parameters, each computed as TFLite Micro's Prepare does (the same double or
 * float expressions in the same order, because a last-bit difference in a multiplier
 * changes outputs).
 *
 * This file runs where the code generator runs (it uses double) and never on the
 * device; the device gets the resulting integers as constants. It avoids <math.h>:
 * frexp and round are written out (both exact), so the runtime library needs no libm. */
#include "tfg_rt_internal.h"

#include <limits.h>

/* frexp for finite x > 0: x = m * 2^e with m in [0.5, 1). Scaling by two is exact. */
static double frexp_pos(double x, int *e)
{
    int n = 0;
    while (x >= 1.0) {
        x *= 0.5;
        n++;
    }
    while (x < 0.5) {
        x *= 2.0;
        n--;
    }
    *e = n;
    return x;
}

/* round() of a double: ties away from zero; x - trunc(x) is exact. */
static double round_half_away(double x)
{
    double t, d;
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) /* 2^52 */
        return x;
    t = (double)(int64_t)x;
    d = x - t;
    if (d >= 0.5)
        t += 1.0;
    else if (d <= -0.5)
        t -= 1.0;
    return t;
}

/* std::round(float) as TFLite's TfLiteRound on float: the same in float precision. */
static float round_half_away_f(float x)
{
    float t, d;
    if (!(x > -8388608.0f && x < 8388608.0f)) /* 2^23 */
        return x;
    t = (float)(int32_t)x;
    d = x - t;
    if (d >= 0.5f)
        t += 1.0f;
    else if (d <= -0.5f)
        t -= 1.0f;
    return t;
}

static int finite_nonneg(double x)
{
    return x >= 0.0 && x <= 1.7976931348623157e308; /* false for NaN and inf */
}

tfg_rt_status tfg_rt_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    int e;
    int64_t q;
    if (!multiplier || !shift || !finite_nonneg(real))
        return TFG_RT_EPARAM;
    *multiplier = 0;
    *shift = 0;
    if (real == 0.0)
        return TFG_RT_OK;
    q = (int64_t)round_half_away(frexp_pos(real, &e) * 2147483648.0);
    if (q == ((int64_t)1 << 31)) { /* the mantissa rounded up to 1.0 */
        q /= 2;
        e++;
    }
    if (e < -31) /* flush multipliers below ~2^-31 to zero, as TFLite */
        return TFG_RT_OK;
    if (e > 31) /* would shift every input out of int32 */
        return TFG_RT_EPARAM;
    *multiplier = (int32_t)q;
    *shift = e;
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_conv_multipliers(float input_scale, const float *filter_scales,
                                      int32_t n_filter_scales, float output_scale,
                                      int32_t channels, int32_t *multiplier, int32_t *shift)
{
    int32_t c;
    if (!filter_scales || !multiplier || !shift || channels <= 0 ||
        (n_filter_scales != 1 && n_filter_scales != channels) || !(output_scale > 0.0f))
        return TFG_RT_EPARAM;
    for (c = 0; c < channels; c++) {
        const double fs = (double)filter_scales[n_filter_scales == 1 ? 0 : c];
        const double real = (double)input_scale * fs / (double)output_scale;
        const tfg_rt_status st = tfg_rt_quantize_multiplier(real, &multiplier[c], &shift[c]);
        if (st != TFG_RT_OK)
            return st;
    }
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_fc_multiplier(float input_scale, float filter_scale, float output_scale,
                                   int32_t *multiplier, int32_t *shift)
{
    /* The float product, widened afterwards: TFLite's GetQuantizedConvolutionMultipler. */
    const float product = input_scale * filter_scale;
    if (!(output_scale > 0.0f))
        return TFG_RT_EPARAM;
    return tfg_rt_quantize_multiplier((double)product / (double)output_scale, multiplier, shift);
}

/* TFLite's Quantize() helper of kernel_util.cc: float division and float rounding. */
static tfg_rt_status quantize_value(float scale, int32_t zero_point, float f, int32_t *q)
{
    const float t = round_half_away_f(f / scale);
    if (!(t >= -2147483648.0f && t <= 2147483520.0f))
        return TFG_RT_EPARAM;
    *q = zero_point + (int32_t)t;
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_activation_range(tfg_rt_act act, float output_scale,
                                      int32_t output_zero_point, int32_t *act_min,
                                      int32_t *act_max)
{
    int32_t lo = INT8_MIN, hi = INT8_MAX, q;
    if (!act_min || !act_max || !(output_scale > 0.0f))
        return TFG_RT_EPARAM;
    if (act == TFG_RT_ACT_RELU || act == TFG_RT_ACT_RELU6) {
        if (quantize_value(output_scale, output_zero_point, 0.0f, &q) != TFG_RT_OK)
            return TFG_RT_EPARAM;
        lo = q > lo ? q : lo;
    }
    if (act == TFG_RT_ACT_RELU6) {
        if (quantize_value(output_scale, output_zero_point, 6.0f, &q) != TFG_RT_OK)
            return TFG_RT_EPARAM;
        hi = q < hi ? q : hi;
    }
    if (act == TFG_RT_ACT_RELU_N1_TO_1) {
        if (quantize_value(output_scale, output_zero_point, -1.0f, &q) != TFG_RT_OK)
            return TFG_RT_EPARAM;
        lo = q > lo ? q : lo;
        if (quantize_value(output_scale, output_zero_point, 1.0f, &q) != TFG_RT_OK)
            return TFG_RT_EPARAM;
        hi = q < hi ? q : hi;
    }
    if (act != TFG_RT_ACT_NONE && act != TFG_RT_ACT_RELU && act != TFG_RT_ACT_RELU6 &&
        act != TFG_RT_ACT_RELU_N1_TO_1)
        return TFG_RT_EPARAM;
    /* TFLite does not check this; an empty range would make every output one value. */
    if (lo > hi)
        return TFG_RT_EPARAM;
    *act_min = lo;
    *act_max = hi;
    return TFG_RT_OK;
}

/* QuantizeMultiplierSmallerThanOneExp: real in (0, 1), shift <= 0. */
static tfg_rt_status multiplier_below_one(double real, int32_t *m, int32_t *s)
{
    if (!(real > 0.0 && real < 1.0))
        return TFG_RT_EPARAM;
    if (tfg_rt_quantize_multiplier(real, m, s) != TFG_RT_OK || *s > 0)
        return TFG_RT_EPARAM;
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_add_prepare(float input1_scale, int32_t input1_zero_point,
                                 float input2_scale, int32_t input2_zero_point,
                                 float output_scale, int32_t output_zero_point,
                                 tfg_rt_act act, tfg_rt_add_params *p)
{
    double twice_max, r1, r2, ro;
    if (!p || !(input1_scale > 0.0f) || !(input2_scale > 0.0f) || !(output_scale > 0.0f))
        return TFG_RT_EPARAM;
    p->input1_zero_point = input1_zero_point;
    p->input2_zero_point = input2_zero_point;
    p->output_zero_point = output_zero_point;
    p->left_shift = 20;
    twice_max = 2 * (double)(input1_scale > input2_scale ? input1_scale : input2_scale);
    r1 = (double)input1_scale / twice_max;
    r2 = (double)input2_scale / twice_max;
    ro = twice_max / ((1 << p->left_shift) * (double)output_scale);
    if (multiplier_below_one(r1, &p->input1_multiplier, &p->input1_shift) != TFG_RT_OK ||
        multiplier_below_one(r2, &p->input2_multiplier, &p->input2_shift) != TFG_RT_OK ||
        multiplier_below_one(ro, &p->output_multiplier, &p->output_shift) != TFG_RT_OK)
        return TFG_RT_EPARAM;
    return tfg_rt_activation_range(act, output_scale, output_zero_point, &p->act_min,
                                   &p->act_max);
}

/* CalculateInputRadius: the largest |input - zero_point| (or row difference) that the
 * fixed-point rescale into Q(integer_bits) does not overflow, floor-ed. */
static int32_t input_radius(int integer_bits, int left_shift)
{
    const double max_rescaled = 1.0 * ((1 << integer_bits) - 1) *
                                (double)((int64_t)1 << (31 - integer_bits)) /
                                (double)((int64_t)1 << left_shift);
    return (int32_t)max_rescaled; /* positive, so truncation is floor */
}

tfg_rt_status tfg_rt_softmax_prepare(float input_scale, float beta, tfg_rt_softmax_params *p)
{
    enum { SCALED_DIFF_INTEGER_BITS = 5 };
    const double max_real = 2147483647.0; /* (1 << 31) - 1 */
    double real;
    int32_t m, s;
    if (!p || !(input_scale > 0.0f) || !(beta > 0.0f))
        return TFG_RT_EPARAM;
    /* PreprocessSoftmaxScaling, then QuantizeMultiplierGreaterThanOne. */
    real = (double)beta * (double)input_scale * (double)(1 << (31 - SCALED_DIFF_INTEGER_BITS));
    real = real < max_real ? real : max_real;
    if (!(real > 1.0) || tfg_rt_quantize_multiplier(real, &m, &s) != TFG_RT_OK || s < 0)
        return TFG_RT_EPARAM;
    p->input_multiplier = m;
    p->input_left_shift = s;
    p->diff_min = -input_radius(SCALED_DIFF_INTEGER_BITS, (int)s);
    return TFG_RT_OK;
}

/* Logistic and tanh share their Prepare: frexp of input_scale * 2^27 (Q4.27 input),
 * without QuantizeMultiplier's renormalization (a float scale times a power of two
 * has a 24-bit mantissa, so the rounded value never reaches 2^31). */
static tfg_rt_status sigmoid_like_prepare(float input_scale, int32_t input_zero_point,
                                          tfg_rt_logistic_params *p)
{
    enum { INPUT_INTEGER_BITS = 4 };
    double real, q;
    int e;
    if (!p || !(input_scale > 0.0f) || input_scale > 1e30f)
        return TFG_RT_EPARAM;
    real = (double)input_scale * (double)(1 << (31 - INPUT_INTEGER_BITS));
    q = frexp_pos(real, &e);
    if (e < 0 || e > 31) /* scales below 2^-28 or above 2^4: not a real int8 tensor */
        return TFG_RT_EPARAM;
    p->input_zero_point = input_zero_point;
    p->input_multiplier = (int32_t)round_half_away(q * 2147483648.0);
    p->input_left_shift = e;
    p->input_range_radius = input_radius(INPUT_INTEGER_BITS, e);
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_logistic_prepare(float input_scale, int32_t input_zero_point,
                                      tfg_rt_logistic_params *p)
{
    return sigmoid_like_prepare(input_scale, input_zero_point, p);
}

tfg_rt_status tfg_rt_tanh_prepare(float input_scale, int32_t input_zero_point,
                                  tfg_rt_tanh_params *p)
{
    return sigmoid_like_prepare(input_scale, input_zero_point, p);
}
