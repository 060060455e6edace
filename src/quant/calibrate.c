/* calibrate.c — activation ranges of a float graph over a representative set: the
 * exact min/max in one pass, and for the percentile method a histogram pass between
 * them (see quant.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "quant/quant.h"

#define CALIB_BATCH 64
#define HIST_BINS 4096

typedef struct {
    tfg_graph *g;
    tfg_net *net;
    const float *x;
    size_t n, in_size;
    tfg_progress *progress;
    int pass, passes;
} calib;

/* Calls fn(c, t, values, count, arg) for every tensor of every batch. */
typedef tfg_status (*visit_fn)(calib *c, size_t t, const float *v, size_t count, void *arg,
                               tfg_err *err);

static tfg_status each_batch(calib *c, visit_fn fn, void *arg, tfg_err *err)
{
    for (size_t i = 0; i < c->n; i += CALIB_BATCH) {
        size_t b = c->n - i < CALIB_BATCH ? c->n - i : CALIB_BATCH;
        tfg_net_forward(c->net, c->x + i * c->in_size, b, false);
        for (size_t t = 0; t < c->g->n_tensors; t++) {
            size_t count = b * tfg_shape_size(&c->g->tensors[t]);
            tfg_status st = fn(c, t, tfg_net_tensor(c->net, (int)t), count, arg, err);
            if (st)
                return st;
        }
        if (c->progress)
            tfg_progress_update(c->progress, "calibrating", (uint64_t)c->pass * c->n + i + b,
                                (uint64_t)c->passes * c->n);
    }
    return TFG_OK;
}

static tfg_status visit_minmax(calib *c, size_t t, const float *v, size_t count, void *arg,
                               tfg_err *err)
{
    tfg_ranges *r = arg;
    float lo = r->min[t], hi = r->max[t];
    for (size_t k = 0; k < count; k++) {
        if (!isfinite(v[k]))
            return tfg_err_set(err, TFG_EINPUT,
                               "calibration: tensor %zu takes a non-finite value; the float "
                               "model is broken (retrain it)", t);
        lo = v[k] < lo ? v[k] : lo;
        hi = v[k] > hi ? v[k] : hi;
    }
    r->min[t] = lo, r->max[t] = hi;
    return TFG_OK;
}

typedef struct {
    const tfg_ranges *exact;
    uint64_t *hist;   /* n_tensors x HIST_BINS */
    uint64_t *total;  /* per tensor */
} hist_pass;

static size_t bin_of(float v, float lo, float hi)
{
    if (!(hi > lo))
        return 0;
    double f = ((double)v - lo) / ((double)hi - lo) * HIST_BINS;
    size_t b = f <= 0 ? 0 : (size_t)f;
    return b >= HIST_BINS ? HIST_BINS - 1 : b;
}

static tfg_status visit_hist(calib *c, size_t t, const float *v, size_t count, void *arg,
                             tfg_err *err)
{
    hist_pass *h = arg;
    uint64_t *bins = h->hist + t * HIST_BINS;
    float lo = h->exact->min[t], hi = h->exact->max[t];
    for (size_t k = 0; k < count; k++)
        bins[bin_of(v[k], lo, hi)]++;
    h->total[t] += count;
    return TFG_OK;
}

/* The bin edges that keep `keep` percent of the values, cutting the rest equally from
 * both tails; never inside the exact range's own zero side (0 stays representable). */
static void cut_tails(const uint64_t *bins, uint64_t total, double keep, float lo, float hi,
                      float *out_lo, float *out_hi)
{
    uint64_t cut = (uint64_t)((double)total * (100.0 - keep) / 200.0);
    uint64_t acc = 0;
    size_t a = 0, b = HIST_BINS - 1;
    while (a < HIST_BINS - 1 && acc + bins[a] <= cut)
        acc += bins[a++];
    acc = 0;
    while (b > a && acc + bins[b] <= cut)
        acc += bins[b--];
    double w = ((double)hi - lo) / HIST_BINS;
    *out_lo = (float)(lo + w * (double)a);
    *out_hi = (float)(lo + w * (double)(b + 1));
    if (*out_hi > hi)
        *out_hi = hi;
}

tfg_status tfg_calibrate(tfg_graph *g, const float *x, size_t n, const tfg_calib_opts *o,
                         tfg_progress *progress, tfg_ranges *r, tfg_err *err)
{
    memset(r, 0, sizeof *r);
    if (n == 0)
        return tfg_err_set(err, TFG_EINPUT, "calibration needs at least one sample");
    if (o->method == TFG_CALIB_PERCENTILE && !(o->percentile > 50 && o->percentile <= 100))
        return tfg_err_set(err, TFG_EUSAGE,
                           "calibration percentile %g is outside (50, 100]", o->percentile);
    calib c = {.g = g, .x = x, .n = n, .in_size = tfg_shape_size(&g->tensors[0]),
               .progress = progress, .passes = o->method == TFG_CALIB_PERCENTILE ? 2 : 1};
    c.net = tfg_net_new(g, n < CALIB_BATCH ? n : CALIB_BATCH);
    r->n_tensors = g->n_tensors;
    r->min = tfg_xmalloc(g->n_tensors * sizeof *r->min);
    r->max = tfg_xmalloc(g->n_tensors * sizeof *r->max);
    for (size_t t = 0; t < g->n_tensors; t++)
        r->min[t] = INFINITY, r->max[t] = -INFINITY;
    tfg_status st = each_batch(&c, visit_minmax, r, err);
    if (!st && o->method == TFG_CALIB_PERCENTILE && o->percentile < 100) {
        hist_pass h = {r, tfg_xcalloc(g->n_tensors * HIST_BINS, sizeof *h.hist),
                       tfg_xcalloc(g->n_tensors, sizeof *h.total)};
        c.pass = 1;
        st = each_batch(&c, visit_hist, &h, err);
        for (size_t t = 0; !st && t < g->n_tensors; t++)
            cut_tails(h.hist + t * HIST_BINS, h.total[t], o->percentile, r->min[t], r->max[t],
                      &r->min[t], &r->max[t]);
        free(h.hist);
        free(h.total);
    }
    tfg_net_free(c.net);
    if (st)
        tfg_ranges_free(r);
    return st;
}

void tfg_ranges_free(tfg_ranges *r)
{
    free(r->min);
    free(r->max);
    memset(r, 0, sizeof *r);
}
