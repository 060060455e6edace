/* plan_builtin.c — the builtin data planner: a deterministic plan from the data profile and
 * the spec, the plan a careful person would write for ordinary tabular or image data.
 * It is the offline default and the fallback when an LLM's plan keeps failing. Every op
 * carries a `why` that cites the profile's numbers, so the plan explains itself.
 *
 * It drops a row only for evidence that the row is wrong (no label, an exact copy of
 * another row), never for being extreme: an extreme reading may be the very case the
 * model is to learn (a labelled anomaly, the sick patient). Far values are clipped to a
 * range learned on the training split instead, and not touched at all when the task is
 * anomaly detection. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/plan.h"

/* Categorical features with at most this many levels are one-hot encoded. */
#define ONE_HOT_MAX_LEVELS 16
/* Oversample when the largest class is more than this many times the smallest. */
#define IMBALANCE_RATIO 1.5
/* Values beyond this many IQRs from the quartiles are clipped to that fence. */
#define FAR_OUTLIER_IQR 3.0

static json_t *new_op(const char *name, char *why)
{
    json_t *o = json_pack("{s:s,s:s}", "op", name, "why", why);
    free(why);
    return o;
}

static const tfg_col_profile *find_col(const tfg_profile *p, const char *name)
{
    for (size_t i = 0; name && i < p->n_cols; i++)
        if (!strcmp(p->cols[i].name, name))
            return &p->cols[i];
    return NULL;
}

/* The feature columns the plan works on: the spec's, or every column but the label. */
static size_t features(const tfg_profile *p, const tfg_spec *s, const tfg_col_profile ***out)
{
    const tfg_col_profile **v = tfg_xcalloc(p->n_cols + 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < p->n_cols; i++) {
        const tfg_col_profile *c = &p->cols[i];
        bool want = !s->label || strcmp(c->name, s->label);
        if (want && s->features) {
            want = false;
            for (size_t f = 0; f < s->n_features; f++)
                want = want || !strcmp(s->features[f], c->name);
        }
        if (want)
            v[n++] = c;
    }
    *out = v;
    return n;
}

static json_t *names_array(const tfg_col_profile **cols, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(cols[i]->name));
    return a;
}

static bool far_outliers(const tfg_col_profile *c, double *lo, double *hi)
{
    double iqr = c->q3 - c->q1;
    *lo = c->q1 - FAR_OUTLIER_IQR * iqr;
    *hi = c->q3 + FAR_OUTLIER_IQR * iqr;
    /* iqr 0 (a mostly constant or binary column): every other value would look "far".
     * And a few far values stretch the scale of the rest, but many (over 2 % of the
     * cells, e.g. the ink of a pixel column that is mostly background) are the shape of
     * the data: clipping them would flatten it. */
    return c->type == TFG_COL_NUM && c->count > 0 && iqr > 0 && c->distinct > 2 &&
           c->far_outliers > 0 && c->far_outliers * 50 <= c->count;
}

static void plan_outliers(json_t *ops, const tfg_col_profile **f, size_t nf)
{
    const tfg_col_profile **hit = tfg_xcalloc(nf + 1, sizeof *hit);
    size_t n = 0;
    tfg_buf why;
    tfg_buf_init(&why);
    for (size_t i = 0; i < nf; i++) {
        double lo, hi;
        if (!far_outliers(f[i], &lo, &hi))
            continue;
        hit[n++] = f[i];
        tfg_buf_printf(&why, "%s'%s' reaches %.4g..%.4g, beyond its 3 IQR fences %.4g..%.4g "
                       "(%zu values outside the 1.5 IQR fences)",
                       n > 1 ? "; " : "", f[i]->name, f[i]->min, f[i]->max, lo, hi,
                       f[i]->outliers);
    }
    if (n) {
        tfg_buf_printf(&why, ": clip such values to the 3 IQR fences of the training split so "
                       "a few extreme readings do not stretch the scale of the rest; no row "
                       "goes for being extreme");
        json_t *o = new_op("outliers", tfg_buf_take(&why));
        json_object_set_new(o, "columns", names_array(hit, n));
        json_object_set_new(o, "method", json_string("iqr"));
        json_object_set_new(o, "k", json_real(FAR_OUTLIER_IQR));
        json_object_set_new(o, "action", json_string("clip"));
        json_array_append_new(ops, o);
    }
    tfg_buf_free(&why);
    free(hit);
}

