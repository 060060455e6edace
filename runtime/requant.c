/* requant.c — the integer requantization primitives every int8 kernel ends with.
 *
 * These three functions decide bit-exactness with TensorFlow Lite Micro: they follow
 * gemmlowp's SaturatingRoundingDoublingHighMul and RoundingDivideByPOT and TFLite's
 * double-rounding MultiplyByQuantizedMultiplier (TFLITE_SINGLE_ROUNDING not defined).
 * Signed overflow is avoided by doing the one shift that may wrap in unsigned
 * arithmetic; right shifts of negative values rely on the arithmetic shift that every
 * compiler we target (gcc, clang, armcc) implements. */
#include "tfg_runtime.h"

#include <limits.h>

const char *tfg_rt_status_name(tfg_rt_status s)
{
    switch (s) {
    case TFG_RT_OK: return "ok";
    case TFG_RT_EPARAM: return "parameter out of range";
    case TFG_RT_ESHAPE: return "tensor shapes do not fit together";
    case TFG_RT_ESCRATCH: return "scratch buffer too small";
    }
    return "unknown status";
}

int32_t tfg_rt_srdhm(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX; /* the only product that does not fit */
    ab = (int64_t)a * (int64_t)b;
    /* C division truncates toward zero, so a negative product is nudged by just under
     * one half: ties end up rounded toward +infinity, as VQRDMULH does. */
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

int32_t tfg_rt_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    /* Negative values round away from zero at exactly one half: raise the threshold. */
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t tfg_rt_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? (int)shift : 0;
    const int right = shift > 0 ? 0 : (int)-shift;
    /* TFLM writes x * (1 << left_shift) and relies on it wrapping; do the same without
     * signed overflow. */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return tfg_rt_rounding_divide_by_pot(tfg_rt_srdhm(shifted, multiplier), right);
}
