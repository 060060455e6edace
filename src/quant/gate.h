/* gate.h — the int8 gate: is the accuracy int8 loses against float real, and more than
 * the spec allows? (For regression: the mean absolute error it adds, below.)
 *
 * The drop is judged on rows neither model was fitted to: the test split and the
 * validation rows (up to 2000) that also chose the calibration method. On a small data
 * set one flipped prediction is more than a point, so the drop alone would judge noise.
 * The gate compares the two models' predictions row by row: a row is *lost* when float
 * is right and int8 wrong, *gained* the other way round; the drop is (lost - gained) /
 * rows. The gate fails only when both hold:
 *
 *   - the drop is more than quantization.max_drop (percentage points), and
 *   - the losses are more than chance: under "int8 is as good as float" each of the
 *     lost + gained rows is lost with probability 1/2, and the one-sided sign test
 *     (exact binomial, McNemar's test for paired predictions) gives p < 0.05 for at
 *     least `lost` losses. With nothing gained that means at least five lost rows.
 *
 * On large splits the second condition holds whenever the first does; it matters only
 * where a handful of rows decide. Layering: quant/ (the quantize stage uses it; a
 * unit test drives it directly). */
#ifndef TFG_QUANT_GATE_H
#define TFG_QUANT_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The significance level of the sign test. */
#define TFG_QUANT_GATE_ALPHA 0.05

typedef struct {
    size_t rows;                   /* rows judged */
    size_t float_right, int8_right;
    size_t flipped;                /* rows whose int8 class differs from float's */
    size_t lost, gained;           /* flips that cost or won a right answer */
    double drop_points;            /* 100 * (float_right - int8_right) / rows */
    double p_value;                /* one-sided sign test of lost against gained */
    bool over_drop;                /* drop_points > max_drop */
    bool failed;                   /* over_drop and p_value < TFG_QUANT_GATE_ALPHA */
} tfg_quant_gate;

/* The same gate for regression, on the same rows. The drop is the int8 model's mean
 * absolute error over float's, in percent of float's; a row is *worse* when int8's
 * absolute error there is larger than float's, *better* when smaller. The gate fails
 * only when the increase is more than quantization.max_mae_increase (percent) and int8
 * is worse on more rows than chance (the sign test of worse against better, p < alpha):
 * rounding the output to int8 moves every value a little, half of them towards the
 * truth, and only a skew to one side is evidence. */
typedef struct {
    size_t rows;
    double float_abs, int8_abs;    /* sums of the absolute errors */
    size_t worse, better;
    double float_mae, int8_mae;
    double increase_pct;           /* 100 * (int8_mae - float_mae) / float_mae */
    double p_value;
    bool over;                     /* increase_pct > max_mae_increase */
    bool failed;                   /* over and p_value < TFG_QUANT_GATE_ALPHA */
} tfg_quant_reg_gate;

void tfg_quant_reg_gate_add(tfg_quant_reg_gate *g, const float *y, const float *pf,
                            const float *pq, size_t n);
void tfg_quant_reg_gate_judge(tfg_quant_reg_gate *g, double max_increase);

/* Adds n rows: true classes y, float predictions pf, int8 predictions pq. */
void tfg_quant_gate_add(tfg_quant_gate *g, const int32_t *y, const uint32_t *pf,
                        const uint32_t *pq, size_t n);
/* Fills drop_points, p_value, over_drop and failed from the counts. */
void tfg_quant_gate_judge(tfg_quant_gate *g, double max_drop);
/* P(X >= k) for X ~ Binomial(n, 1/2); 1 when k is 0. */
double tfg_quant_sign_test(size_t k, size_t n);

#endif
