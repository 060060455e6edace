/* ops.c — the column and row operations of the data plan (select/drop columns,
 * drop_missing, impute, drop_duplicates, outliers, scale, label_encode, one_hot,
 * shuffle). window.c and split.c hold the rest; exec.c dispatches to all of them.
 *
 * Each op checks its columns against the current table, fits what it needs on part[0]
 * (the whole table, or the training split once split), applies it to every part,
 * records a preprocess step when it is a per-row transform, and checks its own
 * post-condition. Per-row transforms compute in float32 through preprocess.h so the
 * data the model is trained on is exactly what the device will compute. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/rng.h"
#include "core/strutil.h"
#include "data/csv.h"
#include "data/exec_state.h"
#include "data/ops.h"
#include "data/preprocess.h"

/* The columns an op works on, as indexes into the current tables. */
typedef struct {
    size_t *idx;
    size_t n;
    bool explicit_list; /* named by the plan (errors then point at the entry) */
} colset;

/* The field path of entry j of the op's column list (or the op when the set is a
 * default). */
static void col_path(char *dst, size_t n, const tfg_plan_op *op, size_t index,
                     const colset *cs, size_t j)
{
    if (!cs->explicit_list)
        tfg_exec_path(dst, n, index, NULL, SIZE_MAX);
    else if (op->kind == TFG_OP_ONE_HOT || op->kind == TFG_OP_LABEL_ENCODE)
        tfg_exec_path(dst, n, index, "column", SIZE_MAX);
    else
        tfg_exec_path(dst, n, index, "columns", j);
}

static tfg_status resolve_named(const tfg_exec *x, const tfg_plan_op *op, size_t index,
                                colset *cs, tfg_err *err)
{
    const tfg_table *t = &x->part[0];
    cs->idx = tfg_xcalloc(op->n_columns + 1, sizeof *cs->idx);
    cs->explicit_list = true;
    for (size_t j = 0; j < op->n_columns; j++) {
        int c = tfg_table_find(t, op->columns[j]);
        if (c >= 0) {
            cs->idx[cs->n++] = (size_t)c;
            continue;
        }
        const char **names = tfg_table_names(t);
        const char *near = tfg_closest(op->columns[j], names);
        char path[128];
        col_path(path, sizeof path, op, index, cs, j);
        if (near)
            tfg_err_field(err, TFG_EINPUT, x->file, path,
                          "no column '%s' (did you mean '%s'?)", op->columns[j], near);
        else
            tfg_err_field(err, TFG_EINPUT, x->file, path,
                          "no column '%s' (the table has %zu columns: %s%s)", op->columns[j],
                          t->n_cols, t->n_cols ? names[0] : "", t->n_cols > 1 ? ", ..." : "");
        free(names);
        return TFG_EINPUT;
    }
    return TFG_OK;
}

typedef bool (*col_pred)(const tfg_exec *x, const tfg_column *c);

static bool any_column(const tfg_exec *x, const tfg_column *c)
{
    return true;
}

static bool numeric_feature(const tfg_exec *x, const tfg_column *c)
{
    return c->type == TFG_COL_NUM && tfg_exec_is_feature(x, c->name);
}

static bool feature_with_missing(const tfg_exec *x, const tfg_column *c)
{
    if (!tfg_exec_is_feature(x, c->name))
        return false;
    int ci = (int)(c - x->part[0].cols);
    for (size_t p = 0; p < x->n_parts; p++)
        if (tfg_col_count_missing(&x->part[p].cols[ci], x->part[p].n_rows))
            return true;
    return false;
}

/* The op's named columns, or the columns the default predicate picks. */
static tfg_status resolve(const tfg_exec *x, const tfg_plan_op *op, size_t index,
                          col_pred def, colset *cs, tfg_err *err)
{
    memset(cs, 0, sizeof *cs);
    if (op->columns)
        return resolve_named(x, op, index, cs, err);
    const tfg_table *t = &x->part[0];
    cs->idx = tfg_xcalloc(t->n_cols + 1, sizeof *cs->idx);
    for (size_t c = 0; c < t->n_cols; c++)
        if (def(x, &t->cols[c]))
            cs->idx[cs->n++] = c;
    return TFG_OK;
}

/* Fails unless every column of cs has the wanted type (and, if no_label, is not the
 * label). what says what the op needs, for the message. */
static tfg_status check_cols(const tfg_exec *x, const tfg_plan_op *op, size_t index,
                             const colset *cs, int want, bool no_label, const char *what,
                             tfg_err *err)
{
    for (size_t j = 0; j < cs->n; j++) {
        const tfg_column *c = &x->part[0].cols[cs->idx[j]];
        char path[128];
        col_path(path, sizeof path, op, index, cs, j);
        if (no_label && tfg_exec_is_label(x, c->name))
            return tfg_err_field(err, TFG_EINPUT, x->file, path,
                                 "%s may not change the label column '%s'",
                                 tfg_op_names[op->kind], c->name);
        if (want >= 0 && (int)c->type != want)
            return tfg_err_field(err, TFG_EINPUT, x->file, path,
                                 "%s needs %s column; '%s' is %s", tfg_op_names[op->kind], what,
                                 c->name, c->type == TFG_COL_NUM ? "numeric" : "categorical");
    }
    return TFG_OK;
}

static tfg_status post_fail(const tfg_exec *x, size_t index, const tfg_plan_op *op,
                            tfg_err *err, const char *what)
{
    char path[64];
    tfg_exec_path(path, sizeof path, index, NULL, SIZE_MAX);
    return tfg_err_field(err, TFG_ECHECK, x->file, path, "%s: post-condition failed: %s",
                         tfg_op_names[op->kind], what);
}

