/* exec.c — running a data plan: the executor loop (progress, one log entry per op),
 * and the end of the plan: checking that the features are numeric and complete, turning
 * the label into class indexes, packing the float32 splits, and writing preprocess.json
 * (the per-row steps a device applies, restricted to what the model inputs need).
 * The dispatch to the ops is here (tfg_op_run); the ops themselves are in ops.c, window.c
 * and split.c, and the state helpers they all call in exec_state.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "data/plan.h"
#include "data/exec_state.h"
#include "data/ops.h"
#include "data/preprocess.h"

/* ---- what the table looked like before the plan --------------------------------------- */

typedef struct {
    size_t n;
    char **names;
    bool *cat;
    json_t *levels; /* {"column": [sorted level names]} for categorical columns */
    uint32_t shape[3];
} origin;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void origin_record(const tfg_table *t, origin *o)
{
    o->n = t->n_cols;
    o->names = tfg_xcalloc(t->n_cols + 1, sizeof *o->names);
    o->cat = tfg_xcalloc(t->n_cols + 1, sizeof *o->cat);
    o->levels = json_object();
    memcpy(o->shape, t->shape, sizeof o->shape);
    for (size_t c = 0; c < t->n_cols; c++) {
        const tfg_column *col = &t->cols[c];
        o->names[c] = tfg_xstrdup(col->name);
        o->cat[c] = col->type == TFG_COL_CAT;
        if (!o->cat[c])
            continue;
        const char **v = tfg_xcalloc(col->n_levels + 1, sizeof *v);
        memcpy(v, col->levels, col->n_levels * sizeof *v);
        qsort(v, col->n_levels, sizeof *v, cmp_str);
        json_t *a = json_array();
        for (size_t l = 0; l < col->n_levels; l++)
            json_array_append_new(a, json_string(v[l]));
        json_object_set_new(o->levels, col->name, a);
        free(v);
    }
}

static void origin_free(origin *o)
{
    tfg_strv_free(o->names);
    free(o->cat);
    json_decref(o->levels);
}

/* ---- the final features ------------------------------------------------------------- */

static void push_name(char ***v, size_t *n, const char *s)
{
    *v = tfg_xreallocarray(*v, *n + 2, sizeof **v);
    (*v)[(*n)++] = tfg_xstrdup(s);
    (*v)[*n] = NULL;
}

/* The model inputs in order: the spec's features (a one_hot or window feature replaced
 * in place by what it became), or every column but the label. */
static tfg_status feature_names(const tfg_exec *x, char ***out, size_t *n, tfg_err *err)
{
    const tfg_table *t = &x->part[0];
    *out = tfg_xcalloc(1, sizeof **out);
    *n = 0;
    if (!x->spec->features) {
        for (size_t c = 0; c < t->n_cols; c++)
            if (!tfg_exec_is_label(x, t->cols[c].name))
                push_name(out, n, t->cols[c].name);
        return TFG_OK;
    }
    for (size_t f = 0; f < x->spec->n_features; f++) {
        const char *want = x->spec->features[f];
        size_t before = *n;
        for (size_t c = 0; c < t->n_cols; c++)
            if (!strcmp(tfg_exec_source(x, t->cols[c].name), want) &&
                !tfg_exec_is_label(x, t->cols[c].name))
                push_name(out, n, t->cols[c].name);
        if (*n == before)
            return tfg_err_field(err, TFG_ECHECK, x->file, "ops",
                                 "the spec's feature '%s' is not in the data after the plan "
                                 "(an op dropped it); keep it or remove it from the spec",
                                 want);
    }
    return TFG_OK;
}

/* Every feature numeric and complete in every split. */
static tfg_status check_features(const tfg_exec *x, char **names, size_t n, tfg_err *err)
{
    for (size_t f = 0; f < n; f++) {
        int c = tfg_table_find(&x->part[0], names[f]);
        if (x->part[0].cols[c].type == TFG_COL_CAT)
            return tfg_err_field(err, TFG_ECHECK, x->file, "ops",
                                 "feature '%s' is categorical; add a one_hot (or label_encode) "
                                 "op for it",
                                 names[f]);
        size_t missing = 0;
        for (size_t p = 0; p < x->n_parts; p++)
            missing += tfg_col_count_missing(&x->part[p].cols[c], x->part[p].n_rows);
        if (missing)
            return tfg_err_field(err, TFG_ECHECK, x->file, "ops",
                                 "feature '%s' has %zu missing cells after the plan; add an "
                                 "impute (or drop_missing) op for it",
                                 names[f], missing);
    }
    return TFG_OK;
}

/* ---- the label -------------------------------------------------------------------------- */

typedef struct {
    int kind;      /* TFG_LABEL_* */
    char **names;  /* classes */
    size_t n;
    double *values; /* numeric label: the class values, sorted */
} label_info;

