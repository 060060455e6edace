/* tfg_dsp.h — the few Armv7E-M DSP instructions the optimized kernels (*_dsp.c) are
 * written with, and the requantization they end with; not part of the public API.
 *
 * On a core with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4, M7, M33 with DSP)
 * these are the ACLE intrinsics of arm_acle.h, one instruction each. Everywhere else
 * (the host tool, Cortex-M0, AVR) they are portable C that computes the same 32-bit
 * result, so the host tests run the very algorithm the device runs, and a model built
 * for a Cortex-M4 still gives the right bytes on a core without DSP (slowly).
 *
 * A "pair" is a 32-bit word holding two int16 halves. SXTB16 takes bytes 0 and 2 of a
 * word into the two halves, sign-extended; SXTB16 of the word rotated by 8 takes bytes 1
 * and 3. Multiplying the pairs of a weight word with the pairs of an input word by
 * SMLAD therefore sums all four byte products with no reordering of either operand. */
#ifndef TFG_DSP_H
#define TFG_DSP_H

#include <string.h>

#include "tfg_rt_internal.h"

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TFG_DSP_NATIVE 1
#else
#define TFG_DSP_NATIVE 0
#endif

/* Four int8 values as one word, from any address (Armv7E-M loads unaligned words; the
 * memcpy is one LDR there and keeps strict aliasing intact). */
static inline uint32_t tfg_dsp_load4(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#if TFG_DSP_NATIVE

static inline uint32_t tfg_dsp_sxtb16(uint32_t x)
{
    return (uint32_t)__sxtb16((int8x4_t)x);
}

/* gcc 12's arm_acle.h has no __ror; the rotation is part of the instruction. */
static inline uint32_t tfg_dsp_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

static inline int32_t tfg_dsp_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
}

static inline int32_t tfg_dsp_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlabb((int32_t)a, (int32_t)b, acc);
}

static inline int32_t tfg_dsp_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return __smlatt((int32_t)a, (int32_t)b, acc);
}

static inline int32_t tfg_dsp_qadd(int32_t a, int32_t b)
{
    return __qadd(a, b);
}

/* (a * b + 2^31) >> 32: the high word of the product, rounded (no ACLE intrinsic). */
static inline int32_t tfg_dsp_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

#else

static inline int32_t tfg_dsp_lo16(uint32_t x)
{
    return (int32_t)(int16_t)(uint16_t)(x & 0xffffu);
}

static inline int32_t tfg_dsp_hi16(uint32_t x)
{
    return (int32_t)(int16_t)(uint16_t)(x >> 16);
}

static inline uint32_t tfg_dsp_sxtb16(uint32_t x)
{
    const uint32_t lo = (uint32_t)(int32_t)(int8_t)(uint8_t)(x & 0xffu) & 0xffffu;
    const uint32_t hi = (uint32_t)(int32_t)(int8_t)(uint8_t)((x >> 16) & 0xffu) & 0xffffu;
    return lo | hi << 16;
}

static inline uint32_t tfg_dsp_sxtb16_ror8(uint32_t x)
{
    return tfg_dsp_sxtb16(x >> 8 | x << 24);
}

/* The additions wrap as the instruction's do (its Q flag is not used). */
static inline int32_t tfg_dsp_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    const uint32_t p0 = (uint32_t)(tfg_dsp_lo16(a) * tfg_dsp_lo16(b));
    const uint32_t p1 = (uint32_t)(tfg_dsp_hi16(a) * tfg_dsp_hi16(b));
    return (int32_t)((uint32_t)acc + p0 + p1);
}

static inline int32_t tfg_dsp_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tfg_dsp_lo16(a) * tfg_dsp_lo16(b)));
}

static inline int32_t tfg_dsp_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(tfg_dsp_hi16(a) * tfg_dsp_hi16(b)));
}

static inline int32_t tfg_dsp_qadd(int32_t a, int32_t b)
{
    const int64_t s = (int64_t)a + b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

static inline int32_t tfg_dsp_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + ((int64_t)1 << 31)) >> 32);
}

#endif

/* acc += a * b, wrapping like SMLAD (for the scalar tails of the loops). */
static inline int32_t tfg_dsp_mac(int32_t acc, int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(a * b));
}

/* ---- the short requantization of a channel whose accumulators are bounded ----------
 *
 * When every accumulator of a channel has |acc| < 2^(30 - left shift), which
 * tfg_rt_dsp_sums_ok proves ahead of time from the weights and kernel sums, the
 * reference's requantization is, exactly:
 *  - SRDHM(acc << l, m) = floor(((acc << l) * m + 2^30) / 2^31) (the nudge then
 *    truncating division is that floor), = floor(((acc << (l + 1)) * m + 2^31) / 2^32),
 *    which is SMMULR of acc << (l + 1), still an int32, and m: one instruction;
 *  - the rounding right shift by e >= 1 (ties away from zero) is
 *    (x + 2^(e-1) - (x < 0)) >> e, which cannot overflow as |x| < 2^30; e = 0 is x.
 * tfg_dsp_rq holds a channel's constants, made once per channel (tfg_dsp_rq_of) and used
 * for every pixel. */
typedef struct {
    int32_t m, left, right, round, neg;  /* neg: -1 when right > 0, else 0 */
} tfg_dsp_rq;

static inline void tfg_dsp_rq_of(const tfg_rt_requant *rq, int32_t c, tfg_dsp_rq *q)
{
    const int32_t i = rq->count == 1 ? 0 : c, shift = rq->shift[i];
    q->m = rq->multiplier[i];
    q->left = (shift > 0 ? shift : 0) + 1;
    q->right = shift < 0 ? -shift : 0;
    q->round = q->right ? (int32_t)1 << (q->right - 1) : 0;
    q->neg = q->right ? -1 : 0;
}

/* clamp(requantize(acc) + zp, lo, hi) for a bounded accumulator. */
static inline int8_t tfg_dsp_rq_apply(int32_t acc, const tfg_dsp_rq *q, int32_t zp,
                                      int32_t lo, int32_t hi)
{
    int32_t x = tfg_dsp_smmulr((int32_t)((uint32_t)acc << q->left), q->m);
    x = (x + q->round + ((x >> 31) & q->neg)) >> q->right;
    x += zp;
    return (int8_t)(x < lo ? lo : (x > hi ? hi : x));
}

#endif
