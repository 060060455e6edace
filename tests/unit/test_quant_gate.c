/* test_quant_gate.c — the int8 gate's rule (src/quant/gate.h): the sign test against
 * exact small cases and its own symmetry on large ones, and the verdicts that matter: one
 * flipped row on a small split is more than max_drop but noise (passes), a real loss
 * fails, losses offset by gains pass. */
#include <math.h>
#include <stdint.h>

#include "../check.h"
#include "quant/gate.h"

static void test_sign_test(void)
{
    CHECK_NEAR(tfg_quant_sign_test(0, 0), 1.0, 0);
    CHECK_NEAR(tfg_quant_sign_test(0, 7), 1.0, 0);
    CHECK_NEAR(tfg_quant_sign_test(1, 1), 0.5, 1e-15);
    CHECK_NEAR(tfg_quant_sign_test(5, 5), 1.0 / 32, 1e-15);
    CHECK_NEAR(tfg_quant_sign_test(4, 4), 1.0 / 16, 1e-15);
    CHECK_NEAR(tfg_quant_sign_test(5, 6), 7.0 / 64, 1e-15);     /* C(6,5) + C(6,6) */
    CHECK_NEAR(tfg_quant_sign_test(3, 5), 16.0 / 32, 1e-15);    /* 10 + 5 + 1 */
    CHECK_NEAR(tfg_quant_sign_test(9, 8), 0.0, 0);
    /* Large n: P(X >= k) + P(X >= n - k + 1) = 1 by symmetry, and no overflow. */
    size_t ns[] = {100, 2001, 12000};
    for (size_t i = 0; i < 3; i++) {
        size_t n = ns[i], k = n / 2 + n / 20;
        double a = tfg_quant_sign_test(k, n), b = tfg_quant_sign_test(n - k + 1, n);
        CHECK_NEAR(a + b, 1.0, 1e-9);
        CHECK(a > 0 && a < 0.5);
    }
    CHECK(tfg_quant_sign_test(7000, 12000) < 1e-40);
}

/* A gate over n rows where the first `lost` rows are right in float and wrong in int8,
 * the next `gained` the other way round, and the rest right in both. */
static tfg_quant_gate gate_of(size_t n, size_t lost, size_t gained, double max_drop)
{
    int32_t *y = calloc(n, sizeof *y);
    uint32_t *pf = calloc(n, sizeof *pf), *pq = calloc(n, sizeof *pq);
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 3);
        pf[i] = pq[i] = (uint32_t)y[i];
        if (i < lost)
            pq[i] = (uint32_t)((y[i] + 1) % 3);
        else if (i < lost + gained)
            pf[i] = (uint32_t)((y[i] + 2) % 3);
    }
    tfg_quant_gate g;
    memset(&g, 0, sizeof g);
    /* in two calls, as the stage adds the test and then the validation rows */
    tfg_quant_gate_add(&g, y, pf, pq, n / 2);
    tfg_quant_gate_add(&g, y + n / 2, pf + n / 2, pq + n / 2, n - n / 2);
    tfg_quant_gate_judge(&g, max_drop);
    free(y);
    free(pf);
    free(pq);
    return g;
}

static void test_verdicts(void)
{
    /* The case: 78 rows, one flip is 1.28 points > 1.0, and it is noise. */
    tfg_quant_gate g = gate_of(78, 1, 0, 1.0);
    CHECK_INT(g.rows, 78);
    CHECK_INT(g.flipped, 1);
    CHECK_INT(g.lost, 1);
    CHECK_INT(g.gained, 0);
    CHECK_NEAR(g.drop_points, 100.0 / 78, 1e-12);
    CHECK(g.over_drop);
    CHECK(!g.failed);
    /* Four lost of 78 is still chance (p = 1/16); five is not (p = 1/32). */
    CHECK(!gate_of(78, 4, 0, 1.0).failed);
    g = gate_of(78, 5, 0, 1.0);
    CHECK(g.over_drop && g.failed);
    CHECK_NEAR(g.p_value, 1.0 / 32, 1e-15);
    /* Five lost but one gained: 5.1 points, p = 7/64: passes. */
    g = gate_of(78, 5, 1, 1.0);
    CHECK_INT(g.flipped, 6);
    CHECK(g.over_drop && !g.failed);
    /* Significant but within max_drop: passes (the drop is what the spec limits). */
    g = gate_of(2000, 12, 0, 1.0);
    CHECK(g.p_value < TFG_QUANT_GATE_ALPHA && !g.over_drop && !g.failed);
    /* A real degradation on a large split fails. */
    g = gate_of(2000, 60, 10, 1.0);
    CHECK_NEAR(g.drop_points, 2.5, 1e-12);
    CHECK(g.failed);
    /* Gains only: int8 better than float, never a failure. */
    g = gate_of(100, 0, 9, 0.0);
    CHECK(g.drop_points < 0 && !g.over_drop && !g.failed);
    /* max_drop 0 still needs more than noise. */
    CHECK(!gate_of(44, 1, 0, 0.0).failed);
    CHECK(gate_of(44, 6, 0, 0.0).failed);
}