static void label_free(label_info *l)
{
    tfg_strv_free(l->names);
    free(l->values);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void classes_cat(const tfg_exec *x, int li, label_info *l)
{
    l->names = tfg_xcalloc(1, sizeof *l->names);
    for (size_t p = 0; p < x->n_parts; p++) {
        const tfg_column *c = &x->part[p].cols[li];
        for (size_t i = 0; i < x->part[p].n_rows; i++) {
            const char *name = c->levels[c->cat[i]];
            bool seen = false;
            for (size_t k = 0; k < l->n && !seen; k++)
                seen = !strcmp(l->names[k], name);
            if (!seen)
                push_name(&l->names, &l->n, name);
        }
    }
    qsort(l->names, l->n, sizeof *l->names, cmp_str);
}

static tfg_status classes_num(const tfg_exec *x, int li, label_info *l, tfg_err *err)
{
    size_t total = tfg_exec_rows(x), n = 0;
    l->values = tfg_xmalloc((total + 1) * sizeof *l->values);
    for (size_t p = 0; p < x->n_parts; p++)
        for (size_t i = 0; i < x->part[p].n_rows; i++)
            l->values[n++] = x->part[p].cols[li].num[i];
    qsort(l->values, n, sizeof *l->values, cmp_dbl);
    for (size_t i = 0; i < n; i++)
        if (!l->n || l->values[i] != l->values[l->n - 1])
            l->values[l->n++] = l->values[i];
    const tfg_spec *s = x->spec;
    for (size_t k = 0; k < l->n; k++) {
        double v = l->values[k];
        if (v != floor(v))
            return tfg_err_set(err, TFG_ECHECK,
                               "%s: the label '%s' has the value %g, which is not a class "
                               "number; classification needs integer or named classes",
                               x->file, s->label, v);
        if (s->class_names && (v < 0 || v >= (double)s->n_class_names))
            return tfg_err_set(err, TFG_ECHECK,
                               "%s: the label '%s' has the value %g, but the spec names %zu "
                               "classes (values 0..%zu)",
                               x->file, s->label, v, s->n_class_names, s->n_class_names - 1);
    }
    l->names = tfg_xcalloc(1, sizeof *l->names);
    size_t n_names = 0;
    if (s->class_names) {
        for (size_t k = 0; k < s->n_class_names; k++)
            push_name(&l->names, &n_names, s->class_names[k]);
    } else {
        for (size_t k = 0; k < l->n; k++) {
            char buf[64];
            snprintf(buf, sizeof buf, "%g", l->values[k]);
            push_name(&l->names, &n_names, buf);
        }
    }
    if (s->class_names) { /* the class index is the value itself */
        free(l->values);
        l->values = NULL;
    }
    l->n = n_names;
    return TFG_OK;
}

static tfg_status label_resolve(const tfg_exec *x, label_info *l, tfg_err *err)
{
    memset(l, 0, sizeof *l);
    const tfg_spec *s = x->spec;
    int li = s->label ? tfg_table_find(&x->part[0], s->label) : -1;
    if (li < 0 && s->task == TFG_TASK_ANOMALY)
        return TFG_OK; /* kind none */
    if (li < 0)
        return tfg_err_set(err, TFG_ECHECK, "%s: the label column '%s' is not in the data "
                           "after the plan", x->file, s->label ? s->label : "(none)");
    size_t missing = 0;
    for (size_t p = 0; p < x->n_parts; p++)
        missing += tfg_col_count_missing(&x->part[p].cols[li], x->part[p].n_rows);
    if (missing)
        return tfg_err_set(err, TFG_ECHECK,
                           "%s: the label '%s' has %zu missing cells after the plan; add "
                           "{\"op\": \"drop_missing\", \"columns\": [\"%s\"]} before the split",
                           x->file, s->label, missing, s->label);
    bool cat = x->part[0].cols[li].type == TFG_COL_CAT;
    if (s->task == TFG_TASK_REGRESSION) {
        if (cat)
            return tfg_err_set(err, TFG_EINPUT, "%s: the regression target '%s' is "
                               "categorical; it must be a number", x->file, s->label);
        l->kind = TFG_LABEL_VALUE;
        return TFG_OK;
    }
    l->kind = TFG_LABEL_CLASS;
    tfg_status st = TFG_OK;
    if (cat && s->class_names) /* never ignored in silence (issue 22) */
        return tfg_err_field(err, TFG_EINPUT, s->path ? s->path : "spec", "data.classes",
                             "names the classes of an integer label, but the label '%s' is "
                             "categorical: its own values are the class names (sorted); "
                             "remove data.classes", s->label);
    if (cat)
        classes_cat(x, li, l);
    else
        st = classes_num(x, li, l, err);
    if (!st && l->n < 2 && s->task == TFG_TASK_CLASSIFICATION)
        st = tfg_err_set(err, TFG_EINPUT, "%s: only one class ('%s') in the data; a "
                         "classifier needs at least two", x->file, l->n ? l->names[0] : "");
    return st;
}

static int32_t class_index(const label_info *l, const tfg_column *c, size_t row)
{
    if (c->type == TFG_COL_CAT) {
        const char *name = c->levels[c->cat[row]];
        char **hit = bsearch(&name, l->names, l->n, sizeof *l->names, cmp_str);
        return (int32_t)(hit - l->names);
    }
    if (!l->values)
        return (int32_t)c->num[row];
    const double *hit = bsearch(&c->num[row], l->values, l->n, sizeof *l->values, cmp_dbl);
    return (int32_t)(hit - l->values);
}

/* ---- splits and preprocess.json ------------------------------------------------------ */

/* Images keep their H x W x C shape when the features are exactly the pixel columns. */
static bool image_shape(const origin *o, const tfg_exec *x, char **names, size_t n)
{
    if (!o->shape[0])
        return false;
    size_t pixels = (size_t)o->shape[0] * o->shape[1] * (o->shape[2] ? o->shape[2] : 1), k = 0;
    if (n != pixels)
        return false;
    for (size_t c = 0; c < o->n; c++) {
        if (tfg_exec_is_label(x, o->names[c]))
            continue;
        if (k >= n || strcmp(o->names[c], names[k]))
            return false;
        k++;
    }
    return k == n;
}

static void pack_split(const tfg_exec *x, size_t p, char **names, size_t nf,
                       const label_info *l, const uint32_t *shape, uint32_t rank, tfg_split *out)
{
    const tfg_table *t = &x->part[p];
    memset(out, 0, sizeof *out);
    out->rows = (uint32_t)t->n_rows;
    out->features = (uint32_t)nf;
    out->rank = rank;
    memcpy(out->shape, shape, sizeof out->shape);
    out->label_kind = (uint32_t)l->kind;
    out->n_classes = l->kind == TFG_LABEL_CLASS ? (uint32_t)l->n : 0;
    out->x = tfg_xmalloc((t->n_rows * nf + 1) * sizeof *out->x);
    for (size_t f = 0; f < nf; f++) {
        const double *v = t->cols[tfg_table_find(t, names[f])].num;
        for (size_t i = 0; i < t->n_rows; i++)
            out->x[i * nf + f] = (float)v[i];
    }
    if (l->kind == TFG_LABEL_NONE)
        return;
    const tfg_column *lc = &t->cols[tfg_table_find(t, x->spec->label)];
    if (l->kind == TFG_LABEL_CLASS)
        out->y_class = tfg_xmalloc((t->n_rows + 1) * sizeof *out->y_class);
    else
        out->y_value = tfg_xmalloc((t->n_rows + 1) * sizeof *out->y_value);
    for (size_t i = 0; i < t->n_rows; i++) {
        if (l->kind == TFG_LABEL_CLASS)
            out->y_class[i] = class_index(l, lc, i);
        else
            out->y_value[i] = (float)lc->num[i];
    }
}

static bool has_name(const json_t *set, const char *name)
{
    return json_object_get(set, name) != NULL;
}

/* Keeps the entries of a per-column step whose column is live; false if none is. */
static bool prune_entries(json_t *step, const json_t *live)
{
    json_t *cols = json_object_get(step, "columns"), *kept = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(cols, i, e)
        if (has_name(live, json_string_value(json_object_get(e, "column"))))
            json_array_append(kept, e);
    bool any = json_array_size(kept) > 0;
    json_object_set_new(step, "columns", kept);
    return any;
}

/* A window replaces every live name by its outputs ("col.mean", "col.fft0", ...). */
static void window_outputs(const json_t *step, json_t *live)
{
    size_t i, j;
    json_t *c, *f;
    json_int_t bands = json_integer_value(json_object_get(step, "fft_bands"));
    json_object_clear(live);
    json_array_foreach(json_object_get(step, "columns"), i, c)
        json_array_foreach(json_object_get(step, "features"), j, f) {
            const char *feat = json_string_value(f);
            for (json_int_t b = 0; b < (strcmp(feat, "fft") ? 1 : bands); b++) {
                char *name = strcmp(feat, "fft")
                                 ? tfg_xasprintf("%s.%s", json_string_value(c), feat)
                                 : tfg_xasprintf("%s.fft%lld", json_string_value(c),
                                                 (long long)b);
                json_object_set_new(live, name, json_true());
                free(name);
            }
        }
}

/* The steps the device needs: those that act on the inputs or on what they became. */
static json_t *prune_steps(const json_t *steps, const json_t *inputs)
{
    json_t *live = json_object(), *out = json_array();
    size_t i, j;
    json_t *s, *v;
    json_array_foreach(inputs, i, v)
        json_object_set_new(live, json_string_value(v), json_true());
    json_array_foreach(steps, i, s) {
        json_t *step = json_deep_copy(s);
        const char *kind = json_string_value(json_object_get(step, "step"));
        const char *col = json_string_value(json_object_get(step, "column"));
        bool keep = true;
        if (!strcmp(kind, "one_hot") || !strcmp(kind, "label_encode")) {
            keep = has_name(live, col);
            json_array_foreach(json_object_get(step, "levels"), j, v)
                if (keep && !strcmp(kind, "one_hot")) {
                    char *name = tfg_xasprintf("%s=%s", col, json_string_value(v));
                    json_object_set_new(live, name, json_true());
                    free(name);
                }
        } else if (!strcmp(kind, "window")) {
            window_outputs(step, live);
        } else {
            keep = prune_entries(step, live);
        }
        if (keep)
            json_array_append(out, step);
        json_decref(step);
    }
    json_decref(live);
    return out;
}

static json_t *make_preprocess(const tfg_exec *x, const origin *o, char **names, size_t nf,
                               const label_info *l, const uint32_t *shape, uint32_t rank)
{
    json_t *inputs = json_array(), *levels = json_object(), *feats = json_array();
    tfg_strmap used; /* the original columns the features come from */
    tfg_strmap_init(&used);
    for (size_t f = 0; f < nf; f++)
        tfg_strmap_put(&used, tfg_exec_source(x, names[f]), f);
    for (size_t c = 0; c < o->n; c++) {
        if (!tfg_strmap_get(&used, o->names[c], NULL))
            continue;
        json_array_append_new(inputs, json_string(o->names[c]));
        if (o->cat[c])
            json_object_set(levels, o->names[c], json_object_get(o->levels, o->names[c]));
    }
    tfg_strmap_free(&used);
    for (size_t f = 0; f < nf; f++)
        json_array_append_new(feats, json_string(names[f]));
    json_t *shp = json_array();
    for (uint32_t r = 0; r < rank; r++)
        json_array_append_new(shp, json_integer(shape[r]));
    json_t *label = json_null();
    if (x->spec->label && l->kind != TFG_LABEL_NONE) {
        label = json_pack("{s:s,s:s}", "column", x->spec->label, "task",
                          tfg_task_name(x->spec->task));
        if (l->kind == TFG_LABEL_CLASS) {
            json_t *cl = json_array();
            for (size_t k = 0; k < l->n; k++)
                json_array_append_new(cl, json_string(l->names[k]));
            json_object_set_new(label, "classes", cl);
        }
    }
    return json_pack("{s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "version", 1, "inputs", inputs,
                     "input_levels", levels, "steps", prune_steps(x->steps, inputs),
                     "features", feats, "input_shape", shp, "label", label);
}

/* ---- where the rows went -------------------------------------------------------------- */

/* The rows of each split as the split drew them, what the cleaning ops removed (by
 * class), and the val/test rows set aside because their label is missing. */
typedef struct {
    size_t drawn[3], drawn_missing[3], unusable[3];
    json_t *drawn_by_class[3]; /* NULL without class names (regression, no label) */
    json_t *cleaning;          /* one record per part the drops acted on */
} accounts;

static bool has_classes(const tfg_exec *x)
{
    return x->spec->label && x->spec->task != TFG_TASK_REGRESSION &&
           tfg_table_find(&x->part[0], x->spec->label) >= 0;
}

/* Row i's class as the final classes name it: the level, or the spec's class name of a
 * numeric label, or "%g" of its value; false when the label is missing. */
static bool class_of(const tfg_exec *x, const tfg_column *c, size_t i, char *buf, size_t n)
{
    if (c->type == TFG_COL_CAT) {
        if (c->cat[i] < 0)
            return false;
        snprintf(buf, n, "%s", c->levels[c->cat[i]]);
        return true;
    }
    double v = c->num[i];
    if (isnan(v))
        return false;
    const tfg_spec *s = x->spec;
    if (s->class_names && v == floor(v) && v >= 0 && v < (double)s->n_class_names)
        snprintf(buf, n, "%s", s->class_names[(size_t)v]);
    else
        snprintf(buf, n, "%g", v);
    return true;
}

static void add_int(json_t *o, const char *key, json_int_t d)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + d));
}

