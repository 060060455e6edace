/* profile.c — the data profile (see profile.h): per-column statistics, duplicate rows
 * and the label's class balance, computed from a tfg_table before any cleaning.
 *
 * Speed matters because the profile runs on every data stage, including Fashion-MNIST
 * (70000 rows x 785 columns): each numeric column is copied once and sorted once with
 * an LSD radix sort that skips byte positions on which all values agree (pixel values
 * 0..255 differ in three bytes of eight), and every order statistic is then read off
 * the sorted copy. Duplicate rows are found with one open-addressing hash table. */
#include "data/profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strutil.h"

/* A numeric label with more distinct values than this is a regression target, not a
 * set of classes, and gets no class balance (docs/artifacts.md). */
#define MAX_NUMERIC_CLASSES 1000
/* profile.json lists at most this many levels of a categorical column. */
#define MAX_JSON_LEVELS 20

/* ---- sorting doubles ---------------------------------------------------------- */

/* Maps a double to an unsigned key with the same order (no NaN here: missing cells
 * are left out before sorting). -0 is folded into +0 so they count as one value. */
static uint64_t order_key(double v)
{
    if (v == 0)
        v = 0;
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

static double key_value(uint64_t k)
{
    uint64_t u = (k >> 63) ? k & ~((uint64_t)1 << 63) : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Sorts keys[0..n) with tmp as scratch: one histogram pass for all eight bytes, then
 * one scatter pass per byte whose values are not all the same. */
static void radix_sort(uint64_t *keys, uint64_t *tmp, size_t n)
{
    static const size_t B = 256;
    size_t hist[8][256];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            hist[b][(keys[i] >> (8 * b)) & 0xff]++;
    uint64_t *src = keys, *dst = tmp;
    for (int b = 0; b < 8; b++) {
        if (n == 0 || hist[b][(keys[0] >> (8 * b)) & 0xff] == n)
            continue; /* every key has the same byte here: the pass would change nothing */
        size_t pos = 0;
        for (size_t d = 0; d < B; d++) {
            size_t c = hist[b][d];
            hist[b][d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[hist[b][(src[i] >> (8 * b)) & 0xff]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
}

/* ---- numeric columns ---------------------------------------------------------- */

/* numpy's default ("linear") quantile of sorted v[0..n), n > 0. */
static double quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= n)
        return v[n - 1];
    double frac = pos - (double)lo;
    return v[lo] + frac * (v[lo + 1] - v[lo]);
}

static void set_numeric_nan(tfg_col_profile *cp)
{
    cp->min = cp->max = cp->mean = cp->std = NAN;
    cp->q1 = cp->median = cp->q3 = cp->lo_fence = cp->hi_fence = NAN;
}

/* Statistics of the n non-missing values, given sorted in v. */
static void numeric_stats(tfg_col_profile *cp, const double *v, size_t n)
{
    cp->count = n;
    if (n == 0) {
        set_numeric_nan(cp);
        return;
    }
    cp->distinct = 1;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        if (i && v[i] != v[i - 1])
            cp->distinct++;
    }
    cp->mean = sum / (double)n;
    double ss = 0; /* two passes: the squared deviations lose nothing to cancellation */
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - cp->mean) * (v[i] - cp->mean);
    cp->std = n < 2 ? 0 : sqrt(ss / (double)(n - 1));
    cp->min = v[0];
    cp->max = v[n - 1];
    cp->q1 = quantile(v, n, 0.25);
    cp->median = quantile(v, n, 0.5);
    cp->q3 = quantile(v, n, 0.75);
    double iqr = cp->q3 - cp->q1;
    cp->lo_fence = cp->q1 - 1.5 * iqr;
    cp->hi_fence = cp->q3 + 1.5 * iqr;
    for (size_t i = 0; i < n; i++)
        cp->outliers += v[i] < cp->lo_fence || v[i] > cp->hi_fence;
    for (size_t i = 0; i < n; i++)
        cp->far_outliers += v[i] < cp->q1 - 3 * iqr || v[i] > cp->q3 + 3 * iqr;
}

/* Copies the column's non-missing values into vals, sorted; returns their number. */
static size_t sorted_values(const tfg_column *c, size_t n_rows, uint64_t *keys, uint64_t *tmp,
                            double *vals)
{
    size_t n = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (!isnan(c->num[i]))
            keys[n++] = order_key(c->num[i]);
    radix_sort(keys, tmp, n);
    for (size_t i = 0; i < n; i++)
        vals[i] = key_value(keys[i]);
    return n;
}

/* A class name for a numeric label value: "%g" when that reads back as the same
 * number (the usual case: 0, 1, 2.5), else more digits so distinct values stay
 * distinct. */
static char *class_name(double v)
{
    char buf[64];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return tfg_xstrdup(buf);
}

/* Class balance of a numeric label from its sorted values (missing already left out). */
static void numeric_classes(tfg_profile *p, const double *v, size_t n, size_t distinct)
{
    if (distinct == 0 || distinct > MAX_NUMERIC_CLASSES)
        return;
    p->classes = tfg_xcalloc(distinct, sizeof *p->classes);
    p->class_counts = tfg_xcalloc(distinct, sizeof *p->class_counts);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || v[i] != v[i - 1])
            p->classes[p->n_classes++] = class_name(v[i]);
        p->class_counts[p->n_classes - 1]++;
    }
}

