/* activations.c — int8 logistic (sigmoid) and tanh exactly as TFLite's reference
 * integer kernels: the input is rescaled into Q4.27, the function is evaluated with
 * gemmlowp's fixed-point logistic/tanh, and the Q0 result is rounded to the fixed
 * output quantization (logistic: 1/256, zero point -128; tanh: 1/128, zero point 0).
 * Inputs at or beyond the radius where the output saturates skip the arithmetic.
 * Parameters come from tfg_rt_logistic_prepare / tfg_rt_tanh_prepare. */
#include "tfg_rt_internal.h"

enum { INPUT_INTEGER_BITS = 4 };

static int params_ok(const tfg_rt_logistic_params *p)
{
    return p->input_range_radius >= 0 && p->input_multiplier >= 0 &&
           p->input_left_shift >= -31 && p->input_left_shift <= 31;
}

tfg_rt_status tfg_rt_logistic_s8(const tfg_rt_logistic_params *p, const int8_t *input,
                                 int8_t *output, int32_t size)
{
    int32_t i;
    if (!p || (size > 0 && (!input || !output)) || size < 0 || !params_ok(p))
        return TFG_RT_EPARAM;
    for (i = 0; i < size; i++) {
        const int32_t x = input[i] - p->input_zero_point;
        int32_t v;
        if (x <= -p->input_range_radius) {
            v = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            v = INT8_MAX;
        } else {
            const int32_t q4 =
                tfg_rt_requantize(x, p->input_multiplier, p->input_left_shift);
            const int32_t q0 = tfg_rt_fp_logistic(q4, INPUT_INTEGER_BITS);
            /* Q0 -> multiples of 1/256, then the output zero point -128. */
            v = tfg_rt_rounding_divide_by_pot(q0, 31 - 8) + INT8_MIN;
            v = tfg_rt_clamp(v, INT8_MIN, INT8_MAX);
        }
        output[i] = (int8_t)v;
    }
    return TFG_RT_OK;
}

tfg_rt_status tfg_rt_tanh_s8(const tfg_rt_tanh_params *p, const int8_t *input, int8_t *output,
                             int32_t size)
{
    int32_t i;
    if (!p || (size > 0 && (!input || !output)) || size < 0 || !params_ok(p))
        return TFG_RT_EPARAM;
    for (i = 0; i < size; i++) {
        const int32_t x = input[i] - p->input_zero_point;
        int32_t v;
        if (x <= -p->input_range_radius) {
            v = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            v = INT8_MAX;
        } else {
            const int32_t q4 =
                tfg_rt_requantize(x, p->input_multiplier, p->input_left_shift);
            const int32_t q0 = tfg_rt_fp_tanh(q4, INPUT_INTEGER_BITS);
            v = tfg_rt_rounding_divide_by_pot(q0, 31 - 7); /* multiples of 1/128 */
            v = tfg_rt_clamp(v, INT8_MIN, INT8_MAX);
        }
        output[i] = (int8_t)v;
    }
    return TFG_RT_OK;
}