/* Rows of part p by class name ({"apple": 40, ...}), or NULL without classes; *missing
 * gets the rows whose label is missing (every label-less row when there are no classes). */
static json_t *count_classes(const tfg_exec *x, size_t p, size_t *missing)
{
    const tfg_table *t = &x->part[p];
    int li = x->spec->label ? tfg_table_find(t, x->spec->label) : -1;
    *missing = 0;
    if (li < 0)
        return NULL;
    json_t *o = has_classes(x) ? json_object() : NULL;
    for (size_t i = 0; i < t->n_rows; i++) {
        char name[256];
        if (!class_of(x, &t->cols[li], i, name, sizeof name)) {
            (*missing)++;
            continue;
        }
        if (o)
            add_int(o, name, 1);
    }
    return o;
}

static bool drops_rows(const tfg_plan_op *op)
{
    return op->kind == TFG_OP_DROP_MISSING || op->kind == TFG_OP_DROP_DUPLICATES ||
           (op->kind == TFG_OP_OUTLIERS && op->action == TFG_ACTION_DROP);
}

/* The cleaning record of the part drops act on now (the table before the split, the
 * training split after it), made at its first drop with the class counts then. */
static json_t *cleaning_record(const tfg_exec *x, accounts *a)
{
    const char *part = x->n_parts == 3 ? "train" : "table";
    json_t *last = json_array_get(a->cleaning, json_array_size(a->cleaning) - 1);
    if (last && !strcmp(json_string_value(json_object_get(last, "part")), part))
        return last;
    size_t missing;
    json_t *by = count_classes(x, 0, &missing);
    json_t *r = json_pack("{s:s,s:I,s:I,s:I}", "part", part, "rows",
                          (json_int_t)(x->part[0].n_rows - missing), "dropped", (json_int_t)0,
                          "dropped_missing_label", (json_int_t)0);
    if (by) {
        json_object_set_new(r, "rows_by_class", by);
        json_object_set_new(r, "dropped_by_class", json_object());
    }
    json_array_append_new(a->cleaning, r);
    return r;
}