static void plan_split(json_t *ops, const tfg_profile *p, const tfg_spec *s)
{
    bool strat = s->task == TFG_TASK_CLASSIFICATION;
    tfg_buf why;
    tfg_buf_init(&why);
    tfg_buf_printf(&why, "hold out 15%% of the %zu raw rows for validation and 15%% for "
                   "testing, drawn before any other op so no cleaning touches them",
                   p->n_rows);
    if (strat && p->n_classes) {
        tfg_buf_printf(&why, ", stratified so every split keeps the class balance (");
        for (size_t k = 0; k < p->n_classes; k++)
            tfg_buf_printf(&why, "%s%s: %zu", k ? ", " : "", p->classes[k], p->class_counts[k]);
        tfg_buf_printf(&why, ")");
    }
    json_t *o = new_op("split", tfg_buf_take(&why));
    json_object_set_new(o, "train", json_real(0.7));
    json_object_set_new(o, "val", json_real(0.15));
    json_object_set_new(o, "test", json_real(0.15));
    json_object_set_new(o, "stratify", json_boolean(strat));
    json_array_append_new(ops, o);
}

/* impute median (numeric) or mode (categorical) for the features with missing cells. */
static void plan_impute(json_t *ops, const tfg_col_profile **f, size_t nf, bool categorical)
{
    const tfg_col_profile **hit = tfg_xcalloc(nf + 1, sizeof *hit);
    size_t n = 0;
    tfg_buf why;
    tfg_buf_init(&why);
    for (size_t i = 0; i < nf; i++)
        if (f[i]->missing && (f[i]->type == TFG_COL_CAT) == categorical) {
            tfg_buf_printf(&why, "%s'%s' has %zu missing cells", n ? ", " : "", f[i]->name,
                           f[i]->missing);
            hit[n++] = f[i];
        }
    if (n) {
        tfg_buf_printf(&why, categorical ? "; fill with the most frequent training level"
                                         : "; fill with the training median, which outliers "
                                           "do not pull");
        json_t *o = new_op("impute", tfg_buf_take(&why));
        json_object_set_new(o, "columns", names_array(hit, n));
        json_object_set_new(o, "strategy", json_string(categorical ? "mode" : "median"));
        json_array_append_new(ops, o);
    }
    tfg_buf_free(&why);
    free(hit);
}

static void plan_encode(json_t *ops, const tfg_col_profile **f, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        if (f[i]->type != TFG_COL_CAT)
            continue;
        bool hot = f[i]->n_levels <= ONE_HOT_MAX_LEVELS;
        char *why = hot ? tfg_xasprintf("'%s' is categorical with %zu levels (at most %d): one "
                                        "0/1 input per level",
                                        f[i]->name, f[i]->n_levels, ONE_HOT_MAX_LEVELS)
                        : tfg_xasprintf("'%s' is categorical with %zu levels, too many for "
                                        "one-hot inputs: encode as one code",
                                        f[i]->name, f[i]->n_levels);
        json_t *o = new_op(hot ? "one_hot" : "label_encode", why);
        json_object_set_new(o, "column", json_string(f[i]->name));
        json_array_append_new(ops, o);
    }
}

static void plan_scale(json_t *ops, const tfg_col_profile **f, size_t nf)
{
    const tfg_col_profile **num = tfg_xcalloc(nf + 1, sizeof *num);
    size_t n = 0;
    tfg_buf why;
    tfg_buf_init(&why);
    tfg_buf_printf(&why, "put the numeric features on one scale for training (");
    for (size_t i = 0; i < nf; i++)
        if (f[i]->type == TFG_COL_NUM) {
            if (n < 6)
                tfg_buf_printf(&why, "%s%s: mean %.4g, std %.4g", n ? "; " : "", f[i]->name,
                               f[i]->mean, f[i]->std);
            num[n++] = f[i];
        }
    tfg_buf_printf(&why, "%s); fitted on the training split", n > 6 ? "; ..." : "");
    if (n) {
        json_t *o = new_op("scale", tfg_buf_take(&why));
        json_object_set_new(o, "columns", names_array(num, n));
        json_object_set_new(o, "method", json_string("zscore"));
        json_array_append_new(ops, o);
    }
    tfg_buf_free(&why);
    free(num);
}