static const char *part_name(const tfg_exec *x, size_t p)
{
    static const char *const names[] = {"train", "val", "test"};
    return x->n_parts == 1 ? "table" : names[p];
}

/* "dropped 3 rows <reason>" on the whole table, or after the split "dropped 3 training
 * rows <reason>", plus what val and test kept: found counts the matching rows of every
 * part, and only part[0]'s go. */
static void did_drops(tfg_exec *x, size_t dropped, size_t found, const char *reason)
{
    x->found = found;
    x->has_found = true;
    tfg_exec_did(x, "dropped %zu %srow%s %s", dropped, x->n_parts == 3 ? "training " : "",
                 dropped == 1 ? "" : "s", reason);
    if (x->n_parts == 3 && found > dropped)
        tfg_exec_did(x, " (%zu more in val and test, kept: no op removes their rows)",
                     found - dropped);
}

/* Keeps the rows with keep[i] set; returns how many were dropped. */
static size_t keep_rows(tfg_table *t, const bool *keep)
{
    size_t *idx = tfg_xmalloc((t->n_rows + 1) * sizeof *idx), n = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        if (keep[i])
            idx[n++] = i;
    size_t dropped = t->n_rows - n;
    if (dropped)
        tfg_table_select_rows(t, idx, n);
    free(idx);
    return dropped;
}

static bool label_may_go(const tfg_exec *x)
{
    return x->spec->task == TFG_TASK_ANOMALY || !x->spec->label;
}

/* ---- select_columns, drop_columns ---------------------------------------------------- */

static bool in_list(char **list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}

tfg_status tfg_op_select_columns(tfg_exec *x, const tfg_plan_op *op, size_t index,
                                 tfg_err *err)
{
    colset cs;
    tfg_status st = resolve(x, op, index, any_column, &cs, err);
    free(cs.idx);
    if (st)
        return st;
    const char *label = x->spec->label;
    if (!label_may_go(x) && tfg_table_find(&x->part[0], label) >= 0 &&
        !in_list(op->columns, op->n_columns, label)) {
        char path[64];
        tfg_exec_path(path, sizeof path, index, "columns", SIZE_MAX);
        return tfg_err_field(err, TFG_EINPUT, x->file, path,
                             "the label column '%s' must stay; add it to the list", label);
    }
    size_t before = x->part[0].n_cols;
    size_t *keep = tfg_xcalloc(op->n_columns + 1, sizeof *keep);
    for (size_t p = 0; p < x->n_parts; p++) {
        tfg_table *t = &x->part[p];
        for (size_t j = 0; j < op->n_columns; j++)
            keep[j] = (size_t)tfg_table_find(t, op->columns[j]); /* resolve found them all */
        tfg_table_keep_cols(t, keep, op->n_columns);
    }
    free(keep);
    if (x->part[0].n_cols != op->n_columns)
        return post_fail(x, index, op, err, "the table does not have exactly these columns");
    tfg_exec_did(x, "kept %zu of %zu columns", op->n_columns, before);
    return TFG_OK;
}

tfg_status tfg_op_drop_columns(tfg_exec *x, const tfg_plan_op *op, size_t index,
                               tfg_err *err)
{
    colset cs;
    tfg_status st = resolve(x, op, index, any_column, &cs, err);
    for (size_t j = 0; j < cs.n && !st; j++)
        if (!label_may_go(x) && tfg_exec_is_label(x, op->columns[j])) {
            char path[64];
            tfg_exec_path(path, sizeof path, index, "columns", j);
            st = tfg_err_field(err, TFG_EINPUT, x->file, path,
                               "'%s' is the label; a %s model cannot do without it",
                               op->columns[j], tfg_task_name(x->spec->task));
        }
    free(cs.idx);
    if (st)
        return st;
    for (size_t p = 0; p < x->n_parts; p++) {
        tfg_table *t = &x->part[p];
        bool *gone = tfg_xcalloc(t->n_cols + 1, sizeof *gone);
        for (size_t j = 0; j < op->n_columns; j++)
            gone[tfg_table_find(t, op->columns[j])] = true;
        size_t *keep = tfg_xcalloc(t->n_cols + 1, sizeof *keep), k = 0;
        for (size_t c = 0; c < t->n_cols; c++)
            if (!gone[c])
                keep[k++] = c;
        tfg_table_keep_cols(t, keep, k);
        free(keep);
        free(gone);
    }
    for (size_t j = 0; j < op->n_columns; j++)
        if (tfg_table_find(&x->part[0], op->columns[j]) >= 0)
            return post_fail(x, index, op, err, "a dropped column is still there");
    tfg_exec_did(x, "dropped %zu column%s (", op->n_columns, op->n_columns == 1 ? "" : "s");
    for (size_t j = 0; j < op->n_columns; j++)
        tfg_exec_did(x, "%s%s", j ? ", " : "", op->columns[j]);
    tfg_exec_did(x, ")");
    return TFG_OK;
}

/* ---- drop_missing -------------------------------------------------------------------- */