/* A regression gate over n rows with truth i and float error 1 everywhere; int8's error
 * is 1 + up on the first `worse` rows, 1 - down on the next `better`, 1 elsewhere. */
static tfg_quant_reg_gate reg_gate_of(size_t n, size_t worse, double up, size_t better,
                                      double down, double max_increase)
{
    float *y = calloc(n, sizeof *y), *pf = calloc(n, sizeof *pf), *pq = calloc(n, sizeof *pq);
    for (size_t i = 0; i < n; i++) {
        y[i] = (float)i;
        pf[i] = y[i] + 1;
        pq[i] = i < worse ? y[i] + 1 + (float)up
                : i < worse + better ? y[i] + 1 - (float)down : pf[i];
    }
    tfg_quant_reg_gate g;
    memset(&g, 0, sizeof g);
    tfg_quant_reg_gate_add(&g, y, pf, pq, n / 2);
    tfg_quant_reg_gate_add(&g, y + n / 2, pf + n / 2, pq + n / 2, n - n / 2);
    tfg_quant_reg_gate_judge(&g, max_increase);
    free(y);
    free(pf);
    free(pq);
    return g;
}

static void test_regression_verdicts(void)
{
    /* One row 9 worse of 76: MAE up 11.8 %, more than 10 %, and noise: passes. */
    tfg_quant_reg_gate g = reg_gate_of(76, 1, 9.0, 0, 0, 10.0);
    CHECK_INT(g.rows, 76);
    CHECK_INT(g.worse, 1);
    CHECK_INT(g.better, 0);
    CHECK_NEAR(g.float_mae, 1.0, 1e-12);
    CHECK_NEAR(g.increase_pct, 100.0 * 9 / 76, 1e-4);
    CHECK(g.over && !g.failed);
    /* Every row a little worse: 20 % up, 76 of 76 worse: fails. */
    g = reg_gate_of(76, 76, 0.25, 0, 0, 10.0);
    CHECK_NEAR(g.int8_mae, 1.25, 1e-6);
    CHECK(g.over && g.failed && g.p_value < 1e-20);
    /* The same skew within the limit passes: the increase is what the spec limits. */
    CHECK(!reg_gate_of(76, 76, 0.05, 0, 0, 10.0).failed);
    /* Rounding both ways: 40 rows 0.5 worse, 36 rows 0.25 better: 15 % up, p = 0.37. */
    g = reg_gate_of(76, 40, 0.5, 36, 0.25, 10.0);
    CHECK_NEAR(g.increase_pct, 100.0 * (40 * 0.5 - 36 * 0.25) / 76, 1e-4);
    CHECK(g.over && !g.failed);
    /* Better everywhere: never a failure. */
    g = reg_gate_of(50, 0, 0, 50, 0.5, 0.0);
    CHECK(g.increase_pct < 0 && !g.over && !g.failed);
    /* A perfect float model: any int8 error is an infinite increase, judged by rows. */
    tfg_quant_reg_gate z;
    memset(&z, 0, sizeof z);
    float y[8] = {0}, pq[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    tfg_quant_reg_gate_add(&z, y, y, pq, 8);
    tfg_quant_reg_gate_judge(&z, 10.0);
    CHECK(isinf(z.increase_pct) && z.failed);
}

TFG_TEST_MAIN(test_sign_test, test_verdicts, test_regression_verdicts)
