/* elementwise.c — int8 ADD, the float<->int8 edges QUANTIZE and DEQUANTIZE, and
 * RESHAPE, as TFLite's reference kernels.
 *
 * Floating point appears here only in quantize/dequantize, which sit at the edges of a
 * model; the ADD is all integer. */
#include "tfg_rt_internal.h"

#include <string.h>

static int8_t add_one(const tfg_rt_add_params *p, int32_t a, int32_t b)
{
    /* Both inputs get 20 bits of headroom, are scaled to the common (twice the larger)
     * input scale, summed, and the sum is scaled to the output. */
    const int32_t sa = (a - p->input1_zero_point) * ((int32_t)1 << p->left_shift);
    const int32_t sb = (b - p->input2_zero_point) * ((int32_t)1 << p->left_shift);
    const int32_t ra = tfg_rt_requantize(sa, p->input1_multiplier, p->input1_shift);
    const int32_t rb = tfg_rt_requantize(sb, p->input2_multiplier, p->input2_shift);
    const int32_t out =
        tfg_rt_requantize(ra + rb, p->output_multiplier, p->output_shift) + p->output_zero_point;
    return (int8_t)tfg_rt_clamp(out, p->act_min, p->act_max);
}

tfg_rt_status tfg_rt_add_s8(const tfg_rt_add_params *p, const int8_t *in1, int32_t n1,
                            const int8_t *in2, int32_t n2, int8_t *output, int32_t size)
{
    int32_t i;
    if (!p || size < 0)
        return TFG_RT_EPARAM;
    if ((n1 != size && n1 != 1) || (n2 != size && n2 != 1))
        return TFG_RT_ESHAPE;
    if (size > 0 && (!in1 || !in2 || !output))
        return TFG_RT_EPARAM;
    /* TFLite's MultiplyByQuantizedMultiplierSmallerThanOneExp: shifts are never
     * positive, and 8-bit inputs with left_shift <= 22 cannot overflow int32. */
    if (p->left_shift < 0 || p->left_shift > 22 || p->input1_shift > 0 ||
        p->input2_shift > 0 || p->output_shift > 0 || p->input1_shift < -31 ||
        p->input2_shift < -31 || p->output_shift < -31 ||
        !tfg_rt_act_ok(p->act_min, p->act_max))
        return TFG_RT_EPARAM;
    for (i = 0; i < size; i++)
        output[i] = add_one(p, in1[n1 == 1 ? 0 : i], in2[n2 == 1 ? 0 : i]);
    return TFG_RT_OK;
}

/* round(v) with ties away from zero, in float, for |v| below 2^23 (above it every float
 * is an integer already). v - trunc(v) is exact, so there is no double rounding. */
static float round_half_away(float v)
{
    const float big = 8388608.0f; /* 2^23 */
    float t, d;
    if (!(v > -big && v < big))
        return v;
    t = (float)(int32_t)v;
    d = v - t;
    if (d >= 0.5f)
        t += 1.0f;
    else if (d <= -0.5f)
        t -= 1.0f;
    return t;
}

tfg_rt_status tfg_rt_quantize_f32_s8(float scale, int32_t zero_point, const float *input,
                                     int8_t *output, int32_t size)
{
    int32_t i;
    if (!(scale > 0.0f) || zero_point < INT8_MIN || zero_point > INT8_MAX || size < 0 ||
        (size > 0 && (!input || !output)))
        return TFG_RT_EPARAM;
    for (i = 0; i < size; i++) {
        float r = round_half_away(input[i] / scale);
        int32_t q;
        /* Clamp before converting: any value past +-1000 clamps to the same int8. */
        if (r != r)
            r = 0.0f; /* NaN */
        r = r < -1000.0f ? -1000.0f : (r > 1000.0f ? 1000.0f : r);
        q = (int32_t)r + zero_point;
        output[i] = (int8_t)tfg_rt_clamp(q, INT8_MIN, INT8_MAX);
    }
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_dequantize_s8_f32(float scale, int32_t zero_point, const int8_t *input,
                                       float *output, int32_t size)
{
    int32_t i;
    if (zero_point < INT8_MIN || zero_point > INT8_MAX || size < 0 ||
        (size > 0 && (!input || !output)))
        return TFG_RT_EPARAM;
    /* TFLite computes (float)((double)scale * (q - zp)). The product of a float and an
     * integer below 2^9 in magnitude is exact in double, so rounding it once to float is
     * the same as the float product: no double arithmetic is needed on cores whose FPU
     * is single precision. */
    for (i = 0; i < size; i++)
        output[i] = scale * (float)(input[i] - zero_point);
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_reshape_s8(const int8_t *input, int8_t *output, int32_t size)
{
    if (size < 0 || (size > 0 && (!input || !output)))
        return TFG_RT_EPARAM;
    if (size > 0 && input != output)
        memmove(output, input, (size_t)size);
    return TFG_RT_OK;
}