tfg_status tfg_op_drop_missing(tfg_exec *x, const tfg_plan_op *op, size_t index,
                               tfg_err *err)
{
    colset cs;
    tfg_status st = resolve(x, op, index, any_column, &cs, err);
    if (st) {
        free(cs.idx);
        return st;
    }
    size_t dropped = 0, found = 0;
    for (size_t p = 0; p < x->n_parts; p++) {
        tfg_table *t = &x->part[p];
        bool *keep = tfg_xmalloc((t->n_rows + 1) * sizeof *keep);
        for (size_t i = 0; i < t->n_rows; i++) {
            keep[i] = true;
            for (size_t j = 0; j < cs.n; j++)
                if (tfg_col_is_missing(&t->cols[cs.idx[j]], i))
                    keep[i] = false;
            found += !keep[i];
        }
        if (p == 0)
            dropped = keep_rows(t, keep);
        free(keep);
    }
    for (size_t j = 0; j < cs.n && !st; j++)
        if (tfg_col_count_missing(&x->part[0].cols[cs.idx[j]], x->part[0].n_rows))
            st = post_fail(x, index, op, err, "a missing cell is left");
    tfg_buf why;
    tfg_buf_init(&why);
    tfg_buf_printf(&why, "with a missing cell");
    for (size_t j = 0; op->columns && j < op->n_columns; j++)
        tfg_buf_printf(&why, "%s%s", j ? ", " : " in ", op->columns[j]);
    if (!st)
        did_drops(x, dropped, found, why.data);
    tfg_buf_free(&why);
    free(cs.idx);
    return st;
}

/* ---- impute ------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The non-missing values of a numeric column, sorted; returns the count. */
static size_t sorted_values(const tfg_column *c, size_t n_rows, double **out)
{
    double *v = tfg_xmalloc((n_rows + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (!isnan(c->num[i]))
            v[n++] = c->num[i];
    qsort(v, n, sizeof *v, cmp_double);
    *out = v;
    return n;
}

double tfg_quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (v[lo + 1] - v[lo]) * (pos - (double)lo);
}

/* The most frequent value of sorted v (ties: the smallest). */
static double mode_sorted(const double *v, size_t n)
{
    double best = NAN;
    size_t best_run = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        if (j - i > best_run) {
            best_run = j - i;
            best = v[i];
        }
        i = j;
    }
    return best;
}

static void mean_std(const double *v, size_t n, bool sample, double *mean, double *std)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    *mean = n ? s / (double)n : NAN;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - *mean) * (v[i] - *mean);
    size_t d = sample ? n - 1 : n;
    *std = n > (sample ? 1u : 0u) ? sqrt(ss / (double)d) : 0;
}

/* The most frequent level of a categorical column (ties: the smaller name), or -1. */
static int32_t mode_level(const tfg_column *c, size_t n_rows)
{
    size_t *count = tfg_xcalloc(c->n_levels + 1, sizeof *count);
    for (size_t i = 0; i < n_rows; i++)
        if (c->cat[i] >= 0)
            count[c->cat[i]]++;
    int32_t best = -1;
    for (size_t l = 0; l < c->n_levels; l++)
        if (count[l] && (best < 0 || count[l] > count[best] ||
                         (count[l] == count[best] && strcmp(c->levels[l], c->levels[best]) < 0)))
            best = (int32_t)l;
    free(count);
    return best;
}

static const char *const strategy_names[] = {"mean", "median", "mode", "constant"};

/* Fits the fill value of one numeric column on part[0]; false when it has no values. */
static bool impute_fit_num(const tfg_exec *x, const tfg_plan_op *op, size_t ci, double *out)
{
    if (op->strategy == TFG_IMPUTE_CONSTANT) {
        *out = op->value_num;
        return true;
    }
    double *v, mean, std;
    size_t n = sorted_values(&x->part[0].cols[ci], x->part[0].n_rows, &v);
    if (op->strategy == TFG_IMPUTE_MEAN)
        mean_std(v, n, false, &mean, &std);
    *out = op->strategy == TFG_IMPUTE_MEAN     ? mean
           : op->strategy == TFG_IMPUTE_MEDIAN ? tfg_quantile_sorted(v, n, 0.5)
                                               : mode_sorted(v, n);
    free(v);
    return n > 0;
}

static tfg_status impute_check_types(const tfg_exec *x, const tfg_plan_op *op, size_t index,
                                     const colset *cs, tfg_err *err)
{
    tfg_status st = check_cols(x, op, index, cs, -1, true, "", err);
    for (size_t j = 0; j < cs->n && !st; j++) {
        const tfg_column *c = &x->part[0].cols[cs->idx[j]];
        char path[128];
        col_path(path, sizeof path, op, index, cs, j);
        bool cat = c->type == TFG_COL_CAT;
        if (cat && (op->strategy == TFG_IMPUTE_MEAN || op->strategy == TFG_IMPUTE_MEDIAN))
            st = tfg_err_field(err, TFG_EINPUT, x->file, path,
                               "impute strategy '%s' needs a numeric column; '%s' is "
                               "categorical (use mode or constant)",
                               strategy_names[op->strategy], c->name);
        else if (op->strategy == TFG_IMPUTE_CONSTANT && cat != op->value_is_str)
            st = tfg_err_field(err, TFG_EINPUT, x->file, path,
                               "column '%s' is %s, so the constant value must be a %s",
                               c->name, cat ? "categorical" : "numeric",
                               cat ? "string" : "number");
    }
    return st;
}

/* Fills one column in every part; returns the cells filled. The value goes into the
 * preprocess step as the float32 the device will use. */