/* ---- categorical columns ------------------------------------------------------ */

typedef struct {
    const char *name;
    size_t count;
} level_count;

static int by_count_then_name(const void *a, const void *b)
{
    const level_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_name(const void *a, const void *b)
{
    const level_count *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* The levels that occur, with their counts, into lc; returns how many. */
static size_t count_levels(const tfg_column *c, size_t n_rows, level_count *lc, size_t *missing)
{
    size_t *counts = tfg_xcalloc(c->n_levels ? c->n_levels : 1, sizeof *counts);
    *missing = 0;
    for (size_t i = 0; i < n_rows; i++) {
        if (c->cat[i] < 0)
            (*missing)++;
        else
            counts[c->cat[i]]++;
    }
    size_t n = 0;
    for (size_t l = 0; l < c->n_levels; l++)
        if (counts[l])
            lc[n++] = (level_count){c->levels[l], counts[l]};
    free(counts);
    return n;
}

static void categorical_stats(tfg_col_profile *cp, const tfg_column *c, size_t n_rows)
{
    level_count *lc = tfg_xcalloc(c->n_levels ? c->n_levels : 1, sizeof *lc);
    size_t n = count_levels(c, n_rows, lc, &cp->missing);
    qsort(lc, n, sizeof *lc, by_count_then_name);
    cp->count = n_rows - cp->missing;
    cp->distinct = cp->n_levels = n;
    cp->levels = tfg_xcalloc(n ? n : 1, sizeof *cp->levels);
    cp->level_counts = tfg_xcalloc(n ? n : 1, sizeof *cp->level_counts);
    for (size_t i = 0; i < n; i++) {
        cp->levels[i] = tfg_xstrdup(lc[i].name);
        cp->level_counts[i] = lc[i].count;
    }
    set_numeric_nan(cp);
    free(lc);
}

static void categorical_classes(tfg_profile *p, const tfg_column *c, size_t n_rows)
{
    level_count *lc = tfg_xcalloc(c->n_levels ? c->n_levels : 1, sizeof *lc);
    size_t missing;
    size_t n = count_levels(c, n_rows, lc, &missing);
    qsort(lc, n, sizeof *lc, by_name);
    p->classes = tfg_xcalloc(n ? n : 1, sizeof *p->classes);
    p->class_counts = tfg_xcalloc(n ? n : 1, sizeof *p->class_counts);
    for (size_t i = 0; i < n; i++) {
        p->classes[i] = tfg_xstrdup(lc[i].name);
        p->class_counts[i] = lc[i].count;
    }
    p->n_classes = n;
    free(lc);
}

/* ---- duplicate rows ----------------------------------------------------------- */

static size_t count_duplicates(const tfg_table *t)
{
    size_t cap = 16;
    while (cap < 2 * t->n_rows)
        cap *= 2;
    /* slot: row index + 1 (0 = empty), with its hash beside it to skip most compares */
    size_t *slot = tfg_xcalloc(cap, sizeof *slot);
    uint64_t *hash = tfg_xcalloc(cap, sizeof *hash);
    size_t dups = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        uint64_t h = tfg_table_row_hash(t, r);
        size_t i = (size_t)(h ^ (h >> 29)) & (cap - 1);
        for (;; i = (i + 1) & (cap - 1)) {
            if (!slot[i]) {
                slot[i] = r + 1;
                hash[i] = h;
                break;
            }
            if (hash[i] == h && tfg_table_rows_equal(t, slot[i] - 1, t, r)) {
                dups++;
                break;
            }
        }
    }
    free(slot);
    free(hash);
    return dups;
}

/* ---- the profile -------------------------------------------------------------- */

static tfg_status find_label(const tfg_table *t, const char *label, int *index, tfg_err *err)
{
    *index = -1;
    if (!label)
        return TFG_OK;
    *index = tfg_table_find(t, label);
    if (*index >= 0)
        return TFG_OK;
    const char **names = tfg_table_names(t);
    const char *near = tfg_closest(label, names);
    tfg_status st;
    if (near)
        st = tfg_err_set(err, TFG_EINPUT,
                         "the label column '%s' is not in the data; did you mean '%s'?", label,
                         near);
    else
        st = tfg_err_set(err, TFG_EINPUT, "the label column '%s' is not in the data (it has "
                         "%zu columns)", label, t->n_cols);
    free(names);
    return st;
}

tfg_status tfg_profile_compute(const tfg_table *t, const char *label, tfg_profile *p,
                               tfg_err *err)
{
    memset(p, 0, sizeof *p);
    int li;
    tfg_status st = find_label(t, label, &li, err);
    if (st)
        return st;
    p->label = li;
    p->n_rows = t->n_rows;
    p->n_cols = t->n_cols;
    memcpy(p->shape, t->shape, sizeof p->shape);
    p->cols = tfg_xcalloc(t->n_cols ? t->n_cols : 1, sizeof *p->cols);
    size_t cap = t->n_rows ? t->n_rows : 1;
    uint64_t *keys = tfg_xmalloc(cap * sizeof *keys), *tmp = tfg_xmalloc(cap * sizeof *tmp);
    double *vals = tfg_xmalloc(cap * sizeof *vals);
    for (size_t c = 0; c < t->n_cols; c++) {
        const tfg_column *col = &t->cols[c];
        tfg_col_profile *cp = &p->cols[c];
        cp->name = tfg_xstrdup(col->name);
        cp->type = col->type;
        if (col->type == TFG_COL_CAT) {
            categorical_stats(cp, col, t->n_rows);
            if ((int)c == li)
                categorical_classes(p, col, t->n_rows);
            continue;
        }
        size_t n = sorted_values(col, t->n_rows, keys, tmp, vals);
        cp->missing = t->n_rows - n;
        numeric_stats(cp, vals, n);
        if ((int)c == li)
            numeric_classes(p, vals, n, cp->distinct);
    }
    free(keys);
    free(tmp);
    free(vals);
    p->duplicate_rows = count_duplicates(t);
    return TFG_OK;
}

/* ---- JSON --------------------------------------------------------------------- */

/* Jansson cannot hold NaN: a statistic that does not exist is null. */
static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static void numeric_json(json_t *o, const tfg_col_profile *cp)
{
    json_object_set_new(o, "min", num_or_null(cp->min));
    json_object_set_new(o, "max", num_or_null(cp->max));
    json_object_set_new(o, "mean", num_or_null(cp->mean));
    json_object_set_new(o, "std", num_or_null(cp->std));
    json_object_set_new(o, "q1", num_or_null(cp->q1));
    json_object_set_new(o, "median", num_or_null(cp->median));
    json_object_set_new(o, "q3", num_or_null(cp->q3));
    json_t *fences = json_null();
    if (cp->count)
        fences = json_pack("[oo]", num_or_null(cp->lo_fence), num_or_null(cp->hi_fence));
    json_object_set_new(o, "outlier_fences", fences);
    json_object_set_new(o, "outliers", json_integer((json_int_t)cp->outliers));
    json_object_set_new(o, "far_outliers", json_integer((json_int_t)cp->far_outliers));
}

static void categorical_json(json_t *o, const tfg_col_profile *cp)
{
    json_t *levels = json_array();
    size_t shown = cp->n_levels < MAX_JSON_LEVELS ? cp->n_levels : MAX_JSON_LEVELS;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(levels, json_pack("{s:s,s:I}", "value", cp->levels[i], "count",
                                                (json_int_t)cp->level_counts[i]));
    json_object_set_new(o, "levels", levels);
    if (shown < cp->n_levels)
        json_object_set_new(o, "more_levels", json_integer((json_int_t)(cp->n_levels - shown)));
}

static json_t *column_json(const tfg_col_profile *cp)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(cp->name));
    json_object_set_new(o, "type",
                        json_string(cp->type == TFG_COL_NUM ? "numeric" : "categorical"));
    json_object_set_new(o, "count", json_integer((json_int_t)cp->count));
    json_object_set_new(o, "missing", json_integer((json_int_t)cp->missing));
    json_object_set_new(o, "distinct", json_integer((json_int_t)cp->distinct));
    if (cp->type == TFG_COL_NUM)
        numeric_json(o, cp);
    else
        categorical_json(o, cp);
    return o;
}