/* After a dropping op: before is part[0]'s class counts (and missing labels) before it. */
static void account_drop(const tfg_exec *x, json_t *rec, json_t *before, size_t miss_before,
                         size_t rows_before)
{
    size_t miss_after;
    json_t *after = count_classes(x, 0, &miss_after);
    size_t gone = rows_before - x->part[0].n_rows, gone_missing = miss_before - miss_after;
    add_int(rec, "dropped", (json_int_t)(gone - gone_missing));
    add_int(rec, "dropped_missing_label", (json_int_t)gone_missing);
    const char *name;
    json_t *v;
    json_object_foreach(before, name, v) {
        json_int_t d = json_integer_value(v) -
                       json_integer_value(json_object_get(after, name));
        if (d)
            add_int(json_object_get(rec, "dropped_by_class"), name, d);
    }
    json_decref(after);
}

static void account_split(const tfg_exec *x, accounts *a)
{
    for (size_t p = 0; p < 3; p++) {
        a->drawn[p] = x->part[p].n_rows;
        a->drawn_by_class[p] = count_classes(x, p, &a->drawn_missing[p]);
    }
}

static json_t *accounts_json(const accounts *a)
{
    static const char *const names[] = {"train", "val", "test"};
    json_t *splits = json_object();
    const json_t *train = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(a->cleaning, i, r)
        if (!strcmp(json_string_value(json_object_get(r, "part")), "train"))
            train = r;
    for (size_t p = 0; p < 3; p++) {
        json_t *o = json_pack("{s:I}", "drawn", (json_int_t)a->drawn[p]);
        if (a->drawn_by_class[p])
            json_object_set(o, "drawn_by_class", a->drawn_by_class[p]);
        json_object_set_new(o, "drawn_missing_label",
                            json_integer((json_int_t)a->drawn_missing[p]));
        if (p == 0) {
            json_int_t d = train ? json_integer_value(json_object_get(train, "dropped")) : 0;
            json_int_t m = train ? json_integer_value(json_object_get(train,
                                                                      "dropped_missing_label"))
                                 : 0;
            json_object_set_new(o, "dropped", json_integer(d + m));
            json_t *by = train ? json_object_get(train, "dropped_by_class") : NULL;
            if (a->drawn_by_class[p])
                json_object_set_new(o, "dropped_by_class", by ? json_deep_copy(by)
                                                              : json_object());
        } else {
            json_object_set_new(o, "unusable_missing_label",
                                json_integer((json_int_t)a->unusable[p]));
        }
        json_object_set_new(splits, names[p], o);
    }
    return json_pack("{s:o,s:O}", "splits", splits, "cleaning", a->cleaning);
}