static tfg_status impute_column(tfg_exec *x, const tfg_plan_op *op, size_t index,
                                const colset *cs, size_t j, json_t *entries, size_t *filled,
                                tfg_err *err)
{
    size_t ci = cs->idx[j];
    tfg_column *c0 = &x->part[0].cols[ci];
    json_t *e = json_pack("{s:s}", "column", c0->name);
    *filled = 0;
    if (c0->type == TFG_COL_NUM) {
        double v;
        if (!impute_fit_num(x, op, ci, &v)) {
            json_decref(e);
            char path[128];
            col_path(path, sizeof path, op, index, cs, j);
            return tfg_err_field(err, TFG_ECHECK, x->file, path,
                                 "column '%s' has no values in the %s to take a %s from",
                                 c0->name, part_name(x, 0), strategy_names[op->strategy]);
        }
        float f = (float)v;
        json_object_set_new(e, "value", json_real(f));
        for (size_t p = 0; p < x->n_parts; p++)
            for (size_t i = 0; i < x->part[p].n_rows; i++)
                if (isnan(x->part[p].cols[ci].num[i])) {
                    x->part[p].cols[ci].num[i] = f;
                    (*filled)++;
                }
    } else {
        const char *level = op->value_str;
        if (op->strategy == TFG_IMPUTE_MODE) {
            int32_t m = mode_level(c0, x->part[0].n_rows);
            if (m < 0) {
                json_decref(e);
                char path[128];
                col_path(path, sizeof path, op, index, cs, j);
                return tfg_err_field(err, TFG_ECHECK, x->file, path,
                                     "column '%s' has no values in the %s to take a mode from",
                                     c0->name, part_name(x, 0));
            }
            level = c0->levels[m];
        }
        json_object_set_new(e, "value", json_string(level));
        char *keep = tfg_xstrdup(level); /* interning may move the level array */
        for (size_t p = 0; p < x->n_parts; p++) {
            tfg_column *c = &x->part[p].cols[ci];
            int32_t l = tfg_col_intern(c, keep, strlen(keep));
            for (size_t i = 0; i < x->part[p].n_rows; i++)
                if (c->cat[i] < 0) {
                    c->cat[i] = l;
                    (*filled)++;
                }
        }
        free(keep);
    }
    json_array_append_new(entries, e);
    return TFG_OK;
}

/* The default columns keep only those the strategy can fill: mean and median need
 * numbers, a constant fills columns of its own type, mode fills any. */
static void keep_imputable(const tfg_exec *x, const tfg_plan_op *op, colset *cs)
{
    size_t n = 0;
    for (size_t j = 0; j < cs->n; j++) {
        bool cat = x->part[0].cols[cs->idx[j]].type == TFG_COL_CAT;
        bool ok = op->strategy == TFG_IMPUTE_MODE ||
                  (op->strategy == TFG_IMPUTE_CONSTANT ? cat == op->value_is_str : !cat);
        if (ok)
            cs->idx[n++] = cs->idx[j];
    }
    cs->n = n;
}

tfg_status tfg_op_impute(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    colset cs;
    tfg_status st = resolve(x, op, index, feature_with_missing, &cs, err);
    if (!st && !op->columns)
        keep_imputable(x, op, &cs);
    if (!st) st = impute_check_types(x, op, index, &cs, err);
    json_t *entries = json_array();
    size_t total = 0;
    tfg_buf detail;
    tfg_buf_init(&detail);
    for (size_t j = 0; j < cs.n && !st; j++) {
        size_t filled = 0;
        st = impute_column(x, op, index, &cs, j, entries, &filled, err);
        total += filled;
        if (!st && filled)
            tfg_buf_printf(&detail, "%s%s: %zu", detail.len ? ", " : "",
                           x->part[0].cols[cs.idx[j]].name, filled);
    }
    for (size_t p = 0; p < x->n_parts && !st; p++)
        for (size_t j = 0; j < cs.n && !st; j++)
            if (tfg_col_count_missing(&x->part[p].cols[cs.idx[j]], x->part[p].n_rows))
                st = post_fail(x, index, op, err, "a missing cell is left");
    if (!st && json_array_size(entries))
        json_array_append_new(x->steps, json_pack("{s:s,s:s,s:o}", "step", "impute",
                                                  "strategy", strategy_names[op->strategy],
                                                  "columns", json_incref(entries)));
    if (!st) {
        if (op->strategy == TFG_IMPUTE_CONSTANT)
            tfg_exec_did(x, "filled %zu missing cells with the constant", total);
        else
            tfg_exec_did(x, "filled %zu missing cells with the %s%s", total,
                         x->n_parts == 3 ? "training " : "", strategy_names[op->strategy]);
        tfg_exec_did(x, total ? " (%s)" : " (no feature column had a missing cell)",
                     detail.len ? detail.data : "");
    }
    tfg_buf_free(&detail);
    json_decref(entries);
    free(cs.idx);
    return st;
}

/* ---- drop_duplicates ---------------------------------------------------------------- */

/* Marks the rows of part[0] equal to an earlier row of part[0] or to any row of val or
 * test: a copy of a test row left in training would let the model see the test. Counts
 * in *found every row of every part that repeats another (rows - distinct rows). Open
 * addressing over global row numbers + 1, val and test inserted first. */
static size_t mark_duplicates(const tfg_exec *x, bool *keep, size_t *found)
{
    size_t total = tfg_exec_rows(x), cap = 16, base[3] = {0, 0, 0};
    while (cap < 2 * total)
        cap *= 2;
    for (size_t p = 1; p < x->n_parts; p++)
        base[p] = base[p - 1] + x->part[p - 1].n_rows;
    size_t *slot = tfg_xcalloc(cap, sizeof *slot), dups = 0;
    *found = 0;
    for (size_t k = 0; k < x->n_parts; k++) {
        size_t p = (k + 1) % x->n_parts; /* val, test, then train */
        const tfg_table *t = &x->part[p];
        for (size_t i = 0; i < t->n_rows; i++) {
            bool dup = false;
            for (size_t h = (size_t)tfg_table_row_hash(t, i);; h++) {
                size_t *s = &slot[h & (cap - 1)];
                if (!*s) {
                    *s = base[p] + i + 1;
                    break;
                }
                size_t g = *s - 1;
                size_t q = x->n_parts < 3 ? 0 : (g >= base[2] ? 2 : (g >= base[1] ? 1 : 0));
                if (tfg_table_rows_equal(t, i, &x->part[q], g - base[q])) {
                    dup = true;
                    break;
                }
            }
            *found += dup;
            if (p == 0) {
                keep[i] = !dup;
                dups += dup;
            }
        }
    }
    free(slot);
    return dups;
}

