/* gate.c — the int8 gate's counts and its rule (gate.h). */
#include "quant/gate.h"

#include <math.h>

void tfg_quant_gate_add(tfg_quant_gate *g, const int32_t *y, const uint32_t *pf,
                        const uint32_t *pq, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool fr = (int64_t)pf[i] == y[i], qr = (int64_t)pq[i] == y[i];
        g->rows++;
        g->float_right += fr;
        g->int8_right += qr;
        g->flipped += pf[i] != pq[i];
        g->lost += fr && !qr;
        g->gained += qr && !fr;
    }
}

double tfg_quant_sign_test(size_t k, size_t n)
{
    if (k == 0)
        return 1.0;
    if (k > n)
        return 0.0;
    /* Summed in the log domain: C(n, i) / 2^n underflows a double long before n is as
     * large as a test split can be. */
    double p = 0, ln2 = log(2.0), lgn = lgamma((double)n + 1);
    for (size_t i = k; i <= n; i++)
        p += exp(lgn - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - (double)n * ln2);
    return p < 1.0 ? p : 1.0;
}

void tfg_quant_gate_judge(tfg_quant_gate *g, double max_drop)
{
    g->drop_points = g->rows ? 100.0 * ((double)g->float_right - (double)g->int8_right) /
                                   (double)g->rows
                             : 0.0;
    g->p_value = tfg_quant_sign_test(g->lost, g->lost + g->gained);
    g->over_drop = g->drop_points > max_drop;
    g->failed = g->over_drop && g->p_value < TFG_QUANT_GATE_ALPHA;
}

void tfg_quant_reg_gate_add(tfg_quant_reg_gate *g, const float *y, const float *pf,
                            const float *pq, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double ef = fabs((double)pf[i] - y[i]), eq = fabs((double)pq[i] - y[i]);
        g->rows++;
        g->float_abs += ef;
        g->int8_abs += eq;
        g->worse += eq > ef;
        g->better += eq < ef;
    }
}

void tfg_quant_reg_gate_judge(tfg_quant_reg_gate *g, double max_increase)
{
    g->float_mae = g->rows ? g->float_abs / (double)g->rows : 0.0;
    g->int8_mae = g->rows ? g->int8_abs / (double)g->rows : 0.0;
    double d = g->int8_mae - g->float_mae;
    g->increase_pct = g->float_mae > 0 ? 100.0 * d / g->float_mae : (d > 0 ? INFINITY : 0.0);
    g->p_value = tfg_quant_sign_test(g->worse, g->worse + g->better);
    g->over = g->increase_pct > max_increase;
    g->failed = g->over && g->p_value < TFG_QUANT_GATE_ALPHA;
}
