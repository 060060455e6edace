/* json.c — Jansson loading, typed field readers with paths, atomic writing. */
#include "core/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/io.h"
#include "core/strutil.h"

static tfg_status load_error(const char *name, const json_error_t *je, tfg_err *err)
{
    return tfg_err_at(err, TFG_EINPUT, name, je->line > 0 ? (size_t)je->line : 0,
                      je->column > 0 ? (size_t)je->column : 0, "invalid JSON: %s", je->text);
}

tfg_status tfg_json_load_buf(const char *buf, size_t len, const char *name, json_t **out,
                             tfg_err *err)
{
    json_error_t je;
    /* REJECT_DUPLICATES: a spec with a key twice is ambiguous, so it is an error. */
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return load_error(name, &je, err);
    *out = j;
    return TFG_OK;
}

tfg_status tfg_json_load_file(const char *path, json_t **out, tfg_err *err)
{
    char *buf;
    size_t len;
    tfg_status st = tfg_read_file(path, TFG_READ_MAX_DEFAULT, &buf, &len, err);
    if (st)
        return st;
    st = tfg_json_load_buf(buf, len, path, out, err);
    free(buf);
    return st;
}

char *tfg_json_pretty(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    if (!s)
        return tfg_xstrdup("null\n");
    size_t n = strlen(s);
    char *r = tfg_xmalloc(n + 2);
    memcpy(r, s, n);
    r[n] = '\n';
    r[n + 1] = '\0';
    free(s);
    return r;
}

char *tfg_json_canonical(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *r = tfg_xstrdup(s ? s : "null");
    free(s);
    return r;
}

tfg_status tfg_json_write_file(const char *path, const json_t *j, tfg_err *err)
{
    char *s = tfg_json_pretty(j);
    tfg_status st = tfg_write_atomic(path, s, strlen(s), err);
    free(s);
    return st;
}

void tfg_jpath_key(char *dst, size_t n, const char *parent, const char *key)
{
    if (parent && *parent)
        snprintf(dst, n, "%s.%s", parent, key);
    else
        snprintf(dst, n, "%s", key);
}

void tfg_jpath_index(char *dst, size_t n, const char *parent, size_t index)
{
    snprintf(dst, n, "%s[%zu]", parent ? parent : "", index);
}

const char *tfg_json_type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Looks obj[key] up; NULL with TFG_OK when absent and optional (null counts as absent). */
static tfg_status field(const json_t *obj, const char *key, bool required, const json_t **v,
                        const tfg_jctx *c, char *path, size_t pn, tfg_err *err)
{
    tfg_jpath_key(path, pn, c->path, key);
    *v = json_object_get(obj, key);
    if (*v && json_is_null(*v))
        *v = NULL;
    if (!*v && required)
        return tfg_err_field(err, TFG_EINPUT, c->file, path, "required field is missing");
    return TFG_OK;
}

tfg_status tfg_jget_str(const json_t *obj, const char *key, bool required, const char **out,
                        const tfg_jctx *c, tfg_err *err)
{
    char path[256];
    const json_t *v;
    tfg_status st = field(obj, key, required, &v, c, path, sizeof path, err);
    if (st || !v)
        return st;
    if (!json_is_string(v))
        return tfg_err_field(err, TFG_EINPUT, c->file, path, "expected a string, got %s",
                             tfg_json_type_name(v));
    *out = json_string_value(v);
    return TFG_OK;
}

tfg_status tfg_jget_num(const json_t *obj, const char *key, bool required, double min,
                        double max, double *out, const tfg_jctx *c, tfg_err *err)
{
    char path[256];
    const json_t *v;
    tfg_status st = field(obj, key, required, &v, c, path, sizeof path, err);
    if (st || !v)
        return st;
    if (!json_is_number(v))
        return tfg_err_field(err, TFG_EINPUT, c->file, path, "expected a number, got %s",
                             tfg_json_type_name(v));
    double x = json_number_value(v);
    if (!isfinite(x) || x < min || x > max)
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected a number from %g to %g, got %g (nearest valid: %g)",
                             min, max, x, x > max ? max : min);
    *out = x;
    return TFG_OK;
}

