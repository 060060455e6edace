/* table.c — columns, level interning, row selection and appending (see table.h). */
#include "data/table.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void tfg_table_init(tfg_table *t)
{
    memset(t, 0, sizeof *t);
}

static void col_free(tfg_column *c)
{
    free(c->name);
    free(c->num);
    free(c->cat);
    for (size_t i = 0; i < c->n_levels; i++)
        free(c->levels[i]);
    free(c->levels);
    free(c->hidx);
}

void tfg_table_free(tfg_table *t)
{
    for (size_t i = 0; i < t->n_cols; i++)
        col_free(&t->cols[i]);
    free(t->cols);
    free(t->pin);
    if (t->by_name)
        tfg_strmap_free(t->by_name);
    free(t->by_name);
    tfg_table_init(t);
}

/* The index is current when it holds an entry, or when there are no columns. */
static bool index_current(const tfg_table *t)
{
    return t->by_name && (t->by_name->n || !t->n_cols);
}

static tfg_column *add_col(tfg_table *t, const char *name, tfg_coltype type)
{
    if (!t->by_name) {
        t->by_name = tfg_xmalloc(sizeof *t->by_name);
        tfg_strmap_init(t->by_name);
    }
    bool current = index_current(t);
    t->cols = tfg_xreallocarray(t->cols, t->n_cols + 1, sizeof *t->cols);
    tfg_column *c = &t->cols[t->n_cols++];
    memset(c, 0, sizeof *c);
    c->name = tfg_xstrdup(name);
    if (current)
        tfg_strmap_put(t->by_name, c->name, t->n_cols - 1);
    c->type = type;
    if (type == TFG_COL_NUM) {
        c->num = tfg_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *c->num);
        for (size_t i = 0; i < t->n_rows; i++)
            c->num[i] = NAN;
    } else {
        c->cat = tfg_xmalloc((t->n_rows ? t->n_rows : 1) * sizeof *c->cat);
        for (size_t i = 0; i < t->n_rows; i++)
            c->cat[i] = -1;
    }
    return c;
}

tfg_column *tfg_table_add_num(tfg_table *t, const char *name)
{
    return add_col(t, name, TFG_COL_NUM);
}

tfg_column *tfg_table_add_cat(tfg_table *t, const char *name)
{
    return add_col(t, name, TFG_COL_CAT);
}

void tfg_table_remove_col(tfg_table *t, size_t index)
{
    if (t->by_name)
        tfg_strmap_clear(t->by_name);
    col_free(&t->cols[index]);
    memmove(&t->cols[index], &t->cols[index + 1], (t->n_cols - index - 1) * sizeof *t->cols);
    t->n_cols--;
}

void tfg_table_move_col(tfg_table *t, size_t from, size_t to)
{
    if (from == to)
        return;
    if (t->by_name)
        tfg_strmap_clear(t->by_name);
    tfg_column c = t->cols[from];
    if (from < to)
        memmove(&t->cols[from], &t->cols[from + 1], (to - from) * sizeof c);
    else
        memmove(&t->cols[to + 1], &t->cols[to], (from - to) * sizeof c);
    t->cols[to] = c;
}

void tfg_table_keep_cols(tfg_table *t, const size_t *keep, size_t k)
{
    bool *kept = tfg_xcalloc(t->n_cols + 1, sizeof *kept);
    tfg_column *cols = tfg_xcalloc(k + 1, sizeof *cols);
    for (size_t j = 0; j < k; j++) {
        cols[j] = t->cols[keep[j]];
        kept[keep[j]] = true;
    }
    for (size_t c = 0; c < t->n_cols; c++)
        if (!kept[c])
            col_free(&t->cols[c]);
    free(kept);
    free(t->cols);
    t->cols = cols;
    t->n_cols = k;
    if (t->by_name)
        tfg_strmap_clear(t->by_name);
}

int tfg_table_find(const tfg_table *t, const char *name)
{
    if (!t->by_name) { /* a table made by hand, not by add_col: walk it */
        for (size_t i = 0; i < t->n_cols; i++)
            if (!strcmp(t->cols[i].name, name))
                return (int)i;
        return -1;
    }
    if (!index_current(t)) /* t is const; the index it points to is not */
        for (size_t i = 0; i < t->n_cols; i++)
            tfg_strmap_put(t->by_name, t->cols[i].name, i);
    size_t i;
    return tfg_strmap_get(t->by_name, name, &i) ? (int)i : -1;
}

