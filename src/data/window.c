/* window.c — the window op: cuts signal columns (accelerometer axes, audio samples) into
 * sliding windows over the rows in file order and turns each window into one row of
 * summary features (mean, std, min, max, rms, zero crossings, FFT band energies). The
 * label of a window is its most frequent label (ties: the lowest class). Rows pinned to
 * different sources are windowed separately, so no window spans two files.
 *
 * The FFT bands are a plain DFT: windows are small (tens to hundreds of samples), and a
 * direct sum is easy to check by hand and to reproduce on a device. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/strutil.h"
#include "data/exec_state.h"
#include "data/ops.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The number of outputs one window feature adds per column. */
static size_t feature_width(const tfg_plan_op *op, int f)
{
    return f == TFG_WF_FFT ? op->fft_bands : 1;
}

/* Energy |X_k|^2 of the DFT of v summed over each of `bands` equal-width bands of the
 * bins 1..n/2 (band b holds bins 1 + b*m/bands .. 1 + (b+1)*m/bands - 1, m = n/2). */
static void fft_bands(const double *v, size_t n, size_t bands, double *out)
{
    size_t m = n / 2;
    for (size_t b = 0; b < bands; b++) {
        out[b] = 0;
        for (size_t k = 1 + b * m / bands; k < 1 + (b + 1) * m / bands; k++) {
            double re = 0, im = 0;
            for (size_t i = 0; i < n; i++) {
                double a = 2 * M_PI * (double)(k * i % n) / (double)n;
                re += v[i] * cos(a);
                im -= v[i] * sin(a);
            }
            out[b] += re * re + im * im;
        }
    }
}

/* The window features of one signal v[0..n) in the plan's order into out. */
static void window_features(const tfg_plan_op *op, const double *v, size_t n, double *out)
{
    double sum = 0, sq = 0, lo = v[0], hi = v[0];
    size_t zc = 0;
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        sq += v[i] * v[i];
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        zc += i > 0 && ((v[i - 1] < 0) != (v[i] < 0)); /* a sign change; 0 counts as + */
    }
    double mean = sum / (double)n, var = 0;
    for (size_t i = 0; i < n; i++)
        var += (v[i] - mean) * (v[i] - mean);
    for (size_t j = 0; j < op->n_features; j++) {
        switch (op->features[j]) {
        case TFG_WF_MEAN: *out++ = mean; break;
        case TFG_WF_STD: *out++ = sqrt(var / (double)n); break;
        case TFG_WF_MIN: *out++ = lo; break;
        case TFG_WF_MAX: *out++ = hi; break;
        case TFG_WF_RMS: *out++ = sqrt(sq / (double)n); break;
        case TFG_WF_ZERO_CROSSINGS: *out++ = (double)zc; break;
        case TFG_WF_FFT:
            fft_bands(v, n, op->fft_bands, out);
            out += op->fft_bands;
            break;
        }
    }
}

/* Window starts over the rows: windows never span rows of different pins. */
static size_t window_starts(const tfg_table *t, const tfg_plan_op *op, size_t **out,
                            size_t *expected)
{
    size_t *starts = tfg_xmalloc((t->n_rows / op->step + 2) * sizeof *starts), n = 0;
    *expected = 0;
    for (size_t seg = 0; seg < t->n_rows;) {
        size_t end = seg;
        while (end < t->n_rows && (!t->pin || t->pin[end] == t->pin[seg]))
            end++;
        size_t len = end - seg;
        if (len >= op->size) {
            *expected += (len - op->size) / op->step + 1;
            for (size_t s = seg; s + op->size <= end; s += op->step)
                starts[n++] = s;
        }
        seg = end;
    }
    *out = starts;
    return n;
}

