/* plan.c — reading a data plan and checking its shape: known ops, each with exactly its
 * own arguments of the right type and range, a non-empty `why`, one split op, no window
 * after the split. Everything that needs the data (column names, types) is checked when
 * the plan runs (exec.c). Messages name the plan file and the field: "plan.json:
 * ops[3].strategy: ...". The format is documented in docs/plan.md. */
#include "data/plan.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/strutil.h"
#include "data/plan_impl.h"

const char *const tfg_op_names[] = {
    "select_columns", "drop_columns", "drop_missing", "impute",   "drop_duplicates",
    "outliers",       "scale",        "label_encode", "one_hot",  "balance",
    "window",         "shuffle",      "split",        NULL};

const char *const tfg_window_feature_names[] = {"mean", "std",           "min", "max",
                                                "rms",  "zero_crossings", "fft", NULL};

/* The arguments each op accepts besides "op" and "why", by tfg_op_kind. */
static const char *const op_keys[TFG_OP_COUNT][8] = {
    [TFG_OP_SELECT_COLUMNS] = {"op", "why", "columns", NULL},
    [TFG_OP_DROP_COLUMNS] = {"op", "why", "columns", NULL},
    [TFG_OP_DROP_MISSING] = {"op", "why", "columns", NULL},
    [TFG_OP_IMPUTE] = {"op", "why", "columns", "strategy", "value", NULL},
    [TFG_OP_DROP_DUPLICATES] = {"op", "why", NULL},
    [TFG_OP_OUTLIERS] = {"op", "why", "columns", "method", "k", "action", NULL},
    [TFG_OP_SCALE] = {"op", "why", "columns", "method", "range", NULL},
    [TFG_OP_LABEL_ENCODE] = {"op", "why", "column", NULL},
    [TFG_OP_ONE_HOT] = {"op", "why", "column", NULL},
    [TFG_OP_BALANCE] = {"op", "why", "method", "seed", NULL},
    [TFG_OP_WINDOW] = {"op", "why", "columns", "size", "step", "features", "fft_bands", NULL},
    [TFG_OP_SHUFFLE] = {"op", "why", "seed", NULL},
    [TFG_OP_SPLIT] = {"op", "why", "train", "val", "test", "stratify", "seed", NULL},
};

static void op_free(tfg_plan_op *op)
{
    free(op->why);
    tfg_strv_free(op->columns);
    free(op->value_str);
}

void tfg_plan_free(tfg_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_ops; i++)
        op_free(&p->ops[i]);
    free(p->ops);
    free(p->file);
    free(p);
}

size_t tfg_plan_size(const tfg_plan *p)
{
    return p ? p->n_ops : 0;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* A list of column names: non-empty, no name twice. */
static tfg_status get_columns(const json_t *o, const char *key, bool required, tfg_plan_op *op,
                              const tfg_jctx *c, tfg_err *err)
{
    tfg_status st = tfg_jget_strv(o, key, required, &op->columns, &op->n_columns, c, err);
    if (st || !op->columns)
        return st;
    char path[256];
    tfg_jpath_key(path, sizeof path, c->path, key);
    if (op->n_columns == 0)
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected at least one column name, got an empty list");
    tfg_strmap seen;
    tfg_strmap_init(&seen);
    for (size_t i = 0; i < op->n_columns; i++)
        if (!tfg_strmap_put(&seen, op->columns[i], i)) {
            tfg_strmap_free(&seen);
            char ip[300];
            tfg_jpath_index(ip, sizeof ip, path, i);
            return tfg_err_field(err, TFG_EINPUT, c->file, ip,
                                 "column '%s' is listed twice", op->columns[i]);
        }
    tfg_strmap_free(&seen);
    return TFG_OK;
}

static tfg_status get_seed(const json_t *o, tfg_plan_op *op, const tfg_jctx *c, tfg_err *err)
{
    int64_t seed = -1;
    tfg_status st = tfg_jget_int(o, "seed", false, 0, INT64_MAX, &seed, c, err);
    if (!st && seed >= 0) {
        op->has_seed = true;
        op->seed = (uint64_t)seed;
    }
    return st;
}

static tfg_status parse_impute(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                               tfg_err *err)
{
    static const char *const strategies[] = {"mean", "median", "mode", "constant", NULL};
    tfg_status st = get_columns(o, "columns", false, op, c, err);
    if (!st) st = tfg_jget_enum(o, "strategy", true, strategies, &op->strategy, c, err);
    if (st)
        return st;
    const json_t *v = json_object_get(o, "value");
    char path[256];
    tfg_jpath_key(path, sizeof path, c->path, "value");
    if (op->strategy != TFG_IMPUTE_CONSTANT) {
        if (v)
            return tfg_err_field(err, TFG_EINPUT, c->file, path,
                                 "a value is only used with strategy 'constant'");
        return TFG_OK;
    }
    if (!v)
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "strategy 'constant' needs a value (a number or a string)");
    op->has_value = true;
    if (json_is_string(v)) {
        op->value_is_str = true;
        op->value_str = tfg_xstrdup(json_string_value(v));
    } else if (json_is_number(v) && isfinite(json_number_value(v))) {
        op->value_num = json_number_value(v);
    } else {
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected a number or a string, got %s", tfg_json_type_name(v));
    }
    return TFG_OK;
}