const char **tfg_table_names(const tfg_table *t)
{
    const char **v = tfg_xcalloc(t->n_cols + 1, sizeof *v);
    for (size_t i = 0; i < t->n_cols; i++)
        v[i] = t->cols[i].name;
    return v;
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull; /* FNV-1a */
    }
    return h;
}

static void rehash(tfg_column *c, size_t cap)
{
    free(c->hidx);
    c->hcap = cap;
    c->hidx = tfg_xcalloc(cap, sizeof *c->hidx);
    for (size_t i = 0; i < c->n_levels; i++) {
        size_t h = hash_bytes(c->levels[i], strlen(c->levels[i]), 14695981039346656037ull);
        while (c->hidx[h & (cap - 1)])
            h++;
        c->hidx[h & (cap - 1)] = (uint32_t)i + 1;
    }
}

static int32_t find_level(const tfg_column *c, const char *s, size_t len, size_t *slot)
{
    if (!c->hcap)
        return -1;
    size_t h = hash_bytes(s, len, 14695981039346656037ull);
    for (;; h++) {
        uint32_t v = c->hidx[h & (c->hcap - 1)];
        if (!v) {
            if (slot)
                *slot = h & (c->hcap - 1);
            return -1;
        }
        const char *l = c->levels[v - 1];
        if (strlen(l) == len && !memcmp(l, s, len))
            return (int32_t)v - 1;
    }
}

int32_t tfg_col_intern(tfg_column *c, const char *s, size_t len)
{
    if ((c->n_levels + 1) * 2 > c->hcap)
        rehash(c, c->hcap ? c->hcap * 2 : 16);
    size_t slot = 0;
    int32_t found = find_level(c, s, len, &slot);
    if (found >= 0)
        return found;
    if (c->n_levels == c->cap_levels) {
        c->cap_levels = c->cap_levels ? c->cap_levels * 2 : 8;
        c->levels = tfg_xreallocarray(c->levels, c->cap_levels, sizeof *c->levels);
    }
    c->levels[c->n_levels] = tfg_xstrndup(s, len);
    c->hidx[slot] = (uint32_t)++c->n_levels;
    return (int32_t)c->n_levels - 1;
}

int32_t tfg_col_lookup(const tfg_column *c, const char *s)
{
    return find_level(c, s, strlen(s), NULL);
}

bool tfg_col_is_missing(const tfg_column *c, size_t row)
{
    return c->type == TFG_COL_NUM ? isnan(c->num[row]) : c->cat[row] < 0;
}

size_t tfg_col_count_missing(const tfg_column *c, size_t n_rows)
{
    size_t n = 0;
    for (size_t i = 0; i < n_rows; i++)
        n += tfg_col_is_missing(c, i);
    return n;
}