static json_t *class_balance_json(const tfg_profile *p)
{
    size_t total = 0;
    for (size_t i = 0; i < p->n_classes; i++)
        total += p->class_counts[i];
    json_t *a = json_array();
    for (size_t i = 0; i < p->n_classes; i++)
        json_array_append_new(
            a, json_pack("{s:s,s:I,s:f}", "class", p->classes[i], "count",
                         (json_int_t)p->class_counts[i], "fraction",
                         total ? (double)p->class_counts[i] / (double)total : 0.0));
    return a;
}

json_t *tfg_profile_to_json(const tfg_profile *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "rows", json_integer((json_int_t)p->n_rows));
    json_object_set_new(o, "columns", json_integer((json_int_t)p->n_cols));
    json_object_set_new(o, "duplicate_rows", json_integer((json_int_t)p->duplicate_rows));
    if (p->shape[0])
        json_object_set_new(o, "shape", json_pack("[III]", (json_int_t)p->shape[0],
                                                  (json_int_t)p->shape[1],
                                                  (json_int_t)p->shape[2]));
    json_object_set_new(o, "label", p->label >= 0 && (size_t)p->label < p->n_cols
                                        ? json_string(p->cols[p->label].name)
                                        : json_null());
    json_object_set_new(o, "class_balance", class_balance_json(p));
    json_t *cols = json_array();
    for (size_t c = 0; c < p->n_cols; c++)
        json_array_append_new(cols, column_json(&p->cols[c]));
    json_object_set_new(o, "columns_detail", cols);
    return o;
}

void tfg_profile_free(tfg_profile *p)
{
    for (size_t c = 0; p->cols && c < p->n_cols; c++) {
        tfg_col_profile *cp = &p->cols[c];
        free(cp->name);
        for (size_t l = 0; l < cp->n_levels; l++)
            free(cp->levels[l]);
        free(cp->levels);
        free(cp->level_counts);
    }
    free(p->cols);
    for (size_t i = 0; i < p->n_classes; i++)
        free(p->classes[i]);
    free(p->classes);
    free(p->class_counts);
    memset(p, 0, sizeof *p);
    p->label = -1;
}
