/* test_runtime_nonlinear.c — softmax, logistic, tanh, quantize and dequantize of
 * runtime/, the gemmlowp fixed-point functions under them, and a bit-exactness check
 * on real data.
 *
 * The fixed-point functions are compared with libm over their whole input ranges (a
 * wrong constant or shift shows up as an error far above the 1e-6 allowed); the int8
 * kernels are checked on hand-worked values, against float within one output step, and
 * for monotonicity. The real-data check runs the layers of the MLPerf KWS model that need
 * no weights (average pool, reshape, softmax) on the per-layer outputs that TFLite
 * Micro's reference kernels produced (models/kws/intermediates of the shared folder,
 * shared_models.h; see its README) and wants the bytes equal. Layers with weights are checked against those files
 * by the importer's integration test, which parses the .tflite. */
#include "../check.h"
#include "shared_models.h"
#include "tfg_rt_internal.h"

#include <stdint.h>

static uint64_t rng_state = 0xabad1deaULL;
static uint64_t rnd64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double q0(int32_t raw) { return (double)raw / 2147483648.0; }

/* ---- fixed point -------------------------------------------------------------------- */

static void test_fixedpoint_exp(void)
{
    double worst = 0;
    /* Q5.26 inputs from -32 to 0, every 2^-10 plus random raw values. */
    for (int32_t i = 0; i <= 32 * 1024; i++) {
        const int32_t a = (int32_t)-((int64_t)i << 16); /* down to INT32_MIN = -32 */
        const double got = q0(tfg_rt_fp_exp_on_negative_values(a, 5));
        const double err = fabs(got - exp((double)a / 67108864.0));
        worst = err > worst ? err : worst;
    }
    for (int i = 0; i < 100000; i++) {
        const int32_t a = -(int32_t)(rnd64() % (1u << 31));
        const double err = fabs(q0(tfg_rt_fp_exp_on_negative_values(a, 5)) -
                                exp((double)a / 67108864.0));
        worst = err > worst ? err : worst;
    }
    CHECK_MSG(worst < 1e-6, "worst exp error %g", worst);
    CHECK_INT(tfg_rt_fp_exp_on_negative_values(0, 5), INT32_MAX);
    /* Q4.27 too, as logistic uses it. */
    CHECK_NEAR(q0(tfg_rt_fp_exp_on_negative_values(-(1 << 27), 4)), exp(-1.0), 1e-6);
    CHECK_NEAR(q0(tfg_rt_fp_exp_on_negative_values(-(3 << 25), 4)), exp(-0.75), 1e-6);
}

static void test_fixedpoint_reciprocal_logistic_tanh(void)
{
    double w1 = 0, w2 = 0, w3 = 0;
    for (int i = 1; i < 100000; i++) {
        const int32_t a = (int32_t)(rnd64() % (1u << 31));
        w1 = fmax(w1, fabs(q0(tfg_rt_fp_one_over_one_plus_x(a)) - 1.0 / (1.0 + q0(a))));
        /* Q4.27: values in (-16, 16). */
        const int32_t x = (int32_t)(uint32_t)rnd64();
        const double xr = (double)x / 134217728.0;
        w2 = fmax(w2, fabs(q0(tfg_rt_fp_logistic(x, 4)) - 1.0 / (1.0 + exp(-xr))));
        w3 = fmax(w3, fabs(q0(tfg_rt_fp_tanh(x, 4)) - tanh(xr)));
    }
    CHECK_MSG(w1 < 1e-6, "1/(1+x) error %g", w1);
    CHECK_MSG(w2 < 1e-6, "logistic error %g", w2);
    CHECK_MSG(w3 < 1e-6, "tanh error %g", w3);
    CHECK_INT(tfg_rt_fp_logistic(0, 4), 1 << 30);
    CHECK_INT(tfg_rt_fp_tanh(0, 4), 0);
    CHECK_INT(tfg_rt_fp_tanh(-(1 << 27), 4), -tfg_rt_fp_tanh(1 << 27, 4));
    CHECK_INT(tfg_rt_fp_mul_pot(1 << 29, 2), INT32_MAX); /* saturates */
    CHECK_INT(tfg_rt_fp_mul_pot(-(1 << 29) - 1, 2), INT32_MIN);
    CHECK_INT(tfg_rt_fp_mul_pot(-(1 << 28), 2), -(1 << 30));
    CHECK_INT(tfg_rt_fp_clz32(1), 31);
    CHECK_INT(tfg_rt_fp_clz32(0x80000000u), 0);
    CHECK_INT(tfg_rt_fp_clz32(0), 32);
}