static void copy_rows(const tfg_column *src, tfg_column *dst, const size_t *idx, size_t n)
{
    if (src->type == TFG_COL_NUM) {
        double *v = tfg_xmalloc((n ? n : 1) * sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = src->num[idx[i]];
        free(dst->num);
        dst->num = v;
    } else {
        int32_t *v = tfg_xmalloc((n ? n : 1) * sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = src->cat[idx[i]];
        free(dst->cat);
        dst->cat = v;
    }
}

void tfg_table_select_rows(tfg_table *t, const size_t *idx, size_t n)
{
    for (size_t c = 0; c < t->n_cols; c++)
        copy_rows(&t->cols[c], &t->cols[c], idx, n);
    if (t->pin) {
        uint8_t *p = tfg_xmalloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            p[i] = t->pin[idx[i]];
        free(t->pin);
        t->pin = p;
    }
    t->n_rows = n;
}

void tfg_table_subset(const tfg_table *src, const size_t *idx, size_t n, tfg_table *out)
{
    tfg_table_init(out);
    out->n_rows = n;
    memcpy(out->shape, src->shape, sizeof out->shape);
    for (size_t c = 0; c < src->n_cols; c++) {
        const tfg_column *s = &src->cols[c];
        tfg_column *d = add_col(out, s->name, s->type);
        copy_rows(s, d, idx, n);
        for (size_t l = 0; l < s->n_levels; l++)
            tfg_col_intern(d, s->levels[l], strlen(s->levels[l]));
    }
    if (src->pin) {
        out->pin = tfg_xmalloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            out->pin[i] = src->pin[idx[i]];
    }
}

tfg_status tfg_table_append(tfg_table *dst, const tfg_table *src, const char *src_name,
                            tfg_err *err)
{
    if (dst->n_cols != src->n_cols)
        return tfg_err_set(err, TFG_EINPUT, "%s: has %zu columns, the first source has %zu",
                           src_name, src->n_cols, dst->n_cols);
    for (size_t c = 0; c < dst->n_cols; c++) {
        if (strcmp(dst->cols[c].name, src->cols[c].name))
            return tfg_err_set(err, TFG_EINPUT,
                               "%s: column %zu is '%s', the first source has '%s' there",
                               src_name, c + 1, src->cols[c].name, dst->cols[c].name);
        if (dst->cols[c].type != src->cols[c].type)
            return tfg_err_set(err, TFG_EINPUT,
                               "%s: column '%s' is %s here but %s in the first source",
                               src_name, src->cols[c].name,
                               src->cols[c].type == TFG_COL_NUM ? "numeric" : "categorical",
                               dst->cols[c].type == TFG_COL_NUM ? "numeric" : "categorical");
    }
    size_t n = dst->n_rows + src->n_rows;
    for (size_t c = 0; c < dst->n_cols; c++) {
        tfg_column *d = &dst->cols[c];
        const tfg_column *s = &src->cols[c];
        if (d->type == TFG_COL_NUM) {
            d->num = tfg_xreallocarray(d->num, n ? n : 1, sizeof *d->num);
            memcpy(d->num + dst->n_rows, s->num, src->n_rows * sizeof *s->num);
        } else {
            d->cat = tfg_xreallocarray(d->cat, n ? n : 1, sizeof *d->cat);
            for (size_t i = 0; i < src->n_rows; i++) {
                int32_t l = s->cat[i];
                d->cat[dst->n_rows + i] =
                    l < 0 ? -1 : tfg_col_intern(d, s->levels[l], strlen(s->levels[l]));
            }
        }
    }
    if (dst->pin || src->pin) {
        bool fresh = !dst->pin; /* the rows already there were never pinned */
        dst->pin = tfg_xrealloc(dst->pin, n ? n : 1);
        if (fresh)
            memset(dst->pin, TFG_SPLIT_NONE, dst->n_rows);
        if (!src->pin)
            memset(dst->pin + dst->n_rows, TFG_SPLIT_NONE, src->n_rows);
        else
            memcpy(dst->pin + dst->n_rows, src->pin, src->n_rows);
    }
    dst->n_rows = n;
    return TFG_OK;
}

uint64_t tfg_table_row_hash(const tfg_table *t, size_t row)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t c = 0; c < t->n_cols; c++) {
        const tfg_column *col = &t->cols[c];
        if (col->type == TFG_COL_NUM) {
            double v = col->num[row];
            if (isnan(v))
                v = NAN; /* one bit pattern for missing */
            if (v == 0)
                v = 0; /* -0 equals 0 */
            h = hash_bytes(&v, sizeof v, h);
        } else {
            const char *lv = col->cat[row] < 0 ? "" : col->levels[col->cat[row]];
            /* the terminator too, so that missing ("", 0 bytes) differs from a level "" */
            h = hash_bytes(lv, strlen(lv) + (col->cat[row] >= 0), h);
        }
        h = hash_bytes("\xff", 1, h); /* column boundary */
    }
    return h;
}

bool tfg_table_rows_equal(const tfg_table *a, size_t i, const tfg_table *b, size_t j)
{
    for (size_t c = 0; c < a->n_cols; c++) {
        const tfg_column *x = &a->cols[c], *y = &b->cols[c];
        if (x->type == TFG_COL_NUM) {
            double u = x->num[i], v = y->num[j];
            if (isnan(u) != isnan(v) || (!isnan(u) && u != v))
                return false;
        } else if ((x->cat[i] < 0) != (y->cat[j] < 0) ||
                   (x->cat[i] >= 0 && strcmp(x->levels[x->cat[i]], y->levels[y->cat[j]]))) {
            return false;
        }
    }
    return true;
}