static tfg_status parse_outliers(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                                 tfg_err *err)
{
    static const char *const methods[] = {"iqr", "zscore", NULL};
    static const char *const actions[] = {"clip", "drop", NULL};
    tfg_status st = get_columns(o, "columns", false, op, c, err);
    if (!st) st = tfg_jget_enum(o, "method", true, methods, &op->method, c, err);
    if (!st) st = tfg_jget_enum(o, "action", true, actions, &op->action, c, err);
    op->k = op->method == TFG_OUTLIER_IQR ? 1.5 : 3.0;
    if (!st) st = tfg_jget_num(o, "k", false, 1e-6, 1e6, &op->k, c, err);
    return st;
}

static tfg_status parse_scale(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                              tfg_err *err)
{
    static const char *const methods[] = {"minmax", "zscore", NULL};
    tfg_status st = get_columns(o, "columns", false, op, c, err);
    if (!st) st = tfg_jget_enum(o, "method", true, methods, &op->method, c, err);
    if (st)
        return st;
    const json_t *r = json_object_get(o, "range");
    if (!r)
        return TFG_OK;
    char path[256];
    tfg_jpath_key(path, sizeof path, c->path, "range");
    if (op->method != TFG_SCALE_MINMAX)
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "a fixed range is only used with method 'minmax'");
    if (!json_is_array(r) || json_array_size(r) != 2 ||
        !json_is_number(json_array_get(r, 0)) || !json_is_number(json_array_get(r, 1)))
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected [lo, hi], two numbers such as [0, 255]");
    op->range[0] = json_number_value(json_array_get(r, 0));
    op->range[1] = json_number_value(json_array_get(r, 1));
    if (!(op->range[0] < op->range[1]) || !isfinite(op->range[0]) || !isfinite(op->range[1]))
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected lo < hi, got [%g, %g]", op->range[0], op->range[1]);
    op->has_range = true;
    return TFG_OK;
}

static tfg_status parse_window_features(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                                        tfg_err *err)
{
    char **names = NULL;
    size_t n = 0;
    tfg_status st = tfg_jget_strv(o, "features", true, &names, &n, c, err);
    if (st)
        return st;
    char path[256], ip[300], list[256];
    tfg_jpath_key(path, sizeof path, c->path, "features");
    tfg_join(list, sizeof list, tfg_window_feature_names, ", ");
    if (n == 0)
        st = tfg_err_field(err, TFG_EINPUT, c->file, path,
                           "expected at least one of %s", list);
    for (size_t i = 0; i < n && !st; i++) {
        tfg_jpath_index(ip, sizeof ip, path, i);
        int f = -1;
        for (int k = 0; k < TFG_WF_COUNT; k++)
            if (!strcmp(names[i], tfg_window_feature_names[k]))
                f = k;
        for (size_t j = 0; j < i && f >= 0; j++)
            if (op->features[j] == f)
                st = tfg_err_field(err, TFG_EINPUT, c->file, ip, "'%s' is listed twice",
                                   names[i]);
        if (f < 0) {
            const char *near = tfg_closest(names[i], tfg_window_feature_names);
            st = tfg_err_field(err, TFG_EINPUT, c->file, ip,
                               "unknown window feature '%s'%s%s%s (known: %s)", names[i],
                               near ? "; did you mean '" : "", near ? near : "",
                               near ? "'?" : "", list);
        }
        if (st)
            break;
        op->features[i] = f;
        op->n_features = i + 1;
    }
    tfg_strv_free(names);
    return st;
}

static bool window_has(const tfg_plan_op *op, int feature)
{
    for (size_t i = 0; i < op->n_features; i++)
        if (op->features[i] == feature)
            return true;
    return false;
}