static void accounts_free(accounts *a)
{
    for (size_t p = 0; p < 3; p++)
        json_decref(a->drawn_by_class[p]);
    json_decref(a->cleaning);
}

/* Val and test rows whose label is missing cannot be judged: they are set aside (and
 * counted), never given to an op to drop. The same rows leave the raw snapshot, whose
 * rows are test's one for one. */
static void set_aside(tfg_exec *x, accounts *a, tfg_table *snap)
{
    int li = x->spec->label ? tfg_table_find(&x->part[0], x->spec->label) : -1;
    if (li < 0)
        return;
    for (size_t p = 1; p < 3; p++) {
        tfg_table *t = &x->part[p];
        size_t *idx = tfg_xmalloc((t->n_rows + 1) * sizeof *idx), n = 0;
        for (size_t i = 0; i < t->n_rows; i++)
            if (!tfg_col_is_missing(&t->cols[li], i))
                idx[n++] = i;
        a->unusable[p] = t->n_rows - n;
        if (p == 2 && snap->n_rows == t->n_rows && a->unusable[p])
            tfg_table_select_rows(snap, idx, n);
        if (a->unusable[p])
            tfg_table_select_rows(t, idx, n);
        free(idx);
    }
}

/* ---- the test split's raw readings ----------------------------------------------------- */

