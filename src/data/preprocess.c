/* preprocess.c — the host-side reference for preprocess.json: applies its row-wise steps
 * to one raw reading exactly as a device would, in float32 (see preprocess.h). Tests use
 * it to prove that the split files hold what the device will compute; code generation
 * follows the same step semantics. It works on a small list of named values that the
 * steps rewrite in order, then reads the features out by name. */
#include "data/preprocess.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/strmap.h"

#define PP_FILE "preprocess.json"

typedef struct {
    char *name;
    bool cat;
    float v;       /* numeric value (NaN = missing) */
    const char *s; /* categorical level (NULL = missing); points into pp */
} pp_slot;

typedef struct {
    pp_slot *v;
    size_t n;
    tfg_strmap by_name; /* name -> slot; emptied when slots move, made again on lookup */
} pp_row;

static void row_free(pp_row *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].name);
    free(r->v);
    tfg_strmap_free(&r->by_name);
}

static bool row_indexed(const pp_row *r)
{
    return r->by_name.n || !r->n;
}

static pp_slot *row_find(pp_row *r, const char *name)
{
    if (!row_indexed(r))
        for (size_t i = 0; i < r->n; i++)
            tfg_strmap_put(&r->by_name, r->v[i].name, i);
    size_t i;
    return tfg_strmap_get(&r->by_name, name, &i) ? &r->v[i] : NULL;
}

static void row_insert(pp_row *r, size_t at, const char *name, float v)
{
    bool append = at == r->n && row_indexed(r);
    if (!append)
        tfg_strmap_clear(&r->by_name);
    r->v = tfg_xreallocarray(r->v, r->n + 1, sizeof *r->v);
    memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof *r->v);
    r->v[at] = (pp_slot){tfg_xstrdup(name), false, v, NULL};
    r->n++;
    if (append)
        tfg_strmap_put(&r->by_name, r->v[at].name, at);
}

size_t tfg_preprocess_n_inputs(const json_t *pp)
{
    return json_array_size(json_object_get(pp, "inputs"));
}

size_t tfg_preprocess_n_features(const json_t *pp)
{
    return json_array_size(json_object_get(pp, "features"));
}

static tfg_status load_inputs(const json_t *pp, const double *raw, pp_row *r, tfg_err *err)
{
    const json_t *inputs = json_object_get(pp, "inputs");
    const json_t *levels = json_object_get(pp, "input_levels");
    if (!json_is_array(inputs))
        return tfg_err_field(err, TFG_EINPUT, PP_FILE, "inputs", "expected an array of names");
    size_t i;
    const json_t *name;
    json_array_foreach(inputs, i, name) {
        const char *n = json_string_value(name);
        if (!n)
            return tfg_err_field(err, TFG_EINPUT, PP_FILE, "inputs", "expected names");
        row_insert(r, r->n, n, (float)raw[i]);
        const json_t *lv = json_object_get(levels, n);
        if (!lv)
            continue;
        pp_slot *s = &r->v[r->n - 1];
        s->cat = true;
        s->v = NAN;
        if (!isnan(raw[i]) && raw[i] >= 0 && raw[i] < (double)json_array_size(lv))
            s->s = json_string_value(json_array_get(lv, (size_t)raw[i]));
    }
    return TFG_OK;
}

/* impute, clip and affine: one entry per column. */
static tfg_status per_column(const char *kind, const json_t *step, pp_row *r, const char *path,
                             tfg_err *err)
{
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(step, "columns"), i, e) {
        pp_slot *s = row_find(r, json_string_value(json_object_get(e, "column")));
        if (!s)
            return tfg_err_field(err, TFG_EINPUT, PP_FILE, path,
                                 "entry %zu names a column that is not there", i);
        if (!strcmp(kind, "impute")) {
            const json_t *v = json_object_get(e, "value");
            if (s->cat && !s->s)
                s->s = json_string_value(v);
            else if (!s->cat && isnan(s->v))
                s->v = (float)json_number_value(v);
        } else if (!strcmp(kind, "clip")) {
            s->v = tfg_pp_clip(s->v, (float)json_number_value(json_object_get(e, "lo")),
                               (float)json_number_value(json_object_get(e, "hi")));
        } else {
            s->v = tfg_pp_affine(s->v, (float)json_number_value(json_object_get(e, "offset")),
                                 (float)json_number_value(json_object_get(e, "scale")));
        }
    }
    return TFG_OK;
}