static tfg_status parse_window(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                               tfg_err *err)
{
    int64_t size = 0, step = 0, bands = 4;
    tfg_status st = get_columns(o, "columns", true, op, c, err);
    if (!st) st = tfg_jget_int(o, "size", true, 2, 1 << 20, &size, c, err);
    if (!st) st = tfg_jget_int(o, "step", true, 1, 1 << 20, &step, c, err);
    if (!st) st = parse_window_features(o, op, c, err);
    if (!st) st = tfg_jget_int(o, "fft_bands", false, 1, size / 2, &bands, c, err);
    op->size = (size_t)size;
    op->step = (size_t)step;
    op->fft_bands = (size_t)bands;
    if (!st && json_object_get(o, "fft_bands") && !window_has(op, TFG_WF_FFT)) {
        char path[256];
        tfg_jpath_key(path, sizeof path, c->path, "fft_bands");
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "fft_bands is only used when features include 'fft'");
    }
    if (!st && window_has(op, TFG_WF_FFT) && op->fft_bands > op->size / 2) {
        char path[256];
        tfg_jpath_key(path, sizeof path, c->path, "fft_bands");
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "a window of %zu samples has only %zu frequency bins; use at "
                             "most that many bands",
                             op->size, op->size / 2);
    }
    return st;
}

static tfg_status parse_split(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                              tfg_err *err)
{
    tfg_status st = tfg_jget_num(o, "train", true, 1e-9, 1, &op->frac[0], c, err);
    if (!st) st = tfg_jget_num(o, "val", true, 0, 1, &op->frac[1], c, err);
    if (!st) st = tfg_jget_num(o, "test", true, 1e-9, 1, &op->frac[2], c, err);
    if (!st) st = tfg_jget_bool(o, "stratify", false, &op->stratify, c, err);
    if (!st) st = get_seed(o, op, c, err);
    if (st)
        return st;
    op->has_stratify = json_object_get(o, "stratify") != NULL;
    double sum = op->frac[0] + op->frac[1] + op->frac[2];
    if (fabs(sum - 1) > 1e-6)
        return tfg_err_field(err, TFG_EINPUT, c->file, c->path,
                             "train + val + test must be 1, got %g + %g + %g = %.9g",
                             op->frac[0], op->frac[1], op->frac[2], sum);
    return TFG_OK;
}

static tfg_status parse_args(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                             tfg_err *err)
{
    static const char *const balance[] = {"oversample", "undersample", NULL};
    switch (op->kind) {
    case TFG_OP_SELECT_COLUMNS:
    case TFG_OP_DROP_COLUMNS: return get_columns(o, "columns", true, op, c, err);
    case TFG_OP_DROP_MISSING: return get_columns(o, "columns", false, op, c, err);
    case TFG_OP_IMPUTE: return parse_impute(o, op, c, err);
    case TFG_OP_DROP_DUPLICATES: return TFG_OK;
    case TFG_OP_OUTLIERS: return parse_outliers(o, op, c, err);
    case TFG_OP_SCALE: return parse_scale(o, op, c, err);
    case TFG_OP_LABEL_ENCODE:
    case TFG_OP_ONE_HOT: {
        const char *col = NULL;
        tfg_status st = tfg_jget_str(o, "column", true, &col, c, err);
        if (st)
            return st;
        op->columns = tfg_xcalloc(2, sizeof *op->columns);
        op->columns[0] = tfg_xstrdup(col);
        op->n_columns = 1;
        return TFG_OK;
    }
    case TFG_OP_BALANCE: {
        tfg_status st = tfg_jget_enum(o, "method", true, balance, &op->method, c, err);
        return st ? st : get_seed(o, op, c, err);
    }
    case TFG_OP_WINDOW: return parse_window(o, op, c, err);
    case TFG_OP_SHUFFLE: return get_seed(o, op, c, err);
    case TFG_OP_SPLIT: return parse_split(o, op, c, err);
    case TFG_OP_COUNT: break;
    }
    return tfg_err_set(err, TFG_EINTERNAL, "unhandled op kind %d", (int)op->kind);
}

static tfg_status parse_kind(const json_t *o, tfg_plan_op *op, const tfg_jctx *c,
                             tfg_err *err)
{
    const char *name = NULL;
    tfg_status st = tfg_jget_str(o, "op", true, &name, c, err);
    if (st)
        return st;
    for (int k = 0; k < TFG_OP_COUNT; k++)
        if (!strcmp(name, tfg_op_names[k])) {
            op->kind = (tfg_op_kind)k;
            return TFG_OK;
        }
    char path[256], list[512];
    tfg_jpath_key(path, sizeof path, c->path, "op");
    tfg_join(list, sizeof list, tfg_op_names, ", ");
    const char *near = tfg_closest(name, tfg_op_names);
    if (near)
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "unknown op '%s'; did you mean '%s'? (known: %s)", name, near,
                             list);
    return tfg_err_field(err, TFG_EINPUT, c->file, path, "unknown op '%s' (known: %s)", name,
                         list);
}