/* What the test rows looked like right after the split, before any step a device
 * replays (the snapshot), or why there is none. */
typedef struct {
    tfg_table snap;
    bool have;
    char why[256];
} raw_state;

/* After each op: the split just happened and no device step ran before it -> snapshot. */
static void raw_observe(const tfg_exec *x, const tfg_plan_op *op, raw_state *rs)
{
    if (op->kind != TFG_OP_SPLIT || rs->have || rs->why[0])
        return;
    if (json_array_size(x->steps) > 0) {
        snprintf(rs->why, sizeof rs->why, "the plan applies a device step (%s) before the "
                 "split, so the test rows were never raw after it",
                 json_string_value(json_object_get(json_array_get(x->steps, 0), "step")));
        return;
    }
    const tfg_table *t = &x->part[2];
    size_t *idx = tfg_xmalloc((t->n_rows + 1) * sizeof *idx);
    for (size_t i = 0; i < t->n_rows; i++)
        idx[i] = i;
    tfg_table_subset(t, idx, t->n_rows, &rs->snap);
    free(idx);
    rs->have = true;
}

/* One raw value: the number, or a categorical level's index in the sorted level list
 * preprocess.json's "input_levels" holds. */
static float raw_value(const tfg_column *c, size_t row, const json_t *levels)
{
    if (c->type == TFG_COL_NUM)
        return (float)c->num[row];
    if (c->cat[row] < 0)
        return NAN;
    const char *name = c->levels[c->cat[row]];
    size_t k;
    json_t *v;
    json_array_foreach(levels, k, v)
        if (!strcmp(json_string_value(v), name))
            return (float)k;
    return NAN;
}

/* Replays preprocess.json on every raw row: must give test.bin's features bit for bit. */
static bool raw_replays(const json_t *pp, const tfg_split *raw, const tfg_split *test,
                        char *why, size_t n)
{
    double *in = tfg_xmalloc((raw->features + 1) * sizeof *in);
    float *out = tfg_xmalloc((test->features + 1) * sizeof *out);
    bool ok = true;
    for (uint32_t i = 0; i < raw->rows && ok; i++) {
        for (uint32_t k = 0; k < raw->features; k++)
            in[k] = raw->x[(size_t)i * raw->features + k];
        tfg_err e;
        if (tfg_preprocess_apply_row(pp, in, out, &e)) {
            snprintf(why, n, "%.200s", e.msg);
            ok = false;
        } else if (memcmp(out, test->x + (size_t)i * test->features,
                          test->features * sizeof *out)) {
            snprintf(why, n, "replaying preprocess.json on test row %u's raw reading does not "
                     "give its features (an op after the split changed values or rows that "
                     "preprocess.json does not record)", i);
            ok = false;
        }
    }
    free(in);
    free(out);
    return ok;
}

static void make_raw(raw_state *rs, const json_t *pp, tfg_data_result *res)
{
    const json_t *inputs = json_object_get(pp, "inputs");
    const tfg_table *t = &rs->snap;
    size_t n_in = json_array_size(inputs);
    if (!rs->have)
        goto none;
    if (t->n_rows != res->test.rows) {
        snprintf(rs->why, sizeof rs->why, "ops after the split changed the number of test rows "
                 "(%zu right after it, %u at the end)", t->n_rows, res->test.rows);
        goto none;
    }
    tfg_split *r = &res->test_raw;
    *r = (tfg_split){.rows = res->test.rows, .features = (uint32_t)n_in, .rank = 1,
                     .shape = {(uint32_t)n_in, 0, 0}, .label_kind = res->test.label_kind,
                     .n_classes = res->test.n_classes};
    r->x = tfg_xmalloc((t->n_rows * n_in + 1) * sizeof *r->x);
    for (size_t k = 0; k < n_in; k++) {
        const char *name = json_string_value(json_array_get(inputs, k));
        int c = tfg_table_find(t, name);
        if (c < 0) {
            snprintf(rs->why, sizeof rs->why, "the input '%s' did not exist right after the "
                     "split", name);
            goto none;
        }
        const json_t *lv = json_object_get(json_object_get(pp, "input_levels"), name);
        for (size_t i = 0; i < t->n_rows; i++)
            r->x[i * n_in + k] = raw_value(&t->cols[c], i, lv);
    }
    if (res->test.y_class) {
        r->y_class = tfg_xmalloc((r->rows + 1) * sizeof *r->y_class);
        memcpy(r->y_class, res->test.y_class, r->rows * sizeof *r->y_class);
    }
    if (res->test.y_value) {
        r->y_value = tfg_xmalloc((r->rows + 1) * sizeof *r->y_value);
        memcpy(r->y_value, res->test.y_value, r->rows * sizeof *r->y_value);
    }
    if (raw_replays(pp, r, &res->test, rs->why, sizeof rs->why))
        return;
none:
    tfg_split_free(&res->test_raw);
    memset(&res->test_raw, 0, sizeof res->test_raw);
    res->raw_why = tfg_xstrdup(rs->why[0] ? rs->why : "no split in the plan");
}