static void plan_balance(json_t *ops, const tfg_profile *p)
{
    if (p->n_classes < 2)
        return;
    size_t lo = 0, hi = 0;
    for (size_t k = 1; k < p->n_classes; k++) {
        if (p->class_counts[k] < p->class_counts[lo]) lo = k;
        if (p->class_counts[k] > p->class_counts[hi]) hi = k;
    }
    if ((double)p->class_counts[hi] <= IMBALANCE_RATIO * (double)p->class_counts[lo])
        return;
    json_t *o = new_op("balance",
                       tfg_xasprintf("the largest class '%s' has %zu rows, the smallest '%s' "
                                     "%zu (%.2fx, more than %.1fx): oversample the training "
                                     "split so every class counts the same",
                                     p->classes[hi], p->class_counts[hi], p->classes[lo],
                                     p->class_counts[lo],
                                     (double)p->class_counts[hi] /
                                         (double)(p->class_counts[lo] ? p->class_counts[lo] : 1),
                                     IMBALANCE_RATIO));
    json_object_set_new(o, "method", json_string("oversample"));
    json_array_append_new(ops, o);
}

static void plan_tabular(json_t *ops, const tfg_profile *p, const tfg_spec *s)
{
    const tfg_col_profile **f;
    size_t nf = features(p, s, &f);
    const tfg_col_profile *label = find_col(p, s->label);
    if (p->n_cols > nf + (label ? 1 : 0)) {
        json_t *o = new_op("select_columns",
                           tfg_xasprintf("the data has %zu columns; the model uses %zu "
                                         "features%s",
                                         p->n_cols, nf, label ? " and the label" : ""));
        json_t *cols = names_array(f, nf);
        if (label)
            json_array_append_new(cols, json_string(label->name));
        json_object_set_new(o, "columns", cols);
        json_array_append_new(ops, o);
    }
    if (label && label->missing) {
        json_t *o = new_op("drop_missing", tfg_xasprintf("%zu rows have a missing label: "
                                                         "nothing to learn from (val and "
                                                         "test set theirs aside, counted)",
                                                         label->missing));
        json_object_set_new(o, "columns", json_pack("[s]", label->name));
        json_array_append_new(ops, o);
    }
    if (p->duplicate_rows)
        json_array_append_new(ops, new_op("drop_duplicates",
                                          tfg_xasprintf("%zu rows repeat an earlier row exactly",
                                                        p->duplicate_rows)));
    plan_split(ops, p, s);
    plan_impute(ops, f, nf, false);
    plan_impute(ops, f, nf, true);
    /* an extreme reading is what anomaly detection looks for: leave it as it is */
    if (s->task != TFG_TASK_ANOMALY)
        plan_outliers(ops, f, nf);
    plan_encode(ops, f, nf);
    plan_scale(ops, f, nf);
    if (s->task == TFG_TASK_CLASSIFICATION)
        plan_balance(ops, p);
    free(f);
}

static void plan_images(json_t *ops, const tfg_profile *p, const tfg_spec *s)
{
    plan_split(ops, p, s);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < p->n_cols; i++)
        if (p->cols[i].type == TFG_COL_NUM && (!s->label || strcmp(p->cols[i].name, s->label)) &&
            p->cols[i].count) {
            lo = fmin(lo, p->cols[i].min);
            hi = fmax(hi, p->cols[i].max);
        }
    json_t *o = new_op("scale",
                       tfg_xasprintf("%u x %u images with pixel values %g..%g: map the fixed "
                                     "pixel range 0..255 to 0..1 (no fitting needed)",
                                     p->shape[0], p->shape[1], lo, hi));
    json_object_set_new(o, "method", json_string("minmax"));
    json_object_set_new(o, "range", json_pack("[i,i]", 0, 255));
    json_array_append_new(ops, o);
}

json_t *tfg_plan_builtin(const tfg_profile *prof, const tfg_spec *s)
{
    json_t *ops = json_array();
    if (prof->shape[0])
        plan_images(ops, prof, s);
    else
        plan_tabular(ops, prof, s);
    return json_pack("{s:i,s:o}", "plan_version", 1, "ops", ops);
}