static tfg_status parse_op(const json_t *o, tfg_plan_op *op, const tfg_jctx *c, tfg_err *err)
{
    if (!json_is_object(o))
        return tfg_err_field(err, TFG_EINPUT, c->file, c->path,
                             "expected an op object such as {\"op\": \"drop_duplicates\", "
                             "\"why\": \"...\"}, got %s",
                             tfg_json_type_name(o));
    tfg_status st = parse_kind(o, op, c, err);
    if (!st) st = tfg_jcheck_keys(o, op_keys[op->kind], c, err);
    const char *why = NULL;
    if (!st) st = tfg_jget_str(o, "why", true, &why, c, err);
    if (st)
        return st;
    if (blank(why)) {
        char path[256];
        tfg_jpath_key(path, sizeof path, c->path, "why");
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "must say why this op is in the plan (it is empty)");
    }
    op->why = tfg_xstrdup(why);
    return parse_args(o, op, c, err);
}

/* One split op, and window only before it. */
static tfg_status check_order(const tfg_plan *p, const char *file, tfg_err *err)
{
    size_t split = p->n_ops;
    char path[64];
    for (size_t i = 0; i < p->n_ops; i++) {
        tfg_jpath_index(path, sizeof path, "ops", i);
        if (p->ops[i].kind == TFG_OP_SPLIT) {
            if (split < p->n_ops)
                return tfg_err_field(err, TFG_EINPUT, file, path,
                                     "a second split op (the first is ops[%zu]); a plan "
                                     "splits exactly once",
                                     split);
            split = i;
        } else if (p->ops[i].kind == TFG_OP_WINDOW && split < p->n_ops) {
            return tfg_err_field(err, TFG_EINPUT, file, path,
                                 "window must come before the split op (ops[%zu]): windows "
                                 "are cut from the rows in file order",
                                 split);
        }
    }
    if (split == p->n_ops)
        return tfg_err_field(err, TFG_EINPUT, file, "ops",
                             "the plan has no split op; add one such as {\"op\": \"split\", "
                             "\"why\": \"...\", \"train\": 0.7, \"val\": 0.15, \"test\": 0.15}");
    return TFG_OK;
}

static tfg_status parse_root(const json_t *j, const char *file, tfg_plan *p, tfg_err *err)
{
    static const char *const keys[] = {"plan_version", "ops", NULL};
    tfg_jctx root = {file, ""};
    if (!json_is_object(j))
        return tfg_err_field(err, TFG_EINPUT, file, "(root)",
                             "expected an object {\"plan_version\": 1, \"ops\": [...]}, got %s",
                             tfg_json_type_name(j));
    int64_t version = 0;
    tfg_status st = tfg_jcheck_keys(j, keys, &root, err);
    if (!st) st = tfg_jget_int(j, "plan_version", true, 1, 1, &version, &root, err);
    if (st)
        return st;
    const json_t *ops = json_object_get(j, "ops");
    if (!ops)
        return tfg_err_field(err, TFG_EINPUT, file, "ops", "required field is missing");
    if (!json_is_array(ops))
        return tfg_err_field(err, TFG_EINPUT, file, "ops", "expected an array of ops, got %s",
                             tfg_json_type_name(ops));
    p->ops = tfg_xcalloc(json_array_size(ops) + 1, sizeof *p->ops);
    for (size_t i = 0; i < json_array_size(ops); i++) {
        char path[64];
        tfg_jpath_index(path, sizeof path, "ops", i);
        tfg_jctx c = {file, path};
        p->n_ops = i + 1;
        st = parse_op(json_array_get(ops, i), &p->ops[i], &c, err);
        if (st)
            return st;
    }
    return check_order(p, file, err);
}

tfg_status tfg_plan_parse(const json_t *j, const char *file, tfg_plan **out, tfg_err *err)
{
    tfg_plan *p = tfg_xcalloc(1, sizeof *p);
    p->file = tfg_xstrdup(file ? file : "plan.json");
    tfg_status st = parse_root(j, p->file, p, err);
    if (st) {
        tfg_plan_free(p);
        return st;
    }
    *out = p;
    return TFG_OK;
}

tfg_status tfg_plan_load(const char *path, tfg_plan **out, tfg_err *err)
{
    json_t *j = NULL;
    tfg_status st = tfg_json_load_file(path, &j, err);
    if (st)
        return st;
    st = tfg_plan_parse(j, path, out, err);
    json_decref(j);
    return st;
}
