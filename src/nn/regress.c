/* regress.c — regression metrics (regress.h). */
#include "nn/regress.h"

#include <math.h>
#include <stdio.h>

void tfg_reg_metrics_of(const float *y, const float *pred, size_t n, tfg_reg_metrics *m)
{
    m->n = n;
    m->mse = m->mae = m->r2 = NAN;
    if (n == 0)
        return;
    double mean = 0, se = 0, ae = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - y[i], c = (double)y[i] - mean;
        se += d * d;
        ae += fabs(d);
        ss += c * c;
    }
    m->mse = se / (double)n;
    m->mae = ae / (double)n;
    m->r2 = ss > 0 ? 1.0 - se / ss : NAN;
}

void tfg_reg_metrics_json(json_t *o, const char *prefix, const tfg_reg_metrics *m)
{
    static const char *const names[] = {"mse", "mae", "r2"};
    const double v[] = {m->mse, m->mae, m->r2};
    for (int i = 0; i < 3; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%s", prefix, names[i]);
        if (!isnan(v[i]))
            json_object_set_new(o, key, json_real(v[i]));
    }
}