/* ---- softmax ------------------------------------------------------------------------ */

static void test_softmax_hand(void)
{
    tfg_rt_softmax_params p;
    int8_t y[4];
    CHECK_INT(tfg_rt_softmax_prepare(0.1f, 1.0f, &p), TFG_RT_OK);
    CHECK(p.input_left_shift >= 0 && p.diff_min < 0);
    /* Four equal inputs: 0.25 each -> 64 steps of 1/256 above -128. */
    const int8_t eq[4] = {7, 7, 7, 7};
    CHECK_INT(tfg_rt_softmax_s8(&p, 1, 4, eq, y), TFG_RT_OK);
    CHECK(y[0] == -64 && y[3] == -64);
    /* A single value is 1.0, which is 128 steps: saturates at 127. */
    CHECK_INT(tfg_rt_softmax_s8(&p, 1, 1, eq, y), TFG_RT_OK);
    CHECK_INT(y[0], 127);
    /* Two values 10 steps (1.0) apart: e/(1+e) = 0.731 -> 187.1 - 128 = 59; 0.269 -> -59. */
    const int8_t two[2] = {10, 0};
    tfg_rt_softmax_s8(&p, 1, 2, two, y);
    CHECK_INT(y[0], 59);
    CHECK_INT(y[1], -59);
    /* Far below the maximum (beyond diff_min): exactly the minimum. */
    tfg_rt_softmax_params big;
    CHECK_INT(tfg_rt_softmax_prepare(2.0f, 1.0f, &big), TFG_RT_OK);
    const int8_t far[2] = {127, -128};
    tfg_rt_softmax_s8(&big, 1, 2, far, y);
    CHECK(y[0] == 127 && y[1] == -128);
    CHECK_INT(tfg_rt_softmax_prepare(1e-9f, 1.0f, &p), TFG_RT_EPARAM); /* too small to scale */
    CHECK_INT(tfg_rt_softmax_s8(&big, 1, 0, far, y), TFG_RT_ESHAPE);
    /* 511 equal values sum to just under 2^9 (fits TFLite's exponent); 512 do not, and
     * TFLite would abort: we return an error. */
    static int8_t flat[512], flat_out[512];
    CHECK_INT(tfg_rt_softmax_s8(&big, 1, 511, flat, flat_out), TFG_RT_OK);
    CHECK_INT(flat_out[0], -127); /* 256 / 511 = 0.501 steps -> 1 step above -128 */
    CHECK_INT(tfg_rt_softmax_s8(&big, 1, 512, flat, flat_out), TFG_RT_EPARAM);
}

static void test_softmax_random(void)
{
    int far = 0, rows_bad = 0;
    for (int t = 0; t < 500; t++) {
        const float scale = (float)(0.01 + (double)(rnd64() % 1000) / 2000.0);
        const float beta = t % 5 == 0 ? 0.5f : 1.0f;
        const int depth = 1 + (int)(rnd64() % 30);
        tfg_rt_softmax_params p;
        int8_t x[30], y[30];
        CHECK_INT(tfg_rt_softmax_prepare(scale, beta, &p), TFG_RT_OK);
        for (int i = 0; i < depth; i++)
            x[i] = (int8_t)(rnd64() % 256);
        CHECK_INT(tfg_rt_softmax_s8(&p, 1, depth, x, y), TFG_RT_OK);
        double sum = 0, mx = -1e9;
        for (int i = 0; i < depth; i++)
            mx = fmax(mx, (double)x[i]);
        for (int i = 0; i < depth; i++)
            sum += exp((double)beta * scale * (x[i] - mx));
        int total = 0;
        for (int i = 0; i < depth; i++) {
            const double want =
                fmin(127.0, exp((double)beta * scale * (x[i] - mx)) / sum * 256.0 - 128.0);
            far += fabs(y[i] - want) > 1.0;
            total += y[i] + 128;
        }
        rows_bad += abs(total - 256) > depth; /* the outputs still sum to about one */
    }
    CHECK_INT(far, 0);
    CHECK_INT(rows_bad, 0);
}

/* ---- logistic, tanh ----------------------------------------------------------------- */