static tfg_status finish(tfg_exec *x, const origin *o, raw_state *rs, accounts *a,
                         tfg_data_result *res, tfg_err *err)
{
    char **names;
    size_t nf;
    label_info l;
    set_aside(x, a, &rs->snap);
    for (size_t p = 1; p < 3; p++)
        if (x->part[p].n_rows != a->drawn[p] - a->unusable[p])
            return tfg_err_set(err, TFG_EINTERNAL, "%s: the %s split has %zu rows, the split "
                               "drew %zu: an op removed rows it may not touch", x->file,
                               p == 1 ? "val" : "test", x->part[p].n_rows, a->drawn[p]);
    if (x->part[0].n_rows == 0)
        return tfg_err_field(err, TFG_ECHECK, x->file, "ops",
                             "no training rows are left after the plan: its drop ops removed "
                             "every row of the training split");
    tfg_status st = feature_names(x, &names, &nf, err);
    if (!st) st = check_features(x, names, nf, err);
    if (st) {
        tfg_strv_free(names);
        return st;
    }
    st = label_resolve(x, &l, err);
    if (!st) {
        uint32_t shape[3] = {(uint32_t)nf, 0, 0}, rank = 1;
        if (image_shape(o, x, names, nf)) {
            memcpy(shape, o->shape, sizeof shape);
            shape[2] = shape[2] ? shape[2] : 1;
            rank = 3;
        }
        tfg_split *out[3] = {&res->train, &res->val, &res->test};
        for (size_t p = 0; p < 3; p++)
            pack_split(x, p, names, nf, &l, shape, rank, out[p]);
        res->preprocess = make_preprocess(x, o, names, nf, &l, shape, rank);
        make_raw(rs, res->preprocess, res);
        res->features = names;
        res->n_features = nf;
        names = NULL;
        res->classes = l.names ? l.names : tfg_xcalloc(1, sizeof *res->classes);
        res->n_classes = l.kind == TFG_LABEL_CLASS ? l.n : 0;
        l.names = NULL;
    }
    tfg_strv_free(names);
    label_free(&l);
    return st;
}

/* ---- the executor ---------------------------------------------------------------------- */

tfg_status tfg_op_run(tfg_exec *x, const tfg_plan_op *op, size_t index, tfg_err *err)
{
    switch (op->kind) {
    case TFG_OP_SELECT_COLUMNS: return tfg_op_select_columns(x, op, index, err);
    case TFG_OP_DROP_COLUMNS: return tfg_op_drop_columns(x, op, index, err);
    case TFG_OP_DROP_MISSING: return tfg_op_drop_missing(x, op, index, err);
    case TFG_OP_IMPUTE: return tfg_op_impute(x, op, index, err);
    case TFG_OP_DROP_DUPLICATES: return tfg_op_drop_duplicates(x, op, index, err);
    case TFG_OP_OUTLIERS: return tfg_op_outliers(x, op, index, err);
    case TFG_OP_SCALE: return tfg_op_scale(x, op, index, err);
    case TFG_OP_LABEL_ENCODE: return tfg_op_label_encode(x, op, index, err);
    case TFG_OP_ONE_HOT: return tfg_op_one_hot(x, op, index, err);
    case TFG_OP_BALANCE: return tfg_op_balance(x, op, index, err);
    case TFG_OP_WINDOW: return tfg_op_window(x, op, index, err);
    case TFG_OP_SHUFFLE: return tfg_op_shuffle(x, op, index, err);
    case TFG_OP_SPLIT: return tfg_op_split(x, op, index, err);
    case TFG_OP_COUNT: break;
    }
    return tfg_err_set(err, TFG_EINTERNAL, "unhandled op kind %d", (int)op->kind);
}