static int level_index(const json_t *levels, const char *s)
{
    size_t i;
    const json_t *l;
    json_array_foreach(levels, i, l)
        if (s && !strcmp(json_string_value(l), s))
            return (int)i;
    return -1;
}

/* label_encode (code in place) and one_hot (0/1 columns in place of the column). */
static tfg_status encode(bool one_hot, const json_t *step, pp_row *r, const char *path,
                         tfg_err *err)
{
    const char *col = json_string_value(json_object_get(step, "column"));
    const json_t *levels = json_object_get(step, "levels");
    pp_slot *s = row_find(r, col);
    if (!s || !s->cat)
        return tfg_err_field(err, TFG_EINPUT, PP_FILE, path,
                             "column '%s' is not a categorical value here", col ? col : "?");
    int pos = level_index(levels, s->s);
    if (!one_hot) {
        s->cat = false;
        s->v = pos >= 0 ? (float)pos : NAN;
        return TFG_OK;
    }
    size_t at = (size_t)(s - r->v);
    bool missing = !s->s;
    tfg_strmap_clear(&r->by_name); /* its keys include the name freed here */
    free(s->name);
    memmove(&r->v[at], &r->v[at + 1], (r->n - at - 1) * sizeof *r->v);
    r->n--;
    for (size_t l = 0; l < json_array_size(levels); l++) {
        char *name = tfg_xasprintf("%s=%s", col, json_string_value(json_array_get(levels, l)));
        row_insert(r, at + l, name, missing ? NAN : ((int)l == pos ? 1.0f : 0.0f));
        free(name);
    }
    return TFG_OK;
}

static tfg_status apply_step(const json_t *step, size_t index, pp_row *r, tfg_err *err)
{
    char path[64];
    snprintf(path, sizeof path, "steps[%zu]", index);
    const char *kind = json_string_value(json_object_get(step, "step"));
    if (!kind)
        return tfg_err_field(err, TFG_EINPUT, PP_FILE, path, "a step needs a \"step\" name");
    if (!strcmp(kind, "impute") || !strcmp(kind, "clip") || !strcmp(kind, "affine"))
        return per_column(kind, step, r, path, err);
    if (!strcmp(kind, "one_hot") || !strcmp(kind, "label_encode"))
        return encode(!strcmp(kind, "one_hot"), step, r, path, err);
    if (!strcmp(kind, "window"))
        return tfg_err_field(err, TFG_EUSAGE, PP_FILE, path,
                             "a window step works on a sequence of readings, not one row");
    return tfg_err_field(err, TFG_EINPUT, PP_FILE, path, "unknown step '%s'", kind);
}

tfg_status tfg_preprocess_apply_row(const json_t *pp, const double *raw_inputs, float *out,
                                    tfg_err *err)
{
    pp_row r = {NULL, 0, {0}};
    tfg_status st = load_inputs(pp, raw_inputs, &r, err);
    size_t i;
    const json_t *step, *f;
    json_array_foreach(json_object_get(pp, "steps"), i, step) {
        if (st)
            break;
        st = apply_step(step, i, &r, err);
    }
    json_array_foreach(json_object_get(pp, "features"), i, f) {
        if (st)
            break;
        pp_slot *s = row_find(&r, json_string_value(f));
        if (!s || s->cat)
            st = tfg_err_field(err, TFG_EINPUT, PP_FILE, "features",
                               "feature '%s' is not a number after the steps",
                               json_string_value(f) ? json_string_value(f) : "?");
        else
            out[i] = s->v;
    }
    row_free(&r);
    return st;
}
