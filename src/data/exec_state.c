/* exec_state.c — the execution state every data op works on (exec_state.h): the log
 * line of the current op, field paths for messages, the op's seed, row counts, the
 * derived-column map (which original column a one-hot or window column came from), the
 * feature/label tests, the per-row class keys of the label, and releasing the state.
 * It sits below the ops (ops.c, window.c, split.c) and the executor (exec.c) and calls
 * none of them. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/exec_state.h"

void tfg_exec_did(tfg_exec *x, const char *fmt, ...)
{
    size_t used = strlen(x->did), cap = sizeof x->did;
    if (used + 4 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(x->did + used, cap - used, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= cap - used)
        memcpy(x->did + cap - 4, "...", 4);
}

void tfg_exec_path(char *dst, size_t n, size_t index, const char *key, size_t j)
{
    int w = snprintf(dst, n, "ops[%zu]", index);
    if (key && w >= 0 && (size_t)w < n)
        w += snprintf(dst + w, n - (size_t)w, ".%s", key);
    if (j != SIZE_MAX && w >= 0 && (size_t)w < n)
        snprintf(dst + w, n - (size_t)w, "[%zu]", j);
}

uint64_t tfg_exec_seed(const tfg_exec *x, const tfg_plan_op *op)
{
    return op->has_seed ? op->seed : x->spec->seed;
}

size_t tfg_exec_rows(const tfg_exec *x)
{
    size_t n = 0;
    for (size_t p = 0; p < x->n_parts; p++)
        n += x->part[p].n_rows;
    return n;
}

const char *tfg_exec_source(const tfg_exec *x, const char *name)
{
    size_t i;
    return tfg_strmap_get(&x->derived_ix, name, &i) ? x->source[i] : name;
}

void tfg_exec_add_derived(tfg_exec *x, const char *derived, const char *source)
{
    x->derived = tfg_xreallocarray(x->derived, x->n_derived + 1, sizeof *x->derived);
    x->source = tfg_xreallocarray(x->source, x->n_derived + 1, sizeof *x->source);
    x->derived[x->n_derived] = tfg_xstrdup(derived);
    x->source[x->n_derived] = tfg_xstrdup(source);
    tfg_strmap_put(&x->derived_ix, x->derived[x->n_derived], x->n_derived);
    x->n_derived++;
}

bool tfg_exec_is_label(const tfg_exec *x, const char *name)
{
    return x->spec->label && !strcmp(name, x->spec->label);
}

bool tfg_exec_is_feature(const tfg_exec *x, const char *name)
{
    if (tfg_exec_is_label(x, name))
        return false;
    if (!x->spec->features)
        return true;
    const char *src = tfg_exec_source(x, name);
    for (size_t i = 0; i < x->spec->n_features; i++)
        if (!strcmp(x->spec->features[i], src))
            return true;
    return false;
}

void tfg_exec_free(tfg_exec *x)
{
    for (size_t p = 0; p < 3; p++)
        tfg_table_free(&x->part[p]);
    for (size_t i = 0; i < x->n_derived; i++) {
        free(x->derived[i]);
        free(x->source[i]);
    }
    free(x->derived);
    free(x->source);
    tfg_strmap_free(&x->derived_ix);
    json_decref(x->steps);
}

/* ---- class keys ---------------------------------------------------------------------- */

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t keys_cat(const tfg_column *c, size_t n_rows, int32_t *keys, char ***names)
{
    bool *seen = tfg_xcalloc(c->n_levels + 1, sizeof *seen);
    for (size_t i = 0; i < n_rows; i++)
        if (c->cat[i] >= 0)
            seen[c->cat[i]] = true;
    char **sorted = tfg_xcalloc(c->n_levels + 1, sizeof *sorted);
    size_t k = 0;
    for (size_t l = 0; l < c->n_levels; l++)
        if (seen[l])
            sorted[k++] = c->levels[l];
    qsort(sorted, k, sizeof *sorted, cmp_str_ptr);
    int32_t *map = tfg_xmalloc((c->n_levels + 1) * sizeof *map);
    for (size_t l = 0; l < c->n_levels; l++)
        map[l] = -1;
    for (size_t j = 0; j < k; j++)
        map[tfg_col_lookup(c, sorted[j])] = (int32_t)j;
    for (size_t i = 0; i < n_rows; i++)
        keys[i] = c->cat[i] < 0 ? -1 : map[c->cat[i]];
    if (names) {
        *names = tfg_xcalloc(k + 1, sizeof **names);
        for (size_t j = 0; j < k; j++)
            (*names)[j] = tfg_xstrdup(sorted[j]);
    }
    free(map);
    free(sorted);
    free(seen);
    return k;
}

static size_t keys_num(const tfg_column *c, size_t n_rows, int32_t *keys, char ***names)
{
    double *v = tfg_xmalloc((n_rows + 1) * sizeof *v);
    size_t n = 0, k = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (!isnan(c->num[i]))
            v[n++] = c->num[i];
    qsort(v, n, sizeof *v, cmp_dbl);
    for (size_t i = 0; i < n; i++)
        if (!k || v[i] != v[k - 1])
            v[k++] = v[i];
    for (size_t i = 0; i < n_rows; i++) {
        keys[i] = -1;
        if (isnan(c->num[i]))
            continue;
        size_t lo = 0, hi = k; /* binary search of the distinct values */
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (v[mid] <= c->num[i]) lo = mid; else hi = mid;
        }
        keys[i] = (int32_t)lo;
    }
    if (names) {
        *names = tfg_xcalloc(k + 1, sizeof **names);
        for (size_t j = 0; j < k; j++)
            (*names)[j] = tfg_xasprintf("%g", v[j]);
    }
    free(v);
    return k;
}

tfg_status tfg_exec_class_keys(const tfg_exec *x, size_t p, const tfg_plan_op *op,
                               size_t index, int32_t **keys, size_t *n_classes, char ***names,
                               tfg_err *err)
{
    const tfg_table *t = &x->part[p];
    int li = x->spec->label ? tfg_table_find(t, x->spec->label) : -1;
    if (li < 0) {
        char path[64];
        tfg_exec_path(path, sizeof path, index, NULL, SIZE_MAX);
        return tfg_err_field(err, TFG_EINPUT, x->file, path,
                             "%s needs the label column%s%s%s, which the table does not have",
                             tfg_op_names[op->kind], x->spec->label ? " '" : "",
                             x->spec->label ? x->spec->label : "", x->spec->label ? "'" : "");
    }
    *keys = tfg_xmalloc((t->n_rows + 1) * sizeof **keys);
    const tfg_column *c = &t->cols[li];
    *n_classes = c->type == TFG_COL_CAT ? keys_cat(c, t->n_rows, *keys, names)
                                        : keys_num(c, t->n_rows, *keys, names);
    return TFG_OK;
}