void tfg_data_result_free(tfg_data_result *r)
{
    tfg_split_free(&r->train);
    tfg_split_free(&r->val);
    tfg_split_free(&r->test);
    json_decref(r->preprocess);
    json_decref(r->log);
    tfg_split_free(&r->test_raw);
    free(r->raw_why);
    json_decref(r->accounting);
    tfg_strv_free(r->classes);
    tfg_strv_free(r->features);
    memset(r, 0, sizeof *r);
}

/* The order ops run in: a window first (with what comes before it: it makes the rows the
 * model sees), then the split, drawn from those rows before any other op can drop or
 * change one, then the rest in the plan's order. The plan's check_order put the split
 * after every window. */
static size_t run_order(const tfg_plan *p, size_t *order)
{
    size_t hoist = 0, split = 0, n = 0;
    for (size_t i = 0; i < p->n_ops; i++) {
        if (p->ops[i].kind == TFG_OP_WINDOW)
            hoist = i + 1;
        if (p->ops[i].kind == TFG_OP_SPLIT)
            split = i;
    }
    for (size_t i = 0; i < hoist; i++)
        order[n++] = i;
    order[n++] = split;
    for (size_t i = hoist; i < p->n_ops; i++)
        if (i != split)
            order[n++] = i;
    return n;
}

/* Runs op i and accounts for it: the split's drawn rows, a drop's rows by class. */
static tfg_status run_one(tfg_exec *x, const tfg_plan *p, size_t i, accounts *a,
                          raw_state *rs, json_t **entry, tfg_err *err)
{
    const tfg_plan_op *op = &p->ops[i];
    size_t before = tfg_exec_rows(x), part0 = x->part[0].n_rows, miss = 0;
    json_t *rec = drops_rows(op) ? cleaning_record(x, a) : NULL;
    json_t *by = rec ? count_classes(x, 0, &miss) : NULL;
    x->did[0] = '\0';
    x->has_found = false;
    tfg_status st = tfg_op_run(x, op, i, err);
    if (!st && rec)
        account_drop(x, rec, by, miss, part0);
    json_decref(by);
    if (!st && op->kind == TFG_OP_SPLIT)
        account_split(x, a);
    if (!st)
        raw_observe(x, op, rs);
    if (!st) {
        *entry = json_pack("{s:I,s:s,s:I,s:I,s:s}", "index", (json_int_t)i, "op",
                           tfg_op_names[op->kind], "rows_before", (json_int_t)before,
                           "rows_after", (json_int_t)tfg_exec_rows(x), "did", x->did);
        if (x->has_found)
            json_object_set_new(*entry, "found", json_integer((json_int_t)x->found));
    }
    return st;
}

tfg_status tfg_plan_execute(const tfg_plan *p, const tfg_spec *s, tfg_table *t,
                            tfg_progress *progress, tfg_data_result *res, tfg_err *err)
{
    memset(res, 0, sizeof *res);
    tfg_exec x;
    memset(&x, 0, sizeof x);
    x.spec = s;
    x.file = p->file;
    x.part[0] = *t;
    x.n_parts = 1;
    x.steps = json_array();
    tfg_table_init(t);
    origin o;
    origin_record(&x.part[0], &o);
    raw_state rs;
    memset(&rs, 0, sizeof rs);
    tfg_table_init(&rs.snap);
    accounts a;
    memset(&a, 0, sizeof a);
    a.cleaning = json_array();
    size_t *order = tfg_xmalloc((p->n_ops + 1) * sizeof *order);
    json_t **entries = tfg_xcalloc(p->n_ops + 1, sizeof *entries);
    size_t n = p->n_ops ? run_order(p, order) : 0;
    tfg_status st = TFG_OK;
    for (size_t k = 0; k < n && !st; k++) {
        char label[64];
        snprintf(label, sizeof label, "data: %s", tfg_op_names[p->ops[order[k]].kind]);
        tfg_progress_update(progress, label, k, p->n_ops);
        st = run_one(&x, p, order[k], &a, &rs, &entries[order[k]], err);
    }
    tfg_progress_update(progress, "data: done", p->n_ops, p->n_ops);
    if (!st && x.n_parts != 3)
        st = tfg_err_set(err, TFG_EINTERNAL, "%s: the plan ran without splitting", p->file);
    if (!st)
        st = finish(&x, &o, &rs, &a, res, err);
    json_t *log = json_array();
    for (size_t i = 0; i < p->n_ops; i++) /* the log keeps the plan's order */
        if (entries[i])
            json_array_append_new(log, entries[i]);
    if (st) {
        json_decref(log);
        tfg_data_result_free(res);
    } else {
        res->log = log;
        res->accounting = accounts_json(&a);
    }
    free(entries);
    free(order);
    accounts_free(&a);
    origin_free(&o);
    tfg_table_free(&rs.snap);
    tfg_exec_free(&x);
    return st;
}
