/* softmax.c — int8 softmax exactly as TFLite's reference integer Softmax.
 *
 * Differences from the row maximum are scaled (input_multiplier, input_left_shift) into
 * Q5.26, exponentiated in fixed point, summed in Q12.19, and each exp is multiplied by
 * the fixed-point reciprocal of the sum. Differences below diff_min contribute nothing
 * and give the smallest output. Parameters come from tfg_rt_softmax_prepare. */
#include "tfg_rt_internal.h"

enum {
    SCALED_DIFF_INTEGER_BITS = 5, /* Q5.26: exp arguments down to -32 */
    ACCUM_INTEGER_BITS = 12       /* Q12.19: room for 4096 terms of at most 1 */
};

static int32_t scaled_diff(const tfg_rt_softmax_params *p, int32_t diff)
{
    /* MultiplyByQuantizedMultiplierGreaterThanOne: the left shift is not rounded. */
    const int32_t shifted = (int32_t)((uint32_t)diff << p->input_left_shift);
    return tfg_rt_srdhm(shifted, p->input_multiplier);
}

/* TFLite aborts when a row's sum of exps needs more than 8 bits above one (rows of
 * hundreds of near-equal values); this returns TFG_RT_EPARAM instead. */
static tfg_rt_status softmax_row(const tfg_rt_softmax_params *p, int32_t depth,
                                 const int8_t *in, int8_t *out)
{
    int32_t max = INT8_MIN, sum = 0, c, headroom, bits_over_unit, recip, exponent;
    for (c = 0; c < depth; c++)
        max = in[c] > max ? in[c] : max;
    for (c = 0; c < depth; c++) {
        const int32_t diff = in[c] - max;
        if (diff >= p->diff_min) {
            const int32_t e = tfg_rt_fp_exp_on_negative_values(scaled_diff(p, diff),
                                                           SCALED_DIFF_INTEGER_BITS);
            /* Q0 -> Q12; wrapping only past 4096 terms, where TFLite aborts too. */
            sum = (int32_t)((uint32_t)sum + (uint32_t)tfg_rt_fp_mul_pot(e, -ACCUM_INTEGER_BITS));
        }
    }
    /* 1 / sum as a Q0 value and a power of two (TFLite's GetReciprocal). */
    headroom = tfg_rt_fp_clz32((uint32_t)sum);
    bits_over_unit = ACCUM_INTEGER_BITS - headroom;
    recip = tfg_rt_fp_one_over_one_plus_x(
        (int32_t)(((uint32_t)sum << headroom) - ((uint32_t)1 << 31)));
    exponent = bits_over_unit + 31 - 8;
    if (sum <= 0 || exponent < 0 || exponent > 31)
        return TFG_RT_EPARAM;
    for (c = 0; c < depth; c++) {
        const int32_t diff = in[c] - max;
        int32_t v = INT8_MIN;
        if (diff >= p->diff_min) {
            const int32_t e = tfg_rt_fp_exp_on_negative_values(scaled_diff(p, diff),
                                                           SCALED_DIFF_INTEGER_BITS);
            v = tfg_rt_rounding_divide_by_pot(tfg_rt_srdhm(recip, e), exponent) + INT8_MIN;
            v = tfg_rt_clamp(v, INT8_MIN, INT8_MAX);
        }
        out[c] = (int8_t)v;
    }
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_softmax_s8(const tfg_rt_softmax_params *p, int32_t rows, int32_t depth,
                                const int8_t *input, int8_t *output)
{
    int32_t r;
    if (!p || !input || !output)
        return TFG_RT_EPARAM;
    if (rows < 0 || depth <= 0)
        return TFG_RT_ESHAPE;
    if (p->input_left_shift < 0 || p->input_left_shift > 31 || p->input_multiplier < 0 ||
        p->diff_min > 0)
        return TFG_RT_EPARAM;
    for (r = 0; r < rows; r++) {
        const tfg_rt_status st = softmax_row(p, depth, input + r * depth, output + r * depth);
        if (st != TFG_RT_OK)
            return st;
    }
    return TFG_RT_OK;
}