static void test_logistic(void)
{
    const float scales[3] = {0.1f, 0.0235f, 0.5f};
    const int32_t zps[3] = {3, -128, 0};
    for (int k = 0; k < 3; k++) {
        tfg_rt_logistic_params p;
        int8_t x[256], y[256];
        CHECK_INT(tfg_rt_logistic_prepare(scales[k], zps[k], &p), TFG_RT_OK);
        for (int i = 0; i < 256; i++)
            x[i] = (int8_t)(i - 128);
        CHECK_INT(tfg_rt_logistic_s8(&p, x, y, 256), TFG_RT_OK);
        int far = 0, down = 0;
        for (int i = 0; i < 256; i++) {
            const double r = (double)scales[k] * (x[i] - zps[k]);
            const double want = fmin(127.0, 256.0 / (1.0 + exp(-r)) - 128.0);
            far += fabs(y[i] - want) > 1.0;
            down += i > 0 && y[i] < y[i - 1];
            if (x[i] == zps[k])
                CHECK_INT(y[i], 0); /* 0.5 */
        }
        CHECK_MSG(far == 0 && down == 0, "scale %g: %d far, %d decreasing", (double)scales[k],
                  far, down);
    }
    /* Saturation takes the shortcut at the radius and still matches the slope. */
    tfg_rt_logistic_params p;
    tfg_rt_logistic_prepare(0.5f, 0, &p);
    CHECK(p.input_range_radius > 0 && p.input_range_radius < 128);
    const int8_t ends[2] = {-128, 127};
    int8_t out[2];
    tfg_rt_logistic_s8(&p, ends, out, 2);
    CHECK(out[0] == -128 && out[1] == 127);
    CHECK_INT(tfg_rt_logistic_prepare(0.0f, 0, &p), TFG_RT_EPARAM);
}

static void test_tanh(void)
{
    const float scales[3] = {0.05f, 0.0078125f, 0.3f};
    const int32_t zps[3] = {-5, 0, 20};
    for (int k = 0; k < 3; k++) {
        tfg_rt_tanh_params p;
        int8_t x[256], y[256];
        CHECK_INT(tfg_rt_tanh_prepare(scales[k], zps[k], &p), TFG_RT_OK);
        for (int i = 0; i < 256; i++)
            x[i] = (int8_t)(i - 128);
        CHECK_INT(tfg_rt_tanh_s8(&p, x, y, 256), TFG_RT_OK);
        int far = 0, down = 0;
        for (int i = 0; i < 256; i++) {
            const double r = (double)scales[k] * (x[i] - zps[k]);
            const double want = fmax(-128.0, fmin(127.0, 128.0 * tanh(r)));
            far += fabs(y[i] - want) > 1.0;
            down += i > 0 && y[i] < y[i - 1];
            if (x[i] == zps[k])
                CHECK_INT(y[i], 0);
        }
        CHECK_MSG(far == 0 && down == 0, "scale %g: %d far, %d decreasing", (double)scales[k],
                  far, down);
    }
    /* Odd symmetry around the zero point away from the clamp. */
    tfg_rt_tanh_params p;
    tfg_rt_tanh_prepare(0.01f, 0, &p);
    int8_t a[100], b[100], ya[100], yb[100];
    for (int i = 0; i < 100; i++) {
        a[i] = (int8_t)i;
        b[i] = (int8_t)-i;
    }
    tfg_rt_tanh_s8(&p, a, ya, 100);
    tfg_rt_tanh_s8(&p, b, yb, 100);
    int asym = 0;
    for (int i = 0; i < 100; i++)
        asym += ya[i] != -yb[i];
    CHECK_INT(asym, 0);
}

/* ---- quantize, dequantize ----------------------------------------------------------- */