tfg_status tfg_op_drop_duplicates(tfg_exec *x, const tfg_plan_op *op, size_t index,
                                  tfg_err *err)
{
    tfg_table *t = &x->part[0];
    bool *keep = tfg_xmalloc((t->n_rows + 1) * sizeof *keep);
    size_t found, again_found;
    mark_duplicates(x, keep, &found);
    size_t dropped = keep_rows(t, keep);
    bool again = mark_duplicates(x, keep, &again_found) != 0;
    free(keep);
    if (again)
        return post_fail(x, index, op, err, "duplicate rows are left");
    did_drops(x, dropped, found, x->n_parts == 3 ? "equal to an earlier row or to a val or "
                                                   "test row"
                                                 : "equal to an earlier row");
    return TFG_OK;
}

/* ---- outliers ------------------------------------------------------------------------ */

static bool fit_fences(const tfg_exec *x, const tfg_plan_op *op, size_t ci, double *lo,
                       double *hi)
{
    double *v;
    size_t n = sorted_values(&x->part[0].cols[ci], x->part[0].n_rows, &v);
    if (op->method == TFG_OUTLIER_IQR) {
        double q1 = tfg_quantile_sorted(v, n, 0.25), q3 = tfg_quantile_sorted(v, n, 0.75);
        *lo = q1 - op->k * (q3 - q1);
        *hi = q3 + op->k * (q3 - q1);
    } else {
        double mean, std;
        mean_std(v, n, true, &mean, &std);
        *lo = mean - op->k * std;
        *hi = mean + op->k * std;
    }
    free(v);
    return n > 0;
}

/* Clips every part to the float32 fences; returns the cells changed. */
static size_t clip_column(tfg_exec *x, size_t ci, float lo, float hi)
{
    size_t changed = 0;
    for (size_t p = 0; p < x->n_parts; p++) {
        double *v = x->part[p].cols[ci].num;
        for (size_t i = 0; i < x->part[p].n_rows; i++) {
            float f = (float)v[i];
            changed += f < lo || f > hi;
            v[i] = tfg_pp_clip(f, lo, hi);
        }
    }
    return changed;
}

static bool outside(double v, double lo, double hi)
{
    return !isnan(v) && (v < lo || v > hi);
}

static tfg_status outliers_apply(tfg_exec *x, const tfg_plan_op *op, size_t index,
                                 const colset *cs, double *lo, double *hi, tfg_err *err)
{
    json_t *entries = json_array();
    size_t dropped = 0, found = 0, total = 0;
    for (size_t j = 0; j < cs->n; j++) {
        if (op->action != TFG_ACTION_CLIP)
            break;
        lo[j] = (float)lo[j];
        hi[j] = (float)hi[j];
        total += clip_column(x, cs->idx[j], (float)lo[j], (float)hi[j]);
        json_array_append_new(entries, json_pack("{s:s,s:f,s:f}", "column",
                                                 x->part[0].cols[cs->idx[j]].name, "lo",
                                                 lo[j], "hi", hi[j]));
    }
    for (size_t p = 0; p < x->n_parts && op->action == TFG_ACTION_DROP; p++) {
        tfg_table *t = &x->part[p];
        bool *keep = tfg_xmalloc((t->n_rows + 1) * sizeof *keep);
        for (size_t i = 0; i < t->n_rows; i++) {
            keep[i] = true;
            for (size_t j = 0; j < cs->n; j++)
                if (outside(t->cols[cs->idx[j]].num[i], lo[j], hi[j]))
                    keep[i] = false;
            found += !keep[i];
        }
        if (p == 0) /* val and test keep their extreme rows: they are what is judged */
            dropped = keep_rows(t, keep);
        free(keep);
    }
    if (json_array_size(entries))
        json_array_append_new(x->steps, json_pack("{s:s,s:O}", "step", "clip", "columns",
                                                  entries));
    json_decref(entries);
    for (size_t j = 0; j < cs->n; j++)
        for (size_t i = 0; i < x->part[0].n_rows; i++)
            if (outside(x->part[0].cols[cs->idx[j]].num[i], lo[j], hi[j]))
                return post_fail(x, index, op, err, "a cell is outside the fences");
    if (op->action == TFG_ACTION_CLIP)
        tfg_exec_did(x, "clipped %zu cell%s to the %s fences", total, total == 1 ? "" : "s",
                     op->method == TFG_OUTLIER_IQR ? "IQR" : "z-score");
    else
        did_drops(x, dropped, found,
                  op->method == TFG_OUTLIER_IQR ? "beyond the IQR fences"
                                                : "beyond the z-score fences");
    return TFG_OK;
}

tfg_status tfg_op_outliers(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    colset cs;
    tfg_status st = resolve(x, op, index, numeric_feature, &cs, err);
    if (!st) st = check_cols(x, op, index, &cs, TFG_COL_NUM, false, "a numeric", err);
    double *lo = tfg_xcalloc(cs.n + 1, sizeof *lo), *hi = tfg_xcalloc(cs.n + 1, sizeof *hi);
    for (size_t j = 0; j < cs.n && !st; j++)
        if (!fit_fences(x, op, cs.idx[j], &lo[j], &hi[j])) {
            char path[128];
            col_path(path, sizeof path, op, index, &cs, j);
            st = tfg_err_field(err, TFG_ECHECK, x->file, path,
                               "column '%s' has no values in the %s to fit fences on",
                               x->part[0].cols[cs.idx[j]].name, part_name(x, 0));
        }
    if (!st) st = outliers_apply(x, op, index, &cs, lo, hi, err);
    for (size_t j = 0; j < cs.n && !st && j < 4; j++)
        tfg_exec_did(x, "%s%s %.6g..%.6g", j ? ", " : " (", x->part[0].cols[cs.idx[j]].name,
                     lo[j], hi[j]);
    if (!st && cs.n)
        tfg_exec_did(x, "%s)", cs.n > 4 ? ", ..." : "");
    free(lo);
    free(hi);
    free(cs.idx);
    return st;
}

