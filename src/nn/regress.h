/* regress.h — how close a regression model's values come to the truth, on a split's
 * rows: the mean squared error, the mean absolute error (in the label's own unit, the
 * figure a person reads), and R² = 1 - SSE / SST, the share of the label's variance on
 * those rows that the model explains (1 is perfect, 0 is no better than always saying
 * the rows' mean, below 0 worse; NAN when the label is constant on them). The float
 * model (train, quantize), the int8 model (quantize) and, since its outputs are the
 * int8 model's byte for byte, the device are all judged by these. */
#ifndef TFG_NN_REGRESS_H
#define TFG_NN_REGRESS_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    size_t n;
    double mse, mae, r2; /* NAN when n is 0 */
} tfg_reg_metrics;

/* The metrics of predictions pred[0..n) against the truth y[0..n). */
void tfg_reg_metrics_of(const float *y, const float *pred, size_t n, tfg_reg_metrics *m);

/* Sets <prefix>mse, <prefix>mae and <prefix>r2 in o; one that is NAN is left out. */
void tfg_reg_metrics_json(json_t *o, const char *prefix, const tfg_reg_metrics *m);

#endif
