/* test_runtime_requant.c — the requantization primitives and the host-side parameter
 * preparation of runtime/ (multipliers, activation ranges, padding).
 *
 * The primitives are checked on hand-worked edge cases and, over random inputs and every
 * shift from -31 to 30, against a slow formulation written here with 64-bit sign and
 * magnitude arithmetic instead of the nudge-and-truncate tricks of the kernels. */
#include "../check.h"
#include "tfg_runtime.h"

#include <stdint.h>

/* A small seeded generator so failures reproduce (splitmix64). */
static uint64_t rng_state = 0x5eed1234abcdULL;
static uint64_t rnd64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static int32_t rnd_i32(void) { return (int32_t)(uint32_t)rnd64(); }

/* floor(n / 2^k) for any sign, without relying on shifts of negative numbers. */
static int64_t floor_div_pow2(int64_t n, int k)
{
    const int64_t d = (int64_t)1 << k;
    int64_t q = n / d;
    if (n % d != 0 && n < 0)
        q--;
    return q;
}

static int32_t slow_srdhm(int32_t a, int32_t b)
{
    const int64_t ab = (int64_t)a * b;
    int64_t r;
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    r = floor_div_pow2(ab + ((int64_t)1 << 30), 31); /* ties toward +infinity */
    return (int32_t)r;
}

static int32_t slow_rdbpot(int32_t x, int e)
{
    int64_t mag = x < 0 ? -(int64_t)x : x;
    if (e == 0)
        return x;
    mag = (mag + ((int64_t)1 << (e - 1))) >> e; /* ties away from zero */
    return (int32_t)(x < 0 ? -mag : mag);
}

static int32_t slow_requant(int32_t x, int32_t m, int shift)
{
    const int left = shift > 0 ? shift : 0;
    const int64_t wide = (int64_t)x * ((int64_t)1 << left);
    const int32_t wrapped = (int32_t)(uint32_t)(uint64_t)wide;
    return slow_rdbpot(slow_srdhm(wrapped, m), shift > 0 ? 0 : -shift);
}