static void test_quantize_dequantize(void)
{
    const float x[9] = {1.25f, -1.25f, 0.75f, -0.75f, 1000.0f, -1000.0f, NAN, 0.0f, 0.24f};
    int8_t q[9];
    /* x / 0.5 = 2.5 -> 3, -2.5 -> -3, 1.5 -> 2, -1.5 -> -2: ties away from zero. */
    CHECK_INT(tfg_rt_quantize_f32_s8(0.5f, 3, x, q, 9), TFG_RT_OK);
    const int8_t want[9] = {6, 0, 5, 1, 127, -128, 3, 3, 3};
    for (int i = 0; i < 9; i++)
        CHECK_MSG(q[i] == want[i], "x = %g: %d, want %d", (double)x[i], q[i], want[i]);
    CHECK_INT(tfg_rt_quantize_f32_s8(0.0f, 0, x, q, 9), TFG_RT_EPARAM);
    /* Dequantize equals TFLite's double expression rounded to float, for every value. */
    const float scales[4] = {0.1f, 0.584702909f, 0x1.28548cp-3f, 3e-5f};
    int mismatch = 0;
    for (int k = 0; k < 4; k++)
        for (int zp = -128; zp <= 127; zp += 51) {
            int8_t all[256];
            float f[256];
            for (int i = 0; i < 256; i++)
                all[i] = (int8_t)(i - 128);
            CHECK_INT(tfg_rt_dequantize_s8_f32(scales[k], zp, all, f, 256), TFG_RT_OK);
            for (int i = 0; i < 256; i++)
                mismatch += f[i] != (float)((double)scales[k] * (all[i] - zp));
            /* And quantizing back gives the same integers. */
            int8_t back[256];
            tfg_rt_quantize_f32_s8(scales[k], zp, f, back, 256);
            mismatch += memcmp(back, all, 256) != 0;
        }
    CHECK_INT(mismatch, 0);
}

/* ---- real data: TFLM's outputs on the MLPerf KWS model ------------------------------ */

static int read_bin(const char *dir, const char *name, int8_t *buf, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    const size_t got = fread(buf, 1, n + 1, f);
    fclose(f);
    return got == n;
}

static void test_kws_tail_bit_exact(void)
{
    char *base = tfg_test_shared_model("kws/intermediates");
    const char *runs[2] = {"000", "001"};
    for (int r = 0; base && r < 2; r++) {
        char dir[1024];
        int8_t conv[25 * 5 * 64], pool[64], flat[64], fc[12], soft[12], y[64];
        snprintf(dir, sizeof dir, "%s/%s", base, runs[r]);
        CHECK_MSG(read_bin(dir, "08_CONV_2D_t30.bin", conv, sizeof conv), "%s", dir);
        CHECK(read_bin(dir, "09_AVERAGE_POOL_2D_t31.bin", pool, 64));
        CHECK(read_bin(dir, "10_RESHAPE_t32.bin", flat, 64));
        CHECK(read_bin(dir, "11_FULLY_CONNECTED_t33.bin", fc, 12));
        CHECK(read_bin(dir, "12_SOFTMAX_t34.bin", soft, 12));
        /* AVERAGE_POOL_2D over the whole 25x5 map (VALID, no activation). */
        tfg_rt_dims in = {1, 25, 5, 64}, out = {1, 1, 1, 64};
        tfg_rt_pool_params pp = {25, 5, 1, 1, 0, 0, -128, 127};
        CHECK_INT(tfg_rt_avgpool_s8(&pp, &in, conv, &out, y), TFG_RT_OK);
        CHECK_MSG(memcmp(y, pool, 64) == 0, "run %s: average pool differs", runs[r]);
        CHECK_INT(tfg_rt_reshape_s8(pool, y, 64), TFG_RT_OK);
        CHECK(memcmp(y, flat, 64) == 0);
        /* SOFTMAX of the FC output (scale 0x1.28548cp-3, beta 1). */
        tfg_rt_softmax_params sp;
        CHECK_INT(tfg_rt_softmax_prepare(0x1.28548cp-3f, 1.0f, &sp), TFG_RT_OK);
        CHECK_INT(tfg_rt_softmax_s8(&sp, 1, 12, fc, y), TFG_RT_OK);
        CHECK_MSG(memcmp(y, soft, 12) == 0, "run %s: softmax differs", runs[r]);
        int unsaturated = 0;
        for (int i = 0; i < 12; i++)
            unsaturated += soft[i] != -128 && soft[i] != 127;
        printf("kws %s: pool, reshape and softmax compared (%d softmax outputs unsaturated)\n",
               runs[r], unsaturated);
    }
    free(base);
}

TFG_TEST_MAIN(test_fixedpoint_exp, test_fixedpoint_reciprocal_logistic_tanh,
              test_softmax_hand, test_softmax_random, test_logistic, test_tanh,
              test_quantize_dequantize, test_kws_tail_bit_exact)