/* ---- scale ------------------------------------------------------------------------- */

/* offset and scale of y = (x - offset) * scale for one column, fitted on part[0]. */
static bool fit_scale(const tfg_exec *x, const tfg_plan_op *op, size_t ci, double *offset,
                      double *scale)
{
    double spread;
    if (op->has_range) { /* nothing to fit: pixels, for one, are 0..255 whatever the data */
        *offset = op->range[0];
        spread = op->range[1] - op->range[0];
        *scale = 1 / spread;
        return true;
    }
    double *v;
    size_t n = sorted_values(&x->part[0].cols[ci], x->part[0].n_rows, &v);
    if (op->method == TFG_SCALE_ZSCORE) {
        mean_std(v, n, false, offset, &spread);
    } else {
        *offset = n ? v[0] : NAN;
        spread = n ? v[n - 1] - v[0] : 0;
    }
    /* A constant column carries no information: map it to 0 instead of dividing by 0. */
    *scale = spread > 0 ? 1 / spread : 0;
    free(v);
    return n > 0;
}

static void scale_column(tfg_exec *x, size_t ci, float offset, float scale)
{
    for (size_t p = 0; p < x->n_parts; p++) {
        double *v = x->part[p].cols[ci].num;
        for (size_t i = 0; i < x->part[p].n_rows; i++)
            v[i] = tfg_pp_affine((float)v[i], offset, scale);
    }
}

static bool scale_holds(const tfg_exec *x, const tfg_plan_op *op, size_t ci, double offset,
                        double scale)
{
    const tfg_table *t = &x->part[0];
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        double v = t->cols[ci].num[i];
        if (isnan(v))
            continue;
        if (op->method == TFG_SCALE_MINMAX && (v < -1e-6 || v > 1 + 1e-6))
            return false;
        s += v;
        n++;
    }
    /* float32 rounding of x bounds how close to 0 the mean can come */
    return op->method == TFG_SCALE_MINMAX || !n ||
           fabs(s / (double)n) <= 1e-3 + 1e-6 * fabs(offset * scale);
}

tfg_status tfg_op_scale(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    colset cs;
    tfg_status st = resolve(x, op, index, numeric_feature, &cs, err);
    if (!st) st = check_cols(x, op, index, &cs, TFG_COL_NUM, true, "a numeric", err);
    json_t *entries = json_array();
    for (size_t j = 0; j < cs.n && !st; j++) {
        size_t ci = cs.idx[j];
        double offset, scale;
        char path[128];
        col_path(path, sizeof path, op, index, &cs, j);
        if (!fit_scale(x, op, ci, &offset, &scale))
            st = tfg_err_field(err, TFG_ECHECK, x->file, path,
                               "column '%s' has no values in the %s to fit a scale on",
                               x->part[0].cols[ci].name, part_name(x, 0));
        if (st)
            break;
        float fo = (float)offset, fs = (float)scale;
        scale_column(x, ci, fo, fs);
        json_array_append_new(entries, json_pack("{s:s,s:f,s:f}", "column",
                                                 x->part[0].cols[ci].name, "offset", (double)fo,
                                                 "scale", (double)fs));
        if (!scale_holds(x, op, ci, offset, scale))
            st = op->method == TFG_SCALE_MINMAX
                     ? tfg_err_field(err, TFG_ECHECK, x->file, path,
                                     "scale: post-condition failed: '%s' has values outside "
                                     "[0, 1] after minmax scaling%s",
                                     x->part[0].cols[ci].name,
                                     op->has_range ? " (the data exceeds the fixed range)" : "")
                     : tfg_err_field(err, TFG_ECHECK, x->file, path,
                                     "scale: post-condition failed: '%s' does not have mean 0 "
                                     "after zscore scaling",
                                     x->part[0].cols[ci].name);
        if (j < 3)
            tfg_exec_did(x, "%s%s: offset %.6g, scale %.6g", j ? "; " : "",
                         x->part[0].cols[ci].name, (double)fo, (double)fs);
    }
    if (!st && json_array_size(entries))
        json_array_append_new(x->steps, json_pack("{s:s,s:s,s:O}", "step", "affine", "method",
                                                  op->method == TFG_SCALE_MINMAX ? "minmax"
                                                                                 : "zscore",
                                                  "columns", entries));
    json_decref(entries);
    char head[160];
    snprintf(head, sizeof head, "%s %zu column%s with the %s%s%s", 
             op->method == TFG_SCALE_MINMAX ? "min-max scaled" : "standardized", cs.n,
             cs.n == 1 ? "" : "s", op->has_range ? "fixed range" : "",
             op->has_range ? "" : (x->n_parts == 3 ? "training " : ""),
             op->has_range ? "" : (op->method == TFG_SCALE_MINMAX ? "min and max" : "mean and std"));
    if (!st) {
        char body[sizeof x->did];
        snprintf(body, sizeof body, "%s", x->did);
        x->did[0] = '\0';
        tfg_exec_did(x, "%s%s%s%s%s", head, cs.n ? " (" : "", body, cs.n > 3 ? "; ..." : "",
                     cs.n ? ")" : "");
    }
    free(cs.idx);
    return st;
}