static void test_srdhm_edges(void)
{
    CHECK_INT(tfg_rt_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
    CHECK_INT(tfg_rt_srdhm(INT32_MAX, INT32_MAX), 2147483646);
    CHECK_INT(tfg_rt_srdhm(INT32_MIN, INT32_MAX), -2147483647);
    CHECK_INT(tfg_rt_srdhm(1 << 30, 1 << 30), 1 << 29);
    CHECK_INT(tfg_rt_srdhm(0, INT32_MIN), 0);
    /* 1 * 2^30 / 2^31 = 0.5 -> 1, but -0.5 -> 0: VQRDMULH rounds ties up. */
    CHECK_INT(tfg_rt_srdhm(1, 1 << 30), 1);
    CHECK_INT(tfg_rt_srdhm(-1, 1 << 30), 0);
    CHECK_INT(tfg_rt_srdhm(-3, 1 << 30), -1); /* -1.5 -> -1 */
    CHECK_INT(tfg_rt_srdhm(3, 1 << 30), 2);   /* 1.5 -> 2 */
}

static void test_rdbpot_edges(void)
{
    CHECK_INT(tfg_rt_rounding_divide_by_pot(5, 1), 3);
    CHECK_INT(tfg_rt_rounding_divide_by_pot(-5, 1), -3); /* -2.5 away from zero */
    CHECK_INT(tfg_rt_rounding_divide_by_pot(-4, 1), -2);
    CHECK_INT(tfg_rt_rounding_divide_by_pot(-6, 2), -2); /* -1.5 */
    CHECK_INT(tfg_rt_rounding_divide_by_pot(-5, 2), -1); /* -1.25 */
    CHECK_INT(tfg_rt_rounding_divide_by_pot(-1, 1), -1); /* -0.5 */
    CHECK_INT(tfg_rt_rounding_divide_by_pot(1, 1), 1);
    CHECK_INT(tfg_rt_rounding_divide_by_pot(77, 0), 77);
    CHECK_INT(tfg_rt_rounding_divide_by_pot(INT32_MIN, 31), -1);
    CHECK_INT(tfg_rt_rounding_divide_by_pot(INT32_MAX, 31), 1);
    CHECK_INT(tfg_rt_rounding_divide_by_pot(1 << 29, 31), 0); /* 0.25 */
    CHECK_INT(tfg_rt_rounding_divide_by_pot(1 << 30, 31), 1); /* 0.5 */
    CHECK_INT(tfg_rt_rounding_divide_by_pot(-(1 << 30), 31), -1);
}

static void test_requantize_hand(void)
{
    CHECK_INT(tfg_rt_requantize(100, 1 << 30, 0), 50);    /* x * 0.5 */
    CHECK_INT(tfg_rt_requantize(100, 1 << 30, 1), 100);   /* x * 1.0 */
    CHECK_INT(tfg_rt_requantize(100, 1 << 30, -2), 13);   /* 12.5 -> 13 */
    CHECK_INT(tfg_rt_requantize(-100, 1 << 30, -2), -13); /* -12.5 -> -13 */
    /* Double rounding: -3 * 0.5 = -1.5 -> -1 (SRDHM), then / 2 = -0.5 -> -1. */
    CHECK_INT(tfg_rt_requantize(-3, 1 << 30, -1), -1);
    CHECK_INT(tfg_rt_requantize(7, 0, 5), 0);
    /* The left shift saturates through SRDHM only in the INT32_MIN * INT32_MIN case. */
    CHECK_INT(tfg_rt_requantize(INT32_MIN, INT32_MAX, 0), -2147483647);
    CHECK_INT(tfg_rt_requantize(1 << 20, 1 << 30, 10), 1 << 29);
    /* shift = -31 leaves only the sign-rounded high part. */
    CHECK_INT(tfg_rt_requantize(INT32_MAX, INT32_MAX, -31), 1);
    CHECK_INT(tfg_rt_requantize(INT32_MIN, INT32_MAX, -31), -1);
}

static void test_requantize_random(void)
{
    int bad = 0, shift, i;
    for (shift = -31; shift <= 30; shift++) {
        for (i = 0; i < 4000; i++) {
            int32_t x = rnd_i32();
            /* Mostly the accumulator range of real layers, sometimes anything. */
            if (i % 4 != 0)
                x >>= (int)(rnd64() % 31);
            if (shift > 0 && i % 2)
                x >>= shift; /* realistic: no wrap */
            const int32_t m = (int32_t)((1u << 30) + (uint32_t)(rnd64() % (1u << 30)));
            if (tfg_rt_requantize(x, m, shift) != slow_requant(x, m, shift) && bad++ < 5)
                fprintf(stderr, "requantize(%d, %d, %d) = %d, slow %d\n", x, m, shift,
                        tfg_rt_requantize(x, m, shift), slow_requant(x, m, shift));
            if (tfg_rt_srdhm(x, m) != slow_srdhm(x, m))
                bad++;
            if (shift <= 0 && tfg_rt_rounding_divide_by_pot(x, -shift) != slow_rdbpot(x, -shift))
                bad++;
        }
    }
    CHECK_INT(bad, 0);
}

static void check_qm(double real, int32_t m, int32_t s)
{
    int32_t gm = -1, gs = -1;
    CHECK_INT(tfg_rt_quantize_multiplier(real, &gm, &gs), TFG_RT_OK);
    CHECK_MSG(gm == m && gs == s, "real %.17g: got (%d, %d), want (%d, %d)", real, gm, gs,
              m, s);
}

static void test_quantize_multiplier(void)
{
    int32_t m, s;
    check_qm(0.5, 1 << 30, 0);
    check_qm(1.0, 1 << 30, 1);
    check_qm(0.25, 1 << 30, -1);
    check_qm(0.75, 1610612736, 0);
    check_qm(3.0, 1610612736, 2);
    check_qm(0.0, 0, 0);
    check_qm(1.0 / 3.0, 1431655765, -1); /* round(2/3 * 2^31) */
    check_qm(ldexp(1.0, -40), 0, 0);      /* flushed to zero below 2^-31 */
    check_qm(ldexp(1.0, -31), 1 << 30, -30);
    /* A mantissa that rounds up to 1.0 is renormalized. */
    check_qm(1.0 - ldexp(1.0, -40), 1 << 30, 1);
    CHECK_INT(tfg_rt_quantize_multiplier(-0.5, &m, &s), TFG_RT_EPARAM);
    CHECK_INT(tfg_rt_quantize_multiplier(NAN, &m, &s), TFG_RT_EPARAM);
    CHECK_INT(tfg_rt_quantize_multiplier(INFINITY, &m, &s), TFG_RT_EPARAM);
    /* Whatever the scale, m * 2^(s-31) reproduces it to 31 bits. */
    for (int i = 0; i < 2000; i++) {
        const double real = ldexp(1.0 + (double)(rnd64() % 1000000) / 1e6,
                                  (int)(rnd64() % 40) - 30);
        CHECK_INT(tfg_rt_quantize_multiplier(real, &m, &s), TFG_RT_OK);
        CHECK(m >= (1 << 30));
        CHECK_NEAR(ldexp((double)m, s - 31), real, real * 1e-9);
    }
}

static void test_conv_and_fc_multipliers(void)
{
    const float in = 0.0787253976f, out = 0.0600256957f;
    const float fs[3] = {0.002f, 0.0031f, 0.00045f};
    int32_t m[3], s[3], m1, s1;
    CHECK_INT(tfg_rt_conv_multipliers(in, fs, 3, out, 3, m, s), TFG_RT_OK);
    for (int c = 0; c < 3; c++) {
        int32_t em, es;
        tfg_rt_quantize_multiplier((double)in * (double)fs[c] / (double)out, &em, &es);
        CHECK_INT(m[c], em);
        CHECK_INT(s[c], es);
    }
    /* One scale broadcasts to every channel. */
    CHECK_INT(tfg_rt_conv_multipliers(in, fs, 1, out, 3, m, s), TFG_RT_OK);
    CHECK(m[0] == m[2] && s[0] == s[2]);
    CHECK_INT(tfg_rt_conv_multipliers(in, fs, 2, out, 3, m, s), TFG_RT_EPARAM);
    /* Per-tensor FC multiplies the scales in float first; find scales where that
     * changes the multiplier, to be sure the two formulas are not the same code. */
    int differ = 0;
    for (int i = 0; i < 20000 && !differ; i++) {
        const float a = (float)(1.0 + (double)(rnd64() % 100000) / 1e5) * 0.01f;
        const float b = (float)(1.0 + (double)(rnd64() % 100000) / 1e5) * 0.003f;
        int32_t pm, ps;
        CHECK_INT(tfg_rt_fc_multiplier(a, b, out, &m1, &s1), TFG_RT_OK);
        tfg_rt_conv_multipliers(a, &b, 1, out, 1, &pm, &ps);
        int32_t em, es;
        tfg_rt_quantize_multiplier((double)(a * b) / (double)out, &em, &es);
        CHECK(m1 == em && s1 == es);
        differ = pm != m1;
    }
    CHECK(differ);
}

static void check_range(tfg_rt_act k, float scale, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t a = 0, b = 0;
    CHECK_INT(tfg_rt_activation_range(k, scale, zp, &a, &b), TFG_RT_OK);
    CHECK_MSG(a == lo && b == hi, "act %d scale %g zp %d: [%d, %d], want [%d, %d]", (int)k,
              (double)scale, zp, a, b, lo, hi);
}

static void test_activation_range(void)
{
    int32_t a, b;
    check_range(TFG_RT_ACT_NONE, 0.1f, 5, -128, 127);
    check_range(TFG_RT_ACT_RELU, 0.1f, -128, -128, 127);
    check_range(TFG_RT_ACT_RELU, 0.1f, 10, 10, 127);
    check_range(TFG_RT_ACT_RELU6, 6.0f / 255.0f, -128, -128, 127);
    check_range(TFG_RT_ACT_RELU6, 0.05f, 0, 0, 120);
    check_range(TFG_RT_ACT_RELU6, 0.05f, -20, -20, 100);
    check_range(TFG_RT_ACT_RELU_N1_TO_1, 1.0f / 64.0f, 0, -64, 64);
    check_range(TFG_RT_ACT_RELU_N1_TO_1, 1.0f / 256.0f, 0, -128, 127);
    /* 6 / 0.08 = 75 exactly in float; 6 / 0.16 = 37.5 rounds away from zero to 38. */
    check_range(TFG_RT_ACT_RELU6, 0.08f, -3, -3, 72);
    check_range(TFG_RT_ACT_RELU6, 0.16f, 0, 0, 38);
    CHECK_INT(tfg_rt_activation_range(TFG_RT_ACT_RELU, 0.0f, 0, &a, &b), TFG_RT_EPARAM);
    CHECK_INT(tfg_rt_activation_range((tfg_rt_act)9, 0.1f, 0, &a, &b), TFG_RT_EPARAM);
}

static void check_pad(tfg_rt_padding kind, int32_t in, int32_t f, int32_t s, int32_t d,
                      int32_t out, int32_t pad)
{
    int32_t o = -1, p = -1;
    CHECK_INT(tfg_rt_compute_padding(kind, in, f, s, d, &o, &p), TFG_RT_OK);
    CHECK_MSG(o == out && p == pad, "in %d f %d s %d d %d: out %d pad %d, want %d %d", in, f,
              s, d, o, p, out, pad);
}

static void test_padding(void)
{
    int32_t o, p;
    check_pad(TFG_RT_PAD_SAME, 5, 3, 1, 1, 5, 1);
    check_pad(TFG_RT_PAD_SAME, 5, 3, 2, 1, 3, 1);
    check_pad(TFG_RT_PAD_SAME, 4, 3, 2, 1, 2, 0); /* the odd cell goes at the end */
    check_pad(TFG_RT_PAD_SAME, 49, 10, 2, 1, 25, 4);
    check_pad(TFG_RT_PAD_SAME, 10, 4, 2, 1, 5, 1);
    check_pad(TFG_RT_PAD_SAME, 5, 3, 1, 2, 5, 2); /* dilated window of 5 */
    check_pad(TFG_RT_PAD_VALID, 5, 3, 2, 1, 2, 0);
    check_pad(TFG_RT_PAD_VALID, 25, 25, 1, 1, 1, 0);
    check_pad(TFG_RT_PAD_VALID, 7, 3, 1, 2, 3, 0);
    CHECK_INT(tfg_rt_compute_padding(TFG_RT_PAD_VALID, 2, 3, 1, 1, &o, &p), TFG_RT_ESHAPE);
    CHECK_INT(tfg_rt_compute_padding(TFG_RT_PAD_SAME, 5, 3, 0, 1, &o, &p), TFG_RT_EPARAM);
}

static void test_status_names(void)
{
    CHECK_STR(tfg_rt_status_name(TFG_RT_OK), "ok");
    CHECK_HAS(tfg_rt_status_name(TFG_RT_ESHAPE), "shape");
}

TFG_TEST_MAIN(test_srdhm_edges, test_rdbpot_edges, test_requantize_hand,
              test_requantize_random, test_quantize_multiplier, test_conv_and_fc_multipliers,
              test_activation_range, test_padding, test_status_names)