/* The most frequent class key in keys[0..n) (ties: the lowest). */
static int32_t majority(const int32_t *keys, size_t n, size_t k, size_t *count)
{
    memset(count, 0, (k + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++)
        if (keys[i] >= 0)
            count[keys[i]]++;
    int32_t best = -1;
    for (size_t c = 0; c < k; c++)
        if (count[c] && (best < 0 || count[c] > count[best]))
            best = (int32_t)c;
    return best;
}

static tfg_status check_signals(const tfg_exec *x, const tfg_plan_op *op, size_t index,
                                size_t *cols, tfg_err *err)
{
    const tfg_table *t = &x->part[0];
    for (size_t j = 0; j < op->n_columns; j++) {
        char path[128];
        tfg_exec_path(path, sizeof path, index, "columns", j);
        int c = tfg_table_find(t, op->columns[j]);
        if (c < 0) {
            const char **names = tfg_table_names(t);
            const char *near = tfg_closest(op->columns[j], names);
            tfg_err_field(err, TFG_EINPUT, x->file, path, "no column '%s'%s%s%s",
                          op->columns[j], near ? " (did you mean '" : "", near ? near : "",
                          near ? "'?)" : "");
            free(names);
            return TFG_EINPUT;
        }
        if (t->cols[c].type != TFG_COL_NUM || tfg_exec_is_label(x, op->columns[j]))
            return tfg_err_field(err, TFG_EINPUT, x->file, path,
                                 "window needs a numeric signal column; '%s' is %s",
                                 op->columns[j],
                                 t->cols[c].type != TFG_COL_NUM ? "categorical" : "the label");
        if (tfg_col_count_missing(&t->cols[c], t->n_rows))
            return tfg_err_field(err, TFG_ECHECK, x->file, path,
                                 "'%s' has %zu missing cells; impute or drop_missing before "
                                 "window",
                                 op->columns[j], tfg_col_count_missing(&t->cols[c], t->n_rows));
        cols[j] = (size_t)c;
    }
    return TFG_OK;
}

/* The label of each window: its most frequent class. A numeric label keeps the exact
 * value of a row of that class; a categorical one the class name. */
static void window_label_column(const tfg_exec *x, const tfg_plan_op *op, const size_t *starts,
                                size_t nw, const int32_t *keys, size_t k, char **class_names,
                                tfg_table *out)
{
    const tfg_column *src = &x->part[0].cols[tfg_table_find(&x->part[0], x->spec->label)];
    size_t *count = tfg_xmalloc((k + 1) * sizeof *count);
    tfg_column *lc = src->type == TFG_COL_NUM ? tfg_table_add_num(out, x->spec->label)
                                              : tfg_table_add_cat(out, x->spec->label);
    for (size_t w = 0; w < nw; w++) {
        const int32_t *wk = keys + starts[w];
        int32_t m = majority(wk, op->size, k, count);
        if (lc->type == TFG_COL_CAT) {
            lc->cat[w] = m < 0 ? -1 : tfg_col_intern(lc, class_names[m], strlen(class_names[m]));
            continue;
        }
        lc->num[w] = NAN;
        for (size_t i = 0; i < op->size && m >= 0; i++)
            if (wk[i] == m) {
                lc->num[w] = src->num[starts[w] + i];
                break;
            }
    }
    free(count);
}

/* The windowed table: feature columns, then the window's label. */
static void build_windows(tfg_exec *x, const tfg_plan_op *op, const size_t *cols,
                          const size_t *starts, size_t nw, const int32_t *keys, size_t k,
                          char **class_names, tfg_table *out)
{
    const tfg_table *t = &x->part[0];
    size_t width = 0;
    for (size_t f = 0; f < op->n_features; f++)
        width += feature_width(op, op->features[f]);
    tfg_table_init(out);
    out->n_rows = nw;
    double *sig = tfg_xmalloc(op->size * sizeof *sig), *feat = tfg_xmalloc(width * sizeof *feat);
    for (size_t j = 0; j < op->n_columns; j++) {
        size_t first = out->n_cols;
        for (size_t f = 0; f < op->n_features; f++)
            for (size_t b = 0; b < feature_width(op, op->features[f]); b++) {
                int fi = op->features[f];
                char *name = fi == TFG_WF_FFT
                                 ? tfg_xasprintf("%s.fft%zu", op->columns[j], b)
                                 : tfg_xasprintf("%s.%s", op->columns[j],
                                                 tfg_window_feature_names[fi]);
                tfg_table_add_num(out, name);
                tfg_exec_add_derived(x, name, tfg_exec_source(x, op->columns[j]));
                free(name);
            }
        for (size_t w = 0; w < nw; w++) {
            memcpy(sig, t->cols[cols[j]].num + starts[w], op->size * sizeof *sig);
            window_features(op, sig, op->size, feat);
            for (size_t o = 0; o < width; o++)
                out->cols[first + o].num[w] = feat[o];
        }
    }
    if (keys)
        window_label_column(x, op, starts, nw, keys, k, class_names, out);
    if (t->pin) {
        out->pin = tfg_xmalloc(nw + 1);
        for (size_t w = 0; w < nw; w++)
            out->pin[w] = t->pin[starts[w]];
    }
    free(sig);
    free(feat);
}

/* The label's class keys, or none when there is no label column (anomaly data). */
static tfg_status window_labels(tfg_exec *x, const tfg_plan_op *op, size_t index,
                                int32_t **keys, size_t *k, char ***names, tfg_err *err)
{
    *keys = NULL;
    *names = NULL;
    int li = x->spec->label ? tfg_table_find(&x->part[0], x->spec->label) : -1;
    if (li < 0)
        return TFG_OK;
    return tfg_exec_class_keys(x, 0, op, index, keys, k, names, err);
}

tfg_status tfg_op_window(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    size_t *cols = tfg_xcalloc(op->n_columns + 1, sizeof *cols), *starts = NULL, expected = 0, k = 0;
    int32_t *keys = NULL;
    char **names = NULL;
    tfg_status st = check_signals(x, op, index, cols, err);
    if (!st) st = window_labels(x, op, index, &keys, &k, &names, err);
    size_t before = x->part[0].n_rows, nw = 0;
    if (!st) {
        nw = window_starts(&x->part[0], op, &starts, &expected);
        tfg_table out;
        build_windows(x, op, cols, starts, nw, keys, k, names, &out);
        tfg_table_free(&x->part[0]);
        x->part[0] = out;
        json_t *jc = json_array(), *jf = json_array();
        for (size_t j = 0; j < op->n_columns; j++)
            json_array_append_new(jc, json_string(op->columns[j]));
        for (size_t f = 0; f < op->n_features; f++)
            json_array_append_new(jf, json_string(tfg_window_feature_names[op->features[f]]));
        json_array_append_new(x->steps,
                              json_pack("{s:s,s:o,s:I,s:I,s:o,s:I}", "step", "window", "columns",
                                        jc, "size", (json_int_t)op->size, "stride",
                                        (json_int_t)op->step, "features", jf, "fft_bands",
                                        (json_int_t)op->fft_bands));
        tfg_exec_did(x, "cut %zu rows into %zu windows of %zu samples every %zu rows", before,
                     nw, op->size, op->step);
    }
    if (!st && x->part[0].n_rows != expected) {
        char path[64];
        tfg_exec_path(path, sizeof path, index, NULL, SIZE_MAX);
        st = tfg_err_field(err, TFG_ECHECK, x->file, path,
                           "window: post-condition failed: %zu windows, expected %zu",
                           x->part[0].n_rows, expected);
    }
    tfg_strv_free(names);
    free(keys);
    free(starts);
    free(cols);
    return st;
}