/* ---- label_encode, one_hot ---------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The levels that occur in part[0]'s column ci, sorted by name (pointers into it). */
static size_t fitted_levels(const tfg_exec *x, size_t ci, const char ***out)
{
    const tfg_column *c = &x->part[0].cols[ci];
    bool *seen = tfg_xcalloc(c->n_levels + 1, sizeof *seen);
    for (size_t i = 0; i < x->part[0].n_rows; i++)
        if (c->cat[i] >= 0)
            seen[c->cat[i]] = true;
    const char **v = tfg_xcalloc(c->n_levels + 1, sizeof *v);
    size_t n = 0;
    for (size_t l = 0; l < c->n_levels; l++)
        if (seen[l])
            v[n++] = c->levels[l];
    qsort(v, n, sizeof *v, cmp_str);
    free(seen);
    *out = v;
    return n;
}

static int level_pos(const char *const *levels, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(levels[i], name))
            return (int)i;
    return -1;
}

/* The categorical column the op names, checked: not the label, categorical. */
static tfg_status encode_column(const tfg_exec *x, const tfg_plan_op *op, size_t index,
                                size_t *ci, tfg_err *err)
{
    colset cs;
    tfg_status st = resolve(x, op, index, any_column, &cs, err);
    if (!st && tfg_exec_is_label(x, op->columns[0])) {
        char path[64];
        tfg_exec_path(path, sizeof path, index, "column", SIZE_MAX);
        st = tfg_err_field(err, TFG_EINPUT, x->file, path,
                           "%s may not change the label column '%s' (the label becomes a "
                           "class index by itself)",
                           tfg_op_names[op->kind], op->columns[0]);
    }
    if (!st) st = check_cols(x, op, index, &cs, TFG_COL_CAT, true, "a categorical", err);
    if (!st)
        *ci = cs.idx[0];
    free(cs.idx);
    return st;
}

/* Replaces column ci of t with a numeric column of the same name and values v. */
static void replace_numeric(tfg_table *t, size_t ci, const char *name, double *v)
{
    char *keep = tfg_xstrdup(name);
    tfg_table_remove_col(t, ci);
    tfg_column *c = tfg_table_add_num(t, keep);
    memcpy(c->num, v, t->n_rows * sizeof *v);
    tfg_table_move_col(t, t->n_cols - 1, ci);
    free(keep);
}

/* A level that is a number in disguise says what would have read it as one. */
static const char *number_hint(const char *level)
{
    if (strchr(level, ',') && tfg_csv_number_kind(level, ','))
        return " (the level looks like a number with a decimal comma, so the column was read "
               "as categories: set \"decimal\": \",\" and a delimiter other than , in the "
               "data source, or tinyforge new --decimal , --delimiter ';')";
    if (tfg_csv_number_kind(level, '.') == 2)
        return " (the level looks like a number with a unit, so the column was read as "
               "categories: a column is numbers with a unit only when every cell carries the "
               "same unit)";
    return "";
}

/* Every level of every part must be one the fitted part has. */
static tfg_status check_seen(const tfg_exec *x, size_t index, size_t ci, const char **levels,
                             size_t nl, tfg_err *err)
{
    for (size_t p = 1; p < x->n_parts; p++) {
        const tfg_column *c = &x->part[p].cols[ci];
        for (size_t i = 0; i < x->part[p].n_rows; i++) {
            if (c->cat[i] < 0 || level_pos(levels, nl, c->levels[c->cat[i]]) >= 0)
                continue;
            char path[64];
            tfg_exec_path(path, sizeof path, index, NULL, SIZE_MAX);
            const char *lv = c->levels[c->cat[i]];
            return tfg_err_field(err, TFG_ECHECK, x->file, path,
                                 "label_encode: the %s split has level '%s' in '%s' that the "
                                 "training split does not have; one_hot maps unseen levels to "
                                 "all zeros%s",
                                 part_name(x, p), lv, c->name, number_hint(lv));
        }
    }
    return TFG_OK;
}

tfg_status tfg_op_label_encode(tfg_exec *x, const tfg_plan_op *op, size_t index,
                               tfg_err *err)
{
    size_t ci;
    tfg_status st = encode_column(x, op, index, &ci, err);
    if (st)
        return st;
    const char **levels;
    size_t nl = fitted_levels(x, ci, &levels);
    st = check_seen(x, index, ci, levels, nl, err);
    if (st) {
        free(levels);
        return st;
    }
    json_t *lv = json_array();
    for (size_t l = 0; l < nl; l++)
        json_array_append_new(lv, json_string(levels[l]));
    /* codes for every part first: replacing part[0]'s column frees the level names */
    double *codes[3] = {NULL, NULL, NULL};
    for (size_t p = 0; p < x->n_parts; p++) {
        const tfg_column *c = &x->part[p].cols[ci];
        codes[p] = tfg_xmalloc((x->part[p].n_rows + 1) * sizeof *codes[p]);
        for (size_t i = 0; i < x->part[p].n_rows; i++)
            codes[p][i] = c->cat[i] < 0 ? NAN : level_pos(levels, nl, c->levels[c->cat[i]]);
    }
    free(levels);
    json_array_append_new(x->steps, json_pack("{s:s,s:s,s:o}", "step", "label_encode",
                                              "column", op->columns[0], "levels", lv));
    for (size_t p = 0; p < x->n_parts; p++) {
        replace_numeric(&x->part[p], ci, op->columns[0], codes[p]);
        free(codes[p]);
    }
    if (x->part[0].cols[ci].type != TFG_COL_NUM)
        return post_fail(x, index, op, err, "the column is not numeric");
    tfg_exec_did(x, "encoded '%s' as codes 0..%zu of %zu sorted levels", op->columns[0],
                 nl ? nl - 1 : 0, nl);
    return TFG_OK;
}