tfg_status tfg_jget_int(const json_t *obj, const char *key, bool required, int64_t min,
                        int64_t max, int64_t *out, const tfg_jctx *c, tfg_err *err)
{
    char path[256];
    const json_t *v;
    tfg_status st = field(obj, key, required, &v, c, path, sizeof path, err);
    if (st || !v)
        return st;
    if (json_is_real(v)) {
        double r = json_real_value(v), near = r < (double)min   ? (double)min
                                              : r > (double)max ? (double)max
                                                                : round(r);
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected an integer, got %g (nearest valid: %.0f)", r, near);
    }
    if (!json_is_integer(v))
        return tfg_err_field(err, TFG_EINPUT, c->file, path, "expected an integer, got %s",
                             tfg_json_type_name(v));
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected an integer from %lld to %lld, got %lld (nearest valid: "
                             "%lld)", (long long)min, (long long)max, (long long)x,
                             (long long)(x > max ? max : min));
    *out = x;
    return TFG_OK;
}

tfg_status tfg_jget_bool(const json_t *obj, const char *key, bool required, bool *out,
                         const tfg_jctx *c, tfg_err *err)
{
    char path[256];
    const json_t *v;
    tfg_status st = field(obj, key, required, &v, c, path, sizeof path, err);
    if (st || !v)
        return st;
    if (!json_is_boolean(v))
        return tfg_err_field(err, TFG_EINPUT, c->file, path, "expected true or false, got %s",
                             tfg_json_type_name(v));
    *out = json_is_true(v);
    return TFG_OK;
}

void tfg_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

tfg_status tfg_jget_strv(const json_t *obj, const char *key, bool required, char ***out,
                         size_t *n, const tfg_jctx *c, tfg_err *err)
{
    char path[256];
    const json_t *v;
    tfg_status st = field(obj, key, required, &v, c, path, sizeof path, err);
    if (st || !v)
        return st;
    if (json_is_string(v)) {
        char **r = tfg_xcalloc(2, sizeof *r);
        r[0] = tfg_xstrdup(json_string_value(v));
        *out = r;
        *n = 1;
        return TFG_OK;
    }
    if (!json_is_array(v))
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "expected an array of strings, got %s", tfg_json_type_name(v));
    size_t count = json_array_size(v);
    char **r = tfg_xcalloc(count + 1, sizeof *r);
    for (size_t i = 0; i < count; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            tfg_strv_free(r);
            char ip[300];
            tfg_jpath_index(ip, sizeof ip, path, i);
            return tfg_err_field(err, TFG_EINPUT, c->file, ip, "expected a string, got %s",
                                 tfg_json_type_name(e));
        }
        r[i] = tfg_xstrdup(json_string_value(e));
    }
    *out = r;
    *n = count;
    return TFG_OK;
}

tfg_status tfg_jcheck_keys(const json_t *obj, const char *const *allowed, const tfg_jctx *c,
                           tfg_err *err)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int known = 0;
        for (size_t i = 0; allowed[i]; i++)
            if (!strcmp(key, allowed[i]))
                known = 1;
        if (known)
            continue;
        char path[256], list[512];
        tfg_jpath_key(path, sizeof path, c->path, key);
        const char *near = tfg_closest(key, allowed);
        tfg_join(list, sizeof list, allowed, ", ");
        if (near)
            return tfg_err_field(err, TFG_EINPUT, c->file, path,
                                 "unknown field; did you mean '%s'? (known: %s)", near, list);
        return tfg_err_field(err, TFG_EINPUT, c->file, path, "unknown field (known: %s)", list);
    }
    return TFG_OK;
}

tfg_status tfg_jget_enum(const json_t *obj, const char *key, bool required,
                         const char *const *choices, int *index, const tfg_jctx *c,
                         tfg_err *err)
{
    const char *s = NULL;
    tfg_status st = tfg_jget_str(obj, key, required, &s, c, err);
    if (st || !s)
        return st;
    for (int i = 0; choices[i]; i++)
        if (!strcmp(s, choices[i])) {
            *index = i;
            return TFG_OK;
        }
    char path[256], list[512];
    tfg_jpath_key(path, sizeof path, c->path, key);
    tfg_join(list, sizeof list, choices, ", ");
    const char *near = tfg_closest(s, choices);
    if (near)
        return tfg_err_field(err, TFG_EINPUT, c->file, path,
                             "'%s' is not one of %s; did you mean '%s'?", s, list, near);
    return tfg_err_field(err, TFG_EINPUT, c->file, path, "'%s' is not one of %s", s, list);
}

json_t *tfg_json_matrix_u32(const uint32_t *m, size_t rows, size_t cols)
{
    json_t *a = json_array();
    for (size_t i = 0; i < rows; i++) {
        json_t *row = json_array();
        for (size_t j = 0; j < cols; j++)
            json_array_append_new(row, json_integer((json_int_t)m[i * cols + j]));
        json_array_append_new(a, row);
    }
    return a;
}
