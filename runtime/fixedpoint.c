/* fixedpoint.c — the few functions of gemmlowp's fixed-point library that TFLite's int8
 * softmax, logistic and tanh are made of, for 32-bit raw values.
 *
 * Written from the formulas of gemmlowp/fixedpoint/fixedpoint.h (the algorithm and its
 * constants are the definition TFLite's outputs depend on, so they are reproduced
 * exactly): exp on [-1/4, 0) by a Taylor series around -1/8, the remaining multiples of
 * 1/4 by a barrel of exp(-2^k) constants, and 1/(1+x) by three Newton-Raphson steps.
 * Additions wrap (through unsigned) where gemmlowp's would overflow; in the ranges these
 * functions are used in they never do, so the results are identical. */
#include "tfg_rt_internal.h"

#include <limits.h>

#define TFG_FP_ONE_Q0 INT32_MAX /* "one" in Q0 is the largest raw value */

static int32_t add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

int32_t tfg_rt_fp_mul_pot(int32_t x, int exponent)
{
    int32_t threshold;
    if (exponent <= 0)
        return exponent == 0 ? x : tfg_rt_rounding_divide_by_pot(x, -exponent);
    threshold = (int32_t)(((int32_t)1 << (31 - exponent)) - 1);
    if (x > threshold)
        return INT32_MAX;
    if (x < -threshold)
        return INT32_MIN;
    return x * ((int32_t)1 << exponent);
}

int tfg_rt_fp_clz32(uint32_t x)
{
    int n = 0;
    if (x == 0)
        return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* exp(a) for a in [-1/4, 0), Q0 -> Q0. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = add(a, (int32_t)1 << 28); /* x = a + 1/8 */
    const int32_t x2 = tfg_rt_srdhm(x, x);
    const int32_t x3 = tfg_rt_srdhm(x2, x);
    const int32_t x4 = tfg_rt_srdhm(x2, x2);
    const int32_t x4_over_4 = tfg_rt_fp_mul_pot(x4, -2);
    const int32_t poly =
        tfg_rt_fp_mul_pot(add(tfg_rt_srdhm(add(x4_over_4, x3), one_third), x2), -1);
    return add(exp_minus_one_eighth, tfg_rt_srdhm(exp_minus_one_eighth, add(x, poly)));
}

int32_t tfg_rt_fp_exp_on_negative_values(int32_t a, int integer_bits)
{
    /* exp(-2^k) in Q0 for k = -2 .. 4. */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535,   720401,     242};
    const int frac_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = sub(a & (one_quarter - 1), one_quarter);
    const int32_t remainder = sub(a_mod_quarter_minus_quarter, a);
    int32_t result = exp_quarter(tfg_rt_fp_mul_pot(a_mod_quarter_minus_quarter, integer_bits));
    int k;
    for (k = -2; k <= 4; k++) {
        if (integer_bits > k && (remainder & ((int32_t)1 << (frac_bits + k))))
            result = tfg_rt_srdhm(result, barrel[k + 2]);
    }
    if (integer_bits > 5 && a < -((int32_t)1 << (36 - integer_bits)))
        result = 0; /* below -32: exp underflows */
    return a == 0 ? TFG_FP_ONE_Q0 : result;
}

/* The Newton-Raphson iteration for 1 / (1 + a), a in Q0 (0, 1); returns the estimate of
 * 1 / ((1 + a) / 2) in Q2. */
static int32_t inverse_half_denominator(int32_t a)
{
    const int32_t c48_17 = 1515870810;   /* 48/17 in Q2 */
    const int32_t cm32_17 = -1010580540; /* -32/17 in Q2 */
    const int32_t one_q2 = (int32_t)1 << 29;
    /* RoundingHalfSum(a, 1): (a + one) / 2 rounded away from zero. */
    const int64_t sum = (int64_t)a + TFG_FP_ONE_Q0;
    const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = add(c48_17, tfg_rt_srdhm(half_den, cm32_17));
    int i;
    for (i = 0; i < 3; i++) {
        const int32_t one_minus = sub(one_q2, tfg_rt_srdhm(half_den, x));
        x = add(x, tfg_rt_fp_mul_pot(tfg_rt_srdhm(x, one_minus), 2));
    }
    return x;
}

int32_t tfg_rt_fp_one_over_one_plus_x(int32_t a)
{
    /* x / 2 read as Q1, rescaled to Q0. */
    return tfg_rt_fp_mul_pot(inverse_half_denominator(a), 1);
}

/* (1 - a) / (1 + a) for a in Q0 (0, 1). */
static int32_t one_minus_x_over_one_plus_x(int32_t a)
{
    return tfg_rt_fp_mul_pot(sub(inverse_half_denominator(a), (int32_t)1 << 29), 2);
}

int32_t tfg_rt_fp_logistic(int32_t a, int integer_bits)
{
    int32_t pos;
    if (a == 0)
        return (int32_t)1 << 30; /* one half */
    pos = tfg_rt_fp_one_over_one_plus_x(
        tfg_rt_fp_exp_on_negative_values(a > 0 ? -a : a, integer_bits));
    return a > 0 ? pos : sub(TFG_FP_ONE_Q0, pos);
}

int32_t tfg_rt_fp_tanh(int32_t a, int integer_bits)
{
    int32_t t;
    if (a == 0)
        return 0;
    /* -tanh(n) for n = -|a| < 0 is (1 - exp(2n)) / (1 + exp(2n)); 2n is the same raw
     * value read with one more integer bit. */
    t = one_minus_x_over_one_plus_x(
        tfg_rt_fp_exp_on_negative_values(a < 0 ? a : -a, integer_bits + 1));
    return a < 0 ? -t : t;
}