/* Inserts the "col=level" columns of one part in place of column ci. */
static void one_hot_part(tfg_table *t, size_t ci, const char *const *levels, size_t nl)
{
    char *name = tfg_xstrdup(t->cols[ci].name);
    size_t n = t->n_rows;
    int32_t *cat = tfg_xmalloc((n + 1) * sizeof *cat);
    int *pos = tfg_xmalloc((t->cols[ci].n_levels + 1) * sizeof *pos);
    for (size_t l = 0; l < t->cols[ci].n_levels; l++)
        pos[l] = level_pos(levels, nl, t->cols[ci].levels[l]);
    for (size_t i = 0; i < n; i++)
        cat[i] = t->cols[ci].cat[i] < 0 ? -2 : pos[t->cols[ci].cat[i]];
    tfg_table_remove_col(t, ci);
    for (size_t l = 0; l < nl; l++) {
        char *cn = tfg_xasprintf("%s=%s", name, levels[l]);
        tfg_column *c = tfg_table_add_num(t, cn);
        free(cn);
        for (size_t i = 0; i < n; i++)
            c->num[i] = cat[i] == -2 ? NAN : (cat[i] == (int32_t)l ? 1.0 : 0.0);
        tfg_table_move_col(t, t->n_cols - 1, ci + l);
    }
    free(pos);
    free(cat);
    free(name);
}

static tfg_status one_hot_names_free(const tfg_exec *x, const tfg_plan_op *op, size_t index,
                                     const char *const *levels, size_t nl, tfg_err *err)
{
    for (size_t l = 0; l < nl; l++) {
        char *cn = tfg_xasprintf("%s=%s", op->columns[0], levels[l]);
        bool taken = tfg_table_find(&x->part[0], cn) >= 0;
        char path[64];
        tfg_exec_path(path, sizeof path, index, "column", SIZE_MAX);
        tfg_status st = taken ? tfg_err_field(err, TFG_EINPUT, x->file, path,
                                              "one_hot would make column '%s', which exists",
                                              cn)
                              : TFG_OK;
        free(cn);
        if (st)
            return st;
    }
    return TFG_OK;
}

tfg_status tfg_op_one_hot(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    size_t ci;
    tfg_status st = encode_column(x, op, index, &ci, err);
    if (st)
        return st;
    const char **levels;
    size_t nl = fitted_levels(x, ci, &levels);
    st = one_hot_names_free(x, op, index, levels, nl, err);
    if (!st && nl == 0) {
        char path[64];
        tfg_exec_path(path, sizeof path, index, "column", SIZE_MAX);
        st = tfg_err_field(err, TFG_ECHECK, x->file, path, "'%s' has no values in the %s",
                           op->columns[0], part_name(x, 0));
    }
    if (st) {
        free(levels);
        return st;
    }
    /* levels point into part[0]'s column, which one_hot_part removes: copy them first */
    char **lv = tfg_xcalloc(nl + 1, sizeof *lv);
    json_t *jl = json_array();
    for (size_t l = 0; l < nl; l++) {
        lv[l] = tfg_xstrdup(levels[l]);
        json_array_append_new(jl, json_string(lv[l]));
    }
    free(levels);
    const char *src = tfg_exec_source(x, op->columns[0]);
    char *source = tfg_xstrdup(src);
    for (size_t p = 0; p < x->n_parts; p++)
        one_hot_part(&x->part[p], ci, (const char *const *)lv, nl);
    for (size_t l = 0; l < nl; l++) {
        char *cn = tfg_xasprintf("%s=%s", op->columns[0], lv[l]);
        tfg_exec_add_derived(x, cn, source);
        if (tfg_table_find(&x->part[0], cn) < 0 ||
            x->part[0].cols[tfg_table_find(&x->part[0], cn)].type != TFG_COL_NUM)
            st = post_fail(x, index, op, err, "a one-hot column is missing or not numeric");
        free(cn);
    }
    json_array_append_new(x->steps, json_pack("{s:s,s:s,s:o}", "step", "one_hot", "column",
                                              op->columns[0], "levels", jl));
    tfg_exec_did(x, "replaced '%s' by %zu 0/1 columns (", op->columns[0], nl);
    for (size_t l = 0; l < nl; l++)
        tfg_exec_did(x, "%s%s=%s", l ? ", " : "", op->columns[0], lv[l]);
    tfg_exec_did(x, ")");
    free(source);
    tfg_strv_free(lv);
    return st;
}

/* ---- shuffle ------------------------------------------------------------------------ */

tfg_status tfg_op_shuffle(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    tfg_rng rng;
    uint64_t seed = tfg_exec_seed(x, op);
    tfg_rng_seed(&rng, seed);
    /* The training split only: the order of val and test does not change what they
     * measure, and test keeping the split's order is what lets test_raw.bin replay. */
    tfg_table *t = &x->part[0];
    size_t *idx = tfg_xmalloc((t->n_rows + 1) * sizeof *idx);
    for (size_t i = 0; i < t->n_rows; i++)
        idx[i] = i;
    tfg_rng_shuffle(&rng, idx, t->n_rows);
    tfg_table_select_rows(t, idx, t->n_rows);
    free(idx);
    tfg_exec_did(x, "shuffled %zu %srows (seed %llu)", t->n_rows,
                 x->n_parts == 3 ? "training " : "", (unsigned long long)seed);
    return TFG_OK;
}
